package layout

import "testing"

// KindOf: an object file names its kind (object), a file below a kind's
// folder only its kind, anything else none.
func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		path       string
		kind       string
		object, ok bool
	}{
		{"groups/3f/finance.3f2a0b1c-1111-4000-8000-000000000001.yaml", "groups", true, true},
		{"groups/finance.yaml", "groups", false, true},
		{"conditional-access/policies/notes.txt", "conditional-access-policies", false, true},
		{"README.md", "", false, false},
	} {
		k, object, ok := KindOf(tc.path)
		name := ""
		if k != nil {
			name = k.Name
		}
		if name != tc.kind || object != tc.object || ok != tc.ok {
			t.Errorf("KindOf(%q) = %q, %v, %v; want %q, %v, %v", tc.path, name, object, ok, tc.kind, tc.object, tc.ok)
		}
	}
}
