package graphsim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Policies under /policies beyond the first ones (issue 13, "Policies"):
//
//   - token issuance, home realm discovery and activity-based timeout
//     policies are stsPolicy collections like token lifetime policies:
//     POST/GET/PATCH/DELETE, displayName and definition required on create
//     (tokenissuancepolicy-post-tokenissuancepolicies,
//     homerealmdiscoverypolicy-post-homerealmdiscoverypolicies,
//     activitybasedtimeoutpolicy-post-activitybasedtimeoutpolicies).
//   - permission grant policies: the caller chooses the id on create
//     (permissiongrantpolicy-post-permissiongrantpolicies shows "id" in the
//     request body); Microsoft's built-in policies have ids starting with
//     "microsoft-" and cannot be changed or deleted, and no custom policy may
//     take such an id (resources/permissiongrantpolicy, "Manage app consent
//     policies"; Graph documents no error text: graphsim refuses with 400, the
//     strict reading). includes and excludes are permissionGrantConditionSet
//     collections "automatically expanded on GET" (v1.0 CSDL annotation),
//     written only by POST to and DELETE from
//     /policies/permissionGrantPolicies/{id}/includes|excludes
//     (permissiongrantpolicy-post-includes, -delete-includes, ...): there is
//     no update of a condition set, and they are not properties of the
//     policy's POST or PATCH. A condition set takes the documented defaults
//     (resources/permissiongrantconditionset: "all" for the lists and the
//     classification, false for clientApplicationsFromVerifiedPublisherOnly);
//     permissionType has no documented default, so graphsim requires it.
//   - the admin consent request policy is a singleton updated by PUT only
//     (adminconsentrequestpolicy-update: "PUT /policies/adminConsentRequestPolicy";
//     no PATCH is documented, so graphsim answers 405 to one), with isEnabled,
//     notifyReviewers, remindersEnabled, requestDurationInDays and reviewers
//     required; version is Graph's and goes up by one per update. A reviewer
//     query "/users/{id}" must name a user of the tenant (undocumented; the
//     strict reading).

const (
	deviceRegistrationKind = "deviceRegistrationPolicy"
	lifecycleKind          = "groupLifecyclePolicy"
	grantPolicyKind        = "permissionGrantPolicy"
	conditionSetType       = "#microsoft.graph.permissionGrantConditionSet"
	adminConsentKind       = "adminConsentRequestPolicy"
	builtInGrantPref       = "microsoft-"
)

var conditionSetRels = []string{"includes", "excludes"}

var stsPolicyKinds = []*Kind{
	{
		Name: "tokenIssuancePolicy", ODataType: "#microsoft.graph.tokenIssuancePolicy",
		Paths: []string{"policies/tokenIssuancePolicies"}, Directory: true, Throttle: "directory", ReadCost: 1,
		ReadOnly: dirReadOnly, Required: []string{"displayName", "definition"},
		Filterable: []string{"id", "displayName"},
	},
	{
		Name: "homeRealmDiscoveryPolicy", ODataType: "#microsoft.graph.homeRealmDiscoveryPolicy",
		Paths: []string{"policies/homeRealmDiscoveryPolicies"}, Directory: true, Throttle: "directory", ReadCost: 1,
		ReadOnly: dirReadOnly, Required: []string{"displayName", "definition"},
		Filterable: []string{"id", "displayName"},
	},
	{
		Name: "activityBasedTimeoutPolicy", ODataType: "#microsoft.graph.activityBasedTimeoutPolicy",
		Paths: []string{"policies/activityBasedTimeoutPolicies"}, Directory: true, Throttle: "directory", ReadCost: 1,
		ReadOnly: dirReadOnly, Required: []string{"displayName", "definition"},
		Filterable: []string{"id", "displayName"},
	},
}

var permissionGrantPolicyKind = &Kind{
	Name: grantPolicyKind, ODataType: "#microsoft.graph.permissionGrantPolicy",
	Paths: []string{"policies/permissionGrantPolicies"}, Directory: true, Throttle: "directory", ReadCost: 1,
	ReadOnly:   []string{"includes", "excludes", "deletedDateTime"},
	CreateOnly: []string{"id"},
	Required:   []string{"id", "displayName"},
	Filterable: []string{"id", "displayName"},
}

var adminConsentRequestPolicyKind = &Kind{
	Name: adminConsentKind, ODataType: "#microsoft.graph.adminConsentRequestPolicy",
	Paths: []string{"policies/adminConsentRequestPolicy"}, Singleton: true, Throttle: "directory",
	ReadOnly: []string{"id", "version"},
	Required: []string{"isEnabled", "notifyReviewers", "remindersEnabled", "requestDurationInDays", "reviewers"},
}

var appManagementPolicyKind = &Kind{
	Name: "appManagementPolicy", ODataType: "#microsoft.graph.appManagementPolicy",
	Paths: []string{"policies/appManagementPolicies"}, Directory: true, Throttle: "directory", ReadCost: 1,
	ReadOnly: append([]string{"appliesTo"}, dirReadOnly...), Required: []string{"displayName"},
	Filterable: []string{"id", "displayName"},
}

var tenantAppManagementPolicyKind = &Kind{
	Name: "tenantAppManagementPolicy", ODataType: "#microsoft.graph.tenantAppManagementPolicy",
	Paths: []string{"policies/defaultAppManagementPolicy"}, Singleton: true, Throttle: "directory",
	ReadOnly: []string{"id", "deletedDateTime"},
}

// authenticationFlowsPolicyKind: authenticationflowspolicy-update names
// selfServiceSignUp as the one property it updates; displayName and
// description are refused (strict reading).
var authenticationFlowsPolicyKind = &Kind{
	Name: "authenticationFlowsPolicy", ODataType: "#microsoft.graph.authenticationFlowsPolicy",
	Paths: []string{"policies/authenticationFlowsPolicy"}, Singleton: true, Throttle: "directory",
	ReadOnly: []string{"id", "displayName", "description"},
}

var deviceRegistrationPolicyKind = &Kind{
	Name: deviceRegistrationKind, ODataType: "#microsoft.graph.deviceRegistrationPolicy",
	Paths: []string{"policies/deviceRegistrationPolicy"}, Singleton: true, Throttle: "directory",
	ReadOnly: []string{"id", "displayName", "description"},
	Required: []string{"userDeviceQuota", "multiFactorAuthConfiguration", "azureADRegistration", "azureADJoin"},
}

// groupLifecyclePolicyKind: grouplifecyclepolicy-post-grouplifecyclepolicies;
// managedGroupTypes is All, Selected or None (resources/grouplifecyclepolicy).
// A tenant has one expiration policy: a second POST is refused with 409
// (the portal shows one; Graph's answer is undocumented, strict reading).
var groupLifecyclePolicyKind = &Kind{
	Name: lifecycleKind, ODataType: "#microsoft.graph.groupLifecyclePolicy",
	Paths: []string{"groupLifecyclePolicies"}, Throttle: "directory", ReadCost: 1,
	ReadOnly: []string{"id"}, Required: []string{"groupLifetimeInDays", "managedGroupTypes"},
	Filterable: []string{"id"},
}

func checkManagedGroupTypes(body map[string]any) *apiError {
	if v, ok := body["managedGroupTypes"]; ok {
		switch str(v) {
		case "All", "Selected", "None":
		default:
			return badRequest("Invalid value '%v' for property 'managedGroupTypes': All, Selected or None.", v)
		}
	}
	return nil
}

func createLifecyclePolicy(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	if aerr := checkManagedGroupTypes(body); aerr != nil {
		return aerr
	}
	for _, r := range s.tenant.colls[lifecycleKind].live() {
		if !r.gone {
			return errf(http.StatusConflict, "Request_BadRequest", "A group lifecycle policy already exists for this tenant.")
		}
	}
	return nil
}

func isBuiltInGrantPolicy(id string) bool {
	return len(id) >= len(builtInGrantPref) && strings.EqualFold(id[:len(builtInGrantPref)], builtInGrantPref)
}

func init() {
	createHooks[grantPolicyKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		if isBuiltInGrantPolicy(str(body["id"])) {
			return badRequest("Permission grant policy ids starting with '%s' are reserved for built-in policies.", builtInGrantPref)
		}
		body["includes"], body["excludes"] = []any{}, []any{}
		return nil
	}
	patchHooks[grantPolicyKind] = func(s *Server, r *record, body map[string]any) *apiError {
		if isBuiltInGrantPolicy(r.key()) {
			return badRequest("Built-in permission grant policies cannot be modified.")
		}
		return nil
	}
	deleteHooks[grantPolicyKind] = func(s *Server, r *record) *apiError {
		if isBuiltInGrantPolicy(r.key()) {
			return badRequest("Built-in permission grant policies cannot be deleted.")
		}
		return nil
	}
	for name := range putOnly {
		patchHooks[name] = func(*Server, *record, map[string]any) *apiError {
			return methodNotAllowed() // PUT only (adminconsentrequestpolicy-update, deviceregistrationpolicy-update)
		}
	}
	createHooks[lifecycleKind] = createLifecyclePolicy
	patchHooks[lifecycleKind] = func(s *Server, r *record, body map[string]any) *apiError {
		return checkManagedGroupTypes(body)
	}
}

// putOnly are the singletons Graph updates by PUT only, with what a PUT
// must also satisfy beyond the kind's Required properties.
var putOnly = map[string]func(s *Server, body map[string]any) *apiError{
	adminConsentKind: func(s *Server, body map[string]any) *apiError {
		for _, rv := range asSlice(body["reviewers"]) {
			m, _ := rv.(map[string]any)
			q := str(m["query"])
			if id, ok := strings.CutPrefix(q, "/users/"); ok {
				if u := s.tenant.lookup(kindByName["user"], id); u == nil {
					return badRequest("Reviewer query '%s' names no user of this tenant.", q)
				}
			}
		}
		return nil
	},
	deviceRegistrationKind: func(s *Server, body map[string]any) *apiError {
		// deviceregistrationpolicy-update: azureADRegistration can only be
		// "all" users (allowedToRegister of type enumeratedDeviceRegistrationMembership
		// or noDeviceRegistrationMembership is refused); isAdminConfigurable
		// is Microsoft's (refused in a PUT and kept: strict reading).
		reg, _ := body["azureADRegistration"].(map[string]any)
		for _, part := range []string{"azureADRegistration", "azureADJoin"} {
			m, _ := body[part].(map[string]any)
			if _, ok := m["isAdminConfigurable"]; ok {
				return badRequest(msgReadOnly, part+".isAdminConfigurable")
			}
		}
		atr, _ := reg["allowedToRegister"].(map[string]any)
		if t := str(atr["@odata.type"]); t != "" && t != "#microsoft.graph.allDeviceRegistrationMembership" {
			return badRequest("azureADRegistration.allowedToRegister can only be #microsoft.graph.allDeviceRegistrationMembership.")
		}
		return nil
	},
}

// grantNested reports whether rel below a permission grant policy is one
// of its condition set collections.
func grantNested(k *Kind, rel string) (string, bool) {
	if k.Name != grantPolicyKind {
		return "", false
	}
	for _, c := range conditionSetRels {
		if strings.EqualFold(c, rel) {
			return c, true
		}
	}
	return "", false
}

// conditionSetOp serves /policies/permissionGrantPolicies/{id}/includes|excludes[/{id}].
func (s *Server) conditionSetOp(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	defer t.lockFor(req.method)()
	p := s.find(rt)
	if p == nil {
		return nil, notFound(rt.key)
	}
	list := asSlice(p.get(rt.rel))
	ctx := rt.kind.Paths0() + "('" + p.key() + "')/" + rt.rel
	switch {
	case req.method == http.MethodGet:
		return s.containedGet(req, ctx, list, rt.relKey)
	case req.method == http.MethodPost && rt.relKey == "":
		if isBuiltInGrantPolicy(p.key()) {
			return nil, badRequest("Built-in permission grant policies cannot be modified.")
		}
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		if typ := str(body["@odata.type"]); typ != "" && typ != conditionSetType {
			return nil, badRequest("Invalid @odata.type '%s' for a permissionGrantConditionSet.", typ)
		}
		delete(body, "@odata.type")
		if _, ok := body["id"]; ok {
			return nil, badRequest(msgReadOnly, "id")
		}
		if aerr := validateDeclared(conditionSetType, body); aerr != nil {
			return nil, aerr
		}
		if v, ok := body["permissionType"]; !ok || v == nil || v == "" {
			return nil, badRequest("A value is required for property 'permissionType' of resource 'permissionGrantConditionSet'.")
		}
		for prop, def := range map[string]any{
			"permissionClassification": "all", "permissions": []any{"all"}, "clientApplicationIds": []any{"all"},
			"clientApplicationTenantIds": []any{"all"}, "clientApplicationPublisherIds": []any{"all"},
			"clientApplicationsFromVerifiedPublisherOnly": false, "resourceApplication": "any",
		} {
			if v, ok := body[prop]; !ok || v == nil {
				body[prop] = def
			}
		}
		body["id"] = t.newID()
		p.o()[rt.rel] = append(list, body)
		t.logChange(change{Kind: grantPolicyKind, ID: p.key(), Op: "upsert", Props: []string{rt.rel}})
		out := deepCopy(body).(map[string]any)
		out["@odata.context"] = s.metadata(req, ctx+"/$entity")
		resp := jsonResp(http.StatusCreated, out)
		resp.header.Set("Location", req.root+"/"+req.version+"/"+req.path+"/"+str(body["id"]))
		return resp, nil
	case req.method == http.MethodDelete && rt.relKey != "":
		if isBuiltInGrantPolicy(p.key()) {
			return nil, badRequest("Built-in permission grant policies cannot be modified.")
		}
		i, m := findContained(list, rt.relKey)
		if m == nil {
			return nil, notFound(rt.relKey)
		}
		p.o()[rt.rel] = append(append([]any{}, list[:i]...), list[i+1:]...)
		t.logChange(change{Kind: grantPolicyKind, ID: p.key(), Op: "upsert", Props: []string{rt.rel}})
		return noContent(), nil
	}
	return nil, methodNotAllowed() // no PATCH of a condition set is documented
}

// putSingleton replaces a putOnly singleton (PUT).
func (s *Server) putSingleton(req *request, k *Kind) (*response, *apiError) {
	t := s.tenant
	t.mu.Lock()
	defer t.mu.Unlock()
	r := s.singleton(k)
	if r == nil {
		return nil, notFound(k.Name)
	}
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	if typ := str(body["@odata.type"]); typ != "" && typ != k.ODataType {
		return nil, badRequest("Invalid @odata.type '%s' for this object.", typ)
	}
	delete(body, "@odata.type")
	if aerr := s.checkProps(k, body, false); aerr != nil {
		return nil, aerr
	}
	for _, p := range k.Required {
		if v, ok := body[p]; !ok || v == nil {
			return nil, badRequest("A value is required for property '%s' of resource '%s'.", p, resourceName(k))
		}
	}
	if aerr := putOnly[k.Name](s, body); aerr != nil {
		return nil, aerr
	}
	for _, p := range k.ReadOnly { // kept: Graph's own
		if v, ok := r.prop(p); ok {
			body[p] = v
		}
	}
	switch k.Name {
	case adminConsentKind:
		v, _ := asInt(r.get("version"))
		body["version"] = v + 1
	case deviceRegistrationKind: // Microsoft's, kept
		for _, part := range []string{"azureADRegistration", "azureADJoin"} {
			old, _ := r.get(part).(map[string]any)
			if m, ok := body[part].(map[string]any); ok && old != nil {
				if v, ok := old["isAdminConfigurable"]; ok {
					m["isAdminConfigurable"] = v
				}
			}
		}
	}
	r.setObj(body)
	t.logChange(change{Kind: k.Name, ID: r.key(), Op: "upsert"})
	return noContent(), nil
}

// builtInGrantPolicies are three of the policies every tenant has
// (permissiongrantpolicy-list response; "Manage app consent policies").
func builtInGrantPolicies() []map[string]any {
	set := func(typ string, extra map[string]any) map[string]any {
		m := map[string]any{"permissionType": typ, "permissionClassification": "all", "permissions": []any{"all"},
			"clientApplicationIds": []any{"all"}, "clientApplicationTenantIds": []any{"all"},
			"clientApplicationPublisherIds": []any{"all"}, "clientApplicationsFromVerifiedPublisherOnly": false,
			"resourceApplication": "any"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	return []map[string]any{
		{"id": "microsoft-all-application-permissions", "displayName": "All application permissions, for any client app",
			"description": "Includes all application permissions (app roles), for all APIs, for any client application.",
			"includes":    []any{set("application", map[string]any{"id": "bddda1ec-0174-44d5-84e2-47fb0ac01595"})}, "excludes": []any{}},
		{"id": "microsoft-user-default-low", "displayName": "Default user low risk policy",
			"description": "All low risk permissions are consentable by member type users by default.",
			"includes": []any{set("delegated", map[string]any{"id": "5b1b5c52-d10f-4c3c-a3c5-9b4a4d6e2c1a",
				"permissionClassification": "low"})}, "excludes": []any{}},
		{"id": "microsoft-application-admin", "displayName": "Application Administrator",
			"description": "Permissions consentable by Application Administrators.",
			"includes":    []any{set("delegated", map[string]any{"id": "f8a6c4b2-3c07-4f5b-9e29-6b7a2e1d4c53"})},
			"excludes":    []any{}},
	}
}

// seedPolicyDefaults stores what a new tenant has of these kinds: the
// built-in permission grant policies and the admin consent request policy,
// off (adminconsentrequestpolicy-get).
func (g *generator) seedPolicyDefaults() {
	for _, p := range builtInGrantPolicies() {
		g.seed(grantPolicyKind, p)
	}
	g.seed("tenantAppManagementPolicy", map[string]any{"id": "00000000-0000-0000-0000-000000000000",
		"displayName": "Default app management tenant policy",
		"description": "Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
		"isEnabled":   false, "applicationRestrictions": map[string]any{"passwordCredentials": []any{}, "keyCredentials": []any{}},
		"servicePrincipalRestrictions": map[string]any{"passwordCredentials": []any{}, "keyCredentials": []any{}}})
	g.seed("authenticationFlowsPolicy", map[string]any{"id": "authenticationFlowsPolicy", "displayName": "Authentication flows policy",
		"description":       "Authentication flows policy allows modification of settings related to authentication flows in AAD tenant, such as self-service sign up configuration.",
		"selfServiceSignUp": map[string]any{"isEnabled": false}})
	all := map[string]any{"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}
	g.seed(deviceRegistrationKind, map[string]any{"id": "deviceRegistrationPolicy", "displayName": "Device Registration Policy",
		"description":     "Tenant-wide policy that manages initial provisioning controls using quota restrictions, additional authentication and authorization checks",
		"userDeviceQuota": 50, "multiFactorAuthConfiguration": "notRequired",
		"azureADRegistration": map[string]any{"isAdminConfigurable": false, "allowedToRegister": all},
		"azureADJoin": map[string]any{"isAdminConfigurable": true, "allowedToJoin": all,
			"localAdmins": map[string]any{"enableGlobalAdmins": true, "registeringUsers": all}},
		"localAdminPassword": map[string]any{"isEnabled": false}})
	g.seed(adminConsentKind, map[string]any{"id": "policy", "isEnabled": false, "notifyReviewers": false,
		"remindersEnabled": false, "requestDurationInDays": 0, "reviewers": []any{}, "version": 0})
}

// demoPolicyKinds adds one object of each collection kind above and turns
// admin consent requests on, reviewed by reviewer (a user id).
func (g *generator) demoPolicyKinds(reviewer, custom string) {
	g.post("tokenIssuancePolicy", map[string]any{
		"displayName":           g.t.name + " SAML signing: response and assertion",
		"definition":            strList(`{"TokenIssuancePolicy":{"Version":1,"SigningAlgorithm":"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256","TokenResponseSigningPolicy":"ResponseAndToken","SamlTokenVersion":"2.0"}}`),
		"isOrganizationDefault": false,
	}, nil)
	g.post("homeRealmDiscoveryPolicy", map[string]any{
		"displayName":           g.t.name + " contractors: accelerate to partner IdP",
		"definition":            strList(`{"HomeRealmDiscoveryPolicy":{"AccelerateToFederatedDomain":true,"PreferredDomain":"partners.` + custom + `"}}`),
		"isOrganizationDefault": false,
	}, nil)
	g.post("activityBasedTimeoutPolicy", map[string]any{
		"displayName":           g.t.name + " web sessions: sign out after 2 hours idle",
		"definition":            strList(`{"ActivityBasedTimeoutPolicy":{"Version":1,"ApplicationPolicies":[{"ApplicationId":"default","WebSessionIdleTimeout":"02:00:00"}]}}`),
		"isOrganizationDefault": true,
	}, nil)
	g.post(grantPolicyKind, map[string]any{
		"id":          "verified-publisher-low-risk",
		"displayName": g.t.name + " low-risk delegated permissions from verified publishers",
		"description": "Users may consent to low-risk delegated permissions for apps of verified publishers, except to Microsoft Graph's Mail scopes.",
	}, nil)
	if r := g.record(grantPolicyKind, "verified-publisher-low-risk"); r != nil {
		r.o()["includes"] = []any{map[string]any{"id": g.guid(), "permissionType": "delegated", "permissionClassification": "low",
			"permissions": []any{"all"}, "clientApplicationIds": []any{"all"}, "clientApplicationTenantIds": []any{"all"},
			"clientApplicationPublisherIds": []any{"all"}, "clientApplicationsFromVerifiedPublisherOnly": true, "resourceApplication": "any"}}
		r.o()["excludes"] = []any{map[string]any{"id": g.guid(), "permissionType": "delegated", "permissionClassification": "all",
			"permissions":          []any{"e383f46e-2787-4529-855e-0e479a3ffac0", "024d486e-b451-40bb-833d-3e66d98c5c73"},
			"clientApplicationIds": []any{"all"}, "clientApplicationTenantIds": []any{"all"}, "clientApplicationPublisherIds": []any{"all"},
			"clientApplicationsFromVerifiedPublisherOnly": false, "resourceApplication": "00000003-0000-0000-c000-000000000000"}}
	}
	g.post("appManagementPolicy", map[string]any{
		"displayName": g.t.name + " credential lifetime for line-of-business apps",
		"description": "Client secrets of at most 90 days; no new symmetric keys.",
		"isEnabled":   true,
		"restrictions": map[string]any{
			"passwordCredentials": []any{map[string]any{"restrictionType": "passwordLifetime", "state": "enabled", "maxLifetime": "P90D",
				"restrictForAppsCreatedAfterDateTime": "2024-01-01T00:00:00Z"}},
			"keyCredentials": []any{},
		},
	}, nil)
	g.post(lifecycleKind, map[string]any{"groupLifetimeInDays": 365, "managedGroupTypes": "Selected",
		"alternateNotificationEmails": "groups-admins@" + custom}, nil)
	if r := g.singletonRecord("tenantAppManagementPolicy"); r != nil {
		r.o()["isEnabled"] = true
		r.o()["applicationRestrictions"] = map[string]any{"keyCredentials": []any{}, "passwordCredentials": []any{
			map[string]any{"restrictionType": "passwordAddition", "state": "enabled", "maxLifetime": nil,
				"restrictForAppsCreatedAfterDateTime": "2025-01-01T00:00:00Z"}}}
	}
	if r := g.singletonRecord(deviceRegistrationKind); r != nil {
		r.o()["userDeviceQuota"] = 20
		r.o()["multiFactorAuthConfiguration"] = "required"
	}
	if r := g.singletonRecord(adminConsentKind); r != nil && reviewer != "" {
		r.o()["isEnabled"], r.o()["notifyReviewers"], r.o()["remindersEnabled"] = true, true, true
		r.o()["requestDurationInDays"] = 14
		r.o()["reviewers"] = []any{map[string]any{"query": "/users/" + reviewer, "queryType": "MicrosoftGraph", "queryRoot": nil}}
		r.o()["version"] = 1
	}
}

func (g *generator) singletonRecord(kind string) *record {
	for _, r := range g.t.colls[kind].live() {
		if !r.gone {
			return r
		}
	}
	return nil
}

// asInt reads a whole number stored from JSON (json.Number, float64) or Go.
func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case float64:
		return int(x), true
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil
	}
	return 0, false
}

// reviewerOf picks the admin consent reviewer: the first cloud member.
func reviewerOf(people []*person) string {
	for _, p := range people {
		if !p.guest && !p.synced && !p.disabled {
			return p.id
		}
	}
	return ""
}
