package graphsim

import (
	"strings"
	"testing"
)

// The large profile's lifecycle workflows, at the most it makes (Graph's 50,
// which the 100,000-user profile reaches), are created through the same
// code and create hook as in a full build, on a tiny large-profile tenant
// (too small for largeCoverage14, so it holds no workflow yet): every
// workflow gets its own id and name. Two offices in one country once made
// the same population, so the same derived id, twice, and the 100,000-user
// build failed with "identityGovernance.workflow ... exists".
func TestLargeWorkflowsAtTheTenantMaximum(t *testing.T) {
	opts := Options{Profile: "large", Seed: 5, Sizes: Sizes{Users: 8, Groups: 12, MembersPerGroup: 2, Apps: 1, CAPolicies: 1}}
	s := genServer(t, opts)
	tn := s.Tenant()
	if n := tn.Count(lcwWorkflowKind); n != 0 {
		t.Fatalf("the tiny tenant holds %d workflows already", n)
	}
	var security []string
	for _, grp := range tn.List("group") {
		if !isUnified(grp) && !isDynamic(grp) {
			security = append(security, str(grp["id"]))
		}
	}
	if len(security) == 0 {
		t.Fatal("no security group to name in the tasks")
	}
	if n := largeWorkflowCount(100_000); n != lcwMaxWorkflows {
		t.Fatalf("the 100,000-user profile makes %d workflows, want Graph's maximum %d", n, lcwMaxWorkflows)
	}
	g := newGenerator(tn, s.opts, s.clock)
	g.strict = false // as large() runs
	if !g.largeWorkflows(largeWorkflowCount(100_000), security) || g.err != nil {
		t.Fatalf("largeWorkflows: %v", g.err)
	}
	wfs := tn.List(lcwWorkflowKind)
	if len(wfs) != lcwMaxWorkflows {
		t.Fatalf("%d workflows, want %d", len(wfs), lcwMaxWorkflows)
	}
	names := map[string]bool{}
	scopes := map[string]bool{}
	for _, w := range wfs {
		name := str(w["displayName"])
		if names[strings.ToLower(name)] {
			t.Errorf("two workflows named %q", name)
		}
		names[strings.ToLower(name)] = true
		cond, _ := w["executionConditions"].(map[string]any)
		scope, _ := cond["scope"].(map[string]any)
		key := str(w["category"]) + " " + str(scope["rule"])
		if scopes[key] {
			t.Errorf("two %s", key)
		}
		scopes[key] = true
	}

	// Every population is listed once, whatever the offices.
	seen := map[string]bool{}
	for _, p := range largeWorkflowPopulations() {
		if seen[p.scope] || seen[p.where] {
			t.Errorf("population %q (%s) listed twice", p.where, p.scope)
		}
		seen[p.scope], seen[p.where] = true, true
	}
	if n := largeWorkflowCount(1 << 30); n > 2*len(largeWorkflowPopulations()) || n > lcwMaxWorkflows {
		t.Errorf("largeWorkflowCount of a huge tenant is %d", n)
	}
}
