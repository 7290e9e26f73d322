package graphsim

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// browserApp seeds an application with a public client (mobile and
// desktop) redirect URI and consented Graph scopes, which does NOT allow
// public client flows: the browser sign-in does not need it.
func (e *idEnv) browserApp(redirects []any, scopes ...string) string {
	e.t.Helper()
	appID := e.newApp("entrasnap restore")
	tn := e.s.Tenant()
	tn.mu.Lock()
	tn.appByAppID(appID).o()["publicClient"] = map[string]any{"redirectUris": redirects}
	tn.mu.Unlock()
	if err := tn.GrantDelegated(appID, scopes...); err != nil {
		e.t.Fatal(err)
	}
	return appID
}

func pkcePair(seed string) (verifier, challenge string) {
	verifier = strings.Repeat(seed, 43/len(seed)+1)[:43]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize sends the browser to the authorize endpoint and returns the
// answer without following a redirect.
func (e *idEnv) authorize(q url.Values) idResp {
	e.t.Helper()
	c := *e.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(e.url + "/" + e.s.TenantID() + "/oauth2/v2.0/authorize?" + q.Encode())
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return idResp{status: resp.StatusCode, header: resp.Header, raw: b.String()}
}

// code runs the authorize step and returns the code sent to the redirect URI.
func (e *idEnv) code(q url.Values) (code string, back url.Values) {
	e.t.Helper()
	r := e.authorize(q)
	if r.status != http.StatusFound {
		e.t.Fatalf("authorize: %d %s", r.status, r.raw)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc.Query().Get("code"), loc.Query()
}

// The authorization code flow with PKCE as the identity platform documents
// it: a loopback redirect URI registered for a public client (any port),
// S256 code challenge, the code redeemed once, within 10 minutes, with the
// verifier and the same redirect URI; the user is --approve-as's.
func TestAuthorizationCodeFlowWithPKCE(t *testing.T) {
	e := newIDEnv(t)
	appID := e.browserApp([]any{"http://localhost"}, "User.ReadWrite.All")
	verifier, challenge := pkcePair("abcDEF123-._~")
	redirect := "http://localhost:53117"
	q := func(mod ...string) url.Values {
		v := url.Values{"client_id": {appID}, "response_type": {"code"}, "redirect_uri": {redirect}, "scope": {"https://graph.microsoft.com/.default openid offline_access"},
			"state": {"st-1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		for i := 0; i+1 < len(mod); i += 2 {
			if mod[i+1] == "" {
				v.Del(mod[i])
			} else {
				v.Set(mod[i], mod[i+1])
			}
		}
		return v
	}
	redeem := func(code string, mod ...string) idResp {
		f := url.Values{"grant_type": {"authorization_code"}, "client_id": {appID}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier},
			"scope": {"https://graph.microsoft.com/.default"}}
		for i := 0; i+1 < len(mod); i += 2 {
			f.Set(mod[i], mod[i+1])
		}
		return e.tokenRequest(e.s.TenantID(), f)
	}

	// No user to sign in as: the browser is sent back with access_denied.
	_, back := e.code(q())
	if back.Get("error") != "access_denied" || back.Get("state") != "st-1" || back.Get("code") != "" {
		t.Errorf("without --approve-as: %v", back)
	}
	if err := e.s.ApproveDeviceCodesAs("adele@" + e.s.Tenant().Domain()); err != nil {
		t.Fatal(err)
	}

	// Redirect URIs: never redirected to one not registered.
	for _, bad := range []string{"http://127.0.0.1:53117", "https://localhost:53117", "http://localhost:53117/other", "http://evil.example/", ""} {
		r := e.authorize(q("redirect_uri", bad))
		if r.status != http.StatusBadRequest || r.header.Get("Location") != "" || !strings.Contains(r.raw, "AADSTS50011") {
			t.Errorf("redirect_uri %q: %d %s", bad, r.status, r.raw)
		}
	}
	if r := e.authorize(q("client_id", "00000000-0000-4000-8000-00000000beef")); r.status != http.StatusBadRequest || !strings.Contains(r.raw, "AADSTS700016") {
		t.Errorf("unknown client: %d %s", r.status, r.raw)
	}
	// After the redirect URI is checked, errors go back to it.
	for _, c := range []struct {
		mod  []string
		want string
	}{
		{[]string{"response_type", "token"}, "unsupported_response_type"},
		{[]string{"code_challenge", ""}, "invalid_request"},
		{[]string{"code_challenge_method", "S512"}, "invalid_request"},
		{[]string{"scope", "https://management.azure.com/.default"}, "invalid_resource"},
	} {
		if _, back := e.code(q(c.mod...)); back.Get("error") != c.want || back.Get("code") != "" {
			t.Errorf("%v: %v, want %s", c.mod, back, c.want)
		}
	}

	// The flow: code to the loopback URI on any port, then the tokens.
	code, back := e.code(q())
	if code == "" || back.Get("state") != "st-1" {
		t.Fatalf("authorize: %v", back)
	}
	r := redeem(code)
	if r.status != 200 || str(r.body["refresh_token"]) == "" {
		t.Fatalf("token: %d %s", r.status, r.raw)
	}
	c := jwtPayload(t, str(r.body["access_token"]))
	if c["idtyp"] != "user" || c["oid"] != e.userID || c["scp"] != "User.ReadWrite.All" || c["appid"] != appID {
		t.Errorf("claims %v, want a delegated token for %s", c, e.userID)
	}
	// A write with it is recorded in the audit log under the user's name
	// (a User Administrator's).
	if a := e.call("Bearer "+e.s.Token(), "POST", "/v1.0/roleManagement/directory/roleAssignments",
		map[string]any{"principalId": e.userID, "roleDefinitionId": roleUserAdmin, "directoryScopeId": "/"}); a.status != 201 {
		t.Fatalf("role assignment: %d %s", a.status, a.raw)
	}
	u := e.call("Bearer "+str(r.body["access_token"]), "PATCH", "/v1.0/users/"+e.userID, map[string]any{"jobTitle": "Restorer"})
	if u.status != 204 {
		t.Fatalf("write as the user: %d %s", u.status, u.raw)
	}
	e.s.Clock().Advance(DefaultAuditLag)
	audits := e.call("Bearer "+e.s.Token(), "GET", "/v1.0/auditLogs/directoryAudits", nil)
	if !strings.Contains(audits.raw, `"userPrincipalName":"adele@`) {
		t.Errorf("audit log does not name the user: %s", audits.raw)
	}
	// Redeemed once.
	if r := redeem(code); r.status != 400 || str(r.body["error"]) != "invalid_grant" || r.aadsts() != 54005 {
		t.Errorf("reused code: %d %s", r.status, r.raw)
	}
	// The refresh token keeps the session (and its public client standing).
	if rf := e.tokenRequest(e.s.TenantID(), url.Values{"grant_type": {"refresh_token"}, "client_id": {appID}, "refresh_token": {str(r.body["refresh_token"])}}); rf.status != 200 {
		t.Errorf("refresh: %d %s", rf.status, rf.raw)
	}
	// A wrong verifier, another redirect URI, a missing verifier: refused.
	for _, c := range []struct {
		mod    []string
		aadsts int
	}{
		{[]string{"code_verifier", strings.Repeat("x", 43)}, 501481},
		{[]string{"redirect_uri", "http://localhost:1234"}, 500112},
		{[]string{"client_id", "00000000-0000-4000-8000-00000000beef"}, 9002313},
	} {
		code, _ := e.code(q())
		if r := redeem(code, c.mod...); r.status != 400 || str(r.body["error"]) != "invalid_grant" || r.aadsts() != c.aadsts {
			t.Errorf("%v: %d %s, want invalid_grant AADSTS%d", c.mod, r.status, r.raw, c.aadsts)
		}
	}
	code, _ = e.code(q())
	if r := redeem(code, "code_verifier", ""); r.status != 400 || str(r.body["error"]) != "invalid_request" {
		t.Errorf("no verifier: %d %s", r.status, r.raw)
	}
	// A code expires after 10 minutes.
	code, _ = e.code(q())
	e.s.Clock().Advance(10*time.Minute + time.Second)
	if r := redeem(code); r.status != 400 || str(r.body["error"]) != "invalid_grant" || r.aadsts() != 70008 {
		t.Errorf("expired code: %d %s", r.status, r.raw)
	}
	// form_post (MSAL's): a page that posts code and state to the redirect URI.
	fp := e.authorize(q("response_mode", "form_post"))
	if fp.status != 200 || !strings.Contains(fp.raw, `action="http://localhost:53117"`) || !strings.Contains(fp.raw, `name="code" value="0.graphsim.`) ||
		!strings.Contains(fp.raw, `name="state" value="st-1"`) {
		t.Errorf("form_post: %d %s", fp.status, fp.raw)
	}
	// An app whose redirect URI is a web one gets no code without a secret.
	web := e.newApp("web app")
	tn := e.s.Tenant()
	tn.mu.Lock()
	tn.appByAppID(web).o()["web"] = map[string]any{"redirectUris": []any{"http://localhost"}}
	tn.mu.Unlock()
	if r := e.authorize(q("client_id", web)); r.status != http.StatusBadRequest || !strings.Contains(r.raw, "AADSTS50011") {
		t.Errorf("web redirect URI: %d %s", r.status, r.raw)
	}
}
