package graphsim

import "testing"

// Without P2 every PIM call is 400 AadPremiumLicenseRequired; without P1
// Conditional Access writes are 403 AccessDenied and its reads are served;
// P2 (the default) serves everything; the level can change at run time.
func TestLicenceGatesPIMAndConditionalAccess(t *testing.T) {
	policy := blockPolicy()
	location := map[string]any{
		"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "HQ", "isTrusted": true,
		"ipRanges": []any{map[string]any{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "10.0.0.0/8"}},
	}
	e := newCoreEnv(t, Options{})
	if e.s.Licence() != LicenceP2 {
		t.Fatalf("default licence %q, want p2", e.s.Licence())
	}
	pid := str(e.do("POST", "/v1.0/identity/conditionalAccess/policies", policy).must(t, 201).body["id"])
	e.do("GET", "/v1.0/roleManagement/directory/roleEligibilitySchedules", nil).must(t, 200)

	pimCalls := []struct{ method, path string }{
		{"GET", "/v1.0/roleManagement/directory/roleEligibilitySchedules"},
		{"GET", "/beta/roleManagement/directory/roleEligibilitySchedules"},
		{"GET", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests"},
		{"POST", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests"},
	}
	caWrites := []struct{ method, path string }{
		{"POST", "/v1.0/identity/conditionalAccess/policies"},
		{"PATCH", "/v1.0/identity/conditionalAccess/policies/" + pid},
		{"DELETE", "/v1.0/identity/conditionalAccess/policies/" + pid},
		{"POST", "/v1.0/identity/conditionalAccess/namedLocations"},
		{"POST", "/v1.0/policies/authenticationStrengthPolicies"},
	}
	for _, level := range []string{LicenceP1, LicenceFree} {
		if err := e.s.SetLicence(level); err != nil {
			t.Fatal(err)
		}
		for _, c := range pimCalls {
			r := e.do(c.method, c.path, map[string]any{}).must(t, 400)
			er, _ := r.body["error"].(map[string]any)
			if er["code"] != "AadPremiumLicenseRequired" ||
				er["message"] != "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license." {
				t.Errorf("%s: %s %s: %s", level, c.method, c.path, r.raw)
			}
		}
		// Conditional Access reads stay open on every level.
		e.do("GET", "/v1.0/identity/conditionalAccess/policies", nil).must(t, 200)
		e.do("GET", "/v1.0/identity/conditionalAccess/policies/"+pid, nil).must(t, 200)
		e.do("GET", "/v1.0/identity/conditionalAccess/namedLocations", nil).must(t, 200)
		e.do("GET", "/v1.0/policies/authenticationStrengthPolicies", nil).must(t, 200)
		for _, c := range caWrites {
			body := any(policy)
			switch {
			case c.method == "DELETE":
				body = nil
			case c.path == "/v1.0/identity/conditionalAccess/namedLocations":
				body = location
			case c.path == "/v1.0/policies/authenticationStrengthPolicies":
				body = map[string]any{"displayName": "Phish-resistant", "allowedCombinations": []string{"fido2"}}
			case c.method == "PATCH":
				body = map[string]any{"displayName": "Renamed"}
			}
			r := e.do(c.method, c.path, body)
			if level == LicenceP1 {
				if r.status >= 400 {
					t.Errorf("p1: %s %s answered %d: %s", c.method, c.path, r.status, r.raw)
				}
				continue
			}
			r.must(t, 403)
			er, _ := r.body["error"].(map[string]any)
			if er["code"] != "AccessDenied" || er["message"] != "Your tenant is not licensed for this feature. Please upgrade your subscription to access it." {
				t.Errorf("free: %s %s: %s", c.method, c.path, r.raw)
			}
		}
		if level == LicenceP1 {
			// The P1 pass deleted the policy; make one for the free pass.
			if err := e.s.SetLicence(LicenceP2); err != nil {
				t.Fatal(err)
			}
			pid = str(e.do("POST", "/v1.0/identity/conditionalAccess/policies", policy).must(t, 201).body["id"])
			caWrites[1].path = "/v1.0/identity/conditionalAccess/policies/" + pid
			caWrites[2].path = "/v1.0/identity/conditionalAccess/policies/" + pid
		}
	}
	// Back to P2: everything is served again.
	if err := e.s.SetLicence(""); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/v1.0/roleManagement/directory/roleEligibilitySchedules", nil).must(t, 200)
	e.do("DELETE", "/v1.0/identity/conditionalAccess/policies/"+pid, nil).must(t, 204)
	if _, err := ParseLicence("E5"); err == nil {
		t.Error("ParseLicence accepted E5")
	}
	if _, err := New(Options{Licence: "p3"}); err == nil {
		t.Error("New accepted licence p3")
	}
}
