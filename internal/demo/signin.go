package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
)

// The tour's incidents are made by a person, as real ones are: the demo
// tenant's Global Administrator (admin@<domain>, "MOD Administrator")
// signs in through graphsim's device code flow on a public client app
// registered as "Azure Portal" (the name Graph's sign-in logs give the
// portal: graphsim issues delegated tokens only to apps registered in the
// tenant, so the demo registers one under that name), and the incidents
// go through Microsoft Graph with that delegated token. Graph's audit log
// then names the user as the actor (initiatedBy.user), and the export
// after the incidents says "changed by admin@..." next to each change.
// graphsim's directory audit records name no client app for a user actor
// (initiatedBy.app null, as Graph's records for a user do), so the
// attribution shows the person, not the portal.

// portalApp is the display name of the app the demo's administrator signs
// in with.
const portalApp = "Azure Portal"

// incidentScopes are the delegated permissions the incidents (Break) use.
var incidentScopes = []string{"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess", "Group.ReadWrite.All",
	"GroupMember.ReadWrite.All", "Application.ReadWrite.All", "Directory.Read.All", "RoleManagement.ReadWrite.Directory"}

// registerPortal registers the portal app (a public client) and consents
// its scopes for the tenant; before the first export, so the app is in the
// baseline, not among the changes. It returns the app's appId.
func registerPortal(ctx context.Context, sim *graphsim.Server, admin *graph.Client) (string, error) {
	resp, err := admin.Post(ctx, "/v1.0/applications", map[string]any{"displayName": portalApp, "signInAudience": "AzureADMyOrg", "isFallbackPublicClient": true})
	if err != nil {
		return "", fmt.Errorf("register the %s app: %w", portalApp, err)
	}
	var app struct{ AppID string }
	if err := json.Unmarshal(resp.Body, &app); err != nil || app.AppID == "" {
		return "", fmt.Errorf("register the %s app: no appId in the answer (%v)", portalApp, err)
	}
	if _, err := admin.Post(ctx, "/v1.0/servicePrincipals", map[string]any{"appId": app.AppID}); err != nil {
		return "", fmt.Errorf("the %s app's service principal: %w", portalApp, err)
	}
	return app.AppID, sim.Tenant().GrantDelegated(app.AppID, incidentScopes...)
}

// signInAdmin signs the tenant's first Global Administrator in on the
// portal app (appID) through the device code flow, approved in sim as a
// person would in a browser. It returns the delegated access token and
// the user's userPrincipalName.
func signInAdmin(ctx context.Context, sim *graphsim.Server, appID, graphURL string) (token, upn string, err error) {
	upn = "admin@" + sim.Tenant().Domain()
	base := graphURL + "/" + sim.TenantID() + "/oauth2/v2.0/"
	c := &http.Client{}
	var dc struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	status, err := postForm(ctx, c, base+"devicecode", url.Values{"client_id": {appID}, "scope": {"https://graph.microsoft.com/.default offline_access"}}, &dc)
	if err != nil || status != http.StatusOK || dc.DeviceCode == "" {
		return "", "", fmt.Errorf("sign %s in: the device code endpoint answered %d (%v)", upn, status, err)
	}
	if err := sim.ApproveDeviceCode(dc.UserCode, upn); err != nil {
		return "", "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	status, err = postForm(ctx, c, base+"token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"client_id": {appID}, "device_code": {dc.DeviceCode}}, &tok)
	if err != nil || status != http.StatusOK || tok.AccessToken == "" {
		return "", "", fmt.Errorf("sign %s in: the token endpoint answered %d (%v)", upn, status, err)
	}
	return tok.AccessToken, upn, nil
}
