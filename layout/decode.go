package layout

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// DecodeError is a problem in a YAML file, with the line it is on.
type DecodeError struct {
	Line int
	Path string // dotted property path, "" at the top
	Msg  string
}

func (e *DecodeError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Path, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// Decode reads a YAML object file strictly into JSON values (json.Number for
// numbers): duplicate keys, anchors and aliases, tags, and plain scalars that
// YAML 1.1 would read as booleans (yes/no/on/off) are errors, so a hand-edited
// file means what it looks like.
func Decode(data []byte) (map[string]any, error) {
	if m, ok := decodeCanonical(data); ok {
		return m, nil // a file as entrasnap writes it (decode_canonical.go)
	}
	return decodeYAML(data)
}

// decodeYAML is Decode through the YAML parser, for any file.
func decodeYAML(data []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
			msg = strings.TrimSpace(msg[strings.IndexByte(msg, ':')+1:])
		}
		if line == 0 {
			// The reader's errors carry no line: find the character.
			if l, r, ok := firstUnprintable(data); ok {
				line = l
				if r == utf8.RuneError {
					msg = "the file is not valid UTF-8"
				} else {
					msg = fmt.Sprintf("character %U is not allowed in a YAML file: write it as \\u%04x inside a double-quoted string", r, r)
				}
			}
		}
		return nil, &DecodeError{Line: line, Msg: msg}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &DecodeError{Line: 1, Msg: "empty file: an object file holds one YAML mapping"}
	}
	v, err := nodeValue(doc.Content[0], "")
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &DecodeError{Line: doc.Content[0].Line, Msg: "the file must hold a mapping (key: value lines) at the top"}
	}
	return m, nil
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

func nodeValue(n *yaml.Node, path string) (any, error) {
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return nil, &DecodeError{Line: n.Line, Path: path, Msg: "anchors and aliases are not allowed"}
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			if kn.Kind != yaml.ScalarNode {
				return nil, &DecodeError{Line: kn.Line, Path: path, Msg: "keys must be strings"}
			}
			key := kn.Value
			if _, dup := m[key]; dup {
				return nil, &DecodeError{Line: kn.Line, Path: joinPath(path, key), Msg: "duplicate key"}
			}
			v, err := nodeValue(vn, joinPath(path, key))
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, e := range n.Content {
			v, err := nodeValue(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		return scalarValue(n, path)
	}
	return nil, &DecodeError{Line: n.Line, Path: path, Msg: "unsupported YAML node"}
}

func scalarValue(n *yaml.Node, path string) (any, error) {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Value, nil
	}
	switch n.Tag {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch n.Value {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, &DecodeError{Line: n.Line, Path: path, Msg: fmt.Sprintf("%q is ambiguous: write true or false, or quote it", n.Value)}
	case "!!int", "!!float":
		if _, err := strconv.ParseFloat(n.Value, 64); err != nil || !json.Valid([]byte(n.Value)) {
			return nil, &DecodeError{Line: n.Line, Path: path, Msg: fmt.Sprintf("%q is not a JSON number: quote it if it is text", n.Value)}
		}
		return json.Number(n.Value), nil
	case "!!str":
		switch strings.ToLower(n.Value) {
		case "yes", "no", "on", "off", "y", "n":
			return nil, &DecodeError{Line: n.Line, Path: path, Msg: fmt.Sprintf("%q is ambiguous (a boolean in YAML 1.1): write true or false, or quote it", n.Value)}
		}
		return n.Value, nil
	}
	return nil, &DecodeError{Line: n.Line, Path: path, Msg: fmt.Sprintf("tag %s is not allowed", n.Tag)}
}

// firstUnprintable finds the first character YAML does not allow in a file
// (the set yaml.v3's reader refuses) and its line.
func firstUnprintable(data []byte) (line int, r rune, ok bool) {
	line = 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return line, r, true
		}
		if r == '\n' {
			line++
		}
		if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7e || r == 0x85 ||
			r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff) {
			if !(i == 0 && r == 0xfeff) {
				return line, r, true
			}
		}
		i += size
	}
	return 0, 0, false
}
