package importer

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/internal/golden"
)

// A plan with a create, a member link, a remapped policy update, a
// reference left at an old id and a removal, whose names are hostile
// (newline, CR, ESC, bidi override), is pinned byte for byte: the text
// without and with requests, and the JSON plan file. The input is plain
// values with a fixed clock, so nothing in it varies between runs.
func TestPlanGolden(t *testing.T) {
	g := group(t, gA, "Break glass\n\u202eevil", uA)
	pol := policy(t, pA, "Require MFA \x1b[31mred", "enabled", strs(gA), strs())
	other := policy(t, pB, "Other\r~ update", "enabled", strs(gA), strs())
	stale := obj(t, "groups", gB, map[string]any{"displayName": "Temp\x1b[2K\r  \x1b[33m~ update\x1b[0m Keep \u202eevil", "securityEnabled": true,
		"mailEnabled": false, "mailNickname": "temp"})
	in := input([]*Object{g, pol}, []*Object{pol, stale}, func(in *Input) {
		in.Others = []*Object{other}
		in.Options.CAState = CAStateAsIs
		in.Selectors = []string{"groups", "conditional-access/policies/Require MFA \x1b[31mred"}
		in.Selection.Kinds = []string{"groups"}
		in.Tool = "entrasnap (test)"
	})
	delete(in.Live["groups"], gA)
	p := compute(t, in)
	for _, o := range []RenderOptions{{}, {Requests: true}} {
		var b bytes.Buffer
		if err := p.Render(&b, o); err != nil {
			t.Fatal(err)
		}
		name := "plan.txt"
		if o.Requests {
			name = "plan-requests.txt"
		}
		golden.Check(t, name, b.Bytes())
	}
	if len(p.ID) != 32 {
		t.Errorf("plan id %q, want 32 random hex digits", p.ID)
	}
	p.ID = "" // random: the golden file has none (a plan saved before ids still decodes)
	js, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "plan.json", js)
}

// A plan saved by an earlier entrasnap (the golden plan file, written
// before plan modes and change actions were typed) decodes and encodes to
// the same bytes: the types changed, the format did not.
func TestSavedPlanStillDecodes(t *testing.T) {
	saved, err := os.ReadFile(filepath.Join("testdata", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(saved)
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.Encode()
	if err != nil || !bytes.Equal(again, saved) {
		t.Fatalf("re-encoded plan differs (%v):\n%s", err, again)
	}
	if p.Actions[0].Changes[0].Action != diff.Added {
		t.Errorf("first change %q, want %q", p.Actions[0].Changes[0].Action, diff.Added)
	}
}
