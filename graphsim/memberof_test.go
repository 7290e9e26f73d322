package graphsim

import (
	"sort"
	"strings"
	"testing"
)

// TestSignedInUserMemberships: GET /me/transitiveMemberOf lists the
// signed-in user's groups (through a nested group too), the directory
// roles they hold over the whole directory (directly or through a
// role-assignable group; not a role scoped to a unit), and the units that
// hold them; GET /me/scopedRoleMemberOf lists their unit-scoped roles, with
// the activated directory role's id. transitiveMemberOf needs only
// User.Read; scopedRoleMemberOf needs Directory.Read.All (403 without); an
// app-only token gets Graph's 400 for /me/...; a write is 405.
func TestSignedInUserMemberships(t *testing.T) {
	e := newIDEnv(t)
	tn := e.s.Tenant()
	god := "Bearer " + e.s.Token()
	alice := e.seedUser("alice")
	seedGroup := func(name string, roleAssignable bool) string {
		t.Helper()
		id, err := tn.Seed("group", map[string]any{"displayName": name, "mailNickname": strings.ReplaceAll(name, " ", ""), "mailEnabled": false,
			"securityEnabled": true, "isAssignableToRole": roleAssignable, "groupTypes": []any{}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	add := func(path, member string) {
		t.Helper()
		if r := e.call(god, "POST", path+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + member}); r.status != 204 {
			t.Fatalf("member of %s: %d %s", path, r.status, r.raw)
		}
	}
	inner, outer, admins := seedGroup("Inner ‮ team", false), seedGroup("Outer", false), seedGroup("Group admins", true)
	add("/v1.0/groups/"+inner, alice)
	add("/v1.0/groups/"+outer, inner)
	add("/v1.0/groups/"+admins, alice)
	au, err := tn.Seed("administrativeUnit", map[string]any{"displayName": "Helpdesk-EU"})
	if err != nil {
		t.Fatal(err)
	}
	add("/v1.0/directory/administrativeUnits/"+au, alice)
	other, err := tn.Seed("administrativeUnit", map[string]any{"displayName": "Elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	assign := func(principal, role, scope string) {
		t.Helper()
		if r := e.call(god, "POST", "/v1.0/roleManagement/directory/roleAssignments",
			map[string]any{"principalId": principal, "roleDefinitionId": role, "directoryScopeId": scope}); r.status != 201 {
			t.Fatalf("role assignment: %d %s", r.status, r.raw)
		}
	}
	if r := e.call(god, "POST", "/v1.0/directoryRoles", map[string]any{"roleTemplateId": roleUserAdmin}); r.status != 201 {
		t.Fatalf("activate: %d %s", r.status, r.raw)
	}
	assign(alice, roleHelpdeskAdmin, "/")
	assign(admins, roleGroupsAdmin, "/")
	assign(alice, roleUserAdmin, "/administrativeUnits/"+other)
	var userAdminRole string
	for _, r := range listValue(t, e.s, "/v1.0/directoryRoles") {
		if r["roleTemplateId"] == roleUserAdmin {
			userAdminRole = str(r["id"])
		}
	}

	full := "Bearer " + e.delegatedToken(e.newPublicClient("restore", "User.ReadWrite.All", "Directory.Read.All"), "alice@"+tn.Domain())
	r := e.call(full, "GET", "/v1.0/me/transitiveMemberOf?$select=id,displayName,roleTemplateId", nil)
	if r.status != 200 {
		t.Fatalf("transitiveMemberOf: %d %s", r.status, r.raw)
	}
	var got []string
	for _, v := range asSlice(r.body["value"]) {
		m := v.(map[string]any)
		got = append(got, str(m["@odata.type"])+" "+str(m["displayName"])+" "+str(m["roleTemplateId"]))
	}
	sort.Strings(got)
	want := []string{
		"#microsoft.graph.administrativeUnit Helpdesk-EU ",
		"#microsoft.graph.directoryRole Groups Administrator " + roleGroupsAdmin,
		"#microsoft.graph.directoryRole Helpdesk Administrator " + roleHelpdeskAdmin,
		"#microsoft.graph.group Group admins ",
		"#microsoft.graph.group Inner ‮ team ",
		"#microsoft.graph.group Outer ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("transitiveMemberOf:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	r = e.call(full, "GET", "/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,roleTemplateId", nil)
	if vals := asSlice(r.body["value"]); r.status != 200 || len(vals) != 2 || str(vals[0].(map[string]any)["@odata.type"]) != "#microsoft.graph.directoryRole" {
		t.Errorf("cast to directoryRole: %d %s", r.status, r.raw)
	}
	if r := e.call(full, "GET", "/v1.0/me/transitiveMemberOf/microsoft.graph.user", nil); r.status != 400 {
		t.Errorf("cast to user: %d, want 400", r.status)
	}

	r = e.call(full, "GET", "/v1.0/me/scopedRoleMemberOf", nil)
	vals := asSlice(r.body["value"])
	if r.status != 200 || len(vals) != 1 {
		t.Fatalf("scopedRoleMemberOf: %d %s", r.status, r.raw)
	}
	m := vals[0].(map[string]any)
	if m["roleId"] != userAdminRole || m["administrativeUnitId"] != other || lookupPath(m, "roleMemberInfo/id") != alice || userAdminRole == "" {
		t.Errorf("scoped role membership %v, want role %s in unit %s", m, userAdminRole, other)
	}

	// User.Read reads one's own memberships, not the scoped roles.
	basic := "Bearer " + e.delegatedToken(e.newPublicClient("basic", "User.Read"), "alice@"+tn.Domain())
	if r := e.call(basic, "GET", "/v1.0/me/transitiveMemberOf", nil); r.status != 200 {
		t.Errorf("transitiveMemberOf with User.Read: %d %s", r.status, r.raw)
	}
	if r := e.call(basic, "GET", "/v1.0/me/scopedRoleMemberOf", nil); r.status != 403 {
		t.Errorf("scopedRoleMemberOf with User.Read: %d, want 403", r.status)
	}
	if r := e.call(god, "GET", "/v1.0/me/transitiveMemberOf", nil); r.status != 400 || !strings.Contains(r.raw, "only valid with delegated authentication flow") {
		t.Errorf("app-only /me/transitiveMemberOf: %d %s", r.status, r.raw)
	}
	if r := e.call(god, "GET", "/v1.0/users/"+alice+"/scopedRoleMemberOf", nil); r.status != 200 || len(asSlice(r.body["value"])) != 1 {
		t.Errorf("app-only /users/{id}/scopedRoleMemberOf: %d %s", r.status, r.raw)
	}
	if r := e.call(god, "POST", "/v1.0/users/"+alice+"/transitiveMemberOf", map[string]any{}); r.status != 405 {
		t.Errorf("POST transitiveMemberOf: %d, want 405", r.status)
	}
}
