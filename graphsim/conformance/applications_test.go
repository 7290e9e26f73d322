package conformance_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/oauth2permissiongrants"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
)

// guidLE is a GUID's bytes in Microsoft's little-endian layout (the layout of
// the composite ids Graph builds for grants and assignments).
func guidLE(t *testing.T, id string) []byte {
	t.Helper()
	u, err := uuid.Parse(id)
	if err != nil {
		t.Fatalf("parse guid %q: %v", id, err)
	}
	b := u[:]
	out := make([]byte, 16)
	copy(out, b)
	out[0], out[1], out[2], out[3] = b[3], b[2], b[1], b[0]
	out[4], out[5] = b[5], b[4]
	out[6], out[7] = b[7], b[6]
	return out
}

func TestApplicationsAndServicePrincipals(t *testing.T) {
	e := newEnv(t)
	graphSP := e.s.Tenant().FindBy("servicePrincipal", "appId", graphAppID)
	if graphSP == "" {
		t.Fatal("tenant has no Microsoft Graph service principal")
	}
	userReadAll := uuid.MustParse("df021288-bdef-4463-88db-98f22de89214")

	// Client application with redirect URIs and required resource access.
	app := models.NewApplication()
	app.SetDisplayName(ptr("Payroll sync"))
	web := models.NewWebApplication()
	web.SetRedirectUris([]string{"https://payroll.contoso.com/auth"})
	app.SetWeb(web)
	rra := models.NewRequiredResourceAccess()
	rra.SetResourceAppId(ptr(graphAppID))
	ra := models.NewResourceAccess()
	ra.SetId(&userReadAll)
	ra.SetTypeEscaped(ptr("Role"))
	rra.SetResourceAccess([]models.ResourceAccessable{ra})
	app.SetRequiredResourceAccess([]models.RequiredResourceAccessable{rra})
	created, err := e.client.Applications().Post(e.ctx, app, nil)
	must(t, "create application", err)
	appObjID, appID := deref(created.GetId()), deref(created.GetAppId())
	if len(appObjID) != 36 || len(appID) != 36 || appObjID == appID {
		t.Fatalf("application id %q appId %q: want two different GUIDs", appObjID, appID)
	}
	if got := created.GetWeb().GetRedirectUris(); !slices.Equal(got, []string{"https://payroll.contoso.com/auth"}) {
		t.Errorf("created web.redirectUris = %v", got)
	}
	if got := created.GetRequiredResourceAccess(); len(got) != 1 || deref(got[0].GetResourceAppId()) != graphAppID ||
		len(got[0].GetResourceAccess()) != 1 || *got[0].GetResourceAccess()[0].GetId() != userReadAll ||
		deref(got[0].GetResourceAccess()[0].GetTypeEscaped()) != "Role" {
		t.Errorf("created requiredResourceAccess did not round-trip")
	}
	if deref(created.GetSignInAudience()) != "AzureADMyOrg" || deref(created.GetPublisherDomain()) != domain {
		t.Errorf("signInAudience %q publisherDomain %q", deref(created.GetSignInAudience()), deref(created.GetPublisherDomain()))
	}
	if created.GetCreatedDateTime() == nil {
		t.Errorf("created application has no createdDateTime")
	}

	t.Run("update and get by appId", func(t *testing.T) {
		patch := models.NewApplication()
		w := models.NewWebApplication()
		w.SetRedirectUris([]string{"https://payroll.contoso.com/auth", "https://payroll.contoso.com/signin-oidc"})
		patch.SetWeb(w)
		patch.SetNotes(ptr("owned by HR IT"))
		_, err := e.client.Applications().ByApplicationId(appObjID).Patch(e.ctx, patch, nil)
		must(t, "patch application", err)
		got, err := e.client.ApplicationsWithAppId(&appID).Get(e.ctx, nil)
		must(t, "get applications(appId=...)", err)
		if deref(got.GetId()) != appObjID {
			t.Errorf("applications(appId) returned id %q, want %q", deref(got.GetId()), appObjID)
		}
		if n := len(got.GetWeb().GetRedirectUris()); n != 2 || deref(got.GetNotes()) != "owned by HR IT" {
			t.Errorf("after patch: %d redirect URIs, notes %q", n, deref(got.GetNotes()))
		}
		if deref(got.GetDisplayName()) != "Payroll sync" || len(got.GetRequiredResourceAccess()) != 1 {
			t.Errorf("patch dropped properties it did not name")
		}
		ro := models.NewApplication()
		ro.SetAppId(ptr("11111111-1111-4111-8111-111111111111"))
		_, err = e.client.Applications().ByApplicationId(appObjID).Patch(e.ctx, ro, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	})

	// Service principal for the client app.
	sp := models.NewServicePrincipal()
	sp.SetAppId(&appID)
	clientSP, err := e.client.ServicePrincipals().Post(e.ctx, sp, nil)
	must(t, "create service principal", err)
	clientSPID := deref(clientSP.GetId())
	if deref(clientSP.GetAppId()) != appID || deref(clientSP.GetAppDisplayName()) != "Payroll sync" ||
		deref(clientSP.GetServicePrincipalType()) != "Application" || !slices.Contains(clientSP.GetServicePrincipalNames(), appID) {
		t.Errorf("service principal appId %q appDisplayName %q type %q names %v", deref(clientSP.GetAppId()),
			deref(clientSP.GetAppDisplayName()), deref(clientSP.GetServicePrincipalType()), clientSP.GetServicePrincipalNames())
	}
	_, err = e.client.ServicePrincipals().Post(e.ctx, sp, nil)
	requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	bySPAppID, err := e.client.ServicePrincipalsWithAppId(&appID).Get(e.ctx, nil)
	must(t, "get servicePrincipals(appId=...)", err)
	if deref(bySPAppID.GetId()) != clientSPID {
		t.Errorf("servicePrincipals(appId) id %q, want %q", deref(bySPAppID.GetId()), clientSPID)
	}

	// Resource application exposing an app role, and its service principal.
	roleID := uuid.MustParse("8a3f5c1e-4b2d-4e6f-9a7b-1c2d3e4f5a6b")
	res := models.NewApplication()
	res.SetDisplayName(ptr("Payroll API"))
	res.SetIdentifierUris([]string{"api://payroll.contoso.com"})
	role := models.NewAppRole()
	role.SetId(&roleID)
	role.SetAllowedMemberTypes([]string{"User", "Application"})
	role.SetDisplayName(ptr("Payroll.Read"))
	role.SetDescription(ptr("Read payroll"))
	role.SetValue(ptr("Payroll.Read"))
	role.SetIsEnabled(ptr(true))
	res.SetAppRoles([]models.AppRoleable{role})
	resApp, err := e.client.Applications().Post(e.ctx, res, nil)
	must(t, "create resource application", err)
	if got := resApp.GetAppRoles(); len(got) != 1 || *got[0].GetId() != roleID {
		t.Fatalf("resource app roles did not round-trip: %v", got)
	}
	resSPBody := models.NewServicePrincipal()
	resSPBody.SetAppId(resApp.GetAppId())
	resSP, err := e.client.ServicePrincipals().Post(e.ctx, resSPBody, nil)
	must(t, "create resource service principal", err)
	resSPID := deref(resSP.GetId())
	if got := resSP.GetAppRoles(); len(got) != 1 || deref(got[0].GetValue()) != "Payroll.Read" {
		t.Errorf("resource SP appRoles = %v, want the application's role", got)
	}
	if !slices.Contains(resSP.GetServicePrincipalNames(), "api://payroll.contoso.com") {
		t.Errorf("resource SP servicePrincipalNames %v lack the identifier URI", resSP.GetServicePrincipalNames())
	}

	t.Run("appRoleAssignedTo", func(t *testing.T) {
		a := models.NewAppRoleAssignment()
		a.SetPrincipalId(ptr(uuid.MustParse(clientSPID)))
		a.SetResourceId(ptr(uuid.MustParse(resSPID)))
		a.SetAppRoleId(&roleID)
		got, err := e.client.ServicePrincipals().ByServicePrincipalId(resSPID).AppRoleAssignedTo().Post(e.ctx, a, nil)
		must(t, "create appRoleAssignedTo", err)
		raw, err := base64.RawURLEncoding.DecodeString(deref(got.GetId()))
		if err != nil || len(raw) != 32 || string(raw[:16]) != string(guidLE(t, clientSPID)) {
			t.Errorf("assignment id %q is not base64url(principalId LE + 16 bytes)", deref(got.GetId()))
		}
		if deref(got.GetPrincipalType()) != "ServicePrincipal" || deref(got.GetPrincipalDisplayName()) != "Payroll sync" ||
			deref(got.GetResourceDisplayName()) != "Payroll API" || got.GetCreatedDateTime() == nil {
			t.Errorf("assignment principalType %q principalDisplayName %q resourceDisplayName %q createdDateTime %v",
				deref(got.GetPrincipalType()), deref(got.GetPrincipalDisplayName()), deref(got.GetResourceDisplayName()), got.GetCreatedDateTime())
		}
		if got.GetPrincipalId().String() != clientSPID || got.GetResourceId().String() != resSPID || *got.GetAppRoleId() != roleID {
			t.Errorf("assignment ids principal %v resource %v role %v", got.GetPrincipalId(), got.GetResourceId(), got.GetAppRoleId())
		}

		user := e.createUser("payroll.clerk")
		ua := models.NewAppRoleAssignment()
		ua.SetPrincipalId(ptr(uuid.MustParse(deref(user.GetId()))))
		ua.SetResourceId(ptr(uuid.MustParse(resSPID)))
		ua.SetAppRoleId(&roleID)
		uag, err := e.client.ServicePrincipals().ByServicePrincipalId(resSPID).AppRoleAssignedTo().Post(e.ctx, ua, nil)
		must(t, "assign to user", err)
		if deref(uag.GetPrincipalType()) != "User" {
			t.Errorf("user assignment principalType = %q", deref(uag.GetPrincipalType()))
		}

		list, err := e.client.ServicePrincipals().ByServicePrincipalId(resSPID).AppRoleAssignedTo().Get(e.ctx, nil)
		must(t, "list appRoleAssignedTo", err)
		if len(list.GetValue()) != 2 {
			t.Errorf("appRoleAssignedTo lists %d assignments, want 2", len(list.GetValue()))
		}
		mine, err := e.client.ServicePrincipals().ByServicePrincipalId(clientSPID).AppRoleAssignments().Get(e.ctx, nil)
		must(t, "list client appRoleAssignments", err)
		if len(mine.GetValue()) != 1 || deref(mine.GetValue()[0].GetId()) != deref(got.GetId()) {
			t.Errorf("client SP appRoleAssignments = %d items, want the one assignment", len(mine.GetValue()))
		}

		_, err = e.client.ServicePrincipals().ByServicePrincipalId(resSPID).AppRoleAssignedTo().Post(e.ctx, a, nil)
		requireODataError(t, err, http.StatusConflict, "Request_BadRequest")
		bad := models.NewAppRoleAssignment()
		bad.SetPrincipalId(ptr(uuid.MustParse(clientSPID)))
		bad.SetResourceId(ptr(uuid.MustParse(resSPID)))
		bad.SetAppRoleId(ptr(uuid.MustParse("0badc0de-0000-4000-8000-000000000000")))
		_, err = e.client.ServicePrincipals().ByServicePrincipalId(resSPID).AppRoleAssignedTo().Post(e.ctx, bad, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")

		must(t, "delete assignment", e.client.ServicePrincipals().ByServicePrincipalId(resSPID).AppRoleAssignedTo().ByAppRoleAssignmentId(deref(uag.GetId())).Delete(e.ctx, nil))
		list, err = e.client.ServicePrincipals().ByServicePrincipalId(resSPID).AppRoleAssignedTo().Get(e.ctx, nil)
		must(t, "list appRoleAssignedTo", err)
		if len(list.GetValue()) != 1 {
			t.Errorf("after delete appRoleAssignedTo lists %d, want 1", len(list.GetValue()))
		}
	})

	t.Run("oauth2PermissionGrants", func(t *testing.T) {
		g := models.NewOAuth2PermissionGrant()
		g.SetClientId(&clientSPID)
		g.SetConsentType(ptr("AllPrincipals"))
		g.SetResourceId(&graphSP)
		g.SetScope(ptr("User.Read"))
		got, err := e.client.Oauth2PermissionGrants().Post(e.ctx, g, nil)
		must(t, "create grant", err)
		gid := deref(got.GetId())
		raw, err := base64.RawURLEncoding.DecodeString(gid)
		if err != nil || len(raw) != 32 || string(raw[:16]) != string(guidLE(t, clientSPID)) || string(raw[16:]) != string(guidLE(t, graphSP)) {
			t.Errorf("grant id %q is not base64url(clientId LE ‖ resourceId LE)", gid)
		}
		if deref(got.GetScope()) != "User.Read" || deref(got.GetConsentType()) != "AllPrincipals" || got.GetPrincipalId() != nil {
			t.Errorf("grant scope %q consentType %q principalId %v", deref(got.GetScope()), deref(got.GetConsentType()), got.GetPrincipalId())
		}
		_, err = e.client.Oauth2PermissionGrants().Post(e.ctx, g, nil)
		requireODataError(t, err, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue")

		upd := models.NewOAuth2PermissionGrant()
		upd.SetScope(ptr("User.Read Group.Read.All"))
		_, err = e.client.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(gid).Patch(e.ctx, upd, nil)
		must(t, "patch grant scope", err)

		list, err := e.client.Oauth2PermissionGrants().Get(e.ctx, &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetRequestConfiguration{
			QueryParameters: &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetQueryParameters{Filter: ptr("clientId eq '" + clientSPID + "'")},
		})
		must(t, "list grants", err)
		if len(list.GetValue()) != 1 || deref(list.GetValue()[0].GetScope()) != "User.Read Group.Read.All" {
			t.Errorf("grants for client = %d, scope %q", len(list.GetValue()), scopeOf(list.GetValue()))
		}
		spGrants, err := e.client.ServicePrincipals().ByServicePrincipalId(clientSPID).Oauth2PermissionGrants().Get(e.ctx, nil)
		must(t, "list SP grants", err)
		if len(spGrants.GetValue()) != 1 {
			t.Errorf("servicePrincipals/{id}/oauth2PermissionGrants = %d items, want 1", len(spGrants.GetValue()))
		}
		must(t, "delete grant", e.client.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(gid).Delete(e.ctx, nil))
		list, err = e.client.Oauth2PermissionGrants().Get(e.ctx, nil)
		must(t, "list grants", err)
		if len(list.GetValue()) != 0 {
			t.Errorf("after delete %d grants remain", len(list.GetValue()))
		}
		_, err = e.client.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(gid).Get(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	})

	t.Run("delete and restore application without its service principal", func(t *testing.T) {
		must(t, "delete application", e.client.Applications().ByApplicationId(appObjID).Delete(e.ctx, nil))
		_, err := e.client.Applications().ByApplicationId(appObjID).Get(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
		_, err = e.client.ServicePrincipals().ByServicePrincipalId(clientSPID).Get(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")

		apps, err := e.client.Directory().DeletedItems().GraphApplication().Get(e.ctx, nil)
		must(t, "list deleted applications", err)
		if len(apps.GetValue()) != 1 || deref(apps.GetValue()[0].GetId()) != appObjID || deref(apps.GetValue()[0].GetAppId()) != appID {
			t.Fatalf("deleted applications = %v, want [%s]", idsOf(apps.GetValue()), appObjID)
		}
		if apps.GetValue()[0].GetDeletedDateTime() == nil {
			t.Errorf("deleted application has no deletedDateTime")
		}
		sps, err := e.client.Directory().DeletedItems().GraphServicePrincipal().Get(e.ctx, nil)
		must(t, "list deleted service principals", err)
		if !slices.Contains(idsOf(sps.GetValue()), clientSPID) {
			t.Errorf("deleted service principals %v lack the app's SP %s", idsOf(sps.GetValue()), clientSPID)
		}

		restored, err := e.client.Directory().DeletedItems().ByDirectoryObjectId(appObjID).Restore().Post(e.ctx, nil)
		must(t, "restore application", err)
		ra, ok := restored.(models.Applicationable)
		if !ok || deref(ra.GetId()) != appObjID || deref(ra.GetAppId()) != appID {
			t.Fatalf("restore answer %T id %s, want application %s with appId %s", restored, deref(restored.GetId()), appObjID, appID)
		}
		if _, err := e.client.Applications().ByApplicationId(appObjID).Get(e.ctx, nil); err != nil {
			t.Errorf("get restored application: %s", describe(err))
		}
		_, err = e.client.ServicePrincipals().ByServicePrincipalId(clientSPID).Get(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
		live, err := e.client.ServicePrincipals().Get(e.ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{Filter: ptr("appId eq '" + appID + "'")},
		})
		must(t, "list SPs by appId", err)
		if len(live.GetValue()) != 0 {
			t.Errorf("restoring the application restored its service principal too")
		}
		sps, err = e.client.Directory().DeletedItems().GraphServicePrincipal().Get(e.ctx, nil)
		must(t, "list deleted service principals", err)
		if !slices.Contains(idsOf(sps.GetValue()), clientSPID) {
			t.Errorf("the app's SP left the recycle bin although only the application was restored")
		}
	})
}

func scopeOf(gs []models.OAuth2PermissionGrantable) string {
	var s []string
	for _, g := range gs {
		s = append(s, deref(g.GetScope()))
	}
	return strings.Join(s, "|")
}

// idsOf lists the ids of directory objects.
func idsOf[T interface{ GetId() *string }](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = deref(x.GetId())
	}
	return out
}
