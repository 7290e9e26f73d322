package diff

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// FuzzLoadCompareRender: any two versions of a file load (or fail naming
// the file), compare and render as text, markdown and JSON without panicking,
// and the JSON is valid.
func FuzzLoadCompareRender(f *testing.F) {
	const p = "groups/3f/finance-admins.3f2a0b1c-1111-4000-8000-000000000001.yaml"
	base := "displayName: \"Finance Admins\"\nid: \"3f2a0b1c-1111-4000-8000-000000000001\"\nmembers:\n  - \"@odata.type\": \"#microsoft.graph.user\"\n    id: \"a1b2c3d4-0000-4000-8000-00000000000a\"\n"
	f.Add([]byte(base), []byte(strings.Replace(base, "Finance Admins", "Finance", 1)))
	f.Add([]byte(base), []byte(base+"description: \"x\"\n"))
	f.Add([]byte(base), []byte(strings.Replace(base, "Finance Admins", "\\u001b[31mred\\r", 1)))
	f.Add([]byte(base), []byte("displayName: [\n"))
	f.Add([]byte(""), []byte(base))
	f.Add([]byte("id: \"3f2a0b1c-1111-4000-8000-000000000001\"\n"), []byte("id: 5\n"))
	f.Fuzz(func(t *testing.T, before, after []byte) {
		if len(before) > 1<<14 || len(after) > 1<<14 {
			t.Skip()
		}
		a, errA := Load(map[string][]byte{p: before})
		b, errB := Load(map[string][]byte{p: after})
		for _, err := range []error{errA, errB} {
			if err != nil && !strings.Contains(err.Error(), p) {
				t.Fatalf("Load error does not name the file: %v", err)
			}
		}
		if errA != nil || errB != nil {
			return
		}
		r := Compare(a, b, nil)
		if err := r.Text(io.Discard, RenderOptions{Title: "a → b"}); err != nil {
			t.Fatal(err)
		}
		if err := r.Markdown(io.Discard, RenderOptions{Title: "a → b"}); err != nil {
			t.Fatal(err)
		}
		var js bytes.Buffer
		if err := r.JSON(&js); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(js.Bytes()) {
			t.Fatalf("JSON output is not valid JSON:\n%s", js.Bytes())
		}
	})
}
