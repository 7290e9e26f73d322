package graphsim

import (
	"strings"
	"testing"
)

// Custom user flow attributes: Graph names them extension_{app}_{name},
// changes only their description, and keeps built-in ones as they are.
func TestUserFlowAttributes(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	coll := "/v1.0/identity/userFlowAttributes"
	all := e.do("GET", coll, nil).must(t, 200)
	custom := e.do("GET", coll+"?$filter=userFlowAttributeType%20eq%20'custom'", nil).must(t, 200)
	if n, c := len(all.body["value"].([]any)), len(custom.body["value"].([]any)); c != 2 || n <= c {
		t.Fatalf("%d attributes, %d custom", n, c)
	}
	e.do("POST", coll, map[string]any{"displayName": "Shoe size", "dataType": "int64"}).must(t, 400)
	e.do("POST", coll, map[string]any{"displayName": "ShoeSize", "dataType": "dateTime"}).must(t, 400)
	e.do("POST", coll, map[string]any{"displayName": "ShoeSize"}).must(t, 400)
	r := e.do("POST", coll, map[string]any{"displayName": "ShoeSize", "description": "Your shoe size", "dataType": "int64"}).must(t, 201)
	id := str(r.body["id"])
	if !strings.HasPrefix(id, "extension_") || !strings.HasSuffix(id, "_ShoeSize") || r.body["userFlowAttributeType"] != "custom" {
		t.Fatalf("created: %v", r.body)
	}
	e.do("POST", coll, map[string]any{"displayName": "ShoeSize", "dataType": "int64"}).must(t, 409)
	e.do("PATCH", coll+"/"+id, map[string]any{"description": "EU size"}).must(t, 204)
	e.do("PATCH", coll+"/"+id, map[string]any{"displayName": "Shoe"}).must(t, 400)
	e.do("PATCH", coll+"/"+id, map[string]any{"dataType": "string"}).must(t, 400)
	e.do("PATCH", coll+"/city", map[string]any{"description": "x"}).must(t, 400)
	e.do("DELETE", coll+"/city", nil).must(t, 400)
	e.do("DELETE", coll+"/"+id, nil).must(t, 204)
	// Recreated: the same id (Graph's name, not a new one).
	if again := e.do("POST", coll, map[string]any{"displayName": "ShoeSize", "dataType": "int64"}).must(t, 201); again.body["id"] != id {
		t.Errorf("recreated as %v, was %s", again.body["id"], id)
	}
}

// API connectors: the password is written, never read back (******), a
// certificate reads back as its public information; all three properties
// are required on create.
func TestAPIConnectors(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	coll := "/v1.0/identity/apiConnectors"
	list := e.do("GET", coll, nil).must(t, 200)
	if strings.Contains(list.raw, "demo-connector-password") || len(list.body["value"].([]any)) != 1 {
		t.Fatalf("demo connectors: %s", list.raw)
	}
	basic := map[string]any{"@odata.type": basicAuthType, "username": "u", "password": "p4ss"}
	e.do("POST", coll, map[string]any{"displayName": "A", "targetUrl": "https://a.example/api"}).must(t, 400)
	e.do("POST", coll, map[string]any{"displayName": "A", "targetUrl": "https://a.example/api",
		"authenticationConfiguration": map[string]any{"@odata.type": basicAuthType, "username": "u", "password": "******"}}).must(t, 400)
	e.do("POST", coll, map[string]any{"displayName": "A", "targetUrl": "https://a.example/api",
		"authenticationConfiguration": map[string]any{"@odata.type": clientCertType, "certificateList": []any{}}}).must(t, 400)
	r := e.do("POST", coll, map[string]any{"displayName": "A", "targetUrl": "https://a.example/api", "authenticationConfiguration": basic}).must(t, 201)
	if strings.Contains(r.raw, "p4ss") || digAny(r.body, "authenticationConfiguration", "password") != maskedPassword {
		t.Errorf("created: %s", r.raw)
	}
	id := str(r.body["id"])
	e.do("PATCH", coll+"/"+id, map[string]any{"targetUrl": "https://b.example/api"}).must(t, 204)
	e.do("PATCH", coll+"/"+id, map[string]any{"authenticationConfiguration": map[string]any{"@odata.type": pkcs12Type, "pkcs12Value": "MIIK", "password": "c"}}).must(t, 204)
	got := e.do("GET", coll+"/"+id, nil).must(t, 200)
	if digAny(got.body, "authenticationConfiguration", "@odata.type") != clientCertType || strings.Contains(got.raw, "MIIK") || got.body["targetUrl"] != "https://b.example/api" {
		t.Errorf("after PATCH: %s", got.raw)
	}
}

// Custom authentication extensions are of a derived type, named on create
// and never changed.
func TestCustomAuthenticationExtensions(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	coll := "/v1.0/identity/customAuthenticationExtensions"
	body := map[string]any{"displayName": "X",
		"endpointConfiguration":       map[string]any{"@odata.type": "#microsoft.graph.httpRequestEndpoint", "targetUrl": "https://x.example/api"},
		"authenticationConfiguration": map[string]any{"@odata.type": "#microsoft.graph.azureAdTokenAuthentication", "resourceId": "api://x.example/1"}}
	e.do("POST", coll, body).must(t, 400)
	body["@odata.type"] = "#microsoft.graph.onTokenIssuanceStartCustomExtension"
	r := e.do("POST", coll, body).must(t, 201)
	id := str(r.body["id"])
	e.do("PATCH", coll+"/"+id, map[string]any{"@odata.type": "#microsoft.graph.onAttributeCollectionStartCustomExtension"}).must(t, 400)
	e.do("PATCH", coll+"/"+id, map[string]any{"description": "d"}).must(t, 204)
	if got := e.do("GET", coll+"/"+id, nil).must(t, 200); got.body["@odata.type"] != "#microsoft.graph.onTokenIssuanceStartCustomExtension" {
		t.Errorf("type: %v", got.body)
	}
	e.do("DELETE", coll+"/"+id, nil).must(t, 204)
}

// User flows: B2X_1_ before the name, no PATCH, the identity providers,
// attribute assignments and API connectors written through their own paths.
func TestUserFlows(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	coll := "/v1.0/identity/b2xUserFlows"
	demo := e.do("GET", coll+"/B2X_1_PartnerSignUp", nil).must(t, 200)
	if c, _ := demo.body["apiConnectorConfiguration"].(map[string]any); c == nil || len(c) != 0 {
		t.Errorf("apiConnectorConfiguration on the flow: %v (Graph shows {})", demo.body["apiConnectorConfiguration"])
	}
	conf := e.do("GET", coll+"/B2X_1_PartnerSignUp/apiConnectorConfiguration?$expand=postFederationSignup,postAttributeCollection", nil).must(t, 200)
	conn := str(digAny(conf.body, "postAttributeCollection", "id"))
	if conn == "" || conf.body["postFederationSignup"] != nil {
		t.Fatalf("connector configuration: %s", conf.raw)
	}
	e.do("POST", coll, map[string]any{"id": "Partner", "userFlowType": "signIn", "userFlowTypeVersion": 1}).must(t, 400)
	e.do("POST", coll, map[string]any{"id": "Partner", "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": 2}).must(t, 400)
	e.do("POST", coll, map[string]any{"id": "Partner", "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": 1,
		"apiConnectorConfiguration": map[string]any{"postFederationSignup": map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/apiConnectors/nope"}}}).must(t, 400)
	r := e.do("POST", coll, map[string]any{"id": "Partner", "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": 1,
		"apiConnectorConfiguration": map[string]any{"postFederationSignup": map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/apiConnectors/" + conn}}}).must(t, 201)
	if r.body["id"] != "B2X_1_Partner" {
		t.Fatalf("created: %v", r.body)
	}
	f := coll + "/B2X_1_Partner"
	e.do("POST", coll, map[string]any{"id": "Partner", "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": 1}).must(t, 409)
	e.do("PATCH", f, map[string]any{"userFlowTypeVersion": 1}).must(t, 405)
	e.do("PUT", f+"/apiConnectorConfiguration/postFederationSignup/$ref", map[string]any{}).must(t, 204)
	e.do("PUT", f+"/apiConnectorConfiguration/postAttributeCollection/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/apiConnectors/" + conn}).must(t, 204)
	conf = e.do("GET", f+"/apiConnectorConfiguration?$expand=postFederationSignup,postAttributeCollection", nil).must(t, 200)
	if conf.body["postFederationSignup"] != nil || digAny(conf.body, "postAttributeCollection", "id") != conn || strings.Contains(conf.raw, "demo-connector-password") {
		t.Errorf("after PUT: %s", conf.raw)
	}
	// A new flow has Microsoft Entra ID sign-up, Graph's default provider.
	if ps := e.do("GET", f+"/userFlowIdentityProviders", nil).must(t, 200); !strings.Contains(ps.raw, `"id":"AADSignup-OAUTH"`) || len(ps.body["value"].([]any)) != 1 {
		t.Errorf("a new flow's providers: %s", ps.raw)
	}
	e.do("DELETE", f+"/userFlowIdentityProviders/AADSignup-OAUTH/$ref", nil).must(t, 204)
	e.do("POST", f+"/userFlowIdentityProviders/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/identityProviders/Nope-OAUTH"}).must(t, 400)
	e.do("POST", f+"/userFlowIdentityProviders/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/identityProviders/Google-OAUTH"}).must(t, 204)
	e.do("POST", f+"/userFlowIdentityProviders/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/identityProviders/Google-OAUTH"}).must(t, 409)
	if ps := e.do("GET", f+"/userFlowIdentityProviders", nil).must(t, 200); len(ps.body["value"].([]any)) != 1 || strings.Contains(ps.raw, "demo-google-client-secret") {
		t.Errorf("providers: %s", ps.raw)
	}
	e.do("DELETE", f+"/userFlowIdentityProviders/Google-OAUTH/$ref", nil).must(t, 204)
	a := map[string]any{"displayName": "Email", "isOptional": false, "requiresVerification": true, "userInputType": "emailBox", "userAttribute": map[string]any{"id": "email"}}
	e.do("POST", f+"/userAttributeAssignments", map[string]any{"displayName": "x", "isOptional": false, "requiresVerification": false, "userInputType": "textBox", "userAttribute": map[string]any{"id": "nope"}}).must(t, 400)
	if r := e.do("POST", f+"/userAttributeAssignments", a).must(t, 201); r.body["id"] != "email" {
		t.Errorf("assignment id %v, want the attribute's", r.body["id"])
	}
	e.do("POST", f+"/userAttributeAssignments", a).must(t, 409)
	e.do("PATCH", f+"/userAttributeAssignments/email", map[string]any{"isOptional": true}).must(t, 204)
	e.do("PATCH", f+"/userAttributeAssignments/email", map[string]any{"userAttribute": map[string]any{"id": "city"}}).must(t, 400)
	e.do("PATCH", f+"/userAttributeAssignments/email", map[string]any{"userInputType": "slider"}).must(t, 400)
	if got := e.do("GET", f+"/userAttributeAssignments/email", nil).must(t, 200); got.body["isOptional"] != true {
		t.Errorf("after PATCH: %v", got.body)
	}
	e.do("DELETE", f, nil).must(t, 204)
	e.do("GET", f+"/userAttributeAssignments", nil).must(t, 404)
}

// Permissions: flows and attributes read with IdentityUserFlow.Read.All,
// but a flow's identity providers and connectors only with
// IdentityUserFlow.ReadWrite.All; API connectors only with
// APIConnectors.ReadWrite.All.
func TestExternalIdentityPermissions(t *testing.T) {
	e := newAuthzEnv(t)
	e.want(e.token("a", "IdentityUserFlow.Read.All"), "GET", "/v1.0/identity/b2xUserFlows", nil, 200)
	e.want(e.token("a", "IdentityUserFlow.Read.All"), "GET", "/v1.0/identity/userFlowAttributes", nil, 200)
	e.want(e.token("b", "Policy.Read.All"), "GET", "/v1.0/identity/userFlowAttributes", nil, 403)
	e.want(e.token("c", "APIConnectors.ReadWrite.All"), "GET", "/v1.0/identity/apiConnectors", nil, 200)
	e.want(e.token("d", "IdentityUserFlow.ReadWrite.All"), "GET", "/v1.0/identity/apiConnectors", nil, 403)
	e.want(e.token("e", "CustomAuthenticationExtension.Read.All"), "GET", "/v1.0/identity/customAuthenticationExtensions", nil, 200)
	e.want(e.token("f", "Policy.Read.All"), "GET", "/v1.0/identity/customAuthenticationExtensions", nil, 403)
	e.want(e.token("g", "Policy.Read.All"), "GET", "/beta/policies/externalIdentitiesPolicy", nil, 200)
	e.want(e.token("h", "Policy.Read.All"), "PATCH", "/beta/policies/externalIdentitiesPolicy", map[string]any{"allowExternalIdentitiesToLeave": true}, 403)
	e.want(e.token("i", "Policy.ReadWrite.ExternalIdentities"), "PATCH", "/beta/policies/externalIdentitiesPolicy", map[string]any{"allowExternalIdentitiesToLeave": true}, 204)
	if perms := permPath("POST", "/identity/b2xUserFlows/B2X_1_x/userFlowIdentityProviders/$ref"); perms != "/identity/b2xUserFlows/B2X_1_x/identityProviders" {
		t.Errorf("permPath: %s", perms)
	}
}

// A partner's user synchronization policy: PUT creates or replaces it,
// GET/PATCH/DELETE answer 404 without one, tenantId is the partner's.
func TestCrossTenantIdentitySync(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	coll := "/v1.0/policies/crossTenantAccessPolicy/partners"
	partners := e.do("GET", coll, nil).must(t, 200).body["value"].([]any)
	with, without := 0, ""
	for _, p := range partners {
		id := str(p.(map[string]any)["tenantId"])
		if _, ok := p.(map[string]any)[identitySync]; ok {
			t.Errorf("the partner's GET returns %s", identitySync)
		}
		r := e.do("GET", coll+"/"+id+"/identitySynchronization", nil)
		switch r.status {
		case 200:
			with++
			if r.body["tenantId"] != id || digAny(r.body, "userSyncInbound", "isSyncAllowed") != true {
				t.Errorf("demo sync policy: %s", r.raw)
			}
		case 404:
			without = id
		default:
			t.Errorf("GET: %d %s", r.status, r.raw)
		}
	}
	if with != 1 || without == "" {
		t.Fatalf("%d partners with a sync policy, one without: %q", with, without)
	}
	p := coll + "/" + without + "/identitySynchronization"
	e.do("PATCH", p, map[string]any{"displayName": "x"}).must(t, 404)
	e.do("DELETE", p, nil).must(t, 404)
	e.do("PUT", p, map[string]any{"displayName": "Fabrikam"}).must(t, 400)
	e.do("PUT", p, map[string]any{"tenantId": without, "userSyncInbound": map[string]any{"isSyncAllowed": true}}).must(t, 400)
	e.do("PUT", p, map[string]any{"displayName": "Fabrikam", "userSyncInbound": map[string]any{"isSyncAllowed": true}}).must(t, 204)
	e.do("PATCH", p, map[string]any{"userSyncInbound": map[string]any{"isSyncAllowed": false}}).must(t, 204)
	if got := e.do("GET", p, nil).must(t, 200); got.body["displayName"] != "Fabrikam" || digAny(got.body, "userSyncInbound", "isSyncAllowed") != false || got.body["tenantId"] != without {
		t.Errorf("after PUT and PATCH: %s", got.raw)
	}
	e.do("DELETE", p, nil).must(t, 204)
	e.do("GET", p, nil).must(t, 404)
}

// The external identities policy is served under /beta only and PATCHes
// its two settings; its name is Graph's.
func TestExternalIdentitiesPolicy(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	e.do("GET", "/v1.0/policies/externalIdentitiesPolicy", nil).must(t, 400)
	p := "/beta/policies/externalIdentitiesPolicy"
	if got := e.do("GET", p, nil).must(t, 200); got.body["allowExternalIdentitiesToLeave"] != false {
		t.Fatalf("demo policy: %s", got.raw)
	}
	e.do("PATCH", p, map[string]any{"allowExternalIdentitiesToLeave": "yes"}).must(t, 400)
	e.do("PATCH", p, map[string]any{"displayName": "x"}).must(t, 400)
	e.do("PATCH", p, map[string]any{"allowGuests": true}).must(t, 400)
	e.do("PATCH", p, map[string]any{"allowExternalIdentitiesToLeave": true}).must(t, 204)
	if got := e.do("GET", p, nil).must(t, 200); got.body["allowExternalIdentitiesToLeave"] != true {
		t.Errorf("after PATCH: %s", got.raw)
	}
	e.do("DELETE", p, nil).must(t, 405)
}
