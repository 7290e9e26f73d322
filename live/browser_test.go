package live

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
)

var (
	formAction = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)
)

// playBrowser is what a browser does with the sign-in address: it follows
// it (with hc, which trusts graphsim's certificate) and, given the
// form_post page, submits the form to the loopback redirect URI.
func playBrowser(hc *http.Client, opened *[]string) func(string) error {
	return func(u string) error {
		*opened = append(*opened, u)
		resp, err := hc.Get(u)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := formAction.FindSubmatch(body)
		if m == nil {
			return errors.New("the sign-in page has no form: " + string(body))
		}
		form := url.Values{}
		for _, in := range formInput.FindAllSubmatch(body, -1) {
			form.Set(html.UnescapeString(string(in[1])), html.UnescapeString(string(in[2])))
		}
		back, err := http.PostForm(html.UnescapeString(string(m[1])), form)
		if err != nil {
			return err
		}
		back.Body.Close()
		return nil
	}
}

// --auth browser against graphsim: MSAL's public client with its loopback
// listener, PKCE, graphsim's authorize endpoint signing in the
// --approve-as user; the Graph client then works as that user, and asks
// for no second sign-in.
func TestBrowserSignIn(t *testing.T) {
	const appID = "6f1e2d3c-0000-4000-8000-00000000b0c0"
	sim, ts, upn, uid := signInTenant(t, map[string]any{"appId": appID,
		"publicClient": map[string]any{"redirectUris": []any{"http://localhost"}}}, "restorer", "Restorer")
	if err := sim.ApproveDeviceCodesAs(upn); err != nil {
		t.Fatal(err)
	}
	var opened []string
	cn := Connection{Auth: AuthBrowser, TenantID: sim.TenantID(), ClientID: appID, GraphURL: ts.URL, AuthorityHost: ts.URL,
		HTTPClient: ts.Client(), OpenURL: playBrowser(ts.Client(), &opened)}
	c, err := cn.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a broken flow fails, it does not hang
	defer cancel()
	users, err := c.ListObjects(ctx, "/v1.0/users?$select=id")
	if err != nil {
		t.Fatalf("list users signed in as %s: %v", upn, err)
	}
	tok := c.BearerToken(ctx)
	if len(users) == 0 || graph.TokenClaim(tok, "oid") != uid || graph.TokenClaim(tok, "idtyp") != "user" || graph.TokenClaim(tok, "scp") != "Directory.Read.All User.Read.All" {
		t.Errorf("users %d; token oid %q idtyp %q scp %q, want a delegated token for %s", len(users), graph.TokenClaim(tok, "oid"), graph.TokenClaim(tok, "idtyp"), graph.TokenClaim(tok, "scp"), uid)
	}
	if len(opened) != 1 {
		t.Fatalf("opened %d sign-in pages, want 1: %q", len(opened), opened)
	}
	q, _ := url.Parse(opened[0])
	if q.Query().Get("code_challenge_method") != "S256" || q.Query().Get("code_challenge") == "" || !strings.HasPrefix(q.Query().Get("redirect_uri"), "http://localhost:") ||
		!strings.HasPrefix(opened[0], ts.URL+"/"+sim.TenantID()+"/oauth2/v2.0/authorize?") {
		t.Errorf("sign-in page %s: want the tenant's authorize endpoint with PKCE (S256) and a loopback redirect URI", opened[0])
	}

	// No user to sign in as: the browser comes back with access_denied,
	// and the error says so.
	if err := sim.ApproveDeviceCodesAs(""); err != nil {
		t.Fatal(err)
	}
	cn.OpenURL = playBrowser(ts.Client(), &opened)
	c2, err := cn.Client()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.ListObjects(ctx, "/v1.0/users?$select=id"); err == nil || !strings.Contains(err.Error(), "--approve-as") {
		t.Errorf("sign-in with no user: %v", err)
	}

	// What the user gave wrong is a usage error naming the flag.
	for _, c := range []struct {
		cn   Connection
		want string
	}{
		{Connection{Auth: AuthBrowser, TenantID: "t", OpenURL: cn.OpenURL}, "--client-id"},
		{Connection{Auth: AuthBrowser, ClientID: "c", OpenURL: cn.OpenURL}, "--tenant-id"},
		{Connection{Auth: AuthBrowser, TenantID: "t/../x", ClientID: "c", OpenURL: cn.OpenURL}, "--tenant-id"},
		{Connection{Auth: AuthBrowser, TenantID: "t", ClientID: "c", AuthorityHost: "http://127.0.0.1:1", OpenURL: cn.OpenURL}, "--authority-host"},
		{Connection{Auth: AuthBrowser, TenantID: "t", ClientID: "c", AccessToken: "x", OpenURL: cn.OpenURL}, "--access-token"},
	} {
		_, err := c.cn.Client()
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want a usage error naming %s", c.cn, err, c.want)
		}
	}
}
