package graphsim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Delegated sign-in: the OAuth 2.0 device authorization grant as the
// Microsoft identity platform documents it
// (learn:/entra/identity-platform/v2-oauth2-device-code), and the refresh
// token grant that keeps such a session going.
//
//	POST /{tenant}/oauth2/v2.0/devicecode   client_id, scope → user_code, device_code,
//	                                        verification_uri, expires_in (900), interval (5), message
//	POST /{tenant}/oauth2/v2.0/token        grant_type=urn:ietf:params:oauth:grant-type:device_code,
//	                                        client_id, device_code → authorization_pending until a
//	                                        user approves, authorization_declined, bad_verification_code,
//	                                        expired_token (after expires_in), or the tokens
//	POST /{tenant}/oauth2/v2.0/token        grant_type=refresh_token
//
// There is no sign-in page to type a password into: a test (or the person
// running `entrasnap graphsim --approve-as alice@…`) approves a code as a
// user of the tenant with Server.ApproveDeviceCode, POST
// /_graphsim/devicelogin {"user_code": …, "user": …}, or ApproveDeviceCodesAs.
//
// What graphsim checks, as Entra does: the client application exists and
// allows public client flows (isFallbackPublicClient, else AADSTS7000218:
// a confidential client must authenticate); the user exists and is enabled
// when approving and when redeeming; the requested Microsoft Graph scopes are
// consented for the client (oauth2PermissionGrants from the client's service
// principal to Graph's, AllPrincipals or for this user; AADSTS65001 when a
// scope is not). "/.default" asks for every consented scope. The access
// token is a delegated one: idtyp "user", oid the user's id, scp the granted
// scopes (space-separated), appid the client; authorize then checks the
// user's own directory roles (delegated.go).

const (
	deviceCodeGrant    = "urn:ietf:params:oauth:grant-type:device_code"
	deviceCodeLifetime = 15 * time.Minute
	deviceCodeInterval = 5 // seconds
	refreshLifetime    = 90 * 24 * time.Hour
)

// deviceAuth is one device code.
type deviceAuth struct {
	deviceCode, userCode string
	clientID             string   // appId
	scopes               []string // the scope parameter, split
	expires              time.Time
	userID               string // approved as this user ("": pending)
	declined, redeemed   bool
}

// refreshGrant is what a refresh token stands for.
type refreshGrant struct {
	clientID, userID string
	scopes           []string
	expires          time.Time
	// public: signed in through a public client redirect URI (authcode.go),
	// which needs no isFallbackPublicClient.
	public bool
}

// delegState holds device codes and refresh tokens (never saved: like
// access tokens they do not survive a restart).
type delegState struct {
	mu        sync.Mutex
	byDevice  map[string]*deviceAuth
	byUser    map[string]*deviceAuth // upper-case user code
	refresh   map[string]*refreshGrant
	codes     map[string]*authCode // authorization codes (authcode.go)
	approveAs string               // user id every new code is approved as, and the browser sign-in's user ("": none)
}

func (d *delegState) init() {
	if d.byDevice == nil {
		d.byDevice = map[string]*deviceAuth{}
		d.byUser = map[string]*deviceAuth{}
		d.refresh = map[string]*refreshGrant{}
	}
}

// userCodeAlphabet leaves out letters and digits that read alike.
const userCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func randomCode(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("graphsim: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// findUser resolves a user by id or userPrincipalName. Callers hold t.mu.
func (t *Tenant) findUser(user string) *record {
	c := t.colls["user"]
	if c == nil {
		return nil
	}
	r := c.byKey[strings.ToLower(user)]
	if r == nil {
		r = c.unique["userPrincipalName"][strings.ToLower(user)]
	}
	if r == nil || r.gone {
		return nil
	}
	return r
}

// userForApproval checks that user names an enabled user and returns its id.
func (s *Server) userForApproval(user string) (string, error) {
	t := s.tenant
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := t.findUser(strings.TrimSpace(user))
	if u == nil {
		return "", fmt.Errorf("graphsim: no user %q in the tenant (give a userPrincipalName or an id)", user)
	}
	if enabled, ok := u.get("accountEnabled").(bool); ok && !enabled {
		return "", fmt.Errorf("graphsim: user %s is disabled (accountEnabled false) and cannot sign in", str(u.get("userPrincipalName")))
	}
	return u.key(), nil
}

// ApproveDeviceCode completes the sign-in of the device code whose user code
// is userCode as user (a userPrincipalName or an id): the client's next poll
// receives tokens for that user.
func (s *Server) ApproveDeviceCode(userCode, user string) error {
	id, err := s.userForApproval(user)
	if err != nil {
		return err
	}
	d := &s.deleg
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	a := d.byUser[strings.ToUpper(strings.TrimSpace(userCode))]
	switch {
	case a == nil:
		return fmt.Errorf("graphsim: no device code with user code %q", userCode)
	case !s.clock.Now().Before(a.expires):
		return fmt.Errorf("graphsim: user code %q has expired", userCode)
	case a.redeemed || a.declined || a.userID != "":
		return fmt.Errorf("graphsim: user code %q was already used", userCode)
	}
	a.userID = id
	return nil
}

// DeclineDeviceCode answers the device code whose user code is userCode as a
// user who chose not to sign in: the client's next poll gets
// authorization_declined.
func (s *Server) DeclineDeviceCode(userCode string) error {
	d := &s.deleg
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	a := d.byUser[strings.ToUpper(strings.TrimSpace(userCode))]
	if a == nil || a.redeemed || a.userID != "" {
		return fmt.Errorf("graphsim: no pending device code with user code %q", userCode)
	}
	a.declined = true
	return nil
}

// ApproveDeviceCodesAs approves every device code issued from now on as user
// (`entrasnap graphsim --approve-as`); "" stops doing so.
func (s *Server) ApproveDeviceCodesAs(user string) error {
	id := ""
	if user != "" {
		var err error
		if id, err = s.userForApproval(user); err != nil {
			return err
		}
	}
	s.deleg.mu.Lock()
	s.deleg.approveAs = id
	s.deleg.mu.Unlock()
	return nil
}

// GrantDelegated consents, for every user (consentType AllPrincipals), the
// Microsoft Graph delegated permissions scopes to the client application
// with appId clientAppID, as an admin consent does: it creates the
// oauth2PermissionGrant from the client's service principal to Graph's, or
// adds the scopes to the existing one.
func (t *Tenant) GrantDelegated(clientAppID string, scopes ...string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	client, graph, err := t.clientAndGraphSPs(clientAppID)
	if err != nil {
		return err
	}
	for _, g := range t.colls["oAuth2PermissionGrant"].live() {
		if strings.EqualFold(str(g.get("clientId")), client.key()) && strings.EqualFold(str(g.get("resourceId")), graph.key()) &&
			str(g.get("consentType")) == "AllPrincipals" {
			have := strings.Fields(str(g.get("scope")))
			for _, sc := range scopes {
				if !containsFold(have, sc) {
					have = append(have, sc)
				}
			}
			g.o()["scope"] = strings.Join(have, " ")
			t.logChange(change{Kind: g.kind.Name, ID: g.key(), Op: "upsert", Props: []string{"scope"}})
			return nil
		}
	}
	rnd := make([]byte, 16)
	for i := range rnd {
		rnd[i] = byte(t.rng.Uint32())
	}
	r := t.insert(kindByName["oAuth2PermissionGrant"], map[string]any{
		"id":          b64id(guidLE(client.key()), rnd),
		"clientId":    client.key(),
		"consentType": "AllPrincipals",
		"principalId": nil,
		"resourceId":  graph.key(),
		"scope":       strings.Join(scopes, " "),
	})
	r.visibleAt = time.Time{}
	return nil
}

// consentedScopes returns the Graph scopes consented for client sp and user
// userID, sorted. Callers hold t.mu.
func (t *Tenant) consentedScopes(sp *record, userID string) []string {
	graph := t.spByAppID(graphAppID)
	if graph == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, g := range t.colls["oAuth2PermissionGrant"].live() {
		if g.gone || !strings.EqualFold(str(g.get("clientId")), sp.key()) || !strings.EqualFold(str(g.get("resourceId")), graph.key()) {
			continue
		}
		switch str(g.get("consentType")) {
		case "AllPrincipals":
		case "Principal":
			if !strings.EqualFold(str(g.get("principalId")), userID) {
				continue
			}
		default:
			continue
		}
		for _, sc := range strings.Fields(str(g.get("scope"))) {
			if k := strings.ToLower(sc); !seen[k] {
				seen[k] = true
				out = append(out, sc)
			}
		}
	}
	sort.Strings(out)
	return out
}

// oidcScopes are the OpenID Connect scopes, which name no Graph permission.
var oidcScopes = map[string]bool{"openid": true, "profile": true, "offline_access": true, "email": true}

// graphScopes splits a delegated scope parameter into Graph permissions:
// "User.Read", "https://graph.microsoft.com/User.Read", ".default" for
// "<resource>/.default". It returns the offending value when a scope names
// another resource.
func graphScopes(scope, root string) (perms []string, all bool, bad string) {
	for _, sc := range strings.Fields(scope) {
		if oidcScopes[strings.ToLower(sc)] {
			continue
		}
		name := sc
		if i := strings.LastIndexByte(sc, '/'); i >= 0 {
			res := strings.TrimRight(sc[:i], "/")
			if !strings.EqualFold(res, graphAudience) && !strings.EqualFold(res, graphAppID) && !strings.EqualFold(res, root) {
				return nil, false, res
			}
			name = sc[i+1:]
		}
		if name == ".default" {
			all = true
			continue
		}
		perms = append(perms, name)
	}
	return perms, all, ""
}

// serveDeviceCode answers POST /{tenant}/oauth2/v2.0/devicecode.
func (s *Server) serveDeviceCode(w http.ResponseWriter, r *http.Request, tenantSeg string) {
	fail := func(status int, code string, aadsts int, format string, args ...any) {
		s.identityError(w, r, status, code, aadsts, fmt.Sprintf(format, args...))
	}
	raw, ok := s.identityPost(w, r, tenantSeg)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		fail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	clientID, scope := form.Get("client_id"), form.Get("scope")
	switch {
	case clientID == "":
		fail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	case scope == "":
		fail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return
	}
	if _, _, bad := graphScopes(scope, identityRoot(r)); bad != "" {
		fail(http.StatusBadRequest, "invalid_resource", 500011, "The resource principal named %s was not found in the tenant named %s.", bad, s.tenant.name)
		return
	}
	t := s.tenant
	t.mu.RLock()
	app := t.appByAppID(clientID)
	t.mu.RUnlock()
	if app == nil {
		fail(http.StatusBadRequest, "invalid_client", 700016, "Application with identifier '%s' was not found in the directory '%s'.", clientID, t.name)
		return
	}
	now := s.clock.Now()
	a := &deviceAuth{
		deviceCode: "DAQABIQEAAAD" + randomCode(120, secretAlphabet),
		userCode:   randomCode(9, userCodeAlphabet),
		clientID:   clientID,
		scopes:     strings.Fields(scope),
		expires:    now.Add(deviceCodeLifetime),
	}
	d := &s.deleg
	d.mu.Lock()
	d.init()
	a.userID = d.approveAs
	d.byDevice[a.deviceCode] = a
	d.byUser[a.userCode] = a
	d.mu.Unlock()
	verify := identityRoot(r) + "/_graphsim/devicelogin"
	writeIdentityJSON(w, http.StatusOK, map[string]any{
		"user_code":        a.userCode,
		"device_code":      a.deviceCode,
		"verification_uri": verify,
		"expires_in":       int(deviceCodeLifetime / time.Second),
		"interval":         deviceCodeInterval,
		"message":          fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", verify, a.userCode),
	})
}

// serveDelegatedToken answers the token endpoint for the device code and
// refresh token grants (serveToken hands them over).
func (s *Server) serveDelegatedToken(w http.ResponseWriter, r *http.Request, form url.Values, clientID, grant string) {
	fail := func(code string, aadsts int, format string, args ...any) {
		s.identityError(w, r, http.StatusBadRequest, code, aadsts, fmt.Sprintf(format, args...))
	}
	if clientID == "" {
		fail("invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	now := s.clock.Now()
	d := &s.deleg
	d.mu.Lock()
	d.init()
	var userID string
	var scopes []string
	var public bool
	switch grant {
	case deviceCodeGrant, "device_code": // MSAL sends the short form, which Entra accepts
		code := form.Get("device_code")
		if code == "" {
			d.mu.Unlock()
			fail("invalid_request", 900144, "The request body must contain the following parameter: 'device_code'.")
			return
		}
		a := d.byDevice[code]
		switch {
		case a == nil || !strings.EqualFold(a.clientID, clientID):
			d.mu.Unlock()
			fail("bad_verification_code", 70019, "The provided value for the input parameter 'device_code' is not valid. Verification code not recognized.")
			return
		case !now.Before(a.expires):
			d.mu.Unlock()
			fail("expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.")
			return
		case a.declined:
			d.mu.Unlock()
			fail("authorization_declined", 70000, "The user declined the authorization request.")
			return
		case a.redeemed:
			d.mu.Unlock()
			fail("invalid_grant", 70000, "The provided value for the input parameter 'device_code' is not valid. The device code was already redeemed.")
			return
		case a.userID == "":
			d.mu.Unlock()
			fail("authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
			return
		}
		a.redeemed = true
		userID, scopes = a.userID, a.scopes
	case "refresh_token":
		rg := d.refresh[form.Get("refresh_token")]
		if rg == nil || !strings.EqualFold(rg.clientID, clientID) {
			d.mu.Unlock()
			fail("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
			return
		}
		if !now.Before(rg.expires) {
			d.mu.Unlock()
			fail("invalid_grant", 700082, "The refresh token has expired due to inactivity.")
			return
		}
		userID, scopes, public = rg.userID, rg.scopes, rg.public
		if sc := form.Get("scope"); sc != "" {
			scopes = strings.Fields(sc)
		}
	}
	d.mu.Unlock()
	s.issueDelegated(w, r, clientID, userID, scopes, now, public)
}

// issueDelegated checks the client, the user and consent, and answers with
// an access token, an id token and a refresh token for the user.
// viaPublicRedirect: the user signed in through one of the app's public
// client redirect URIs (authcode.go), so the app need not allow public
// client flows (isFallbackPublicClient).
func (s *Server) issueDelegated(w http.ResponseWriter, r *http.Request, clientID, userID string, scopes []string, now time.Time, viaPublicRedirect bool) {
	fail := func(status int, code string, aadsts int, format string, args ...any) {
		s.identityError(w, r, status, code, aadsts, fmt.Sprintf(format, args...))
	}
	t := s.tenant
	t.mu.RLock()
	app := t.appByAppID(clientID)
	sp := t.spByAppID(clientID)
	u := t.findUser(userID)
	var consented, wids []string
	if sp != nil && u != nil {
		consented = t.consentedScopes(sp, u.key())
	}
	if app != nil && u != nil {
		wids = s.wids(app, u.key())
	}
	var appName, upn, name string
	var public, spEnabled, userEnabled bool
	if app != nil {
		appName = str(app.get("displayName"))
		public = app.get("isFallbackPublicClient") == true || viaPublicRedirect
	}
	if sp != nil {
		e, ok := sp.get("accountEnabled").(bool)
		spEnabled = !ok || e
	}
	if u != nil {
		e, ok := u.get("accountEnabled").(bool)
		userEnabled = !ok || e
		upn, name = str(u.get("userPrincipalName")), str(u.get("displayName"))
	}
	t.mu.RUnlock()
	switch {
	case app == nil:
		fail(http.StatusBadRequest, "invalid_client", 700016, "Application with identifier '%s' was not found in the directory '%s'.", clientID, t.name)
		return
	case !public:
		// A confidential client must authenticate itself (learn: v2-oauth2-device-code
		// needs "Allow public client flows").
		fail(http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	case sp == nil:
		fail(http.StatusBadRequest, "invalid_client", 7000229, "The client application %s is missing service principal in the tenant %s.", clientID, t.id)
		return
	case !spEnabled:
		fail(http.StatusBadRequest, "unauthorized_client", 7000112, "Application '%s'(%s) is disabled.", clientID, appName)
		return
	case u == nil:
		fail(http.StatusBadRequest, "invalid_grant", 50034, "The user account does not exist in the %s directory.", t.name)
		return
	case !userEnabled:
		fail(http.StatusBadRequest, "invalid_grant", 50057, "The user account is disabled.")
		return
	}
	asked, all, _ := graphScopes(strings.Join(scopes, " "), identityRoot(r))
	var granted []string
	if all {
		granted = consented
	}
	for _, sc := range asked {
		if !containsFold(consented, sc) {
			fail(http.StatusBadRequest, "invalid_grant", 65001, "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", clientID, appName)
			return
		}
		if !containsFold(granted, sc) {
			granted = append(granted, sc)
		}
	}
	if len(granted) == 0 {
		fail(http.StatusBadRequest, "invalid_grant", 65001, "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", clientID, appName)
		return
	}
	sort.Strings(granted)
	iss := "https://sts.windows.net/" + t.id + "/"
	claims := accessClaims{
		Aud: graphAudience, Iss: iss, Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(tokenLifetime).Unix(),
		AppDisplayName: appName, AppID: clientID, AppIDAcr: "0",
		Idp: iss, IdTyp: "user", Oid: u.key(), Sub: u.key(), Tid: t.id,
		Scp: strings.Join(granted, " "), Upn: upn, Name: name, Wids: wids,
		Uti: b64url([]byte(newRequestID()))[:22], Ver: "1.0",
	}
	idClaims, _ := json.Marshal(map[string]any{
		"aud": clientID, "iss": identityRoot(r) + "/" + t.id + "/v2.0", "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(tokenLifetime).Unix(), "name": name, "oid": u.key(), "preferred_username": upn,
		"sub": u.key(), "tid": t.id, "ver": "2.0",
	})
	clientInfo, _ := json.Marshal(map[string]string{"uid": u.key(), "utid": t.id})
	refresh := "0.graphsim." + randomCode(64, secretAlphabet)
	s.deleg.mu.Lock()
	s.deleg.init()
	s.deleg.refresh[refresh] = &refreshGrant{clientID: clientID, userID: u.key(), scopes: scopes, expires: now.Add(refreshLifetime), public: viaPublicRedirect}
	s.deleg.mu.Unlock()
	writeIdentityJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"scope":          strings.Join(scopes, " "),
		"expires_in":     int(tokenLifetime / time.Second),
		"ext_expires_in": int(tokenLifetime / time.Second),
		"access_token":   s.signAccessToken(claims),
		"refresh_token":  refresh,
		"id_token":       s.signJWT(idClaims),
		"client_info":    b64url(clientInfo),
	})
}

// signJWT signs a claims payload as signAccessToken does.
func (s *Server) signJWT(payload []byte) string {
	head, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "HS256", "kid": "graphsim"})
	signing := b64url(head) + "." + b64url(payload)
	mac := hmac.New(sha256.New, s.tokenKey())
	mac.Write([]byte(signing))
	return signing + "." + b64url(mac.Sum(nil))
}
