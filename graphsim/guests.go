package graphsim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Guests, devices and organizational contacts.
//
// A guest (B2B collaboration user: userType Guest, a UPN such as
// alice_fabrikam.com#EXT#@contoso.onmicrosoft.com) is made by an
// invitation, POST /invitations (learn:/graph/api/invitation-post,
// resources/invitation), never by POST /users: Graph's create-user page
// (learn:/graph/api/user-post-users) sends external users to the invitation
// API, and graphsim takes the strict reading and refuses a POST /users that
// would make one (userType Guest, or an #EXT# user principal name).
//
// Devices (/devices) and organizational contacts (/contacts) are directory
// objects that security groups hold as members (learn:/graph/api/group-post-members:
// users, organizational contacts, service principals, devices, groups) and
// administrative units hold devices (learn:/graph/api/administrativeunit-post-members:
// users, groups, devices; contacts are not listed, so graphsim refuses
// them). Graph creates neither through application permissions: POST
// /devices is delegated only (device-post-devices) and v1.0 has no create,
// update or delete of orgContacts (resources/orgcontact: they come from
// Exchange or directory sync). A deleted device is gone for good: devices
// are not among the types /directory/deletedItems holds
// (directory-deleteditems-list), so graphsim deletes them hard.

var deviceKind = &Kind{
	Name: "device", ODataType: "#microsoft.graph.device", Paths: []string{"devices"},
	Directory: true, Throttle: "directory", ReadCost: 1,
	NoCreate: true, // device-post-devices: no application permission
	ReadOnly: append([]string{"deviceId", "registrationDateTime", "approximateLastSignInDateTime",
		"complianceExpirationDateTime", "onPremisesLastSyncDateTime", "onPremisesSecurityIdentifier",
		"onPremisesSyncEnabled", "trustType", "isManagementRestricted", "mdmAppId", "managementType"}, dirReadOnly...),
	Filterable: []string{"id", "displayName", "deviceId", "operatingSystem", "accountEnabled", "trustType"},
}

var orgContactKind = &Kind{
	Name: "orgContact", ODataType: "#microsoft.graph.orgContact", Paths: []string{"contacts"},
	Directory: true, Throttle: "directory", ReadCost: 1,
	NoCreate: true, NoUpdate: true, NoDelete: true, // resources/orgcontact (v1.0): read only
	ReadOnly:   dirReadOnly,
	Filterable: []string{"id", "displayName", "mail", "mailNickname"},
}

const msgGuestViaInvitation = "Guest users cannot be created with this request: invite them with POST /invitations (userType Guest and #EXT# user principal names are set by the invitation)."

// refuseGuestCreate is the create-user rule: no guest through POST /users.
func refuseGuestCreate(body map[string]any) *apiError {
	if strings.EqualFold(str(body["userType"]), "Guest") || strings.Contains(strings.ToUpper(str(body["userPrincipalName"])), "#EXT#") {
		return badRequest(msgGuestViaInvitation)
	}
	return nil
}

// guestUser builds the user an invitation makes for email, as Graph stores
// it before the guest redeems: userType (Guest unless Member was asked),
// the #EXT# user principal name in the tenant's initial domain,
// externalUserState PendingAcceptance. Callers hold t.mu; the object is not
// stored.
func (t *Tenant) guestUser(email, displayName, userType string) map[string]any {
	at := strings.LastIndexByte(email, '@')
	local := email[:at]
	ext := strings.ReplaceAll(email, "@", "_") + "#EXT#"
	upn := ext + "@" + t.domain
	if displayName == "" {
		displayName = local
	}
	now := graphTime(t.now())
	return map[string]any{
		"id":                              t.newID(),
		"accountEnabled":                  true,
		"displayName":                     displayName,
		"userPrincipalName":               upn,
		"mailNickname":                    ext,
		"mail":                            email,
		"otherMails":                      []any{email},
		"userType":                        userType,
		"creationType":                    "Invitation",
		"externalUserState":               "PendingAcceptance",
		"externalUserStateChangeDateTime": now,
		"createdDateTime":                 now,
		"identities":                      []any{map[string]any{"signInType": "userPrincipalName", "issuer": t.domain, "issuerAssignedId": upn}},
		"businessPhones":                  []any{},
		"proxyAddresses":                  []any{},
		"securityIdentifier":              "S-1-12-1-" + strconv.FormatUint(t.rng.Uint64()%4294967295, 10),
	}
}

// invitationReadOnly are the invitation's properties Graph sets.
var invitationReadOnly = []string{"id", "inviteRedeemUrl", "status", "invitedUser"}

// invite answers POST /invitations: it makes (or, for an address a guest
// already has, finds) the invited user and answers the invitation.
func (s *Server) invite(req *request) (*response, *apiError) {
	if req.method != http.MethodPost {
		return nil, methodNotAllowed() // invitation-post is the only method
	}
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := validateDeclared("#microsoft.graph.invitation", body); aerr != nil {
		return nil, aerr
	}
	for _, p := range invitationReadOnly {
		if _, ok := body[p]; ok {
			return nil, badRequest(msgReadOnly, p)
		}
	}
	email := strings.TrimSpace(str(body["invitedUserEmailAddress"]))
	if !validEmail(email) {
		return nil, badRequest("Invalid value specified for property 'invitedUserEmailAddress' of resource 'Invitation'.")
	}
	redirect := str(body["inviteRedirectUrl"])
	if u, err := url.Parse(redirect); redirect == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, badRequest("Invalid value specified for property 'inviteRedirectUrl' of resource 'Invitation'.")
	}
	userType := "Guest"
	switch v := str(body["invitedUserType"]); {
	case v == "" || strings.EqualFold(v, "Guest"):
	case strings.EqualFold(v, "Member"):
		userType = "Member"
	default:
		return nil, badRequest("Invalid value specified for property 'invitedUserType' of resource 'Invitation'.")
	}
	if b, _ := body["resetRedemption"].(bool); b {
		// Strict: graphsim does not model resetting a redemption.
		return nil, badRequest("resetRedemption is not supported by graphsim.")
	}
	t := s.tenant
	t.mu.Lock()
	defer t.mu.Unlock()
	domain := strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
	if t.colls["domain"].byKey[domain] != nil {
		return nil, badRequest("The invited user's e-mail address is in a domain of this tenant: users of the tenant are not invited.")
	}
	var user *record
	status := "PendingAcceptance"
	for _, r := range t.colls["user"].live() {
		if r.gone || !strings.EqualFold(str(r.get("userType")), "Guest") {
			continue
		}
		if strings.EqualFold(str(r.get("mail")), email) || containsFold(strs(r.get("otherMails")), email) {
			// Strict reading: an address a guest already has invites that
			// guest again; no second user is made.
			user = r
			if str(r.get("externalUserState")) == "Accepted" {
				status = "Completed"
			}
			break
		}
	}
	if user == nil {
		obj := t.guestUser(email, str(body["invitedUserDisplayName"]), userType)
		if t.colls["user"].unique["userPrincipalName"][strings.ToLower(str(obj["userPrincipalName"]))] != nil {
			return nil, badRequest(msgConflict, "userPrincipalName")
		}
		user = t.insert(kindByName["user"], obj)
	}
	invID := t.newID()
	sendMsg, _ := body["sendInvitationMessage"].(bool)
	out := map[string]any{
		"@odata.context":          s.metadata(req, "invitations/$entity"),
		"id":                      invID,
		"inviteRedeemUrl":         "https://login.microsoftonline.com/redeem?rd=" + url.QueryEscape("https://invitations.microsoft.com/redeem/?tenant="+t.id+"&user="+invID),
		"invitedUserDisplayName":  user.get("displayName"),
		"invitedUserType":         user.get("userType"),
		"invitedUserEmailAddress": email,
		"sendInvitationMessage":   sendMsg,
		"resetRedemption":         false,
		"inviteRedirectUrl":       redirect,
		"status":                  status,
		"invitedUserMessageInfo":  map[string]any{"messageLanguage": nil, "customizedMessageBody": nil, "ccRecipients": []any{}},
		"invitedUser":             map[string]any{"id": user.key()},
	}
	if mi, ok := body["invitedUserMessageInfo"]; ok && mi != nil {
		out["invitedUserMessageInfo"] = deepCopy(mi)
	}
	return jsonResp(http.StatusCreated, out), nil
}

// validEmail is a plain address check: one @, a local part, a dotted
// domain, no spaces or control characters.
func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '#' {
			return false
		}
	}
	d := s[at+1:]
	return strings.Contains(d, ".") && !strings.HasPrefix(d, ".") && !strings.HasSuffix(d, ".")
}
