package graphsim

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/graphsim/perms"
)

// Identity: the Microsoft identity platform's client credentials flow as
// graphsim serves it, and the checks every Graph call goes through.
//
//	POST /{tenant}/oauth2/v2.0/token                   client_credentials with client_secret
//	                                                   (form or HTTP Basic) or client_assertion
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	GET  /{tenant}/.well-known/openid-configuration    (v1 form, same answer)
//	GET  /common/discovery/instance                    MSAL's instance discovery
//	GET  /{tenant}/discovery/v2.0/keys                 an empty key set: access tokens are HS256
//
// {tenant} is the tenant id or one of its domains. An access token is a JWT
// signed HS256 with a key derived from the server's own token (so tokens do
// not survive a restart), carrying aud https://graph.microsoft.com, iss
// https://sts.windows.net/{tid}/, tid, appid, oid and roles: the values of
// Microsoft Graph's appRoles assigned to the client's service principal when
// the token was issued, as Graph evaluates them.

const (
	tokenLifetime   = 3599 * time.Second
	graphAudience   = "https://graph.microsoft.com"
	jwtBearerType   = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	assertionSkew   = 5 * time.Minute
	msgTokenExpired = "Lifetime validation failed, the token is expired."
)

// ---- Graph side: authenticate and authorize ----

// unauthorized is Graph's 401 with its WWW-Authenticate challenge.
func unauthorized(msg string) *apiError {
	e := errf(http.StatusUnauthorized, "InvalidAuthenticationToken", "%s", msg)
	e.Header = http.Header{"Www-Authenticate": {`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="` + graphAppID + `"`}}
	return e
}

// authenticate maps an Authorization header to a principal: the server's own
// tokens (Token) or an access token from graphsim's token endpoint.
func (s *Server) authenticate(h string) (*principal, *apiError) {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "bearer ")
	}
	tok = strings.TrimSpace(tok)
	if !ok || tok == "" {
		return nil, unauthorized("Access token is empty.")
	}
	s.mu.Lock()
	p := s.tokens[tok]
	c, isOpaque := s.opaque[tok]
	s.mu.Unlock()
	if p != nil {
		return p, nil
	}
	if isOpaque {
		return s.principalOf(c)
	}
	return s.validateAccessToken(tok)
}

// accessClaims are the claims graphsim puts in, and reads from, an access token.
type accessClaims struct {
	Aud            string   `json:"aud"`
	Iss            string   `json:"iss"`
	Iat            int64    `json:"iat"`
	Nbf            int64    `json:"nbf"`
	Exp            int64    `json:"exp"`
	AppDisplayName string   `json:"app_displayname,omitempty"`
	AppID          string   `json:"appid"`
	AppIDAcr       string   `json:"appidacr"`
	Idp            string   `json:"idp"`
	IdTyp          string   `json:"idtyp"`
	Oid            string   `json:"oid"`
	Roles          []string `json:"roles,omitempty"`
	Scp            string   `json:"scp,omitempty"`  // delegated: the granted scopes
	Upn            string   `json:"upn,omitempty"`  // delegated: the user's userPrincipalName
	Name           string   `json:"name,omitempty"` // delegated: the user's displayName
	Wids           []string `json:"wids,omitempty"` // delegated: tenant-wide built-in role template ids (delegated.go wids)
	Sub            string   `json:"sub"`
	Tid            string   `json:"tid"`
	Uti            string   `json:"uti"`
	Ver            string   `json:"ver"`
}

// tokenKey is the HMAC key of access tokens, derived from the server's own
// token, which is random per Server.
func (s *Server) tokenKey() []byte {
	h := sha256.Sum256([]byte("graphsim access token key\x00" + s.godToken))
	return h[:]
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// decodeSegment decodes one JWT segment, tolerating padding.
func decodeSegment(seg string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
}

func (s *Server) signAccessToken(c accessClaims) string {
	if s.opts.OpaqueTokens {
		// An opaque token: a random string graphsim maps to the claims it
		// stands for; expired ones are forgotten as new ones are issued.
		tok := "graphsim-opaque-" + randomCode(64, secretAlphabet[:62]) // letters and digits: never three dot-separated parts
		now := s.clock.Now().Unix()
		s.mu.Lock()
		if s.opaque == nil {
			s.opaque = map[string]accessClaims{}
		}
		for k, old := range s.opaque {
			if old.Exp <= now {
				delete(s.opaque, k)
			}
		}
		s.opaque[tok] = c
		s.mu.Unlock()
		return tok
	}
	head, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "HS256", "kid": "graphsim"})
	body, _ := json.Marshal(c)
	signing := b64url(head) + "." + b64url(body)
	mac := hmac.New(sha256.New, s.tokenKey())
	mac.Write([]byte(signing))
	return signing + "." + b64url(mac.Sum(nil))
}

func (s *Server) validateAccessToken(tok string) (*principal, *apiError) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, unauthorized("CompactToken parsing failed with error code: 80049217")
	}
	var head struct {
		Alg string `json:"alg"`
	}
	hb, err1 := decodeSegment(parts[0])
	pb, err2 := decodeSegment(parts[1])
	sig, err3 := decodeSegment(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &head) != nil {
		return nil, unauthorized("CompactToken parsing failed with error code: 80049217")
	}
	mac := hmac.New(sha256.New, s.tokenKey())
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if head.Alg != "HS256" || !hmac.Equal(sig, mac.Sum(nil)) {
		return nil, unauthorized("Access token validation failure.")
	}
	var c accessClaims
	if err := json.Unmarshal(pb, &c); err != nil {
		return nil, unauthorized("Access token validation failure.")
	}
	return s.principalOf(c)
}

// principalOf checks an access token's claims (audience, tenant, lifetime)
// and maps them to a principal.
func (s *Server) principalOf(c accessClaims) (*principal, *apiError) {
	switch strings.TrimSuffix(c.Aud, "/") {
	case graphAudience, graphAppID:
	default:
		return nil, unauthorized("Access token validation failure. Invalid audience.")
	}
	if !strings.EqualFold(c.Tid, s.tenant.id) {
		return nil, unauthorized("Access token validation failure. Invalid issuer.")
	}
	now := s.clock.Now()
	if !now.Before(time.Unix(c.Exp, 0)) {
		return nil, unauthorized(msgTokenExpired)
	}
	if now.Add(assertionSkew).Before(time.Unix(c.Nbf, 0)) {
		return nil, unauthorized("Lifetime validation failed, the token is not yet valid.")
	}
	p := &principal{appID: c.AppID, roles: map[string]bool{}}
	for _, r := range c.Roles {
		p.roles[r] = true
	}
	if c.IdTyp == "user" {
		p.userID, p.scopes = c.Oid, map[string]bool{}
		for _, sc := range strings.Fields(c.Scp) {
			p.scopes[sc] = true
		}
	}
	return p, nil
}

// authorize checks the principal's application permissions for the request
// against Graph's permission table (graphsim/perms): any one of the listed
// permissions grants the call. A call the table does not know is allowed only
// to the server's own token.
func (s *Server) authorize(req *request) *apiError {
	p := req.principal
	if p == nil {
		return unauthorized("Access token is empty.")
	}
	if p.all {
		return nil
	}
	if read := csaOnlyPatch(req); read != nil { // user_csa.go: the examples page's pair of permissions
		return s.authorizeCSAPatch(req, read)
	}
	if p.userID != "" {
		return s.authorizeDelegated(req) // delegated.go
	}
	anyOf, known := perms.Required(req.method, permPath(req.method, "/"+req.path)) // permPath: assign.go
	if !known || !p.has(anyOf) {
		return denied()
	}
	return nil
}

// ---- identity platform side ----

// serveIdentity answers the token endpoint and OpenID metadata.
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	p := r.URL.Path
	segs := strings.Split(strings.Trim(p, "/"), "/")
	tenant := segs[0]
	rest := strings.Join(segs[1:], "/")
	switch {
	case rest == "oauth2/v2.0/token":
		s.serveToken(w, r, tenant)
	case rest == "oauth2/v2.0/devicecode":
		s.serveDeviceCode(w, r, tenant) // devicecode.go
	case rest == "oauth2/v2.0/authorize":
		s.serveAuthorize(w, r, tenant) // authcode.go
	case rest == "v2.0/.well-known/openid-configuration" || rest == ".well-known/openid-configuration":
		if r.Method != http.MethodGet {
			s.identityError(w, r, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts GET requests.")
			return
		}
		s.serveOpenIDConfig(w, r, tenant, rest != ".well-known/openid-configuration")
	case rest == "discovery/instance" || rest == "discovery/v2.0/instance":
		s.serveInstanceDiscovery(w, r)
	case rest == "discovery/v2.0/keys" || rest == "discovery/keys":
		writeIdentityJSON(w, http.StatusOK, map[string]any{"keys": []any{}})
	default:
		s.identityError(w, r, http.StatusNotFound, "invalid_request", 900144, fmt.Sprintf("The endpoint '%s' is not served by graphsim.", p))
	}
}

func identityRoot(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func writeIdentityJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// identityError writes the identity platform's error JSON. desc must never
// contain a secret or an assertion.
func (s *Server) identityError(w http.ResponseWriter, r *http.Request, status int, code string, aadsts int, desc string) {
	now := s.clock.Now()
	trace := newRequestID()
	corr := r.Header.Get("client-request-id")
	if corr == "" {
		corr = newRequestID()
	}
	writeIdentityJSON(w, status, map[string]any{
		"error": code,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			aadsts, desc, trace, corr, now.Format("2006-01-02 15:04:05Z")),
		"error_codes":    []int{aadsts},
		"timestamp":      now.Format("2006-01-02 15:04:05Z"),
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts),
	})
}

// resolveTenant reports whether seg names this tenant: its id, initial domain
// or one of its domains.
func (s *Server) resolveTenant(seg string) bool {
	t := s.tenant
	if seg == "" {
		return false
	}
	if strings.EqualFold(seg, t.id) || strings.EqualFold(seg, t.domain) {
		return true
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return s.resolveTenantLocked(seg)
}

// resolveTenantLocked is resolveTenant for callers that hold t.mu.
func (s *Server) resolveTenantLocked(seg string) bool {
	t := s.tenant
	if strings.EqualFold(seg, t.id) || strings.EqualFold(seg, t.domain) {
		return true
	}
	return seg != "" && t.colls["domain"].byKey[strings.ToLower(seg)] != nil
}

func (s *Server) tenantNotFound(w http.ResponseWriter, r *http.Request, seg string) {
	s.identityError(w, r, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf(
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", seg))
}

func (s *Server) serveOpenIDConfig(w http.ResponseWriter, r *http.Request, tenant string, v2 bool) {
	tid := s.tenant.id
	switch strings.ToLower(tenant) {
	case "common", "organizations":
		tid = "{tenant}"
	default:
		if !s.resolveTenant(tenant) {
			s.tenantNotFound(w, r, tenant)
			return
		}
	}
	root := identityRoot(r)
	base := root + "/" + tid
	issuer := base + "/v2.0"
	tokenEndpoint := base + "/oauth2/v2.0/token"
	authz := base + "/oauth2/v2.0/authorize"
	if tid == "{tenant}" {
		tokenEndpoint = root + "/" + tenant + "/oauth2/v2.0/token"
		authz = root + "/" + tenant + "/oauth2/v2.0/authorize"
	}
	if !v2 {
		issuer = "https://sts.windows.net/" + tid + "/"
	}
	writeIdentityJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        tokenEndpoint,
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                issuer,
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     "https://graph.microsoft.com/oidc/userinfo",
		"authorization_endpoint":                authz,
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"claims_supported": []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
			"cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce",
			"preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		"kerberos_endpoint":     base + "/kerberos",
		"tenant_region_scope":   "EU",
		"cloud_instance_name":   "microsoftonline.com",
		"cloud_graph_host_name": "graph.windows.net",
		"msgraph_host":          "graph.microsoft.com",
		"rbac_url":              "https://pas.windows.net",
	})
}

// serveInstanceDiscovery answers MSAL's instance discovery with graphsim's
// own host as the only alias.
func (s *Server) serveInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	root := identityRoot(r)
	tenant := "common"
	if ae := r.URL.Query().Get("authorization_endpoint"); ae != "" {
		if u, err := url.Parse(ae); err == nil {
			if segs := strings.Split(strings.Trim(u.Path, "/"), "/"); segs[0] != "" {
				tenant = segs[0]
			}
		}
	}
	writeIdentityJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": root + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": r.Host,
			"preferred_cache":   r.Host,
			"aliases":           []string{r.Host},
		}},
	})
}

// serveToken answers POST /{tenant}/oauth2/v2.0/token for the client
// credentials grant.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, tenantSeg string) {
	fail := func(status int, code string, aadsts int, format string, args ...any) {
		s.identityError(w, r, status, code, aadsts, fmt.Sprintf(format, args...))
	}
	raw, ok := s.identityPost(w, r, tenantSeg)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil || !strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded") {
		fail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	clientID := form.Get("client_id")
	secret := form.Get("client_secret")
	if u, pw, ok := r.BasicAuth(); ok {
		u, _ = url.QueryUnescape(u)
		pw, _ = url.QueryUnescape(pw)
		if clientID == "" {
			clientID = u
		}
		if secret == "" {
			secret = pw
		}
	}
	grant := form.Get("grant_type")
	if grant == deviceCodeGrant || grant == "device_code" || grant == "refresh_token" {
		s.serveDelegatedToken(w, r, form, clientID, grant) // devicecode.go
		return
	}
	if grant == "authorization_code" {
		s.serveAuthCodeToken(w, r, form, clientID) // authcode.go
		return
	}
	switch {
	case grant == "":
		fail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	case grant != "client_credentials":
		fail(http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'. graphsim serves client_credentials, urn:ietf:params:oauth:grant-type:device_code, authorization_code and refresh_token.", grant)
		return
	case clientID == "":
		fail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	case form.Get("scope") == "":
		fail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return
	}
	if bad, resource := checkScope(form.Get("scope"), identityRoot(r)); bad != "" {
		if resource {
			fail(http.StatusBadRequest, "invalid_resource", 500011, "The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", bad, s.tenant.name)
		} else {
			fail(http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", bad)
		}
		return
	}

	t := s.tenant
	now := s.clock.Now()
	t.mu.RLock()
	defer t.mu.RUnlock()
	app := t.appByAppID(clientID)
	if app == nil {
		fail(http.StatusBadRequest, "invalid_client", 700016, "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, t.name)
		return
	}
	sp := t.spByAppID(clientID)
	if sp == nil {
		fail(http.StatusBadRequest, "invalid_client", 7000229, "The client application %s is missing service principal in the tenant %s.", clientID, t.id)
		return
	}
	if enabled, ok := sp.get("accountEnabled").(bool); ok && !enabled {
		fail(http.StatusBadRequest, "unauthorized_client", 7000112, "Application '%s'(%s) is disabled.", clientID, str(app.get("displayName")))
		return
	}
	acr := "1"
	switch assertion := form.Get("client_assertion"); {
	case assertion != "":
		if typ := form.Get("client_assertion_type"); typ != jwtBearerType {
			fail(http.StatusBadRequest, "invalid_request", 700025, "The client_assertion_type must be '%s'.", jwtBearerType)
			return
		}
		if code, desc := s.checkAssertion(r, assertion, clientID, app, now); code != 0 {
			fail(http.StatusUnauthorized, "invalid_client", code, "%s", desc)
			return
		}
		acr = "2"
	case secret != "":
		ok, expired := t.checkSecret(clientID, secret, now)
		if expired && !ok {
			fail(http.StatusUnauthorized, "invalid_client", 7000222, "The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app.", clientID)
			return
		}
		if !ok {
			fail(http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID)
			return
		}
	default:
		fail(http.StatusUnauthorized, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
		return
	}
	iss := "https://sts.windows.net/" + t.id + "/"
	claims := accessClaims{
		Aud: graphAudience, Iss: iss, Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(tokenLifetime).Unix(),
		AppDisplayName: str(app.get("displayName")), AppID: str(app.get("appId")), AppIDAcr: acr,
		Idp: iss, IdTyp: "app", Oid: sp.key(), Sub: sp.key(), Tid: t.id, Roles: t.grantedRoles(sp),
		Uti: b64url([]byte(newRequestID()))[:22], Ver: "1.0",
	}
	writeIdentityJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     int(tokenLifetime / time.Second),
		"ext_expires_in": int(tokenLifetime / time.Second),
		"access_token":   s.signAccessToken(claims),
	})
}

// checkScope validates a client credentials scope: Graph's /.default, by its
// URI, its appId or graphsim's own URL. It returns the offending value and
// whether it names an unknown resource (rather than a malformed scope).
func checkScope(scope, root string) (bad string, resource bool) {
	seen := false
	for _, sc := range strings.Fields(scope) {
		switch strings.ToLower(sc) {
		case "openid", "profile", "offline_access", "email":
			continue
		}
		res, ok := strings.CutSuffix(sc, "/.default")
		if !ok {
			return sc, false
		}
		res = strings.TrimRight(res, "/")
		if !strings.EqualFold(res, graphAudience) && !strings.EqualFold(res, graphAppID) && !strings.EqualFold(res, root) {
			return res, true
		}
		seen = true
	}
	if !seen {
		return scope, false
	}
	return "", false
}

// checkAssertion validates a client assertion for app: a JWT signed RS256 or
// PS256 by a certificate registered on the application (chosen by its x5t or
// x5t#S256 header), iss and sub the client id, aud the token endpoint, and a
// validity that includes now. It returns 0 or an AADSTS code with a
// description that never repeats the assertion.
func (s *Server) checkAssertion(r *http.Request, assertion, clientID string, app *record, now time.Time) (int, string) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return 50027, "JWT token is invalid or malformed."
	}
	hb, err1 := decodeSegment(parts[0])
	pb, err2 := decodeSegment(parts[1])
	sig, err3 := decodeSegment(parts[2])
	var head struct {
		Alg     string `json:"alg"`
		X5t     string `json:"x5t"`
		X5tS256 string `json:"x5t#S256"`
	}
	var claims struct {
		Aud any             `json:"aud"`
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Exp json.Number     `json:"exp"`
		Nbf json.Number     `json:"nbf"`
		Jti json.RawMessage `json:"jti"`
	}
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &head) != nil || json.Unmarshal(pb, &claims) != nil {
		return 50027, "JWT token is invalid or malformed."
	}
	if head.Alg != "RS256" && head.Alg != "PS256" {
		return 5002738, fmt.Sprintf("Invalid JWT token. '%s' is not a supported signature algorithm. Supported signing algorithms are: 'RS256, PS256'.", head.Alg)
	}
	var want []byte
	useSHA256 := false
	switch {
	case head.X5tS256 != "":
		want, useSHA256 = decodeThumbprint(head.X5tS256), true
	case head.X5t != "":
		want = decodeThumbprint(head.X5t)
	}
	if want == nil {
		return 700027, "Client assertion failed signature validation. [Reason - The x5t or x5t#S256 header is missing.]"
	}
	var match *clientCert
	for _, c := range s.tenant.certsOf(app, now) {
		tp1, tp256 := thumbprints(c.cert.Raw)
		tp := tp1
		if useSHA256 {
			tp = tp256
		}
		if subtle.ConstantTimeCompare(tp, want) == 1 {
			match = &c
			break
		}
	}
	if match == nil {
		return 700027, fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]",
			strings.ToUpper(hex.EncodeToString(want)), clientID)
	}
	if match.expired {
		return 700027, "Client assertion failed signature validation. [Reason - The key used is expired.]"
	}
	pub, ok := match.cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return 700027, "Client assertion failed signature validation. [Reason - The key is not an RSA key.]"
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	var verr error
	if head.Alg == "RS256" {
		verr = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	} else {
		verr = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	}
	if verr != nil {
		return 700027, "Client assertion failed signature validation."
	}
	if claims.Iss != clientID || claims.Sub != clientID {
		return 700021, "Client assertion application identifier doesn't match 'client_id' parameter."
	}
	if !s.audienceIsTokenEndpoint(r, claims.Aud) {
		return 700016, "Client assertion audience claim does not match the token endpoint."
	}
	exp, err := claims.Exp.Int64()
	if err != nil {
		return 700024, "Client assertion is not within its valid time range. [Reason - The 'exp' claim is missing.]"
	}
	nbf, _ := claims.Nbf.Int64()
	if !now.Before(time.Unix(exp, 0)) || now.Add(assertionSkew).Before(time.Unix(nbf, 0)) {
		return 700024, fmt.Sprintf("Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s.",
			now.Format(time.RFC3339), time.Unix(nbf, 0).UTC().Format(time.RFC3339), time.Unix(exp, 0).UTC().Format(time.RFC3339))
	}
	return 0, ""
}

// decodeThumbprint reads an x5t value: base64url per RFC 7515, though MSAL
// sends standard base64.
func decodeThumbprint(v string) []byte {
	v = strings.TrimRight(v, "=")
	if b, err := base64.RawURLEncoding.DecodeString(v); err == nil {
		return b
	}
	if b, err := base64.RawStdEncoding.DecodeString(v); err == nil {
		return b
	}
	return nil
}

// audienceIsTokenEndpoint accepts the token endpoint of this tenant at
// graphsim's host or at Entra's own hosts, by tenant id or domain. Callers
// hold t.mu.
func (s *Server) audienceIsTokenEndpoint(r *http.Request, aud any) bool {
	var auds []string
	switch a := aud.(type) {
	case string:
		auds = []string{a}
	case []any:
		for _, x := range a {
			auds = append(auds, str(x))
		}
	}
	for _, a := range auds {
		u, err := url.Parse(a)
		if err != nil {
			continue
		}
		switch strings.ToLower(u.Host) {
		case strings.ToLower(r.Host), "login.microsoftonline.com", "login.windows.net", "sts.windows.net":
		default:
			continue
		}
		segs := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(segs) < 2 || !s.resolveTenantLocked(segs[0]) {
			continue
		}
		switch strings.Join(segs[1:], "/") {
		case "oauth2/v2.0/token", "oauth2/token":
			return true
		}
	}
	return false
}

// identityPost answers what every token endpoint refuses first (a method
// other than POST, an unknown tenant) and reads the request body (at most
// 1 MB); ok is false when it has answered.
func (s *Server) identityPost(w http.ResponseWriter, r *http.Request, tenantSeg string) (raw []byte, ok bool) {
	if r.Method != http.MethodPost {
		s.identityError(w, r, http.StatusMethodNotAllowed, "invalid_request", 900561,
			fmt.Sprintf("The endpoint only accepts POST, OPTIONS requests. Received a %s request.", r.Method))
		return nil, false
	}
	if !s.resolveTenant(tenantSeg) {
		s.tenantNotFound(w, r, tenantSeg)
		return nil, false
	}
	raw, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
	return raw, true
}
