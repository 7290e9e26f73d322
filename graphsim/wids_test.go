package graphsim

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestDelegatedTokenWids: a delegated access token carries wids, the
// template ids of the user's active built-in roles assigned at the
// tenant's scope, when the app's groupMembershipClaims asks for directory
// roles (All, SecurityGroup, DirectoryRole); a role scoped to an
// administrative unit, a role held through a role-assignable group (the
// strict reading), and a user with no role give none; an app that does
// not ask gets no wids; a role assigned after sign-in appears in the next
// token only.
func TestDelegatedTokenWids(t *testing.T) {
	e := newIDEnv(t)
	tn := e.s.Tenant()
	god := "Bearer " + e.s.Token()
	alice, bob, carol := e.seedUser("alice"), e.seedUser("bob"), e.seedUser("carol")
	au, err := tn.Seed("administrativeUnit", map[string]any{"displayName": "Helpdesk-EU"})
	if err != nil {
		t.Fatal(err)
	}
	grp, err := tn.Seed("group", map[string]any{"displayName": "Group admins", "mailNickname": "groupadmins", "mailEnabled": false,
		"securityEnabled": true, "isAssignableToRole": true, "groupTypes": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.call(god, "POST", "/v1.0/groups/"+grp+"/members/$ref",
		map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + carol}); r.status != 204 {
		t.Fatalf("member: %d %s", r.status, r.raw)
	}
	assign := func(principal, role, scope string) {
		t.Helper()
		if r := e.call(god, "POST", "/v1.0/roleManagement/directory/roleAssignments",
			map[string]any{"principalId": principal, "roleDefinitionId": role, "directoryScopeId": scope}); r.status != 201 {
			t.Fatalf("role assignment: %d %s", r.status, r.raw)
		}
	}
	assign(alice, roleSecurityReader, "/")
	assign(alice, roleHelpdeskAdmin, "/")
	assign(alice, roleUserAdmin, "/administrativeUnits/"+au)
	assign(bob, roleGroupsAdmin, "/administrativeUnits/"+au)
	assign(grp, roleGroupsAdmin, "/")

	withClaims := func(name, claims string) string {
		appID := e.newPublicClient(name, "User.Read.All")
		if claims != "" {
			tn.mu.Lock()
			tn.appByAppID(appID).o()["groupMembershipClaims"] = claims
			tn.mu.Unlock()
		}
		return appID
	}
	wids := func(appID, user string) string {
		t.Helper()
		c := jwtPayload(t, e.delegatedToken(appID, user+"@"+tn.Domain()))
		if c["idtyp"] != "user" {
			t.Fatalf("not a delegated token: %v", c)
		}
		w, present := c["wids"]
		if !present {
			return "absent"
		}
		return fmt.Sprint(w)
	}
	both := fmt.Sprint([]any{roleSecurityReader, roleHelpdeskAdmin}) // sorted: 5d6b… < 7298…
	for _, c := range []struct{ claims, user, want string }{
		{"DirectoryRole", "alice", both},
		{"SecurityGroup", "alice", both},
		{"All", "alice", both},
		{"ApplicationGroup, DirectoryRole", "alice", both},
		{"", "alice", "absent"},
		{"None", "alice", "absent"},
		{"DirectoryRole", "bob", "absent"},   // a unit-scoped role only
		{"DirectoryRole", "carol", "absent"}, // through a role-assignable group: strict
	} {
		app := withClaims("app "+c.claims+" "+c.user, c.claims)
		if got := wids(app, c.user); got != c.want {
			t.Errorf("groupMembershipClaims %q, %s: wids %s, want %s", c.claims, c.user, got, c.want)
		}
	}

	// A role assigned after a sign-in is in the next token, not the old one.
	app := withClaims("later", "DirectoryRole")
	before := wids(app, "bob")
	assign(bob, roleUserAdmin, "/")
	if after := wids(app, "bob"); before != "absent" || after != fmt.Sprint([]any{roleUserAdmin}) {
		t.Errorf("bob before %s, after %s", before, after)
	}
	// The token with wids is a valid Graph token.
	if r := e.call("Bearer "+e.delegatedToken(app, "alice@"+tn.Domain()), "GET", "/v1.0/users/"+bob, nil); r.status != 200 {
		t.Errorf("GET with a wids token: %d %s", r.status, r.raw)
	}
}

// TestOpaqueTokens: with Options.OpaqueTokens the token endpoint issues
// access tokens that are not JWTs; Graph takes them for what they stand
// for (an app's roles, a user's scopes) until they expire. GET /me is the
// signed-in user of a delegated token and Graph's 400 for an app-only one.
func TestOpaqueTokens(t *testing.T) {
	s, err := New(Options{Seed: 11, OpaqueTokens: true})
	if err != nil {
		t.Fatal(err)
	}
	e := newIDEnvFor(t, s)
	appID := e.newApp("opaque reader")
	if err := e.s.Tenant().GrantAppRoles(appID, "User.Read.All"); err != nil {
		t.Fatal(err)
	}
	secret, err := e.s.Tenant().AddClientSecret(appID)
	if err != nil {
		t.Fatal(err)
	}
	r := e.tokenRequest(e.s.TenantID(), map[string][]string{"grant_type": {"client_credentials"}, "client_id": {appID},
		"client_secret": {secret}, "scope": {"https://graph.microsoft.com/.default"}})
	tok := str(r.body["access_token"])
	if r.status != 200 || tok == "" || strings.Count(tok, ".") == 2 {
		t.Fatalf("token: %d %s, want an opaque token", r.status, r.raw)
	}
	if got := e.call("Bearer "+tok, "GET", "/v1.0/users/"+e.userID, nil); got.status != 200 {
		t.Errorf("GET a user with User.Read.All: %d %s", got.status, got.raw)
	}
	if got := e.call("Bearer "+tok, "GET", "/v1.0/groups", nil); got.status != 403 {
		t.Errorf("GET groups without Group.Read.All: %d, want 403", got.status)
	}
	if got := e.call("Bearer "+tok, "GET", "/v1.0/me", nil); got.status != 400 || !strings.Contains(got.raw, "only valid with delegated authentication flow") {
		t.Errorf("GET /me app-only: %d %s, want 400", got.status, got.raw)
	}
	pub := e.newPublicClient("opaque signer", "User.Read.All")
	ut := e.delegatedToken(pub, "adele@"+e.s.Tenant().Domain())
	if strings.Count(ut, ".") == 2 {
		t.Fatal("the delegated token is a JWT")
	}
	if got := e.call("Bearer "+ut, "GET", "/v1.0/me", nil); got.status != 200 || !strings.EqualFold(str(got.body["id"]), e.userID) {
		t.Errorf("GET /me delegated: %d %s, want Adele", got.status, got.raw)
	}
	e.s.Clock().Advance(2 * time.Hour)
	if got := e.call("Bearer "+tok, "GET", "/v1.0/users/"+e.userID, nil); got.status != 401 {
		t.Errorf("an expired opaque token: %d, want 401", got.status)
	}
}
