package graphsim

import (
	"fmt"
	"testing"
)

const (
	strengthsPath   = "/v1.0/policies/authenticationStrengthPolicies"
	strengthsIDPath = "/v1.0/identity/conditionalAccess/authenticationStrength/policies"
)

func (e *coreEnv) newStrength(combos ...string) string {
	e.t.Helper()
	r := e.do("POST", strengthsPath, map[string]any{"displayName": "keys " + fmt.Sprint(len(combos)), "allowedCombinations": combos}).must(e.t, 201)
	return str(r.body["id"])
}

// PATCH cannot change allowedCombinations (405, as Graph answers);
// updateAllowedCombinations does, and answers Graph's result shape.
func TestStrengthAllowedCombinationsOnlyThroughAction(t *testing.T) {
	e := newCoreEnv(t, Options{})
	id := e.newStrength("fido2", "windowsHelloForBusiness")
	r := e.do("PATCH", strengthsPath+"/"+id, map[string]any{"allowedCombinations": []string{"fido2"}}).must(t, 405)
	if r.errMsg() != msgCombinations {
		t.Errorf("message %q", r.errMsg())
	}
	e.do("PATCH", strengthsPath+"/"+id, map[string]any{"description": "ok"}).must(t, 204)
	res := e.do("POST", strengthsPath+"/"+id+"/updateAllowedCombinations", map[string]any{"allowedCombinations": []string{"fido2", "deviceBasedPush"}}).must(t, 200)
	if fmt.Sprint(res.body["previousCombinations"]) != "[fido2 windowsHelloForBusiness]" || fmt.Sprint(res.body["currentCombinations"]) != "[fido2 deviceBasedPush]" {
		t.Errorf("result %v", res.body)
	}
	got := e.do("GET", strengthsPath+"/"+id, nil).must(t, 200)
	if fmt.Sprint(got.body["allowedCombinations"]) != "[fido2 deviceBasedPush]" {
		t.Errorf("allowedCombinations %v", got.body["allowedCombinations"])
	}
	e.do("POST", strengthsPath+"/00000000-0000-0000-0000-000000000002/updateAllowedCombinations", map[string]any{"allowedCombinations": []string{"fido2"}}).must(t, 400)
}

// combinationConfigurations: CRUD below the documented path only, custom
// strengths only, inline in the strength's GET, and appliesToCombinations
// must be allowed combinations of the strength.
func TestStrengthCombinationConfigurations(t *testing.T) {
	e := newCoreEnv(t, Options{})
	id := e.newStrength("fido2", "password,sms")
	coll := strengthsIDPath + "/" + id + "/combinationConfigurations"
	fido := map[string]any{"@odata.type": "#microsoft.graph.fido2CombinationConfiguration",
		"appliesToCombinations": []string{"fido2"}, "allowedAAGUIDs": []string{"cb69481e-8ff7-4039-93ec-0a2729a154a8"}}
	// Not served below the other path to the same policy (not documented there).
	e.do("POST", strengthsPath+"/"+id+"/combinationConfigurations", fido).must(t, 400)
	e.do("POST", coll, map[string]any{"@odata.type": "#microsoft.graph.fido2CombinationConfiguration", "appliesToCombinations": []string{"windowsHelloForBusiness"}}).must(t, 400)
	e.do("POST", coll, map[string]any{"appliesToCombinations": []string{"fido2"}}).must(t, 400)
	c := e.do("POST", coll, fido).must(t, 201)
	cid := str(c.body["id"])
	e.do("POST", coll, fido).must(t, 409)
	// Built-in strengths have none: every method is refused, reads included
	// (strict reading, Graph's answer is not documented).
	builtIn := strengthsIDPath + "/00000000-0000-0000-0000-000000000004/combinationConfigurations"
	e.do("POST", builtIn, fido).must(t, 400)
	e.do("GET", builtIn, nil).must(t, 400)
	e.do("GET", builtIn+"/"+cid, nil).must(t, 400)
	e.do("PATCH", builtIn+"/"+cid, fido).must(t, 400)
	e.do("DELETE", builtIn+"/"+cid, nil).must(t, 400)
	e.do("PATCH", coll+"/"+cid, map[string]any{"@odata.type": "#microsoft.graph.fido2CombinationConfiguration",
		"allowedAAGUIDs": []string{"de1e552d-db1d-4423-a619-566b625cdc84"}}).must(t, 204)
	got := e.do("GET", strengthsPath+"/"+id, nil).must(t, 200)
	cfgs := asSlice(got.body["combinationConfigurations"])
	if len(cfgs) != 1 || fmt.Sprint(cfgs[0].(map[string]any)["allowedAAGUIDs"]) != "[de1e552d-db1d-4423-a619-566b625cdc84]" {
		t.Fatalf("inline configurations %v", got.body["combinationConfigurations"])
	}
	if n := len(asSlice(e.do("GET", coll, nil).must(t, 200).body["value"])); n != 1 {
		t.Errorf("list = %d", n)
	}
	// combinationConfigurations is not a property a PATCH of the policy sets.
	e.do("PATCH", strengthsPath+"/"+id, map[string]any{"combinationConfigurations": []any{}}).must(t, 400)
	// A combination a configuration applies to cannot be dropped (strict reading).
	e.do("POST", strengthsPath+"/"+id+"/updateAllowedCombinations", map[string]any{"allowedCombinations": []string{"password,sms"}}).must(t, 400)
	e.do("DELETE", coll+"/"+cid, nil).must(t, 204)
	e.do("GET", coll+"/"+cid, nil).must(t, 404)
	e.do("POST", strengthsPath+"/"+id+"/updateAllowedCombinations", map[string]any{"allowedCombinations": []string{"password,sms"}}).must(t, 200)
}

// A Conditional Access policy's GET carries the whole strength; writing
// that object back is refused (only {"id"} is accepted).
func TestCAAuthenticationStrengthIsWrittenAsIDOnly(t *testing.T) {
	e := newCoreEnv(t, Options{})
	sid := e.newStrength("fido2")
	policy := func(as map[string]any) map[string]any {
		return map[string]any{
			"displayName": "Strong auth", "state": "disabled",
			"conditions": map[string]any{
				"users":        map[string]any{"includeUsers": []string{"All"}},
				"applications": map[string]any{"includeApplications": []string{"All"}},
			},
			"grantControls": map[string]any{"operator": "OR", "authenticationStrength": as},
		}
	}
	p := e.do("POST", "/v1.0/identity/conditionalAccess/policies", policy(map[string]any{"id": sid})).must(t, 201)
	pid := str(p.body["id"])
	got := e.do("GET", "/v1.0/identity/conditionalAccess/policies/"+pid, nil).must(t, 200)
	as, _ := lookupPath(got.body, "grantControls/authenticationStrength").(map[string]any)
	if str(as["id"]) != sid || str(as["displayName"]) == "" || as["allowedCombinations"] == nil {
		t.Fatalf("GET grantControls.authenticationStrength = %v, want the whole strength", as)
	}
	full := e.do("POST", "/v1.0/identity/conditionalAccess/policies", policy(as)).must(t, 400)
	if full.errMsg() != msgCASchema {
		t.Errorf("message %q", full.errMsg())
	}
	e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+pid, map[string]any{"grantControls": got.body["grantControls"]}).must(t, 400)
	e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+pid, map[string]any{"grantControls": map[string]any{
		"operator": "OR", "authenticationStrength": map[string]any{"id": sid, "@odata.type": "#microsoft.graph.authenticationStrengthPolicy"}}}).must(t, 204)
}
