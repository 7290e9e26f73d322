package check

import (
	"strings"
	"testing"
)

// A policy's appliesTo resolves against the snapshot's applications and
// service principals by the item's type: an application that is not in the
// snapshot is a dangling reference (Graph keeps assignments consistent),
// even when a service principal has that id.
func TestPolicyAppliesToResolves(t *testing.T) {
	r := newCheckRepo(t)
	const app, sp = "0a000000-0000-4000-8000-0000000000a1", "0a000000-0000-4000-8000-0000000000b1"
	pa, a := objectFile(t, kind(t, "applications"), map[string]any{"id": app, "appId": "0a000000-0000-4000-8000-0000000000c1", "displayName": "App \u202e"})
	ps, s := objectFile(t, kind(t, "service-principals"), map[string]any{"id": sp, "appId": "0a000000-0000-4000-8000-0000000000c1", "displayName": "SP"})
	pp, p := objectFile(t, kind(t, "token-lifetime-policies"), map[string]any{"id": "0a000000-0000-4000-8000-0000000000d1",
		"displayName": "8 hours\r\n", "definition": []any{"{}"}, "appliesTo": []any{
			map[string]any{"@odata.type": "#microsoft.graph.application", "id": app},
			map[string]any{"@odata.type": "#microsoft.graph.servicePrincipal", "id": sp},
			map[string]any{"@odata.type": "#microsoft.graph.application", "id": sp},
		}})
	rep := checkSnapshot(t, r, map[string][]byte{pa: a, ps: s, pp: p}, "snapshot/1")
	if rep.Errors != 1 || len(rep.Snapshots) != 1 || len(rep.Snapshots[0].Issues) != 1 {
		t.Fatalf("report: %+v", rep)
	}
	is := rep.Snapshots[0].Issues[0]
	if is.File != pp || is.Property != "appliesTo[2].id" || !strings.HasPrefix(is.Message, sp+" names no object") {
		t.Errorf("the dangling assignment: %+v", is)
	}
}
