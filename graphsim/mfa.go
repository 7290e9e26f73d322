package graphsim

import (
	"net/http"
	"strings"
)

// Per-user MFA state (graphsim/doc.go, "Per-user MFA state"):
//
//   - GET /beta/users/{id}/authentication/requirements returns the user's
//     strongAuthenticationRequirements: perUserMfaState, one of disabled,
//     enabled, enforced (authentication-get-requirements,
//     resources/strongauthenticationrequirements, beta only: the v1.0 CSDL
//     has no requirements, so /v1.0 → 400 for the segment).
//   - PATCH writes perUserMfaState (authentication-update-requirements);
//     any other property or value → 400 (strict). A user who never had it
//     set reads "disabled".
//   - Permissions (permissions.json): Policy.Read.All reads (least), also
//     Policy.ReadWrite.AuthenticationMethod; Policy.ReadWrite.AuthenticationMethod
//     writes.

const (
	mfaRel      = "authentication/requirements"
	mfaStateKey = heldPrefix + "perUserMfaState" // kept with the user, never in its JSON
)

var mfaStates = []string{"disabled", "enabled", "enforced"}

// routeMFA routes /users/{id}/authentication/requirements.
func routeMFA(k *Kind, rt *route, rest []string, tmpl string) (*route, bool) {
	if k.Name != "user" || len(rest) != 2 || !strings.EqualFold(rest[0], "authentication") || !strings.EqualFold(rest[1], "requirements") {
		return nil, false
	}
	rt.rel, rt.special, rt.template = mfaRel, "mfaRequirements", tmpl+"/authentication/requirements"
	return rt, true
}

// mfaRequirements serves a user's per-user MFA state.
func (s *Server) mfaRequirements(req *request, rt *route) (*response, *apiError) {
	if req.version != "beta" {
		return nil, notFoundSegment("requirements")
	}
	t := s.tenant
	switch req.method {
	case http.MethodGet:
		t.mu.RLock()
		defer t.mu.RUnlock()
		u := s.find(rt)
		if u == nil {
			return nil, notFound(rt.key)
		}
		return jsonResp(200, map[string]any{"@odata.context": s.metadata(req, "users('"+u.key()+"')/authentication/requirements"),
			"perUserMfaState": userMfaState(u)}), nil
	case http.MethodPatch:
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		for p := range body {
			if p != "perUserMfaState" && !strings.HasPrefix(p, "@odata.") {
				return nil, badRequest("Property '%s' does not exist as a declared property or extension property.", p)
			}
		}
		st, _ := body["perUserMfaState"].(string)
		if !contains(mfaStates, st) {
			return nil, badRequest("Invalid value '%v' for property 'perUserMfaState': %s.", body["perUserMfaState"], strings.Join(mfaStates, ", "))
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		u := s.find(rt)
		if u == nil {
			return nil, notFound(rt.key)
		}
		u.obj[mfaStateKey] = st
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

func userMfaState(u *record) string {
	if st, _ := u.obj[mfaStateKey].(string); st != "" {
		return st
	}
	return "disabled"
}

// demoMFA: legacy per-user MFA left on for some members (as in tenants that
// moved to Conditional Access), none drawn from the tenant's sequence.
func (g *generator) demoMFA() {
	n := 0
	for _, r := range g.t.colls["user"].order {
		if r.gone || str(r.obj["userType"]) == "Guest" {
			continue
		}
		n++
		switch {
		case n%7 == 0:
			r.obj[mfaStateKey] = "enforced"
		case n%11 == 0:
			r.obj[mfaStateKey] = "enabled"
		}
	}
}

// MFAState is the per-user MFA state of user id ("" when there is no such
// user), for tests and the rehearsal loader.
func (t *Tenant) MFAState(id string) string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r := t.colls["user"].byKey[strings.ToLower(id)]
	if r == nil {
		return ""
	}
	return userMfaState(r)
}
