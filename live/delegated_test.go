package live

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
)

// signInTenant is the demo tenant over TLS (as azidentity and MSAL require)
// with the public client app (given its appId and sign-in settings)
// granted User.Read.All and Directory.Read.All delegated, and a user
// nick@<domain> to sign in as; it returns the user's UPN and id.
func signInTenant(t *testing.T, app map[string]any, nick, name string) (sim *graphsim.Server, ts *httptest.Server, upn, uid string) {
	t.Helper()
	sim, err := graphsim.New(graphsim.Options{Profile: "demo", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ts = httptest.NewTLSServer(sim)
	t.Cleanup(ts.Close)
	tn := sim.Tenant()
	appID := app["appId"].(string)
	app["displayName"] = "entrasnap restore"
	if _, err := tn.Seed("application", app); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Seed("servicePrincipal", map[string]any{"appId": appID, "displayName": "entrasnap restore", "accountEnabled": true}); err != nil {
		t.Fatal(err)
	}
	if err := tn.GrantDelegated(appID, "User.Read.All", "Directory.Read.All"); err != nil {
		t.Fatal(err)
	}
	upn = nick + "@" + tn.Domain()
	uid, err = tn.Seed("user", map[string]any{"displayName": name, "userPrincipalName": upn, "mailNickname": nick, "accountEnabled": true})
	if err != nil {
		t.Fatal(err)
	}
	return sim, ts, upn, uid
}

// TestDeviceCodeConnection signs in with --auth device-code against
// graphsim's identity platform (over TLS, as azidentity requires): the
// prompt sees graphsim's code, the person approves it, and the client's
// token is a delegated one for that person.
func TestDeviceCodeConnection(t *testing.T) {
	const appID = "6f1e2d3c-0000-4000-8000-00000000d0c0"
	sim, ts, upn, uid := signInTenant(t, map[string]any{"appId": appID, "isFallbackPublicClient": true}, "helpdesk.op", "Helpdesk operator")
	var shown []DeviceCode
	cn := Connection{Auth: AuthDeviceCode, TenantID: sim.TenantID(), ClientID: appID, GraphURL: ts.URL, AuthorityHost: ts.URL,
		HTTPClient: ts.Client(), Prompt: func(ctx context.Context, dc DeviceCode) error {
			shown = append(shown, dc)
			return sim.ApproveDeviceCode(dc.UserCode, upn)
		}}
	c, err := cn.Client()
	if err != nil {
		t.Fatal(err)
	}
	users, err := c.ListObjects(t.Context(), "/v1.0/users?$select=id")
	if err != nil {
		t.Fatalf("list users signed in as %s: %v", upn, err)
	}
	if len(users) == 0 || len(shown) != 1 || !strings.Contains(shown[0].Message, shown[0].UserCode) {
		t.Errorf("users %d, prompts %+v", len(users), shown)
	}
	tok := c.BearerToken(t.Context())
	if graph.TokenClaim(tok, "oid") != uid || graph.TokenClaim(tok, "idtyp") != "user" || graph.TokenClaim(tok, "scp") != "Directory.Read.All User.Read.All" {
		t.Errorf("token: oid %q idtyp %q scp %q, want a delegated token for %s", graph.TokenClaim(tok, "oid"), graph.TokenClaim(tok, "idtyp"), graph.TokenClaim(tok, "scp"), uid)
	}
	if len(shown) != 1 {
		t.Errorf("prompted %d times, want once", len(shown))
	}

	// What the user gave wrong is a usage error naming the flag.
	for _, c := range []struct {
		cn   Connection
		want string
	}{
		{Connection{Auth: AuthDeviceCode, TenantID: "t"}, "--client-id"},
		{Connection{Auth: AuthDeviceCode, ClientID: "c"}, "--tenant-id"},
		{Connection{Auth: AuthDeviceCode, TenantID: "t", ClientID: "c", AuthorityHost: "http://127.0.0.1:1"}, "--authority-host"},
		{Connection{Auth: AuthDeviceCode, TenantID: "t", ClientID: "c", AccessToken: "x"}, "--access-token"},
		{Connection{Auth: "kerberos"}, "--auth"},
	} {
		_, err := c.cn.Client()
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want a usage error naming %s", c.cn, err, c.want)
		}
	}
}
