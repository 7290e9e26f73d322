package importer

import (
	"bytes"
	"strings"
	"testing"
)

// A live group whose name repaints its own deletion as a harmless update:
// the plan still reads "- delete", with the name escaped.
func TestRenderEscapesHostileNames(t *testing.T) {
	keep := obj(t, "groups", gA, map[string]any{"displayName": "Keep", "securityEnabled": true, "mailEnabled": false, "mailNickname": "keep"})
	evil := obj(t, "groups", gB, map[string]any{"displayName": "Temp\x1b[2K\r  \x1b[33m~ update\x1b[0m Keep \u202eevil", "securityEnabled": true,
		"mailEnabled": false, "mailNickname": "evil"})
	p := compute(t, input([]*Object{keep}, []*Object{keep, evil}, func(in *Input) { in.Selection.Kinds = []string{"groups"} }))
	var buf bytes.Buffer
	if err := p.Render(&buf, RenderOptions{Requests: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"\x1b", "\r", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("plan holds %q raw:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, `- delete Temp\x1b[2K\r  \x1b[33m~ update\x1b[0m Keep \u202eevil (bbbbbbbb…)`) {
		t.Errorf("the deletion is not shown as one, with the name escaped:\n%s", out)
	}
}

// A plan with nothing to write does not claim the tenant matches when it
// still has something to say (a membership left to its rule, a removal
// kept, an incomplete kind).
func TestRenderNothingToWriteIsNotAMatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Plan
		want string
	}{
		{"settled", Plan{}, "The tenant already matches the snapshot"},
		{"a warning", Plan{Warnings: []string{"group X: membership is managed by the membership rule"}}, "Nothing to write; what still differs is listed below"},
		{"a removal kept", Plan{Kept: []Kept{{Kind: "groups", Key: "k", Name: "G", Relationship: "members", Target: "t"}}}, "Nothing to write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			tc.p.Live = map[string]string{}
			if err := tc.p.Render(&b, RenderOptions{}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tc.want) {
				t.Errorf("plan renders:\n%s\nwant %q", b.String(), tc.want)
			}
			if tc.name != "settled" && strings.Contains(b.String(), "already matches") {
				t.Errorf("a plan with notes says the tenant matches:\n%s", b.String())
			}
		})
	}
}
