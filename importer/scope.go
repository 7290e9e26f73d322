package importer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
)

// Restore as yourself: with a delegated token (a person signed in with
// --auth device-code or az login), Graph lets the app do only what the
// signed-in user's directory roles allow, at the scope each role is
// assigned at (learn:/graph/permissions-overview, delegated permissions;
// learn:/entra/identity/role-based-access-control/administrative-units).
// Load reads the user's role assignments (with directoryScopeId; direct, or
// through a role-assignable group the user is a member of) and the members
// of each administrative unit a role is scoped to; Compute lists
// every action that lies outside (Plan.OutOfScope); apply refuses such a
// plan before its first write (ScopeError). The rules are our reading of
// the built-in roles' permissions (permissions-reference) and mirror what
// graphsim enforces (graphsim/delegated.go) without sharing its code:
//
//   - a write needs a role that manages the object's kind (roleManages);
//   - a role assigned at "/" covers the tenant; at "/administrativeUnits/{id}"
//     only users and groups that are members of that unit, and only for
//     the roles that can be scoped to a unit (auRoles); at "/{objectId}"
//     that object;
//   - a unit scope never covers creating an object or restoring one from
//     the recycle bin, and a member added to or removed from a group must
//     be in the unit as well as the group (strict readings).

// SignedInUser is the person a delegated token speaks for, with their
// directory roles (Load fills it; nil for an app-only token).
type SignedInUser struct {
	ID    string       `json:"id"`
	Name  string       `json:"name,omitempty"` // userPrincipalName from the token
	Roles []ScopedRole `json:"roles,omitempty"`
	// RolesUnread says why the user's roles could not be read (Graph lets
	// only some roles list role assignments); the plan is then not checked
	// against them, and says so.
	RolesUnread string `json:"rolesUnread,omitempty"`
	// RolesFrom says where Roles come from: RolesFromGraph (the role
	// assignments Graph lists), RolesFromToken (the delegated token's wids
	// claim, when Graph refused to list them) or RolesFromMemberships (the
	// user's own directory role and scoped role memberships, when Graph
	// refused to list them and the token has no wids).
	RolesFrom string `json:"rolesFrom,omitempty"`
}

// Where the signed-in user's roles were read (SignedInUser.RolesFrom,
// Plan.RolesFrom).
const (
	RolesFromGraph = "graph"
	RolesFromToken = "token"
	// RolesFromMemberships: the user's own memberships (membershipRoles),
	// when Graph refused to list role assignments and the token has no
	// wids claim (an opaque token, or an app without groupMembershipClaims).
	RolesFromMemberships = "memberships"
)

// roleReaders are the built-in roles that list role assignments
// (rbacapplication-list-roleassignments: "the signed-in user must be
// assigned a supported Microsoft Entra role"; least privileged Directory
// Readers, Global Reader, Privileged Role Administrator).
const roleReaders = "Directory Readers, Global Reader or Privileged Role Administrator"

// ScopedRole is one directory role assignment of the signed-in user.
type ScopedRole struct {
	Role  string `json:"role"`  // built-in role name, or the role definition id
	Scope string `json:"scope"` // directoryScopeId: "/", "/administrativeUnits/{id}", "/{objectId}"
	// Unit is the administrative unit's display name and Members the
	// lower-case ids of its members (a unit scope only).
	Unit    string          `json:"unit,omitempty"`
	Members map[string]bool `json:"-"`
	// Unresolved: a scoped role membership naming a directory role that
	// GET /directoryRoles does not list, so which role it is is not known
	// (membershipRoles).
	Unresolved bool `json:"unresolved,omitempty"`
}

// ScopeNote is one action the signed-in user may not carry out.
type ScopeNote struct {
	Action string `json:"action"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// String is "users/alice@contoso.com: not in administrative unit …".
func (n ScopeNote) String() string { return n.Kind + "/" + n.Name + ": " + n.Reason }

// ScopeError refuses a plan with actions outside the signed-in user's
// roles; nothing was written.
type ScopeError struct {
	User  string
	Notes []ScopeNote
}

func (e *ScopeError) Error() string {
	var b strings.Builder
	what := fmt.Sprintf("%d actions of this plan lie", len(e.Notes))
	if len(e.Notes) == 1 {
		what = "1 action of this plan lies"
	}
	fmt.Fprintf(&b, "%s outside what %s may change (their directory roles and the administrative units those are scoped to); nothing was written:", what, safe(e.User))
	for _, n := range e.Notes {
		fmt.Fprintf(&b, "\n  %s [%s]", safe(n.String()), safe(n.Action))
	}
	b.WriteString("\nnarrow the selection to the objects in your scope, or ask an administrator whose role covers them")
	return b.String()
}

// builtinRoles are the built-in directory roles by template id
// (learn:/entra/identity/role-based-access-control/permissions-reference).
var builtinRoles = map[string]string{
	"62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
	"fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
	"fdd7a751-b60b-444a-984c-02652fe8fa1c": "Groups Administrator",
	"729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
	"966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
	"c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
	"4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
	"b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
	"194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
	"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
	"158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
	"e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
	"58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d": "Attribute Assignment Administrator",
	"ffd52fa5-98dc-465c-991d-fc073eb59f8f": "Attribute Assignment Reader",
	"8424c6f0-a189-499e-bbd0-26c1753c96d4": "Attribute Definition Administrator",
	"1d336d2c-4ae8-42ef-9711-b3604ce3fc2c": "Attribute Definition Reader",
}

// roleManages lists, per role, the kinds (layout names) it writes, "kind/
// relationship" for links and children, "*" for all; "users:password" is a
// user update that only resets the password.
var roleManages = map[string][]string{
	"Global Administrator":             {"*"},
	"User Administrator":               {"users", "groups", "groups/members", "groups/owners"},
	"Groups Administrator":             {"groups", "groups/members", "groups/owners", "group-eligibility-schedules", "group-assignment-schedules"},
	"Helpdesk Administrator":           {"users:password"},
	"Password Administrator":           {"users:password"},
	"Conditional Access Administrator": {"conditional-access-policies", "named-locations", "authentication-strengths"},
	"Security Administrator":           {"conditional-access-policies", "named-locations", "authentication-strengths"},
	"Application Administrator":        {"applications", "service-principals", "applications/owners", "service-principals/owners"},
	"Cloud Application Administrator":  {"applications", "service-principals", "applications/owners", "service-principals/owners"},
	// Custom security attributes (learn:/entra/fundamentals/
	// custom-security-attributes-manage): only these two roles write them,
	// at the tenant's scope or an attribute set's (attributeSetScope);
	// Global Administrator does not ("*" leaves them out: csaRoleKinds).
	"Attribute Assignment Administrator": {"user-security-attributes", "service-principal-security-attributes"},
	"Attribute Definition Administrator": {"attribute-sets", "custom-security-attributes", "custom-security-attributes/allowedValues"},
	"Privileged Role Administrator":      {"role-assignments", "role-eligibility-schedules", "administrative-units", "administrative-units/members", "role-management-policies", "time-bound-role-assignments", "group-eligibility-schedules", "group-assignment-schedules"},
}

// auRoles are the roles that take effect at an administrative unit's scope
// (learn:/entra/identity/role-based-access-control/admin-units-assign-roles).
var auRoles = map[string]bool{
	"User Administrator": true, "Groups Administrator": true, "Helpdesk Administrator": true,
	"Password Administrator": true, "Authentication Administrator": true, "License Administrator": true,
}

// loadSignedInUser reads the signed-in user's roles when token is a
// delegated token; nil, nil for an app-only token, and for any token of a
// client whose credential is app-only (graph.Client.AppOnly). A token that is not a
// JWT (opaque: learn:/entra/identity-platform/access-tokens, "treat access
// tokens as opaque strings") does not say whom it speaks for: Graph does,
// GET /me answering for a delegated token only (user-get; an app-only
// token gets 400 "/me request is only valid with delegated authentication
// flow"), with User.Read or any user read permission.
func loadSignedInUser(ctx context.Context, c *graph.Client, token string) (*SignedInUser, error) {
	var u *SignedInUser
	jwt := isJWT(token)
	switch {
	case strings.TrimSpace(strings.TrimPrefix(token, "Bearer ")) == "":
		return nil, nil
	case c.AppOnly():
		// The credential signs in as an application (a client secret or
		// certificate, workload identity, managed identity): no user,
		// whatever its tokens look like; Graph need not be asked.
		return nil, nil
	case jwt:
		if graph.TokenClaim(token, "idtyp") != "user" && graph.TokenClaim(token, "scp") == "" {
			return nil, nil
		}
		oid := graph.TokenClaim(token, "oid")
		if oid == "" {
			return nil, nil
		}
		u = &SignedInUser{ID: oid, Name: graph.TokenClaim(token, "upn")}
	default:
		raw, err := c.Get(ctx, "/v1.0/me?$select=id,userPrincipalName")
		var ge *graph.Error
		switch {
		case err == nil:
			var me struct{ ID, UserPrincipalName string }
			if json.Unmarshal(raw, &me) != nil || me.ID == "" || len(me.ID) > 64 {
				return nil, fmt.Errorf("reading the signed-in user (/me), to check the plan against their directory roles: no id in the answer")
			}
			u = &SignedInUser{ID: me.ID, Name: me.UserPrincipalName}
		case errors.As(err, &ge) && ge.Status == 400:
			return nil, nil // no signed-in user: an app-only token
		case errors.As(err, &ge) && ge.Status == 403:
			// A delegated token that may not read its own user: the roles
			// cannot be found; the plan says so.
			return &SignedInUser{Name: "the signed-in user", RolesUnread: "the access token is not a JWT, and Graph refused to say whom it signs in (GET /me: 403 " + safe(ge.Code) + "; the app needs User.Read or another user read permission)"}, nil
		default:
			return nil, fmt.Errorf("reading the signed-in user (/me), to tell a delegated token from an app-only one and check the plan against their directory roles: %w", err)
		}
	}
	if u.Name == "" {
		u.Name = u.ID
	}
	oid := u.ID
	all, err := c.ListObjects(ctx, "/v1.0/roleManagement/directory/roleAssignments?$select=principalId,roleDefinitionId,directoryScopeId")
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Status == 403 {
		// Graph lists role assignments only to holders of a role that reads
		// them: a helpdesk operator may lack one.
		//
		// The token's wids claim, when it has one, still names the user's
		// tenant-wide built-in roles (learn:/entra/identity-platform/
		// access-token-claims-reference: "the tenant-wide roles assigned to
		// this user, from the section of roles present in Microsoft Entra
		// built-in roles"; the app's groupMembershipClaims decides whether
		// tokens carry it): the plan is checked against those, and what
		// they do not cover is a warning, not a refusal (outOfScope).
		if wids, ok := graph.TokenClaimStrings(token, "wids"); ok {
			u.RolesFrom = RolesFromToken
			seen := map[string]bool{}
			for _, w := range wids {
				def := strings.ToLower(w)
				if def == "" || len(def) > 64 || seen[def] {
					continue
				}
				seen[def] = true
				r := ScopedRole{Role: builtinRoles[def], Scope: "/"}
				if r.Role == "" {
					r.Role = "role " + def
				}
				u.Roles = append(u.Roles, r)
			}
			sort.SliceStable(u.Roles, func(i, j int) bool { return u.Roles[i].Role < u.Roles[j].Role })
			return u, nil
		}
		// Otherwise (an opaque token, or a JWT without wids) the user's own
		// memberships name their roles (membershipRoles).
		as, why, err := membershipRoles(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("reading the directory roles of the signed-in user %s from their memberships, to check the plan against them: %w", safe(u.Name), err)
		}
		if why != "" {
			u.RolesUnread = "Graph lets only " + roleReaders + " list role assignments (403), and " + why
			return u, nil
		}
		u.RolesFrom = RolesFromMemberships
		return u, u.addRoles(ctx, c, as)
	}
	u.RolesFrom = RolesFromGraph
	if err != nil {
		return nil, fmt.Errorf("reading the directory roles of the signed-in user %s, to check the plan against them: %w", safe(u.Name), err)
	}
	// The user's own assignments, and those of role-assignable groups the
	// user is a member of (a role held through a group counts in Graph).
	var as []map[string]any
	memberOf := map[string]bool{}
	for _, a := range all {
		pid := strings.ToLower(str(a["principalId"]))
		def := strings.ToLower(str(a["roleDefinitionId"]))
		if pid == strings.ToLower(oid) {
			as = append(as, a)
			continue
		}
		if _, known := roleManages[builtinRoles[def]]; !known {
			continue // a role that writes nothing a restore does
		}
		in, seen := memberOf[pid]
		if !seen {
			ms, err := c.ListObjects(ctx, "/v1.0/groups/"+url.PathEscape(pid)+"/members?$select=id")
			var ge *graph.Error
			switch {
			case errors.As(err, &ge) && ge.Status == 404: // not a group
			case err != nil:
				return nil, fmt.Errorf("reading the members of group %s, which holds a directory role, to check the plan against your roles: %w", safe(pid), err)
			}
			for _, m := range ms {
				in = in || strings.EqualFold(str(m["id"]), oid)
			}
			memberOf[pid] = in
		}
		if in {
			as = append(as, a)
		}
	}
	return u, u.addRoles(ctx, c, as)
}

// addRoles adds the role assignments as (roleDefinitionId, directoryScopeId)
// to u.Roles, with the name and members of each administrative unit a role
// is scoped to.
func (u *SignedInUser) addRoles(ctx context.Context, c *graph.Client, as []map[string]any) error {
	units := map[string]*ScopedRole{}
	for _, a := range as {
		def := strings.ToLower(str(a["roleDefinitionId"]))
		r := ScopedRole{Role: builtinRoles[def], Scope: str(a["directoryScopeId"]), Unresolved: a["unresolved"] == true}
		if r.Role == "" {
			r.Role = "role " + def
		}
		if r.Scope == "" {
			r.Scope = "/"
		}
		if au, ok := strings.CutPrefix(r.Scope, "/administrativeUnits/"); ok {
			if prev := units[strings.ToLower(au)]; prev != nil {
				r.Unit, r.Members = prev.Unit, prev.Members
			} else {
				raw, err := c.Get(ctx, "/v1.0/directory/administrativeUnits/"+url.PathEscape(au)+"?$select=id,displayName")
				if err != nil {
					return fmt.Errorf("reading administrative unit %s (the scope of your %s role): %w", safe(au), r.Role, err)
				}
				var unit map[string]any
				_ = json.Unmarshal(raw, &unit)
				r.Unit = str(unit["displayName"])
				ms, err := c.ListObjects(ctx, "/v1.0/directory/administrativeUnits/"+url.PathEscape(au)+"/members?$select=id")
				if err != nil {
					return fmt.Errorf("reading the members of administrative unit %s (the scope of your %s role): %w", safe(r.Unit), r.Role, err)
				}
				r.Members = map[string]bool{}
				for _, m := range ms {
					r.Members[strings.ToLower(str(m["id"]))] = true
				}
				units[strings.ToLower(au)] = &r
			}
		}
		u.Roles = append(u.Roles, r)
	}
	sort.SliceStable(u.Roles, func(i, j int) bool { return u.Roles[i].Role+u.Roles[i].Scope < u.Roles[j].Role+u.Roles[j].Scope })
	return nil
}

// membershipRoles reads the signed-in user's directory roles from their
// own memberships, as (roleDefinitionId, directoryScopeId) pairs, for a
// user whom Graph does not let list role assignments:
//
//   - GET /me/transitiveMemberOf/microsoft.graph.directoryRole: the roles
//     held over the whole directory, directly or through a group
//     (user-list-transitivememberof: "groups, directory roles, and
//     administrative units that the user is a member of through either
//     direct or transitive membership"; delegated User.Read or
//     Directory.Read.All for the signed-in user's own; OData cast enabled),
//     each with its roleTemplateId;
//   - GET /me/scopedRoleMemberOf: the roles scoped to an administrative
//     unit (user-list-scopedrolememberof; delegated Directory.Read.All,
//     which a restore's app holds: README), each naming the directory role
//     by its object id (resources/scopedrolemembership, roleId);
//   - GET /directoryRoles?$select=id,roleTemplateId, only when there are
//     scoped roles: the template of each (directoryrole-list; delegated
//     Directory.Read.All; "the calling user must be a member user or have"
//     one of the roles listed, so a member may).
//
// No role is needed for these. They do not show custom roles or roles
// scoped to one object (not directory role memberships); outOfScope says
// so. why is set, err nil, when Graph refuses one of them (403).
func membershipRoles(ctx context.Context, c *graph.Client) (as []map[string]any, why string, err error) {
	refused := func(err error, call, needs string) (string, bool) {
		var ge *graph.Error
		if errors.As(err, &ge) && ge.Status == 403 {
			return fmt.Sprintf("refused to list your memberships as well (GET %s: 403 %s; the app needs the delegated permission %s)", call, safe(ge.Code), needs), true
		}
		return "", false
	}
	roles, err := c.ListObjects(ctx, "/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,roleTemplateId")
	if why, ok := refused(err, "/me/transitiveMemberOf", "User.Read or Directory.Read.All"); ok {
		return nil, why, nil
	}
	if err != nil {
		return nil, "", err
	}
	for _, r := range roles {
		if t := str(r["roleTemplateId"]); t != "" {
			as = append(as, map[string]any{"roleDefinitionId": t, "directoryScopeId": "/"})
		}
	}
	scoped, err := c.ListObjects(ctx, "/v1.0/me/scopedRoleMemberOf")
	if why, ok := refused(err, "/me/scopedRoleMemberOf", "Directory.Read.All"); ok {
		return nil, why, nil
	}
	if err != nil {
		return nil, "", err
	}
	if len(scoped) == 0 {
		return as, "", nil
	}
	dirRoles, err := c.ListObjects(ctx, "/v1.0/directoryRoles?$select=id,roleTemplateId")
	if why, ok := refused(err, "/directoryRoles", "Directory.Read.All"); ok {
		return nil, why, nil
	}
	if err != nil {
		return nil, "", err
	}
	templates := map[string]string{}
	for _, r := range dirRoles {
		templates[strings.ToLower(str(r["id"]))] = str(r["roleTemplateId"])
	}
	for _, m := range scoped {
		au, role := str(m["administrativeUnitId"]), str(m["roleId"])
		if au == "" || role == "" {
			continue
		}
		a := map[string]any{"roleDefinitionId": templates[strings.ToLower(role)], "directoryScopeId": "/administrativeUnits/" + au}
		if a["roleDefinitionId"] == "" {
			a["roleDefinitionId"], a["unresolved"] = role, true // not a role Graph listed as activated
		}
		as = append(as, a)
	}
	return as, "", nil
}

// isJWT reports whether token (with or without "Bearer ") is a JWT whose
// claims can be read: three dot-separated parts, the second a JSON object.
func isJWT(token string) bool {
	parts := strings.Split(strings.TrimSpace(strings.TrimPrefix(token, "Bearer ")), ".")
	if len(parts) != 3 || len(parts[1]) > 64<<10 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	var claims map[string]any
	return err == nil && json.Unmarshal(payload, &claims) == nil
}

// csaRoleKinds are the kinds "*" (Global Administrator) does not write:
// "By default, Global Administrator and other administrator roles don't
// have permissions to read, define, or assign custom security attributes"
// (custom-security-attributes-manage).
var csaRoleKinds = map[string]bool{"user-security-attributes": true, "service-principal-security-attributes": true,
	"attribute-sets": true, "custom-security-attributes": true}

// attributeSetScope prefixes the directoryScopeId of a role assigned at
// an attribute set's scope (custom-security-attributes-manage: "you can
// assign roles at tenant scope or at attribute set scope").
const attributeSetScope = "/attributeSets/"

// manages reports whether role writes what a does.
func manages(role string, a *Action) bool {
	what := a.Kind
	if a.Relationship != "" && a.Op != OpUpdate && a.Op != OpCreate {
		what += "/" + a.Relationship
	}
	for _, m := range roleManages[role] {
		switch {
		case m == "*" && csaRoleKinds[a.Kind]:
		case m == "*", m == what:
			return true
		case m == "users:password" && a.Kind == "users" && a.Op == OpUpdate && passwordOnly(a):
			return true
		}
	}
	return false
}

func passwordOnly(a *Action) bool {
	var b map[string]json.RawMessage
	_ = json.Unmarshal(a.Request.Body, &b)
	_, ok := b["passwordProfile"]
	return ok && len(b) == 1
}

// opWords says what an action does, for a note.
func opWords(a *Action) string {
	switch a.Op {
	case OpCreate:
		return "create"
	case OpRestore:
		return "restore"
	case OpDelete:
		return "delete"
	case OpAddLink, OpAddChild:
		return "add " + a.Relationship + " to"
	case OpRemoveLink, OpRemoveChild:
		return "remove " + a.Relationship + " from"
	}
	return "update"
}

// outOfScope lists the actions of p that the signed-in user's roles do not
// cover, with the precise reason. names maps lower-case ids to names.
func outOfScope(u *SignedInUser, p *Plan, roleAssignable map[string]bool) []ScopeNote {
	if u == nil {
		return nil
	}
	if u.RolesUnread != "" {
		p.Warnings = append(p.Warnings, fmt.Sprintf("the plan is not checked against the directory roles of %s: they could not be read (%s). Graph refuses, action by action, what those roles do not allow, and the restore reports each; to have the plan checked before the first write, hold %s as well",
			u.Name, u.RolesUnread, roleReaders))
		return nil
	}
	tenantRole := func(names ...string) bool {
		for _, r := range u.Roles {
			for _, n := range names {
				if r.Role == n && r.Scope == "/" {
					return true
				}
			}
		}
		return false
	}
	name := func(id string) string {
		if n := p.Names[strings.ToLower(id)]; n != "" {
			return n
		}
		return id
	}
	var notes []ScopeNote
	for i := range p.Actions {
		a := &p.Actions[i]
		target := a.LiveKey
		if target == "" {
			target = a.Key
		}
		var others []string
		if a.Relationship != "" && a.Target != "" && (a.Op == OpAddLink || a.Op == OpRemoveLink) {
			others = append(others, a.Target)
		}
		if a.Kind == "groups" && (roleAssignable[strings.ToLower(a.Key)] || roleAssignable[strings.ToLower(a.LiveKey)]) {
			// groups-concept: only Privileged Role and Global Administrators
			// create a role-assignable group and manage it and its members.
			if !tenantRole("Global Administrator", "Privileged Role Administrator") {
				notes = append(notes, ScopeNote{Action: a.ID, Kind: a.Kind, Name: a.Name,
					Reason: "a role-assignable group: only a Privileged Role Administrator or Global Administrator (over the whole directory) may " + opWords(a) + " it, not a Groups or User Administrator"})
			}
			continue
		}
		var reasons []string
		ok := false
		managing := false
		if note, handled := attributeSetNote(u, a); handled {
			if note != "" {
				notes = append(notes, ScopeNote{Action: a.ID, Kind: a.Kind, Name: a.Name, Reason: note})
			}
			continue
		}
		for _, r := range u.Roles {
			if !manages(r.Role, a) {
				continue
			}
			managing = true
			switch {
			case r.Scope == "/":
				ok = true
			case strings.HasPrefix(r.Scope, "/administrativeUnits/"):
				switch {
				case !auRoles[r.Role]:
					reasons = append(reasons, fmt.Sprintf("your %s role is scoped to administrative unit %s, where that role grants nothing", r.Role, r.Unit))
				case a.Op == OpCreate:
					reasons = append(reasons, fmt.Sprintf("creating it needs a role over the whole directory: your %s role is scoped to administrative unit %s", r.Role, r.Unit))
				case a.Op == OpRestore:
					reasons = append(reasons, fmt.Sprintf("restoring it from the recycle bin needs a role over the whole directory (a deleted object is in no administrative unit): your %s role is scoped to administrative unit %s", r.Role, r.Unit))
				case !r.Members[strings.ToLower(target)]:
					reasons = append(reasons, fmt.Sprintf("not in administrative unit %s that your %s role is scoped to", r.Unit, r.Role))
				default:
					inside := true
					for _, o := range others {
						if !r.Members[strings.ToLower(o)] {
							inside = false
							reasons = append(reasons, fmt.Sprintf("cannot %s it: %s is not in administrative unit %s that your %s role is scoped to", opWords(a), name(o), r.Unit, r.Role))
						}
					}
					ok = ok || inside
				}
			default: // an object scope
				if strings.EqualFold(strings.TrimPrefix(r.Scope, "/"), target) && a.Op != OpCreate && a.Op != OpRestore && len(others) == 0 {
					ok = true
				} else {
					reasons = append(reasons, fmt.Sprintf("your %s role is scoped to another object (%s)", r.Role, r.Scope))
				}
			}
			if ok {
				break
			}
		}
		if ok {
			continue
		}
		if !managing {
			reasons = []string{fmt.Sprintf("none of your directory roles may %s %s", opWords(a), kindWords(a.Kind))}
		}
		notes = append(notes, ScopeNote{Action: a.ID, Kind: a.Kind, Name: a.Name, Reason: strings.Join(dedupe(reasons), "; ")})
	}
	if u.RolesFrom == RolesFromToken {
		return tokenRolesWarnings(u, p, notes)
	}
	if u.RolesFrom == RolesFromMemberships {
		for _, r := range u.Roles {
			if !r.Unresolved || len(notes) == 0 {
				continue
			}
			// A role the check cannot name may allow what the others do not:
			// warn, and let Graph refuse action by action.
			p.Warnings = append(p.Warnings, fmt.Sprintf("the plan is checked against the directory roles of %s as their own memberships list them, but one of them (%s, scoped to administrative unit %s) names a directory role Graph does not list as activated (GET /directoryRoles), so which role it is is not known: the %d actions below are not refused before the first write; Graph refuses, action by action, what your roles do not allow",
				u.Name, safe(r.Role), safe(r.Unit), len(notes)))
			for _, n := range notes {
				p.Warnings = append(p.Warnings, fmt.Sprintf("not covered by the roles in your memberships: %s [%s]", n.String(), n.Action))
			}
			return nil
		}
	}
	return notes
}

// tokenRolesWarnings turns the notes of a check against the token's wids
// into warnings: the claim lists only built-in roles assigned over the
// whole directory, so a role scoped to an administrative unit or an
// object, held through a group, or a custom role may still allow what it
// does not cover. Apply does not refuse such a plan; Graph refuses, action
// by action, what the user's roles do not allow.
func tokenRolesWarnings(u *SignedInUser, p *Plan, notes []ScopeNote) []ScopeNote {
	held := "none"
	if len(u.Roles) > 0 {
		var names []string
		for _, r := range u.Roles {
			names = append(names, r.Role)
		}
		held = strings.Join(names, ", ")
	}
	head := fmt.Sprintf("the plan is checked against the directory roles in the sign-in token of %s (its wids claim: %s), because Graph lets only %s list role assignments (403)", u.Name, held, roleReaders)
	if len(notes) == 0 {
		p.Warnings = append(p.Warnings, head+": they cover every action")
		return nil
	}
	p.Warnings = append(p.Warnings, fmt.Sprintf("%s. The claim names only built-in roles assigned over the whole directory: a role scoped to an administrative unit, an attribute set or an object, or held through a group, is not in it, so the %d actions below are not refused before the first write; Graph refuses, action by action, what your roles do not allow. To have the plan checked in full, hold %s as well",
		head, len(notes), roleReaders))
	for _, n := range notes {
		p.Warnings = append(p.Warnings, fmt.Sprintf("not covered by the roles in the token: %s [%s]", n.String(), n.Action))
	}
	return nil
}

func kindWords(kind string) string { return strings.ReplaceAll(kind, "-", " ") }

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// roleAssignableGroups are the lower-case keys of the desired groups that
// are role-assignable (isAssignableToRole), for outOfScope.
func roleAssignableGroups(in *Input) map[string]bool {
	out := map[string]bool{}
	for _, d := range in.Desired {
		if d.Kind != nil && d.Kind.Name == "groups" && d.Data["isAssignableToRole"] == true {
			out[strings.ToLower(d.Key)] = true
			if n, ok := in.IDMap.Resolve(d.Key); ok {
				out[strings.ToLower(n)] = true
			}
		}
	}
	return out
}

// attributeSetNote checks an action on custom security attributes against
// roles scoped to attribute sets (custom-security-attributes-manage, "Step
// 5"; graphsim/user_csa.go enforces the same): an Attribute Assignment
// Administrator scoped to a set assigns that set's values only, so every
// set a values PATCH names must be in the scope of one (assignments add
// up); an Attribute Definition Administrator scoped to a set creates,
// edits or deactivates the definitions of that set (and their predefined
// values) and "Cannot update the scoped attribute set". handled is false
// when the user holds no role at an attribute set's scope that manages the
// action, or one at the tenant's scope (the general check decides); note
// is "" when the action is covered.
func attributeSetNote(u *SignedInUser, a *Action) (note string, handled bool) {
	sets := map[string]string{} // lower-case set id → the id as assigned
	var role string
	for _, r := range u.Roles {
		if !manages(r.Role, a) {
			continue
		}
		if r.Scope == "/" {
			return "", false
		}
		if set, ok := strings.CutPrefix(r.Scope, attributeSetScope); ok && set != "" {
			sets[strings.ToLower(set)], role = set, r.Role
		}
	}
	if len(sets) == 0 {
		return "", false
	}
	var held []string
	for _, s := range sets {
		held = append(held, s)
	}
	sort.Strings(held)
	scope := fmt.Sprintf("your %s role is scoped to attribute set %s", role, strings.Join(held, ", "))
	if len(held) > 1 {
		scope = fmt.Sprintf("your %s roles are scoped to attribute sets %s", role, strings.Join(held, ", "))
	}
	var outside []string
	switch {
	case isCSAKind(a.Kind):
		var b struct {
			Sets map[string]json.RawMessage `json:"customSecurityAttributes"`
		}
		_ = json.Unmarshal(a.Request.Body, &b)
		for set := range b.Sets {
			if _, in := sets[strings.ToLower(set)]; !in {
				outside = append(outside, set)
			}
		}
		if len(outside) == 0 {
			return "", true
		}
		sort.Strings(outside)
		return fmt.Sprintf("assigns values of attribute set %s: %s", strings.Join(outside, ", "), scope), true
	case a.Kind == "custom-security-attributes":
		set := definitionSet(a)
		if _, in := sets[strings.ToLower(set)]; set != "" && in {
			return "", true
		}
		return fmt.Sprintf("a definition in attribute set %s: %s", set, scope), true
	case a.Kind == "attribute-sets":
		return fmt.Sprintf("%s, and a role at an attribute set's scope does not %s the set itself: that needs the role over the whole directory", scope, opWords(a)), true
	}
	return "", false
}

// isCSAKind reports whether kind holds custom security attribute values.
func isCSAKind(kind string) bool {
	return kind == "user-security-attributes" || kind == "service-principal-security-attributes"
}

// definitionSet is the attribute set of the definition an action writes:
// the created body's attributeSet, else the set part of its id
// ({attributeSet}_{name}: an attribute set's id has no underscore).
func definitionSet(a *Action) string {
	var b map[string]any
	_ = json.Unmarshal(a.Request.Body, &b)
	if set := str(b["attributeSet"]); set != "" && a.Op == OpCreate {
		return set
	}
	key := a.LiveKey
	if key == "" {
		key = a.Key
	}
	set, _, _ := strings.Cut(key, "_")
	return set
}
