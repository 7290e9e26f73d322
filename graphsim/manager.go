package graphsim

import (
	"net/http"
	"strings"
)

// A user's manager and sponsors (issue 13, "Users"), as Graph v1.0
// documents them:
//
//   - manager is single-valued: GET /users/{id}/manager answers the manager
//     (404 when there is none: user-list-manager), PUT
//     /users/{id}/manager/$ref {"@odata.id": ".../users/{managerId}"} sets or
//     replaces it (user-post-manager: 204), DELETE /users/{id}/manager/$ref
//     removes it (user-delete-manager: 204; 404 when there is none, strict).
//     A manager is a user or an organizational contact (resources/user:
//     "manager: directoryObject"; the assign page names a user or contact).
//     A user cannot be its own manager (400, strict: undocumented). There is
//     no POST of the relationship (405, strict) and no @odata.bind of it
//     (400, strict). Users delta tracks it with $select=manager
//     (delta-query-overview: "$select=manager (users) tracks
//     relationships"): manager@delta [{@odata.type, id}], a replaced or
//     removed manager with "@removed" (the members@delta shape).
//   - sponsors is a collection of users and groups (resources/user:
//     sponsors, user-post-sponsors: POST /users/{id}/sponsors/$ref,
//     user-delete-sponsors: DELETE /users/{id}/sponsors/{id}/$ref, GET
//     /users/{id}/sponsors). Reading it takes User.Read.All or
//     User.ReadWrite.All (permissions.json: Directory.Read.All is not
//     listed); writing User.ReadWrite.All. Users delta does not document
//     sponsors: $select=sponsors on users delta is refused (strict).
//
// The users list's $expand=sponsors (expand.go: at most 20 per user) reads
// the sponsors too, so it takes the permission GET .../sponsors takes
// (strict: Graph documents no other for $expand).
//
// The manager is stored as r.links["manager"] (one id); sponsors are a
// Kind.Links relationship of users.

// sponsorsRead is the permission reading sponsors takes (permissions.json,
// user-list-sponsors).
var sponsorsRead = []string{"User.Read.All", "User.ReadWrite.All"}

const managerRel = "manager"

func init() {
	u := kindByName["user"]
	if u.Links == nil {
		u.Links = map[string][]string{}
	}
	u.Links["sponsors"] = []string{"user", "group"}
	// Users delta: manager selectable and reported in later rounds;
	// sponsors (a Link) refused.
	deltaRelRules["user"] = struct {
		def, selectable []string
		later           bool
	}{selectable: []string{managerRel}, later: true}
}

// noBind reports whether rel of k is written by $ref only.
func noBind(k *Kind, rel string) bool {
	return isPolicyLink(k, rel) || k.Name == "user" && rel == "sponsors"
}

// routeManager routes /users/{id}/manager and /users/{id}/manager/$ref.
func routeManager(k *Kind, rt *route, rest []string, tmpl string) (*route, bool) {
	if k.Name != "user" || len(rest) == 0 || len(rest) > 2 || !strings.EqualFold(rest[0], managerRel) {
		return nil, false
	}
	rt.rel, rt.special, rt.template = managerRel, "manager", tmpl+"/manager"
	if len(rest) == 2 {
		if rest[1] != "$ref" {
			return nil, false
		}
		rt.ref, rt.template = true, rt.template+"/$ref"
	}
	return rt, true
}

// manager serves a user's manager.
func (s *Server) manager(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	switch {
	case req.method == http.MethodGet:
		t.mu.RLock()
		defer t.mu.RUnlock()
		u := s.find(rt)
		if u == nil {
			return nil, notFound(rt.key)
		}
		m := s.managerOf(u)
		if m == nil {
			return nil, errf(http.StatusNotFound, "Request_ResourceNotFound", "Resource 'manager' does not exist or one of its queried reference-property objects are not present.")
		}
		if rt.ref {
			return jsonResp(200, map[string]any{"@odata.context": s.metadata(req, "$ref"), "@odata.id": req.root + "/" + req.version + "/directoryObjects/" + m.key()}), nil
		}
		return jsonResp(200, s.entityBody(req, m, "directoryObjects/$entity", true)), nil
	case req.method == http.MethodPut && rt.ref:
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		target := idFromRef(str(body["@odata.id"]))
		if target == "" {
			return nil, badRequest("The request body must contain an @odata.id reference.")
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		u := s.find(rt)
		if u == nil {
			return nil, notFound(rt.key)
		}
		m := t.dirObject(target)
		if m == nil && t.lagging(target) {
			return nil, badRequest(msgRefNotReplicated, managerRel)
		}
		if m == nil {
			return nil, notFound(target)
		}
		if m.kind.Name != "user" && m.kind.Name != "orgContact" {
			return nil, badRequest("An object of type '%s' cannot be the manager of a user.", m.kind.Name)
		}
		if strings.EqualFold(m.key(), u.key()) {
			return nil, badRequest("A user cannot be their own manager.")
		}
		if old := u.links.list(managerRel); old.len() > 0 {
			if strings.EqualFold(old.at(0), m.key()) {
				return noContent(), nil
			}
			t.logChange(change{Kind: "user", ID: u.key(), Op: "unlink", Rel: managerRel, Target: old.at(0)})
		}
		t.linksOf(u).set(managerRel, []string{strings.ToLower(m.key())})
		t.logChange(change{Kind: "user", ID: u.key(), Op: "link", Rel: managerRel, Target: strings.ToLower(m.key())})
		return noContent(), nil
	case req.method == http.MethodDelete && rt.ref:
		t.mu.Lock()
		defer t.mu.Unlock()
		u := s.find(rt)
		if u == nil {
			return nil, notFound(rt.key)
		}
		old := u.links.list(managerRel)
		if old.len() == 0 {
			return nil, errf(http.StatusNotFound, "Request_ResourceNotFound", msgMissingLink, managerRel)
		}
		u.links.set(managerRel, nil)
		t.logChange(change{Kind: "user", ID: u.key(), Op: "unlink", Rel: managerRel, Target: old.at(0)})
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

// managerOf is u's manager while it exists. Callers hold t.mu.
func (s *Server) managerOf(u *record) *record {
	if l := u.links.list(managerRel); l.len() > 0 {
		return s.tenant.dirObject(l.at(0))
	}
	return nil
}
