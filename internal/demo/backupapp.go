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
// privilege). The incidents are a signed-in administrator's (signin.go);
// the restores and the apply sign in as the restore app (newRestoreApp).
type backupApp struct {
	url, tenant, appID, secret string
	http                       *http.Client
}

// newBackupApp registers the backup app through admin (Graph) and grants
// its permissions and secret in sim.
func newBackupApp(ctx context.Context, sim *graphsim.Server, admin *graph.Client, graphURL string) (*backupApp, error) {
	return newApp(ctx, sim, admin, graphURL, "entrasnap backup", append(layout.ExportPermissions(layout.Kinds()), live.AuditPermission))
}

// newRestoreApp registers the app the tour restores and applies with, as a
// restore pipeline's is (app-only, client credentials): what the backup
// app reads, plus the write permissions of every kind. Its tokens are
// JWTs, so each apply record says which application wrote ("By:").
func newRestoreApp(ctx context.Context, sim *graphsim.Server, admin *graph.Client, graphURL string) (*backupApp, error) {
	kinds := layout.Kinds()
	perms := append(layout.ExportPermissions(kinds), live.AuditPermission)
	perms = append(perms, layout.RestorePermissions(kinds)...)
	return newApp(ctx, sim, admin, graphURL, "entrasnap restore", perms)
}

// newApp registers an app (name) through admin, and grants it perms and a
// client secret in sim.
func newApp(ctx context.Context, sim *graphsim.Server, admin *graph.Client, graphURL, name string, perms []string) (*backupApp, error) {
	resp, err := admin.Post(ctx, "/v1.0/applications", map[string]any{"displayName": name, "signInAudience": "AzureADMyOrg"})
	if err != nil {
		return nil, fmt.Errorf("register the app %s: %w", name, err)
	}
	var app struct{ AppID string }
	if err := json.Unmarshal(resp.Body, &app); err != nil || app.AppID == "" {
		return nil, fmt.Errorf("register the app %s: no appId in the answer (%v)", name, err)
	}
	if _, err := admin.Post(ctx, "/v1.0/servicePrincipals", map[string]any{"appId": app.AppID}); err != nil {
		return nil, fmt.Errorf("the service principal of the app %s: %w", name, err)
	}
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
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	status, err := postForm(ctx, b.http, b.url+"/"+b.tenant+"/oauth2/v2.0/token", form, &tok)
	if err != nil {
		return "", fmt.Errorf("sign in as the app %s: %w", b.appID, err)
	}
	if status != http.StatusOK || tok.AccessToken == "" {
		return "", fmt.Errorf("sign in as the app %s: the token endpoint answered %d", b.appID, status)
	}
	return tok.AccessToken, nil
}

// postForm posts form to an identity endpoint and decodes its JSON answer
// into v (whatever the status, which it returns). The answer is never put
// in an error: it may hold a token.
func postForm(ctx context.Context, c *http.Client, endpoint string, form url.Values, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(body, v) != nil {
		return resp.StatusCode, fmt.Errorf("the answer (%d) is not JSON", resp.StatusCode)
	}
	return resp.StatusCode, nil
}
