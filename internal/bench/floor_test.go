package bench

import (
	"math"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

func TestPagesAndUnitCost(t *testing.T) {
	for _, tc := range []struct{ n, size, want int }{{0, 999, 1}, {1, 999, 1}, {999, 999, 1}, {1000, 999, 2}, {100000, 999, 101}} {
		if got := Pages(tc.n, tc.size); got != tc.want {
			t.Errorf("Pages(%d, %d) = %d, want %d", tc.n, tc.size, got, tc.want)
		}
	}
	for _, tc := range []struct {
		base                       int
		selected, expanded, smallT bool
		want                       int
	}{
		{2, true, false, false, 1},  // GET /users?$select
		{2, false, false, false, 2}, // GET /users
		{1, true, false, false, 1},  // never below 1
		{3, false, true, false, 4},  // GET /groups/{id}/members?$expand
		{3, true, false, true, 1},   // $select and $top=10
		{5, true, true, true, 4},
	} {
		if got := UnitCost(tc.base, tc.selected, tc.expanded, tc.smallT); got != tc.want {
			t.Errorf("UnitCost(%d, %v, %v, %v) = %d, want %d", tc.base, tc.selected, tc.expanded, tc.smallT, got, tc.want)
		}
	}
}

func TestComputeFloor(t *testing.T) {
	// The large profile's shape: 100,000 users, 20,000 groups, 2,000 apps.
	f := ComputeFloor(map[string]int{"user": 100000, "group": 20000, "application": 2000, "servicePrincipal": 2004,
		"domain": 1, "directoryRole": 1})
	// users 101 pages; groups by delta 21 pages; applications 3 pages + 20
	// pages of 100 with $expand=owners (2 units each); service principals 3
	// pages + 21 pages with $expand=owners + 21 with $expand=appRoleAssignedTo;
	// administrative units, domains, directory roles, token lifetime and
	// claims mapping policies, group settings and cross-tenant partners one
	// page each (7); token issuance, home realm discovery, activity-based
	// timeout, permission grant and app management policies one page each
	// (5; a permission grant policy's two condition set reads are per
	// policy, none here); nine singletons (with the admin consent request,
	// default app management, authentication flows and device registration
	// policies); the tenant's delegated grants, one page at 2 units.
	// Then what a full read needs besides (issue 12, row a1): the users'
	// sponsors, 1,000 pages of 100 with $expand at 2 units; the
	// applications' federated identity credentials and extension
	// properties, 20 pages each at 2 units; the service principals'
	// delegated permission classifications, 21 pages; ten more
	// collections of the directory budget one page each (contacts, group
	// lifecycle policies, attribute sets, custom security attributes,
	// identity providers, user flow attributes, custom authentication
	// extensions, user flows, role management policies and their
	// assignments) and the external identities policy.
	// Then role management, entitlement management, access reviews and
	// lifecycle workflows, which graphsim charges to the same budget: eleven
	// lists (role definitions, assignments, eligibility and assignment
	// schedules; catalogs, access packages, assignment policies, connected
	// organizations; access review definitions; custom task extensions,
	// workflows), the activations' filtered list and two settings
	// singletons, one page or request each. Then authentication strength
	// policies, the authentication methods policy, the branding
	// localizations and the certificate-based authentication
	// configuration, one page or request each at 1 unit.
	want := 101 + 21 + 3 + 20*2 + 3 + 21 + 21 + 7 + 5 + 9 + 2 +
		1000*2 + 2*20*2 + 21 + 10 + 1 +
		11 + 1 + 2 +
		4
	wantReqs := want - 20 - 1 - 1000 - 2*20
	if f.Units != want || f.Requests != wantReqs {
		t.Errorf("floor = %d units in %d requests, want %d and %d\n%+v", f.Units, f.Requests, want, wantReqs, f.Lines)
	}
	if f.Lines[0].Units < f.Lines[len(f.Lines)-1].Units {
		t.Errorf("lines not sorted by units: %+v", f.Lines)
	}
	// 900 more users cost one more page of the list and nine more pages
	// of sponsors (2 units each); one more group within the last delta
	// page costs nothing.
	g := ComputeFloor(map[string]int{"user": 100899 + 1, "group": 20001, "application": 2000, "servicePrincipal": 2004, "domain": 1, "directoryRole": 1})
	if g.Units != want+1+9*2 {
		t.Errorf("floor with a 102nd user page = %d, want %d", g.Units, want+1+9*2)
	}
	// Each token lifetime and app management policy adds the read of what
	// it applies to.
	if p, e := ComputeFloor(map[string]int{"tokenLifetimePolicy": 3, "appManagementPolicy": 2}), ComputeFloor(nil); p.Units != e.Units+5 {
		t.Errorf("5 policies: %d units, empty tenant %d: want 5 more", p.Units, e.Units)
	}
	// PIM for Groups (issue 12): Graph lists the schedules only scoped to
	// one group (or one principal), so each group PIM can govern costs one
	// list per kind, 1 unit each; the large profile governs 19,900 of its
	// 20,000 groups. Groups PIM cannot govern add nothing.
	pim := ComputeFloor(map[string]int{"user": 100000, "group": 20000, "application": 2000, "servicePrincipal": 2004,
		"domain": 1, "directoryRole": 1, PIMGovernableGroups: 19900})
	if pim.Units != want+2*19900 || pim.Requests != wantReqs+2*19900 {
		t.Errorf("floor with 19,900 governed groups = %d units in %d requests, want %d and %d", pim.Units, pim.Requests, want+2*19900, wantReqs+2*19900)
	}
	var pimLines int
	for _, l := range pim.Lines {
		if strings.HasPrefix(l.Read, "GET /identityGovernance/privilegedAccess/group/") {
			pimLines++
			if l.Requests != 19900 || l.UnitCost != 1 || !strings.Contains(l.Read, "$filter=groupId eq") {
				t.Errorf("PIM for Groups line: %+v", l)
			}
		}
	}
	if pimLines != 2 {
		t.Errorf("%d PIM for Groups lines, want 2 (eligibility and assignment schedules): %+v", pimLines, pim.Lines)
	}
	if pim.Lines[0].Units != 19900 {
		t.Errorf("the largest line is %+v, want a PIM for Groups schedules line", pim.Lines[0])
	}
	// A catalog adds its resources' read, an access package its GET with
	// $expand (2 units), a connected organization its two sponsor lists, a
	// workflow its tasks' read; their lists stay one page.
	gov := ComputeFloor(map[string]int{"accessPackageCatalog": 3, "accessPackage": 2, "connectedOrganization": 1, "identityGovernance.workflow": 4})
	if e := ComputeFloor(nil); gov.Units != e.Units+3+2*2+2+4 || gov.Requests != e.Requests+3+2+2+4 {
		t.Errorf("governance parents: %d units in %d requests, empty tenant %d in %d: want 13 units and 11 requests more", gov.Units, gov.Requests, e.Units, e.Requests)
	}
	// Authentication policies, branding and certificate-based
	// authentication cost 1 unit a read (graphsim charges them to the
	// directory budget); a strength's combinationConfigurations are
	// Conditional Access's: nothing.
	units := map[string]int{}
	for _, l := range ComputeFloor(nil).Lines {
		units[l.Read] = l.Units
	}
	for read, want := range map[string]int{
		"GET /policies/authenticationStrengthPolicies?$select=…&$top=999":                                1,
		"GET /policies/authenticationMethodsPolicy":                                                      1,
		"GET /organization/{id}/branding/localizations?$select=…&$top=999":                               1,
		"GET /organization/{id}/certificateBasedAuthConfiguration?$select=…&$top=999":                    1,
		"GET /identity/conditionalAccess/authenticationStrength/policies/{id}/combinationConfigurations": 0,
	} {
		if got, ok := units[read]; !ok || got != want {
			t.Errorf("floor line %q: %d units (listed %v), want %d", read, got, ok, want)
		}
	}
	// Each cross-tenant partner adds the read of its user synchronization
	// policy (a contained navigation: one request per partner, 1 unit);
	// organizational contacts, identity providers and their lists stay one
	// page until 999.
	ext := ComputeFloor(map[string]int{"crossTenantAccessPolicyConfigurationPartner": 22, "orgContact": 2000, "identityProviderBase": 5})
	if e := ComputeFloor(nil); ext.Units != e.Units+22+2 || ext.Requests != e.Requests+22+2 {
		t.Errorf("22 partners, 2,000 contacts: %d units in %d requests, empty tenant %d in %d: want 24 more of each", ext.Units, ext.Requests, e.Units, e.Requests)
	}
	// Administrative units add a page and two reads each.
	h := ComputeFloor(map[string]int{"administrativeUnit": 10})
	if e := ComputeFloor(nil); h.Units != e.Units+20 {
		t.Errorf("10 administrative units: %d units, empty tenant %d: want 20 more", h.Units, e.Units)
	}
}

func TestBudgetBound(t *testing.T) {
	for _, tc := range []struct {
		users             int
		units, writes, ca int64
		want              float64
	}{
		{100000, 66355, 0, 2, 66355.0 / 800}, // the export: 83 s
		{300, 1000, 0, 2, 2},                 // 5,000 units / 10 s below 500 users
		{10, 350, 0, 0, 1},                   // 3,500 / 10 s below 50 users
		{100000, 800, 1000, 0, 50},           // 1,000 writes at 3,000 / 150 s
		{100000, 8, 0, 60, 60},               // Conditional Access: 1 request a second
	} {
		if got := BudgetBound(tc.users, tc.units, tc.writes, tc.ca); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("BudgetBound(%d, %d, %d, %d) = %v, want %v", tc.users, tc.units, tc.writes, tc.ca, got, tc.want)
		}
	}
}

// TestBreakdown: a run's endpoints are set beside the floor's lines by
// path (a list and its $expand line add up under one path), $batch
// envelopes and reads outside the budget are left out, and the largest
// excess over the floor comes first.
func TestBreakdown(t *testing.T) {
	f := ComputeFloor(map[string]int{"user": 2000, "group": 100, "application": 150, "oAuth2PermissionGrant": 5, "permissionGrantPolicy": 2, PIMGovernableGroups: 90})
	got := Breakdown([]graphsim.EndpointStats{
		{Method: "GET", Path: "/identityGovernance/privilegedAccess/group/eligibilitySchedules", Requests: 90, ResourceUnits: 90},
		{Method: "GET", Path: "/groups", Requests: 1, ResourceUnits: 1},
		{Method: "GET", Path: "/groups/delta", Requests: 30, ResourceUnits: 30},
		{Method: "GET", Path: "/users", Requests: 3, ResourceUnits: 3},
		{Method: "GET", Path: "/applications", Requests: 2, ResourceUnits: 4},
		{Method: "GET", Path: "/applications/delta", Requests: 2, ResourceUnits: 2},
		{Method: "POST", Path: "/$batch", Requests: 5},
		{Method: "GET", Path: "/policies/permissionGrantPolicies/microsoft-user-default-low/includes", Requests: 1, ResourceUnits: 1},
		{Method: "GET", Path: "/policies/permissionGrantPolicies/{id}/includes", Requests: 1, ResourceUnits: 1},
		{Method: "GET", Path: "/roleManagement/directory/roleAssignments", Requests: 1},
	}, f)
	by := map[string]Spend{}
	for _, s := range got {
		by[s.Path] = s
	}
	if s := by["/groups/delta"]; s.Units != 30 || s.FloorUnits != 1 || s.FloorRequests != 1 {
		t.Errorf("groups delta: %+v", s)
	}
	// The floor lists applications (1 page, 1 unit) and reads their
	// owners, federated identity credentials and extension properties with
	// $expand (2 pages of 100 each, 2 units a page).
	if s := by["/applications"]; s.Units != 4 || s.FloorUnits != 1+3*4 || s.FloorRequests != 7 {
		t.Errorf("applications: %+v", s)
	}
	if s := by["/applications/delta"]; s.Units != 2 || s.FloorUnits != 0 {
		t.Errorf("applications delta: %+v", s)
	}
	// The schedules, one list per governed group, are at the floor; the
	// groups list PIM for Groups starts with is not in it (the groups'
	// delta round gives what it reads).
	if s := by["/identityGovernance/privilegedAccess/group/eligibilitySchedules"]; s.Units != 90 || s.FloorUnits != 90 || s.FloorRequests != 90 {
		t.Errorf("PIM eligibility schedules: %+v", s)
	}
	if s := by["/identityGovernance/privilegedAccess/group/assignmentSchedules"]; s.Units != 0 || s.FloorUnits != 90 {
		t.Errorf("PIM assignment schedules (not read in this run): %+v", s)
	}
	if s := by["/groups"]; s.Units != 1 || s.FloorUnits != 0 {
		t.Errorf("groups list: %+v", s)
	}
	if s := by["/oauth2PermissionGrants"]; s.FloorUnits != 2 || s.FloorRequests != 1 {
		t.Errorf("grants: %+v", s)
	}
	if s := by["/policies/permissionGrantPolicies/{id}/includes"]; s.Units != 2 || s.FloorUnits != 2 {
		t.Errorf("a policy's includes, by its name and by an id: %+v", s)
	}
	if _, ok := by["/$batch"]; ok {
		t.Error("the $batch envelopes are listed")
	}
	if _, ok := by["/roleManagement/directory"]; ok {
		t.Error("a read outside the budget is listed as a floor path")
	}
	if got[0].Path != "/groups/delta" {
		t.Errorf("first line %+v, want the largest excess (groups delta)", got[0])
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].Units-got[i-1].FloorUnits < got[i].Units-got[i].FloorUnits {
			t.Errorf("not ordered by excess: %+v before %+v", got[i-1], got[i])
		}
	}
}
