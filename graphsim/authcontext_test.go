package graphsim

import (
	"strings"
	"testing"
)

const acPath = "/v1.0/identity/conditionalAccess/authenticationContextClassReferences"

// TestAuthContextsAsGraphDocuments: PATCH {id} creates or updates (204),
// ids are c1..c25, the id is not a body property, v1.0 has no POST, DELETE
// is final, and a context a CA policy names cannot be deleted, nor can a
// policy name one that does not exist.
func TestAuthContextsAsGraphDocuments(t *testing.T) {
	e := newCoreEnv(t, Options{})
	e.do("GET", acPath+"/c3", nil).must(t, 404)
	e.do("PATCH", acPath+"/c3", map[string]any{"displayName": "Payroll", "isAvailable": true}).must(t, 204)
	got := e.do("GET", acPath+"/c3", nil).must(t, 200)
	if got.body["displayName"] != "Payroll" || got.body["id"] != "c3" || got.body["isAvailable"] != true {
		t.Fatalf("created context: %s", got.raw)
	}
	e.do("PATCH", acPath+"/c3", map[string]any{"description": "step-up"}).must(t, 204)
	if got := e.do("GET", acPath+"/c3", nil).must(t, 200); got.body["displayName"] != "Payroll" || got.body["description"] != "step-up" {
		t.Fatalf("updated context: %s", got.raw)
	}
	for _, bad := range []string{"c0", "c26", "C3x", "x1", "c03"} {
		if r := e.do("PATCH", acPath+"/"+bad, map[string]any{"displayName": "x"}); r.status != 400 {
			t.Errorf("PATCH %s: %d, want 400", bad, r.status)
		}
	}
	if r := e.do("PATCH", acPath+"/c4", map[string]any{"id": "c4", "displayName": "x"}); r.status != 400 {
		t.Errorf("id in the body: %d, want 400 (read-only)", r.status)
	}
	if r := e.do("PATCH", acPath+"/c4", map[string]any{"displayName": "x", "colour": "red"}); r.status != 400 {
		t.Errorf("undeclared property: %d, want 400", r.status)
	}
	if r := e.do("POST", acPath, map[string]any{"id": "c5", "displayName": "x"}); r.status != 405 {
		t.Errorf("POST in v1.0: %d, want 405", r.status)
	}
	if l := e.do("GET", acPath, nil).must(t, 200); len(asSlice(l.body["value"])) != 1 {
		t.Fatalf("list: %s", l.raw)
	}

	// A policy may only name contexts that exist; a named context stays.
	p := blockPolicy()
	p["conditions"].(map[string]any)["applications"] = map[string]any{"includeApplications": []string{}, "includeAuthenticationContextClassReferences": []string{"c9"}}
	if r := e.do("POST", "/v1.0/identity/conditionalAccess/policies", p); r.status != 400 || !strings.Contains(r.errMsg(), "c9") {
		t.Fatalf("policy naming a missing context: %d %s", r.status, r.raw)
	}
	p["conditions"].(map[string]any)["applications"] = map[string]any{"includeApplications": []string{}, "includeAuthenticationContextClassReferences": []string{"c3"}}
	pid := str(e.do("POST", "/v1.0/identity/conditionalAccess/policies", p).must(t, 201).body["id"])
	if r := e.do("DELETE", acPath+"/c3", nil); r.status != 400 {
		t.Fatalf("delete of a context a policy names: %d, want 400", r.status)
	}
	e.do("DELETE", "/v1.0/identity/conditionalAccess/policies/"+pid, nil).must(t, 204)
	e.do("DELETE", acPath+"/c3", nil).must(t, 204)
	e.do("GET", acPath+"/c3", nil).must(t, 404)
}

// TestAuthContextPermissionsAndLicence: reading needs
// AuthenticationContext.Read.All (Policy.Read.All is not enough), deleting
// AuthenticationContext.ReadWrite.All; writes need P1.
func TestAuthContextPermissionsAndLicence(t *testing.T) {
	e := newCoreEnv(t, Options{})
	a := &authzEnv{t: t, s: e.s}
	tok := func(roles ...string) []string {
		return []string{"Authorization", "Bearer " + a.token("00000000-0000-0000-0000-00000000ac01", roles...)}
	}
	if r := e.do("GET", acPath, nil, tok("Policy.Read.All")...); r.status != 403 {
		t.Errorf("list with Policy.Read.All: %d, want 403", r.status)
	}
	e.do("GET", acPath, nil, tok("AuthenticationContext.Read.All")...).must(t, 200)
	e.do("PATCH", acPath+"/c1", map[string]any{"displayName": "x"}, tok("Policy.ReadWrite.ConditionalAccess")...).must(t, 204)
	if r := e.do("DELETE", acPath+"/c1", nil, tok("Policy.ReadWrite.ConditionalAccess")...); r.status != 403 {
		t.Errorf("delete with Policy.ReadWrite.ConditionalAccess: %d, want 403", r.status)
	}
	if err := e.s.SetLicence(LicenceFree); err != nil {
		t.Fatal(err)
	}
	if r := e.do("PATCH", acPath+"/c2", map[string]any{"displayName": "x"}); r.status != 403 {
		t.Errorf("write without P1: %d, want 403", r.status)
	}
}

// TestCAPolicyNamingTermsOfUseIsRefused: a policy requiring an agreement
// the tenant does not hold names nothing (termsofuse.go).
func TestCAPolicyNamingTermsOfUseIsRefused(t *testing.T) {
	e := newCoreEnv(t, Options{})
	p := blockPolicy()
	p["grantControls"] = map[string]any{"operator": "OR", "builtInControls": []string{}, "termsOfUse": []string{"0ec9f6a6-159d-4dd8-a563-1f0b5935e80b"}}
	if r := e.do("POST", "/v1.0/identity/conditionalAccess/policies", p); r.status != 400 || !strings.Contains(r.errMsg(), "terms of use") {
		t.Fatalf("policy naming an agreement: %d %s", r.status, r.raw)
	}
	p["grantControls"] = map[string]any{"operator": "OR", "builtInControls": []string{"block"}, "termsOfUse": []string{}}
	e.do("POST", "/v1.0/identity/conditionalAccess/policies", p).must(t, 201)
}
