package exporter

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// Policy assignments are exported in the policies' files (appliesTo, read
// per policy with exactly the export permissions), and an incremental
// export after assignments change, an assigned application is deleted and
// a new one with a hostile name is assigned equals a full export.
func TestIncrementalExportPolicyAssignments(t *testing.T) {
	// The policies with assignments (appliesTo) and what they apply to.
	whenShortOnly(t, "applications", "service-principals", "token-lifetime-policies", "claims-mapping-policies",
		"token-issuance-policies", "home-realm-discovery-policies", "activity-based-timeout-policies", "app-management-policies")
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 60, Groups: 8, Apps: 10}})
	srv := newServer(t, sim)
	admin := clientFor(t, sim, srv, sim.Token())
	tok := sim.Tenant()
	c := clientFor(t, sim, srv, limitedToken(t, sim, admin, srv.URL, layout.ExportPermissions(layout.Kinds())...))
	inc := newRepo(t, false)
	first := mustExport(t, c, inc, nil)
	if !first.Complete() {
		t.Fatalf("first export with exactly the export permissions: %+v", first.Incomplete())
	}
	ch := &changer{t: t, c: admin, sim: sim}
	tlID := ""
	for _, p := range tok.List("tokenLifetimePolicy") {
		tlID = p["id"].(string)
	}
	var assigned []string
	for _, m := range asList(ch.do("GET", "/v1.0/policies/tokenLifetimePolicies/"+tlID+"/appliesTo", nil)["value"]) {
		mm := m.(map[string]any)
		if mm["@odata.type"] == "#microsoft.graph.application" {
			assigned = append(assigned, mm["id"].(string))
		}
	}
	if tlID == "" || len(assigned) == 0 {
		t.Fatalf("the tenant's token lifetime policy %q applies to no application", tlID)
	}
	file := policyFile(t, tree(t, inc, "HEAD"), tlID)
	for _, id := range assigned {
		if !strings.Contains(file, id) {
			t.Errorf("the token lifetime policy's file does not name %s:\n%s", id, file)
		}
	}
	// Changes: the assigned application deleted; a new one (hostile name)
	// assigned; the claims mapping policy taken from its service principal.
	ch.do("DELETE", "/v1.0/applications/"+assigned[0], nil)
	app := ch.do("POST", "/v1.0/applications", map[string]any{"displayName": "Evil \x1b[31m\u202eeman\r\nnext\xff app"})
	ch.do("POST", "/v1.0/applications/"+app["id"].(string)+"/tokenLifetimePolicies/$ref",
		map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/policies/tokenLifetimePolicies/" + tlID})
	for _, p := range tok.List("claimsMappingPolicy") {
		for _, m := range asList(ch.do("GET", "/v1.0/policies/claimsMappingPolicies/"+p["id"].(string)+"/appliesTo", nil)["value"]) {
			ch.do("DELETE", "/v1.0/servicePrincipals/"+m.(map[string]any)["id"].(string)+"/claimsMappingPolicies/"+p["id"].(string)+"/$ref", nil)
		}
	}
	res := mustExport(t, c, inc, nil)
	if !res.Complete() {
		t.Fatalf("incremental export: %+v", res.Incomplete())
	}
	full := newRepo(t, true)
	mustExport(t, c, full, nil)
	got := tree(t, inc, "HEAD")
	sameTree(t, "after assignment changes", got, tree(t, full, "HEAD"))
	file = policyFile(t, got, tlID)
	if strings.Contains(file, assigned[0]) || !strings.Contains(file, app["id"].(string)) {
		t.Errorf("after the changes the token lifetime policy's file is:\n%s", file)
	}
	if ps, err := check.Problems(context.Background(), inc.Path()); err != nil || len(ps) > 0 {
		t.Errorf("check: %v %v", ps, err)
	}
}

// policyFile is the file of the policy with id in a snapshot tree.
func policyFile(t *testing.T, files map[string][]byte, id string) string {
	t.Helper()
	var paths []string
	for p := range files {
		if strings.HasPrefix(p, "policies/") && strings.Contains(p, id) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	if len(paths) != 1 {
		t.Fatalf("files of policy %s: %v", id, paths)
	}
	return string(files[paths[0]])
}
