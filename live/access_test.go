package live

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// TestGrantedAccessFromGraph: with graphsim issuing opaque tokens, the
// permissions an app holds are read from Graph. App-only: its service
// principal's appRoleAssignments on Microsoft Graph, resolved to the
// appRoles' values. Delegated (signed in with the device code flow): the
// app's oauth2PermissionGrants for all principals and for the signed-in
// user, not another user's. Each runs also under realistic throttling,
// faults and replication lag; an app id that is not a GUID (a quote
// would break the alternate key) and an unknown app are clear errors.
func TestGrantedAccessFromGraph(t *testing.T) {
	for _, c := range []struct {
		name string
		o    graphsim.Options
	}{
		{"plain", graphsim.Options{}},
		{"realistic", graphsim.Options{Throttle: "realistic", FaultRate: 0.05, EventualConsistency: 2 * time.Second}},
	} {
		t.Run(c.name, func(t *testing.T) {
			const appID = "6f1e2d3c-0000-4000-8000-00000000acc5"
			o := c.o
			o.Profile, o.Seed, o.OpaqueTokens = "demo", 1, true
			sim, err := graphsim.New(o)
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewTLSServer(sim) // azidentity's device code flow needs https
			t.Cleanup(ts.Close)
			tn := sim.Tenant()
			ctx := context.Background()
			// The test's own set-up (the grants) meets no injected fault: a
			// POST whose answer is lost is not sent again. GrantedAccess's
			// clients below meet them all.
			gts := httptest.NewTLSServer(sim.Unfaulted())
			t.Cleanup(gts.Close)
			god := simtest.Client(t, sim, gts, "")
			if _, err := tn.Seed("application", map[string]any{"appId": appID, "displayName": "entrasnap backup", "isFallbackPublicClient": true}); err != nil {
				t.Fatal(err)
			}
			spID, err := tn.Seed("servicePrincipal", map[string]any{"appId": appID, "displayName": "entrasnap backup", "accountEnabled": true})
			if err != nil {
				t.Fatal(err)
			}
			if err := tn.GrantDelegated(appID, "User.Read.All", "Directory.Read.All"); err != nil {
				t.Fatal(err)
			}
			if err := tn.GrantAppRoles(appID, "Directory.Read.All", "Application.Read.All", "Policy.Read.All"); err != nil {
				t.Fatal(err)
			}
			upn := "alice@" + tn.Domain()
			alice, err := tn.Seed("user", map[string]any{"displayName": "Alice", "userPrincipalName": upn, "mailNickname": "alice", "accountEnabled": true})
			if err != nil {
				t.Fatal(err)
			}
			bob, err := tn.Seed("user", map[string]any{"displayName": "Bob", "userPrincipalName": "bob@" + tn.Domain(), "mailNickname": "bob", "accountEnabled": true})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := god.Get(ctx, "/v1.0/servicePrincipals(appId='"+GraphAppID+"')?$select=id")
			if err != nil {
				t.Fatal(err)
			}
			var graphSP struct{ ID string }
			_ = json.Unmarshal(raw, &graphSP)
			for who, scope := range map[string]string{alice: "Policy.Read.All", bob: "AuditLog.Read.All"} {
				if _, err := god.Post(ctx, "/v1.0/oauth2PermissionGrants", map[string]any{"clientId": spID, "consentType": "Principal",
					"principalId": who, "resourceId": graphSP.ID, "scope": scope}); err != nil {
					t.Fatal(err)
				}
			}
			sim.Clock().Advance(time.Minute) // past the replication lag of the grants

			// App-only, with a client secret.
			secret, err := tn.AddClientSecret(appID)
			if err != nil {
				t.Fatal(err)
			}
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {secret},
				"scope": {"https://graph.microsoft.com/.default"}}
			hr, err := ts.Client().PostForm(ts.URL+"/"+sim.TenantID()+"/oauth2/v2.0/token", form)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(hr.Body)
			hr.Body.Close()
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
				t.Fatalf("token endpoint: %d %s", hr.StatusCode, body)
			}
			if strings.Count(tok.AccessToken, ".") == 2 {
				t.Fatalf("graphsim issued a JWT with OpaqueTokens set")
			}
			app := simtest.Client(t, sim, ts, tok.AccessToken)
			a, err := GrantedAccess(ctx, app, appID)
			if err != nil {
				t.Fatal(err)
			}
			if a.Type != "application" || a.Source != "graph" || strings.Join(a.Permissions, " ") != "Application.Read.All Directory.Read.All Policy.Read.All" {
				t.Errorf("app-only access = %+v", a)
			}

			// Delegated: Alice signs in with the device code flow.
			cn := Connection{Auth: AuthDeviceCode, TenantID: sim.TenantID(), ClientID: appID, GraphURL: ts.URL, AuthorityHost: ts.URL,
				HTTPClient: ts.Client(), Sleep: simtest.Sleep(sim),
				Prompt: func(_ context.Context, dc DeviceCode) error { return sim.ApproveDeviceCode(dc.UserCode, upn) }}
			user, err := cn.Client()
			if err != nil {
				t.Fatal(err)
			}
			if ut := user.BearerToken(ctx); ut == "" || strings.Count(ut, ".") == 2 {
				t.Fatalf("delegated token not opaque (%d dots)", strings.Count(ut, "."))
			}
			d, err := GrantedAccess(ctx, user, appID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Type != "delegated" || d.Source != "graph" || strings.Join(d.Permissions, " ") != "Directory.Read.All Policy.Read.All User.Read.All" {
				t.Errorf("delegated access = %+v, want the all-principals grant and Alice's, not Bob's", d)
			}

			// What cannot be read says what to give.
			if _, err := GrantedAccess(ctx, app, "x') or (appId eq 'y"); err == nil || !strings.Contains(err.Error(), "--client-id") {
				t.Errorf("a quote in the app id: %v", err)
			}
			if _, err := GrantedAccess(ctx, app, "00000000-0000-4000-8000-0000000000ff"); err == nil || !strings.Contains(err.Error(), "reading the service principal of app 00000000-0000-4000-8000-0000000000ff") {
				t.Errorf("an unknown app: %v", err)
			}
		})
	}
}
