package importer

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// A group lifecycle (expiration) policy is export-only: Graph writes it
// only with Directory.ReadWrite.All. A restore never writes it: one the
// tenant holds as at REV is not mentioned, one changed or gone is listed
// with the kind's reason (what to set by hand), and one live but not at
// REV is listed, never deleted. No request is planned for the kind.
func TestExportOnlyGroupLifecyclePolicy(t *testing.T) {
	whenShortOnly(t, "group-lifecycle-policies")
	const coll = "/v1.0/groupLifecyclePolicies"
	e := newEnv(t, graphsim.Options{}, nil)
	k, _ := layout.Lookup("group-lifecycle-policies")
	if k.ExportOnly == "" {
		t.Fatal("group lifecycle policies are not export-only in the catalog")
	}
	sel := []string{"policies/group-lifecycle"}
	pols := e.list(coll)
	if len(pols) != 1 {
		t.Fatalf("the demo tenant holds %d group lifecycle policies, want 1", len(pols))
	}
	id := str(pols[0]["id"])

	noWrites := func(p *Plan) {
		t.Helper()
		for _, a := range p.Actions {
			if a.Kind == k.Name {
				t.Errorf("the plan writes an export-only kind: %s %s", a.Request.Method, a.Request.Path)
			}
		}
	}
	managed := func(p *Plan) map[string]string {
		out := map[string]string{}
		for _, m := range p.Managed {
			if m.Kind == k.Name {
				if m.By != exportOnlyBy || !strings.HasSuffix(m.Reason, k.ExportOnly) {
					t.Errorf("%s listed as managed by %q: %q", m.Key, m.By, m.Reason)
				}
				out[m.Key] = m.Reason
			}
		}
		return out
	}

	// Unchanged: nothing to do, nothing to say.
	p := e.plan(e.first, sel, Options{})
	noWrites(p)
	if m := managed(p); len(m) != 0 || !p.Empty() {
		t.Errorf("unchanged policy listed: %v\n%s", m, render(p))
	}

	// Changed: listed with the reason, not PATCHed.
	e.do("PATCH", coll+"/"+id, map[string]any{"groupLifetimeInDays": 180})
	e.recordIncident()
	p = e.plan(e.first, sel, Options{})
	noWrites(p)
	if m := managed(p); len(m) != 1 || !strings.Contains(m[id], "differs") {
		t.Errorf("changed policy: %v\n%s", m, render(p))
	}
	if out := render(p); !strings.Contains(out, "Directory.ReadWrite.All") || !strings.Contains(out, "Groups > Expiration") {
		t.Errorf("the plan does not say why and what to do:\n%s", out)
	}

	// Replaced: the old one is not created, the new one not deleted.
	e.do("DELETE", coll+"/"+id, nil)
	e.do("POST", coll, map[string]any{"groupLifetimeInDays": 30, "managedGroupTypes": "All"})
	e.recordIncident()
	p = e.plan(e.first, sel, Options{})
	noWrites(p)
	m := managed(p)
	if len(m) != 2 || !strings.Contains(m[id], "not in the tenant") {
		t.Errorf("replaced policy: %v\n%s", m, render(p))
	}
	for key, why := range m {
		if key != id && !strings.Contains(why, "never deleted") {
			t.Errorf("the new policy %s: %q", key, why)
		}
	}
	if after := e.list(coll); len(after) != 1 || str(after[0]["groupLifetimeInDays"]) == "365" {
		t.Errorf("the tenant's policies after planning: %v", after)
	}
}

// Organizational contacts are export-only (Graph reads them only): a
// contact added since REV is listed with the reason, never deleted, and an
// unchanged one is not mentioned.
func TestExportOnlyOrganizationalContacts(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	sel := []string{"contacts"}
	if p := e.plan(e.first, sel, Options{}); !p.Empty() || len(p.Managed) != 0 {
		t.Fatalf("unchanged contacts:\n%s", render(p))
	}
	id, err := e.sim.Tenant().Seed("orgContact", map[string]any{"displayName": "Added \u202eLater", "mail": "later@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	p := e.plan(e.first, sel, Options{})
	if !p.Empty() || len(p.Managed) != 1 || p.Managed[0].Key != id || !strings.Contains(p.Managed[0].Reason, "never deleted") ||
		!strings.Contains(p.Managed[0].Reason, "Exchange Online") {
		t.Errorf("a contact not at REV: %+v\n%s", p.Managed, render(p))
	}
}
