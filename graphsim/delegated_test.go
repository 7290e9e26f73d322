package graphsim

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// roleGroupsAdmin is the Groups Administrator template id
// (learn:/entra/identity/role-based-access-control/permissions-reference);
// roleUserAdmin and roleHelpdeskAdmin are in generate.go.
const roleGroupsAdmin = "fdd7a751-b60b-444a-984c-02652fe8fa1c"

// newPublicClient seeds an app that allows public client flows, with the
// delegated Graph scopes consented for all users.
func (e *idEnv) newPublicClient(name string, scopes ...string) string {
	e.t.Helper()
	appID := e.newApp(name)
	tn := e.s.Tenant()
	tn.mu.Lock()
	tn.appByAppID(appID).o()["isFallbackPublicClient"] = true
	tn.mu.Unlock()
	if len(scopes) > 0 {
		if err := tn.GrantDelegated(appID, scopes...); err != nil {
			e.t.Fatal(err)
		}
	}
	return appID
}

func (e *idEnv) deviceCode(appID, scope string) idResp {
	e.t.Helper()
	form := url.Values{"client_id": {appID}, "scope": {scope}}
	req := newFormRequest(e.url+"/"+e.s.TenantID()+"/oauth2/v2.0/devicecode", form)
	return e.do(req)
}

func deviceForm(appID, code string) url.Values {
	return url.Values{"grant_type": {deviceCodeGrant}, "client_id": {appID}, "device_code": {code}}
}

// delegatedToken signs user in on appID through the device code flow.
func (e *idEnv) delegatedToken(appID, user string) string {
	e.t.Helper()
	dc := e.deviceCode(appID, "https://graph.microsoft.com/.default offline_access openid profile")
	if dc.status != 200 {
		e.t.Fatalf("devicecode: %d %s", dc.status, dc.raw)
	}
	if err := e.s.ApproveDeviceCode(str(dc.body["user_code"]), user); err != nil {
		e.t.Fatal(err)
	}
	r := e.tokenRequest(e.s.TenantID(), deviceForm(appID, str(dc.body["device_code"])))
	if r.status != 200 {
		e.t.Fatalf("token: %d %s", r.status, r.raw)
	}
	return str(r.body["access_token"])
}

func TestDeviceCodeFlow(t *testing.T) {
	e := newIDEnv(t)
	appID := e.newPublicClient("entrasnap restore", "User.ReadWrite.All", "Group.ReadWrite.All")
	upn := "adele@" + e.s.Tenant().Domain()

	dc := e.deviceCode(appID, "https://graph.microsoft.com/.default offline_access")
	if dc.status != 200 || str(dc.body["user_code"]) == "" || dc.body["interval"] != float64(5) || dc.body["expires_in"] != float64(900) ||
		!strings.Contains(str(dc.body["message"]), str(dc.body["user_code"])) {
		t.Fatalf("devicecode: %d %s", dc.status, dc.raw)
	}
	code := str(dc.body["device_code"])
	// Pending until approved.
	r := e.tokenRequest(e.s.TenantID(), deviceForm(appID, code))
	if r.status != 400 || str(r.body["error"]) != "authorization_pending" || r.aadsts() != 70016 {
		t.Fatalf("before approval: %d %s, want 400 authorization_pending", r.status, r.raw)
	}
	if err := e.s.ApproveDeviceCode(str(dc.body["user_code"]), "nobody@"+e.s.Tenant().Domain()); err == nil {
		t.Error("approving as a user who does not exist succeeded")
	}
	if err := e.s.ApproveDeviceCode(str(dc.body["user_code"]), upn); err != nil {
		t.Fatal(err)
	}
	r = e.tokenRequest(e.s.TenantID(), deviceForm(appID, code))
	if r.status != 200 || str(r.body["refresh_token"]) == "" || str(r.body["id_token"]) == "" || str(r.body["client_info"]) == "" {
		t.Fatalf("after approval: %d %s", r.status, r.raw)
	}
	c := jwtPayload(t, str(r.body["access_token"]))
	if c["idtyp"] != "user" || c["oid"] != e.userID || c["scp"] != "Group.ReadWrite.All User.ReadWrite.All" || c["appid"] != appID || c["roles"] != nil {
		t.Errorf("claims = %v, want a delegated token for %s with scp", c, e.userID)
	}
	// A device code is redeemed once.
	if r := e.tokenRequest(e.s.TenantID(), deviceForm(appID, code)); r.status != 400 || str(r.body["error"]) != "invalid_grant" {
		t.Errorf("second redemption: %d %s", r.status, r.raw)
	}
	// The refresh token gives a new access token.
	rf := e.tokenRequest(e.s.TenantID(), url.Values{"grant_type": {"refresh_token"}, "client_id": {appID}, "refresh_token": {str(r.body["refresh_token"])}})
	if rf.status != 200 || jwtPayload(t, str(rf.body["access_token"]))["oid"] != e.userID {
		t.Errorf("refresh: %d %s", rf.status, rf.raw)
	}

	// Unknown, declined and expired codes.
	if r := e.tokenRequest(e.s.TenantID(), deviceForm(appID, "nope")); str(r.body["error"]) != "bad_verification_code" {
		t.Errorf("unknown code: %s", r.raw)
	}
	dc2 := e.deviceCode(appID, "https://graph.microsoft.com/.default")
	if err := e.s.DeclineDeviceCode(str(dc2.body["user_code"])); err != nil {
		t.Fatal(err)
	}
	if r := e.tokenRequest(e.s.TenantID(), deviceForm(appID, str(dc2.body["device_code"]))); str(r.body["error"]) != "authorization_declined" {
		t.Errorf("declined: %s", r.raw)
	}
	dc3 := e.deviceCode(appID, "https://graph.microsoft.com/.default")
	e.s.Clock().Advance(15*time.Minute + time.Second)
	if r := e.tokenRequest(e.s.TenantID(), deviceForm(appID, str(dc3.body["device_code"]))); str(r.body["error"]) != "expired_token" || r.aadsts() != 70020 {
		t.Errorf("expired: %s", r.raw)
	}
	if err := e.s.ApproveDeviceCode(str(dc3.body["user_code"]), upn); err == nil {
		t.Error("approving an expired code succeeded")
	}

	// A confidential client (no public client flows) must authenticate.
	conf := e.newApp("confidential")
	if err := e.s.Tenant().GrantDelegated(conf, "User.Read"); err != nil {
		t.Fatal(err)
	}
	dc4 := e.deviceCode(conf, "https://graph.microsoft.com/.default")
	_ = e.s.ApproveDeviceCode(str(dc4.body["user_code"]), upn)
	if r := e.tokenRequest(e.s.TenantID(), deviceForm(conf, str(dc4.body["device_code"]))); r.aadsts() != 7000218 {
		t.Errorf("confidential client: %d %s, want AADSTS7000218", r.status, r.raw)
	}
	// A scope nobody consented to is refused.
	dc5 := e.deviceCode(appID, "https://graph.microsoft.com/Directory.ReadWrite.All")
	_ = e.s.ApproveDeviceCode(str(dc5.body["user_code"]), upn)
	if r := e.tokenRequest(e.s.TenantID(), deviceForm(appID, str(dc5.body["device_code"]))); r.aadsts() != 65001 {
		t.Errorf("unconsented scope: %d %s, want AADSTS65001", r.status, r.raw)
	}
	// ApproveDeviceCodesAs approves every new code.
	if err := e.s.ApproveDeviceCodesAs(upn); err != nil {
		t.Fatal(err)
	}
	dc6 := e.deviceCode(appID, "https://graph.microsoft.com/.default")
	if r := e.tokenRequest(e.s.TenantID(), deviceForm(appID, str(dc6.body["device_code"]))); r.status != 200 {
		t.Errorf("--approve-as: %d %s", r.status, r.raw)
	}
}

// TestDeviceCodeAzidentity signs in through azidentity's DeviceCodeCredential
// (the product's path), approving in its prompt.
func TestDeviceCodeAzidentity(t *testing.T) {
	e := newIDEnv(t)
	appID := e.newPublicClient("entrasnap restore", "User.Read.All")
	upn := "adele@" + e.s.Tenant().Domain()
	prompts := 0
	cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions: e.azOptions(), DisableInstanceDiscovery: true, TenantID: e.s.TenantID(), ClientID: appID,
		UserPrompt: func(ctx context.Context, m azidentity.DeviceCodeMessage) error {
			prompts++
			return e.s.ApproveDeviceCode(m.UserCode, upn)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rec, err := cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if !strings.EqualFold(rec.Username, upn) || !strings.HasPrefix(rec.HomeAccountID, e.userID+".") {
		t.Errorf("record = %+v, want %s", rec, upn)
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if c := jwtPayload(t, tok.Token); c["scp"] != "User.Read.All" || c["oid"] != e.userID {
		t.Errorf("claims = %v", c)
	}
	if prompts != 1 {
		t.Errorf("prompted %d times, want 1 (GetToken after Authenticate is silent)", prompts)
	}
	if r := e.call("Bearer "+tok.Token, "GET", "/v1.0/users", nil); r.status != 200 {
		t.Errorf("GET /users: %d %s", r.status, r.raw)
	}
}

// TestDelegatedAUScopedRoles: the effective permission of a delegated token
// is the intersection of the app's scopes and the user's roles, and a role
// scoped to an administrative unit reaches only the unit's members.
func TestDelegatedAUScopedRoles(t *testing.T) {
	e := newIDEnv(t)
	tn := e.s.Tenant()
	god := "Bearer " + e.s.Token()
	alice, bob, carol, dave, erin := e.seedUser("alice"), e.seedUser("bob"), e.seedUser("carol"), e.seedUser("dave"), e.seedUser("erin")
	grp, err := tn.Seed("group", map[string]any{"displayName": "EU staff", "mailNickname": "eustaff", "mailEnabled": false,
		"securityEnabled": true, "groupTypes": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := tn.Seed("group", map[string]any{"displayName": "US staff", "mailNickname": "usstaff", "mailEnabled": false,
		"securityEnabled": true, "groupTypes": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	au, err := tn.Seed("administrativeUnit", map[string]any{"displayName": "Helpdesk-EU"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{bob, grp} {
		if r := e.call(god, "POST", "/v1.0/directory/administrativeUnits/"+au+"/members/$ref",
			map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}); r.status != 204 {
			t.Fatalf("AU member: %d %s", r.status, r.raw)
		}
	}
	assign := func(principal, role, scope string) {
		if r := e.call(god, "POST", "/v1.0/roleManagement/directory/roleAssignments",
			map[string]any{"principalId": principal, "roleDefinitionId": role, "directoryScopeId": scope}); r.status != 201 {
			t.Fatalf("role assignment: %d %s", r.status, r.raw)
		}
	}
	assign(alice, roleUserAdmin, "/administrativeUnits/"+au)
	assign(carol, roleHelpdeskAdmin, "/")
	assign(dave, roleGroupsAdmin, "/administrativeUnits/"+au)
	assign(erin, roleSecurityReader, "/")

	app := e.newPublicClient("entrasnap restore", "User.ReadWrite.All", "Group.ReadWrite.All", "Directory.Read.All", "Policy.Read.All")
	tok := func(user string) string { return "Bearer " + e.delegatedToken(app, user+"@"+tn.Domain()) }
	aliceTok, carolTok, daveTok, bobTok, erinTok := tok("alice"), tok("carol"), tok("dave"), tok("bob"), tok("erin")
	patch := map[string]any{"jobTitle": "Restored"}
	ref := func(id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}
	}
	for _, c := range []struct {
		name, auth, method, path string
		body                     any
		want                     int
	}{
		{"reads need no role", bobTok, "GET", "/v1.0/users/" + carol, nil, 200},
		{"Conditional Access reads need a role", aliceTok, "GET", "/v1.0/identity/conditionalAccess/policies", nil, 403},
		{"Security Reader reads Conditional Access", erinTok, "GET", "/v1.0/identity/conditionalAccess/policies", nil, 200},
		{"Security Reader writes nothing", erinTok, "PATCH", "/v1.0/users/" + bob, patch, 403},
		{"no role: no write", bobTok, "PATCH", "/v1.0/users/" + bob, patch, 403},
		{"AU-scoped User Administrator, user in the unit", aliceTok, "PATCH", "/v1.0/users/" + bob, patch, 204},
		{"AU-scoped User Administrator, user outside the unit", aliceTok, "PATCH", "/v1.0/users/" + carol, patch, 403},
		{"AU scope: no creation through /users", aliceTok, "POST", "/v1.0/users", map[string]any{"accountEnabled": true,
			"displayName": "N", "mailNickname": "n", "userPrincipalName": "n@" + tn.Domain(), "passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-d"}}, 403},
		{"AU-scoped, group in the unit, member in the unit", aliceTok, "POST", "/v1.0/groups/" + grp + "/members/$ref", ref(bob), 204},
		{"AU-scoped, group in the unit, member outside", aliceTok, "POST", "/v1.0/groups/" + grp + "/members/$ref", ref(carol), 403},
		{"AU-scoped, group outside the unit", aliceTok, "PATCH", "/v1.0/groups/" + other, map[string]any{"description": "x"}, 403},
		{"AU-scoped Groups Administrator: groups, not users", daveTok, "PATCH", "/v1.0/users/" + bob, patch, 403},
		{"AU-scoped Groups Administrator, group in the unit", daveTok, "PATCH", "/v1.0/groups/" + grp, map[string]any{"description": "x"}, 204},
		{"Helpdesk Administrator: not a profile change", carolTok, "PATCH", "/v1.0/users/" + bob, patch, 403},
		{"Helpdesk Administrator: a password reset", carolTok, "PATCH", "/v1.0/users/" + bob,
			map[string]any{"passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-e", "forceChangePasswordNextSignIn": true}}, 204},
	} {
		if r := e.call(c.auth, c.method, c.path, c.body); r.status != c.want {
			t.Errorf("%s: %s %s = %d %s, want %d", c.name, c.method, c.path, r.status, r.raw, c.want)
		}
	}

	// The intersection: a role does not lift the app's scopes.
	readOnly := e.newPublicClient("reader", "User.Read.All")
	if r := e.call("Bearer "+e.delegatedToken(readOnly, "alice@"+tn.Domain()), "PATCH", "/v1.0/users/"+bob, patch); r.status != 403 {
		t.Errorf("User.Read.All scope with a User Administrator role: PATCH = %d, want 403", r.status)
	}

	// The audit record of a delegated write names the user.
	e.s.Clock().Advance(time.Hour)
	r := e.call(god, "GET", "/v1.0/auditLogs/directoryAudits?$filter="+url.QueryEscape("initiatedBy/user/id eq '"+alice+"'"), nil)
	vals, _ := r.body["value"].([]any)
	if r.status != 200 || len(vals) == 0 {
		t.Fatalf("audit by alice: %d %s", r.status, r.raw)
	}
	by, _ := vals[0].(map[string]any)["initiatedBy"].(map[string]any)
	if u, _ := by["user"].(map[string]any); u == nil || u["userPrincipalName"] != "alice@"+tn.Domain() {
		t.Errorf("initiatedBy = %v, want alice", by)
	}
	// and no client app: Graph's documented records of a user's change
	// carry "app": null (directoryaudit-list, both examples); nothing
	// documents the portal or another client app there.
	if app, ok := by["app"]; !ok || app != nil {
		t.Errorf("initiatedBy.app = %v (present: %v), want null for a user's change", app, ok)
	}
}

func newFormRequest(u string, form url.Values) *http.Request {
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
