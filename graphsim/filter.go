package graphsim

import (
	"fmt"
	"strings"
	"unicode"
)

// filter is a parsed $filter expression for the forms Graph's directory
// supports and the product uses: eq/ne on properties, startswith/endswith,
// any() lambdas over string collections, and/or/not, parentheses.
type filter interface {
	match(obj map[string]any) bool
}

type filterCtx struct {
	kind     *Kind
	advanced bool // ConsistencyLevel: eventual and $count=true
}

type orF []filter
type andF []filter
type notF struct{ f filter }
type cmpF struct {
	prop string
	op   string // eq, ne, ge, le, gt, lt
	val  any    // string, bool, nil, float64
}
type funcF struct {
	fn, prop, arg string
}
type anyF struct {
	prop string
	op   string // eq, startswith
	arg  string
}

func (f orF) match(o map[string]any) bool {
	for _, x := range f {
		if x.match(o) {
			return true
		}
	}
	return false
}
func (f andF) match(o map[string]any) bool {
	for _, x := range f {
		if !x.match(o) {
			return false
		}
	}
	return true
}
func (f notF) match(o map[string]any) bool { return !f.f.match(o) }

func lookupPath(o map[string]any, path string) any {
	var cur any = o
	for _, p := range strings.Split(path, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func (f cmpF) match(o map[string]any) bool {
	v := lookupPath(o, f.prop)
	var eq bool
	switch want := f.val.(type) {
	case nil:
		eq = v == nil
	case bool:
		b, ok := v.(bool)
		eq = ok && b == want
	case string:
		eq = strings.EqualFold(str(v), want) && v != nil
	case float64:
		eq = str(v) == fmt.Sprint(want)
	}
	switch f.op {
	case "eq":
		return eq
	case "ne":
		return !eq
	}
	// Ordering comparisons on strings (dates compare lexically in ISO form).
	a, b := str(v), str(f.val)
	switch f.op {
	case "ge":
		return a >= b
	case "gt":
		return a > b
	case "le":
		return a <= b
	case "lt":
		return a < b
	}
	return false
}

func (f funcF) match(o map[string]any) bool {
	v := strings.ToLower(str(lookupPath(o, f.prop)))
	arg := strings.ToLower(f.arg)
	switch f.fn {
	case "startswith":
		return strings.HasPrefix(v, arg)
	case "endswith":
		return strings.HasSuffix(v, arg)
	}
	return false
}

func (f anyF) match(o map[string]any) bool {
	arr, _ := lookupPath(o, f.prop).([]any)
	for _, e := range arr {
		s := strings.ToLower(str(e))
		if f.op == "eq" && s == strings.ToLower(f.arg) || f.op == "startswith" && strings.HasPrefix(s, strings.ToLower(f.arg)) {
			return true
		}
	}
	return false
}

// ---- parser ----

type tok struct {
	kind string // "id", "str", "num", "punct"
	val  string
}

func lexFilter(s string) ([]tok, error) {
	var out []tok
	i := 0
	for i < len(s) {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated string literal")
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			out = append(out, tok{"str", b.String()})
		case strings.ContainsRune("(),:", c):
			out = append(out, tok{"punct", string(c)})
			i++
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && !strings.ContainsRune("(),:'", rune(s[j])) {
				j++
			}
			w := s[i:j]
			k := "id"
			if w[0] == '-' || w[0] >= '0' && w[0] <= '9' {
				k = "num"
			}
			out = append(out, tok{k, w})
			i = j
		}
	}
	return out, nil
}

type filterParser struct {
	toks []tok
	pos  int
	ctx  filterCtx
}

func (p *filterParser) peek() tok {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return tok{}
}
func (p *filterParser) next() tok { t := p.peek(); p.pos++; return t }
func (p *filterParser) expect(v string) error {
	if t := p.next(); t.val != v {
		return fmt.Errorf("expected '%s' at position %d", v, p.pos)
	}
	return nil
}

// parseFilter parses $filter for kind k. Errors are Graph's 400 answers.
func parseFilter(expr string, ctx filterCtx) (filter, *apiError) {
	toks, err := lexFilter(expr)
	if err != nil {
		return nil, badRequest("Invalid filter clause: %v", err)
	}
	p := &filterParser{toks: toks, ctx: ctx}
	f, aerr := p.or()
	if aerr != nil {
		return nil, aerr
	}
	if p.pos != len(p.toks) {
		return nil, badRequest("Invalid filter clause: syntax error at position %d in '%s'.", p.pos, expr)
	}
	return f, nil
}

func (p *filterParser) or() (filter, *apiError) {
	var parts orF
	for {
		f, err := p.and()
		if err != nil {
			return nil, err
		}
		parts = append(parts, f)
		if strings.EqualFold(p.peek().val, "or") && p.peek().kind == "id" {
			p.next()
			continue
		}
		break
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return parts, nil
}

func (p *filterParser) and() (filter, *apiError) {
	var parts andF
	for {
		f, err := p.unary()
		if err != nil {
			return nil, err
		}
		parts = append(parts, f)
		if strings.EqualFold(p.peek().val, "and") && p.peek().kind == "id" {
			p.next()
			continue
		}
		break
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return parts, nil
}

func (p *filterParser) unsupported(prop string) *apiError {
	return errf(400, "Request_UnsupportedQuery",
		"Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", prop, resourceName(p.ctx.kind))
}

func resourceName(k *Kind) string {
	if k == nil {
		return "DirectoryObject"
	}
	return strings.ToUpper(k.Name[:1]) + k.Name[1:]
}

func (p *filterParser) checkProp(prop string) *apiError {
	root := strings.Split(prop, "/")[0]
	if p.ctx.kind != nil && !contains(p.ctx.kind.Filterable, root) {
		return p.unsupported(root)
	}
	return nil
}

func (p *filterParser) needAdvanced(op string) *apiError {
	if p.ctx.advanced {
		return nil
	}
	return errf(400, "Request_UnsupportedQuery",
		"Operator '%s' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information", op)
}

func (p *filterParser) unary() (filter, *apiError) {
	t := p.next()
	switch {
	case t.val == "(":
		f, err := p.or()
		if err != nil {
			return nil, err
		}
		if e := p.expect(")"); e != nil {
			return nil, badRequest("Invalid filter clause: %v", e)
		}
		return f, nil
	case t.kind == "id" && strings.EqualFold(t.val, "not"):
		if err := p.needAdvanced("not"); err != nil {
			return nil, err
		}
		f, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notF{f}, nil
	case t.kind == "id" && (strings.EqualFold(t.val, "startswith") || strings.EqualFold(t.val, "endswith")):
		fn := strings.ToLower(t.val)
		if fn == "endswith" {
			if err := p.needAdvanced("endsWith"); err != nil {
				return nil, err
			}
		}
		if p.expect("(") != nil {
			return nil, badRequest("Invalid filter clause: expected '(' after %s.", t.val)
		}
		prop := p.next()
		if prop.kind != "id" || p.expect(",") != nil {
			return nil, badRequest("Invalid filter clause: %s takes a property and a string.", t.val)
		}
		arg := p.next()
		if arg.kind != "str" || p.expect(")") != nil {
			return nil, badRequest("Invalid filter clause: %s takes a property and a string.", t.val)
		}
		if err := p.checkProp(prop.val); err != nil {
			return nil, err
		}
		return funcF{fn: fn, prop: prop.val, arg: arg.val}, nil
	case t.kind == "id":
		prop := t.val
		if i := strings.Index(strings.ToLower(prop), "/any"); i > 0 {
			return p.lambda(prop[:i])
		}
		if err := p.checkProp(prop); err != nil {
			return nil, err
		}
		op := strings.ToLower(p.next().val)
		switch op {
		case "eq", "ge", "le", "gt", "lt":
		case "ne":
			if err := p.needAdvanced("ne"); err != nil {
				return nil, err
			}
		default:
			return nil, badRequest("Invalid filter clause: unsupported operator '%s'.", op)
		}
		lit := p.next()
		var v any
		switch {
		case lit.kind == "str":
			v = lit.val
		case lit.kind == "num":
			var f float64
			if _, err := fmt.Sscan(lit.val, &f); err != nil {
				v = lit.val // a GUID or date literal
			} else if strings.Count(lit.val, "-") >= 2 {
				v = lit.val
			} else {
				v = f
			}
		case strings.EqualFold(lit.val, "true"):
			v = true
		case strings.EqualFold(lit.val, "false"):
			v = false
		case strings.EqualFold(lit.val, "null"):
			v = nil
		default:
			v = lit.val
		}
		return cmpF{prop: prop, op: op, val: v}, nil
	}
	return nil, badRequest("Invalid filter clause: unexpected '%s'.", t.val)
}

// lambda parses "prop/any(x:x eq 'v')" after the prop/any token.
func (p *filterParser) lambda(prop string) (filter, *apiError) {
	if err := p.checkProp(prop); err != nil {
		return nil, err
	}
	bad := badRequest("Invalid filter clause: expected %s/any(x:x eq 'value').", prop)
	if p.expect("(") != nil {
		return nil, bad
	}
	v := p.next()
	if v.kind != "id" || p.expect(":") != nil {
		return nil, bad
	}
	t := p.next()
	if strings.EqualFold(t.val, "startswith") {
		if p.expect("(") != nil || p.next().val != v.val || p.expect(",") != nil {
			return nil, bad
		}
		arg := p.next()
		if arg.kind != "str" || p.expect(")") != nil || p.expect(")") != nil {
			return nil, bad
		}
		return anyF{prop: prop, op: "startswith", arg: arg.val}, nil
	}
	if t.val != v.val || !strings.EqualFold(p.next().val, "eq") {
		return nil, bad
	}
	arg := p.next()
	if arg.kind != "str" && arg.kind != "num" || p.expect(")") != nil {
		return nil, bad
	}
	return anyF{prop: prop, op: "eq", arg: arg.val}, nil
}
