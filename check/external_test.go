package check

import (
	"strings"
	"testing"
)

// A user flow names custom attributes by extension_{app}_{Name}, a key
// that is not a GUID: it resolves as written; a built-in attribute (no
// extension_ prefix) is not backed up and names nothing; a missing custom
// attribute is a dangling reference.
func TestUserFlowReferencesResolve(t *testing.T) {
	r := newCheckRepo(t)
	const attr = "extension_d09380e2b4c642b9a203fb816a04a7ad_Hobby"
	pa, a := objectFile(t, kind(t, "user-flow-attributes"), map[string]any{"id": attr, "displayName": "Hobby", "dataType": "string", "userFlowAttributeType": "custom"})
	assign := func(id string) map[string]any {
		return map[string]any{"id": id, "displayName": id, "isOptional": false, "requiresVerification": false, "userInputType": "textBox", "userAttributeValues": []any{}}
	}
	flow := map[string]any{"id": "B2X_1_Partner", "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": 1,
		"userAttributeAssignments": []any{assign("email"), assign(attr)}}
	pf, f := objectFile(t, kind(t, "user-flows"), flow)
	rep := checkSnapshot(t, r, map[string][]byte{pa: a, pf: f}, "snapshot/1")
	if !rep.OK || rep.Errors != 0 || rep.Warnings != 0 {
		t.Fatalf("a user flow naming what the snapshot holds: %+v", rep.Snapshots[0].Issues)
	}
	rep = checkSnapshot(t, r, map[string][]byte{pf: f,
		ManifestPath: manifest(map[string]int{"user-flows": 1, "user-flow-attributes": 0})}, "snapshot/2")
	if is := rep.Snapshots[0].Issues; rep.Errors != 1 || len(is) != 1 || is[0].Property != "userAttributeAssignments[1].id" || !strings.HasPrefix(is[0].Message, attr+" names no object") {
		t.Errorf("a user flow naming a gone attribute: %+v", is)
	}
}
