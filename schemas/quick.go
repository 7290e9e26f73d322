package schemas

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// The quick check: a second reading of a generated schema that answers
// "valid" for most objects in a fraction of the validator's time (issue
// 12, row e3: the validator was 40 % of a 100,000-user check's CPU, most of
// it the bookkeeping it does for every value: paths, scopes, evaluated
// properties). It knows the keywords the generated schemas use and answers
// yes (valid), no (invalid) or unsure; Validate trusts only its yes and
// asks the validator for everything else, which then also words the
// problems. So it may only ever say yes where the validator does: a
// keyword it does not know, a number it would have to find
// equal to an enum's, a $ref outside the document, or a value of a Go type
// other than decoded JSON's makes it unsure. Its no is exact too, since
// if/then and not turn a no into a yes. TestQuickAgreesWithValidator
// holds it to the validator on every kind's fixtures and hundreds of
// broken variants of each.

// verdict is the quick check's answer.
type verdict int8

const (
	unsure verdict = iota
	yes
	no
)

// quickNode is one schema (sub)document, compiled for the quick check.
type quickNode struct {
	unknown   bool     // holds a keyword the quick check does not know: unsure
	always    verdict  // the schema true (yes) or false (no); unsure: a document
	types     []string // "type"; nil: any
	enum      []any    // "enum" and "const" (a const is an enum of one); nil: none
	hasEnum   bool
	props     map[string]*quickNode
	patterns  []quickPattern
	addl      *quickNode // additionalProperties; nil: allowed
	required  []string
	propNames *quickNode
	items     *quickNode
	pattern   *regexp.Regexp
	min, max  *big.Rat // minimum, maximum
	allOf     []*quickNode
	anyOf     []*quickNode
	not       *quickNode
	ifThen    [2]*quickNode // if, then (then nil: nothing)
	ref       *quickNode
}

type quickPattern struct {
	re *regexp.Regexp
	n  *quickNode
}

// annotations are keywords that do not validate (format and
// contentEncoding annotate in drafts 2019-09 and 2020-12 unless asserted,
// and compile asserts neither).
var annotations = map[string]bool{"$schema": true, "$id": true, "$comment": true, "$defs": true, "title": true,
	"description": true, "readOnly": true, "writeOnly": true, "format": true, "contentEncoding": true,
	"contentMediaType": true, "default": true, "examples": true, "deprecated": true}

// quickCompiler compiles a schema document's nodes, each once (a $ref
// names a node of $defs, which may refer back to itself).
type quickCompiler struct {
	root  map[string]any
	nodes map[string]*quickNode // "#/$defs/name" → node
}

func compileQuick(doc map[string]any) *quickNode {
	c := &quickCompiler{root: doc, nodes: map[string]*quickNode{}}
	return c.node(doc)
}

func (c *quickCompiler) node(v any) *quickNode {
	switch s := v.(type) {
	case bool:
		if s {
			return &quickNode{always: yes}
		}
		return &quickNode{always: no}
	case map[string]any:
		n := &quickNode{}
		for k, val := range s {
			if annotations[k] {
				continue
			}
			if !c.keyword(n, k, val) {
				n.unknown = true
			}
		}
		return n
	}
	return &quickNode{unknown: true}
}

// keyword compiles one keyword into n; false: one the quick check does
// not know, or a form of it that it does not.
func (c *quickCompiler) keyword(n *quickNode, k string, val any) bool {
	switch k {
	case "type":
		switch t := val.(type) {
		case string:
			n.types = []string{t}
		case []any:
			if n.types = stringList(t); len(n.types) == 0 {
				return false
			}
		default:
			return false
		}
		for _, t := range n.types {
			switch t {
			case "null", "boolean", "string", "object", "array", "number", "integer":
			default:
				return false
			}
		}
	case "enum":
		items, ok := val.([]any)
		if !ok {
			return false
		}
		n.enum, n.hasEnum = append(n.enum, items...), true
		if len(n.enum) != len(items) { // const and enum both: unsure
			return false
		}
	case "const":
		if n.hasEnum {
			return false
		}
		n.enum, n.hasEnum = []any{val}, true
	case "properties":
		m, ok := val.(map[string]any)
		if !ok {
			return false
		}
		n.props = make(map[string]*quickNode, len(m))
		for name, sub := range m {
			n.props[name] = c.node(sub)
		}
	case "patternProperties":
		m, ok := val.(map[string]any)
		if !ok {
			return false
		}
		for p, sub := range m {
			re, err := regexp.Compile(p)
			if err != nil {
				return false
			}
			n.patterns = append(n.patterns, quickPattern{re, c.node(sub)})
		}
	case "additionalProperties":
		n.addl = c.node(val)
	case "required":
		items, ok := val.([]any)
		if !ok {
			return false
		}
		if n.required = stringList(items); n.required == nil && len(items) > 0 {
			return false
		}
	case "propertyNames":
		n.propNames = c.node(val)
	case "items":
		if _, ok := val.([]any); ok {
			return false // the tuple form
		}
		n.items = c.node(val)
	case "pattern":
		s, ok := val.(string)
		if !ok {
			return false
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return false
		}
		n.pattern = re
	case "minimum", "maximum":
		r, ok := new(big.Rat).SetString(fmt.Sprint(val))
		if !ok {
			return false
		}
		if k == "minimum" {
			n.min = r
		} else {
			n.max = r
		}
	case "allOf", "anyOf":
		items, ok := val.([]any)
		if !ok || len(items) == 0 {
			return false
		}
		for _, e := range items {
			if k == "allOf" {
				n.allOf = append(n.allOf, c.node(e))
			} else {
				n.anyOf = append(n.anyOf, c.node(e))
			}
		}
	case "not":
		n.not = c.node(val)
	case "if":
		n.ifThen[0] = c.node(val)
	case "then":
		n.ifThen[1] = c.node(val)
	case "$ref":
		s, ok := val.(string)
		if !ok {
			return false
		}
		r := c.ref(s)
		if r == nil {
			return false
		}
		n.ref = r
	default:
		return false
	}
	return true
}

// stringList is items as strings; nil if one is not a string.
func stringList(items []any) []string {
	out := make([]string, 0, len(items))
	for _, e := range items {
		s, ok := e.(string)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// ref is the node a $ref names: "#/$defs/NAME" only.
func (c *quickCompiler) ref(s string) *quickNode {
	name, ok := strings.CutPrefix(s, "#/$defs/")
	if !ok || strings.ContainsAny(name, "/~%") {
		return nil
	}
	if n, ok := c.nodes[s]; ok {
		return n
	}
	defs, _ := c.root["$defs"].(map[string]any)
	def, ok := defs[name]
	if !ok {
		return nil
	}
	n := &quickNode{}
	c.nodes[s] = n // before compiling it: a definition may refer to itself
	*n = *c.node(def)
	return n
}

// maxQuickDepth bounds the nesting the quick check follows (values, and
// $refs of $refs): deeper, it is unsure.
const maxQuickDepth = 64

// check is n's verdict on v.
func (n *quickNode) check(v any, depth int) verdict {
	if n.unknown || depth > maxQuickDepth {
		return unsure
	}
	if n.always != unsure {
		return n.always
	}
	typ, ok := quickType(v)
	if !ok {
		return unsure
	}
	if n.types != nil {
		match := false
		for _, t := range n.types {
			if t == typ || t == "number" && typ == "integer?" {
				match = true
				break
			}
			if t == "integer" && typ == "integer?" {
				r := quickRat(v)
				if r == nil {
					return unsure
				}
				if r.IsInt() {
					match = true
					break
				}
			}
		}
		if !match {
			return no
		}
	}
	if n.hasEnum {
		if r := quickEnum(n.enum, v, typ); r != yes {
			return r
		}
	}
	out := yes
	and := func(r verdict) bool {
		if r == no {
			out = no
			return false
		}
		if r == unsure {
			out = unsure
		}
		return true
	}
	switch x := v.(type) {
	case map[string]any:
		for _, p := range n.required {
			if _, ok := x[p]; !ok {
				return no
			}
		}
		for name, val := range x {
			if n.propNames != nil && !and(n.propNames.check(name, depth+1)) {
				return no
			}
			matched := false
			if sub, ok := n.props[name]; ok {
				matched = true
				if !and(sub.check(val, depth+1)) {
					return no
				}
			}
			for _, pp := range n.patterns {
				if pp.re.MatchString(name) {
					matched = true
					if !and(pp.n.check(val, depth+1)) {
						return no
					}
				}
			}
			if !matched && n.addl != nil && !and(n.addl.check(val, depth+1)) {
				return no
			}
		}
	case []any:
		if n.items != nil {
			for _, e := range x {
				if !and(n.items.check(e, depth+1)) {
					return no
				}
			}
		}
	case string:
		if n.pattern != nil && !n.pattern.MatchString(x) {
			return no
		}
	default:
		if (n.min != nil || n.max != nil) && typ == "integer?" {
			r := quickRat(v)
			switch {
			case r == nil:
				return unsure
			case n.min != nil && r.Cmp(n.min) < 0, n.max != nil && r.Cmp(n.max) > 0:
				return no
			}
		}
	}
	for _, s := range n.allOf {
		if !and(s.check(v, depth+1)) {
			return no
		}
	}
	if n.anyOf != nil {
		r := no
		for _, s := range n.anyOf {
			switch s.check(v, depth+1) {
			case yes:
				r = yes
			case unsure:
				if r == no {
					r = unsure
				}
			}
			if r == yes {
				break
			}
		}
		if !and(r) {
			return no
		}
	}
	if n.not != nil {
		switch n.not.check(v, depth+1) {
		case yes:
			return no
		case unsure:
			out = unsure
		}
	}
	if n.ifThen[0] != nil && n.ifThen[1] != nil {
		switch n.ifThen[0].check(v, depth+1) {
		case yes:
			if !and(n.ifThen[1].check(v, depth+1)) {
				return no
			}
		case unsure:
			out = unsure
		}
	}
	if n.ref != nil && !and(n.ref.check(v, depth+1)) {
		return no
	}
	return out
}

// quickType is v's JSON type, "integer?" for a number (an integer or
// not: quickRat tells); false: not a decoded JSON value.
func quickType(v any) (string, bool) {
	switch v.(type) {
	case nil:
		return "null", true
	case bool:
		return "boolean", true
	case string:
		return "string", true
	case map[string]any:
		return "object", true
	case []any:
		return "array", true
	case json.Number, float64:
		return "integer?", true
	}
	return "", false
}

// quickRat is a number's value as the validator reads it (its text as a
// fraction), nil if that fails.
func quickRat(v any) *big.Rat {
	r, ok := new(big.Rat).SetString(fmt.Sprint(v))
	if !ok {
		return nil
	}
	return r
}

// quickEnum is whether v is one of items: exact for null, booleans and
// strings; unsure when a number, an object or an array is compared with
// an item of its type.
func quickEnum(items []any, v any, typ string) verdict {
	for _, it := range items {
		it2, ok := quickType(it)
		if !ok {
			return unsure
		}
		if it2 != typ {
			continue
		}
		switch typ {
		case "null":
			return yes
		case "boolean":
			if it.(bool) == v.(bool) {
				return yes
			}
		case "string":
			if it.(string) == v.(string) {
				return yes
			}
		default:
			return unsure
		}
	}
	return no
}

// quickCheck is the quick check's verdict on obj, compiled on first use.
func (s *Schema) quickCheck(obj any) verdict {
	s.quickOnce.Do(func() { s.quick = compileQuick(s.doc()) })
	return s.quick.check(obj, 0)
}
