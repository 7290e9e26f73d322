package graphsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim/builtin"
)

type authzEnv struct {
	t *testing.T
	s *Server
}

func newAuthzEnv(t *testing.T) *authzEnv {
	t.Helper()
	s, err := New(Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	return &authzEnv{t: t, s: s}
}

// token registers a principal for appID holding exactly perms.
func (e *authzEnv) token(appID string, perms ...string) string {
	p := &principal{appID: appID, roles: map[string]bool{}}
	for _, r := range perms {
		p.roles[r] = true
	}
	tok := "authz." + randomHex(8)
	e.s.mu.Lock()
	e.s.tokens[tok] = p
	e.s.mu.Unlock()
	return tok
}

func (e *authzEnv) call(tok, method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, "http://graphsim"+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.s.ServeHTTP(w, req)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

func (e *authzEnv) seed(kind string, obj map[string]any) string {
	e.t.Helper()
	id, err := e.s.Tenant().Seed(kind, obj)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *authzEnv) want(tok, method, path string, body any, status int) map[string]any {
	e.t.Helper()
	got, out := e.call(tok, method, path, body)
	if got != status {
		e.t.Errorf("%s %s: %d %v, want %d", method, path, got, out, status)
	}
	return out
}

func user(e *authzEnv, nick string) string {
	return e.seed("user", map[string]any{"displayName": nick, "userPrincipalName": nick + "@" + e.s.Tenant().Domain(),
		"mailNickname": nick, "accountEnabled": true})
}

// Conditional Access writes need Policy.Read.All (and, for policies,
// Application.Read.All) besides Policy.ReadWrite.ConditionalAccess.
func TestAuthzConditionalAccessWritesNeedPolicyReadAll(t *testing.T) {
	e := newAuthzEnv(t)
	loc := map[string]any{"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "office",
		"isTrusted": false, "ipRanges": []any{map[string]any{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "10.0.0.0/8"}}}
	only := e.token("a1", "Policy.ReadWrite.ConditionalAccess")
	e.want(only, "POST", "/v1.0/identity/conditionalAccess/namedLocations", loc, 403)
	both := e.token("a2", "Policy.ReadWrite.ConditionalAccess", "Policy.Read.All")
	e.want(both, "POST", "/v1.0/identity/conditionalAccess/namedLocations", loc, 201)
	pol := map[string]any{"displayName": "p", "state": "disabled",
		"conditions": map[string]any{"users": map[string]any{"includeUsers": []any{"All"}},
			"applications": map[string]any{"includeApplications": []any{"All"}}, "clientAppTypes": []any{"all"}},
		"grantControls": map[string]any{"operator": "OR", "builtInControls": []any{"mfa"}}}
	e.want(both, "POST", "/v1.0/identity/conditionalAccess/policies", pol, 403)
	all3 := e.token("a3", "Policy.ReadWrite.ConditionalAccess", "Policy.Read.All", "Application.Read.All")
	out := e.want(all3, "POST", "/v1.0/identity/conditionalAccess/policies", pol, 201)
	e.want(both, "DELETE", "/v1.0/identity/conditionalAccess/policies/"+str(out["id"]), nil, 403)
	e.want(all3, "DELETE", "/v1.0/identity/conditionalAccess/policies/"+str(out["id"]), nil, 204)
}

// A service principal as a group member also needs Application.ReadWrite.All;
// a role-assignable group also needs RoleManagement.ReadWrite.Directory.
func TestAuthzGroupMembershipAndRoleAssignableGroups(t *testing.T) {
	e := newAuthzEnv(t)
	g := e.seed("group", map[string]any{"displayName": "g", "mailNickname": "g", "mailEnabled": false, "securityEnabled": true, "groupTypes": []any{}})
	u := user(e, "ann")
	sp := e.seed("servicePrincipal", map[string]any{"appId": "11111111-1111-4111-8111-111111111111", "displayName": "svc", "accountEnabled": true})
	gm := e.token("b1", "GroupMember.ReadWrite.All")
	ref := func(id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}
	}
	e.want(gm, "POST", "/v1.0/groups/"+g+"/members/$ref", ref(u), 204)
	e.want(gm, "POST", "/v1.0/groups/"+g+"/members/$ref", ref(sp), 403)
	gmApp := e.token("b2", "GroupMember.ReadWrite.All", "Application.ReadWrite.All")
	e.want(gmApp, "POST", "/v1.0/groups/"+g+"/members/$ref", ref(sp), 204)

	body := map[string]any{"displayName": "admins", "mailNickname": "admins", "mailEnabled": false, "securityEnabled": true,
		"isAssignableToRole": true, "groupTypes": []any{}}
	gw := e.token("b3", "Group.ReadWrite.All")
	e.want(gw, "POST", "/v1.0/groups", body, 403)
	gwr := e.token("b4", "Group.ReadWrite.All", "RoleManagement.ReadWrite.Directory")
	out := e.want(gwr, "POST", "/v1.0/groups", body, 201)
	ra := str(out["id"])
	e.want(gw, "POST", "/v1.0/groups/"+ra+"/members/$ref", ref(u), 403)
	e.want(gwr, "POST", "/v1.0/groups/"+ra+"/members/$ref", ref(u), 204)
}

// Members of a hidden-membership group or unit need Member.Read.Hidden.
func TestAuthzHiddenMembershipNeedsMemberReadHidden(t *testing.T) {
	e := newAuthzEnv(t)
	g := e.seed("group", map[string]any{"displayName": "h", "mailNickname": "h", "mailEnabled": true, "securityEnabled": false,
		"groupTypes": []any{"Unified"}, "visibility": "HiddenMembership"})
	au := e.seed("administrativeUnit", map[string]any{"displayName": "hu", "visibility": "HiddenMembership"})
	open := e.seed("group", map[string]any{"displayName": "o", "mailNickname": "o", "mailEnabled": false, "securityEnabled": true, "groupTypes": []any{}})
	r := e.token("c1", "Group.Read.All", "AdministrativeUnit.Read.All")
	e.want(r, "GET", "/v1.0/groups/"+open+"/members", nil, 200)
	e.want(r, "GET", "/v1.0/groups/"+g, nil, 200)
	e.want(r, "GET", "/v1.0/groups/"+g+"/members", nil, 403)
	e.want(r, "GET", "/v1.0/directory/administrativeUnits/"+au+"/members", nil, 403)
	rh := e.token("c2", "Group.Read.All", "AdministrativeUnit.Read.All", "Member.Read.Hidden")
	e.want(rh, "GET", "/v1.0/groups/"+g+"/members", nil, 200)
	e.want(rh, "GET", "/v1.0/directory/administrativeUnits/"+au+"/members", nil, 200)
}

// The directory recycle bin's permission depends on the deleted object's type.
func TestAuthzRecycleBinRestorePerType(t *testing.T) {
	e := newAuthzEnv(t)
	god := e.s.Token()
	u := user(e, "bob")
	g := e.seed("group", map[string]any{"displayName": "x", "mailNickname": "x", "mailEnabled": true, "securityEnabled": false, "groupTypes": []any{"Unified"}})
	e.want(god, "DELETE", "/v1.0/users/"+u, nil, 204)
	e.want(god, "DELETE", "/v1.0/groups/"+g, nil, 204)
	grp := e.token("d1", "Group.ReadWrite.All")
	usr := e.token("d2", "User.DeleteRestore.All")
	e.want(grp, "POST", "/v1.0/directory/deletedItems/"+u+"/restore", nil, 403)
	e.want(usr, "POST", "/v1.0/directory/deletedItems/"+g+"/restore", nil, 403)
	e.want(usr, "POST", "/v1.0/directory/deletedItems/"+u+"/restore", nil, 200)
	e.want(grp, "POST", "/v1.0/directory/deletedItems/"+g+"/restore", nil, 200)
}

// employeeLeaveDateTime and identities need their own permissions.
func TestAuthzUserPropertyPermissions(t *testing.T) {
	e := newAuthzEnv(t)
	u := user(e, "cy")
	e.want(e.s.Token(), "PATCH", "/v1.0/users/"+u, map[string]any{"employeeLeaveDateTime": "2030-06-30T00:00:00Z"}, 204)
	r := e.token("e1", "User.Read.All")
	// Without User-LifeCycleInfo.Read.All the date reads as null.
	if out := e.want(r, "GET", "/v1.0/users/"+u+"?$select=id,employeeLeaveDateTime", nil, 200); out["employeeLeaveDateTime"] != nil {
		t.Errorf("employeeLeaveDateTime read without User-LifeCycleInfo.Read.All: %v", out)
	}
	out := e.want(r, "GET", "/v1.0/users?$select=id,employeeLeaveDateTime", nil, 200)
	for _, it := range asSlice(out["value"]) {
		if o := it.(map[string]any); o["id"] == u && o["employeeLeaveDateTime"] != nil {
			t.Errorf("employeeLeaveDateTime listed without User-LifeCycleInfo.Read.All: %v", o)
		}
	}
	rl := e.token("e2", "User.Read.All", "User-LifeCycleInfo.Read.All")
	if out := e.want(rl, "GET", "/v1.0/users/"+u+"?$select=id,employeeLeaveDateTime", nil, 200); out["employeeLeaveDateTime"] == nil {
		t.Errorf("employeeLeaveDateTime not read with User-LifeCycleInfo.Read.All: %v", out)
	}
	w := e.token("e3", "User.ReadWrite.All")
	e.want(w, "PATCH", "/v1.0/users/"+u, map[string]any{"jobTitle": "x"}, 204)
	e.want(w, "PATCH", "/v1.0/users/"+u, map[string]any{"employeeLeaveDateTime": "2030-01-01T00:00:00Z"}, 403)
	e.want(w, "PATCH", "/v1.0/users/"+u, map[string]any{"identities": []any{}}, 403)
	wl := e.token("e4", "User.ReadWrite.All", "User-LifeCycleInfo.ReadWrite.All", "User.ManageIdentities.All")
	e.want(wl, "PATCH", "/v1.0/users/"+u, map[string]any{"employeeLeaveDateTime": "2030-01-01T00:00:00Z"}, 204)
}

// Sensitive properties of an administrator are changed only by a caller
// whose service principal holds Privileged Authentication Administrator.
func TestAuthzSensitiveAttributesOfAdministrators(t *testing.T) {
	e := newAuthzEnv(t)
	god := e.s.Token()
	admin := user(e, "root")
	plain := user(e, "pat")
	e.want(god, "POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{
		"roleDefinitionId": builtin.GlobalAdministratorRoleID, "principalId": admin, "directoryScopeId": "/"}, 201)
	appID := "22222222-2222-4222-8222-222222222222"
	sp := e.seed("servicePrincipal", map[string]any{"appId": appID, "displayName": "restorer", "accountEnabled": true})
	w := e.token(appID, "User.ReadWrite.All")
	e.want(w, "PATCH", "/v1.0/users/"+plain, map[string]any{"mobilePhone": "+1 555"}, 204)
	e.want(w, "PATCH", "/v1.0/users/"+admin, map[string]any{"jobTitle": "boss"}, 204)
	e.want(w, "PATCH", "/v1.0/users/"+admin, map[string]any{"mobilePhone": "+1 555"}, 403)
	e.want(w, "PATCH", "/v1.0/users/"+admin, map[string]any{"accountEnabled": false}, 403)
	var pauth string
	for _, d := range builtin.RoleDefinitions() {
		if d["displayName"] == "Privileged Authentication Administrator" {
			pauth = str(d["id"])
		}
	}
	if pauth == "" {
		t.Fatal("no Privileged Authentication Administrator role")
	}
	e.want(god, "POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{
		"roleDefinitionId": pauth, "principalId": sp, "directoryScopeId": "/"}, 201)
	e.want(w, "PATCH", "/v1.0/users/"+admin, map[string]any{"mobilePhone": "+1 555"}, 204)
	_ = http.MethodGet
}
