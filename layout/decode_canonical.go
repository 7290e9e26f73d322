package layout

import (
	"bytes"
	"encoding/json"
	"strconv"
	"sync"
	"unicode/utf8"
)

// decodeCanonical reads data when it is exactly a canonical file, Encode's
// output for the object it returns; ok is false for anything else (a
// hand-edited file, a comment, other quoting or order, a number YAML would
// read otherwise), which Decode then reads with the YAML parser.
//
// Why: check, restore and diff decode every file of a snapshot, and the YAML
// parser was about half of check's CPU at 20,000 users (bench row e3); the
// files entrasnap writes are a small, line-oriented subset of YAML.
//
// Why the answer is Decode's: the parser accepts only what Encode writes for
// the value it returns (keys sorted and unique, quoted exactly when yamlKey
// quotes them; strings exactly as quoteString writes them; two-space
// indentation; no "? key" lines), and Decode(Encode(v)) is v for every value
// it can produce (string keys, valid UTF-8 strings, null, true, false, JSON
// numbers that YAML resolves to numbers: FuzzEncodeDecode,
// TestQuoteStringRoundTripsHostileStrings). TestDecodeCanonicalAgreesWithYAML
// and FuzzDecodeCanonical check both: what it accepts is Encode's output
// byte for byte, and the YAML parser reads it the same.
func decodeCanonical(data []byte) (map[string]any, bool) {
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return nil, false
	}
	if string(data) == "{}\n" {
		return map[string]any{}, true
	}
	p := &canonParser{d: data, keys: knownKeys.Get().(map[string]string)}
	defer p.done()
	m, ok := p.mapAt(0, "", false)
	if !ok || p.i != len(data) {
		return nil, false
	}
	return m, true
}

// isCanonical is whether decodeCanonical accepts data, found by the same
// parser without building the values (no map, list or string per member):
// DecodePair checks a whole file this way and decodes only what differs.
func isCanonical(data []byte) bool {
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return false
	}
	if string(data) == "{}\n" {
		return true
	}
	p := &canonParser{d: data, scan: true, keys: knownKeys.Get().(map[string]string)}
	defer p.done()
	_, ok := p.mapAt(0, "", false)
	return ok && p.i == len(data)
}

// canonMaxDepth bounds nesting: deeper files go to the YAML parser.
const canonMaxDepth = 64

type canonParser struct {
	d []byte
	i int
	// keys are keys read and checked before, by their text (quotes
	// included): a group's thousands of members repeat the same two, and
	// checking a key's form (yamlKey) and copying it into a string for
	// every member was a fifth of a large diff's decoding (issue 12, row
	// e1). Whether a text is a key as yamlKey writes it does not depend on
	// the file, so the map is shared by the files one goroutine decodes in
	// turn (knownKeys).
	keys map[string]string
	// scan: check the text only (isCanonical); values are not built, and
	// mapAt and listAt return nil with the same ok.
	scan bool
}

// topKeys is the size to make the file's top-level mapping (depth 0) with:
// its lines that start with a key, at most maxTopKeys (a group's thirty
// keys grew its map three times; issue 12, row e1); 0 for a nested one.
func (p *canonParser) topKeys(depth int) int {
	if depth != 0 {
		return 0
	}
	n := 0
	for i := 0; i < len(p.d) && n < maxTopKeys; {
		if c := p.d[i]; c != ' ' && c != '-' {
			n++
		}
		j := bytes.IndexByte(p.d[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return n
}

// maxTopKeys bounds the size topKeys asks for.
const maxTopKeys = 256

// knownKey reads a key at the cursor whose text was read and checked
// before, in this file or another (keys): the bytes up to the ':' on this line. A text that
// is not a whole key (a quoted key holding ':') is never one remembered.
func (p *canonParser) knownKey() (string, bool) {
	if p.keys == nil {
		return "", false
	}
	end := min(len(p.d), p.i+maxImplicitKey+1)
	for j := p.i; j < end; j++ {
		switch p.d[j] {
		case ':':
			k, ok := p.keys[string(p.d[p.i:j])]
			if ok {
				p.i = j
			}
			return k, ok
		case '\n':
			return "", false
		}
	}
	return "", false
}

// remember keeps the key k, read and checked from the text raw.
func (p *canonParser) remember(raw []byte, k string) {
	if len(p.keys) < maxKnownKeys {
		p.keys[string(raw)] = k
	}
}

// maxKnownKeys bounds a knownKeys map: a file of many distinct keys does
// not grow it further (and it is emptied before its next file).
const maxKnownKeys = 512

// knownKeys holds the canonParser.keys maps between files: a map made for
// each file, growing to a group's thirty keys, was a tenth of the CPU of a
// large diff, which decodes hundreds of group files twice (isCanonical,
// then decodeCanonical; issue 12, row e1).
var knownKeys = sync.Pool{New: func() any { return map[string]string{} }}

// done gives p's keys back to knownKeys for the next file.
func (p *canonParser) done() {
	if len(p.keys) >= maxKnownKeys {
		clear(p.keys) // the table stays: no growing again
	}
	knownKeys.Put(p.keys)
	p.keys = nil
}

// indentAt counts the spaces at the cursor (the start of a line).
func (p *canonParser) indentAt() int {
	n := 0
	for p.i+n < len(p.d) && p.d[p.i+n] == ' ' {
		n++
	}
	return n
}

// mapAt reads the keys of a mapping whose lines are indented by 2×depth
// spaces; with first, its first key was read already (a list item's "- key:"
// line) and the cursor is on that key's ':'.
func (p *canonParser) mapAt(depth int, firstKey string, first bool) (map[string]any, bool) {
	if depth > canonMaxDepth {
		return nil, false
	}
	var m map[string]any
	if !p.scan {
		m = make(map[string]any, p.topKeys(depth))
	}
	keys := 0 // len(m), also when scanning
	prev, havePrev := "", false
	for {
		var key string
		if first {
			key, first = firstKey, false
		} else {
			if p.i == len(p.d) {
				return m, true
			}
			n := p.indentAt()
			if n < 2*depth {
				return m, keys > 0
			}
			if n != 2*depth {
				return nil, false
			}
			p.i += n
			var ok bool
			if key, ok = p.key(); !ok {
				return nil, false
			}
		}
		if havePrev && key <= prev {
			return nil, false // Encode sorts keys, and they are unique
		}
		prev, havePrev = key, true
		if p.i >= len(p.d) || p.d[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		if !p.scan {
			m[key] = v
		}
		keys++
	}
}

// key reads a key written as yamlKey writes it: plain (letters, digits,
// _ - ., not a word YAML reads as a boolean or null) or double-quoted, at
// most maxImplicitKey bytes.
func (p *canonParser) key() (string, bool) {
	if k, ok := p.knownKey(); ok {
		return k, true
	}
	start := p.i
	var k string
	var ok bool
	if p.i < len(p.d) && p.d[p.i] == '"' {
		k, _, ok = p.quoted(true)
		ok = ok && p.i-start <= maxImplicitKey && yamlKey(k) == string(p.d[start:p.i])
	} else {
		k, ok = p.plainKey()
		ok = ok && yamlKey(k) == k
	}
	if ok {
		p.remember(p.d[start:p.i], k)
	}
	return k, ok
}

// plainKey reads a plain key's characters (letters, digits, _ - .).
func (p *canonParser) plainKey() (string, bool) {
	start := p.i
	for p.i < len(p.d) {
		c := p.d[p.i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || p.i > start && (c >= '0' && c <= '9' || c == '-' || c == '.') {
			p.i++
			continue
		}
		break
	}
	return string(p.d[start:p.i]), p.i > start && p.i-start <= maxImplicitKey
}

// str reads a string value written as quoteString writes it.
func (p *canonParser) str() (string, bool) {
	start := p.i
	s, simple, ok := p.quoted(!p.scan)
	return s, ok && (simple || quoteString(s) == string(p.d[start:p.i]))
}

// value reads what follows a key's ':' in a mapping at depth: " {}", " []",
// " scalar" to the end of the line, or a line end and a nested mapping or
// list one level deeper.
func (p *canonParser) value(depth int) (any, bool) {
	if p.i >= len(p.d) {
		return nil, false
	}
	switch p.d[p.i] {
	case '\n':
		p.i++
		n := p.indentAt()
		if n != 2*(depth+1) || p.i+n >= len(p.d) {
			return nil, false
		}
		if p.d[p.i+n] == '-' {
			return p.listAt(depth + 1)
		}
		return p.mapAt(depth+1, "", false)
	case ' ':
		p.i++
		if v, ok, empty := p.emptyCollection(); empty {
			return v, ok
		}
		v, ok := p.scalar()
		return v, ok && p.eol()
	}
	return nil, false
}

// emptyCollection reads "{}\n" or "[]\n" at the cursor (empty reports that
// one was there).
func (p *canonParser) emptyCollection() (v any, ok, empty bool) {
	if p.i+2 < len(p.d) && p.d[p.i+2] == '\n' {
		switch string(p.d[p.i : p.i+2]) {
		case "{}":
			p.i += 3
			return map[string]any{}, true, true
		case "[]":
			p.i += 3
			return []any{}, true, true
		}
	}
	return nil, false, false
}

// eol reads the end of a line.
func (p *canonParser) eol() bool {
	if p.i < len(p.d) && p.d[p.i] == '\n' {
		p.i++
		return true
	}
	return false
}

// listAt reads the items of a list whose "-" lines are indented by
// 2×depth spaces.
func (p *canonParser) listAt(depth int) ([]any, bool) {
	if depth > canonMaxDepth {
		return nil, false
	}
	var l []any
	items := 0 // len(l), also when scanning
	add := func(v any) {
		if !p.scan {
			l = append(l, v)
		}
		items++
	}
	for {
		if p.i == len(p.d) {
			return l, items > 0
		}
		n := p.indentAt()
		if n < 2*depth {
			return l, items > 0
		}
		if n != 2*depth || p.i+n >= len(p.d) || p.d[p.i+n] != '-' {
			return nil, false
		}
		p.i += n + 1
		if p.i >= len(p.d) {
			return nil, false
		}
		switch p.d[p.i] {
		case '\n': // a nested list
			p.i++
			v, ok := p.listAt(depth + 1)
			if !ok {
				return nil, false
			}
			add(v)
			continue
		case ' ':
			p.i++
		default:
			return nil, false
		}
		if v, ok, empty := p.emptyCollection(); empty {
			if !ok {
				return nil, false
			}
			add(v)
			continue
		}
		// A scalar, or a mapping whose first key is on the dash line.
		if p.i >= len(p.d) {
			return nil, false
		}
		c := p.d[p.i]
		var head any
		var key string
		isKey, known := false, false
		if k, ok := p.knownKey(); ok {
			key, isKey, known = k, true, true
		}
		switch {
		case known:
		case c == '"':
			start := p.i
			s, simple, ok := p.quoted(!p.scan)
			if !ok {
				return nil, false
			}
			raw := string(p.d[start:p.i])
			if isKey = p.i < len(p.d) && p.d[p.i] == ':'; isKey {
				if simple && p.scan {
					s = raw[1 : len(raw)-1] // not built above; no escape in it
				}
				if ok = len(raw) <= maxImplicitKey && yamlKey(s) == raw; ok {
					p.remember(p.d[start:p.i], s)
				}
			} else {
				ok = simple || quoteString(s) == raw
			}
			if !ok {
				return nil, false
			}
			head, key = s, s
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
			start := p.i
			k, ok := p.plainKey()
			if !ok {
				return nil, false
			}
			if p.i < len(p.d) && p.d[p.i] == ':' {
				if yamlKey(k) != k {
					return nil, false
				}
				p.remember(p.d[start:p.i], k)
				key, isKey = k, true
			} else {
				p.i = start
				v, ok := p.scalar()
				if !ok {
					return nil, false
				}
				head = v
			}
		default:
			v, ok := p.scalar()
			if !ok {
				return nil, false
			}
			head = v
		}
		if isKey {
			m, ok := p.mapAt(depth+1, key, true)
			if !ok {
				return nil, false
			}
			add(m)
			continue
		}
		if !p.eol() {
			return nil, false
		}
		add(head)
	}
}

// scalar reads null, true, false, a JSON number or a double-quoted string,
// leaving the cursor after it.
func (p *canonParser) scalar() (any, bool) {
	if p.i >= len(p.d) {
		return nil, false
	}
	if p.d[p.i] == '"' {
		return p.str()
	}
	start := p.i
	for p.i < len(p.d) && p.d[p.i] != '\n' {
		p.i++
	}
	tok := p.d[start:p.i]
	switch string(tok) {
	case "null":
		return nil, true
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if !isJSONNumber(tok) {
		return nil, false
	}
	// YAML reads a number that does not fit a float64 ("1e400") as a
	// string: left to the YAML parser.
	if _, err := strconv.ParseFloat(string(tok), 64); err != nil {
		return nil, false
	}
	if p.scan {
		return nil, true
	}
	return json.Number(tok), true
}

// isJSONNumber: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(b []byte) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// quoted reads a double-quoted string with the escapes quoteString writes
// (\" \\ \n \r \t \b \f \uXXXX \UXXXXXXXX); any other escape, or a line
// break inside, is left to the YAML parser. simple: the string holds only
// printable ASCII and no escape, so quoteString writes it as it is here.
// Without need, a simple string is checked but not built (s is "").
func (p *canonParser) quoted(need bool) (s string, simple, ok bool) {
	p.i++ // the opening quote
	start := p.i
	simple = true
	for p.i < len(p.d) {
		c := p.d[p.i]
		switch {
		case c == '"':
			s := ""
			if need || !simple {
				s = string(p.d[start:p.i])
			}
			p.i++
			return s, simple, true
		case c == '\\':
			s, ok := p.quotedEscaped(start)
			return s, false, ok
		case c == '\n':
			return "", false, false
		case c < 0x20 || c >= 0x7f:
			simple = false
		}
		p.i++
	}
	return "", false, false
}

func (p *canonParser) quotedEscaped(start int) (string, bool) {
	buf := append([]byte(nil), p.d[start:p.i]...)
	for p.i < len(p.d) {
		c := p.d[p.i]
		switch c {
		case '"':
			p.i++
			return string(buf), true
		case '\n':
			return "", false
		case '\\':
		default:
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.d) {
			return "", false
		}
		e := p.d[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\':
			buf = append(buf, e)
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'u', 'U':
			n := 4
			if e == 'U' {
				n = 8
			}
			if p.i+n > len(p.d) {
				return "", false
			}
			r, err := strconv.ParseUint(string(p.d[p.i:p.i+n]), 16, 32)
			if err != nil {
				return "", false
			}
			p.i += n
			buf = utf8.AppendRune(buf, rune(r))
		default:
			return "", false
		}
	}
	return "", false
}
