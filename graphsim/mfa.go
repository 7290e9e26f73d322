package graphsim

import (
	"fmt"
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
		u.o()[mfaStateKey] = st
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

func userMfaState(u *record) string {
	if st, _ := u.get(mfaStateKey).(string); st != "" {
		return st
	}
	return "disabled"
}

// demoMFA: legacy per-user MFA left on for some members (as in tenants that
// moved to Conditional Access), none drawn from the tenant's sequence.
func (g *generator) demoMFA() {
	n := 0
	for _, r := range g.t.colls["user"].order {
		if r.gone || str(r.get("userType")) == "Guest" {
			continue
		}
		n++
		switch {
		case n%7 == 0:
			r.o()[mfaStateKey] = "enforced"
		case n%11 == 0:
			r.o()[mfaStateKey] = "enabled"
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

// SeedPerObject stores obj as the one entity below object id of kind at
// rel, as a PATCH of that path would (without permissions or lag), for the
// rehearsal loader: the entity below a user at authentication/requirements
// (perUserMfaState) is the only one graphsim serves. The key of the object
// it belongs to and @odata annotations in obj are ignored; any other
// property, or a state Graph does not take, is an error (strict, as the
// PATCH).
func (t *Tenant) SeedPerObject(kind, id, rel string, obj map[string]any) error {
	k := kindByName[kind]
	if k == nil {
		return fmt.Errorf("graphsim: unknown kind %q", kind)
	}
	if k.Name != "user" || !strings.EqualFold(rel, mfaRel) {
		return fmt.Errorf("graphsim: %s has no entity at %s", kind, rel)
	}
	for p := range obj {
		if p != "perUserMfaState" && p != "id" && !strings.HasPrefix(p, "@odata.") {
			return fmt.Errorf("graphsim: %s of %s %s: property %q is not one of strongAuthenticationRequirements", rel, kind, id, p)
		}
	}
	st, _ := obj["perUserMfaState"].(string)
	if !contains(mfaStates, st) {
		return fmt.Errorf("graphsim: %s of %s %s: perUserMfaState %q is not one of %s", rel, kind, id, fmt.Sprint(obj["perUserMfaState"]), strings.Join(mfaStates, ", "))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.colls[k.Name].byKey[strings.ToLower(id)]
	if r == nil {
		return fmt.Errorf("graphsim: %s %s not found", kind, id)
	}
	r.o()[mfaStateKey] = st
	return nil
}
