package layout

import (
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Lines finds the lines of properties in a YAML document, for problems
// found after decoding (schema, references) that name a property path.
type Lines struct{ root *yaml.Node }

// NewLines parses data; a document that does not parse has no lines (0).
func NewLines(data []byte) *Lines {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return &Lines{}
	}
	return &Lines{root: doc.Content[0]}
}

// Of returns the line of the property at a dotted path
// ("conditions.users.includeGroups[2]", "web.@odata.type"): the key's line
// for a property, the element's for an array element, and the deepest line
// found when the path goes further than the document (a missing property:
// its parent's line). 0 when nothing matches.
func (y *Lines) Of(path string) int {
	n, line, rest := y.root, 0, path
	for n != nil && rest != "" {
		if rest[0] == '[' {
			j := strings.IndexByte(rest, ']')
			if j < 0 || n.Kind != yaml.SequenceNode {
				return line
			}
			i, err := strconv.Atoi(rest[1:j])
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
			rest = strings.TrimPrefix(rest[j+1:], ".")
			continue
		}
		if n.Kind != yaml.MappingNode {
			return line
		}
		// Keys may hold dots (@odata.type): take the longest key that the
		// path continues after.
		best := -1
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if strings.HasPrefix(rest, key) && (len(rest) == len(key) || rest[len(key)] == '.' || rest[len(key)] == '[') &&
				(best < 0 || len(key) > len(n.Content[best].Value)) {
				best = i
			}
		}
		if best < 0 {
			return line
		}
		line = n.Content[best].Line
		rest = strings.TrimPrefix(rest[len(n.Content[best].Value):], ".")
		n = n.Content[best+1]
	}
	return line
}
