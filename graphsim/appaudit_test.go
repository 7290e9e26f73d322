package graphsim

import (
	"strings"
	"testing"
	"time"
)

// TestAppRelationshipAuditRecords: the writes to an application's or a
// service principal's relationships that no delta round shows each write a
// directory audit record naming the parent (the app, the service principal
// whose classifications or appRoleAssignedTo changed) among its targets,
// with Graph's activity names for app role assignments, whichever side the
// assignment was written through; the parent's delta round shows none.
func TestAppRelationshipAuditRecords(t *testing.T) {
	e := newCoreEnv(t, Options{AuditLag: -1})
	scope := "0b1f6bd3-6a2a-4b37-8f25-3b3d4c2b5a01"
	role := "1b1f6bd3-6a2a-4b37-8f25-3b3d4c2b5a01"
	r := e.do("POST", "/v1.0/applications", map[string]any{"displayName": "api \u202e\r\n", "appRoles": []any{map[string]any{"id": role, "value": "R", "displayName": "R",
		"description": "R", "allowedMemberTypes": []any{"User", "Application"}, "isEnabled": true}}, "api": map[string]any{"oauth2PermissionScopes": []any{
		map[string]any{"id": scope, "value": "Files.Read", "type": "User", "isEnabled": true, "adminConsentDisplayName": "r", "adminConsentDescription": "r"}}}}).must(t, 201)
	appID := str(r.body["id"])
	sp := e.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": r.body["appId"]}).must(t, 201)
	spID := str(sp.body["id"])
	client := e.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": str(e.do("POST", "/v1.0/applications", map[string]any{"displayName": "client"}).must(t, 201).body["appId"])}).must(t, 201)
	clientID := str(client.body["id"])
	u := e.do("POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "Alex", "mailNickname": "alex",
		"userPrincipalName": "alex@" + e.s.Tenant().Domain(), "passwordProfile": map[string]any{"password": "Secret-P@ss1"}}).must(t, 201)
	uid := str(u.body["id"])
	e.s.Clock().Advance(time.Minute)
	appDelta := e.do("GET", "/v1.0/applications/delta", nil).must(t, 200)
	for str(appDelta.body["@odata.deltaLink"]) == "" {
		appDelta = e.do("GET", strings.TrimPrefix(str(appDelta.body["@odata.nextLink"]), e.url), nil).must(t, 200)
	}
	mark := len(e.s.Tenant().AuditRecords())
	// expect checks the records since the last call: one, with activity
	// act, naming want (lower case) among its targets.
	expect := func(what, act string, want ...string) {
		t.Helper()
		recs := e.s.Tenant().AuditRecords()
		got := recs[mark:]
		mark = len(recs)
		if len(got) != 1 {
			t.Fatalf("%s: %d records, want 1: %v", what, len(got), got)
		}
		rec := got[0]
		if act != "" && str(rec["activityDisplayName"]) != act {
			t.Errorf("%s: activity %q, want %q", what, rec["activityDisplayName"], act)
		}
		var ids []string
		for _, x := range asSlice(rec["targetResources"]) {
			ids = append(ids, strings.ToLower(str(x.(map[string]any)["id"])))
		}
		for i, w := range want {
			if i >= len(ids) || ids[i] != strings.ToLower(w) {
				t.Errorf("%s: targets %v, want %v first", what, ids, want)
				break
			}
		}
	}
	fics := "/v1.0/applications/" + appID + "/federatedIdentityCredentials"
	f := e.do("POST", fics, fic("main-branch", "repo:o/r:ref:refs/heads/main")).must(t, 201)
	expect("credential added", "Update application", appID)
	e.do("PATCH", fics+"/"+str(f.body["id"]), map[string]any{"subject": "repo:o/r:environment:prod"}).must(t, 204)
	expect("credential changed", "Update application", appID)
	e.do("DELETE", fics+"/"+str(f.body["id"]), nil).must(t, 204)
	expect("credential removed", "Update application", appID)
	x := e.do("POST", "/v1.0/applications/"+appID+"/extensionProperties", map[string]any{"name": "costCenter", "dataType": "String", "targetObjects": []any{"User"}}).must(t, 201)
	expect("extension property added", "Update application", appID)
	e.do("DELETE", "/v1.0/applications/"+appID+"/extensionProperties/"+str(x.body["id"]), nil).must(t, 204)
	expect("extension property removed", "Update application", appID)
	c := e.do("POST", "/v1.0/servicePrincipals/"+spID+"/delegatedPermissionClassifications", map[string]any{"permissionId": scope, "classification": "low"}).must(t, 201)
	expect("classification added", "Update service principal", spID)
	e.do("DELETE", "/v1.0/servicePrincipals/"+spID+"/delegatedPermissionClassifications/"+str(c.body["id"]), nil).must(t, 204)
	expect("classification removed", "Update service principal", spID)
	// A refused write leaves none.
	e.do("POST", "/v1.0/servicePrincipals/"+spID+"/delegatedPermissionClassifications", map[string]any{"permissionId": scope, "classification": "critical"}).must(t, 400)
	if n := len(e.s.Tenant().AuditRecords()); n != mark {
		t.Errorf("a refused write left %d records", n-mark)
	}

	a := e.do("POST", "/v1.0/servicePrincipals/"+spID+"/appRoleAssignedTo", map[string]any{"principalId": uid, "resourceId": spID, "appRoleId": role}).must(t, 201)
	expect("assignment to a user", "Add app role assignment grant to user", spID, uid)
	e.do("DELETE", "/v1.0/servicePrincipals/"+spID+"/appRoleAssignedTo/"+str(a.body["id"]), nil).must(t, 204)
	expect("assignment removed from a user", "Remove app role assignment from user", spID, uid)
	a = e.do("POST", "/v1.0/servicePrincipals/"+clientID+"/appRoleAssignments", map[string]any{"principalId": clientID, "resourceId": spID, "appRoleId": role}).must(t, 201)
	expect("assignment to a service principal, through it", "Add app role assignment to service principal", spID, clientID)
	e.do("DELETE", "/v1.0/servicePrincipals/"+clientID+"/appRoleAssignments/"+str(a.body["id"]), nil).must(t, 204)
	expect("assignment removed from a service principal", "Remove app role assignment from service principal", spID, clientID)

	// The applications' delta round shows none of these writes.
	next := e.do("GET", strings.TrimPrefix(str(appDelta.body["@odata.deltaLink"]), e.url), nil).must(t, 200)
	if n := len(asSlice(next.body["value"])); n != 0 {
		t.Errorf("the applications' delta round shows %d changes after writes to their relationships: %v", n, next.body["value"])
	}
}
