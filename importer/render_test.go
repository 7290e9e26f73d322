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
