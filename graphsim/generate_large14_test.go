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

// TestGenerateLargeFewUsers: the large profile builds below its 150-user
// demo default, whatever the other sizes. With few users and groups of 50
// members nearly every user is a member of every group, and the PIM for
// Groups principals walk came back to the user it had just made eligible:
// `entrasnap graphsim --profile large --users 50` failed with
// "RoleAssignmentExists". Each governed group's eligible principals are
// now distinct and none is a direct member.
func TestGenerateLargeFewUsers(t *testing.T) {
	sizes := []int{3, 12, 50, 100, 149}
	if testing.Short() {
		sizes = []int{100} // the case that failed; the race phase runs -short
	}
	for _, users := range sizes {
		// Seed 1 (the CLI's default) with 100 users and 500 groups of 50
		// failed so.
		sz := Sizes{Users: users, Groups: 500, MembersPerGroup: 50, Apps: 3, CAPolicies: 2}
		tn := genServer(t, Options{Profile: "large", Seed: 1, Sizes: sz}).Tenant()
		if n := tn.Count("user"); n != users {
			t.Errorf("%d users: the tenant holds %d", users, n)
		}
		seen := map[string]bool{}
		for _, e := range tn.List(pgEligKind) {
			gid, p := str(e["groupId"]), str(e["principalId"])
			if seen[gid+"/"+p] {
				t.Errorf("%d users: %s eligible twice in group %s", users, p, gid)
			}
			seen[gid+"/"+p] = true
			if containsFold(tn.Links("group", gid, "members"), p) {
				t.Errorf("%d users: eligible %s is a direct member of %s", users, p, gid)
			}
		}
		if users >= 50 && len(seen) == 0 {
			t.Errorf("%d users: no PIM for Groups eligibility", users)
		}
		genCheckIntegrity(t, tn)
	}
}
