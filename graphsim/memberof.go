package graphsim

import (
	"net/http"
	"strings"
)

// A user's memberships, as the signed-in user reads their own
// (GET /me/transitiveMemberOf, GET /me/scopedRoleMemberOf; /me is served as
// /users/{id}, server.go):
//
//   - transitiveMemberOf: "groups, directory roles, and administrative units
//     that the user is a member of through either direct or transitive
//     membership" (learn:/graph/api/user-list-transitivememberof; delegated
//     least privilege for the signed-in user's own: User.Read). Groups: those
//     holding the user, and the groups holding those. Directory roles: the
//     activated directoryRole of each built-in role the user holds at the
//     tenant's scope ("/"), directly or through a role-assignable group (the
//     roles graphsim enforces, delegated.go userGrants); an assignment
//     activates its role (roles.go activateAssignedRole), and a template
//     not activated all the same (a tenant state edited by hand) answers
//     with the id activating it would give (roles.go directoryRoleID)
//     instead of being activated by a read. Roles scoped to
//     an administrative unit or an object, custom roles and eligible roles
//     are not directory role memberships and are left out. Administrative
//     units: those holding the user or one of those groups. A cast
//     (/transitiveMemberOf/microsoft.graph.directoryRole) keeps that type's
//     objects; a type a user cannot be a member of is 400 (strict).
//   - scopedRoleMemberOf: the user's "scopedRoleMembership" objects
//     (learn:/graph/api/user-list-scopedrolememberof; delegated only,
//     Directory.Read.All; resources/scopedrolemembership: roleId is "the
//     directory role that the member is in"): the role assignments of a
//     built-in role to the user at an administrative unit's scope
//     ("/administrativeUnits/{id}", direct only: strict), and the scoped
//     role members added through /administrativeUnits/{id}/scopedRoleMembers
//     that name the user.
//
// Both are GET only (another method: 405) and page as directory lists do.

func routeMemberOf(k *Kind, rt *route, rest []string, tmpl string) (*route, bool) {
	if k.Name != "user" || len(rest) == 0 || len(rest) > 2 {
		return nil, false
	}
	switch strings.ToLower(rest[0]) {
	case "transitivememberof":
		rt.special, rt.template = "transitiveMemberOf", tmpl+"/transitiveMemberOf"
		if len(rest) == 2 {
			// An OData cast: only the objects of that type ("OData cast is
			// also enabled", user-list-transitivememberof).
			rt.cast, rt.template = rest[1], rt.template+"/"+rest[1]
		}
	case "scopedrolememberof":
		if len(rest) == 2 {
			return nil, false
		}
		rt.special, rt.template = "scopedRoleMemberOf", tmpl+"/scopedRoleMemberOf"
	default:
		return nil, false
	}
	return rt, true
}

// memberOf serves a user's transitiveMemberOf and scopedRoleMemberOf.
func (s *Server) memberOf(req *request, rt *route) (*response, *apiError) {
	if req.method != http.MethodGet {
		return nil, methodNotAllowed()
	}
	t := s.tenant
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := s.find(rt)
	if u == nil || u.kind.Name != "user" {
		return nil, notFound(rt.key)
	}
	id := u.key()
	if rt.special == "scopedRoleMemberOf" {
		return s.page(req, listSpec{recs: s.scopedRoleMemberships(id), context: "users('" + id + "')/scopedRoleMemberOf",
			kind: kindByName["scopedRoleMembership"]})
	}
	// Groups, transitively.
	in := map[string]bool{strings.ToLower(id): true}
	var recs []*record
	if groups := t.colls["group"]; groups != nil {
		for changed := true; changed; {
			changed = false
			for _, g := range groups.live() {
				if g.gone || in[strings.ToLower(g.key())] {
					continue
				}
				for _, m := range g.links.list("members").all() {
					if in[strings.ToLower(m)] {
						in[strings.ToLower(g.key())] = true
						recs = append(recs, g)
						changed = true
						break
					}
				}
			}
		}
	}
	// Directory roles held over the whole directory.
	seen := map[string]bool{}
	for _, g := range s.userGrants(id) {
		if g.scope != "/" {
			continue
		}
		tmpl := builtinTemplate(g.role)
		if tmpl == "" || seen[tmpl] {
			continue
		}
		seen[tmpl] = true
		if r := s.tenant.directoryRoleFor(tmpl); r != nil {
			recs = append(recs, r)
			continue
		}
		recs = append(recs, &record{kind: kindByName["directoryRole"], obj: map[string]any{"id": s.tenant.directoryRoleID(tmpl),
			"roleTemplateId": tmpl, "displayName": g.role, "description": nil, "deletedDateTime": nil}})
	}
	// Administrative units holding the user or one of their groups.
	if units := t.colls["administrativeUnit"]; units != nil {
		for _, au := range units.live() {
			if au.gone {
				continue
			}
			for _, m := range au.links.list("members").all() {
				if in[strings.ToLower(m)] {
					recs = append(recs, au)
					break
				}
			}
		}
	}
	if rt.cast != "" {
		var want *Kind
		for _, name := range []string{"group", "directoryRole", "administrativeUnit"} {
			if k := kindByName[name]; strings.EqualFold(k.ODataType, "#"+rt.cast) {
				want = k
			}
		}
		if want == nil {
			return nil, badRequest("The type '%s' is not a type a user can be a member of (group, directoryRole, administrativeUnit).", rt.cast)
		}
		kept := recs[:0]
		for _, r := range recs {
			if r.kind == want {
				kept = append(kept, r)
			}
		}
		return s.page(req, listSpec{recs: kept, context: "directoryObjects/" + rt.cast, withType: true})
	}
	return s.page(req, listSpec{recs: recs, context: "directoryObjects", withType: true})
}

// scopedRoleMemberships are the scoped role memberships of user id (see
// above). Callers hold t.mu.
func (s *Server) scopedRoleMemberships(id string) []*record {
	t := s.tenant
	var out []*record
	seen := map[string]bool{}
	if coll := t.colls["unifiedRoleAssignment"]; coll != nil {
		for _, a := range coll.live() {
			if a.gone || !t.visible(a) || !strings.EqualFold(str(a.get("principalId")), id) {
				continue
			}
			au, ok := strings.CutPrefix(str(a.get("directoryScopeId")), "/administrativeUnits/")
			tmpl := strings.ToLower(str(a.get("roleDefinitionId")))
			if !ok || roleNameByID()[tmpl] == "" {
				continue
			}
			roleID := s.tenant.directoryRoleID(tmpl)
			if r := s.tenant.directoryRoleFor(tmpl); r != nil {
				roleID = r.key()
			}
			seen[strings.ToLower(roleID+"|"+au)] = true
			out = append(out, &record{kind: kindByName["scopedRoleMembership"], obj: map[string]any{
				"id": derivedID("scopedRoleMembership|" + str(a.get("id"))), "roleId": roleID, "administrativeUnitId": au,
				"roleMemberInfo": map[string]any{"id": id, "displayName": t.dirObject(id).get("displayName")}}})
		}
	}
	if coll := t.colls["scopedRoleMembership"]; coll != nil {
		for _, m := range coll.live() {
			if m.gone || !strings.EqualFold(str(lookupPath(m.o(), "roleMemberInfo/id")), id) {
				continue
			}
			if k := strings.ToLower(str(m.get("roleId")) + "|" + str(m.get("administrativeUnitId"))); !seen[k] {
				seen[k] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// builtinTemplate is the template id of a built-in role by name, "" for
// another.
func builtinTemplate(name string) string {
	for id, n := range roleNameByID() {
		if n == name { // a built-in role's id is its template id
			return id
		}
	}
	return ""
}
