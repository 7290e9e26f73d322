package live

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/entrasnap/entrasnap/graph"
)

// AuthBrowser: a person signs in as themselves in a web browser on this
// machine (the authorization code flow with PKCE, through MSAL's public
// client with a loopback listener, as azidentity's
// InteractiveBrowserCredential does): entrasnap listens on
// http://localhost:PORT, opens the sign-in page (or prints its address when
// it cannot open a browser), and the identity platform sends the browser
// back to that address with a code entrasnap redeems. The app registration
// needs http://localhost as a redirect URI of the "Mobile and desktop
// applications" platform (publicClient.redirectUris). The token is a
// delegated one, as with AuthDeviceCode.
const AuthBrowser = "browser"

// browserCredential is the credential of --auth browser: one interactive
// sign-in, then MSAL's cache (and its refresh token) for later tokens.
// azidentity's InteractiveBrowserCredential cannot be told how to open the
// page (it runs the system's browser or fails), so entrasnap drives MSAL's
// public client itself, which azidentity is built on.
type browserCredential struct {
	client  public.Client
	openURL func(string) error
	mu      sync.Mutex
	account *public.Account
}

// browserCredential builds the credential of --auth browser.
func (cn Connection) browserCredential() (azcore.TokenCredential, error) {
	if cn.ClientID == "" {
		return nil, usagef("--auth browser needs --client-id: the application (client) id of an app registration with http://localhost as a redirect URI of the \"Mobile and desktop applications\" platform, holding the delegated Microsoft Graph permissions a restore needs, consented by an administrator")
	}
	if cn.TenantID == "" {
		return nil, usagef("--auth browser needs --tenant-id: the tenant id or initial domain to sign in to")
	}
	if strings.ContainsAny(cn.TenantID, "/?#\\ ") {
		return nil, usagef("--tenant-id %q: want a tenant id (a GUID) or a domain name", cn.TenantID)
	}
	if cn.OpenURL == nil {
		return nil, usagef("--auth browser: no way to show the sign-in page (no browser opener)")
	}
	ci, err := graph.LookupCloud(cn.Cloud)
	if err != nil {
		return nil, usagef("--cloud: %v", err)
	}
	host := ci.Authority.ActiveDirectoryAuthorityHost
	opts := []public.Option{}
	if cn.AuthorityHost != "" {
		u, err := url.Parse(cn.AuthorityHost)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, usagef("--authority-host %q: want the https root of the sign-in service, e.g. https://login.microsoftonline.com/ (graphsim prints its own)", cn.AuthorityHost)
		}
		host = cn.AuthorityHost
		opts = append(opts, public.WithInstanceDiscovery(false)) // a private authority: no instance discovery at login.microsoft.com
	}
	if cn.HTTPClient != nil {
		opts = append(opts, public.WithHTTPClient(cn.HTTPClient))
	}
	authority := strings.TrimRight(host, "/") + "/" + cn.TenantID
	client, err := public.New(cn.ClientID, append(opts, public.WithAuthority(authority))...)
	if err != nil {
		return nil, usagef("--auth browser: %v", err)
	}
	return &browserCredential{client: client, openURL: cn.OpenURL}, nil
}

// GetToken returns a cached or refreshed token for the signed-in person,
// and signs them in through the browser the first time.
func (c *browserCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.account != nil {
		if ar, err := c.client.AcquireTokenSilent(ctx, opts.Scopes, public.WithSilentAccount(*c.account)); err == nil {
			return azcore.AccessToken{Token: ar.AccessToken, ExpiresOn: ar.ExpiresOn}, nil
		}
	}
	// No redirect URI: MSAL listens on http://localhost at a free port and
	// sends that (the identity platform ignores a loopback URI's port).
	ar, err := c.client.AcquireTokenInteractive(ctx, opts.Scopes, public.WithOpenURL(c.openURL))
	if err != nil {
		if ctx.Err() != nil {
			return azcore.AccessToken{}, errors.New("browser sign-in: gave up waiting for the sign-in to finish in the browser: " + ctx.Err().Error())
		}
		return azcore.AccessToken{}, errors.New("browser sign-in: " + err.Error())
	}
	acct := ar.Account
	c.account = &acct
	return azcore.AccessToken{Token: ar.AccessToken, ExpiresOn: ar.ExpiresOn}, nil
}
