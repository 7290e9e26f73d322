package perms

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim/perms/internal/gen/permgen"
)

const guid = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"

func TestRequired(t *testing.T) {
	allDeletedWrite := []string{"User.DeleteRestore.All", "User.ReadWrite.All", "Group.ReadWrite.All",
		"Application.ReadWrite.All", "AdministrativeUnit.ReadWrite.All", "Directory.ReadWrite.All"}
	tests := []struct {
		name    string
		method  string
		path    string
		known   bool
		tmpl    string   // table path the call must resolve to ("" = don't check)
		has     []string // each must be in anyOf
		hasNot  []string // none may be in anyOf
		noReads bool     // no *.Read.* permission in anyOf
	}{
		{name: "list users", method: "GET", path: "/users", known: true, tmpl: "/users",
			has: []string{"User.Read.All", "Directory.Read.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}},
		{name: "update user", method: "PATCH", path: "/users/" + guid, known: true, tmpl: "/users/{id}",
			has: []string{"User.ReadWrite.All", "Directory.ReadWrite.All"}, noReads: true,
			hasNot: []string{"User.Read.All", "Directory.Read.All"}},
		{name: "create user", method: "POST", path: "/users", known: true, tmpl: "/users",
			has: []string{"User.ReadWrite.All", "Directory.ReadWrite.All"}, noReads: true},
		{name: "delete user", method: "DELETE", path: "/users/" + guid, known: true,
			has: []string{"User.DeleteRestore.All", "User.ReadWrite.All"}, noReads: true},
		{name: "add group member", method: "POST", path: "/groups/" + guid + "/members/$ref", known: true,
			tmpl: "/groups/{id}/members", noReads: true,
			has: []string{"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}},
		{name: "remove group member", method: "DELETE", path: "/groups/" + guid + "/members/" + guid + "/$ref", known: true,
			tmpl: "/groups/{id}/members/{id}", noReads: true,
			has: []string{"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}},
		{name: "list group members cast", method: "GET", path: "/groups/" + guid + "/members/microsoft.graph.user", known: true,
			tmpl: "/groups/{id}/members", has: []string{"GroupMember.Read.All"}},
		{name: "create group", method: "POST", path: "/groups", known: true, noReads: true,
			has: []string{"Group.ReadWrite.All", "Group.Create", "Directory.ReadWrite.All"}},
		{name: "list CA policies", method: "GET", path: "/identity/conditionalAccess/policies", known: true,
			tmpl: "/identity/conditionalaccess/policies", has: []string{"Policy.Read.All"}},
		{name: "create CA policy", method: "POST", path: "/identity/conditionalAccess/policies", known: true,
			has: []string{"Policy.ReadWrite.ConditionalAccess"}, hasNot: []string{"Policy.Read.All", "Application.Read.All"}, noReads: true},
		{name: "update CA policy", method: "PATCH", path: "/identity/conditionalAccess/policies/abc", known: true,
			tmpl: "/identity/conditionalaccess/policies/{id}", has: []string{"Policy.ReadWrite.ConditionalAccess"}, noReads: true},
		{name: "delete named location", method: "DELETE", path: "/identity/conditionalAccess/namedLocations/" + guid, known: true,
			has: []string{"Policy.ReadWrite.ConditionalAccess"}, noReads: true},
		{name: "groups delta", method: "GET", path: "/groups/delta", known: true, tmpl: "/groups/delta",
			has: []string{"Group.Read.All"}},
		{name: "groups delta()", method: "GET", path: "/groups/delta()?$deltatoken=latest", known: true, tmpl: "/groups/delta"},
		{name: "group by id", method: "GET", path: "/groups/" + guid, known: true, tmpl: "/groups/{id}"},
		{name: "application by appId", method: "GET", path: "/applications(appId='x')", known: true,
			tmpl: "/applications/{id}", has: []string{"Application.Read.All"}},
		{name: "application by appId owners", method: "GET", path: "/applications(appId='" + guid + "')/owners", known: true,
			tmpl: "/applications/{id}/owners"},
		{name: "sp by appId", method: "PATCH", path: "/servicePrincipals(appId='" + guid + "')", known: true,
			tmpl: "/serviceprincipals/{id}", has: []string{"Application.ReadWrite.All"}, noReads: true},
		{name: "authorization policy", method: "GET", path: "/policies/authorizationPolicy", known: true,
			tmpl: "/policies/authorizationpolicy", has: []string{"Policy.Read.All"}},
		{name: "authorization policy write", method: "PATCH", path: "/policies/authorizationPolicy", known: true,
			has: []string{"Policy.ReadWrite.Authorization"}, noReads: true},
		{name: "security defaults write", method: "PATCH", path: "/policies/identitySecurityDefaultsEnforcementPolicy", known: true,
			has: []string{"Policy.ReadWrite.SecurityDefaults"}, hasNot: []string{"Policy.Read.All"}, noReads: true},
		{name: "deleted users", method: "GET", path: "/directory/deletedItems/microsoft.graph.user", known: true,
			tmpl: "/directory/deleteditems/microsoft.graph.user", has: []string{"User.Read.All", "Directory.Read.All"},
			hasNot: []string{"Group.Read.All"}},
		{name: "deleted groups", method: "GET", path: "/directory/deletedItems/microsoft.graph.group", known: true,
			has: []string{"Group.Read.All"}, hasNot: []string{"User.Read.All"}},
		{name: "deleted item", method: "GET", path: "/directory/deletedItems/" + guid, known: true,
			tmpl: "/directory/deleteditems/{id}", has: []string{"User.Read.All", "Group.Read.All", "Application.Read.All", "AdministrativeUnit.Read.All"}},
		{name: "deleted item cast", method: "GET", path: "/directory/deletedItems/" + guid + "/microsoft.graph.user", known: true,
			tmpl: "/directory/deleteditems/{id}"},
		{name: "restore deleted item", method: "POST", path: "/directory/deletedItems/" + guid + "/restore", known: true,
			tmpl: "/directory/deleteditems/{id}/restore", has: allDeletedWrite, noReads: true},
		{name: "purge deleted item", method: "DELETE", path: "/directory/deletedItems/" + guid, known: true,
			has: []string{"User.DeleteRestore.All", "Group.ReadWrite.All", "Application.ReadWrite.All"}, noReads: true},
		{name: "deleted CA policies", method: "GET", path: "/identity/conditionalAccess/deletedItems/policies", known: true,
			has: []string{"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"}},
		{name: "restore CA policy", method: "POST", path: "/identity/conditionalAccess/deletedItems/policies/" + guid + "/restore", known: true,
			has: []string{"Policy.ReadWrite.ConditionalAccess"}, noReads: true},
		{name: "purge named location", method: "DELETE", path: "/identity/conditionalAccess/deletedItems/namedLocations/" + guid, known: true,
			has: []string{"Policy.ReadWrite.ConditionalAccess"}, noReads: true},
		{name: "sp grants", method: "GET", path: "/servicePrincipals/" + guid + "/oauth2PermissionGrants", known: true,
			has: []string{"Directory.Read.All", "DelegatedPermissionGrant.ReadWrite.All"}},
		{name: "getByIds keeps reads", method: "POST", path: "/directoryObjects/getByIds", known: true,
			has: []string{"Directory.Read.All", "Directory.ReadWrite.All"}},
		{name: "ReadWrite implied on reads", method: "GET", path: "/applications", known: true,
			has: []string{"Application.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}},
		{name: "CA read needs Policy.Read.All", method: "GET", path: "/identity/conditionalAccess/policies/" + guid, known: true,
			has: []string{"Policy.Read.All"}, hasNot: []string{"Policy.ReadWrite.ConditionalAccess"}},
		{name: "auth strength beta alias", method: "PATCH", path: "/identity/conditionalAccess/authenticationStrength/policies/" + guid,
			known: true, tmpl: "/identity/conditionalaccess/authenticationstrength/policies/{id}",
			has: []string{"Policy.ReadWrite.ConditionalAccess"}, noReads: true},
		{name: "count", method: "GET", path: "/users/$count", known: true, tmpl: "/users"},
		{name: "version root and query", method: "get", path: "/v1.0/users?$top=5&$select=id", known: true, tmpl: "/users"},
		{name: "no leading slash", method: "GET", path: "identity/conditionalAccess/namedLocations", known: true,
			tmpl: "/identity/conditionalaccess/namedlocations"},
		{name: "unknown path", method: "GET", path: "/notAThing", known: false},
		{name: "unknown subpath", method: "GET", path: "/users/" + guid + "/notAThing", known: false},
		{name: "unknown method", method: "PUT", path: "/users", known: false},
		{name: "unknown cast", method: "GET", path: "/directory/deletedItems/microsoft.graph.device", known: false},
		{name: "outside served prefixes", method: "GET", path: "/sites/root", known: false},
		{name: "empty", method: "GET", path: "/", known: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			anyOf, known := Required(tc.method, tc.path)
			if known != tc.known {
				t.Fatalf("Required(%s, %s) known = %v, want %v (anyOf %v)", tc.method, tc.path, known, tc.known, anyOf)
			}
			if !known {
				if anyOf != nil {
					t.Errorf("unknown call returned %v", anyOf)
				}
				return
			}
			if len(anyOf) == 0 {
				t.Fatalf("known call with no permission")
			}
			if !slices.IsSorted(anyOf) {
				t.Errorf("anyOf not sorted: %v", anyOf)
			}
			if tc.tmpl != "" {
				if _, tmpl, _ := resolve(tc.method, tc.path); tmpl != tc.tmpl {
					t.Errorf("resolved to %q, want %q", tmpl, tc.tmpl)
				}
			}
			for _, p := range tc.has {
				if !slices.Contains(anyOf, p) {
					t.Errorf("anyOf %v lacks %s", anyOf, p)
				}
			}
			for _, p := range tc.hasNot {
				if slices.Contains(anyOf, p) {
					t.Errorf("anyOf %v has %s", anyOf, p)
				}
			}
			if tc.noReads {
				for _, p := range anyOf {
					if permgen.IsReadOnlyPermission(p) {
						t.Errorf("write granted by read-only %s (anyOf %v)", p, anyOf)
					}
				}
			}
		})
	}
}

// TestGraphsimSurface: every call graphsim serves has a row.
func TestGraphsimSurface(t *testing.T) {
	id := guid
	crud := func(coll string) []string {
		return []string{"GET " + coll, "POST " + coll, "GET " + coll + "/" + id, "PATCH " + coll + "/" + id, "DELETE " + coll + "/" + id}
	}
	var calls []string
	for _, c := range []string{"/users", "/groups", "/applications", "/servicePrincipals",
		"/identity/conditionalAccess/policies", "/identity/conditionalAccess/namedLocations",
		"/policies/authenticationStrengthPolicies", "/identity/conditionalAccess/authenticationStrength/policies",
		"/directory/administrativeUnits", "/administrativeUnits",
		"/roleManagement/directory/roleDefinitions", "/policies/tokenLifetimePolicies", "/policies/claimsMappingPolicies",
		"/groupSettings", "/domains", "/oauth2PermissionGrants", "/policies/crossTenantAccessPolicy/partners"} {
		calls = append(calls, crud(c)...)
	}
	calls = append(calls,
		"GET /users/delta", "GET /groups/delta", "GET /applications/delta", "GET /servicePrincipals/delta",
		"GET /administrativeUnits/delta", "GET /oauth2PermissionGrants/delta",
		"GET /groups/"+id+"/members", "POST /groups/"+id+"/members/$ref", "DELETE /groups/"+id+"/members/"+id+"/$ref",
		"GET /groups/"+id+"/owners", "POST /groups/"+id+"/owners/$ref", "DELETE /groups/"+id+"/owners/"+id+"/$ref",
		"GET /groups/"+id+"/transitiveMembers",
		"GET /applications/"+id+"/owners", "POST /applications/"+id+"/owners/$ref", "DELETE /applications/"+id+"/owners/"+id+"/$ref",
		"GET /servicePrincipals/"+id+"/owners", "POST /servicePrincipals/"+id+"/owners/$ref", "DELETE /servicePrincipals/"+id+"/owners/"+id+"/$ref",
		"GET /applications(appId='"+id+"')", "PATCH /applications(appId='"+id+"')", "GET /servicePrincipals(appId='"+id+"')",
		"GET /servicePrincipals/"+id+"/appRoleAssignedTo", "POST /servicePrincipals/"+id+"/appRoleAssignedTo",
		"DELETE /servicePrincipals/"+id+"/appRoleAssignedTo/"+id,
		"GET /servicePrincipals/"+id+"/appRoleAssignments", "POST /servicePrincipals/"+id+"/appRoleAssignments",
		"GET /servicePrincipals/"+id+"/oauth2PermissionGrants",
		"GET /users/"+id+"/appRoleAssignments", "POST /users/"+id+"/appRoleAssignments", "DELETE /users/"+id+"/appRoleAssignments/"+id,
		"GET /groups/"+id+"/appRoleAssignments", "POST /groups/"+id+"/appRoleAssignments", "DELETE /groups/"+id+"/appRoleAssignments/"+id,
		"GET /directory/administrativeUnits/"+id+"/members", "POST /directory/administrativeUnits/"+id+"/members/$ref",
		"DELETE /directory/administrativeUnits/"+id+"/members/"+id+"/$ref",
		"GET /directory/administrativeUnits/"+id+"/scopedRoleMembers", "POST /directory/administrativeUnits/"+id+"/scopedRoleMembers",
		"DELETE /directory/administrativeUnits/"+id+"/scopedRoleMembers/"+id,
		"GET /roleManagement/directory/roleAssignments", "POST /roleManagement/directory/roleAssignments",
		"GET /roleManagement/directory/roleAssignments/"+id, "DELETE /roleManagement/directory/roleAssignments/"+id,
		"GET /roleManagement/directory/roleEligibilitySchedules", "GET /roleManagement/directory/roleEligibilitySchedules/"+id,
		"GET /roleManagement/directory/roleEligibilityScheduleRequests", "POST /roleManagement/directory/roleEligibilityScheduleRequests",
		"GET /policies/authenticationMethodsPolicy", "PATCH /policies/authenticationMethodsPolicy",
		"GET /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
		"PATCH /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
		"GET /policies/authorizationPolicy", "PATCH /policies/authorizationPolicy",
		"GET /policies/identitySecurityDefaultsEnforcementPolicy", "PATCH /policies/identitySecurityDefaultsEnforcementPolicy",
		"GET /policies/crossTenantAccessPolicy", "PATCH /policies/crossTenantAccessPolicy",
		"GET /policies/crossTenantAccessPolicy/default", "PATCH /policies/crossTenantAccessPolicy/default",
		"GET /groupSettingTemplates", "GET /groupSettingTemplates/"+id,
		"GET /organization", "GET /organization/"+id, "PATCH /organization/"+id,
		"GET /directoryObjects/"+id, "POST /directoryObjects/getByIds",
		"GET /directory/deletedItems/microsoft.graph.user", "GET /directory/deletedItems/microsoft.graph.group",
		"GET /directory/deletedItems/microsoft.graph.application", "GET /directory/deletedItems/microsoft.graph.servicePrincipal",
		"GET /directory/deletedItems/microsoft.graph.administrativeUnit",
		"GET /directory/deletedItems/"+id, "DELETE /directory/deletedItems/"+id, "POST /directory/deletedItems/"+id+"/restore",
		"GET /identity/conditionalAccess/deletedItems/policies", "GET /identity/conditionalAccess/deletedItems/policies/"+id,
		"POST /identity/conditionalAccess/deletedItems/policies/"+id+"/restore", "DELETE /identity/conditionalAccess/deletedItems/policies/"+id,
		"GET /identity/conditionalAccess/deletedItems/namedLocations", "GET /identity/conditionalAccess/deletedItems/namedLocations/"+id,
		"POST /identity/conditionalAccess/deletedItems/namedLocations/"+id+"/restore",
		"DELETE /identity/conditionalAccess/deletedItems/namedLocations/"+id,
	)
	for _, c := range calls {
		method, path, _ := strings.Cut(c, " ")
		anyOf, known := Required(method, path)
		if !known {
			t.Errorf("%s: unknown", c)
			continue
		}
		if IsWrite(method) && !permgen.IsReadAction(strings.ToLower(path)) {
			for _, p := range anyOf {
				if permgen.IsReadOnlyPermission(p) {
					t.Errorf("%s: write granted by read-only %s", c, p)
				}
			}
		}
	}
}

// TestTableInvariants checks every generated row.
func TestTableInvariants(t *testing.T) {
	if len(tableRows) < 500 {
		t.Fatalf("table has only %d rows", len(tableRows))
	}
	seen := map[string]bool{}
	for i, r := range tableRows {
		k := r.method + " " + r.path
		if seen[k] {
			t.Errorf("duplicate row %s", k)
		}
		seen[k] = true
		if i > 0 {
			p := tableRows[i-1]
			if p.path > r.path || (p.path == r.path && p.method >= r.method) {
				t.Errorf("rows not sorted at %s", k)
			}
		}
		if r.set < 0 || r.set >= len(permSets) || len(permSets[r.set]) == 0 {
			t.Fatalf("row %s: bad set %d", k, r.set)
		}
		if norm, ok := permgen.NormalizePath(r.path); !ok || norm != r.path || !permgen.Served(r.path) {
			t.Errorf("row %s: path not normalized or not served", k)
		}
		if IsWrite(r.method) && !permgen.IsReadAction(r.path) {
			for _, p := range permSets[r.set] {
				if permgen.IsReadOnlyPermission(p) {
					t.Errorf("row %s: write granted by read-only %s", k, p)
				}
			}
		}
	}
}

// TestEveryRowResolvesToItself feeds each table path back through Required,
// with real-looking ids and function arguments.
func TestEveryRowResolvesToItself(t *testing.T) {
	for _, r := range tableRows {
		segs := strings.Split(r.path, "/")
		for i, s := range segs {
			switch {
			case s == "{id}":
				segs[i] = guid
			case strings.HasSuffix(s, "()"):
				segs[i] = strings.TrimSuffix(s, "()") + "(x='1')"
			}
		}
		req := strings.Join(segs, "/")
		set, tmpl, ok := resolve(r.method, req)
		if !ok || tmpl != r.path || set != r.set {
			t.Errorf("%s %s (from %s): resolved to %q set %d ok %v", r.method, req, r.path, tmpl, set, ok)
		}
	}
}

func TestIsWrite(t *testing.T) {
	for m, want := range map[string]bool{"GET": false, "get": false, "HEAD": false, "OPTIONS": false,
		"POST": true, "patch": true, "PUT": true, "Delete": true} {
		if got := IsWrite(m); got != want {
			t.Errorf("IsWrite(%q) = %v", m, got)
		}
	}
}

func TestAllApplicationPermissions(t *testing.T) {
	all := AllApplicationPermissions()
	if !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != len(all) {
		t.Fatal("not sorted and unique")
	}
	for _, p := range []string{"User.Read.All", "User.ReadWrite.All", "Directory.ReadWrite.All", "Group.ReadWrite.All",
		"GroupMember.ReadWrite.All", "Policy.Read.All", "Policy.ReadWrite.ConditionalAccess", "Application.ReadWrite.All",
		"User.DeleteRestore.All", "RoleManagement.ReadWrite.Directory", "AdministrativeUnit.ReadWrite.All"} {
		if !slices.Contains(all, p) {
			t.Errorf("missing %s", p)
		}
	}
	// Every row's set is covered, so the god token passes every known call.
	for _, r := range tableRows {
		for _, p := range permSets[r.set] {
			if _, ok := slices.BinarySearch(all, p); !ok {
				t.Errorf("%s %s: %s not in AllApplicationPermissions", r.method, r.path, p)
			}
		}
	}
	all[0] = "mutated"
	if AllApplicationPermissions()[0] == "mutated" {
		t.Error("AllApplicationPermissions returns the shared slice")
	}
	anyOf, _ := Required("GET", "/users")
	anyOf[0] = "mutated"
	if again, _ := Required("GET", "/users"); again[0] == "mutated" {
		t.Error("Required returns the shared slice")
	}
}

func TestTableSize(t *testing.T) {
	fi, err := os.Stat("table_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 300_000 {
		t.Errorf("table_gen.go is %d bytes, keep it under ~300 KB", fi.Size())
	}
}

// TestTableUpToDate regenerates the table when ../shared is present (it is not
// in CI) and compares it with the committed file.
func TestTableUpToDate(t *testing.T) {
	in := filepath.Join("..", "..", "..", "shared", "graph-metadata", "permissions.json")
	f, err := os.Open(in)
	if err != nil {
		t.Skipf("permissions.json not available: %v", err)
	}
	defer f.Close()
	want, _, err := permgen.Generate(f, filepath.Base(in))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("table_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("table_gen.go is stale: run go generate ./graphsim/perms")
	}
}

// TestDelegatedTableUpToDate is TestTableUpToDate for delegated_gen.go, and
// checks a few delegated rows: scopes differ from application permissions
// (User.ReadWrite, the signed-in user's own profile, is delegated only).
func TestDelegatedTableUpToDate(t *testing.T) {
	anyOf, ok := RequiredDelegated("PATCH", "/users/3f2a")
	if !ok || !slices.Contains(anyOf, "User.ReadWrite.All") || !slices.Contains(anyOf, "User.ReadWrite") {
		t.Errorf("RequiredDelegated(PATCH /users/{id}) = %v %v, want User.ReadWrite.All and User.ReadWrite", anyOf, ok)
	}
	if app, _ := Required("PATCH", "/users/3f2a"); slices.Contains(app, "User.ReadWrite") {
		t.Errorf("the application table grants PATCH /users/{id} to the delegated-only User.ReadWrite: %v", app)
	}
	if anyOf, _ := RequiredDelegated("PATCH", "/users/3f2a"); slices.Contains(anyOf, "User.Read.All") {
		t.Errorf("a read-only scope grants a write: %v", anyOf)
	}
	in := filepath.Join("..", "..", "..", "shared", "graph-metadata", "permissions.json")
	f, err := os.Open(in)
	if err != nil {
		t.Skipf("permissions.json not available: %v", err)
	}
	defer f.Close()
	want, _, err := permgen.GenerateScheme(f, filepath.Base(in), permgen.DelegatedWork)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("delegated_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("delegated_gen.go is stale: run go generate ./graphsim/perms")
	}
}
