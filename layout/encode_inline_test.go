package layout

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestListMapsEncodeInPlace: a list's maps are written straight into the
// file (no buffer of their own a member, issue 12) with the bytes the
// buffered way wrote: the first key on the dash line, long keys in the
// explicit "? key" form, keys that read as bools or null quoted in any case.
func TestListMapsEncodeInPlace(t *testing.T) {
	long := strings.Repeat("k", maxImplicitKey+1)
	var items []any
	for _, k := range []string{"id", long, "Yes", "NULL", "oN", "nO", "y", "Y2", "yes_", "@odata.type", "", "a b", "true"} {
		items = append(items,
			map[string]any{k: "v", "z": []any{map[string]any{k: json.Number("1"), "b": map[string]any{}}, []any{}, map[string]any{}}},
			map[string]any{k: []any{map[string]any{"x": nil}}})
	}
	got := Encode(map[string]any{"list": items})
	// The buffered way, for reference: each list map encoded apart, its
	// leading indentation cut.
	var want bytes.Buffer
	want.WriteString("list:\n")
	var ref func(b *bytes.Buffer, l []any, depth int)
	ref = func(b *bytes.Buffer, l []any, depth int) {
		for _, e := range l {
			indent(b, depth)
			b.WriteString("-")
			switch x := e.(type) {
			case map[string]any:
				if len(x) == 0 {
					b.WriteString(" {}\n")
					continue
				}
				var inner bytes.Buffer
				for _, line := range strings.SplitAfter(string(Encode(x)), "\n") {
					if line != "" {
						indent(&inner, depth+1)
						inner.WriteString(line)
					}
				}
				b.WriteByte(' ')
				b.Write(bytes.TrimLeft(inner.Bytes(), " "))
			case []any:
				if len(x) == 0 {
					b.WriteString(" []\n")
					continue
				}
				b.WriteByte('\n')
				ref(b, x, depth+1)
			}
		}
	}
	ref(&want, items, 1)
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("got:\n%.2000s\nwant:\n%.2000s", got, want.Bytes())
	}
	for _, k := range []string{"Yes", "NULL", "oN", "true", "Off", "N"} {
		if yamlKey(k) != `"`+k+`"` {
			t.Errorf("key %q written %s", k, yamlKey(k))
		}
	}
	for _, k := range []string{"Y2", "yes_", "nul", "trueish", "id"} {
		if yamlKey(k) != k {
			t.Errorf("key %q written %s", k, yamlKey(k))
		}
	}
}
