package graphsim

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// External Identities beyond identity providers (graphsim/doc.go,
// "External identities: user flows"):
//
//   - identityUserFlowAttribute (resources/identityuserflowattribute):
//     Microsoft's built-in attributes (userFlowAttributeType builtIn,
//     required) and custom ones. POST creates a custom one from
//     displayName, description and dataType (identityuserflowattribute-post:
//     dataType string, boolean or int64); its id is Graph's,
//     extension_{the b2c-extensions-app's appId without dashes}_{displayName}
//     (the example's "extension_d09380e2b4c642b9a203fb816a04a7ad_Hobby"); a
//     second one of the same name → 409. identityuserflowattribute-update:
//     "Only the description property can be updated" (others → 400) and
//     "Only custom user flow attributes can be updated"; built-in ones are
//     not deleted either (400, strict). $filter on userFlowAttributeType
//     (eq) is served ("Supports $filter (eq, ne)").
//   - identityApiConnector (resources/identityapiconnector,
//     identityapiconnector-create, -update): displayName, targetUrl and
//     authenticationConfiguration, all required on create (the create
//     page's table). authenticationConfiguration is written as
//     basicAuthentication (username, password) or pkcs12Certificate
//     (pkcs12Value, password) and read back as basicAuthentication with
//     password "******" or as clientCertificateAuthentication (the
//     certificate's public information): a secret is never returned, and
//     graphsim never stores one. "******" as a password → 400 (strict).
//   - customAuthenticationExtension (resources/customauthenticationextension):
//     an abstract type: a POST names a derived @odata.type (400 without one,
//     strict) and a PATCH cannot change it; displayName,
//     endpointConfiguration and authenticationConfiguration are required
//     (strict).
//   - b2xIdentityUserFlow (resources/b2xidentityuserflow,
//     identitycontainer-post-b2xuserflows): POST with id (the name),
//     userFlowType (only signUpOrSignIn) and userFlowTypeVersion (only 1);
//     the id becomes B2X_1_{name}; an optional apiConnectorConfiguration
//     names connectors by @odata.id. No PATCH of a user flow is documented
//     (405). apiConnectorConfiguration reads as {} on the flow ("always
//     returns a '{}' value"): GET {flow}/apiConnectorConfiguration?$expand=
//     postFederationSignup,postAttributeCollection gives the connectors, PUT
//     {flow}/apiConnectorConfiguration/{step}/$ref sets one ({} clears it)
//     (b2xidentityuserflow-get-apiconnectorconfiguration, -put-apiconnectorconfiguration).
//     userFlowIdentityProviders: GET, POST $ref and DELETE {id}/$ref of an
//     identity provider of the tenant; a new flow lists the built-in
//     AADSignup-OAUTH (Microsoft Entra ID, "the default identity provider
//     for self-service sign-up": learn:/entra/external-id/self-service-sign-up-user-flow,
//     b2xidentityuserflow-list-userflowidentityproviders) when the tenant
//     has it. userAttributeAssignments
//     (b2xidentityuserflow-post-userattributeassignments,
//     identityuserflowattributeassignment-update, -delete): POST with
//     displayName, isOptional, requiresVerification, userInputType,
//     userAttributeValues and userAttribute {id} naming an attribute of the
//     tenant; the assignment's id is the attribute's (the example's
//     Location); one per attribute (409, strict); PATCH of all but the
//     attribute. None of the three is written with the flow's POST besides
//     apiConnectorConfiguration (strict; the default provider is Graph's,
//     not the caller's), and deleting the flow deletes them.
//   - Permissions (permissions.json): IdentityUserFlow.Read.All reads flows
//     and attributes, but the flow's userFlowIdentityProviders and
//     apiConnectorConfiguration only IdentityUserFlow.ReadWrite.All;
//     API connectors are read and written with APIConnectors.ReadWrite.All
//     (there is no read permission); custom authentication extensions
//     CustomAuthenticationExtension.Read.All / .ReadWrite.All. permissions.json
//     has no row for POST/DELETE of userFlowIdentityProviders/$ref: graphsim
//     asks IdentityUserFlow.ReadWrite.All, the permission of every other
//     write of a flow (userFlowPermPath).

const (
	ufaKind         = "identityUserFlowAttribute"
	apiConnKind     = "identityApiConnector"
	caeKind         = "customAuthenticationExtension"
	userFlowKind    = "b2xIdentityUserFlow"
	extIdPolicyKind = "externalIdentitiesPolicy"

	userFlowPrefix  = "B2X_1_"
	maskedPassword  = "******"
	customUFAType   = "#microsoft.graph.identityCustomUserFlowAttribute"
	builtInUFAType  = "#microsoft.graph.identityBuiltInUserFlowAttribute"
	basicAuthType   = "#microsoft.graph.basicAuthentication"
	pkcs12Type      = "#microsoft.graph.pkcs12Certificate"
	clientCertType  = "#microsoft.graph.clientCertificateAuthentication"
	ufIdpRel        = "userFlowIdentityProviders"
	ufAssignRel     = "userAttributeAssignments"
	ufConnectorsRel = "apiConnectorConfiguration"
)

var userFlowSteps = []string{"postAttributeCollection", "postFederationSignup"}

var externalKinds = []*Kind{
	{
		Name: ufaKind, ODataType: "#microsoft.graph.identityUserFlowAttribute",
		Paths: []string{"identity/userFlowAttributes"}, Throttle: "directory", ReadCost: 1,
		ReadOnly: []string{"id", "userFlowAttributeType"}, CreateOnly: []string{"displayName", "dataType"},
		Required:   []string{"displayName", "dataType"},
		Filterable: []string{"id", "displayName", "userFlowAttributeType", "dataType"},
	},
	{
		Name: apiConnKind, ODataType: "#microsoft.graph.identityApiConnector",
		Paths: []string{"identity/apiConnectors"}, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"id"},
		Required:   []string{"displayName", "targetUrl", "authenticationConfiguration"},
		Filterable: []string{"id", "displayName"},
	},
	{
		Name: caeKind, ODataType: "#microsoft.graph.customAuthenticationExtension",
		Paths: []string{"identity/customAuthenticationExtensions"}, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"id"},
		Required:   []string{"displayName", "endpointConfiguration", "authenticationConfiguration"},
		Filterable: []string{"id", "displayName"},
	},
	{
		// Beta only (versions.go): resources/externalidentitiespolicy,
		// externalidentitiespolicy-update. A singleton every tenant has.
		Name: extIdPolicyKind, ODataType: "#microsoft.graph.externalIdentitiesPolicy",
		Paths: []string{"policies/externalIdentitiesPolicy"}, Singleton: true, Throttle: "directory",
		ReadOnly: []string{"id", "displayName", "description", "deletedDateTime"},
	},
	{
		Name: userFlowKind, ODataType: "#microsoft.graph.b2xIdentityUserFlow",
		Paths: []string{"identity/b2xUserFlows"}, Throttle: "directory", ReadCost: 1, NoUpdate: true,
		Required:   []string{"id", "userFlowType", "userFlowTypeVersion"},
		Filterable: []string{"id", "userFlowType"},
	},
}

// ufaName: a custom attribute's name becomes part of a directory extension
// property's name (extension_{app}_{name}): letters, digits and
// underscores, a letter first (strict: Graph documents no rule).
var ufaName = lazyRE(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)

// b2cExtensionsAppID is the appId (without dashes) of the tenant's
// b2c-extensions-app, which holds custom attributes' extension properties:
// graphsim derives one per tenant.
func (t *Tenant) b2cExtensionsAppID() string {
	h := sha256.Sum256([]byte("b2c-extensions-app:" + t.id))
	return hex.EncodeToString(h[:16])
}

// derivedID is a GUID derived from the tenant's id and name (no draw from
// the tenant's random sequence).
func (t *Tenant) derivedID(name string) string {
	h := sha256.Sum256([]byte(t.id + "/" + name))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return hex.EncodeToString(h[0:4]) + "-" + hex.EncodeToString(h[4:6]) + "-" + hex.EncodeToString(h[6:8]) + "-" + hex.EncodeToString(h[8:10]) + "-" + hex.EncodeToString(h[10:16])
}

func isBuiltInUFA(r *record) bool { return str(r.get("userFlowAttributeType")) != "custom" }

// apiAuthConfig checks an API connector's authenticationConfiguration as
// written and turns it into what Graph keeps and reads back: no password,
// no certificate.
func apiAuthConfig(v any) (map[string]any, *apiError) {
	m, _ := v.(map[string]any)
	if m == nil {
		return nil, badRequest("Invalid value for property 'authenticationConfiguration'.")
	}
	secret := func(p string) *apiError {
		s, ok := m[p].(string)
		if !ok || s == "" {
			return badRequest("A value is required for property '%s' of resource '%s'.", p, strings.TrimPrefix(str(m["@odata.type"]), "#microsoft.graph."))
		}
		if s == maskedPassword {
			return badRequest("Invalid value for property '%s'.", p)
		}
		return nil
	}
	switch strings.TrimPrefix(str(m["@odata.type"]), "#") {
	case strings.TrimPrefix(basicAuthType, "#"):
		for _, p := range []string{"username", "password"} {
			if aerr := secret(p); aerr != nil {
				return nil, aerr
			}
		}
		return map[string]any{"@odata.type": basicAuthType, "username": m["username"], "password": maskedPassword}, nil
	case strings.TrimPrefix(pkcs12Type, "#"):
		for _, p := range []string{"pkcs12Value", "password"} {
			if aerr := secret(p); aerr != nil {
				return nil, aerr
			}
		}
		sum := sha1.Sum([]byte(str(m["pkcs12Value"])))
		return map[string]any{"@odata.type": clientCertType, "certificateList": []any{map[string]any{
			"thumbprint": strings.ToUpper(hex.EncodeToString(sum[:])), "notBefore": 1735689600, "notAfter": 1798761600, "isActive": true}}}, nil
	}
	return nil, badRequest("Only #microsoft.graph.basicAuthentication and #microsoft.graph.pkcs12Certificate can be written as authenticationConfiguration.")
}

func init() {
	createHooks[ufaKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		name := str(body["displayName"])
		if !ufaName.MatchString(name) {
			return badRequest("Invalid value '%s' for property 'displayName': letters, digits and underscores, starting with a letter.", name)
		}
		switch str(body["dataType"]) {
		case "string", "boolean", "int64":
		default:
			return badRequest("Invalid value '%v' for property 'dataType': string, boolean or int64.", body["dataType"])
		}
		body["id"] = "extension_" + s.tenant.b2cExtensionsAppID() + "_" + name
		body["userFlowAttributeType"] = "custom"
		body["@odata.type"] = customUFAType
		if _, ok := body["description"]; !ok {
			body["description"] = nil
		}
		return nil
	}
	patchHooks[ufaKind] = func(_ *Server, r *record, body map[string]any) *apiError {
		if isBuiltInUFA(r) {
			return badRequest("Only custom user flow attributes can be updated.")
		}
		for p := range body {
			if p != "description" && p != "@odata.type" {
				return badRequest(msgReadOnly, p)
			}
		}
		return nil
	}
	deleteHooks[ufaKind] = func(_ *Server, r *record) *apiError {
		if isBuiltInUFA(r) {
			return badRequest("Built-in user flow attributes cannot be deleted.")
		}
		return nil
	}

	createHooks[apiConnKind] = func(_ *Server, _ *request, body map[string]any, _ *record) *apiError {
		c, aerr := apiAuthConfig(body["authenticationConfiguration"])
		if aerr != nil {
			return aerr
		}
		body["authenticationConfiguration"] = c
		return nil
	}
	patchHooks[apiConnKind] = func(_ *Server, _ *record, body map[string]any) *apiError {
		if v, ok := body["authenticationConfiguration"]; ok {
			c, aerr := apiAuthConfig(v)
			if aerr != nil {
				return aerr
			}
			body["authenticationConfiguration"] = c
		}
		return nil
	}

	createHooks[caeKind] = func(_ *Server, _ *request, body map[string]any, _ *record) *apiError {
		t := str(body["@odata.type"])
		if t == "" || kindForType(t) != kindByName[caeKind] || strings.EqualFold(strings.TrimPrefix(t, "#"), "microsoft.graph.customAuthenticationExtension") {
			return badRequest("customAuthenticationExtension is abstract: name one of its types in @odata.type.")
		}
		return nil
	}
	patchHooks[caeKind] = func(_ *Server, r *record, body map[string]any) *apiError {
		if t := str(body["@odata.type"]); t != "" && !strings.EqualFold(t, str(r.get("@odata.type"))) {
			return badRequest("The @odata.type of a custom authentication extension cannot be changed.")
		}
		return nil
	}

	createHooks[userFlowKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		name := str(body["id"])
		if !ufaName.MatchString(name) {
			return badRequest("Invalid value '%s' for property 'id': letters, digits and underscores, starting with a letter.", name)
		}
		if str(body["userFlowType"]) != "signUpOrSignIn" {
			return badRequest("Invalid value '%v' for property 'userFlowType': a self-service sign-up user flow is signUpOrSignIn.", body["userFlowType"])
		}
		if v, ok := asInt(body["userFlowTypeVersion"]); !ok || v != 1 {
			return badRequest("Invalid value '%v' for property 'userFlowTypeVersion': 1.", body["userFlowTypeVersion"])
		}
		for _, p := range []string{ufIdpRel, ufAssignRel, "identityProviders", "languages"} {
			if _, ok := body[p]; ok {
				return badRequest("Property '%s' cannot be written with the user flow; use its own collection.", p)
			}
		}
		conns := map[string]any{}
		if v, ok := body[ufConnectorsRel]; ok {
			m, _ := v.(map[string]any)
			for step, ref := range m {
				if !contains(userFlowSteps, step) {
					return badRequest("Property '%s' does not exist as a declared property or extension property.", step)
				}
				id := idFromRef(str(digAny(ref, "@odata.id")))
				if id == "" || s.tenant.lookup(kindByName[apiConnKind], id) == nil {
					return badRequest("API connector '%s' does not exist.", id)
				}
				conns[step] = id
			}
		}
		body["id"] = userFlowPrefix + name
		body[ufConnectorsRel] = map[string]any{}
		body[heldPrefix+ufConnectorsRel] = conns
		// Microsoft Entra ID is a new flow's identity provider by default
		// ("users are able to sign up by default with a Microsoft Entra
		// account", learn:/entra/external-id/self-service-sign-up-user-flow;
		// Graph's example lists it as the built-in AADSignup-OAUTH): the
		// flow lists it when the tenant has it.
		idps := []any{}
		if r := s.tenant.lookup(kindByName[idpKind], userFlowDefaultIdp); r != nil {
			idps = append(idps, r.key())
		}
		body[heldPrefix+ufIdpRel] = idps
		body[heldPrefix+ufAssignRel] = []any{}
		return nil
	}
}

// userFlowDefaultIdp is the identity provider Graph gives a new user flow.
const userFlowDefaultIdp = "AADSignup-OAUTH"

// digAny is the value at path in nested maps.
func digAny(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// routeUserFlow routes a user flow's relationships.
func routeUserFlow(k *Kind, rt *route, rest []string, tmpl string) (*route, bool) {
	if k.Name != userFlowKind || len(rest) == 0 {
		return nil, false
	}
	var rel string
	for _, r := range []string{ufIdpRel, ufAssignRel, ufConnectorsRel} {
		if strings.EqualFold(rest[0], r) {
			rel = r
		}
	}
	if rel == "" || len(rest) > 3 {
		return nil, false
	}
	rt.rel, rt.special, rt.template = rel, "userFlow", tmpl+"/"+rel
	switch rest = rest[1:]; {
	case len(rest) == 0:
	case len(rest) == 1 && rest[0] == "$ref":
		rt.ref, rt.template = true, rt.template+"/$ref"
	case len(rest) == 1:
		rt.relKey, rt.template = rest[0], rt.template+"/{id}"
	case len(rest) == 2 && rest[1] == "$ref":
		rt.relKey, rt.ref, rt.template = rest[0], true, rt.template+"/{id}/$ref"
	default:
		return nil, false
	}
	return rt, true
}

// userFlowPermPath maps a write of a user flow's identity providers, which
// permissions.json does not list, to the deprecated identityProviders
// relationship's row (IdentityUserFlow.ReadWrite.All).
func userFlowPermPath(method, path string) (string, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if method == http.MethodGet || len(segs) < 4 || !strings.EqualFold(segs[0], "identity") || !strings.EqualFold(segs[1], "b2xUserFlows") ||
		!strings.EqualFold(segs[3], ufIdpRel) {
		return "", false
	}
	segs[3] = "identityProviders"
	if segs[len(segs)-1] == "$ref" {
		segs = segs[:len(segs)-1]
	}
	return "/" + strings.Join(segs, "/"), true
}

// userFlowOp serves a user flow's userFlowIdentityProviders,
// userAttributeAssignments and apiConnectorConfiguration.
func (s *Server) userFlowOp(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	defer t.lockFor(req.method)()
	f := s.find(rt)
	if f == nil {
		return nil, notFound(rt.key)
	}
	ctx := rt.kind.Paths0() + "('" + f.key() + "')/" + rt.rel
	switch rt.rel {
	case ufIdpRel:
		return s.userFlowProviders(req, rt, f, ctx)
	case ufAssignRel:
		return s.userFlowAssignments(req, rt, f, ctx)
	}
	return s.userFlowConnectors(req, rt, f, ctx)
}

func (s *Server) userFlowProviders(req *request, rt *route, f *record, ctx string) (*response, *apiError) {
	t := s.tenant
	store := heldPrefix + ufIdpRel
	ids := asSlice(f.get(store))
	idpK := kindByName[idpKind]
	switch {
	case req.method == http.MethodGet && rt.relKey == "" && !rt.ref:
		items := []any{}
		for _, id := range ids {
			if r := t.lookup(idpK, str(id)); r != nil {
				items = append(items, s.view(r, nil, true))
			}
		}
		return jsonResp(http.StatusOK, map[string]any{"@odata.context": s.metadata(req, ctx), "value": items}), nil
	case req.method == http.MethodPost && rt.ref && rt.relKey == "":
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		id := idFromRef(str(body["@odata.id"]))
		r := t.lookup(idpK, id)
		if r == nil {
			return nil, badRequest("Identity provider '%s' does not exist.", id)
		}
		for _, x := range ids {
			if strings.EqualFold(str(x), r.key()) {
				return nil, errf(http.StatusConflict, "Request_BadRequest", "The identity provider '%s' is already in the user flow.", r.key())
			}
		}
		f.o()[store] = append(ids, r.key())
		return noContent(), nil
	case req.method == http.MethodDelete && rt.ref && rt.relKey != "":
		for i, x := range ids {
			if strings.EqualFold(str(x), rt.relKey) {
				f.o()[store] = append(append([]any{}, ids[:i]...), ids[i+1:]...)
				return noContent(), nil
			}
		}
		return nil, notFound(rt.relKey)
	}
	return nil, methodNotAllowed()
}

// assignmentProps are what an attribute assignment holds besides its id.
var assignmentProps = []string{"displayName", "isOptional", "requiresVerification", "userInputType", "userAttributeValues"}

var inputTypes = []string{"textBox", "dateTimeDropdown", "radioSingleSelect", "dropdownSingleSelect", "emailBox", "checkboxMultiSelect"}

func checkAssignment(m map[string]any) *apiError {
	for p, v := range m {
		switch p {
		case "displayName", "userInputType":
			if _, ok := v.(string); !ok {
				return badRequest("Invalid value for property '%s'.", p)
			}
		case "isOptional", "requiresVerification":
			if _, ok := v.(bool); !ok {
				return badRequest("Invalid value for property '%s'.", p)
			}
		case "userAttributeValues":
			if v != nil && asSlice(v) == nil {
				return badRequest("Invalid value for property '%s'.", p)
			}
		default:
			return badRequest("Property '%s' does not exist as a declared property or extension property.", p)
		}
	}
	if !containsFold(inputTypes, str(m["userInputType"])) {
		return badRequest("Invalid value '%v' for property 'userInputType'.", m["userInputType"])
	}
	return nil
}

func (s *Server) userFlowAssignments(req *request, rt *route, f *record, ctx string) (*response, *apiError) {
	t := s.tenant
	store := heldPrefix + ufAssignRel
	list := asSlice(f.get(store))
	if rt.ref {
		return nil, notFoundSegment("$ref")
	}
	switch {
	case req.method == http.MethodGet:
		return s.containedGet(req, ctx, list, rt.relKey)
	case req.method == http.MethodPost && rt.relKey == "":
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		delete(body, "@odata.type")
		if _, ok := body["id"]; ok {
			return nil, badRequest(msgReadOnly, "id")
		}
		attr := str(digAny(body, "userAttribute", "id"))
		delete(body, "userAttribute")
		a := t.lookup(kindByName[ufaKind], attr)
		if a == nil {
			return nil, badRequest("User flow attribute '%s' does not exist.", attr)
		}
		for _, p := range assignmentProps[:4] {
			if v, ok := body[p]; !ok || v == nil {
				return nil, badRequest("A value is required for property '%s' of resource 'identityUserFlowAttributeAssignment'.", p)
			}
		}
		if aerr := checkAssignment(body); aerr != nil {
			return nil, aerr
		}
		if _, m := findContained(list, a.key()); m != nil {
			return nil, errf(http.StatusConflict, "Request_BadRequest", "The attribute '%s' is already assigned in the user flow.", a.key())
		}
		if _, ok := body["userAttributeValues"]; !ok {
			body["userAttributeValues"] = []any{}
		}
		body["id"] = a.key()
		f.o()[store] = append(list, body)
		out := deepCopy(body).(map[string]any)
		out["@odata.context"] = s.metadata(req, ctx+"/$entity")
		resp := jsonResp(http.StatusCreated, out)
		resp.header.Set("Location", req.root+"/"+req.version+"/"+req.path+"/"+a.key())
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
		delete(body, "@odata.type")
		for _, p := range []string{"id", "userAttribute"} {
			if _, ok := body[p]; ok {
				return nil, badRequest(msgReadOnly, p)
			}
		}
		merged := deepCopy(m).(map[string]any)
		for k, v := range body {
			merged[k] = v
		}
		check := deepCopy(merged).(map[string]any)
		delete(check, "id")
		if aerr := checkAssignment(check); aerr != nil {
			return nil, aerr
		}
		list[i] = merged
		return noContent(), nil
	case req.method == http.MethodDelete && rt.relKey != "":
		i, m := findContained(list, rt.relKey)
		if m == nil {
			return nil, notFound(rt.relKey)
		}
		f.o()[store] = append(append([]any{}, list[:i]...), list[i+1:]...)
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

func (s *Server) userFlowConnectors(req *request, rt *route, f *record, ctx string) (*response, *apiError) {
	t := s.tenant
	conns, _ := f.get(heldPrefix + ufConnectorsRel).(map[string]any)
	if conns == nil {
		conns = map[string]any{}
		f.o()[heldPrefix+ufConnectorsRel] = conns
	}
	switch {
	case req.method == http.MethodGet && rt.relKey == "" && !rt.ref:
		out := map[string]any{"@odata.context": s.metadata(req, ctx)}
		expand := strings.Split(req.query.Get("$expand"), ",")
		for _, e := range expand {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			if !containsFold(userFlowSteps, e) {
				return nil, badRequest("Could not find a property named '%s' on type 'microsoft.graph.userFlowApiConnectorConfiguration'.", e)
			}
			for _, step := range userFlowSteps {
				if !strings.EqualFold(step, e) {
					continue
				}
				if r := t.lookup(kindByName[apiConnKind], str(conns[step])); r != nil {
					out[step] = s.view(r, nil, false)
				}
			}
		}
		return jsonResp(http.StatusOK, out), nil
	case req.method == http.MethodPut && rt.ref && rt.relKey != "":
		step := ""
		for _, st := range userFlowSteps {
			if strings.EqualFold(st, rt.relKey) {
				step = st
			}
		}
		if step == "" {
			return nil, notFoundSegment(rt.relKey)
		}
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		ref, ok := body["@odata.id"]
		if !ok {
			if len(body) != 0 {
				return nil, badRequest("The body of a $ref PUT is {\"@odata.id\": ...} or {}.")
			}
			delete(conns, step) // {} disables the step's connector
			return noContent(), nil
		}
		id := idFromRef(str(ref))
		r := t.lookup(kindByName[apiConnKind], id)
		if r == nil {
			return nil, badRequest("API connector '%s' does not exist.", id)
		}
		conns[step] = r.key()
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

// builtInUserFlowAttributes are some of the attributes every tenant lists
// (identityuserflowattribute-list's response: builtIn ones with these ids).
var builtInUserFlowAttributes = []struct{ id, name, dataType string }{
	{"city", "City", "string"}, {"country", "Country/Region", "string"}, {"displayName", "Display Name", "string"},
	{"email", "Email Address", "string"}, {"givenName", "Given Name", "string"}, {"jobTitle", "Job Title", "string"},
	{"postalCode", "Postal Code", "string"}, {"state", "State/Province", "string"}, {"streetAddress", "Street Address", "string"},
	{"surname", "Surname", "string"},
}

// seedUserFlowAttributes stores the built-in attributes a tenant has (the
// demo tenant's: other profiles hold no user flow objects).
func (g *generator) seedUserFlowAttributes() {
	for _, a := range builtInUserFlowAttributes {
		g.seed(ufaKind, map[string]any{"@odata.type": builtInUFAType, "id": a.id, "displayName": a.name,
			"description": a.name + " of the user.", "userFlowAttributeType": "builtIn", "dataType": a.dataType})
	}
}

// SeedBuiltInUserFlowAttributes adds Microsoft's built-in user flow
// attributes (city, email, displayName, ...) that every tenant has and that
// no snapshot holds (they are not configuration): a rehearsal tenant
// (internal/rehearse) needs them for a restored flow's assignments that
// collect them. Those already there are left as they are.
func (t *Tenant) SeedBuiltInUserFlowAttributes() error {
	for _, a := range builtInUserFlowAttributes {
		if _, ok := t.Get(ufaKind, a.id); ok {
			continue
		}
		if _, err := t.Seed(ufaKind, map[string]any{"@odata.type": builtInUFAType, "id": a.id, "displayName": a.name,
			"description": a.name + " of the user.", "userFlowAttributeType": "builtIn", "dataType": a.dataType}); err != nil {
			return err
		}
	}
	return nil
}

// demoExternal adds the demo tenant's self-service sign-up: two custom
// attributes, an API connector (basic authentication) that approves
// partner sign-ups, a token issuance start extension, and a user flow for
// partners signing up with Google or an email one-time passcode that
// collects the built-in and custom attributes and calls the connector
// after attribute collection.
func (g *generator) demoExternal() {
	g.seedUserFlowAttributes()
	if r := g.singletonRecord(extIdPolicyKind); r != nil {
		r.o()["allowExternalIdentitiesToLeave"] = false // guests may not leave on their own
	}
	g.demoIdentitySync()
	g.post(ufaKind, map[string]any{"displayName": "PartnerCompany", "description": "The partner company you work for", "dataType": "string"}, nil)
	g.post(ufaKind, map[string]any{"displayName": "AcceptedTerms", "description": "You accept the partner terms of use", "dataType": "boolean"}, nil)
	// Ids derived from the tenant's, not drawn: objects created after the
	// demo keep the ids they had.
	auth, aerr := apiAuthConfig(map[string]any{"@odata.type": basicAuthType, "username": "entra-signup", "password": "demo-connector-password-never-exported"})
	if aerr != nil {
		g.fail("api connector: %s", aerr.Message)
		return
	}
	conn := g.seed(apiConnKind, map[string]any{"id": g.t.derivedID("api-connector:partner-signup"), "displayName": "Partner sign-up approval",
		"targetUrl": "https://approvals." + g.t.domain + "/api/partner-signup", "authenticationConfiguration": auth})
	resource := "api://" + g.t.domain + "/claims"
	g.seed(caeKind, map[string]any{"id": g.t.derivedID("custom-authentication-extension:partner-claims"), "@odata.type": "#microsoft.graph.onTokenIssuanceStartCustomExtension",
		"displayName": "Partner claims from the CRM", "description": "Adds the partner tier and account manager to tokens.",
		"endpointConfiguration":       map[string]any{"@odata.type": "#microsoft.graph.httpRequestEndpoint", "targetUrl": "https://claims." + g.t.domain + "/api/token-issuance-start"},
		"authenticationConfiguration": map[string]any{"@odata.type": "#microsoft.graph.azureAdTokenAuthentication", "resourceId": resource},
		"clientConfiguration":         map[string]any{"timeoutInMilliseconds": 2000, "maximumRetries": 1},
		"claimsForTokenConfiguration": []any{map[string]any{"claimIdInApiResponse": "partnerTier"}, map[string]any{"claimIdInApiResponse": "accountManager"}},
	})
	g.post(userFlowKind, map[string]any{"id": "PartnerSignUp", "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": 1}, nil)
	f := g.record(userFlowKind, userFlowPrefix+"PartnerSignUp")
	if f == nil || g.err != nil {
		return
	}
	var provs []any
	for _, id := range []string{"EmailOTP-OAUTH", "Google-OAUTH"} {
		if g.record(idpKind, id) != nil {
			provs = append(provs, id)
		}
	}
	f.o()[heldPrefix+ufIdpRel] = provs
	if conn != "" {
		f.o()[heldPrefix+ufConnectorsRel] = map[string]any{"postAttributeCollection": conn}
	}
	app := g.t.b2cExtensionsAppID()
	f.o()[heldPrefix+ufAssignRel] = []any{
		map[string]any{"id": "email", "displayName": "Email Address", "isOptional": false, "requiresVerification": true, "userInputType": "emailBox", "userAttributeValues": []any{}},
		map[string]any{"id": "displayName", "displayName": "Display Name", "isOptional": false, "requiresVerification": false, "userInputType": "textBox", "userAttributeValues": []any{}},
		map[string]any{"id": "extension_" + app + "_PartnerCompany", "displayName": "Partner company", "isOptional": false, "requiresVerification": false, "userInputType": "textBox", "userAttributeValues": []any{}},
		map[string]any{"id": "extension_" + app + "_AcceptedTerms", "displayName": "I accept the partner terms", "isOptional": false, "requiresVerification": false, "userInputType": "checkboxMultiSelect",
			"userAttributeValues": []any{map[string]any{"name": "Yes", "value": "true", "isDefault": false}}},
	}
}

// Cross-tenant user synchronization of a partner (graphsim/doc.go,
// "External identities"): one crossTenantIdentitySyncPolicyPartner per
// partner configuration, at {partner}/identitySynchronization
// (resources/crosstenantidentitysyncpolicypartner). PUT creates or
// replaces it with displayName (optional) and userSyncInbound
// (crosstenantaccesspolicyconfigurationpartner-put-identitysynchronization;
// graphsim requires userSyncInbound {isSyncAllowed}: strict); GET, PATCH and
// DELETE answer 404 while there is none (crosstenantidentitysyncpolicypartner-get,
// -update, -delete); tenantId is the partner's, read-only. The partner's
// GET does not return it (a contained navigation property); deleting the
// partner deletes it.
const (
	partnerKind  = "crossTenantAccessPolicyConfigurationPartner"
	identitySync = "identitySynchronization"
)

func routeIdentitySync(k *Kind, rt *route, rest []string, tmpl string) (*route, bool) {
	if k.Name != partnerKind || len(rest) != 1 || !strings.EqualFold(rest[0], identitySync) {
		return nil, false
	}
	rt.rel, rt.special, rt.template = identitySync, "identitySync", tmpl+"/"+identitySync
	return rt, true
}

func checkSyncBody(body map[string]any) *apiError {
	delete(body, "@odata.type")
	for p, v := range body {
		switch p {
		case "displayName":
			if _, ok := v.(string); !ok && v != nil {
				return badRequest("Invalid value for property 'displayName'.")
			}
		case "userSyncInbound":
			m, ok := v.(map[string]any)
			if !ok {
				return badRequest("Invalid value for property 'userSyncInbound'.")
			}
			for q, x := range m {
				if _, isBool := x.(bool); q != "isSyncAllowed" || !isBool {
					return badRequest("Invalid value for property 'userSyncInbound.%s'.", q)
				}
			}
		case "tenantId":
			return badRequest(msgReadOnly, p)
		default:
			return badRequest("Property '%s' does not exist as a declared property or extension property.", p)
		}
	}
	return nil
}

// identitySyncOp serves /policies/crossTenantAccessPolicy/partners/{id}/identitySynchronization.
func (s *Server) identitySyncOp(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	defer t.lockFor(req.method)()
	p := s.find(rt)
	if p == nil {
		return nil, notFound(rt.key)
	}
	store := heldPrefix + identitySync
	cur, _ := p.get(store).(map[string]any)
	none := errf(http.StatusNotFound, "Request_ResourceNotFound", "No cross-tenant user synchronization policy is configured for partner '%s'.", p.key())
	switch req.method {
	case http.MethodGet:
		if cur == nil {
			return nil, none
		}
		out := deepCopy(cur).(map[string]any)
		out["@odata.context"] = s.metadata(req, rt.kind.Paths0()+"('"+p.key()+"')/"+identitySync+"/$entity")
		return jsonResp(http.StatusOK, out), nil
	case http.MethodPut, http.MethodPatch:
		if req.method == http.MethodPatch && cur == nil {
			return nil, none
		}
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := checkSyncBody(body); aerr != nil {
			return nil, aerr
		}
		next := map[string]any{"tenantId": p.key(), "displayName": nil}
		if req.method == http.MethodPatch {
			next = deepCopy(cur).(map[string]any)
		} else if _, ok := body["userSyncInbound"]; !ok {
			return nil, badRequest("A value is required for property 'userSyncInbound' of resource 'crossTenantIdentitySyncPolicyPartner'.")
		}
		for k, v := range body {
			next[k] = v
		}
		p.o()[store] = next
		return noContent(), nil
	case http.MethodDelete:
		if cur == nil {
			return nil, none
		}
		delete(p.o(), store)
		return noContent(), nil
	}
	return nil, methodNotAllowed()
}

// demoIdentitySync gives the demo tenant's first partner (the one that
// allows automatic user consent inbound) a user synchronization policy.
func (g *generator) demoIdentitySync() {
	for _, r := range g.t.colls[partnerKind].live() {
		if r.gone || digAny(r.o(), "automaticUserConsentSettings", "inboundAllowed") != true {
			continue
		}
		r.o()[heldPrefix+identitySync] = map[string]any{"tenantId": r.key(), "displayName": g.t.name + " subsidiary",
			"userSyncInbound": map[string]any{"isSyncAllowed": true}}
		return
	}
}

// betaTypes are the types graphsim serves from beta only, which the v1.0
// CSDL (graphsim/csdl) lacks, with their properties from the beta pages:
// a write naming another property is Graph's 400, and so is a value of
// the wrong JSON kind for the Boolean ones.
var betaTypes = map[string][]string{
	"#microsoft.graph.externalIdentitiesPolicy": {"id", "deletedDateTime", "displayName", "description",
		"allowExternalIdentitiesToLeave", "allowDeletedIdentitiesDataRemoval"},
}

func validateBeta(typ string, props []string, body map[string]any) *apiError {
	for p, v := range body {
		if strings.Contains(p, "@") {
			continue
		}
		if !contains(props, p) {
			return badRequest("Property '%s' does not exist as a declared property or extension property.", p)
		}
		if strings.HasPrefix(p, "allow") {
			if _, ok := v.(bool); !ok {
				return badRequest("Invalid value for property '%s' of resource '%s'.", p, strings.TrimPrefix(typ, "#microsoft.graph."))
			}
		}
	}
	return nil
}

// seedExternalIdentitiesPolicy stores the policy every tenant has: external
// users may leave (the self-service default "Leave an organization as an
// external user" describes).
func (g *generator) seedExternalIdentitiesPolicy() {
	g.seed(extIdPolicyKind, map[string]any{"id": "externalidentitiespolicy", "displayName": "ExternalIdentitiesPolicy",
		"description": nil, "deletedDateTime": nil, "allowExternalIdentitiesToLeave": true, "allowDeletedIdentitiesDataRemoval": false})
}

// seedExternal turns an object seeded as a snapshot file holds it (a
// rehearsal loads a repository: internal/rehearse) into how graphsim keeps
// it: a user flow's identity providers ({id} references), attribute
// assignments and API connector per step ({id}), and a partner's user
// synchronization policy (null: none), each moved to its held store.
func seedExternal(k *Kind, obj map[string]any) {
	switch k.Name {
	case userFlowKind:
		if _, ok := obj[heldPrefix+ufConnectorsRel]; !ok {
			conns := map[string]any{}
			m, _ := obj[ufConnectorsRel].(map[string]any)
			for _, step := range userFlowSteps {
				if id := str(digAny(m, step, "id")); id != "" {
					conns[step] = id
				}
			}
			obj[heldPrefix+ufConnectorsRel] = conns
		}
		obj[ufConnectorsRel] = map[string]any{}
		if _, ok := obj[heldPrefix+ufIdpRel]; !ok {
			ids := []any{}
			for _, x := range asSlice(obj[ufIdpRel]) {
				if id := str(digAny(x, "id")); id != "" {
					ids = append(ids, id)
				}
			}
			obj[heldPrefix+ufIdpRel] = ids
		}
		delete(obj, ufIdpRel)
		if _, ok := obj[heldPrefix+ufAssignRel]; !ok {
			l := asSlice(obj[ufAssignRel])
			if l == nil {
				l = []any{}
			}
			obj[heldPrefix+ufAssignRel] = l
		}
		delete(obj, ufAssignRel)
	case partnerKind:
		v, ok := obj[identitySync]
		if !ok {
			return
		}
		delete(obj, identitySync)
		if m, _ := v.(map[string]any); m != nil {
			m = deepCopy(m).(map[string]any)
			m["tenantId"] = obj["tenantId"]
			if _, ok := m["displayName"]; !ok {
				m["displayName"] = nil
			}
			obj[heldPrefix+identitySync] = m
		}
	}
}
