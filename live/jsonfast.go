package live

import (
	"encoding/json"
	"sync"
	"unicode/utf8"
)

// fastObject decodes b, one JSON object as Graph sends an item, into the
// values encoding/json gives with UseNumber (maps, []any, strings,
// json.Number, bools, nil), without reflection: decoding a page's items
// was a seventh of a 300,000-user export's CPU, and each value's
// allocations its garbage collector's. ok is false for anything it does
// not take on itself: then decodeObject decodes b with encoding/json,
// whose result and errors stand (invalid JSON, a top level that is not an
// object, text after it, nesting deeper than it allows). Strings with an
// escape or bytes outside ASCII are unquoted by encoding/json too, so
// their odd cases (invalid UTF-8, lone surrogates: U+FFFD) are its own.
// TestFastObjectDecodesAsEncodingJSON compares the two.
func fastObject(b []byte) (m map[string]any, ok bool) {
	p := fastParsers.Get().(*fastParser)
	defer p.release()
	p.b, p.i = b, 0
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return nil, false
	}
	v, ok := p.object(0)
	if !ok {
		return nil, false
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, false
	}
	return v, true
}

type fastParser struct {
	b []byte
	i int
	// keys and types are the object keys and "#…" strings (OData type
	// names) read so far, each made once: every member of a group's
	// members@delta repeats "id", "@odata.type" and its type. Strings do
	// not change, so one may be shared by any number of values; the sets
	// are bounded (fastInternMax) and kept with the parser.
	keys  map[string]string
	types map[string]any
}

var fastParsers = sync.Pool{New: func() any {
	return &fastParser{keys: map[string]string{}, types: map[string]any{}}
}}

// fastInternMax bounds each intern set; past it the set starts again.
const fastInternMax = 4096

func (p *fastParser) release() {
	p.b = nil
	if len(p.keys) > fastInternMax {
		clear(p.keys)
	}
	if len(p.types) > fastInternMax {
		clear(p.types)
	}
	fastParsers.Put(p)
}

// fastMaxDepth is well inside encoding/json's nesting limit (10,000):
// anything deeper is left to it.
const fastMaxDepth = 1000

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) value(depth int) (any, bool) {
	p.ws()
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		m, ok := p.object(depth + 1)
		return m, ok
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		if p.i+1 < len(p.b) && p.b[p.i+1] == '#' {
			return p.typeName()
		}
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return true, p.lit("true")
	case c == 'f':
		return false, p.lit("false")
	case c == 'n':
		return nil, p.lit("null")
	}
	return nil, false
}

func (p *fastParser) lit(s string) bool {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

func (p *fastParser) object(depth int) (map[string]any, bool) {
	if depth > fastMaxDepth {
		return nil, false
	}
	p.i++ // '{'
	m := map[string]any{}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return m, true
	}
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, false
		}
		k, ok := p.key()
		if !ok {
			return nil, false
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		m[k] = v // a repeated key: the last one stands, as in encoding/json
		if end, ok := p.after('}'); !ok {
			return nil, false
		} else if end {
			return m, true
		}
	}
}

// after reads what follows a member or element: ',' (end false) or the
// closing byte (end true); ok is false for anything else.
func (p *fastParser) after(closing byte) (end, ok bool) {
	p.ws()
	if p.i >= len(p.b) {
		return false, false
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		return false, true
	case closing:
		p.i++
		return true, true
	}
	return false, false
}

func (p *fastParser) array(depth int) ([]any, bool) {
	if depth > fastMaxDepth {
		return nil, false
	}
	p.i++        // '['
	a := []any{} // [] is an empty array, never nil, as encoding/json makes it
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if end, ok := p.after(']'); !ok {
			return nil, false
		} else if end {
			return a, true
		}
	}
}

// key is str, made once per key text (p.keys).
func (p *fastParser) key() (string, bool) {
	return interned(p, p.keys, 66, func(s string) string { return s })
}

// typeName is str for a string that starts with '#', made and boxed once
// per text (p.types).
func (p *fastParser) typeName() (any, bool) {
	return interned(p, p.types, 130, func(s string) any { return s })
}

// interned is the string at p.i as made reads it, made once per text of
// at most max bytes (quotes included) in set: a text seen before costs no
// allocation.
func interned[V any](p *fastParser, set map[string]V, max int, made func(string) V) (V, bool) {
	start := p.i
	end, plain, ok := p.scanStr()
	var zero V
	if !ok {
		return zero, false
	}
	p.i = end
	raw := p.b[start:end]
	if len(raw) <= max {
		if v, seen := set[string(raw)]; seen {
			return v, true
		}
	}
	s, ok := unquoteRaw(raw, plain)
	if !ok {
		return zero, false
	}
	v := made(s)
	if len(raw) <= max {
		set[string(raw)] = v
	}
	return v, true
}

// str reads a string at p.i (its opening quote).
func (p *fastParser) str() (string, bool) {
	end, plain, ok := p.scanStr()
	if !ok {
		return "", false
	}
	raw := p.b[p.i:end]
	p.i = end
	return unquoteRaw(raw, plain)
}

// scanStr finds the end of the string at p.i (just after its closing
// quote) and whether it is plain ASCII without escapes.
func (p *fastParser) scanStr() (end int, plain, ok bool) {
	plain = true
	for i := p.i + 1; i < len(p.b); {
		switch c := p.b[i]; {
		case c == '"':
			return i + 1, plain, true
		case c == '\\':
			plain = false
			i += 2 // the escaped byte is never the closing quote
		case c < 0x20:
			return 0, false, false // a control character must be escaped
		case c >= utf8.RuneSelf:
			plain = false
			i++
		default:
			i++
		}
	}
	return 0, false, false
}

// unquoteRaw is the string raw (quotes included) holds: plain ASCII as it
// is; with an escape or any other byte, as encoding/json unquotes it.
func unquoteRaw(raw []byte, plain bool) (string, bool) {
	if plain {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// number reads a number as JSON's grammar has it and keeps its text.
func (p *fastParser) number() (json.Number, bool) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.i < len(p.b) && p.b[p.i] >= '1' && p.b[p.i] <= '9':
		p.digits()
	default:
		return "", false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if !p.digits() {
			return "", false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return "", false
		}
	}
	return json.Number(p.b[start:p.i]), true
}

// digits reads one digit or more.
func (p *fastParser) digits() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}
