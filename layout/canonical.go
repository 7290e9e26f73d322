package layout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Clean returns a copy of obj as it is stored: annotations other than
// @odata.type removed (and @odata.type itself when it only repeats the
// kind's type), volatile and secret properties removed, the embedded
// collection removed, sets sorted. obj must be decoded with json.Number.
func Clean(k *Kind, obj map[string]any) map[string]any {
	out := stripAnnotations(obj, k.ODataType).(map[string]any)
	for _, p := range k.Annotated {
		if v, ok := obj[p]; ok {
			out[p] = keepTypeAnnotations(v)
		}
	}
	for _, p := range k.Volatile {
		removePath(out, strings.Split(p, "."))
	}
	for _, p := range k.Secret {
		removePath(out, strings.Split(p, "."))
	}
	for _, p := range k.IDOnly {
		walkPath(out, strings.Split(p, "."), func(m map[string]any, last string) {
			if o, ok := m[last].(map[string]any); ok {
				if id, ok := o["id"]; ok {
					m[last] = map[string]any{"id": id}
				}
			}
		})
	}
	if k.Embedded != "" {
		delete(out, k.Embedded)
	}
	for p, key := range k.Sets {
		sortSetsAt(out, strings.Split(p, "."), key)
	}
	return out
}

func stripAnnotations(v any, topType string) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			if strings.Contains(k, "@") && k != "@odata.type" {
				continue
			}
			m[k] = stripAnnotations(e, "")
		}
		if topType != "" && m["@odata.type"] == topType {
			delete(m, "@odata.type")
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = stripAnnotations(e, "")
		}
		return s
	default:
		return v
	}
}

// keepTypeAnnotations is stripAnnotations keeping the @odata.type
// annotations of properties ("Grade@odata.type": "#Int32"): in a
// Kind.Annotated property they say the value's type, which a write must
// send back.
func keepTypeAnnotations(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			if strings.Contains(k, "@") && !strings.HasSuffix(k, "@odata.type") {
				continue
			}
			m[k] = keepTypeAnnotations(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = keepTypeAnnotations(e)
		}
		return s
	default:
		return v
	}
}

// walkPath calls fn on every map that holds the last segment of path;
// "name[]" segments descend into each element of an array.
func walkPath(v any, segs []string, fn func(m map[string]any, last string)) {
	m, ok := v.(map[string]any)
	if !ok || len(segs) == 0 {
		return
	}
	seg := segs[0]
	if len(segs) == 1 {
		fn(m, seg)
		return
	}
	if name, ok := strings.CutSuffix(seg, "[]"); ok {
		for _, e := range asArray(m[name]) {
			walkPath(e, segs[1:], fn)
		}
		return
	}
	walkPath(m[seg], segs[1:], fn)
}

func asArray(v any) []any { a, _ := v.([]any); return a }

// Copy deep-copies a value decoded from JSON or YAML (maps, arrays, scalars).
func Copy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = Copy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = Copy(e)
		}
		return s
	}
	return v
}

func removePath(obj map[string]any, segs []string) {
	walkPath(obj, segs, func(m map[string]any, last string) { delete(m, last) })
}

func sortSetsAt(obj map[string]any, segs []string, key string) {
	walkPath(obj, segs, func(m map[string]any, last string) {
		arr := asArray(m[last])
		if len(arr) < 2 {
			return
		}
		// Each element's sort key is made once, its canonical JSON only
		// for a tie and once (a group of 100,000 members is two million
		// comparisons, each of which lower-cased both keys before).
		els := make([]setElem, len(arr))
		for i, e := range arr {
			els[i].v = e
			if mm, ok := e.(map[string]any); ok && key != "" {
				els[i].key = scalarString(mm[key])
			} else {
				els[i].key = scalarString(e)
			}
		}
		sort.SliceStable(els, func(i, j int) bool {
			a, b := &els[i], &els[j]
			if a.key != b.key {
				return a.key < b.key
			}
			return a.json() < b.json()
		})
		for i := range els {
			arr[i] = els[i].v
		}
	})
}

// setElem is an element of a set being sorted, with its sort key.
type setElem struct {
	v       any
	key     string
	js      string
	jsReady bool
}

func (e *setElem) json() string {
	if !e.jsReady {
		e.js, e.jsReady = canonicalJSON(e.v), true
	}
	return e.js
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.ToLower(x)
	case json.Number:
		return x.String()
	case nil:
		return ""
	default:
		return canonicalJSON(v)
	}
}

func canonicalJSON(v any) string {
	b, _ := json.Marshal(v) // maps marshal with sorted keys
	return string(b)
}

// Canonical is the file content for obj: Clean, then Encode.
func Canonical(k *Kind, obj map[string]any) []byte {
	return Encode(Clean(k, obj))
}

// Encode writes v (JSON values decoded with json.Number) as canonical YAML:
// two-space indentation, keys sorted, every string double-quoted with JSON
// escapes (so no value changes type on the way back: "yes", "0123" and "null"
// stay strings), numbers exactly as decoded, empty collections as [] and {}.
func Encode(v any) []byte {
	var b bytes.Buffer
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}\n")
		} else {
			encodeMap(&b, x, 0)
		}
	case []any:
		if len(x) == 0 {
			b.WriteString("[]\n")
		} else {
			encodeList(&b, x, 0)
		}
	default:
		b.WriteString(scalar(v))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func indent(b *bytes.Buffer, n int) {
	for i := 0; i < n; i++ {
		b.WriteString("  ")
	}
}

// maxImplicitKey is the longest key written as "key: value" (YAML allows
// 1024 characters; bytes are counted, so this is conservative).
const maxImplicitKey = 1024

func encodeMap(b *bytes.Buffer, m map[string]any, depth int) {
	encodeMapFrom(b, m, depth, false)
}

// encodeMapFrom is encodeMap, the first key's indentation left out when
// inline (a list's map starts on its dash line).
func encodeMapFrom(b *bytes.Buffer, m map[string]any, depth int, inline bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 || !inline {
			indent(b, depth)
		}
		if key := yamlKey(k); len(key) <= maxImplicitKey {
			b.WriteString(key)
		} else {
			// YAML limits a "key:" line's key to 1024 characters; a
			// longer one is written in the explicit "? key" form.
			b.WriteString("? ")
			b.WriteString(key)
			b.WriteByte('\n')
			indent(b, depth)
		}
		b.WriteByte(':')
		encodeValue(b, m[k], depth)
	}
}

func encodeList(b *bytes.Buffer, l []any, depth int) {
	for _, e := range l {
		indent(b, depth)
		b.WriteString("-")
		switch x := e.(type) {
		case map[string]any:
			if len(x) == 0 {
				b.WriteString(" {}\n")
				continue
			}
			// First key on the dash line, the rest aligned under it.
			b.WriteByte(' ')
			encodeMapFrom(b, x, depth+1, true)
		case []any:
			if len(x) == 0 {
				b.WriteString(" []\n")
				continue
			}
			b.WriteByte('\n')
			encodeList(b, x, depth+1)
		default:
			b.WriteByte(' ')
			b.WriteString(scalar(e))
			b.WriteByte('\n')
		}
	}
}

func encodeValue(b *bytes.Buffer, v any, depth int) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteByte('\n')
		encodeMap(b, x, depth+1)
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteByte('\n')
		encodeList(b, x, depth+1)
	default:
		b.WriteByte(' ')
		b.WriteString(scalar(v))
		b.WriteByte('\n')
	}
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case json.Number:
		return x.String()
	case string:
		return quoteString(x)
	case float64, int, int64:
		return fmt.Sprint(x)
	default:
		return quoteString(fmt.Sprint(x))
	}
}

// quoteString writes s as a YAML double-quoted scalar that Decode reads back
// as exactly s. Ordinary text is written as it is, with the escapes
// encoding/json uses (\" \\ \n \r \t \b \f \u00XX for other C0 controls,
// \u2028 \u2029), so files written before this encoder are unchanged.
// Everything YAML does not allow unescaped (DEL, C1 controls, noncharacters)
// and what would hide or reorder text for someone reading the file or a
// pull request (bidi controls, U+FEFF) is escaped as \uXXXX or \UXXXXXXXX.
//
// A string that is not valid UTF-8 cannot reach a file unchanged: Graph
// answers are JSON, and decoding them already replaces invalid bytes (and
// lone surrogates) with U+FFFD; quoteString does the same for any invalid
// byte left, so every file is valid UTF-8.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(`\ufffd`)
			i++
			continue
		}
		i += size
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || r >= 0x7f && r <= 0x9f || hiddenInFile(r):
				fmt.Fprintf(&b, `\u%04x`, r)
			case r > 0xffff && isNoncharacter(r):
				fmt.Fprintf(&b, `\U%08x`, r)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hiddenInFile reports the characters in the Basic Multilingual Plane that a
// file writes escaped: line and paragraph separators (JSON escapes them
// too), noncharacters (YAML refuses U+FFFE and U+FFFF), the byte order mark,
// and the bidi controls that reorder what a reviewer sees.
func hiddenInFile(r rune) bool {
	switch {
	case r == 0x2028 || r == 0x2029, r == 0xfeff:
		return true
	case r == 0x061c, r == 0x200e || r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return r <= 0xffff && isNoncharacter(r)
}

// isNoncharacter reports Unicode noncharacters: U+FDD0..U+FDEF and the last
// two code points of every plane (U+FFFE, U+FFFF, U+1FFFE, ...).
func isNoncharacter(r rune) bool {
	return r >= 0xfdd0 && r <= 0xfdef || r&0xfffe == 0xfffe
}

// yamlKey writes a key plain when it is an identifier no YAML parser reads
// as anything but a string, quoted otherwise ("@odata.type").
func yamlKey(k string) string {
	if k == "" {
		return `""`
	}
	for i, c := range k {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || (i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'))
		if !ok {
			return quoteString(k)
		}
	}
	if len(k) <= 5 { // the words below, in any case (no lower-cased copy of every key)
		for _, w := range yamlWords {
			if strings.EqualFold(k, w) {
				return quoteString(k)
			}
		}
	}
	return k
}

// yamlWords are the keys a YAML parser may read as a bool or null.
var yamlWords = [...]string{"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
