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

// TestSavedNote: what restore --out says once the plan is saved: the file
// escaped and quoted for the shell, and a rehearsal's plan applied as one.
func TestSavedNote(t *testing.T) {
	const file = "my plan\u202e.json"
	for _, c := range []struct {
		p    *Plan
		want string
	}{
		{&Plan{}, `Nothing to do; the plan is saved to my plan\u202e.json.`},
		{&Plan{Actions: []Action{{}}}, `Plan saved to my plan\u202e.json. Review it, then apply exactly that plan with: entrasnap apply 'my plan\u202e.json'`},
		{&Plan{Actions: []Action{{}}, Rehearsal: "0123456789abcdef0123456789abcdef"}, `Plan saved to my plan\u202e.json. Review it, then apply exactly that plan with: entrasnap apply --rehearsal 'my plan\u202e.json'`},
	} {
		if got := c.p.SavedNote(file); got != c.want {
			t.Errorf("%+v:\n%s\nwant\n%s", c.p, got, c.want)
		}
	}
}
