package graphsim

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// Guests come through invitations; devices and organizational contacts are
// group and unit members (guests.go and doc.go's table).

func TestGuestsAreInvitedNotCreated(t *testing.T) {
	s, _ := gwServer(t)
	dom := s.Tenant().Domain()
	local := func(extra map[string]any) map[string]any {
		b := map[string]any{"accountEnabled": true, "displayName": "Alice", "mailNickname": "alice",
			"userPrincipalName": "alice@" + dom, "passwordProfile": map[string]any{"password": "P@ssw0rd!x1"}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	wantError(t, s, "POST", "/v1.0/users", local(map[string]any{"userType": "Guest"}), 400, "invite them with POST /invitations")
	wantError(t, s, "POST", "/v1.0/users", local(map[string]any{"userPrincipalName": "alice_fabrikam.com#EXT#@" + dom,
		"mailNickname": "alice_fabrikam.com#EXT#"}), 400, "invite them with POST /invitations")

	invite := map[string]any{"invitedUserEmailAddress": "alice@fabrikam.com", "inviteRedirectUrl": "https://myapplications.microsoft.com",
		"sendInvitationMessage": false, "invitedUserDisplayName": "Alice (Fabrikam)", "invitedUserType": "Guest"}
	without := func(p string) map[string]any {
		b := deepCopy(invite).(map[string]any)
		delete(b, p)
		return b
	}
	wantError(t, s, "POST", "/v1.0/invitations", without("inviteRedirectUrl"), 400, "inviteRedirectUrl")
	wantError(t, s, "POST", "/v1.0/invitations", without("invitedUserEmailAddress"), 400, "invitedUserEmailAddress")
	bad := deepCopy(invite).(map[string]any)
	bad["invitedUserEmailAddress"] = "alice@" + dom
	wantError(t, s, "POST", "/v1.0/invitations", bad, 400, "domain of this tenant")
	bad = deepCopy(invite).(map[string]any)
	bad["status"] = "Completed"
	wantError(t, s, "POST", "/v1.0/invitations", bad, 400, "read-only")
	bad = deepCopy(invite).(map[string]any)
	bad["invitedUserDisplayNme"] = "typo"
	wantError(t, s, "POST", "/v1.0/invitations", bad, 400, "invitedUserDisplayNme")
	wantError(t, s, "GET", "/v1.0/invitations", nil, 405, "")

	users := s.Tenant().Count("user")
	inv := genJSON(t, s, "POST", "/v1.0/invitations", invite, 201)
	invited, _ := inv["invitedUser"].(map[string]any)
	id := str(invited["id"])
	if id == "" || inv["status"] != "PendingAcceptance" || !strings.HasPrefix(str(inv["inviteRedeemUrl"]), "https://") ||
		inv["invitedUserType"] != "Guest" || inv["sendInvitationMessage"] != false || inv["invitedUserEmailAddress"] != "alice@fabrikam.com" ||
		str(inv["id"]) == id || !strings.HasSuffix(str(inv["@odata.context"]), "$metadata#invitations/$entity") {
		t.Fatalf("invitation answer: %v", inv)
	}
	u := genJSON(t, s, "GET", "/v1.0/users/"+id+"?$select=id,userType,externalUserState,userPrincipalName,creationType,mail,displayName,identities", nil, 200)
	if u["userType"] != "Guest" || u["externalUserState"] != "PendingAcceptance" || u["creationType"] != "Invitation" ||
		u["userPrincipalName"] != "alice_fabrikam.com#EXT#@"+dom || u["mail"] != "alice@fabrikam.com" || u["displayName"] != "Alice (Fabrikam)" {
		t.Errorf("invited user: %v", u)
	}
	if s.Tenant().Count("user") != users+1 {
		t.Errorf("users: %d, want %d", s.Tenant().Count("user"), users+1)
	}
	again := genJSON(t, s, "POST", "/v1.0/invitations", invite, 201)
	if got := str(again["invitedUser"].(map[string]any)["id"]); got != id || s.Tenant().Count("user") != users+1 {
		t.Errorf("second invitation of the same address: user %s (want %s), %d users", got, id, s.Tenant().Count("user"))
	}
	// The invited guest is a directory object like any user.
	g := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "G", "mailNickname": "g", "mailEnabled": false, "securityEnabled": true}, 201)
	if code, raw := genDo(t, s, "POST", "/v1.0/groups/"+str(g["id"])+"/members/$ref", ref(id)); code != 204 {
		t.Errorf("add the guest to a group: %d %s", code, raw)
	}
}

func TestInvitationNeedsUserInvite(t *testing.T) {
	e := newIDEnv(t)
	body := map[string]any{"invitedUserEmailAddress": "bob@fabrikam.com", "inviteRedirectUrl": "https://myapplications.microsoft.com", "sendInvitationMessage": false}
	readOnly, sec := e.newClient("reader", "User.Read.All")
	if r := e.call("Bearer "+e.token(readOnly, sec), "POST", "/v1.0/invitations", body); r.status != 403 {
		t.Errorf("User.Read.All: %d %s, want 403", r.status, r.raw)
	}
	inviter, sec := e.newClient("inviter", "User.Invite.All")
	if r := e.call("Bearer "+e.token(inviter, sec), "POST", "/v1.0/invitations", body); r.status != 201 {
		t.Errorf("User.Invite.All: %d %s, want 201", r.status, r.raw)
	}
}

func TestDevicesAndContactsAsMembers(t *testing.T) {
	s, users := gwServer(t)
	tn := s.Tenant()
	dev, err := tn.Seed("device", map[string]any{"displayName": "LT-1", "deviceId": "8c7f1e2a-0000-4000-8000-000000000001", "accountEnabled": true})
	if err != nil {
		t.Fatal(err)
	}
	contact, err := tn.Seed("orgContact", map[string]any{"displayName": "Dana", "mail": "dana@fabrikam.com"})
	if err != nil {
		t.Fatal(err)
	}
	sec := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "S", "mailNickname": "s", "mailEnabled": false, "securityEnabled": true}, 201)
	m365 := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "M", "mailNickname": "m", "mailEnabled": true, "securityEnabled": false,
		"groupTypes": []any{"Unified"}}, 201)
	au := genJSON(t, s, "POST", "/v1.0/directory/administrativeUnits", map[string]any{"displayName": "AU"}, 201)
	secID, auID := str(sec["id"]), str(au["id"])
	for _, id := range []string{dev, contact, users[0]} {
		if code, raw := genDo(t, s, "POST", "/v1.0/groups/"+secID+"/members/$ref", ref(id)); code != 204 {
			t.Errorf("security group += %s: %d %s", id, code, raw)
		}
	}
	wantError(t, s, "POST", "/v1.0/groups/"+str(m365["id"])+"/members/$ref", ref(dev), 400, "only users")
	if code, raw := genDo(t, s, "POST", "/v1.0/directory/administrativeUnits/"+auID+"/members/$ref", ref(dev)); code != 204 {
		t.Errorf("unit += device: %d %s", code, raw)
	}
	wantError(t, s, "POST", "/v1.0/directory/administrativeUnits/"+auID+"/members/$ref", ref(contact), 400, "cannot be added")
	list := genJSON(t, s, "GET", "/v1.0/groups/"+secID+"/members?$select=id", nil, 200)
	types := map[string]string{}
	for _, it := range asSlice(list["value"]) {
		m := it.(map[string]any)
		types[str(m["id"])] = str(m["@odata.type"])
	}
	if types[dev] != "#microsoft.graph.device" || types[contact] != "#microsoft.graph.orgContact" || types[users[0]] != "#microsoft.graph.user" {
		t.Errorf("members: %v", types)
	}
	// Neither is created through the application API; contacts are read only.
	wantError(t, s, "POST", "/v1.0/devices", map[string]any{"displayName": "x"}, 405, "")
	wantError(t, s, "POST", "/v1.0/contacts", map[string]any{"displayName": "x"}, 405, "")
	wantError(t, s, "DELETE", "/v1.0/contacts/"+contact, nil, 405, "")
	genJSON(t, s, "GET", "/v1.0/devices/"+dev, nil, 200)
	genJSON(t, s, "GET", "/v1.0/contacts/"+contact, nil, 200)
	// A deleted device is gone for good: not in the recycle bin, not a member.
	if code, raw := genDo(t, s, "DELETE", "/v1.0/devices/"+dev, nil); code != 204 {
		t.Fatalf("delete device: %d %s", code, raw)
	}
	wantError(t, s, "GET", "/v1.0/directory/deletedItems/"+dev, nil, 404, "")
	list = genJSON(t, s, "GET", "/v1.0/groups/"+secID+"/members?$select=id", nil, 200)
	for _, it := range asSlice(list["value"]) {
		if str(it.(map[string]any)["id"]) == dev {
			t.Errorf("the deleted device is still listed as a member")
		}
	}
	wantError(t, s, "POST", "/v1.0/groups/"+secID+"/members/$ref", ref(dev), 404, "")
}

// An invitation is a directory write: it is priced (x-ms-resource-unit) and
// counted against the app's write quota like POST /users (strict: the invitation service's own
// limits are not documented).
func TestInvitationIsThrottledAsADirectoryWrite(t *testing.T) {
	s, err := New(Options{Profile: "empty", Seed: 3, Throttle: "realistic"})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"invitedUserEmailAddress":"g@fabrikam.com","inviteRedirectUrl":"https://myapplications.microsoft.com"}`
	req := httptest.NewRequest("POST", "http://graph.test/v1.0/invitations", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.Token())
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 201 || rec.Header().Get("x-ms-resource-unit") != "1" {
		t.Errorf("invitation: %d, x-ms-resource-unit %q: %s", rec.Code, rec.Header().Get("x-ms-resource-unit"), rec.Body)
	}
}
