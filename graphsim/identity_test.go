package graphsim

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// idGraphRoles are the Microsoft Graph app roles the tests seed (real ids).
var idGraphRoles = map[string]string{
	"User.Read.All":                      "df021288-bdef-4463-88db-98f22de89214",
	"User.ReadWrite.All":                 "741f803b-c850-494e-b5df-cde7c675a1ca",
	"Group.ReadWrite.All":                "62a82d76-70ea-41e2-9197-370581804d09",
	"Policy.Read.All":                    "246dd0d5-5bd0-4def-940b-0421030a5b68",
	"Policy.ReadWrite.ConditionalAccess": "01c0a623-fc9b-48e9-b794-0756f8e8f067",
	"Application.ReadWrite.All":          "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
	"AuditLog.Read.All":                  "b0afded3-3588-46d8-8b3d-9842eff778da", // audit_test.go
}

// idEnv is a graphsim server on httptest (TLS) with Microsoft Graph's service
// principal and a user.
type idEnv struct {
	t      *testing.T
	s      *Server
	url    string
	client *http.Client
	userID string
}

type idResp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func newIDEnv(t *testing.T) *idEnv {
	t.Helper()
	s, err := New(Options{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	return newIDEnvFor(t, s)
}

// seedUser adds an enabled user named nick (for a delegated sign-in) and
// returns its id.
func (e *idEnv) seedUser(nick string) string {
	e.t.Helper()
	tn := e.s.Tenant()
	id, err := tn.Seed("user", map[string]any{"displayName": nick, "userPrincipalName": nick + "@" + tn.Domain(),
		"mailNickname": nick, "accountEnabled": true})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// newIDEnvFor is newIDEnv around a server of the caller's options.
func newIDEnvFor(t *testing.T, s *Server) *idEnv {
	t.Helper()
	tn := s.Tenant()
	if tn.FindBy("servicePrincipal", "appId", graphAppID) == "" {
		var roles []any
		for v, id := range idGraphRoles {
			roles = append(roles, map[string]any{"allowedMemberTypes": []any{"Application"}, "id": id,
				"isEnabled": true, "value": v, "displayName": v, "description": v})
		}
		if _, err := tn.Seed("servicePrincipal", map[string]any{"appId": graphAppID, "displayName": "Microsoft Graph",
			"accountEnabled": true, "appRoles": roles, "servicePrincipalType": "Application"}); err != nil {
			t.Fatal(err)
		}
	}
	uid, err := tn.Seed("user", map[string]any{"displayName": "Adele", "userPrincipalName": "adele@" + tn.Domain(),
		"mailNickname": "adele", "accountEnabled": true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(s)
	t.Cleanup(ts.Close)
	return &idEnv{t: t, s: s, url: ts.URL, client: ts.Client(), userID: uid}
}

// newApp seeds an application and its service principal and returns the appId.
func (e *idEnv) newApp(name string) string {
	e.t.Helper()
	tn := e.s.Tenant()
	appID := e.newGUID()
	if _, err := tn.Seed("application", map[string]any{"appId": appID, "displayName": name,
		"passwordCredentials": []any{}, "keyCredentials": []any{}}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := tn.Seed("servicePrincipal", map[string]any{"appId": appID, "displayName": name, "accountEnabled": true}); err != nil {
		e.t.Fatal(err)
	}
	return appID
}

func (e *idEnv) newGUID() string {
	tn := e.s.Tenant()
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return tn.newID()
}

// newClient makes an app with a secret and the given Graph application permissions.
func (e *idEnv) newClient(name string, permissions ...string) (appID, secret string) {
	e.t.Helper()
	appID = e.newApp(name)
	secret, err := e.s.Tenant().AddClientSecret(appID)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(permissions) > 0 {
		if err := e.s.Tenant().GrantAppRoles(appID, permissions...); err != nil {
			e.t.Fatal(err)
		}
	}
	return appID, secret
}

func (e *idEnv) do(req *http.Request) idResp {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := idResp{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// tokenRequest posts a form to /{tenant}/oauth2/v2.0/token.
func (e *idEnv) tokenRequest(tenant string, form url.Values) idResp {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/"+tenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req)
}

func secretForm(appID, secret string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {secret},
		"scope": {"https://graph.microsoft.com/.default"}}
}

// token obtains an access token with a client secret.
func (e *idEnv) token(appID, secret string) string {
	e.t.Helper()
	r := e.tokenRequest(e.s.TenantID(), secretForm(appID, secret))
	if r.status != 200 {
		e.t.Fatalf("token: status %d: %s", r.status, r.raw)
	}
	return str(r.body["access_token"])
}

// call sends a Graph request with an Authorization header value.
func (e *idEnv) call(auth, method, path string, body any) idResp {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	return e.do(req)
}

func (r idResp) graphError() (code, msg string) {
	m, _ := r.body["error"].(map[string]any)
	return str(m["code"]), str(m["message"])
}

// aadsts is the first of error_codes in an identity platform error.
func (r idResp) aadsts() int {
	codes, _ := r.body["error_codes"].([]any)
	if len(codes) == 0 {
		return 0
	}
	f, _ := codes[0].(float64)
	return int(f)
}

func jwtPayload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIdentityUnauthenticated(t *testing.T) {
	e := newIDEnv(t)
	// A token signed with another key but otherwise well formed.
	forged := func() string {
		appID, secret := e.newClient("forger", "User.Read.All")
		parts := strings.Split(e.token(appID, secret), ".")
		return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	}()
	for _, tc := range []struct {
		name, auth, wantMsg string
	}{
		{"no header", "", "Access token is empty."},
		{"empty bearer", "Bearer ", "Access token is empty."},
		{"garbage", "Bearer not-a-token", "CompactToken parsing failed with error code: 80049217"},
		{"garbage with dots", "Bearer a.b.c", "CompactToken parsing failed with error code: 80049217"},
		{"bad signature", "Bearer " + forged, "Access token validation failure."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(tc.auth, "GET", "/v1.0/users", nil)
			code, msg := r.graphError()
			if r.status != 401 || code != "InvalidAuthenticationToken" || msg != tc.wantMsg {
				t.Fatalf("got %d %s %q, want 401 InvalidAuthenticationToken %q: %s", r.status, code, msg, tc.wantMsg, r.raw)
			}
			inner, _ := r.body["error"].(map[string]any)["innerError"].(map[string]any)
			if str(inner["request-id"]) == "" || str(inner["date"]) == "" {
				t.Errorf("innerError lacks request-id/date: %s", r.raw)
			}
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", r.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestIdentityPermissions(t *testing.T) {
	e := newIDEnv(t)
	readerID, readerSecret := e.newClient("reader", "User.Read.All")
	writerID, writerSecret := e.newClient("writer", "User.ReadWrite.All", "Group.ReadWrite.All")
	caID, caSecret := e.newClient("ca-reader", "Policy.Read.All")
	reader := "Bearer " + e.token(readerID, readerSecret)
	writer := "Bearer " + e.token(writerID, writerSecret)
	caReader := "Bearer " + e.token(caID, caSecret)
	newGroup := map[string]any{"displayName": "G", "mailNickname": "g1", "mailEnabled": false, "securityEnabled": true}
	for _, tc := range []struct {
		name         string
		auth, method string
		path         string
		body         any
		want         int
	}{
		{"reader lists users", reader, "GET", "/v1.0/users", nil, 200},
		{"reader gets a user (beta)", reader, "GET", "/beta/users/" + e.userID, nil, 200},
		{"reader patches a user", reader, "PATCH", "/v1.0/users/" + e.userID, map[string]any{"jobTitle": "x"}, 403},
		{"reader creates a group", reader, "POST", "/v1.0/groups", newGroup, 403},
		{"reader reads CA policies", reader, "GET", "/v1.0/identity/conditionalAccess/policies", nil, 403},
		{"reader lists applications", reader, "GET", "/v1.0/applications", nil, 403},
		{"writer patches a user", writer, "PATCH", "/v1.0/users/" + e.userID, map[string]any{"jobTitle": "x"}, 204},
		{"writer creates a group", writer, "POST", "/v1.0/groups", newGroup, 201},
		{"writer reads CA policies", writer, "GET", "/v1.0/identity/conditionalAccess/policies", nil, 403},
		{"CA reader reads CA policies", caReader, "GET", "/v1.0/identity/conditionalAccess/policies", nil, 200},
		{"CA reader creates a CA policy", caReader, "POST", "/v1.0/identity/conditionalAccess/policies", map[string]any{"displayName": "p"}, 403},
		{"server token writes", "Bearer " + e.s.Token(), "PATCH", "/v1.0/users/" + e.userID, map[string]any{"jobTitle": "y"}, 204},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(tc.auth, tc.method, tc.path, tc.body)
			if r.status != tc.want {
				t.Fatalf("%s %s: status %d, want %d: %s", tc.method, tc.path, r.status, tc.want, r.raw)
			}
			if tc.want == 403 {
				if code, msg := r.graphError(); code != "Authorization_RequestDenied" || msg != msgDenied {
					t.Errorf("403 body = %s %q, want Authorization_RequestDenied %q", code, msg, msgDenied)
				}
			}
		})
	}

	t.Run("batch items are authorized one by one", func(t *testing.T) {
		r := e.call(reader, "POST", "/v1.0/$batch", map[string]any{"requests": []any{
			map[string]any{"id": "1", "method": "GET", "url": "/users"},
			map[string]any{"id": "2", "method": "POST", "url": "/groups", "headers": map[string]any{"Content-Type": "application/json"},
				"body": map[string]any{"displayName": "G2", "mailNickname": "g2", "mailEnabled": false, "securityEnabled": true}},
		}})
		if r.status != 200 {
			t.Fatalf("batch status %d: %s", r.status, r.raw)
		}
		got := map[string]float64{}
		for _, it := range asSlice(r.body["responses"]) {
			m := it.(map[string]any)
			got[str(m["id"])], _ = m["status"].(float64)
		}
		if got["1"] != 200 || got["2"] != 403 {
			t.Errorf("item statuses = %v, want 1:200 2:403", got)
		}
	})

	t.Run("a path outside the permission table is the server token's only", func(t *testing.T) {
		req := &request{method: "GET", path: "graphsimNoSuchPath/x", principal: &principal{appID: "a", roles: map[string]bool{"Directory.ReadWrite.All": true}}}
		if aerr := e.s.authorize(req); aerr == nil || aerr.Status != 403 {
			t.Errorf("app token: authorize = %v, want 403", aerr)
		}
		req.principal = &principal{appID: "graphsim", all: true}
		if aerr := e.s.authorize(req); aerr != nil {
			t.Errorf("server token: authorize = %v, want nil", aerr)
		}
	})
}

func TestIdentityAccessTokenClaims(t *testing.T) {
	e := newIDEnv(t)
	appID, secret := e.newClient("claims", "User.Read.All", "Policy.Read.All")
	spID := e.s.Tenant().FindBy("servicePrincipal", "appId", appID)
	r := e.tokenRequest(e.s.Tenant().Domain(), secretForm(appID, secret)) // tenant by its domain
	if r.status != 200 {
		t.Fatalf("token by domain: %d %s", r.status, r.raw)
	}
	for k, want := range map[string]any{"token_type": "Bearer", "expires_in": 3599.0, "ext_expires_in": 3599.0} {
		if r.body[k] != want {
			t.Errorf("%s = %v, want %v", k, r.body[k], want)
		}
	}
	c := jwtPayload(t, str(r.body["access_token"]))
	tid := e.s.TenantID()
	for k, want := range map[string]string{"aud": "https://graph.microsoft.com", "iss": "https://sts.windows.net/" + tid + "/",
		"tid": tid, "appid": appID, "oid": spID, "idtyp": "app", "appidacr": "1", "app_displayname": "claims"} {
		if str(c[k]) != want {
			t.Errorf("claim %s = %q, want %q", k, str(c[k]), want)
		}
	}
	if got, want := strs(c["roles"]), []string{"Policy.Read.All", "User.Read.All"}; !slices.Equal(got, want) {
		t.Errorf("roles = %v, want %v", got, want)
	}
	exp, _ := c["exp"].(float64)
	if want := e.s.Clock().Now().Add(3599 * time.Second).Unix(); int64(exp) < want-5 || int64(exp) > want {
		t.Errorf("exp = %d, want about %d (server clock + 3599s)", int64(exp), want)
	}
}

func TestIdentityRolesEvaluatedAtIssue(t *testing.T) {
	e := newIDEnv(t)
	appID, secret := e.newClient("late-grant", "User.Read.All")
	before := "Bearer " + e.token(appID, secret)
	if err := e.s.Tenant().GrantAppRoles(appID, "User.ReadWrite.All"); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"jobTitle": "z"}
	if r := e.call(before, "PATCH", "/v1.0/users/"+e.userID, body); r.status != 403 {
		t.Errorf("token issued before the grant: PATCH status %d, want 403", r.status)
	}
	after := "Bearer " + e.token(appID, secret)
	if r := e.call(after, "PATCH", "/v1.0/users/"+e.userID, body); r.status != 204 {
		t.Errorf("token issued after the grant: PATCH status %d, want 204: %s", r.status, r.raw)
	}
}

func TestIdentityTokenExpiry(t *testing.T) {
	e := newIDEnv(t)
	appID, secret := e.newClient("expiry", "User.Read.All")
	tok := "Bearer " + e.token(appID, secret)
	if r := e.call(tok, "GET", "/v1.0/users", nil); r.status != 200 {
		t.Fatalf("fresh token: %d %s", r.status, r.raw)
	}
	e.s.Clock().Advance(2 * time.Hour)
	r := e.call(tok, "GET", "/v1.0/users", nil)
	if code, msg := r.graphError(); r.status != 401 || code != "InvalidAuthenticationToken" || msg != msgTokenExpired {
		t.Errorf("after 2h: %d %s %q, want 401 InvalidAuthenticationToken %q", r.status, code, msg, msgTokenExpired)
	}
	if r := e.call("Bearer "+e.token(appID, secret), "GET", "/v1.0/users", nil); r.status != 200 {
		t.Errorf("new token after 2h: %d %s", r.status, r.raw)
	}
}

func TestIdentityTokenEndpointErrors(t *testing.T) {
	e := newIDEnv(t)
	appID, secret := e.newClient("errs", "User.Read.All")
	noSP := e.newGUID()
	if _, err := e.s.Tenant().Seed("application", map[string]any{"appId": noSP, "displayName": "no sp"}); err != nil {
		t.Fatal(err)
	}
	const wrongSecret = "wrong-secret-value-0123456789abcdefghij"
	tid := e.s.TenantID()
	with := func(k, v string) url.Values {
		f := secretForm(appID, secret)
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	for _, tc := range []struct {
		name    string
		tenant  string
		form    url.Values
		status  int
		code    string
		aadsts  int
		descHas string
	}{
		{"unknown tenant", "fabrikam.onmicrosoft.com", secretForm(appID, secret), 400, "invalid_request", 90002, "Tenant 'fabrikam.onmicrosoft.com' not found"},
		{"unknown client", tid, with("client_id", "6f1b7c9e-0000-4000-8000-00000000dead"), 400, "invalid_client", 700016, "6f1b7c9e-0000-4000-8000-00000000dead"},
		{"bad secret", tid, with("client_secret", wrongSecret), 401, "invalid_client", 7000215, "Invalid client secret provided"},
		{"no credential", tid, with("client_secret", ""), 401, "invalid_client", 7000216, "client_secret"},
		{"app without service principal", tid, secretForm(noSP, secret), 400, "invalid_client", 7000229, "missing service principal"},
		{"missing grant type", tid, with("grant_type", ""), 400, "invalid_request", 900144, "'grant_type'"},
		{"authorization code grant without a code", tid, with("grant_type", "authorization_code"), 400, "invalid_request", 900144, "'code'"},
		{"password grant", tid, with("grant_type", "password"), 400, "unsupported_grant_type", 70003, "password"},
		{"scope without /.default", tid, with("scope", "User.Read.All"), 400, "invalid_scope", 1002012, "User.Read.All"},
		{"scope of another resource", tid, with("scope", "https://vault.azure.net/.default"), 400, "invalid_resource", 500011, "https://vault.azure.net"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.tokenRequest(tc.tenant, tc.form)
			desc := str(r.body["error_description"])
			if r.status != tc.status || str(r.body["error"]) != tc.code || r.aadsts() != tc.aadsts {
				t.Fatalf("got %d %s %d, want %d %s %d: %s", r.status, str(r.body["error"]), r.aadsts(), tc.status, tc.code, tc.aadsts, r.raw)
			}
			if !strings.HasPrefix(desc, fmt.Sprintf("AADSTS%d: ", tc.aadsts)) || !strings.Contains(desc, tc.descHas) {
				t.Errorf("error_description = %q, want AADSTS%d and %q", desc, tc.aadsts, tc.descHas)
			}
			if strings.Contains(r.raw, secret) || strings.Contains(r.raw, wrongSecret) {
				t.Errorf("the answer repeats a client secret: %s", r.raw)
			}
		})
	}
	t.Run("graphsim's own URL as the scope", func(t *testing.T) {
		if r := e.tokenRequest(tid, with("scope", e.url+"/.default")); r.status != 200 {
			t.Errorf("status %d: %s", r.status, r.raw)
		}
	})
	t.Run("HTTP Basic client authentication", func(t *testing.T) {
		f := secretForm(appID, "")
		f.Del("client_secret")
		req, _ := http.NewRequest("POST", e.url+"/"+tid+"/oauth2/v2.0/token", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(appID), url.QueryEscape(secret))
		if r := e.do(req); r.status != 200 {
			t.Errorf("status %d: %s", r.status, r.raw)
		}
	})
	t.Run("GET is refused", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.url+"/"+tid+"/oauth2/v2.0/token", nil)
		if r := e.do(req); r.status != 405 || str(r.body["error"]) != "invalid_request" {
			t.Errorf("GET token endpoint: %d %s", r.status, r.raw)
		}
	})
	t.Run("disabled service principal", func(t *testing.T) {
		r := e.call("Bearer "+e.s.Token(), "PATCH", "/v1.0/servicePrincipals/"+e.s.Tenant().FindBy("servicePrincipal", "appId", appID), map[string]any{"accountEnabled": false})
		if r.status != 204 {
			t.Fatalf("disable: %d %s", r.status, r.raw)
		}
		if r := e.tokenRequest(tid, secretForm(appID, secret)); r.status != 400 || r.aadsts() != 7000112 {
			t.Errorf("disabled client: %d %d, want 400 AADSTS7000112: %s", r.status, r.aadsts(), r.raw)
		}
	})
}

func TestIdentityOpenIDMetadata(t *testing.T) {
	e := newIDEnv(t)
	tid := e.s.TenantID()
	for _, tenant := range []string{tid, e.s.Tenant().Domain()} {
		req, _ := http.NewRequest("GET", e.url+"/"+tenant+"/v2.0/.well-known/openid-configuration", nil)
		r := e.do(req)
		if r.status != 200 {
			t.Fatalf("openid-configuration for %s: %d %s", tenant, r.status, r.raw)
		}
		for k, want := range map[string]string{
			"token_endpoint":         e.url + "/" + tid + "/oauth2/v2.0/token",
			"authorization_endpoint": e.url + "/" + tid + "/oauth2/v2.0/authorize",
			"issuer":                 e.url + "/" + tid + "/v2.0",
			"jwks_uri":               e.url + "/" + tid + "/discovery/v2.0/keys",
		} {
			if str(r.body[k]) != want {
				t.Errorf("%s: %s = %q, want %q", tenant, k, str(r.body[k]), want)
			}
		}
	}
	req, _ := http.NewRequest("GET", e.url+"/nosuchtenant.onmicrosoft.com/v2.0/.well-known/openid-configuration", nil)
	if r := e.do(req); r.status != 400 || r.aadsts() != 90002 {
		t.Errorf("unknown tenant: %d %s", r.status, r.raw)
	}
	req, _ = http.NewRequest("GET", e.url+"/common/discovery/instance?api-version=1.1&authorization_endpoint="+
		url.QueryEscape(e.url+"/"+tid+"/oauth2/v2.0/authorize"), nil)
	r := e.do(req)
	host := strings.TrimPrefix(e.url, "https://")
	if want := e.url + "/" + tid + "/v2.0/.well-known/openid-configuration"; str(r.body["tenant_discovery_endpoint"]) != want {
		t.Errorf("tenant_discovery_endpoint = %q, want %q", str(r.body["tenant_discovery_endpoint"]), want)
	}
	md, _ := r.body["metadata"].([]any)
	if len(md) != 1 || !slices.Contains(strs(md[0].(map[string]any)["aliases"]), host) {
		t.Errorf("metadata = %v, want aliases with %s", r.body["metadata"], host)
	}
}

func (e *idEnv) azOptions() azcore.ClientOptions {
	return azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: e.url + "/"}, Transport: e.client}
}

// checkAzToken asserts that cred obtains a token whose roles are wantRoles,
// that reads users and is refused creating one.
func (e *idEnv) checkAzToken(cred azcore.TokenCredential, wantACR string, wantRoles ...string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		e.t.Fatalf("GetToken: %v", err)
	}
	c := jwtPayload(e.t, tok.Token)
	if got := strs(c["roles"]); !slices.Equal(got, wantRoles) || str(c["appidacr"]) != wantACR {
		e.t.Errorf("roles = %v appidacr = %v, want %v and %s", got, c["appidacr"], wantRoles, wantACR)
	}
	if r := e.call("Bearer "+tok.Token, "GET", "/v1.0/users", nil); r.status != 200 {
		e.t.Errorf("GET /v1.0/users: %d %s", r.status, r.raw)
	}
	r := e.call("Bearer "+tok.Token, "POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "N",
		"mailNickname": "n", "userPrincipalName": "n@" + e.s.Tenant().Domain(), "passwordProfile": map[string]any{"password": "x"}})
	if code, _ := r.graphError(); r.status != 403 || code != "Authorization_RequestDenied" {
		e.t.Errorf("POST /v1.0/users: %d %s, want 403 Authorization_RequestDenied", r.status, r.raw)
	}
}

func TestIdentityAzidentityClientSecret(t *testing.T) {
	e := newIDEnv(t)
	appID, secret := e.newClient("azidentity-secret", "User.Read.All")
	cred, err := azidentity.NewClientSecretCredential(e.s.TenantID(), appID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: e.azOptions(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	e.checkAzToken(cred, "1", "User.Read.All")

	bad, err := azidentity.NewClientSecretCredential(e.s.TenantID(), appID, "not-the-secret",
		&azidentity.ClientSecretCredentialOptions{ClientOptions: e.azOptions(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("bad secret: err = %v, want AADSTS7000215", err)
	}
}

// newTestCert makes a self-signed RSA certificate valid around now.
func newTestCert(t *testing.T, now time.Time) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "entrasnap-test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// seedCertApp seeds an application whose keyCredentials carry cert, as a
// tenant snapshot does, with its service principal and permissions.
func (e *idEnv) seedCertApp(cert *x509.Certificate, permissions ...string) string {
	e.t.Helper()
	appID := e.newGUID()
	tp := sha1.Sum(cert.Raw)
	if _, err := e.s.Tenant().Seed("application", map[string]any{"appId": appID, "displayName": "cert app",
		"keyCredentials": []any{map[string]any{
			"customKeyIdentifier": strings.ToUpper(hex.EncodeToString(tp[:])), "displayName": "CN=entrasnap-test",
			"keyId": e.newGUID(), "type": "AsymmetricX509Cert", "usage": "Verify",
			"key":           base64.StdEncoding.EncodeToString(cert.Raw),
			"startDateTime": graphTime(cert.NotBefore), "endDateTime": graphTime(cert.NotAfter),
		}}}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.s.Tenant().Seed("servicePrincipal", map[string]any{"appId": appID, "displayName": "cert app", "accountEnabled": true}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.s.Tenant().GrantAppRoles(appID, permissions...); err != nil {
		e.t.Fatal(err)
	}
	return appID
}

func TestIdentityAzidentityClientCertificate(t *testing.T) {
	e := newIDEnv(t)
	cert, key := newTestCert(t, time.Now())
	appID := e.seedCertApp(cert, "User.Read.All")
	cred, err := azidentity.NewClientCertificateCredential(e.s.TenantID(), appID, []*x509.Certificate{cert}, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: e.azOptions(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	e.checkAzToken(cred, "2", "User.Read.All")

	other, otherKey := newTestCert(t, time.Now())
	cred, err = azidentity.NewClientCertificateCredential(e.s.TenantID(), appID, []*x509.Certificate{other}, otherKey,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: e.azOptions(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err == nil || !strings.Contains(err.Error(), "AADSTS700027") {
		t.Errorf("unregistered certificate: err = %v, want AADSTS700027", err)
	}
}

// signAssertion builds an RS256 client assertion with an x5t (SHA-1) header.
func signAssertion(t *testing.T, cert *x509.Certificate, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	tp := sha1.Sum(cert.Raw)
	head, _ := json.Marshal(map[string]any{"alg": "RS256", "typ": "JWT", "x5t": base64.RawURLEncoding.EncodeToString(tp[:])})
	body, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(head) + "." + base64.RawURLEncoding.EncodeToString(body)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestIdentityClientAssertion(t *testing.T) {
	e := newIDEnv(t)
	now := e.s.Clock().Now()
	cert, key := newTestCert(t, now)
	// Registered through the Go API: the keyCredentials entry has no key, as in Graph.
	appID := e.newApp("assertion app")
	keyID, err := e.s.Tenant().AddClientCertificate(appID, cert.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.Tenant().GrantAppRoles(appID, "User.Read.All"); err != nil {
		t.Fatal(err)
	}
	app, _ := e.s.Tenant().Get("application", e.s.Tenant().FindBy("application", "appId", appID))
	kc := asSlice(app["keyCredentials"])
	if len(kc) != 1 || str(kc[0].(map[string]any)["keyId"]) != keyID || kc[0].(map[string]any)["key"] != nil {
		t.Errorf("keyCredentials = %v, want one entry %s without key", kc, keyID)
	}
	tid := e.s.TenantID()
	endpoint := e.url + "/" + tid + "/oauth2/v2.0/token"
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"aud": endpoint, "iss": appID, "sub": appID, "jti": "1",
			"nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	other, otherKey := newTestCert(t, now)
	for _, tc := range []struct {
		name      string
		assertion string
		want      int // 0: success
	}{
		{"valid", signAssertion(t, cert, key, claims(nil)), 0},
		{"audience by domain at Entra's host", signAssertion(t, cert, key, claims(func(c map[string]any) {
			c["aud"] = "https://login.microsoftonline.com/" + e.s.Tenant().Domain() + "/oauth2/v2.0/token"
		})), 0},
		{"unregistered certificate", signAssertion(t, other, otherKey, claims(nil)), 700027},
		{"signed by another key", func() string {
			a := signAssertion(t, other, otherKey, claims(nil))
			b := signAssertion(t, cert, key, claims(nil))
			return b[:strings.LastIndexByte(b, '.')] + a[strings.LastIndexByte(a, '.'):]
		}(), 700027},
		{"expired", signAssertion(t, cert, key, claims(func(c map[string]any) {
			c["nbf"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-time.Minute).Unix()
		})), 700024},
		{"issuer is another app", signAssertion(t, cert, key, claims(func(c map[string]any) { c["iss"] = "someone-else" })), 700021},
		{"audience elsewhere", signAssertion(t, cert, key, claims(func(c map[string]any) { c["aud"] = "https://example.com/token" })), 700016},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.tokenRequest(tid, url.Values{"grant_type": {"client_credentials"}, "client_id": {appID},
				"scope": {"https://graph.microsoft.com/.default"}, "client_assertion_type": {jwtBearerType},
				"client_assertion": {tc.assertion}})
			if tc.want == 0 {
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.raw)
				}
				if c := jwtPayload(t, str(r.body["access_token"])); str(c["appidacr"]) != "2" {
					t.Errorf("appidacr = %v, want 2", c["appidacr"])
				}
				return
			}
			if r.status != 401 || str(r.body["error"]) != "invalid_client" || r.aadsts() != tc.want {
				t.Errorf("got %d %s %d, want 401 invalid_client %d: %s", r.status, str(r.body["error"]), r.aadsts(), tc.want, r.raw)
			}
		})
	}
}

func TestIdentityPasswordActions(t *testing.T) {
	e := newIDEnv(t)
	adminID, adminSecret := e.newClient("app admin", "Application.ReadWrite.All")
	admin := "Bearer " + e.token(adminID, adminSecret)
	readerID, readerSecret := e.newClient("reader", "User.Read.All")
	reader := "Bearer " + e.token(readerID, readerSecret)
	target := e.newApp("target")
	objID := e.s.Tenant().FindBy("application", "appId", target)
	if err := e.s.Tenant().GrantAppRoles(target, "User.Read.All"); err != nil {
		t.Fatal(err)
	}

	if r := e.call(reader, "POST", "/v1.0/applications/"+objID+"/addPassword", map[string]any{}); r.status != 403 {
		t.Errorf("addPassword without Application.ReadWrite.All: %d, want 403", r.status)
	}
	end := e.s.Clock().Now().Add(90 * 24 * time.Hour).Format(time.RFC3339)
	r := e.call(admin, "POST", "/v1.0/applications/"+objID+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": "ci", "endDateTime": end}})
	if r.status != 200 {
		t.Fatalf("addPassword: %d %s", r.status, r.raw)
	}
	secret, keyID := str(r.body["secretText"]), str(r.body["keyId"])
	if len(secret) != 40 || str(r.body["hint"]) != secret[:3] || keyID == "" || str(r.body["displayName"]) != "ci" {
		t.Errorf("addPassword answer = %s, want a 40-char secretText, its hint, a keyId and displayName ci", r.raw)
	}
	if got, _ := time.Parse(time.RFC3339Nano, str(r.body["endDateTime"])); got.Format(time.RFC3339) != end {
		t.Errorf("endDateTime = %s, want %s", str(r.body["endDateTime"]), end)
	}
	if !strings.HasSuffix(str(r.body["@odata.context"]), "$metadata#microsoft.graph.passwordCredential") {
		t.Errorf("@odata.context = %v", r.body["@odata.context"])
	}
	// The secret is shown once: the application keeps only its metadata, the tenant only its hash.
	g := e.call(admin, "GET", "/v1.0/applications/"+objID, nil)
	if strings.Contains(g.raw, secret) {
		t.Errorf("GET application shows the secret: %s", g.raw)
	}
	pcs := asSlice(g.body["passwordCredentials"])
	if len(pcs) != 1 || str(pcs[0].(map[string]any)["keyId"]) != keyID || pcs[0].(map[string]any)["secretText"] != nil {
		t.Errorf("passwordCredentials = %v, want one entry %s with secretText null", pcs, keyID)
	}
	e.s.Tenant().mu.RLock()
	stored, _ := json.Marshal(e.s.Tenant().clients[target])
	e.s.Tenant().mu.RUnlock()
	if strings.Contains(string(stored), secret) || !strings.Contains(string(stored), hashSecret(secret)) {
		t.Errorf("stored credentials = %s, want the secret's hash and not the secret", stored)
	}

	if r := e.tokenRequest(e.s.TenantID(), secretForm(target, secret)); r.status != 200 {
		t.Fatalf("token with the new secret: %d %s", r.status, r.raw)
	}
	if r := e.call(admin, "POST", "/v1.0/applications/"+objID+"/removePassword", map[string]any{"keyId": e.newGUID()}); r.status != 400 {
		t.Errorf("removePassword of an unknown keyId: %d, want 400", r.status)
	}
	if r := e.call(admin, "POST", "/v1.0/applications/"+objID+"/removePassword", map[string]any{"keyId": keyID}); r.status != 204 {
		t.Fatalf("removePassword: %d %s", r.status, r.raw)
	}
	if r := e.tokenRequest(e.s.TenantID(), secretForm(target, secret)); r.status != 401 || r.aadsts() != 7000215 {
		t.Errorf("token with the removed secret: %d %d, want 401 AADSTS7000215", r.status, r.aadsts())
	}
	if g := e.call(admin, "GET", "/v1.0/applications/"+objID, nil); len(asSlice(g.body["passwordCredentials"])) != 0 {
		t.Errorf("passwordCredentials after removePassword = %v, want []", g.body["passwordCredentials"])
	}

	t.Run("an expired secret", func(t *testing.T) {
		r := e.call(admin, "POST", "/v1.0/applications/"+objID+"/addPassword",
			map[string]any{"passwordCredential": map[string]any{"endDateTime": e.s.Clock().Now().Add(time.Hour).Format(time.RFC3339)}})
		if r.status != 200 {
			t.Fatalf("addPassword: %d %s", r.status, r.raw)
		}
		e.s.Clock().Advance(2 * time.Hour)
		if r := e.tokenRequest(e.s.TenantID(), secretForm(target, str(r.body["secretText"]))); r.status != 401 || r.aadsts() != 7000222 {
			t.Errorf("token with an expired secret: %d %d, want 401 AADSTS7000222", r.status, r.aadsts())
		}
	})
}

func TestIdentityGrantAppRolesErrors(t *testing.T) {
	e := newIDEnv(t)
	appID := e.newApp("grants")
	noSP := e.newGUID()
	n0 := e.s.Tenant().Count("appRoleAssignment")
	for _, tc := range []struct {
		name  string
		app   string
		perms []string
		want  string
	}{
		{"unknown permission", appID, []string{"User.Read.All", "No.Such.Permission"}, "No.Such.Permission"},
		{"no service principal", noSP, []string{"User.Read.All"}, "no service principal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.s.Tenant().GrantAppRoles(tc.app, tc.perms...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if n := e.s.Tenant().Count("appRoleAssignment"); n != n0 {
		t.Errorf("failed grants left %d new assignments, want 0", n-n0)
	}
	// Granting twice creates one assignment.
	for range 2 {
		if err := e.s.Tenant().GrantAppRoles(appID, "User.Read.All"); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.s.Tenant().Count("appRoleAssignment"); n != n0+1 {
		t.Errorf("new assignments after granting twice = %d, want 1", n-n0)
	}

	bare, err := New(Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if bare.Tenant().FindBy("servicePrincipal", "appId", graphAppID) == "" {
		app := "11111111-2222-4333-8444-555555555555"
		_, _ = bare.Tenant().Seed("application", map[string]any{"appId": app, "displayName": "x"})
		_, _ = bare.Tenant().Seed("servicePrincipal", map[string]any{"appId": app, "displayName": "x"})
		if err := bare.Tenant().GrantAppRoles(app, "User.Read.All"); err == nil || !strings.Contains(err.Error(), "Microsoft Graph") {
			t.Errorf("without Graph's service principal: err = %v", err)
		}
	}
}

// A certificate registered by POST /applications (keyCredentials with key)
// signs client assertions, and the key is not returned.
func TestIdentityCertificateRegisteredThroughGraph(t *testing.T) {
	e := newIDEnv(t)
	now := e.s.Clock().Now()
	cert, key := newTestCert(t, now)
	r := e.call("Bearer "+e.s.Token(), "POST", "/v1.0/applications", map[string]any{
		"displayName": "cert through graph",
		"keyCredentials": []any{map[string]any{"type": "AsymmetricX509Cert", "usage": "Verify",
			"key": base64.StdEncoding.EncodeToString(cert.Raw)}},
	})
	if r.status != 201 {
		t.Fatalf("create app: %d %s", r.status, r.raw)
	}
	if strings.Contains(r.raw, base64.StdEncoding.EncodeToString(cert.Raw)[:40]) {
		t.Error("the key was returned")
	}
	appID := str(r.body["appId"])
	if r := e.call("Bearer "+e.s.Token(), "POST", "/v1.0/servicePrincipals", map[string]any{"appId": appID}); r.status != 201 {
		t.Fatalf("create SP: %d %s", r.status, r.raw)
	}
	tid := e.s.TenantID()
	endpoint := e.url + "/" + tid + "/oauth2/v2.0/token"
	assertion := signAssertion(t, cert, key, map[string]any{"aud": endpoint, "iss": appID, "sub": appID, "jti": "1",
		"nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()})
	tr := e.tokenRequest(tid, url.Values{"grant_type": {"client_credentials"}, "client_id": {appID},
		"scope": {"https://graph.microsoft.com/.default"}, "client_assertion_type": {jwtBearerType},
		"client_assertion": {assertion}})
	if tr.status != 200 {
		t.Fatalf("token with the registered certificate: %d %s", tr.status, tr.raw)
	}
}
