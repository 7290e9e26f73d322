package graphsim

import (
	"fmt"
	"testing"
)

const (
	grantPoliciesPath = "/v1.0/policies/permissionGrantPolicies"
	adminConsentPath  = "/v1.0/policies/adminConsentRequestPolicy"
)

// Token issuance, home realm discovery and activity-based timeout policies
// are collections with create, read, update and delete, displayName and
// definition required on create.
func TestSTSPolicyCollections(t *testing.T) {
	e := newCoreEnv(t, Options{})
	for _, p := range []string{"tokenIssuancePolicies", "homeRealmDiscoveryPolicies", "activityBasedTimeoutPolicies"} {
		coll := "/v1.0/policies/" + p
		e.do("POST", coll, map[string]any{"displayName": "no definition"}).must(t, 400)
		e.do("POST", coll, map[string]any{"definition": []string{"{}"}}).must(t, 400)
		r := e.do("POST", coll, map[string]any{"displayName": "x\u202e\r\nweird", "definition": []string{`{"Version":1}`}, "isOrganizationDefault": false}).must(t, 201)
		id := str(r.body["id"])
		e.do("PATCH", coll+"/"+id, map[string]any{"displayName": "renamed"}).must(t, 204)
		if got := e.do("GET", coll+"/"+id, nil).must(t, 200); got.body["displayName"] != "renamed" {
			t.Errorf("%s: displayName %v", p, got.body["displayName"])
		}
		e.do("PATCH", coll+"/"+id, map[string]any{"id": "other"}).must(t, 400)
		e.do("DELETE", coll+"/"+id, nil).must(t, 204)
		e.do("GET", coll+"/"+id, nil).must(t, 404)
	}
}

// A permission grant policy is created with the caller's id; "microsoft-"
// ids are the built-in policies': not taken, changed or deleted. includes
// and excludes are returned inline, written only below the policy (POST,
// DELETE; no PATCH), never as properties of the policy's POST or PATCH.
func TestPermissionGrantPolicies(t *testing.T) {
	e := newCoreEnv(t, Options{})
	e.do("POST", grantPoliciesPath, map[string]any{"displayName": "no id"}).must(t, 400)
	e.do("POST", grantPoliciesPath, map[string]any{"id": "Microsoft-mine", "displayName": "reserved"}).must(t, 400)
	e.do("POST", grantPoliciesPath, map[string]any{"id": "mine", "displayName": "with sets", "includes": []any{}}).must(t, 400)
	r := e.do("POST", grantPoliciesPath, map[string]any{"id": "my-policy", "displayName": "Mine", "description": "d"}).must(t, 201)
	if r.body["id"] != "my-policy" {
		t.Fatalf("id %v, want the caller's", r.body["id"])
	}
	e.do("POST", grantPoliciesPath, map[string]any{"id": "MY-POLICY", "displayName": "again"}).must(t, 409)
	coll := grantPoliciesPath + "/my-policy/includes"
	e.do("POST", coll, map[string]any{"permissionClassification": "low"}).must(t, 400) // permissionType has no default
	e.do("POST", coll, map[string]any{"permissionType": "delegated", "bogus": true}).must(t, 400)
	e.do("POST", coll, map[string]any{"permissionType": "delegated", "id": "x"}).must(t, 400)
	c := e.do("POST", coll, map[string]any{"permissionType": "delegated", "permissionClassification": "low"}).must(t, 201)
	cid := str(c.body["id"])
	if fmt.Sprint(c.body["clientApplicationIds"]) != "[all]" || c.body["resourceApplication"] != "any" || c.body["clientApplicationsFromVerifiedPublisherOnly"] != false {
		t.Errorf("defaults not applied: %v", c.body)
	}
	e.do("PATCH", coll+"/"+cid, map[string]any{"permissionClassification": "medium"}).must(t, 405)
	e.do("POST", grantPoliciesPath+"/my-policy/excludes", map[string]any{"permissionType": "application"}).must(t, 201)
	got := e.do("GET", grantPoliciesPath+"/my-policy", nil).must(t, 200)
	if len(asSlice(got.body["includes"])) != 1 || len(asSlice(got.body["excludes"])) != 1 {
		t.Fatalf("inline sets %v / %v", got.body["includes"], got.body["excludes"])
	}
	e.do("PATCH", grantPoliciesPath+"/my-policy", map[string]any{"excludes": []any{}}).must(t, 400)
	e.do("PATCH", grantPoliciesPath+"/my-policy", map[string]any{"id": "other"}).must(t, 400)
	e.do("PATCH", grantPoliciesPath+"/my-policy", map[string]any{"displayName": "Renamed"}).must(t, 204)
	e.do("DELETE", coll+"/"+cid, nil).must(t, 204)
	e.do("GET", coll+"/"+cid, nil).must(t, 404)
	if n := len(asSlice(e.do("GET", coll, nil).must(t, 200).body["value"])); n != 0 {
		t.Errorf("includes after delete = %d", n)
	}
	// Built-in policies.
	b := "microsoft-all-application-permissions"
	e.do("GET", grantPoliciesPath+"/"+b, nil).must(t, 200)
	e.do("PATCH", grantPoliciesPath+"/"+b, map[string]any{"displayName": "mine now"}).must(t, 400)
	e.do("DELETE", grantPoliciesPath+"/"+b, nil).must(t, 400)
	e.do("POST", grantPoliciesPath+"/"+b+"/includes", map[string]any{"permissionType": "delegated"}).must(t, 400)
	e.do("DELETE", grantPoliciesPath+"/my-policy", nil).must(t, 204)
	e.do("GET", grantPoliciesPath+"/my-policy", nil).must(t, 404)
}

// The admin consent request policy is written by PUT with every required
// property; PATCH is not served; version goes up per update; a reviewer
// query must name a user of the tenant.
func TestAdminConsentRequestPolicyPutOnly(t *testing.T) {
	e := newCoreEnv(t, Options{})
	before := e.do("GET", adminConsentPath, nil).must(t, 200)
	v0, _ := asInt(before.body["version"])
	e.do("PATCH", adminConsentPath, map[string]any{"isEnabled": false}).must(t, 405)
	full := map[string]any{"isEnabled": false, "notifyReviewers": false, "remindersEnabled": false, "requestDurationInDays": 7, "reviewers": []any{}}
	e.do("PUT", adminConsentPath, map[string]any{"isEnabled": false}).must(t, 400)
	withVersion := map[string]any{"version": 9}
	for k, v := range full {
		withVersion[k] = v
	}
	e.do("PUT", adminConsentPath, withVersion).must(t, 400)
	full["reviewers"] = []any{map[string]any{"query": "/users/00000000-0000-4000-8000-0000000000ff", "queryType": "MicrosoftGraph"}}
	e.do("PUT", adminConsentPath, full).must(t, 400)
	full["reviewers"] = []any{}
	e.do("PUT", adminConsentPath, full).must(t, 204)
	after := e.do("GET", adminConsentPath, nil).must(t, 200)
	if v, _ := asInt(after.body["version"]); v != v0+1 || fmt.Sprint(after.body["requestDurationInDays"]) != "7" {
		t.Errorf("after PUT: %v (version before %d)", after.body, v0)
	}
}

// Reading permission grant policies takes Policy.Read.PermissionGrant:
// Policy.Read.All does not read them (permissions.json; permissiongrantpolicy-list).
func TestPermissionGrantPolicyPermissions(t *testing.T) {
	e := newAuthzEnv(t)
	e.want(e.token("app-a", "Policy.Read.All"), "GET", grantPoliciesPath, nil, 403)
	e.want(e.token("app-b", "Policy.Read.PermissionGrant"), "GET", grantPoliciesPath, nil, 200)
	e.want(e.token("app-c", "Policy.Read.PermissionGrant"), "POST", grantPoliciesPath, map[string]any{"id": "p", "displayName": "p"}, 403)
	e.want(e.token("app-d", "Policy.Read.All"), "GET", adminConsentPath, nil, 200)
	e.want(e.token("app-e", "Policy.Read.All"), "PUT", adminConsentPath, map[string]any{}, 403)
}

// App management policies are a collection (displayName required;
// appliesTo is not a property of a write); the tenant's default app
// management policy and the authentication flows policy are PATCHed
// singletons, the second on selfServiceSignUp only.
func TestAppManagementAndAuthenticationFlowsPolicies(t *testing.T) {
	e := newCoreEnv(t, Options{})
	coll := "/v1.0/policies/appManagementPolicies"
	e.do("POST", coll, map[string]any{"isEnabled": true}).must(t, 400)
	e.do("POST", coll, map[string]any{"displayName": "x", "appliesTo": []any{}}).must(t, 400)
	r := e.do("POST", coll, map[string]any{"displayName": "lifetime", "isEnabled": true, "restrictions": map[string]any{
		"passwordCredentials": []any{map[string]any{"restrictionType": "passwordLifetime", "state": "enabled", "maxLifetime": "P30D"}}}}).must(t, 201)
	id := str(r.body["id"])
	e.do("PATCH", coll+"/"+id, map[string]any{"isEnabled": false}).must(t, 204)
	e.do("DELETE", coll+"/"+id, nil).must(t, 204)

	def := "/v1.0/policies/defaultAppManagementPolicy"
	e.do("PATCH", def, map[string]any{"isEnabled": true}).must(t, 204)
	e.do("PATCH", def, map[string]any{"id": "other"}).must(t, 400)
	if got := e.do("GET", def, nil).must(t, 200); got.body["isEnabled"] != true {
		t.Errorf("default app management policy %v", got.body)
	}
	flows := "/v1.0/policies/authenticationFlowsPolicy"
	e.do("PATCH", flows, map[string]any{"displayName": "mine"}).must(t, 400)
	e.do("PATCH", flows, map[string]any{"selfServiceSignUp": map[string]any{"isEnabled": true}}).must(t, 204)
	if got := e.do("GET", flows, nil).must(t, 200); fmt.Sprint(got.body["selfServiceSignUp"]) != "map[isEnabled:true]" {
		t.Errorf("authentication flows policy %v", got.body)
	}
	e.do("POST", flows, map[string]any{}).must(t, 405)
}

// The device registration policy is written by PUT only, whole; Microsoft's
// isAdminConfigurable and a registration scope other than all are refused.
func TestDeviceRegistrationPolicyPutOnly(t *testing.T) {
	e := newCoreEnv(t, Options{})
	path := "/v1.0/policies/deviceRegistrationPolicy"
	e.do("PATCH", path, map[string]any{"userDeviceQuota": 10}).must(t, 405)
	all := map[string]any{"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}
	body := func() map[string]any {
		return map[string]any{"userDeviceQuota": 10, "multiFactorAuthConfiguration": "required",
			"azureADRegistration": map[string]any{"allowedToRegister": all},
			"azureADJoin":         map[string]any{"allowedToJoin": all, "localAdmins": map[string]any{"enableGlobalAdmins": false, "registeringUsers": all}},
			"localAdminPassword":  map[string]any{"isEnabled": true}}
	}
	b := body()
	delete(b, "azureADJoin")
	e.do("PUT", path, b).must(t, 400)
	b = body()
	b["azureADRegistration"] = map[string]any{"isAdminConfigurable": true, "allowedToRegister": all}
	e.do("PUT", path, b).must(t, 400)
	b = body()
	b["azureADRegistration"] = map[string]any{"allowedToRegister": map[string]any{"@odata.type": "#microsoft.graph.noDeviceRegistrationMembership"}}
	e.do("PUT", path, b).must(t, 400)
	e.do("PUT", path, body()).must(t, 204)
	b = body()
	b["azureADJoin"].(map[string]any)["isAdminConfigurable"] = false
	e.do("PUT", path, b).must(t, 400)
	got := e.do("GET", path, nil).must(t, 200)
	if fmt.Sprint(got.body["userDeviceQuota"]) != "10" || got.body["displayName"] != "Device Registration Policy" ||
		fmt.Sprint(lookupPath(got.body, "azureADJoin/isAdminConfigurable")) != "true" || fmt.Sprint(lookupPath(got.body, "azureADRegistration/isAdminConfigurable")) != "false" {
		t.Errorf("after PUT: %v", got.body)
	}
}

// Group lifecycle (expiration) policies: groupLifetimeInDays and
// managedGroupTypes (All, Selected, None) required; one per tenant.
func TestGroupLifecyclePolicies(t *testing.T) {
	e := newCoreEnv(t, Options{})
	coll := "/v1.0/groupLifecyclePolicies"
	e.do("POST", coll, map[string]any{"groupLifetimeInDays": 180}).must(t, 400)
	e.do("POST", coll, map[string]any{"groupLifetimeInDays": 180, "managedGroupTypes": "Some"}).must(t, 400)
	r := e.do("POST", coll, map[string]any{"groupLifetimeInDays": 180, "managedGroupTypes": "All", "alternateNotificationEmails": "a@b.example"}).must(t, 201)
	e.do("POST", coll, map[string]any{"groupLifetimeInDays": 90, "managedGroupTypes": "None"}).must(t, 409)
	id := str(r.body["id"])
	e.do("PATCH", coll+"/"+id, map[string]any{"managedGroupTypes": "Any"}).must(t, 400)
	e.do("PATCH", coll+"/"+id, map[string]any{"groupLifetimeInDays": 365}).must(t, 204)
	e.do("DELETE", coll+"/"+id, nil).must(t, 204)
	e.do("POST", coll, map[string]any{"groupLifetimeInDays": 90, "managedGroupTypes": "None"}).must(t, 201)
}
