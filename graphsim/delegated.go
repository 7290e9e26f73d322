package graphsim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/entrasnap/entrasnap/graphsim/builtin"
	"github.com/entrasnap/entrasnap/graphsim/perms"
)

// Delegated permissions, enforced as Graph does
// (learn:/graph/permissions-overview, "Delegated permissions": the app can
// act only on the signed-in user's behalf and never with more privilege
// than the user; "effective permissions" are the intersection of the
// delegated permissions granted to the app and the privileges of the user).
//
//  1. The scope: the token's scp must hold one of the delegated permissions
//     permissions.json lists for the call (perms.RequiredDelegated), and the
//     further permissions authz.go requires (alsoRequired) are looked up in
//     scp too.
//  2. The user: a write (POST/PATCH/PUT/DELETE other than a read-only
//     action) needs a directory role of the signed-in user, active,
//     assigned directly or through a role-assignable group, that manages
//     the object (roleWrites below, from the built-in roles' permissions,
//     learn:/entra/identity/role-based-access-control/permissions-reference),
//     at a scope that holds the object. A user without such a role gets 403,
//     whatever the scopes say (graph API pages: "the signed-in user must be
//     assigned a supported Microsoft Entra role"). Reads are left to the
//     default user permissions (members read the directory), except
//     Conditional Access, the audit log and role assignments, which need a
//     reader or administrator role at the tenant's scope (readerRoles). A
//     role-assignable group and its members and owners are written only by
//     a Privileged Role or Global Administrator (roleAssignableManagers).
//  3. Scope of an assignment (directoryScopeId): "/" is the tenant;
//     "/administrativeUnits/{id}" holds the users and groups that are members
//     of that administrative unit - and not the members of a member group
//     (learn:/entra/identity/role-based-access-control/administrative-units:
//     "Adding a group to an administrative unit brings the group itself into
//     the management scope of the administrative unit, but not the members
//     of the group"); "/{objectId}" holds that object.
//
// Strict readings where the pages are silent: an administrative-unit scope
// never covers creating an object through its collection (POST /users,
// POST /groups: the pages have scoped admins create inside the unit), nor
// restoring a deleted object from the recycle bin (a deleted object is in no
// unit); adding or removing a member of a group needs the member to be in
// the unit too, not only the group. Only the built-in roles below grant
// writes; any other role (custom roles included) grants none.

// roleWrites lists, by built-in role name, what a holder may write: a kind
// ("user"), a relation of a kind ("group/members"), or "*" for everything.
// "user:passwordProfile" allows a PATCH of a user that changes only the
// password profile (Helpdesk and Password Administrators reset passwords).
var roleWrites = map[string][]string{
	"Global Administrator":   {"*"},
	"User Administrator":     {"user", "group", "group/members", "group/owners", "user/manager"},
	"Groups Administrator":   {"group", "group/members", "group/owners"},
	"Helpdesk Administrator": {"user:passwordProfile"},
	"Password Administrator": {"user:passwordProfile"},
	// Terms of use agreements and their files: "Conditional Access
	// Administrator - least privileged", "Security Administrator"
	// (termsofusecontainer-post-agreements, agreement-post-files,
	// agreement-update, agreement-delete: "the signed-in user must be
	// assigned a supported Microsoft Entra role").
	"Conditional Access Administrator": {"conditionalAccessPolicy", "namedLocation", "authenticationStrengthPolicy", "agreement", "agreement/files"},
	"Security Administrator":           {"conditionalAccessPolicy", "namedLocation", "authenticationStrengthPolicy", "agreement", "agreement/files"},
	"Application Administrator": {"application", "servicePrincipal", "application/owners", "servicePrincipal/owners",
		"application/addPassword", "application/removePassword", "appRoleAssignment", "oAuth2PermissionGrant"},
	"Cloud Application Administrator": {"application", "servicePrincipal", "application/owners", "servicePrincipal/owners",
		"application/addPassword", "application/removePassword", "appRoleAssignment", "oAuth2PermissionGrant"},
	// custom-security-attributes-manage ("Step 3"): only this role adds or
	// edits attribute sets and definitions; Global Administrator does not
	// (csaDefinitionWrites).
	"Attribute Definition Administrator": {"attributeSet", csaDefKind, csaDefKind + "/" + allowedValuesRel},
	"Privileged Role Administrator": {"unifiedRoleAssignment", "unifiedRoleEligibilityScheduleRequest",
		"unifiedRoleAssignmentScheduleRequest", "administrativeUnit", "administrativeUnit/members", "scopedRoleMembership",
		"oAuth2PermissionGrant", "appRoleAssignment"},
}

// auScopable are the roles that take effect when assigned at an
// administrative unit's scope (learn:/entra/identity/role-based-access-control/admin-units-assign-roles);
// any other role assigned there grants nothing.
var auScopable = map[string]bool{
	"User Administrator": true, "Groups Administrator": true, "Helpdesk Administrator": true,
	"Password Administrator": true, "Authentication Administrator": true, "License Administrator": true,
}

// roleNameByID maps a built-in role's id (== templateId), lower case, to its
// name. Built on first use (it decodes the embedded role definitions).
var roleNameByID = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, d := range builtin.RoleDefinitions() {
		m[strings.ToLower(str(d["id"]))] = str(d["displayName"])
		if tid := str(d["templateId"]); tid != "" {
			m[strings.ToLower(tid)] = str(d["displayName"])
		}
	}
	return m
})

// authorizeDelegated is authorize for a delegated token: the scope check.
func (s *Server) authorizeDelegated(req *request) *apiError {
	anyOf, known := perms.RequiredDelegated(req.method, permPath(req.method, "/"+req.path))
	if !known || !req.principal.has(anyOf) {
		return denied()
	}
	return nil
}

// userGrant is one role the signed-in user holds and where.
type userGrant struct {
	role, scope string
}

// userGrants lists the active role assignments of user id, direct or through
// a role-assignable group it is a member of. Callers hold t.mu.
func (s *Server) userGrants(id string) []userGrant {
	t := s.tenant
	coll := t.colls["unifiedRoleAssignment"]
	if coll == nil {
		return nil
	}
	var out []userGrant
	for _, a := range coll.live() {
		if a.gone || !t.visible(a) {
			continue
		}
		pid := str(a.get("principalId"))
		if !strings.EqualFold(pid, id) {
			g := t.dirObject(pid)
			if g == nil || g.kind.Name != "group" || !g.links.list("members").containsFold(id) {
				continue
			}
		}
		name := roleNameByID()[strings.ToLower(str(a.get("roleDefinitionId")))]
		if name == "" {
			continue
		}
		scope := str(a.get("directoryScopeId"))
		if scope == "" {
			scope = "/"
		}
		out = append(out, userGrant{role: name, scope: scope})
	}
	return out
}

// wids is the wids claim of a delegated access token that app gets for
// user id: the role template ids (== built-in role definition ids) of the
// user's active directory role assignments at the tenant's scope ("/"),
// sorted, lower case. learn:/entra/identity-platform/access-token-claims-reference
// ("wids": "the tenant-wide roles assigned to this user, from the section
// of roles present in Microsoft Entra built-in roles", configured per
// application by groupMembershipClaims); learn:/graph/api/resources/application
// (groupMembershipClaims: SecurityGroup covers "security groups and
// Microsoft Entra roles", All includes "directory roles"). Strict readings
// where the pages are silent: no claim unless the app's
// groupMembershipClaims names All, SecurityGroup or DirectoryRole; only
// direct assignments (roles held through a role-assignable group are left
// out); roles scoped to an administrative unit or an object, custom roles
// and eligible (not activated) roles are not tenant-wide built-in
// assignments and are left out too. Callers hold t.mu.
func (s *Server) wids(app *record, id string) []string {
	claims := false
	for _, v := range strings.Split(str(app.get("groupMembershipClaims")), ",") {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "all", "securitygroup", "directoryrole":
			claims = true
		}
	}
	coll := s.tenant.colls["unifiedRoleAssignment"]
	if !claims || coll == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, a := range coll.live() {
		if a.gone || !s.tenant.visible(a) || !strings.EqualFold(str(a.get("principalId")), id) {
			continue
		}
		if scope := str(a.get("directoryScopeId")); scope != "" && scope != "/" {
			continue
		}
		def := strings.ToLower(str(a.get("roleDefinitionId")))
		if roleNameByID()[def] == "" || seen[def] {
			continue
		}
		seen[def] = true
		out = append(out, def)
	}
	sort.Strings(out)
	return out
}

// delegatedWrite describes a write for the role check: what is written
// (roleWrites' vocabulary), the object it is written to ("" for a creation),
// and the other directory objects it touches (a member added or removed).
type delegatedWrite struct {
	what    string
	target  string
	others  []string
	restore bool // from the directory recycle bin
	// passwordOnly: a PATCH of a user that changes only passwordProfile.
	passwordOnly bool
	// attrSet: the attribute set of a custom security attribute
	// definition written (or of its predefined values).
	attrSet string
}

// describeWrite maps a write request to a delegatedWrite. ok is false for a
// request that only reads. Callers hold t.mu.
func (s *Server) describeWrite(req *request, rt *route) (w delegatedWrite, ok bool) {
	if req.method == http.MethodGet || !perms.IsWrite(req.method) {
		return w, false
	}
	last := strings.ToLower(req.path[strings.LastIndexByte(req.path, '/')+1:])
	switch last {
	case "getbyids", "checkmembergroups", "checkmemberobjects", "getmembergroups", "getmemberobjects",
		"validateproperties", "getavailableextensionproperties", "getuserownedobjects", "evaluate":
		return w, false
	}
	t := s.tenant
	switch {
	case rt.special == "dirDeleted":
		w.restore = true
		w.target = rt.key
		if r := t.bin[strings.ToLower(rt.key)]; r != nil {
			w.what = r.kind.Name
		}
		return w, true
	case rt.special != "" || rt.kind == nil:
		w.what = "special:" + rt.special
		return w, true
	}
	w.what = rt.kind.Name
	if rt.key != "" {
		if r := s.find(rt); r != nil {
			w.target = r.key()
		} else {
			w.target = rt.key
		}
	}
	switch {
	case rt.action != "":
		w.what += "/" + rt.action
	case rt.relKind != nil:
		w.what = rt.relKind.Name
	case rt.rel != "":
		w.what += "/" + rt.rel
		var body map[string]any
		_ = json.Unmarshal(req.body, &body)
		if id := idFromRef(str(body["@odata.id"])); id != "" {
			w.others = append(w.others, id)
		}
		if rt.relKey != "" {
			w.others = append(w.others, rt.relKey)
		}
	case req.method == http.MethodPatch && rt.kind.Name == "user":
		var body map[string]any
		_ = json.Unmarshal(req.body, &body)
		_, pw := body["passwordProfile"]
		w.passwordOnly = pw && len(body) == 1
	}
	if rt.kind.Name == csaDefKind {
		if r := s.find(rt); r != nil && rt.key != "" {
			w.attrSet = str(r.get("attributeSet"))
		} else if rt.key == "" {
			var body map[string]any
			_ = json.Unmarshal(req.body, &body)
			w.attrSet = str(body["attributeSet"])
		}
	}
	if rt.kind.Name == "group" && rt.rel == "" {
		var body map[string]any
		_ = json.Unmarshal(req.body, &body)
		for _, ref := range asSlice(body["members@odata.bind"]) {
			w.others = append(w.others, idFromRef(str(ref)))
		}
	}
	return w, true
}

// csaDefinitionWrites are the writes "*" does not cover: "By default,
// Global Administrator and other administrator roles don't have permissions
// to read, define, or assign custom security attributes"
// (custom-security-attributes-manage).
var csaDefinitionWrites = map[string]bool{"attributeSet": true, csaDefKind: true, csaDefKind + "/" + allowedValuesRel: true}

// roleAllows reports whether role manages what.
func roleAllows(role string, w delegatedWrite) bool {
	for _, x := range roleWrites[role] {
		switch {
		case x == "*" && csaDefinitionWrites[w.what]:
		case x == "*", x == w.what:
			return true
		case x == "user:passwordProfile" && w.what == "user" && w.passwordOnly:
			return true
		}
	}
	return false
}

// inScope reports whether the directory scope holds the write. Callers hold t.mu.
func (s *Server) inScope(g userGrant, w delegatedWrite) bool {
	if g.scope == "/" {
		return true
	}
	t := s.tenant
	if au, ok := strings.CutPrefix(g.scope, "/administrativeUnits/"); ok {
		if !auScopable[g.role] || w.target == "" || w.restore {
			return false
		}
		unit := t.colls["administrativeUnit"].byKey[strings.ToLower(au)]
		if unit == nil || unit.gone {
			return false
		}
		for _, id := range append([]string{w.target}, w.others...) {
			if !unit.links.list("members").containsFold(id) {
				return false
			}
		}
		return true
	}
	if set, ok := strings.CutPrefix(g.scope, attributeSetScope); ok {
		// custom-security-attributes-manage: an Attribute Definition
		// Administrator at a set's scope adds, edits or deactivates the
		// definitions in that set; it "Cannot update the scoped attribute
		// set".
		return g.role == "Attribute Definition Administrator" && w.attrSet != "" && strings.EqualFold(w.attrSet, set) &&
			(w.what == csaDefKind || w.what == csaDefKind+"/"+allowedValuesRel)
	}
	// An object scope: that object only.
	return !w.restore && w.target != "" && strings.EqualFold(strings.TrimPrefix(g.scope, "/"), w.target) && len(w.others) == 0
}

// readerRoles are the roles whose holders may read what members may not:
// Conditional Access (conditionalaccessroot-list-policies,
// conditionalaccessroot-list-namedlocations, authenticationstrengthroot-list-policies:
// "the signed-in user must be assigned a supported Microsoft Entra role")
// and the directory audit log (directoryaudit-list). Assigned at "/" only.
var readerRoles = map[string]map[string]bool{
	"conditionalAccess": {"Global Administrator": true, "Global Reader": true, "Security Administrator": true,
		"Security Reader": true, "Security Operator": true, "Conditional Access Administrator": true},
	// Terms of use agreements and their files (agreement-get,
	// termsofusecontainer-list-agreements, agreementfile-list-localizations:
	// "Least privileged: Security Reader; More privileged: Global Reader,
	// Conditional Access Administrator, Security Administrator").
	"termsOfUse": {"Global Administrator": true, "Global Reader": true, "Security Administrator": true,
		"Security Reader": true, "Conditional Access Administrator": true},
	"audit": {"Global Administrator": true, "Global Reader": true, "Security Administrator": true,
		"Security Reader": true, "Security Operator": true, "Reports Reader": true},
	// rbacapplication-list-roleassignments, unifiedroleassignment-get: "the
	// signed-in user must be assigned a supported Microsoft Entra role"
	// (least privileged: Directory Readers, Global Reader, Privileged Role
	// Administrator): the built-in roles whose permissions hold
	// microsoft.directory/roleAssignments/standard/read, allProperties/read
	// or allProperties/allTasks (graphsim/builtin's role definitions). The
	// implicit User role holds standard/read too, but it is no assigned
	// role: strict reading, a member without an assigned role is refused.
	// onpremisesdirectorysynchronization-get: "Global Administrator is the
	// only role supported for this operation" (-update: "the user needs to
	// be assigned the Global Administrator role"; writes: roleWrites, where
	// only Global Administrator's "*" covers the kind).
	"onPremisesSync": {"Global Administrator": true},
	"roleAssignments": {"AI Reader": true, "Directory Readers": true, "Global Administrator": true, "Global Reader": true,
		"Partner Tier2 Support": true, "Privileged Role Administrator": true},
}

// roleAssignableManagers are the roles that create a role-assignable group
// (isAssignableToRole), change or delete it, and manage its members and
// owners, at the tenant's scope
// (learn:/entra/identity/role-based-access-control/groups-concept: "Only
// Global Administrators and Privileged Role Administrators can create a
// role-assignable group", and they manage its membership; the
// groups-faq-troubleshooting page: a Groups Administrator cannot). The
// pages also let the group's owners manage its members: strict reading,
// graphsim does not.
var roleAssignableManagers = map[string]bool{"Global Administrator": true, "Privileged Role Administrator": true}

// roleAssignableWrite reports whether a write creates, changes or deletes a
// role-assignable group or its members or owners. Callers hold t.mu.
func (s *Server) roleAssignableWrite(req *request, rt *route) bool {
	if rt.kind == nil || rt.kind.Name != "group" || rt.special != "" {
		return false
	}
	if rt.key == "" {
		var b map[string]any
		_ = json.Unmarshal(req.body, &b)
		return req.method == http.MethodPost && b["isAssignableToRole"] == true
	}
	r := s.find(rt)
	return r != nil && r.get("isAssignableToRole") == true
}

// readArea names the readerRoles entry a read needs ("" for the reads the
// default user permissions allow).
func readArea(rt *route) string {
	switch {
	case rt.special == "directoryAudits":
		return "audit"
	case rt.special == "caDeleted":
		return "conditionalAccess"
	case rt.kind == nil:
		return ""
	}
	switch rt.kind.Name {
	case "conditionalAccessPolicy", "namedLocation", "authenticationStrengthPolicy", "authenticationContextClassReference":
		return "conditionalAccess"
	case "unifiedRoleAssignment":
		return "roleAssignments"
	case agreementKindName:
		return "termsOfUse"
	case attributeSetKind, csaDefKind:
		return "customSecurityAttributes"
	case onPremSyncKindName:
		return "onPremisesSync"
	}
	return ""
}

// authorizeUser is the role check of a delegated call. Callers hold t.mu.
func (s *Server) authorizeUser(req *request, rt *route) *apiError {
	w, ok := s.describeWrite(req, rt)
	if !ok {
		area := readArea(rt)
		if area == "" {
			return nil
		}
		if area == "customSecurityAttributes" {
			return s.csaDefinitionReadDenied(req, rt) // user_csa.go
		}
		for _, g := range s.userGrants(req.principal.userID) {
			if g.scope == "/" && readerRoles[area][g.role] {
				return nil
			}
		}
		return denied()
	}
	if s.roleAssignableWrite(req, rt) {
		for _, g := range s.userGrants(req.principal.userID) {
			if g.scope == "/" && roleAssignableManagers[g.role] {
				return nil
			}
		}
		return denied()
	}
	for _, g := range s.userGrants(req.principal.userID) {
		if roleAllows(g.role, w) && s.inScope(g, w) {
			return nil
		}
	}
	return denied()
}
