package importer

import "testing"

// TestNothingToDo: what restore says of an empty plan: settled from a
// snapshot or from files, or with notes of what still differs.
func TestNothingToDo(t *testing.T) {
	for _, c := range []struct {
		p    *Plan
		want string
	}{
		{&Plan{}, "Nothing to do: the tenant matches the snapshot for what was selected."},
		{&Plan{Files: &Files{From: "main", To: "HEAD"}}, "Nothing to do."},
		{&Plan{Warnings: []string{"a warning"}}, "Nothing to write; read the plan's notes above for what still differs."},
		{&Plan{Files: &Files{}, Kept: []Kept{{}}}, "Nothing to write; read the plan's notes above for what still differs."},
	} {
		if got := c.p.NothingToDo(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}
