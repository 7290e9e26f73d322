package layout

import "testing"

func TestYAMLLines(t *testing.T) {
	y := NewLines([]byte("a:\n  b:\n    - x\n    - y\n  \"@odata.type\": z\nc: 1\n"))
	for path, want := range map[string]int{"a": 1, "a.b": 2, "a.b[1]": 4, "a.@odata.type": 5, "c": 6, "a.b[9]": 2, "a.missing": 1, "none": 0} {
		if got := y.Of(path); got != want {
			t.Errorf("Of(%q) = %d, want %d", path, got, want)
		}
	}
}
