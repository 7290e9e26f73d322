package graphsim

import (
	"strings"
	"testing"
)

// Identity providers: social providers created with their client id and
// secret (one per type, id {type}-OAUTH), the secret never read back
// (****), PATCHed and deleted; Microsoft's built-in ones never written.
func TestIdentityProviders(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	coll := "/v1.0/identity/identityProviders"
	list := e.do("GET", coll, nil).must(t, 200)
	types := map[string]string{}
	for _, v := range list.body["value"].([]any) {
		m := v.(map[string]any)
		types[str(m["id"])] = str(m["@odata.type"])
		if s, ok := m["clientSecret"]; ok && s != "****" {
			t.Errorf("%s: clientSecret read back as %v", m["id"], s)
		}
	}
	if types["EmailOTP-OAUTH"] != builtInIdp || types["Google-OAUTH"] != socialIdpType {
		t.Fatalf("demo providers: %v", types)
	}
	if strings.Contains(list.raw, "demo-google-client-secret") {
		t.Fatal("a client secret was returned")
	}
	social := map[string]any{"@odata.type": socialIdpType, "displayName": "Facebook", "identityProviderType": "Facebook", "clientId": "fb-app", "clientSecret": "s3cret"}
	for _, p := range []string{"displayName", "identityProviderType", "clientId", "clientSecret"} {
		b := map[string]any{}
		for k, v := range social {
			if k != p {
				b[k] = v
			}
		}
		e.do("POST", coll, b).must(t, 400)
	}
	e.do("POST", coll, map[string]any{"@odata.type": builtInIdp, "displayName": "x", "identityProviderType": "EmailOTP"}).must(t, 400)
	bad := map[string]any{}
	for k, v := range social {
		bad[k] = v
	}
	bad["identityProviderType"] = "Amazon"
	e.do("POST", coll, bad).must(t, 400)
	r := e.do("POST", coll, social).must(t, 201)
	if r.body["id"] != "Facebook-OAUTH" || r.body["clientSecret"] != "****" {
		t.Errorf("created: %v", r.body)
	}
	e.do("POST", coll, social).must(t, 409)
	e.do("PATCH", coll+"/Facebook-OAUTH", map[string]any{"clientId": "fb-app-2", "clientSecret": "n3w"}).must(t, 204)
	e.do("PATCH", coll+"/Facebook-OAUTH", map[string]any{"clientSecret": "****"}).must(t, 400)
	e.do("PATCH", coll+"/Facebook-OAUTH", map[string]any{"identityProviderType": "Google"}).must(t, 400)
	if got := e.do("GET", coll+"/Facebook-OAUTH", nil).must(t, 200); got.body["clientId"] != "fb-app-2" || got.body["clientSecret"] != "****" {
		t.Errorf("after PATCH: %v", got.body)
	}
	e.do("PATCH", coll+"/EmailOTP-OAUTH", map[string]any{"displayName": "x"}).must(t, 400)
	e.do("DELETE", coll+"/EmailOTP-OAUTH", nil).must(t, 400)
	e.do("DELETE", coll+"/Facebook-OAUTH", nil).must(t, 204)
	e.do("GET", coll+"/Facebook-OAUTH", nil).must(t, 404)
}

// Reading takes IdentityProvider.Read.All, writing IdentityProvider.ReadWrite.All.
func TestIdentityProviderPermissions(t *testing.T) {
	e := newAuthzEnv(t)
	coll := "/v1.0/identity/identityProviders"
	e.want(e.token("a", "Policy.Read.All"), "GET", coll, nil, 403)
	e.want(e.token("b", "IdentityProvider.Read.All"), "GET", coll, nil, 200)
	e.want(e.token("c", "IdentityProvider.Read.All"), "POST", coll, map[string]any{"@odata.type": socialIdpType, "displayName": "G",
		"identityProviderType": "Google", "clientId": "c", "clientSecret": "s"}, 403)
}
