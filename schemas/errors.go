package schemas

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Problem is one reason an object does not match its schema.
type Problem struct {
	// Path is the dotted path of the offending value, as in the docs and
	// the layout catalog: "conditions.users.includeGroups[2]",
	// "passwordCredentials[0].secretText". "" is the object itself.
	Path    string `json:"path"`
	Message string `json:"message"`
	// Pointer is the JSON pointer of the offending value in the object
	// ("/web/password"), exact where Path is ambiguous (names with dots).
	Pointer string `json:"-"`
	// Undeclared is set for a property the schema does not declare (an
	// unknown property, or one not of the value's @odata.type).
	Undeclared bool `json:"-"`
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// ValidationError lists every problem found in one object, sorted by path.
type ValidationError struct {
	Kind     string    `json:"kind"`
	Problems []Problem `json:"problems"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: does not match its schema: ", e.Kind)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

const (
	msgUnknown    = "unknown property"
	msgAnnotation = "annotation not allowed: canonical files keep only @odata.type"
	msgRequired   = "required property missing"
)

// problems flattens the validator's error tree into Problems.
func (s *Schema) problems(ve *jsonschema.ValidationError, inst any) []Problem {
	var out []Problem
	s.collect(ve, inst, &out)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Message < out[j].Message
	})
	unknown := map[string]bool{}
	for _, p := range out {
		if p.Message == msgUnknown || p.Message == msgAnnotation {
			unknown[p.Path] = true
		}
	}
	var res []Problem
	for i, p := range out {
		if i > 0 && p == out[i-1] {
			continue
		}
		if unknown[p.Path] && p.Message != msgUnknown && p.Message != msgAnnotation && strings.HasPrefix(p.Message, "not a property of") {
			continue
		}
		res = append(res, p)
	}
	if len(res) == 0 { // cannot happen; never return an empty list
		res = []Problem{{Message: ve.Error()}}
	}
	return res
}

func (s *Schema) collect(e *jsonschema.ValidationError, inst any, out *[]Problem) {
	kw := e.KeywordLocation
	// A property name refused by a polymorphic value's @odata.type branch.
	if i := strings.Index(kw, "/propertyNames"); i >= 0 {
		loc := instanceLoc(e)
		name := lastSegment(loc)
		msg := "not a property of " + s.branchType(e.AbsoluteKeywordLocation)
		if strings.Contains(name, "@") {
			msg = msgAnnotation
		}
		*out = append(*out, Problem{Path: dotted(inst, loc), Message: msg, Pointer: loc, Undeclared: !strings.Contains(name, "@")})
		return
	}
	if len(e.Causes) > 0 {
		if strings.HasSuffix(kw, "/anyOf") || strings.HasSuffix(kw, "/oneOf") {
			// Report the alternative that got furthest into the value.
			best, depth := e.Causes[0], -1
			for _, c := range e.Causes {
				if d := maxDepth(c); d > depth {
					best, depth = c, d
				}
			}
			s.collect(best, inst, out)
			return
		}
		for _, c := range e.Causes {
			s.collect(c, inst, out)
		}
		return
	}
	loc := e.InstanceLocation
	switch {
	case strings.HasSuffix(kw, "/additionalProperties") || kw == "additionalProperties":
		node := s.pointer(strings.TrimSuffix(e.AbsoluteKeywordLocation, "/additionalProperties"))
		obj, _ := valueAt(inst, loc).(map[string]any)
		found := false
		for name := range obj {
			if !declared(node, name) {
				found = true
				msg := msgUnknown
				if strings.Contains(name, "@") {
					msg = msgAnnotation
				}
				*out = append(*out, Problem{Path: dotted(inst, loc+"/"+escape(name)), Message: msg, Pointer: loc + "/" + escape(name), Undeclared: msg == msgUnknown})
			}
		}
		if !found {
			*out = append(*out, Problem{Path: dotted(inst, loc), Message: e.Message, Pointer: loc})
		}
	case strings.HasSuffix(kw, "/not") || kw == "not":
		node := s.pointer(strings.TrimSuffix(e.AbsoluteKeywordLocation, "/not"))
		msg, _ := node["$comment"].(string)
		if msg == "" {
			msg = "not allowed"
		}
		*out = append(*out, Problem{Path: dotted(inst, loc), Message: msg, Pointer: loc})
	case strings.HasSuffix(kw, "/required") || kw == "required":
		names := strings.TrimPrefix(e.Message, "missing properties: ")
		for _, n := range strings.Split(names, ", ") {
			n = strings.Trim(n, "'")
			*out = append(*out, Problem{Path: dotted(inst, loc+"/"+escape(n)), Message: msgRequired, Pointer: loc + "/" + escape(n)})
		}
	default:
		msg := strings.ReplaceAll(e.Message, ", <nil>", ", null")
		*out = append(*out, Problem{Path: dotted(inst, loc), Message: msg, Pointer: loc})
	}
}

// instanceLoc is where a propertyNames error points: the property itself.
func instanceLoc(e *jsonschema.ValidationError) string {
	for len(e.Causes) > 0 {
		e = e.Causes[0]
	}
	return e.InstanceLocation
}

func maxDepth(e *jsonschema.ValidationError) int {
	d := strings.Count(e.InstanceLocation, "/")
	for _, c := range e.Causes {
		if cd := maxDepth(c); cd > d {
			d = cd
		}
	}
	return d
}

// branchType names the type of an @odata.type dispatch branch, from the
// "if" next to the failing "then".
func (s *Schema) branchType(abs string) string {
	if i := strings.LastIndex(abs, "/then/"); i >= 0 {
		cond := s.pointer(abs[:i] + "/if")
		props, _ := cond["properties"].(map[string]any)
		ot, _ := props["@odata.type"].(map[string]any)
		if c, ok := ot["const"].(string); ok {
			return c
		}
	}
	return "this @odata.type"
}

// declared reports whether an object schema names a property, directly or
// through patternProperties.
func declared(node map[string]any, name string) bool {
	props, _ := node["properties"].(map[string]any)
	if _, ok := props[name]; ok {
		return true
	}
	pats, _ := node["patternProperties"].(map[string]any)
	for p := range pats {
		if re, err := regexp.Compile(p); err == nil && re.MatchString(name) {
			return true
		}
	}
	return false
}

func escape(name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(name, "~", "~0"), "/", "~1")
}

func lastSegment(loc string) string {
	return unescape(loc[strings.LastIndexByte(loc, '/')+1:])
}

// valueAt finds the value at a JSON pointer in the instance.
func valueAt(inst any, loc string) any {
	if loc == "" {
		return inst
	}
	cur := inst
	for _, seg := range strings.Split(strings.TrimPrefix(loc, "/"), "/") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[unescape(seg)]
		case []any:
			i, err := atoi(seg)
			if err != nil || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// dotted turns a JSON pointer into the instance ("/conditions/users/includeGroups/2")
// into the dotted form ("conditions.users.includeGroups[2]").
func dotted(inst any, loc string) string {
	if loc == "" {
		return ""
	}
	var b strings.Builder
	cur := inst
	for _, seg := range strings.Split(strings.TrimPrefix(loc, "/"), "/") {
		if arr, ok := cur.([]any); ok {
			b.WriteString("[" + seg + "]")
			if i, err := atoi(seg); err == nil && i < len(arr) {
				cur = arr[i]
			} else {
				cur = nil
			}
			continue
		}
		name := unescape(seg)
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(name)
		if m, ok := cur.(map[string]any); ok {
			cur = m[name]
		} else {
			cur = nil
		}
	}
	return b.String()
}
