package importer

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/live"
)

// countWrites wraps h and counts the non-GET requests whose path holds part.
func countWrites(n *atomic.Int64, part string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && strings.Contains(r.URL.Path, part) {
				n.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}
}

// A tenant that lost P2: PIM is not licensed. The plan lists the selected
// PIM kind as not licensed instead of actions (never "create" for objects
// it cannot see), other kinds are planned as usual, and apply sends no PIM
// request.
func TestRestoreDoesNotTryANotLicensedKind(t *testing.T) {
	var pimWrites atomic.Int64
	e := newEnv(t, graphsim.Options{}, countWrites(&pimWrites, "roleEligibility"))
	atREV := len(e.list("/v1.0/roleManagement/directory/roleEligibilitySchedules"))
	if atREV == 0 {
		t.Fatal("the demo tenant has no PIM eligibility")
	}
	g, _ := e.groupWithMembers(1)
	e.do("PATCH", "/v1.0/groups/"+str(g["id"]), map[string]any{"description": "changed in the incident"})
	if err := e.sim.SetLicence(graphsim.LicenceP1); err != nil {
		t.Fatal(err)
	}
	p := e.plan(e.first, []string{"role-eligibility-schedules", str(g["id"])}, Options{})
	if len(p.NotLicensed) != 1 || p.NotLicensed[0].Kind != "role-eligibility-schedules" ||
		p.NotLicensed[0].Licence != live.LicenceP2 || p.NotLicensed[0].Objects != atREV {
		t.Fatalf("plan.NotLicensed = %+v\n%s", p.NotLicensed, render(p))
	}
	for _, a := range p.Actions {
		if a.Kind == "role-eligibility-schedules" {
			t.Errorf("action on a not-licensed kind: %+v", a)
		}
	}
	if opList(p) != "update" {
		t.Errorf("ops %q, want the group's update only:\n%s", opList(p), render(p))
	}
	out := render(p)
	if !strings.Contains(out, "Not licensed in this tenant") || !strings.Contains(out, "PIM role eligibility schedules: not licensed in this tenant, needs Microsoft Entra ID P2") {
		t.Errorf("render:\n%s", out)
	}
	if p.Settled() {
		t.Error("a plan with a not-licensed kind is Settled")
	}
	pimWrites.Store(0)
	res := e.apply(p)
	if !res.Complete() {
		t.Errorf("apply: %+v", res.Actions)
	}
	if n := pimWrites.Load(); n != 0 {
		t.Errorf("apply sent %d PIM writes to a tenant not licensed for PIM", n)
	}

	// A whole-kind selection with nothing at REV still says why.
	p = e.plan(e.first, []string{"role-eligibility-schedules"}, Options{})
	if len(p.NotLicensed) != 1 || !p.Empty() {
		t.Errorf("plan of the kind alone: %+v\n%s", p.NotLicensed, render(p))
	}
}

// Conditional Access without P1: Graph reads the policies but refuses
// writes (403 "not licensed"). Apply names the licence on the refused
// write and sends no further Conditional Access write.
func TestApplyNamesAMissingConditionalAccessLicence(t *testing.T) {
	var caWrites atomic.Int64
	e := newEnv(t, graphsim.Options{}, countWrites(&caWrites, "conditionalAccess/policies"))
	pols := e.list("/v1.0/identity/conditionalAccess/policies")
	if len(pols) < 3 {
		t.Fatalf("%d policies", len(pols))
	}
	var sel []string
	for _, pol := range pols[:3] {
		id := str(pol["id"])
		e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+id, map[string]any{"displayName": "renamed " + id})
		sel = append(sel, id)
	}
	if err := e.sim.SetLicence(graphsim.LicenceFree); err != nil {
		t.Fatal(err)
	}
	p := e.plan(e.first, sel, Options{CAState: CAStateAsIs})
	if len(p.Actions) != 3 {
		t.Fatalf("plan:\n%s", render(p))
	}
	caWrites.Store(0)
	o := e.applyOpts()
	o.Parallel = 1 // one write at a time: the first refusal stops the rest
	res, err := Apply(context.Background(), p, o)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if res.Complete() {
		t.Fatal("apply reports complete on a tenant that refused every write")
	}
	failed, skipped := 0, 0
	for _, a := range res.Actions {
		switch a.Status {
		case StatusFailed:
			failed++
			if !strings.Contains(a.Error, "not licensed for Conditional Access policies (needs Microsoft Entra ID P1)") {
				t.Errorf("failed action does not name the licence: %s", a.Error)
			}
		case StatusSkipped:
			skipped++
			if !strings.Contains(a.Error, "not attempted: the tenant is not licensed for Conditional Access policies") {
				t.Errorf("skipped action: %s", a.Error)
			}
		default:
			t.Errorf("action %s: %s", a.ID, a.Status)
		}
	}
	if failed != 1 || skipped != 2 || caWrites.Load() != 1 {
		t.Errorf("%d failed, %d skipped, %d writes sent; want 1, 2, 1", failed, skipped, caWrites.Load())
	}
}
