package graphsim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Entitlement management catalog resources and access package resource
// role scopes, Graph v1.0 (graphsim/doc.go, "Identity governance"):
//
//   - accessPackageResource (resources/accesspackageresource,
//     accesspackagecatalog-list-resources): a group (originSystem AadGroup,
//     originId the group's id), an application (AadApplication, the
//     service principal's id) or a SharePoint Online site
//     (SharePointOnline, the site's URL) in a catalog, with its roles (a
//     group: Member_{id} and Owner_{id}; an application: its app roles, or
//     "Default Access" (00000000-…) when it has none; a site: Owners 3,
//     Members 4, Visitors 5) and its root scope (originId the resource's),
//     each returned only with $expand=roles / scopes. Listed at
//     catalogs/{id}/resources with $filter on id or originId (eq). A
//     resource is never POSTed, PATCHed or DELETEd at that path (405,
//     strict): it is added and removed by
//   - accessPackageResourceRequest (entitlementmanagement-post-
//     resourcerequests): POST resourceRequests with requestType adminAdd
//     (resource {originId, originSystem}: the group or service principal
//     must exist, 404; a site's originId an https URL; already in the
//     catalog → 409) or adminRemove (resource {id}: a resource of the
//     catalog, 404; one an access package's role scope still uses → 400,
//     strict: "remove a resource from a catalog that is no longer needed by
//     the access packages"), and catalog {id} (404 when unknown).
//     adminUpdate and other types → 400 (not modelled). With application
//     permissions the caller also needs Group.ReadWrite.All to add a
//     group, Application.ReadWrite.All an application and
//     Sites.FullControl.All a site (the page's permission notes; authz.go).
//     201 with {id, requestType, state: delivered}. The request itself is
//     not kept (history).
//   - accessPackageResourceRoleScope (accesspackage-post-resourcerolescopes,
//     accesspackage-delete-resourcerolescopes, accesspackage-list-
//     resourcerolescopes): POST accessPackages/{id}/resourceRoleScopes with
//     role {originId, originSystem, resource {id}} and scope {originId,
//     originSystem}: the resource must be in the package's catalog ("must
//     already exist in the access package catalog"; 400), the role one of
//     its roles and the scope one of its scopes (400); role.id or scope.id,
//     when sent, must be theirs; the same role and scope twice → 409. The
//     id is {role id}_{scope id}; 201 with {id, createdDateTime}. DELETE
//     .../resourceRoleScopes/{id} → 204. A package's role scopes are read
//     with GET accessPackages/{id}?$expand=resourceRoleScopes($expand=role,scope)
//     (the documented read; the list of packages expands catalog only:
//     another $expand → 400, strict) or at .../resourceRoleScopes.
//   - A group or service principal deleted for good leaves the catalogs'
//     resources and the packages' role scopes with it, as its links go
//     (write.go detach): Graph returns no resource of an object it no
//     longer has. In the recycle bin it stays named (restorable with its
//     id).

const (
	emResourcesProp  = heldPrefix + "emResources"  // a catalog's resources (with roles and scopes)
	emRoleScopesProp = heldPrefix + "emRoleScopes" // an access package's role scopes
	emDefaultAccess  = "00000000-0000-0000-0000-000000000000"
)

var emOriginSystems = []string{"AadGroup", "AadApplication", "SharePointOnline"}

// routeEM routes a catalog's resources and an access package's resource
// role scopes.
func routeEM(k *Kind, rt *route, rest []string, tmpl string) (*route, bool) {
	var rel string
	switch {
	case k.Name == emCatalogKind && strings.EqualFold(rest[0], "resources"):
		rel = "resources"
	case k.Name == emPackageKind && strings.EqualFold(rest[0], "resourceRoleScopes"):
		rel = "resourceRoleScopes"
	default:
		return nil, false
	}
	rt.rel, rt.special, rt.template = rel, "emChild", tmpl+"/"+rel
	switch len(rest) {
	case 1:
	case 2:
		rt.relKey, rt.template = rest[1], rt.template+"/{id}"
	default:
		return nil, false
	}
	return rt, true
}

// emList is the stored list prop of r.
func emList(r *record, prop string) []any { return asSlice(r.get(prop)) }

// emResourceView is what a read of resource m shows: roles and scopes
// only when expanded.
func emResourceView(m map[string]any, roles, scopes bool) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if (k == "roles" && !roles) || (k == "scopes" && !scopes) {
			continue
		}
		out[k] = deepCopy(v)
	}
	return out
}

// emExpand parses the $expand of a catalog's resources: roles, scopes.
func emExpand(q string) (roles, scopes bool, aerr *apiError) {
	q = strings.TrimSpace(q)
	if q == "" {
		return false, false, nil
	}
	for _, e := range strings.Split(q, ",") {
		switch strings.ToLower(strings.TrimSpace(e)) {
		case "roles":
			roles = true
		case "scopes":
			scopes = true
		default:
			return false, false, badRequest("Could not find a property named '%s' on type 'microsoft.graph.accessPackageResource'.", strings.TrimSpace(e))
		}
	}
	return roles, scopes, nil
}

var emFilterRe = lazyRE(`^\s*(id|originId)\s+eq\s+'((?:[^']|'')*)'\s*$`)

// emChildOp serves catalogs/{id}/resources and accessPackages/{id}/resourceRoleScopes.
func (s *Server) emChildOp(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	defer t.lockFor(req.method)()
	p := s.find(rt)
	if p == nil {
		return nil, notFound(rt.key)
	}
	ctx := rt.kind.Paths0() + "('" + p.key() + "')/" + rt.rel
	if rt.rel == "resources" {
		if req.method != http.MethodGet {
			// Added and removed only through resourceRequests.
			return nil, methodNotAllowed()
		}
		roles, scopes, aerr := emExpand(req.query.Get("$expand"))
		if aerr != nil {
			return nil, aerr
		}
		var prop, val string
		if f := req.query.Get("$filter"); f != "" {
			m := emFilterRe.FindStringSubmatch(f)
			if m == nil {
				return nil, errf(http.StatusBadRequest, "BadRequest", "Invalid filter clause: only id eq '…' and originId eq '…' are supported on accessPackageResource.")
			}
			prop, val = m[1], strings.ReplaceAll(m[2], "''", "'")
		}
		items := []any{}
		for _, x := range emList(p, emResourcesProp) {
			m, _ := x.(map[string]any)
			if prop != "" && !strings.EqualFold(str(m[prop]), val) {
				continue
			}
			if rt.relKey != "" && !strings.EqualFold(str(m["id"]), rt.relKey) {
				continue
			}
			items = append(items, emResourceView(m, roles, scopes))
		}
		return s.emItems(req, rt, ctx, items)
	}
	switch {
	case req.method == http.MethodGet:
		expanded, aerr := emRoleScopeExpand(req.query.Get("$expand"))
		if aerr != nil {
			return nil, aerr
		}
		items := []any{}
		for _, x := range emList(p, emRoleScopesProp) {
			m, _ := x.(map[string]any)
			if rt.relKey != "" && !strings.EqualFold(str(m["id"]), rt.relKey) {
				continue
			}
			items = append(items, s.emRoleScopeView(p, m, expanded))
		}
		return s.emItems(req, rt, ctx, items)
	case req.method == http.MethodPost && rt.relKey == "":
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		rs, aerr := s.addRoleScope(p, body)
		if aerr != nil {
			return nil, aerr
		}
		out := map[string]any{"id": rs["id"], "createdDateTime": rs["createdDateTime"], "@odata.context": s.metadata(req, ctx+"/$entity")}
		resp := jsonResp(http.StatusCreated, out)
		resp.header.Set("Location", req.root+"/"+req.version+"/"+req.path+"/"+str(rs["id"]))
		return resp, nil
	case req.method == http.MethodDelete && rt.relKey != "":
		list := emList(p, emRoleScopesProp)
		i, m := findContained(list, rt.relKey)
		if m == nil {
			return nil, notFound(rt.relKey)
		}
		p.o()[emRoleScopesProp] = append(append([]any{}, list[:i]...), list[i+1:]...)
		s.touchEM(p, "resourceRoleScopes")
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

// emRoleScopeExpand parses the $expand of role scopes: role, scope.
func emRoleScopeExpand(q string) (bool, *apiError) {
	q = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(q), " ", ""))
	switch q {
	case "":
		return false, nil
	case "role,scope", "scope,role":
		return true, nil
	}
	return false, badRequest("Could not find a property named '%s' on type 'microsoft.graph.accessPackageResourceRoleScope'.", q)
}

// emRoleScopeView is role scope m of package p as read: with its role and
// scope when expanded (looked up in the package's catalog).
func (s *Server) emRoleScopeView(p *record, m map[string]any, expanded bool) map[string]any {
	out := map[string]any{"id": m["id"], "createdDateTime": m["createdDateTime"]}
	if expanded {
		out["role"], out["scope"] = deepCopy(m["role"]), deepCopy(m["scope"])
	}
	return out
}

// packageExpand adds to out (a GET of access package r) what $expand
// names: catalog and resourceRoleScopes (with $expand=role,scope).
func (s *Server) packageExpand(req *request, r *record, out map[string]any) *apiError {
	e := strings.TrimSpace(req.query.Get("$expand"))
	if e == "" {
		return nil
	}
	for _, part := range splitTop(e) {
		name, inner := part, ""
		if i := strings.IndexByte(part, '('); i > 0 && strings.HasSuffix(part, ")") {
			name, inner = part[:i], part[i+1:len(part)-1]
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "catalog":
			if inner != "" {
				return badRequest("Nested query options are not supported on 'catalog'.")
			}
			out["catalog"] = nil
			if tr := s.navTarget(r, "catalog"); tr != nil {
				out["catalog"] = s.view(tr, nil, false)
			}
		case "resourcerolescopes":
			expanded := false
			if inner != "" {
				v, ok := strings.CutPrefix(strings.TrimSpace(inner), "$expand=")
				if !ok {
					return badRequest("Only $expand is supported inside the $expand of 'resourceRoleScopes'.")
				}
				var aerr *apiError
				if expanded, aerr = emRoleScopeExpand(v); aerr != nil {
					return aerr
				}
			}
			items := []any{}
			for _, x := range emList(r, emRoleScopesProp) {
				m, _ := x.(map[string]any)
				items = append(items, s.emRoleScopeView(r, m, expanded))
			}
			out["resourceRoleScopes"] = items
		default:
			return badRequest("Could not find a property named '%s' on type 'microsoft.graph.accessPackage'.", strings.TrimSpace(name))
		}
	}
	return nil
}

// splitTop splits s at the commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

func (s *Server) touchEM(r *record, prop string) {
	r.o()["modifiedDateTime"] = graphTime(s.tenant.now())
	s.tenant.logChange(change{Kind: r.kind.Name, ID: r.key(), Op: "upsert", Props: []string{prop}})
}

// emResourceFor builds the resource (with roles and scopes) originSystem
// and originId name, with ids from id. Callers hold t.mu.
func (t *Tenant) emResourceFor(system, origin string, id func(what string) string, now string) (map[string]any, *apiError) {
	res := map[string]any{"id": id("resource"), "originId": origin, "originSystem": system,
		"createdDateTime": now, "modifiedDateTime": now, "attributes": []any{}, "description": ""}
	root := func(name string) []any {
		return []any{map[string]any{"id": id("scope"), "displayName": "Root", "description": "Root Scope",
			"originId": origin, "originSystem": system, "isRootScope": true}}
	}
	role := func(n, name, desc, originID string) map[string]any {
		return map[string]any{"id": id("role/" + n), "displayName": name, "description": desc, "originSystem": system, "originId": originID}
	}
	switch system {
	case "AadGroup":
		g := t.lookup(kindByName["group"], origin)
		if g == nil {
			return nil, errf(http.StatusNotFound, "ResourceNotFound", "The group '%s' was not found.", origin)
		}
		res["originId"] = g.key()
		res["displayName"], res["description"] = str(g.get("displayName")), str(g.get("description"))
		res["roles"] = []any{role("member", "Member", "Member of the group", "Member_"+g.key()), role("owner", "Owner", "Owner of the group", "Owner_"+g.key())}
		res["scopes"] = root(str(g.get("displayName")))
		res["scopes"].([]any)[0].(map[string]any)["originId"] = g.key()
	case "AadApplication":
		sp := t.lookup(kindByName["servicePrincipal"], origin)
		if sp == nil {
			return nil, errf(http.StatusNotFound, "ResourceNotFound", "The service principal '%s' was not found.", origin)
		}
		res["originId"] = sp.key()
		res["displayName"], res["description"] = str(sp.get("displayName")), str(sp.get("description"))
		var roles []any
		for _, x := range asSlice(sp.get("appRoles")) {
			ar, _ := x.(map[string]any)
			if ar["isEnabled"] == false || !contains(strs(ar["allowedMemberTypes"]), "User") {
				continue
			}
			roles = append(roles, role(str(ar["id"]), str(ar["displayName"]), str(ar["description"]), str(ar["id"])))
		}
		if len(roles) == 0 {
			roles = []any{role("default", "Default Access", "Default Access", emDefaultAccess)}
		}
		res["roles"] = roles
		res["scopes"] = root(str(sp.get("displayName")))
		res["scopes"].([]any)[0].(map[string]any)["originId"] = sp.key()
	case "SharePointOnline":
		if !strings.HasPrefix(strings.ToLower(origin), "https://") {
			return nil, badRequest("The originId of a SharePoint Online resource must be the site's URL.")
		}
		res["displayName"] = origin
		res["roles"] = []any{role("3", "Owners", "", "3"), role("4", "Members", "", "4"), role("5", "Visitors", "", "5")}
		res["scopes"] = root(origin)
	default:
		return nil, badRequest("Invalid value '%s' for property 'originSystem': %s.", system, strings.Join(emOriginSystems, ", "))
	}
	return res, nil
}

// emUsers lists the access packages (by display name) whose role scopes
// use resource id of catalog c. Callers hold t.mu.
func (s *Server) emUsers(c *record, id string) []string {
	var names []string
	roleIDs := map[string]bool{}
	if _, res := findContained(emList(c, emResourcesProp), id); res != nil {
		for _, x := range asSlice(res["roles"]) {
			rm, _ := x.(map[string]any)
			roleIDs[strings.ToLower(str(rm["id"]))] = true
		}
	}
	for _, pkg := range s.referencing(emPackageKind, "catalog", c.key()) {
		for _, x := range emList(pkg, emRoleScopesProp) {
			m, _ := x.(map[string]any)
			role, _ := m["role"].(map[string]any)
			if roleIDs[strings.ToLower(str(role["id"]))] {
				names = append(names, str(pkg.get("displayName")))
				break
			}
		}
	}
	sort.Strings(names)
	return names
}

// resourceRequest serves POST identityGovernance/entitlementManagement/resourceRequests.
func (s *Server) resourceRequest(req *request) (*response, *apiError) {
	if req.method != http.MethodPost {
		return nil, methodNotAllowed()
	}
	t := s.tenant
	t.mu.Lock()
	defer t.mu.Unlock()
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	typ := str(body["requestType"])
	cm, _ := body["catalog"].(map[string]any)
	rm, _ := body["resource"].(map[string]any)
	if cm == nil || str(cm["id"]) == "" {
		return nil, badRequest("A value is required for property 'catalog' of resource 'accessPackageResourceRequest'.")
	}
	if rm == nil {
		return nil, badRequest("A value is required for property 'resource' of resource 'accessPackageResourceRequest'.")
	}
	c := t.lookup(kindByName[emCatalogKind], str(cm["id"]))
	if c == nil {
		return nil, errf(http.StatusNotFound, "ResourceNotFound", "The catalog '%s' was not found.", str(cm["id"]))
	}
	list := emList(c, emResourcesProp)
	switch typ {
	case "adminAdd":
		system, origin := str(rm["originSystem"]), str(rm["originId"])
		if origin == "" {
			return nil, badRequest("A value is required for property 'originId' of resource 'accessPackageResource'.")
		}
		for _, x := range list {
			m, _ := x.(map[string]any)
			if strings.EqualFold(str(m["originId"]), origin) && strings.EqualFold(str(m["originSystem"]), system) {
				return nil, errf(http.StatusConflict, "ResourceAlreadyOnboarded", "The resource '%s' already exists in the catalog.", origin)
			}
		}
		res, aerr := t.emResourceFor(system, origin, func(string) string { return t.newID() }, graphTime(t.now()))
		if aerr != nil {
			return nil, aerr
		}
		c.o()[emResourcesProp] = append(list, res)
	case "adminRemove":
		id := str(rm["id"])
		if id == "" {
			return nil, badRequest("A value is required for property 'id' of the resource to remove.")
		}
		i, m := findContained(list, id)
		if m == nil {
			return nil, errf(http.StatusNotFound, "ResourceNotFound", "The resource '%s' is not in the catalog '%s'.", id, c.key())
		}
		if users := s.emUsers(c, id); len(users) > 0 {
			return nil, badRequest("The resource '%s' cannot be removed from the catalog: access packages %s still use its roles. Remove those resource roles first.",
				str(m["displayName"]), strings.Join(users, ", "))
		}
		c.o()[emResourcesProp] = append(append([]any{}, list[:i]...), list[i+1:]...)
	case "":
		return nil, badRequest("A value is required for property 'requestType' of resource 'accessPackageResourceRequest'.")
	default:
		return nil, badRequest("Request type '%s' is not supported for a resource request here (adminAdd, adminRemove).", typ)
	}
	s.touchEM(c, "resources")
	out := map[string]any{"@odata.context": s.metadata(req, emRoot+"resourceRequests/$entity"), "id": t.newID(),
		"requestType": typ, "state": "delivered", "createdDateTime": graphTime(t.now())}
	return jsonResp(http.StatusCreated, out), nil
}

// addRoleScope adds the role scope body names to package p. Callers hold t.mu.
func (s *Server) addRoleScope(p *record, body map[string]any) (map[string]any, *apiError) {
	role, _ := body["role"].(map[string]any)
	scope, _ := body["scope"].(map[string]any)
	if role == nil || scope == nil {
		return nil, badRequest("A value is required for properties 'role' and 'scope' of resource 'accessPackageResourceRoleScope'.")
	}
	resM, _ := role["resource"].(map[string]any)
	if str(resM["id"]) == "" {
		return nil, badRequest("A value is required for property 'resource' (with its id) of the role.")
	}
	if str(role["originId"]) == "" || str(role["originSystem"]) == "" || str(scope["originId"]) == "" {
		return nil, badRequest("The role and scope need their originId and originSystem.")
	}
	c := s.navTarget(p, "catalog")
	if c == nil {
		return nil, badRequest("The access package has no catalog.")
	}
	_, res := findContained(emList(c, emResourcesProp), str(resM["id"]))
	if res == nil {
		return nil, badRequest("The resource '%s' is not in the access package's catalog: add it to the catalog first (resourceRequests).", str(resM["id"]))
	}
	pick := func(list []any, want map[string]any, what string) (map[string]any, *apiError) {
		for _, x := range list {
			m, _ := x.(map[string]any)
			if strings.EqualFold(str(m["originId"]), str(want["originId"])) {
				if id := str(want["id"]); id != "" && !strings.EqualFold(id, str(m["id"])) {
					return nil, badRequest("The %s id '%s' does not match its originId.", what, id)
				}
				if sys := str(want["originSystem"]); sys != "" && !strings.EqualFold(sys, str(m["originSystem"])) {
					return nil, badRequest("The %s originSystem '%s' is not its resource's.", what, sys)
				}
				return m, nil
			}
		}
		return nil, badRequest("The resource '%s' has no %s with originId '%s'.", str(res["displayName"]), what, str(want["originId"]))
	}
	rm, aerr := pick(asSlice(res["roles"]), role, "role")
	if aerr != nil {
		return nil, aerr
	}
	sm, aerr := pick(asSlice(res["scopes"]), scope, "scope")
	if aerr != nil {
		return nil, aerr
	}
	id := str(rm["id"]) + "_" + str(sm["id"])
	list := emList(p, emRoleScopesProp)
	if _, m := findContained(list, id); m != nil {
		return nil, errf(http.StatusConflict, "RoleScopeAlreadyExists", "The access package already has this resource role and scope (%s).", id)
	}
	rs := map[string]any{"id": id, "createdDateTime": graphTime(s.tenant.now()), "role": deepCopy(rm), "scope": deepCopy(sm)}
	p.o()[emRoleScopesProp] = append(list, rs)
	s.touchEM(p, "resourceRoleScopes")
	return rs, nil
}

// emItems answers a read of a catalog's resources or a package's role
// scopes: the one rt.relKey names (404 when none), or the collection.
func (s *Server) emItems(req *request, rt *route, ctx string, items []any) (*response, *apiError) {
	if rt.relKey != "" {
		if len(items) == 0 {
			return nil, notFound(rt.relKey)
		}
		out := items[0].(map[string]any)
		out["@odata.context"] = s.metadata(req, ctx+"/$entity")
		return jsonResp(http.StatusOK, out), nil
	}
	return jsonResp(http.StatusOK, map[string]any{"@odata.context": s.metadata(req, ctx), "value": items}), nil
}

// seedEM moves the resources of a catalog and the role scopes of an
// access package seeded as a file holds them (rehearsals) into their
// stores: a resource gets the roles and scopes of the object it names
// (the file keeps neither), keeping its id; a role scope is kept as the
// file holds it (id, role, scope). Callers hold t.mu.
func (t *Tenant) seedEM(k *Kind, obj map[string]any) {
	switch k.Name {
	case emCatalogKind:
		if _, ok := obj["resources"]; ok {
			var list []any
			for _, x := range asSlice(obj["resources"]) {
				m, _ := x.(map[string]any)
				if m == nil {
					continue
				}
				if _, ok := m["roles"]; !ok {
					origin := str(m["originId"])
					res, aerr := t.emResourceFor(str(m["originSystem"]), origin, func(what string) string {
						return derivedID(t.name + "/em/" + str(obj["id"]) + "/" + origin + "/" + what)
					}, graphTime(t.now()))
					if aerr == nil {
						m["roles"], m["scopes"] = res["roles"], res["scopes"]
					}
				}
				list = append(list, m)
			}
			obj[emResourcesProp] = list
			delete(obj, "resources")
		}
	case emPackageKind:
		if _, ok := obj["resourceRoleScopes"]; ok {
			obj[emRoleScopesProp] = obj["resourceRoleScopes"]
			delete(obj, "resourceRoleScopes")
		}
	}
}

// SeedCatalogResource adds the group, service principal (AadApplication)
// or site originID names to catalog as a resource, without a request, with
// ids derived from the catalog and origin (so later ids do not move).
func (t *Tenant) SeedCatalogResource(catalog, system, originID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.colls[emCatalogKind].byKey[strings.ToLower(catalog)]
	if c == nil {
		return fmt.Errorf("graphsim: no catalog %s", catalog)
	}
	res, aerr := t.emResourceFor(system, originID, func(what string) string {
		return derivedID(t.name + "/em/" + catalog + "/" + originID + "/" + what)
	}, str(c.get("createdDateTime")))
	if aerr != nil {
		return fmt.Errorf("graphsim: catalog %s resource %s: %s", catalog, originID, aerr.Message)
	}
	c.o()[emResourcesProp] = append(emList(c, emResourcesProp), res)
	return nil
}

// SeedRoleScope gives access package pkg the role roleOrigin of the
// resource originID of its catalog, at the resource's root scope.
func (t *Tenant) SeedRoleScope(pkg, originID, roleOrigin string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.colls[emPackageKind].byKey[strings.ToLower(pkg)]
	if p == nil {
		return fmt.Errorf("graphsim: no access package %s", pkg)
	}
	c := t.colls[emCatalogKind].byKey[strings.ToLower(str(p.get(navPrefix+"catalog")))]
	if c == nil {
		return fmt.Errorf("graphsim: access package %s has no catalog", pkg)
	}
	for _, x := range emList(c, emResourcesProp) {
		res, _ := x.(map[string]any)
		if !strings.EqualFold(str(res["originId"]), originID) {
			continue
		}
		sc, _ := asSlice(res["scopes"])[0].(map[string]any)
		for _, y := range asSlice(res["roles"]) {
			rm, _ := y.(map[string]any)
			if !strings.EqualFold(str(rm["originId"]), roleOrigin) {
				continue
			}
			p.o()[emRoleScopesProp] = append(emList(p, emRoleScopesProp), map[string]any{"id": str(rm["id"]) + "_" + str(sc["id"]),
				"createdDateTime": p.get("createdDateTime"), "role": deepCopy(rm), "scope": deepCopy(sc)})
			return nil
		}
		return fmt.Errorf("graphsim: resource %s has no role %s", originID, roleOrigin)
	}
	return fmt.Errorf("graphsim: catalog of access package %s has no resource %s", pkg, originID)
}

// demoCatalogResources gives the demo's governance set-up the resources
// its access packages grant: the Finance group and the HR Portal
// application in the Finance catalog; Finance tools grants membership of
// the group and the HR Portal's reader role, the audit partner workspace
// membership of the group; the draft Contractor onboarding catalog holds
// the Helpdesk group, used by no package. (The large profile's packages
// also grant group ownership: generate_large13.go.)
func (g *generator) demoCatalogResources(gr demoGroupRefs, apps []app) {
	if g.err != nil || gr.finance == "" {
		return
	}
	id := func(name string) string { return derivedID(g.t.name + "/governance/" + name) }
	catalog, draft := id("Finance and partner access"), id("Contractor onboarding")
	finance, partner := id("Finance tools"), id("Audit partner workspace")
	if g.record(emCatalogKind, catalog) == nil || g.record(emPackageKind, finance) == nil {
		return
	}
	var hr app
	var reader string
	for _, a := range apps {
		if strings.HasSuffix(str(a.obj["displayName"]), " HR Portal") {
			for _, x := range asSlice(a.obj["appRoles"]) {
				if m, _ := x.(map[string]any); str(m["value"]) == "HR.Reader" {
					hr, reader = a, str(m["id"])
				}
			}
		}
	}
	seed := func(err error) {
		if err != nil && g.err == nil {
			g.err = err
		}
	}
	seed(g.t.SeedCatalogResource(catalog, "AadGroup", gr.finance))
	seed(g.t.SeedRoleScope(finance, gr.finance, "Member_"+gr.finance))
	seed(g.t.SeedRoleScope(partner, gr.finance, "Member_"+gr.finance))
	if hr.spID != "" && reader != "" {
		seed(g.t.SeedCatalogResource(catalog, "AadApplication", hr.spID))
		seed(g.t.SeedRoleScope(finance, hr.spID, reader))
	}
	if gr.helpdesk != "" && g.record(emCatalogKind, draft) != nil {
		seed(g.t.SeedCatalogResource(draft, "AadGroup", gr.helpdesk))
	}
}

// dropEMOrigin removes the resources and role scopes naming r, a group or
// service principal deleted for good. Callers hold t.mu.
func (t *Tenant) dropEMOrigin(r *record) {
	if r.kind.Name != "group" && r.kind.Name != "servicePrincipal" {
		return
	}
	id := r.key()
	keep := func(list []any, names func(m map[string]any) bool) []any {
		out := []any{}
		for _, x := range list {
			if m, _ := x.(map[string]any); m != nil && !names(m) {
				out = append(out, x)
			}
		}
		return out
	}
	for _, c := range t.colls[emCatalogKind].byKey {
		if _, ok := c.prop(emResourcesProp); ok {
			c.o()[emResourcesProp] = keep(emList(c, emResourcesProp), func(m map[string]any) bool { return strings.EqualFold(str(m["originId"]), id) })
		}
	}
	for _, p := range t.colls[emPackageKind].byKey {
		if _, ok := p.prop(emRoleScopesProp); ok {
			p.o()[emRoleScopesProp] = keep(emList(p, emRoleScopesProp), func(m map[string]any) bool {
				return strings.EqualFold(str(mapAt(m, "scope")["originId"]), id)
			})
		}
	}
}

func mapAt(m map[string]any, k string) map[string]any { v, _ := m[k].(map[string]any); return v }
