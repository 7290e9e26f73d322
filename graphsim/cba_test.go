package graphsim

import "testing"

// Certificate-based authentication configuration: listed and read under
// the organization, created with its certificate authorities (issuer and
// issuerSki Graph's), one per tenant, deleted, never PATCHed.
func TestCertificateBasedAuthConfiguration(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	coll := "/v1.0/organization/" + e.s.Tenant().ID() + "/certificateBasedAuthConfiguration"
	list := e.do("GET", coll, nil).must(t, 200).body["value"].([]any)
	if len(list) != 1 {
		t.Fatalf("demo configurations: %v", list)
	}
	cfg := list[0].(map[string]any)
	id := str(cfg["id"])
	cas := asSlice(cfg["certificateAuthorities"])
	if len(cas) != 2 || str(cas[0].(map[string]any)["issuer"]) != "CN=Contoso Demo Root CA,O=Contoso Demo" || str(cas[0].(map[string]any)["issuerSki"]) == "" {
		t.Fatalf("certificate authorities: %v", cas)
	}
	e.do("GET", "/v1.0/organization/00000000-0000-4000-8000-000000000000/certificateBasedAuthConfiguration", nil).must(t, 404)
	e.do("PATCH", coll+"/"+id, map[string]any{"certificateAuthorities": []any{}}).must(t, 405)
	one := map[string]any{"certificateAuthorities": []any{map[string]any{"certificate": demoRootCA, "isRootAuthority": true}}}
	e.do("POST", coll, one).must(t, 400) // one per tenant
	e.do("DELETE", coll+"/"+id, nil).must(t, 204)
	e.do("GET", coll+"/"+id, nil).must(t, 404)
	for _, bad := range []map[string]any{
		{},
		{"certificateAuthorities": []any{}},
		{"certificateAuthorities": []any{map[string]any{"certificate": demoRootCA}}},
		{"certificateAuthorities": []any{map[string]any{"certificate": "bm90IGEgY2VydA==", "isRootAuthority": true}}},
		{"certificateAuthorities": []any{map[string]any{"certificate": demoRootCA, "isRootAuthority": true, "issuer": "CN=me"}}},
	} {
		e.do("POST", coll, bad).must(t, 400)
	}
	r := e.do("POST", coll, one).must(t, 201)
	if asSlice(r.body["certificateAuthorities"])[0].(map[string]any)["issuerSki"] == "" {
		t.Errorf("created: %v", r.body)
	}
}

// Reading takes Organization.Read.All, writing Organization.ReadWrite.All.
func TestCertificateBasedAuthConfigurationPermissions(t *testing.T) {
	e := newAuthzEnv(t)
	coll := "/v1.0/organization/" + e.s.Tenant().ID() + "/certificateBasedAuthConfiguration"
	e.want(e.token("a", "Policy.Read.All"), "GET", coll, nil, 403)
	e.want(e.token("b", "Organization.Read.All"), "GET", coll, nil, 200)
	one := map[string]any{"certificateAuthorities": []any{map[string]any{"certificate": demoRootCA, "isRootAuthority": true}}}
	e.want(e.token("c", "Organization.Read.All"), "POST", coll, one, 403)
	e.want(e.token("d", "Organization.ReadWrite.All"), "POST", coll, one, 201)
}
