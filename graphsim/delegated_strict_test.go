package graphsim

import (
	"net/url"
	"testing"
)

// Role template ids (learn:/entra/identity/role-based-access-control/permissions-reference).
const (
	roleDirectoryReaders = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
	roleGlobalReaderID   = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
)

// Delegated reads of role assignments need a role that reads them
// (rbacapplication-list-roleassignments, unifiedroleassignment-get: "the
// signed-in user must be assigned a supported Microsoft Entra role":
// Directory Readers, Global Reader, Privileged Role Administrator and the
// other built-in roles holding microsoft.directory/roleAssignments/*/read);
// a member without one is refused, whatever the scope. A role-assignable
// group is created, changed and its members managed only by a Privileged
// Role Administrator or Global Administrator
// (learn:/entra/identity/role-based-access-control/groups-concept), not by
// a Groups or User Administrator, although the scope allows it.
func TestDelegatedRoleAssignmentReadsAndRoleAssignableGroups(t *testing.T) {
	e := newIDEnv(t)
	tn := e.s.Tenant()
	god := "Bearer " + e.s.Token()
	assign := func(principal, role string) string {
		r := e.call(god, "POST", "/v1.0/roleManagement/directory/roleAssignments",
			map[string]any{"principalId": principal, "roleDefinitionId": role, "directoryScopeId": "/"})
		if r.status != 201 {
			t.Fatalf("role assignment: %d %s", r.status, r.raw)
		}
		return str(r.body["id"])
	}
	member, reader, global, pra, groupsAdmin, userAdmin := e.seedUser("member"), e.seedUser("reader"), e.seedUser("globalreader"), e.seedUser("pra"), e.seedUser("groupsadmin"), e.seedUser("useradmin")
	_ = member
	one := assign(reader, roleDirectoryReaders)
	assign(global, roleGlobalReaderID)
	assign(pra, rolePrivRoleAdmin)
	assign(groupsAdmin, roleGroupsAdmin)
	assign(userAdmin, roleUserAdmin)
	ra := e.call(god, "POST", "/v1.0/groups", map[string]any{"displayName": "Tier 0 admins", "mailNickname": "tier0", "mailEnabled": false,
		"securityEnabled": true, "isAssignableToRole": true})
	plain := e.call(god, "POST", "/v1.0/groups", map[string]any{"displayName": "Staff", "mailNickname": "staff", "mailEnabled": false,
		"securityEnabled": true})
	if ra.status != 201 || plain.status != 201 {
		t.Fatalf("groups: %d %s; %d %s", ra.status, ra.raw, plain.status, plain.raw)
	}
	raID, plainID := str(ra.body["id"]), str(plain.body["id"])

	app := e.newPublicClient("entrasnap restore", "RoleManagement.ReadWrite.Directory", "Group.ReadWrite.All", "Directory.Read.All", "User.ReadWrite.All")
	tok := func(nick string) string { return "Bearer " + e.delegatedToken(app, nick+"@"+tn.Domain()) }
	ref := func(id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}
	}
	newRA := func(nick string) map[string]any {
		return map[string]any{"displayName": "New " + nick, "mailNickname": "new" + nick, "mailEnabled": false, "securityEnabled": true, "isAssignableToRole": true}
	}
	const list = "/v1.0/roleManagement/directory/roleAssignments"
	for _, c := range []struct {
		name, user, method, path string
		body                     any
		want                     int
	}{
		{"a member lists no role assignments", "member", "GET", list, nil, 403},
		{"a member reads no role assignment", "member", "GET", list + "/" + one, nil, 403},
		{"a Groups Administrator lists no role assignments", "groupsadmin", "GET", list, nil, 403},
		{"Directory Readers list role assignments", "reader", "GET", list, nil, 200},
		{"Global Reader lists role assignments", "globalreader", "GET", list, nil, 200},
		{"Privileged Role Administrator lists role assignments", "pra", "GET", list + "?$filter=" + url.QueryEscape("principalId eq '"+pra+"'"), nil, 200},
		{"Groups Administrator: a plain group", "groupsadmin", "PATCH", "/v1.0/groups/" + plainID, map[string]any{"description": "x"}, 204},
		{"Groups Administrator: no role-assignable group", "groupsadmin", "POST", "/v1.0/groups", newRA("ga"), 403},
		{"Groups Administrator: not a role-assignable group's members", "groupsadmin", "POST", "/v1.0/groups/" + raID + "/members/$ref", ref(member), 403},
		{"User Administrator: not a role-assignable group's update", "useradmin", "PATCH", "/v1.0/groups/" + raID, map[string]any{"description": "x"}, 403},
		{"Privileged Role Administrator: a role-assignable group", "pra", "POST", "/v1.0/groups", newRA("pra"), 201},
		{"Privileged Role Administrator: its members", "pra", "POST", "/v1.0/groups/" + raID + "/members/$ref", ref(member), 204},
	} {
		if r := e.call(tok(c.user), c.method, c.path, c.body); r.status != c.want {
			t.Errorf("%s: %s %s = %d %s, want %d", c.name, c.method, c.path, r.status, r.raw, c.want)
		}
	}
}
