package importer

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// guestFixture is the demo tenant with one of its guests and a member user
// in a new security group, exported: it returns the tag and the guest's
// and the group's objects at it.
func guestFixture(t *testing.T) (e *env, tag string, guest, group *Object) {
	t.Helper()
	e = newEnv(t, graphsim.Options{}, nil)
	var guestID, memberID string
	for _, u := range e.list("/v1.0/users?$select=id,userType,mail") {
		switch {
		case u["userType"] == "Guest" && guestID == "":
			guestID = str(u["id"])
		case u["userType"] == "Member" && memberID == "":
			memberID = str(u["id"])
		}
	}
	if guestID == "" || memberID == "" {
		t.Fatal("the demo tenant has no guest or no member")
	}
	resp, err := e.c.Post(context.Background(), "/v1.0/groups", map[string]any{"displayName": "Partner Project", "mailNickname": "partner-project",
		"mailEnabled": false, "securityEnabled": true})
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]any
	_ = json.Unmarshal(resp.Body, &g)
	for _, id := range []string{guestID, memberID} {
		e.do("POST", "/v1.0/groups/"+str(g["id"])+"/members/$ref", map[string]any{"@odata.id": e.srv.URL + "/v1.0/directoryObjects/" + id})
	}
	res, err := exporter.Run(context.Background(), exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Message: "with the partner group"})
	if err != nil || !res.Complete() {
		t.Fatalf("export: %v %+v", err, res)
	}
	for _, o := range e.snapshotObjects(res.Tag) {
		switch {
		case o.Kind.Name == "users" && strings.EqualFold(o.Key, guestID):
			guest = o
		case o.Kind.Name == "groups" && strings.EqualFold(o.Key, str(g["id"])):
			group = o
		}
	}
	if guest == nil || group == nil {
		t.Fatal("the guest or the group is not in the snapshot")
	}
	return e, res.Tag, guest, group
}

// A guest gone for good (deleted, then purged from the recycle bin) comes
// back through an invitation, not POST /users: the plan says it is
// re-invited without an e-mail, PATCHes the rest of its properties onto the
// new user, and adds the new user to the group it was in.
func TestRestorePurgedGuestIsReinvited(t *testing.T) {
	e, tag, guest, group := guestFixture(t)
	users, _ := guest.Kind, group.Kind
	if err := e.purge(users, guest); err != nil {
		t.Fatal(err)
	}
	sel := []string{guest.Path, group.Path}
	p := e.plan(tag, sel, Options{})
	holder := "{{new:" + guest.Key + "}}"
	var invite, patch, add *Action
	for i := range p.Actions {
		a := &p.Actions[i]
		switch {
		case a.Request.Method == "POST" && a.Request.Path == "/v1.0/users":
			t.Errorf("the guest is created as a local account: %s", a.Request.Body)
		case a.Request.Path == "/v1.0/invitations":
			invite = a
		case a.Request.Method == "PATCH" && strings.Contains(a.Request.Path, holder):
			patch = a
		case a.Op == OpAddLink && strings.Contains(string(a.Request.Body), holder):
			add = a
		}
	}
	if invite == nil || patch == nil || add == nil {
		t.Fatalf("want an invitation, a PATCH of the new user and the group membership of the new id:\n%s", render(p))
	}
	b := bodyOf(t, *invite)
	if b["invitedUserEmailAddress"] != guest.Data["mail"] || b["sendInvitationMessage"] != false || b["invitedUserType"] != "Guest" ||
		b["invitedUserDisplayName"] != guest.Data["displayName"] || !strings.HasPrefix(str(b["inviteRedirectUrl"]), "https://") {
		t.Errorf("invitation body %v", b)
	}
	if invite.Op != OpCreate || invite.Placeholder != holder || !strings.Contains(strings.Join(invite.Permissions, " "), "User.Invite.All") {
		t.Errorf("invitation action: op %s placeholder %s permissions %v", invite.Op, invite.Placeholder, invite.Permissions)
	}
	if !strings.Contains(render(p), guestNote) {
		t.Errorf("the plan does not say the guest is re-invited:\n%s", render(p))
	}
	pb := bodyOf(t, *patch)
	if pb["companyName"] != guest.Data["companyName"] || pb["userPrincipalName"] != nil || pb["passwordProfile"] != nil || pb["userType"] != nil {
		t.Errorf("PATCH after the invitation: %v", pb)
	}
	if len(patch.DependsOn) != 1 || patch.DependsOn[0] != invite.ID || !contains(add.DependsOn, invite.ID) {
		t.Errorf("the PATCH (%v) and the membership (%v) must wait for the invitation %s", patch.DependsOn, add.DependsOn, invite.ID)
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("apply: %+v\n%+v", res.Actions, res.Differences)
	}
	newID, ok := res.IDs.Resolve(guest.Key)
	if !ok || strings.EqualFold(newID, guest.Key) {
		t.Fatalf("no new id for the guest: %v %v", newID, ok)
	}
	u := e.list("/v1.0/users?$select=id,userType,externalUserState,creationType,companyName,userPrincipalName&$filter=id%20eq%20'" + url.QueryEscape(newID) + "'")
	if len(u) != 1 || u[0]["userType"] != "Guest" || u[0]["externalUserState"] != "PendingAcceptance" || u[0]["creationType"] != "Invitation" ||
		u[0]["companyName"] != guest.Data["companyName"] || u[0]["userPrincipalName"] != guest.Data["userPrincipalName"] {
		t.Errorf("the re-invited guest: %v", u)
	}
	found := false
	for _, m := range e.list("/v1.0/groups/" + group.Key + "/members?$select=id") {
		found = found || strings.EqualFold(str(m["id"]), newID)
	}
	if !found {
		t.Error("the re-invited guest is not back in its group")
	}
	e.mustBeEmptyAt(tag, sel)
}

// A guest in the recycle bin is restored from it with its id (and its
// redemption): no invitation.
func TestRestoreSoftDeletedGuestFromRecycleBin(t *testing.T) {
	e, tag, guest, _ := guestFixture(t)
	e.do("DELETE", "/v1.0/users/"+guest.Key, nil)
	p := e.plan(tag, []string{guest.Path}, Options{})
	if len(p.Actions) == 0 || p.Actions[0].Op != OpRestore {
		t.Fatalf("want a restore from the recycle bin:\n%s", render(p))
	}
	for _, a := range p.Actions {
		if strings.Contains(a.Request.Path, "invitations") || a.Op == OpCreate {
			t.Errorf("a guest in the recycle bin is re-invited or created: %s %s", a.Request.Method, a.Request.Path)
		}
	}
	if res := e.apply(p); !res.Complete() || res.IDs.Len() != 0 {
		t.Fatalf("apply: %+v %+v", res.Actions, res.Differences)
	}
	var back map[string]any
	for _, u := range e.list("/v1.0/users?$select=id,userType,externalUserState") {
		if strings.EqualFold(str(u["id"]), guest.Key) {
			back = u
		}
	}
	if back == nil || back["userType"] != "Guest" || back["externalUserState"] != guest.Data["externalUserState"] {
		t.Errorf("the restored guest: %v (at REV %v)", back, guest.Data["externalUserState"])
	}
}

// The address a guest is invited at, and a guest that has none.
func TestGuestEmail(t *testing.T) {
	for _, tc := range []struct {
		data map[string]any
		want string
	}{
		{map[string]any{"mail": "a@fabrikam.com", "userPrincipalName": "b_x.com#EXT#@t.onmicrosoft.com"}, "a@fabrikam.com"},
		{map[string]any{"mail": "bad\u202e@fabrikam.com", "otherMails": []any{"a\r@x.com", "c@litware.com"}}, "c@litware.com"},
		{map[string]any{"identities": []any{map[string]any{"issuerAssignedId": "d@woodgrove.com"}}}, "d@woodgrove.com"},
		{map[string]any{"mail": nil, "userPrincipalName": "eve_contoso.co.uk#EXT#@t.onmicrosoft.com"}, "eve@contoso.co.uk"},
		{map[string]any{"userPrincipalName": "first_last_x.org#ext#@t.onmicrosoft.com"}, "first_last@x.org"},
		{map[string]any{"userPrincipalName": "#EXT#@t.onmicrosoft.com", "mail": "no-at-sign"}, ""},
	} {
		if got := guestEmail(tc.data); got != tc.want {
			t.Errorf("guestEmail(%v) = %q, want %q", tc.data, got, tc.want)
		}
	}
	g := obj(t, "users", "11111111-0000-4000-8000-000000000001", map[string]any{"displayName": "No Address", "userType": "Guest",
		"userPrincipalName": "noaddress@contoso.onmicrosoft.com", "accountEnabled": true})
	p := compute(t, input([]*Object{g}, nil, nil))
	if len(p.Actions) != 0 || !strings.Contains(strings.Join(p.Warnings, "\n"), "re-invited at its e-mail address") {
		t.Errorf("a guest without an address: actions %s, warnings %v", opList(p), p.Warnings)
	}
}

func TestGuestEmailRefusesOddStrings(t *testing.T) {
	for _, s := range []string{"a\x00@x.com", "a b@x.com", "a\u200f@x.com", "a@x.com\n", string([]byte{0xff, '@', 'x', '.', 'c'}), "a@x", "@x.com", "a@@x.com"} {
		if plainEmail(s) {
			t.Errorf("plainEmail(%q) = true", s)
		}
	}
}

// The invitation names its permissions: a token without them is refused
// before anything is written, naming User.Invite.All; with exactly the
// permissions the plan lists, the re-invitation goes through.
func TestReinviteGuestWithListedPermissionsOnly(t *testing.T) {
	e, tag, guest, group := guestFixture(t)
	if err := e.purge(guest.Kind, guest); err != nil {
		t.Fatal(err)
	}
	sel := []string{guest.Path, group.Path}
	p := e.plan(tag, sel, Options{})
	restrict := func(perms ...string) ApplyOptions {
		tok := e.token(append(layout.ExportPermissions(layout.Kinds()), perms...)...)
		o := e.applyOpts()
		o.Client, o.Token = e.client(tok), tok
		o.Record = e.recordWith(o.Client)
		return o
	}
	_, err := Apply(context.Background(), p, restrict("GroupMember.ReadWrite.All"))
	var pe *PermissionError
	if !errors.As(err, &pe) || !contains(pe.Missing, "User.Invite.All") {
		t.Fatalf("apply without User.Invite.All: %v", err)
	}
	if n := len(e.list("/v1.0/users?$filter=mail%20eq%20'" + url.QueryEscape(str(guest.Data["mail"])) + "'")); n != 0 {
		t.Fatalf("something was written: %d users with the guest's mail", n)
	}
	var listed []string
	for _, a := range p.Actions {
		for _, alt := range a.Permissions {
			listed = append(listed, strings.Split(alt, "|")[0])
		}
	}
	if !contains(listed, "User.Invite.All") {
		t.Fatalf("the plan's actions do not list User.Invite.All: %v", listed)
	}
	res, err := Apply(context.Background(), p, restrict(listed...))
	if err != nil {
		t.Fatalf("apply with the listed permissions: %v", err)
	}
	if !res.Complete() {
		t.Fatalf("apply with the listed permissions: %v %+v %+v", err, res.Actions, res.Differences)
	}
}
