package graphsim

import (
	"net/http"
	"sort"
	"strings"
)

// Authentication strengths as Graph serves them beyond plain CRUD:
//
//   - PATCH cannot change allowedCombinations: Graph answers 405
//     "Combinations can only be updated using updateAllowedCombinations
//     action." (authenticationstrengthpolicy-update: "You cannot update the
//     allowed auth method combinations using this request"; the answer as
//     recorded in manicminer/hamilton#257).
//   - POST /policies/authenticationStrengthPolicies/{id}/updateAllowedCombinations
//     replaces them and answers an updateAllowedCombinationsResult
//     (authenticationstrengthpolicy-updateallowedcombinations).
//   - combinationConfigurations (FIDO2 AAGUID and certificate restrictions)
//     are a contained collection with their own create, update and delete,
//     documented only under /identity/conditionalAccess/authenticationStrength/
//     policies/{id}/combinationConfigurations and only for custom strengths
//     (authenticationstrengthpolicy-post-combinationconfigurations,
//     authenticationcombinationconfiguration-update/-delete). Graph's GET of
//     a strength returns them inline, so graphsim keeps them in the policy.
//   - A Conditional Access policy names its strength with
//     grantControls.authenticationStrength {"id": ...}; Graph's GET returns
//     the whole strength there, and a write that sends that object back is
//     refused (conditionalaccessroot-post-policies shows only the id; the
//     answer is Graph's 1007 schema error, see doc.go).

const (
	strengthKind      = "authenticationStrengthPolicy"
	combinationConfig = "combinationConfigurations"
	msgCombinations   = "Combinations can only be updated using updateAllowedCombinations action."
	msgCASchema       = "1007: Incoming ConditionalAccessPolicy object is null or does not match the schema of ConditionalAccessPolicy type. grantControls.authenticationStrength accepts only the id of an authentication strength."
)

// combinationTypes are the derived types of authenticationCombinationConfiguration
// (v1.0 CSDL) with the properties each declares besides appliesToCombinations.
var combinationTypes = map[string][]string{
	"#microsoft.graph.fido2CombinationConfiguration":           {"allowedAAGUIDs"},
	"#microsoft.graph.x509CertificateCombinationConfiguration": {"allowedIssuerSkis", "allowedPolicyOIDs"},
}

func init() {
	actions[strengthKind] = map[string]func(s *Server, req *request, r *record) (*response, *apiError){
		"updateAllowedCombinations": updateAllowedCombinations,
	}
}

// nestedServed reports whether the collection rel below an object reached
// through path (the kind path as the request spelled it, lower case) is one
// graphsim serves by a nested handler.
func nestedServed(k *Kind, path []string, rel string) (string, bool) {
	if n, ok := grantNested(k, rel); ok { // policies.go
		return n, true
	}
	if n, ok := heldName(k, rel); ok { // hooks_appheld.go
		return n, true
	}
	if k.Name != strengthKind || !strings.EqualFold(rel, combinationConfig) {
		return "", false
	}
	// Documented only below identity/conditionalAccess/authenticationStrength/policies.
	return combinationConfig, len(path) > 0 && path[0] == "identity"
}

// checkStrengthPatch refuses allowedCombinations in a PATCH of a strength.
func checkStrengthPatch(body map[string]any) *apiError {
	if _, ok := body["allowedCombinations"]; ok {
		return errf(http.StatusMethodNotAllowed, "methodNotAllowed", msgCombinations)
	}
	return nil
}

// checkCAStrength refuses a Conditional Access write whose
// grantControls.authenticationStrength carries more than the strength's id.
func checkCAStrength(body map[string]any) *apiError {
	gc, _ := body["grantControls"].(map[string]any)
	as, ok := gc["authenticationStrength"]
	if !ok || as == nil {
		return nil
	}
	m, ok := as.(map[string]any)
	if !ok {
		return errf(http.StatusBadRequest, "BadRequest", msgCASchema)
	}
	for p := range m {
		if p != "id" && p != "@odata.type" {
			return errf(http.StatusBadRequest, "BadRequest", msgCASchema)
		}
	}
	return nil
}

// expandCAStrength is Graph's answer shape: the strength a policy names,
// whole, in grantControls.authenticationStrength. Callers hold t.mu.
func (s *Server) expandCAStrength(out map[string]any) {
	gc, _ := out["grantControls"].(map[string]any)
	as, _ := gc["authenticationStrength"].(map[string]any)
	if as == nil {
		return
	}
	r := s.tenant.lookup(kindByName[strengthKind], str(as["id"]))
	if r == nil {
		return
	}
	gc["authenticationStrength"] = s.view(r, nil, false)
}

func updateAllowedCombinations(s *Server, req *request, r *record) (*response, *apiError) {
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	for p := range body {
		if p != "allowedCombinations" {
			return nil, badRequest("Property '%s' does not exist as a parameter of action 'updateAllowedCombinations'.", p)
		}
	}
	raw, ok := body["allowedCombinations"].([]any)
	if !ok || len(raw) == 0 {
		return nil, badRequest("A value is required for parameter 'allowedCombinations' of action 'updateAllowedCombinations'.")
	}
	if str(r.get("policyType")) == "builtIn" {
		return nil, badRequest("Built-in authentication strength policies cannot be modified.")
	}
	next := strs(raw)
	// Strict reading (undocumented): a combination a configuration applies
	// to cannot be dropped while that configuration exists ("appliesToCombinations
	// ... must be an allowedCombinations object" of the policy).
	for _, c := range asSlice(r.get(combinationConfig)) {
		cm, _ := c.(map[string]any)
		for _, a := range strs(cm["appliesToCombinations"]) {
			if !hasCombination(next, a) {
				return nil, badRequest("The combination '%s' is used by combination configuration '%s'; delete the configuration first.", a, str(cm["id"]))
			}
		}
	}
	prev := strs(r.get("allowedCombinations"))
	r.o()["allowedCombinations"] = raw
	r.o()["modifiedDateTime"] = graphTime(s.tenant.now())
	s.tenant.logChange(change{Kind: strengthKind, ID: r.key(), Op: "upsert", Props: []string{"allowedCombinations"}})
	var refs []any
	for _, p := range s.tenant.colls["conditionalAccessPolicy"].byKey {
		if strings.EqualFold(str(lookupPath(p.o(), "grantControls/authenticationStrength/id")), r.key()) {
			refs = append(refs, p.key())
		}
	}
	sort.Slice(refs, func(i, j int) bool { return str(refs[i]) < str(refs[j]) })
	if refs == nil {
		refs = []any{}
	}
	return jsonResp(http.StatusOK, map[string]any{
		"@odata.context":              s.metadata(req, "microsoft.graph.updateAllowedCombinationsResult"),
		"previousCombinations":        anyList(prev),
		"currentCombinations":         anyList(next),
		"conditionalAccessReferences": refs,
		"additionalInformation":       nil,
	}), nil
}

func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// hasCombination compares combinations as Graph does: "password,sms" and
// "password, sms" are the same combination.
func hasCombination(list []string, c string) bool {
	norm := func(x string) string { return strings.ReplaceAll(strings.ToLower(x), " ", "") }
	for _, x := range list {
		if norm(x) == norm(c) {
			return true
		}
	}
	return false
}

// combinationOp serves /identity/conditionalAccess/authenticationStrength/
// policies/{id}/combinationConfigurations[/{id}].
func (s *Server) combinationOp(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	defer t.lockFor(req.method)()
	p := s.find(rt)
	if p == nil {
		return nil, notFound(rt.key)
	}
	list := asSlice(p.get(combinationConfig))
	ctx := rt.kind.Paths0() + "('" + p.key() + "')/" + combinationConfig
	if str(p.get("policyType")) == "builtIn" {
		// "authenticationCombinationConfiguration objects are supported
		// only for custom authentication strengths"
		// (authenticationstrengthpolicy-list-combinationconfigurations,
		// authenticationstrengthpolicy-post-combinationconfigurations).
		// Graph's answer for a built-in strength is not documented: the
		// strict reading refuses every method, reads included.
		return nil, badRequest("Combination configurations are supported only for custom authentication strength policies.")
	}
	switch {
	case req.method == http.MethodGet:
		return s.containedGet(req, ctx, list, rt.relKey)
	case req.method == http.MethodPost && rt.relKey == "":
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := checkCombination(p, body, true); aerr != nil {
			return nil, aerr
		}
		for _, c := range list {
			cm, _ := c.(map[string]any)
			if str(cm["@odata.type"]) == str(body["@odata.type"]) && sameCombinations(strs(cm["appliesToCombinations"]), strs(body["appliesToCombinations"])) {
				return nil, errf(http.StatusConflict, "Request_BadRequest", "A combination configuration of this type already applies to these combinations.")
			}
		}
		body["id"] = t.newID()
		p.o()[combinationConfig] = append(list, body)
		s.touchStrength(p)
		out := deepCopy(body).(map[string]any)
		out["@odata.context"] = s.metadata(req, ctx+"/$entity")
		resp := jsonResp(http.StatusCreated, out)
		resp.header.Set("Location", req.root+"/"+req.version+"/"+req.path+"/"+str(body["id"]))
		return resp, nil
	case req.method == http.MethodPatch && rt.relKey != "":
		i, m := findContained(list, rt.relKey)
		if m == nil {
			return nil, notFound(rt.relKey)
		}
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		if t := str(body["@odata.type"]); t != "" && t != str(m["@odata.type"]) {
			return nil, badRequest("Invalid @odata.type '%s' for this object.", t)
		}
		merged := deepCopy(m).(map[string]any)
		for k, v := range body {
			merged[k] = v
		}
		if aerr := checkCombination(p, merged, false); aerr != nil {
			return nil, aerr
		}
		if _, ok := body["id"]; ok {
			return nil, badRequest(msgReadOnly, "id")
		}
		list[i] = merged
		s.touchStrength(p)
		return noContent(), nil
	case req.method == http.MethodDelete && rt.relKey != "":
		i, m := findContained(list, rt.relKey)
		if m == nil {
			return nil, notFound(rt.relKey)
		}
		p.o()[combinationConfig] = append(append([]any{}, list[:i]...), list[i+1:]...)
		s.touchStrength(p)
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

func (s *Server) touchStrength(p *record) {
	p.o()["modifiedDateTime"] = graphTime(s.tenant.now())
	s.tenant.logChange(change{Kind: strengthKind, ID: p.key(), Op: "upsert", Props: []string{combinationConfig}})
}

// checkCombination validates a combination configuration (whole, after a
// PATCH is merged) against its type and its policy's allowed combinations.
func checkCombination(p *record, c map[string]any, creating bool) *apiError {
	typ := str(c["@odata.type"])
	props, ok := combinationTypes[typ]
	if !ok {
		return badRequest("The @odata.type of a combination configuration must be #microsoft.graph.fido2CombinationConfiguration or #microsoft.graph.x509CertificateCombinationConfiguration.")
	}
	for k := range c {
		if k == "@odata.type" || k == "appliesToCombinations" || (k == "id" && !creating) || contains(props, k) {
			continue
		}
		if k == "id" {
			return badRequest(msgReadOnly, k)
		}
		return badRequest("Property '%s' does not exist as a declared property or extension property.", k)
	}
	applies := strs(c["appliesToCombinations"])
	if len(applies) == 0 {
		return badRequest("A value is required for property 'appliesToCombinations' of resource 'AuthenticationCombinationConfiguration'.")
	}
	allowed := strs(p.get("allowedCombinations"))
	for _, a := range applies {
		if !hasCombination(allowed, a) {
			return badRequest("appliesToCombinations value '%s' is not an allowed combination of the authentication strength.", a)
		}
	}
	return nil
}

func sameCombinations(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !hasCombination(b, x) {
			return false
		}
	}
	return true
}

// findContained is the element of list (a collection held inside its
// parent's object: a strength's combinationConfigurations, a permission
// grant policy's includes and excludes) whose id is relKey, and its index;
// -1 when there is none.
func findContained(list []any, relKey string) (int, map[string]any) {
	for i, c := range list {
		if m, ok := c.(map[string]any); ok && strings.EqualFold(str(m["id"]), relKey) {
			return i, m
		}
	}
	return -1, nil
}

// containedGet answers a GET of such a collection (relKey "") or of one
// of its elements; ctx is the collection's @odata.context path.
func (s *Server) containedGet(req *request, ctx string, list []any, relKey string) (*response, *apiError) {
	if relKey == "" {
		items := []any{}
		for _, c := range list {
			items = append(items, deepCopy(c))
		}
		return jsonResp(http.StatusOK, map[string]any{"@odata.context": s.metadata(req, ctx), "value": items}), nil
	}
	_, m := findContained(list, relKey)
	if m == nil {
		return nil, notFound(relKey)
	}
	out := deepCopy(m).(map[string]any)
	out["@odata.context"] = s.metadata(req, ctx+"/$entity")
	return jsonResp(http.StatusOK, out), nil
}

// lockFor takes the tenant's lock for a request of method (shared for a
// GET) and returns its release.
func (t *Tenant) lockFor(method string) (unlock func()) {
	if method == http.MethodGet {
		t.mu.RLock()
		return t.mu.RUnlock
	}
	t.mu.Lock()
	return t.mu.Unlock
}
