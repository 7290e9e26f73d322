package graphsim

import (
	"fmt"
	"strings"
	"testing"
)

func (e *coreEnv) newApplication(name string) (id, appID string) {
	e.t.Helper()
	r := e.do("POST", "/v1.0/applications", map[string]any{"displayName": name}).must(e.t, 201)
	return str(r.body["id"]), str(r.body["appId"])
}

func fic(name, subject string) map[string]any {
	return map[string]any{"name": name, "issuer": "https://token.actions.githubusercontent.com",
		"subject": subject, "audiences": []any{"api://AzureADTokenExchange"}}
}

// Federated identity credentials: their own collection below the
// application (not returned by its GET, refused in its POST/PATCH), Graph's
// limits (20 per app, name rules, issuer+subject unique, one audience, 600
// characters), name immutable, PATCH and DELETE by id.
func TestFederatedIdentityCredentialsAsGraphDocuments(t *testing.T) {
	e := newCoreEnv(t, Options{})
	id, _ := e.newApplication("ci")
	coll := "/v1.0/applications/" + id + "/federatedIdentityCredentials"
	r := e.do("POST", coll, fic("main-branch", "repo:o/r:ref:refs/heads/main")).must(t, 201)
	fid := str(r.body["id"])
	if fid == "" || r.body["name"] != "main-branch" {
		t.Fatalf("created %v", r.body)
	}
	// Not a property of the application, not written with it.
	app := e.do("GET", "/v1.0/applications/"+id, nil).must(t, 200)
	for k := range app.body {
		if strings.Contains(strings.ToLower(k), "federated") || strings.HasPrefix(k, heldPrefix) {
			t.Errorf("application GET returns %q", k)
		}
	}
	e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"federatedIdentityCredentials": []any{fic("x-y", "s")}}).must(t, 400)
	e.do("POST", "/v1.0/applications", map[string]any{"displayName": "deep", "federatedIdentityCredentials": []any{fic("x-y", "s")}}).must(t, 400)

	// Name rules, required properties, one audience, issuer+subject unique, name unique.
	for _, bad := range []map[string]any{
		fic("a", "s1"), fic("-lead", "s1"), fic("has space", "s1"), fic("bidi\u202e", "s1"), fic(strings.Repeat("n", 121), "s1"),
		{"name": "no-issuer", "subject": "s", "audiences": []any{"api://AzureADTokenExchange"}},
		{"name": "two-aud", "issuer": "https://i.example", "subject": "s", "audiences": []any{"a", "b"}},
		{"name": "http-issuer", "issuer": "http://i.example", "subject": "s", "audiences": []any{"a"}},
		{"name": "long-subject", "issuer": "https://i.example", "subject": strings.Repeat("s", 601), "audiences": []any{"a"}},
		{"name": "with-id", "id": "x", "issuer": "https://i.example", "subject": "s", "audiences": []any{"a"}},
		{"name": "unknown", "issuer": "https://i.example", "subject": "s", "audiences": []any{"a"}, "claimsMatchingExpression": map[string]any{}},
	} {
		e.do("POST", coll, bad).must(t, 400)
	}
	e.do("POST", coll, fic("MAIN-BRANCH", "other")).must(t, 409)
	e.do("POST", coll, fic("dup-subject", "repo:o/r:ref:refs/heads/main")).must(t, 409)

	// PATCH: name immutable; the rest is validated whole.
	item := coll + "/" + fid
	e.do("PATCH", item, map[string]any{"name": "renamed"}).must(t, 400)
	e.do("PATCH", item, map[string]any{"audiences": []any{}}).must(t, 400)
	hostile := "deploy \u202eevil\r\n\x01 ünïcode"
	e.do("PATCH", item, map[string]any{"subject": "repo:o/r:environment:prod", "description": hostile}).must(t, 204)
	got := e.do("GET", item, nil).must(t, 200)
	if got.body["subject"] != "repo:o/r:environment:prod" || got.body["description"] != hostile || got.body["name"] != "main-branch" {
		t.Errorf("after PATCH %v", got.body)
	}

	// At most 20 per application.
	for i := 1; i < 20; i++ {
		e.do("POST", coll, fic(fmt.Sprintf("env-%02d", i), fmt.Sprintf("s%d", i))).must(t, 201)
	}
	e.do("POST", coll, fic("env-21", "s21")).must(t, 400)
	list := e.do("GET", coll, nil).must(t, 200)
	if n := len(asSlice(list.body["value"])); n != 20 {
		t.Errorf("listed %d", n)
	}
	// A list's $expand serves them (at most 20 per item, expand.go).
	ex := e.do("GET", "/v1.0/applications?$select=id&$expand=federatedIdentityCredentials", nil).must(t, 200)
	found := false
	for _, it := range asSlice(ex.body["value"]) {
		m := it.(map[string]any)
		if m["id"] == id {
			found = len(asSlice(m["federatedIdentityCredentials"])) == 20
		}
	}
	if !found {
		t.Errorf("$expand did not give the 20 credentials: %v", ex.body)
	}
	e.do("DELETE", item, nil).must(t, 204)
	e.do("GET", item, nil).must(t, 404)
	e.do("POST", coll, fic("env-21", "s21")).must(t, 201)
}

// Extension properties: created and deleted only; Graph names them
// extension_{appId without dashes}_{name}.
func TestExtensionPropertiesAsGraphDocuments(t *testing.T) {
	e := newCoreEnv(t, Options{})
	id, appID := e.newApplication("hr")
	coll := "/v1.0/applications/" + id + "/extensionProperties"
	r := e.do("POST", coll, map[string]any{"name": "costCenter", "dataType": "String", "targetObjects": []any{"User"}}).must(t, 201)
	want := "extension_" + strings.ReplaceAll(appID, "-", "") + "_costCenter"
	if r.body["name"] != want || r.body["appDisplayName"] != "hr" || r.body["isSyncedFromOnPremises"] != false || r.body["isMultiValued"] != false {
		t.Errorf("created %v", r.body)
	}
	e.do("POST", coll, map[string]any{"name": "costCenter", "dataType": "String", "targetObjects": []any{"User"}}).must(t, 409)
	e.do("POST", coll, map[string]any{"name": "x", "dataType": "Text", "targetObjects": []any{"User"}}).must(t, 400)
	e.do("POST", coll, map[string]any{"name": "x", "dataType": "String", "targetObjects": []any{"Contact"}}).must(t, 400)
	e.do("POST", coll, map[string]any{"name": "x", "dataType": "String"}).must(t, 400)
	e.do("POST", coll, map[string]any{"name": "bad name", "dataType": "String", "targetObjects": []any{"User"}}).must(t, 400)
	item := coll + "/" + str(r.body["id"])
	e.do("PATCH", item, map[string]any{"dataType": "Integer"}).must(t, 405)
	e.do("DELETE", item, nil).must(t, 204)
	e.do("GET", item, nil).must(t, 404)
}

// Delegated permission classifications: created and deleted only; the
// permission is one of the service principal's delegated permissions.
func TestDelegatedPermissionClassificationsAsGraphDocuments(t *testing.T) {
	e := newCoreEnv(t, Options{})
	scope := "0b1f6bd3-6a2a-4b37-8f25-3b3d4c2b5a01"
	r := e.do("POST", "/v1.0/applications", map[string]any{"displayName": "api", "api": map[string]any{"oauth2PermissionScopes": []any{
		map[string]any{"id": scope, "value": "Files.Read", "type": "User", "isEnabled": true, "adminConsentDisplayName": "r", "adminConsentDescription": "r"}}}}).must(t, 201)
	sp := e.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": r.body["appId"]}).must(t, 201)
	coll := "/v1.0/servicePrincipals/" + str(sp.body["id"]) + "/delegatedPermissionClassifications"
	c := e.do("POST", coll, map[string]any{"permissionId": scope, "classification": "low"}).must(t, 201)
	if c.body["permissionName"] != "Files.Read" {
		t.Errorf("created %v", c.body)
	}
	e.do("POST", coll, map[string]any{"permissionId": scope, "classification": "high"}).must(t, 409)
	e.do("POST", coll, map[string]any{"permissionId": "11111111-1111-1111-1111-111111111111", "classification": "low"}).must(t, 400)
	e.do("POST", coll, map[string]any{"permissionId": scope, "permissionName": "Other", "classification": "low"}).must(t, 400)
	e.do("POST", coll, map[string]any{"permissionId": scope, "classification": "critical"}).must(t, 400)
	item := coll + "/" + str(c.body["id"])
	e.do("PATCH", item, map[string]any{"classification": "high"}).must(t, 405)
	e.do("DELETE", item, nil).must(t, 204)
	if n := len(asSlice(e.do("GET", coll, nil).must(t, 200).body["value"])); n != 0 {
		t.Errorf("listed %d after delete", n)
	}
}

// Reads take Application.Read.All; credential and extension writes
// Application.ReadWrite.*; classification writes Policy.ReadWrite.PermissionGrant.
func TestHeldCollectionPermissions(t *testing.T) {
	e := newAuthzEnv(t)
	e.want(e.token("held-a", "Application.Read.All"), "GET", "/v1.0/applications/00000000-0000-0000-0000-0000000000aa/federatedIdentityCredentials", nil, 404)
	e.want(e.token("held-b", "Policy.Read.All"), "GET", "/v1.0/applications/00000000-0000-0000-0000-0000000000aa/federatedIdentityCredentials", nil, 403)
	e.want(e.token("held-c", "Application.Read.All"), "POST", "/v1.0/applications/00000000-0000-0000-0000-0000000000aa/federatedIdentityCredentials", fic("n-1", "s"), 403)
	e.want(e.token("held-d", "Application.ReadWrite.All"), "POST", "/v1.0/servicePrincipals/00000000-0000-0000-0000-0000000000aa/delegatedPermissionClassifications", map[string]any{}, 403)
	e.want(e.token("held-e", "Policy.ReadWrite.PermissionGrant"), "POST", "/v1.0/servicePrincipals/00000000-0000-0000-0000-0000000000aa/delegatedPermissionClassifications", map[string]any{}, 404)
}
