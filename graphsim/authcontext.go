package graphsim

import (
	"net/http"
	"strings"
)

// Authentication context class references: custom values a Conditional
// Access policy targets (conditions.applications.includeAuthenticationContextClassReferences)
// and an app asks for in a step-up (the acrs claim).
//
//   - learn:/graph/api/resources/authenticationcontextclassreference: the id
//     is chosen by the caller; "the allowed values are c1 through c25".
//   - learn:/graph/api/authenticationcontextclassreference-update (v1.0,
//     "Create or update"): PATCH .../authenticationContextClassReferences/{id}
//     creates the object when the id has not been used and updates it
//     otherwise; 204 No Content. v1.0 documents no POST to the collection
//     (beta does): graphsim answers 405 to it (strict reading).
//   - learn:/graph/api/authenticationcontextclassreference-delete: DELETE;
//     no recycle bin. Undocumented: deleting a context a Conditional Access
//     policy still names; graphsim refuses it (strict reading; the Entra
//     admin center asks to remove it from every policy first).
//   - Permissions (permissions.json): read AuthenticationContext.Read.All
//     (Policy.Read.All is not listed), write AuthenticationContext.ReadWrite.All
//     (PATCH also Policy.ReadWrite.ConditionalAccess; DELETE only the former).
var authContextKind = &Kind{
	Name: "authenticationContextClassReference", ODataType: "#microsoft.graph.authenticationContextClassReference",
	Paths: []string{"identity/conditionalAccess/authenticationContextClassReferences"}, Throttle: "ca",
	NoCreate: true, Upsert: true,
	ReadOnly:   []string{"id"},
	Filterable: []string{"id"},
}

// authContextID is the form of an authentication context id: c1 to c25.
var authContextID = lazyRE(`^c([1-9]|1[0-9]|2[0-5])$`)

func init() {
	deleteHooks[authContextKind.Name] = func(s *Server, r *record) *apiError {
		for _, p := range s.tenant.colls["conditionalAccessPolicy"].order {
			if p.gone {
				continue
			}
			if containsFold(strs(lookupPath(p.o(), "conditions/applications/includeAuthenticationContextClassReferences")), r.key()) {
				return errf(http.StatusBadRequest, "BadRequest", "The authentication context '%s' is used by Conditional Access policy '%s'; remove it from the policy first.", r.key(), str(p.get("displayName")))
			}
		}
		return nil
	}
}

// upsert creates the object key of an Upsert kind that a PATCH names
// (authenticationcontextclassreference-update). Callers hold t.mu.
func (s *Server) upsert(req *request, k *Kind, key string) (*response, *apiError) {
	if k == authContextKind && !authContextID.MatchString(key) {
		return nil, badRequest("Invalid id '%s' for an authentication context class reference: the allowed values are c1 through c25.", key)
	}
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	if typ := str(body["@odata.type"]); typ != "" && typ != k.ODataType {
		return nil, badRequest("Invalid @odata.type '%s' for a %s.", typ, k.Name)
	}
	delete(body, "@odata.type")
	if aerr := s.checkProps(k, body, true); aerr != nil {
		return nil, aerr
	}
	if s.tenant.colls[k.Name].byKey[strings.ToLower(key)] != nil {
		return nil, errf(http.StatusConflict, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory.")
	}
	body[k.key()] = key
	s.tenant.insert(k, body)
	return noContent(), nil
}

// authContextsExist checks that every authentication context a CA policy
// names exists (strict reading: Graph's pages are silent; a policy that
// names no object is refused as for groups and named locations).
func (s *Server) authContextsExist(p map[string]any) *apiError {
	for _, c := range strs(lookupPath(p, "conditions/applications/includeAuthenticationContextClassReferences")) {
		if r := s.tenant.lookup(authContextKind, c); r == nil {
			return errf(http.StatusBadRequest, "BadRequest", "1037: The policy contains invalid authentication contexts in conditions.applications.includeAuthenticationContextClassReferences: %s.", c)
		}
	}
	return nil
}
