package importer

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/entrasnap/entrasnap/layout"
)

// Guests (B2B collaboration users) and the members entrasnap does not back
// up (devices, organizational contacts).
//
// A guest that is gone for good is not created with POST /users, which
// makes a local account (and Graph refuses it for a guest:
// learn:/graph/api/user-post-users sends external users to the invitation
// API): it is invited again with POST /invitations
// (learn:/graph/api/invitation-post), without an e-mail, and the rest of
// its writable properties are PATCHed onto the new user. References to it
// (group memberships, role assignments, ...) are remapped to the new id as
// for any recreated object. A guest in the recycle bin is restored from it
// (same id, redemption kept), as any user.

// guestNote is what the plan says about a re-invited guest.
const guestNote = "re-invited; the guest must redeem the invitation again; no e-mail is sent"

// guestInvitePermissions are the permissions of POST /invitations, least first.
var guestInvitePermissions = []string{"User.Invite.All|User.ReadWrite.All|Directory.ReadWrite.All"}

// guestSetByInvitation are user properties the invitation writes (or Graph
// derives from it): they are not PATCHed after it.
var guestSetByInvitation = map[string]bool{
	"displayName": true, "userType": true, "userPrincipalName": true, "mailNickname": true,
	"mail": true, "identities": true, "passwordProfile": true,
}

// isGuest reports whether a user is an external (B2B) user: userType Guest,
// or a user principal name of the #EXT# form.
func isGuest(data map[string]any) bool {
	return strings.EqualFold(str(data["userType"]), "Guest") || strings.Contains(strings.ToUpper(str(data["userPrincipalName"])), "#EXT#")
}

// guestEmail is the address a guest is invited at: its mail, else another
// mail, an e-mail sign-in identity, or the address its #EXT# user principal
// name is made of (alice_fabrikam.com#EXT#@… → alice@fabrikam.com). "" when
// none is a plain address.
func guestEmail(data map[string]any) string {
	cands := []string{str(data["mail"])}
	for _, m := range asSlice(data["otherMails"]) {
		cands = append(cands, str(m))
	}
	for _, id := range asSlice(data["identities"]) {
		if m, ok := id.(map[string]any); ok && !strings.Contains(strings.ToUpper(str(m["issuerAssignedId"])), "#EXT#") {
			cands = append(cands, str(m["issuerAssignedId"]))
		}
	}
	upn := str(data["userPrincipalName"])
	if i := strings.Index(strings.ToUpper(upn), "#EXT#"); i > 0 {
		if j := strings.LastIndexByte(upn[:i], '_'); j > 0 {
			cands = append(cands, upn[:j]+"@"+upn[j+1:i])
		}
	}
	for _, c := range cands {
		if plainEmail(c) {
			return c
		}
	}
	return ""
}

func plainEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 || len(s) > 256 {
		return false
	}
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		// No spaces, controls, bidi overrides or other format characters.
		if !unicode.IsPrint(r) || r == ' ' || r == '#' || r == utf8.RuneError {
			return false
		}
	}
	d := s[at+1:]
	return strings.Contains(d, ".") && !strings.HasPrefix(d, ".") && !strings.HasSuffix(d, ".")
}

// guestCannotCreate says why a guest gone for good cannot be invited again.
func guestCannotCreate(k *layout.Kind, data map[string]any) string {
	if k.Name != "users" || !isGuest(data) || guestEmail(data) != "" {
		return ""
	}
	return "a guest is re-invited at its e-mail address, and the snapshot has none (mail, otherMails, identities, #EXT# user principal name)"
}

// createGuest plans the invitation of a guest gone for good, then the PATCH
// of its other writable properties (b, the create body a local user would
// have had) onto the new user.
func (pl *planner) createGuest(s *objState, b map[string]any, changes []Change, warns []string) {
	email := guestEmail(s.d.Data)
	userType := "Guest"
	if strings.EqualFold(str(s.d.Data["userType"]), "Member") {
		userType = "Member" // an external member (#EXT# with userType Member)
	}
	redirect := "https://myapplications.microsoft.com"
	if pl.in.TenantID != "" {
		redirect += "/?tenantid=" + pl.in.TenantID
	}
	inv := map[string]any{"invitedUserEmailAddress": email, "inviteRedirectUrl": redirect, "sendInvitationMessage": false,
		"invitedUserDisplayName": displayName(s.d), "invitedUserType": userType}
	warns = append(warns, fmt.Sprintf("%s (invitation to %s; send them the redemption link or let them sign in to an app of the tenant, then check what the guest had access to)", guestNote, email))
	var invChanges, patchChanges []Change
	for _, c := range changes {
		if guestSetByInvitation[c.Path] {
			invChanges = append(invChanges, c)
		} else {
			patchChanges = append(patchChanges, c)
		}
	}
	s.main = pl.add(s, Action{Op: OpCreate, Request: Request{Method: "POST", Path: "/v1.0/invitations", Body: body(inv)},
		Changes: invChanges, Warnings: warns, Placeholder: s.holder, Permissions: guestInvitePermissions})
	rest := map[string]any{}
	for p, v := range b {
		if !guestSetByInvitation[p] {
			rest[p] = v
		}
	}
	if len(rest) > 0 {
		pl.add(s, Action{Op: OpUpdate, Request: Request{Method: "PATCH", Path: itemPath(s.k, s.holder), Body: body(rest)},
			Changes: patchChanges, DependsOn: []string{s.main}})
	}
	pl.children(s, nil, false)
}

// guestRedeemed says why a guest's property that differs from REV is not
// written: a guest's sign-in identities are made when it redeems its
// invitation (an Entra guest's ExternalAzureAD identity, a one-time passcode
// guest's mail identity), not by restore; "" for anything else.
func guestRedeemed(k *layout.Kind, data map[string]any, top string) string {
	if k.Name != "users" || top != "identities" || !isGuest(data) {
		return ""
	}
	return "identities differ from REV: a guest's sign-in identities are set when it redeems its invitation, not written by restore"
}

// ---- devices and organizational contacts ----

// externalMemberTypes are the @odata.type values of members entrasnap keeps
// as opaque references ({id, @odata.type}) without backing the objects up:
// it re-adds them when they still exist and says so when they do not.
var externalMemberTypes = map[string]string{
	"#microsoft.graph.device":     "device",
	"#microsoft.graph.orgContact": "organizational contact",
}

// externalRefs returns the lower-case ids of the external members (devices,
// contacts) in an object's reference children.
func externalRefs(o *Object) map[string]bool {
	out := map[string]bool{}
	for _, ch := range o.Kind.Children {
		if !ch.Refs {
			continue
		}
		for _, it := range asSlice(o.Data[ch.Name]) {
			if m, ok := it.(map[string]any); ok {
				if _, ext := externalMemberTypes[str(m["@odata.type"])]; ext {
					out[strings.ToLower(str(m["id"]))] = true
				}
			}
		}
	}
	return out
}

// memberLabel names a member in a warning: "device <id>" for the kinds not
// backed up, else its name and id.
func (pl *planner) memberLabel(m map[string]any, target string) string {
	if what, ok := externalMemberTypes[str(m["@odata.type"])]; ok {
		return what + " " + pl.refName(target)
	}
	return pl.refName(target)
}
