package graphsim

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Interactive browser sign-in: the OAuth 2.0 authorization code flow with
// PKCE as the Microsoft identity platform documents it
// (learn:/entra/identity-platform/v2-oauth2-auth-code-flow), for public
// clients with a loopback redirect URI (MSAL's and azidentity's
// interactive browser sign-in).
//
//	GET|POST /{tenant}/oauth2/v2.0/authorize  client_id, response_type=code, redirect_uri, scope,
//	                                          state, code_challenge, code_challenge_method (S256|plain),
//	                                          response_mode (query|form_post) → the browser is sent to
//	                                          redirect_uri with code and state (or error)
//	POST /{tenant}/oauth2/v2.0/token          grant_type=authorization_code, client_id, code,
//	                                          redirect_uri, code_verifier → the tokens
//
// There is no sign-in page: the authorize endpoint signs in the user that
// `entrasnap graphsim --approve-as UPN` (Server.ApproveDeviceCodesAs) names,
// as the device code flow does; with no such user it sends the browser back
// with access_denied.
//
// What graphsim checks, as Entra does: the client application exists; the
// redirect URI is one of the application's public client (mobile and
// desktop) redirect URIs (publicClient.redirectUris), else AADSTS50011 on a
// page and no redirect; for http loopback URIs (localhost, 127.0.0.1, [::1])
// the port is ignored but scheme, host and path must match
// (learn:/entra/identity-platform/reply-url, "Localhost exceptions");
// response_type is code; an authorization code lives 10 minutes ("typically
// expire after about 10 minutes": AADSTS70008 after), is redeemed once
// (AADSTS54005), only by its client with the same redirect URI (AADSTS500112)
// and the code verifier whose S256 (or plain) transform is the challenge
// (AADSTS501481). Strict readings where the page is silent: a code_challenge
// is required (Entra requires PKCE for SPAs and recommends it for native
// apps; entrasnap always sends one), and a failed redemption spends the code.
// The token is a delegated one like the device code flow's (devicecode.go:
// issueDelegated), without the need for isFallbackPublicClient, since the
// redirect URI is a public client's.

const authCodeLifetime = 10 * time.Minute

// authCode is one authorization code.
type authCode struct {
	clientID, userID, redirectURI string
	challenge, method             string
	scopes                        []string
	expires                       time.Time
	redeemed                      bool
}

// serveAuthorize answers the authorize endpoint.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, tenantSeg string) {
	page := func(status, aadsts int, format string, args ...any) {
		// An error the browser shows: no redirect to a URI not checked.
		msg := fmt.Sprintf("AADSTS%d: %s", aadsts, fmt.Sprintf(format, args...))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>Sign in: error</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p id=\"error\">%s</p></body></html>\n", html.EscapeString(msg))
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		page(http.StatusMethodNotAllowed, 900561, "The endpoint only accepts GET and POST requests. Received a %s request.", r.Method)
		return
	}
	switch strings.ToLower(tenantSeg) {
	case "common", "organizations":
	default:
		if !s.resolveTenant(tenantSeg) {
			page(http.StatusBadRequest, 90002, "Tenant '%s' not found.", tenantSeg)
			return
		}
	}
	if err := r.ParseForm(); err != nil {
		page(http.StatusBadRequest, 900144, "The request is malformed: %v.", err)
		return
	}
	q := r.Form
	clientID, redirect := q.Get("client_id"), q.Get("redirect_uri")
	if clientID == "" {
		page(http.StatusBadRequest, 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	t := s.tenant
	t.mu.RLock()
	app := t.appByAppID(clientID)
	var registered []string
	if app != nil {
		pc, _ := app.get("publicClient").(map[string]any)
		for _, u := range asSlice(pc["redirectUris"]) {
			registered = append(registered, str(u))
		}
	}
	t.mu.RUnlock()
	if app == nil {
		page(http.StatusBadRequest, 700016, "Application with identifier '%s' was not found in the directory '%s'.", clientID, t.name)
		return
	}
	if redirect == "" || !redirectRegistered(redirect, registered) {
		page(http.StatusBadRequest, 50011, "The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.", redirect, clientID)
		return
	}
	mode := q.Get("response_mode")
	if mode == "" {
		mode = "query"
	}
	state := q.Get("state")
	send := func(params url.Values) {
		if state != "" {
			params.Set("state", state)
		}
		if mode == "form_post" {
			// The page a browser submits at once to the redirect URI.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			var b strings.Builder
			fmt.Fprintf(&b, "<!DOCTYPE html><html><head><title>Working...</title></head><body onload=\"document.forms[0].submit()\"><form method=\"POST\" name=\"hiddenform\" action=\"%s\">", html.EscapeString(redirect))
			for _, k := range formKeys(params) {
				fmt.Fprintf(&b, "<input type=\"hidden\" name=\"%s\" value=\"%s\" />", html.EscapeString(k), html.EscapeString(params.Get(k)))
			}
			b.WriteString("<noscript><p>Script is disabled. Click Submit to continue.</p><input type=\"submit\" value=\"Submit\" /></noscript></form></body></html>\n")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(b.String()))
			return
		}
		u, _ := url.Parse(redirect)
		uq := u.Query()
		for k, v := range params {
			uq[k] = v
		}
		u.RawQuery = uq.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	fail := func(code string, aadsts int, format string, args ...any) {
		send(url.Values{"error": {code}, "error_description": {fmt.Sprintf("AADSTS%d: %s", aadsts, fmt.Sprintf(format, args...))}})
	}
	if mode != "query" && mode != "form_post" && mode != "fragment" {
		fail("invalid_request", 900144, "The response_mode '%s' is not supported.", mode)
		return
	}
	if mode == "fragment" {
		mode = "query" // the code goes to a loopback listener, which sees no fragment: strict reading, send it where it can be read
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if method == "" {
		method = "plain" // the documented default
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", 70000, "The response_type '%s' is not supported: this endpoint serves the authorization code flow (response_type=code).", q.Get("response_type"))
		return
	case q.Get("scope") == "":
		fail("invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return
	case challenge == "":
		fail("invalid_request", 9002325, "Proof Key for Code Exchange is required: send code_challenge and code_challenge_method=S256.")
		return
	case method != "S256" && method != "plain":
		fail("invalid_request", 501491, "Invalid code_challenge_method '%s': want S256 or plain.", method)
		return
	}
	if _, _, bad := graphScopes(q.Get("scope"), identityRoot(r)); bad != "" {
		fail("invalid_resource", 500011, "The resource principal named %s was not found in the tenant named %s.", bad, t.name)
		return
	}
	s.deleg.mu.Lock()
	s.deleg.init()
	userID := s.deleg.approveAs
	s.deleg.mu.Unlock()
	if userID == "" {
		fail("access_denied", 50058, "graphsim has no sign-in page: start it with --approve-as UPN (Server.ApproveDeviceCodesAs) to sign in as that user.")
		return
	}
	code := "0.graphsim." + randomCode(96, secretAlphabet)
	s.deleg.mu.Lock()
	if s.deleg.codes == nil {
		s.deleg.codes = map[string]*authCode{}
	}
	s.deleg.codes[code] = &authCode{clientID: clientID, userID: userID, redirectURI: redirect, challenge: challenge, method: method,
		scopes: strings.Fields(q.Get("scope")), expires: s.clock.Now().Add(authCodeLifetime)}
	s.deleg.mu.Unlock()
	send(url.Values{"code": {code}, "session_state": {newRequestID()}})
}

// redirectRegistered reports whether redirect is one of registered: equal,
// or both http loopback URIs that differ only in port.
func redirectRegistered(redirect string, registered []string) bool {
	ru, err := url.Parse(redirect)
	if err != nil || ru.Fragment != "" {
		return false
	}
	for _, reg := range registered {
		if reg == redirect {
			return true
		}
		gu, err := url.Parse(reg)
		if err != nil || ru.Scheme != "http" || gu.Scheme != "http" || !isLoopbackHost(ru.Hostname()) {
			continue
		}
		if strings.EqualFold(ru.Hostname(), gu.Hostname()) && samePath(ru.Path, gu.Path) && ru.RawQuery == gu.RawQuery {
			return true
		}
	}
	return false
}

func isLoopbackHost(h string) bool {
	return strings.EqualFold(h, "localhost") || h == "127.0.0.1" || h == "::1"
}

func samePath(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

func formKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// serveAuthCodeToken answers the token endpoint for the authorization code
// grant (serveToken hands it over).
func (s *Server) serveAuthCodeToken(w http.ResponseWriter, r *http.Request, form url.Values, clientID string) {
	fail := func(code string, aadsts int, format string, args ...any) {
		s.identityError(w, r, http.StatusBadRequest, code, aadsts, fmt.Sprintf(format, args...))
	}
	for _, p := range []string{"client_id", "code", "redirect_uri", "code_verifier"} {
		if (p == "client_id" && clientID == "") || (p != "client_id" && form.Get(p) == "") {
			fail("invalid_request", 900144, "The request body must contain the following parameter: '%s'.", p)
			return
		}
	}
	now := s.clock.Now()
	d := &s.deleg
	d.mu.Lock()
	c := d.codes[form.Get("code")]
	var err func()
	switch {
	case c == nil || !strings.EqualFold(c.clientID, clientID):
		err = func() {
			fail("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid: the authorization code is not valid.")
		}
	case c.redeemed:
		err = func() {
			fail("invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
		}
	case !now.Before(c.expires):
		err = func() {
			fail("invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
		}
	case form.Get("redirect_uri") != c.redirectURI:
		err = func() {
			fail("invalid_grant", 500112, "The reply address '%s' does not match the reply address '%s' provided when requesting Authorization code.", form.Get("redirect_uri"), c.redirectURI)
		}
	case !pkceMatches(form.Get("code_verifier"), c.challenge, c.method):
		err = func() {
			fail("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
		}
	}
	if c != nil && strings.EqualFold(c.clientID, clientID) {
		c.redeemed = true // one try (strict reading)
	}
	d.mu.Unlock()
	if err != nil {
		err()
		return
	}
	s.issueDelegated(w, r, clientID, c.userID, c.scopes, now, true)
}

// pkceMatches checks a code verifier against the challenge (RFC 7636 4.6).
func pkceMatches(verifier, challenge, method string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		return base64.RawURLEncoding.EncodeToString(sum[:]) == challenge
	}
	return verifier == challenge
}
