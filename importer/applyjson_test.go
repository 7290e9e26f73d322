package importer

import (
	"encoding/json"
	"strings"
	"testing"
)

// restore --json --yes: one document holding the plan and the result,
// indented, with <, > and & unescaped.
func TestResultWriteJSON(t *testing.T) {
	plan := &Plan{Actions: []Action{{ID: "a1", Op: "add", Kind: "groups", Name: "R&D <core>", Relationship: "members", Target: "u1"}}}
	res := &Result{Actions: []ActionResult{{ID: "a1", Op: "add", Status: StatusDone}}, IDs: NewIDMap()}
	var b strings.Builder
	if err := res.WriteJSON(&b, plan); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "{\n  \"plan\": {") || !strings.Contains(out, `"R&D <core>"`) || !strings.HasSuffix(out, "}\n") {
		t.Errorf("JSON:\n%s", out)
	}
	var doc struct {
		Plan   *Plan
		Result *Result
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Plan == nil || doc.Result == nil || doc.Result.Actions[0].Status != StatusDone {
		t.Errorf("decoded %+v, %v", doc, err)
	}
}
