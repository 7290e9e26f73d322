package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// backupApp is the demo's backup app, set up as a real tenant's is: an app
// registration and its service principal, granted exactly the read
// permissions `entrasnap kinds --permissions` lists for every kind plus
// AuditLog.Read.All (who changed it), with a client secret. The tour's
// exports sign in as it through graphsim's token endpoint (client
// credentials), so their access tokens are JWTs whose roles claim the
// manifest records and the evidence report checks (read-only, least
// privilege). The incidents and restores keep graphsim's own token: an
// admin's, not the backup's.
type backupApp struct {
	url, tenant, appID, secret string
	http                       *http.Client
}

// newBackupApp registers the backup app through admin (Graph) and grants
// its permissions and secret in sim.
func newBackupApp(ctx context.Context, sim *graphsim.Server, admin *graph.Client, graphURL string) (*backupApp, error) {
	resp, err := admin.Post(ctx, "/v1.0/applications", map[string]any{"displayName": "entrasnap backup", "signInAudience": "AzureADMyOrg"})
	if err != nil {
		return nil, fmt.Errorf("register the backup app: %w", err)
	}
	var app struct{ AppID string }
	if err := json.Unmarshal(resp.Body, &app); err != nil || app.AppID == "" {
		return nil, fmt.Errorf("register the backup app: no appId in the answer (%v)", err)
	}
	if _, err := admin.Post(ctx, "/v1.0/servicePrincipals", map[string]any{"appId": app.AppID}); err != nil {
		return nil, fmt.Errorf("the backup app's service principal: %w", err)
	}
	perms := append(layout.ExportPermissions(layout.Kinds()), live.AuditPermission)
	if err := sim.Tenant().GrantAppRoles(app.AppID, perms...); err != nil {
		return nil, err
	}
	secret, err := sim.Tenant().AddClientSecret(app.AppID)
	if err != nil {
		return nil, err
	}
	return &backupApp{url: strings.TrimSuffix(graphURL, "/"), tenant: sim.TenantID(), appID: app.AppID, secret: secret, http: &http.Client{}}, nil
}

// token signs the backup app in (client credentials) and returns its
// access token: a fresh one per export, so none outlives its hour on the
// tenant's clock.
func (b *backupApp) token(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {b.appID}, "client_secret": {b.secret},
		"scope": {"https://graph.microsoft.com/.default"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url+"/"+b.tenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("sign in as the backup app: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("sign in as the backup app: the token endpoint answered %d", resp.StatusCode)
	}
	return tok.AccessToken, nil
}
