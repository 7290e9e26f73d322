package graphsim

import (
	"testing"

	"github.com/entrasnap/entrasnap/graphsim/builtin"
)

func TestAppEnabledEntitlementsMustBeDisabledFirst(t *testing.T) {
	e := newCoreEnv(t, Options{})
	role := map[string]any{"id": "6a1d8f5e-0000-4000-8000-000000000001", "allowedMemberTypes": []any{"User"}, "displayName": "Admin",
		"description": "Admins", "value": "App.Admin", "isEnabled": true}
	scope := map[string]any{"id": "6a1d8f5e-0000-4000-8000-000000000002", "value": "Read", "type": "User", "isEnabled": true,
		"adminConsentDisplayName": "Read", "adminConsentDescription": "Read things"}
	r := e.do("POST", "/v1.0/applications", map[string]any{"displayName": "Roles", "appRoles": []any{role},
		"api": map[string]any{"oauth2PermissionScopes": []any{scope}}}).must(t, 201)
	id := str(r.body["id"])
	with := func(m map[string]any, k string, v any) map[string]any {
		c := deepCopy(m).(map[string]any)
		c[k] = v
		return c
	}
	// Changing or removing an enabled entry: Graph's 400.
	for name, body := range map[string]map[string]any{
		"change role":  {"appRoles": []any{with(role, "displayName", "Boss")}},
		"remove role":  {"appRoles": []any{}},
		"change scope": {"api": map[string]any{"oauth2PermissionScopes": []any{with(scope, "value", "Read.All")}}},
		"remove scope": {"api": map[string]any{"oauth2PermissionScopes": []any{}}},
	} {
		r := e.do("PATCH", "/v1.0/applications/"+id, body).must(t, 400)
		if r.errCode() != "CannotDeleteOrUpdateEnabledEntitlement" || r.errMsg() != msgEnabledEntitlement {
			t.Errorf("%s: %s %q", name, r.errCode(), r.errMsg())
		}
	}
	// The same entries sent back unchanged, and a new one, are fine.
	extra := with(with(role, "id", "6a1d8f5e-0000-4000-8000-000000000003"), "value", "App.Reader")
	e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"appRoles": []any{role, extra}}).must(t, 204)
	// Disabled first (nothing else changed), then changed or removed.
	e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"appRoles": []any{with(role, "isEnabled", false), extra},
		"api": map[string]any{"oauth2PermissionScopes": []any{with(scope, "isEnabled", false)}}}).must(t, 204)
	e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"appRoles": []any{with(role, "displayName", "Boss")},
		"api": map[string]any{"oauth2PermissionScopes": []any{}}}).must(t, 400) // extra is still enabled
	e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"appRoles": []any{with(role, "displayName", "Boss"), extra},
		"api": map[string]any{"oauth2PermissionScopes": []any{}}}).must(t, 204)
}

func TestAppIdentifierURIMustNameItsOwnAppID(t *testing.T) {
	e := newCoreEnv(t, Options{})
	other := "0f0f0f0f-0000-4000-8000-000000000001"
	// On create the appId is not known yet: api://<guid> can only be wrong.
	r := e.do("POST", "/v1.0/applications", map[string]any{"displayName": "API", "identifierUris": []any{"api://" + other}}).must(t, 400)
	if r.errCode() != "HostNameNotOnVerifiedDomain" {
		t.Errorf("create: %s %q", r.errCode(), r.errMsg())
	}
	r = e.do("POST", "/v1.0/applications", map[string]any{"displayName": "API", "identifierUris": []any{"api://inventory"}}).must(t, 201)
	id, appID := str(r.body["id"]), str(r.body["appId"])
	e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"identifierUris": []any{"api://" + other}}).must(t, 400)
	e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"identifierUris": []any{"api://" + e.s.TenantID() + "/" + other}}).must(t, 400)
	e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"identifierUris": []any{"api://" + appID, "api://" + e.s.TenantID() + "/" + appID}}).must(t, 204)
}

func TestMicrosoftAndManagedIdentityServicePrincipalsAreNotWritable(t *testing.T) {
	e := newCoreEnv(t, Options{})
	tn := e.s.Tenant()
	graphSP := tn.FindBy("servicePrincipal", "appId", builtin.MicrosoftGraphAppID)
	if graphSP == "" {
		t.Fatal("no Microsoft Graph service principal")
	}
	user := e.newUser("ann")
	locked := map[string]string{"Microsoft Graph": graphSP}
	for i, owner := range MicrosoftOwnerTenants {
		id, err := tn.Seed("servicePrincipal", map[string]any{"appId": "0e0e0e0e-0000-4000-8000-00000000000" + string(rune('1'+i)),
			"displayName": "First party " + owner, "appOwnerOrganizationId": owner, "servicePrincipalType": "Application", "accountEnabled": true, "tags": []any{}})
		if err != nil {
			t.Fatal(err)
		}
		locked["owner tenant "+owner] = id
	}
	mi, err := tn.Seed("servicePrincipal", map[string]any{"appId": "0d0d0d0d-0000-4000-8000-000000000001", "displayName": "vm-backup",
		"servicePrincipalType": "ManagedIdentity", "appOwnerOrganizationId": nil, "accountEnabled": true, "tags": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	locked["managed identity"] = mi
	for name, id := range locked {
		for _, w := range []struct{ method, path string }{
			{"PATCH", "/v1.0/servicePrincipals/" + id},
			{"POST", "/v1.0/servicePrincipals/" + id + "/owners/$ref"},
			{"DELETE", "/v1.0/servicePrincipals/" + id},
		} {
			var body any
			switch w.method {
			case "PATCH":
				body = map[string]any{"tags": []any{"x"}}
			case "POST":
				body = map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + user}
			}
			if r := e.do(w.method, w.path, body).must(t, 403); r.errCode() != "Authorization_RequestDenied" {
				t.Errorf("%s %s: %s", name, w.method, r.raw)
			}
		}
	}
	if err := tn.SeedLink("servicePrincipal", mi, "owners", user); err != nil {
		t.Fatal(err)
	}
	e.do("DELETE", "/v1.0/servicePrincipals/"+mi+"/owners/"+user+"/$ref", nil).must(t, 403)
	// Granting Microsoft Graph's app roles, to a managed identity too, is what
	// Graph documents: assignments stay writable.
	g, _ := tn.Get("servicePrincipal", graphSP)
	roleID := str(asSlice(g["appRoles"])[0].(map[string]any)["id"])
	a := e.do("POST", "/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo", map[string]any{"principalId": mi, "resourceId": graphSP, "appRoleId": roleID}).must(t, 201)
	e.do("DELETE", "/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo/"+str(a.body["id"]), nil).must(t, 204)
	// The tenant's own service principals stay writable.
	app := e.do("POST", "/v1.0/applications", map[string]any{"displayName": "Own"}).must(t, 201)
	sp := e.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": app.body["appId"]}).must(t, 201)
	e.do("PATCH", "/v1.0/servicePrincipals/"+str(sp.body["id"]), map[string]any{"tags": []any{"x"}}).must(t, 204)
}
