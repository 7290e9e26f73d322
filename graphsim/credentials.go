package graphsim

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Application credentials: the addPassword/removePassword actions, the Go API
// that tests and the demo use to make a client able to sign in
// (AddClientSecret, AddClientCertificate, GrantAppRoles), and the store the
// token endpoint (identity.go) checks.
//
// Graph shows a secret's text once, in the addPassword answer; afterwards the
// application's passwordCredentials carry only its metadata (keyId, hint,
// displayName, validity) and graphsim keeps only a SHA-256 hash of the text.

// graphAppID is Microsoft Graph's appId: its service principal in the tenant
// holds the appRoles whose values are the application permissions.
const graphAppID = "00000003-0000-0000-c000-000000000000"

// clientCreds is what the token endpoint checks for one application (keyed by
// appId in Tenant.clients). It is part of the saved tenant: Save writes it and
// load restores it with these JSON names. No secret text is ever stored.
type clientCreds struct {
	Secrets []secretCred `json:"secrets,omitempty"`
	// Certs are certificates registered through AddClientCertificate (whose
	// keyCredentials entry, like Graph's, does not return the key). Seeded
	// keyCredentials that carry "key" are read from the application itself.
	Certs []certCred `json:"certs,omitempty"`
}

// secretCred is one client secret: the keyId of its passwordCredentials
// entry, the hex SHA-256 of its text and its validity.
type secretCred struct {
	KeyID  string    `json:"keyId"`
	SHA256 string    `json:"sha256"`
	Start  time.Time `json:"startDateTime"`
	End    time.Time `json:"endDateTime"`
}

// certCred is one certificate: the keyId of its keyCredentials entry and the
// certificate's DER bytes (public material only).
type certCred struct {
	KeyID string `json:"keyId"`
	DER   []byte `json:"der"`
}

func init() {
	if actions["application"] == nil {
		actions["application"] = map[string]func(s *Server, req *request, r *record) (*response, *apiError){}
	}
	actions["application"]["addPassword"] = addPasswordAction
	actions["application"]["removePassword"] = removePasswordAction
}

// credsFor returns appID's entry in t.clients, creating it. Callers hold t.mu
// for writing.
func (t *Tenant) credsFor(appID string) *clientCreds {
	if t.clients == nil {
		t.clients = map[string]*clientCreds{}
	}
	c := t.clients[appID]
	if c == nil {
		c = &clientCreds{}
		t.clients[appID] = c
	}
	return c
}

// secretAlphabet is the character set of Entra client secrets.
const secretAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"

// newSecretText returns a fresh 40-character secret in Entra's shape (three
// characters, "8Q~", then random characters) from crypto/rand: secrets are
// never derived from the tenant's seed.
func newSecretText() string {
	const n = 40
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("graphsim: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = secretAlphabet[int(b[i])%len(secretAlphabet)]
	}
	copy(b[3:6], "8Q~")
	return string(b)
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// graphTimeFrac renders a time as Graph does for credential validity.
func graphTimeFrac(tm time.Time) string { return tm.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// addPassword creates a secret on app and records its metadata. Callers hold
// t.mu for writing. It returns the passwordCredential as addPassword answers
// it (secretText included).
func (t *Tenant) addPassword(app *record, displayName string, start, end time.Time) map[string]any {
	secret := newSecretText()
	keyID := t.newID()
	appID := str(app.get("appId"))
	c := t.credsFor(appID)
	c.Secrets = append(c.Secrets, secretCred{KeyID: keyID, SHA256: hashSecret(secret), Start: start, End: end})
	meta := map[string]any{
		"customKeyIdentifier": nil,
		"displayName":         nilIfEmpty(displayName),
		"endDateTime":         graphTimeFrac(end),
		"hint":                secret[:3],
		"keyId":               keyID,
		"secretText":          nil,
		"startDateTime":       graphTimeFrac(start),
	}
	app.o()["passwordCredentials"] = append(asSlice(app.get("passwordCredentials")), meta)
	t.logChange(change{Kind: app.kind.Name, ID: app.key(), Op: "upsert", Props: []string{"passwordCredentials"}})
	out := deepCopy(meta).(map[string]any)
	out["secretText"] = secret
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// addPasswordAction answers POST /applications/{id}/addPassword.
func addPasswordAction(s *Server, req *request, r *record) (*response, *apiError) {
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	pc := map[string]any{}
	if v, ok := body["passwordCredential"]; ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, badRequest("Invalid value specified for property 'passwordCredential' of resource 'Application'.")
		}
		pc = m
	}
	now := s.tenant.now()
	start, end := now, now.AddDate(2, 0, 0)
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"startDateTime", &start}, {"endDateTime", &end}} {
		v := str(pc[f.name])
		if v == "" {
			continue
		}
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, badRequest("Invalid value specified for property '%s' of resource 'PasswordCredential'.", f.name)
		}
		*f.dst = tm.UTC()
	}
	if _, ok := pc["endDateTime"]; ok && str(pc["startDateTime"]) == "" && end.Before(start) {
		start = end // an end in the past: Graph keeps start ≤ end
	}
	if end.Before(start) {
		return nil, badRequest("Key credential end date is invalid.")
	}
	cred := s.tenant.addPassword(r, str(pc["displayName"]), start, end)
	cred["@odata.context"] = req.root + "/" + req.version + "/$metadata#microsoft.graph.passwordCredential"
	return jsonResp(http.StatusOK, cred), nil
}

// removePasswordAction answers POST /applications/{id}/removePassword.
func removePasswordAction(s *Server, req *request, r *record) (*response, *apiError) {
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	keyID := str(body["keyId"])
	if keyID == "" {
		return nil, badRequest("A value is required for property 'keyId' of resource 'Application'.")
	}
	t := s.tenant
	var kept []any
	found := false
	for _, pc := range asSlice(r.get("passwordCredentials")) {
		if m, ok := pc.(map[string]any); ok && strings.EqualFold(str(m["keyId"]), keyID) {
			found = true
			continue
		}
		kept = append(kept, pc)
	}
	if !found {
		return nil, badRequest("No password credential with keyId '%s' exists on the application.", keyID)
	}
	if kept == nil {
		kept = []any{}
	}
	r.o()["passwordCredentials"] = kept
	if c := t.clients[str(r.get("appId"))]; c != nil {
		c.Secrets = slices.DeleteFunc(c.Secrets, func(sc secretCred) bool { return strings.EqualFold(sc.KeyID, keyID) })
	}
	t.logChange(change{Kind: r.kind.Name, ID: r.key(), Op: "upsert", Props: []string{"passwordCredentials"}})
	return noContent(), nil
}

// checkSecret reports whether secret is a valid client secret of appID now:
// ok when a registered secret matches and is within its validity; expired
// when it matches but its validity has passed. Callers hold t.mu.
func (t *Tenant) checkSecret(appID, secret string, now time.Time) (ok, expired bool) {
	c := t.clients[appID]
	if c == nil {
		return false, false
	}
	h := []byte(hashSecret(secret))
	for _, sc := range c.Secrets {
		if subtle.ConstantTimeCompare(h, []byte(sc.SHA256)) != 1 {
			continue
		}
		if now.Before(sc.Start) || now.After(sc.End) {
			expired = true
			continue
		}
		return true, false
	}
	return false, expired
}

// clientCert is a certificate the token endpoint accepts for an application.
type clientCert struct {
	cert    *x509.Certificate
	expired bool
}

// certsOf returns the certificates registered on app: keyCredentials that
// carry their key (seeded tenants) and those added through
// AddClientCertificate. Callers hold t.mu.
func (t *Tenant) certsOf(app *record, now time.Time) []clientCert {
	var out []clientCert
	valid := func(kc map[string]any) bool {
		for _, f := range []string{"startDateTime", "endDateTime"} {
			if v := str(kc[f]); v != "" {
				tm, err := time.Parse(time.RFC3339Nano, v)
				if err != nil {
					continue
				}
				if (f == "startDateTime" && now.Before(tm)) || (f == "endDateTime" && now.After(tm)) {
					return false
				}
			}
		}
		return true
	}
	byKeyID := map[string]map[string]any{}
	for _, kc := range asSlice(app.get("keyCredentials")) {
		m, ok := kc.(map[string]any)
		if !ok {
			continue
		}
		if id := str(m["keyId"]); id != "" {
			byKeyID[strings.ToLower(id)] = m
		}
		if usage := str(m["usage"]); usage != "" && !strings.EqualFold(usage, "Verify") {
			continue
		}
		key := str(m["key"])
		if key == "" {
			continue
		}
		der, err := base64.StdEncoding.DecodeString(key)
		if err != nil {
			continue
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			continue
		}
		out = append(out, clientCert{cert: cert, expired: !valid(m)})
	}
	if c := t.clients[str(app.get("appId"))]; c != nil {
		for _, cc := range c.Certs {
			m := byKeyID[strings.ToLower(cc.KeyID)]
			if m == nil {
				continue // removed from the application
			}
			cert, err := x509.ParseCertificate(cc.DER)
			if err != nil {
				continue
			}
			out = append(out, clientCert{cert: cert, expired: !valid(m)})
		}
	}
	return out
}

func thumbprints(der []byte) (sha1Sum, sha256Sum []byte) {
	a := sha1.Sum(der)
	b := sha256.Sum256(der)
	return a[:], b[:]
}

// ---- Go API for tests and the demo ----

// appByAppID finds a live application by appId. Callers hold t.mu.
func (t *Tenant) appByAppID(appID string) *record {
	r := t.colls["application"].unique["appId"][strings.ToLower(appID)]
	if r == nil || r.gone {
		return nil
	}
	return r
}

// spByAppID finds a live service principal by appId. Callers hold t.mu.
func (t *Tenant) spByAppID(appID string) *record {
	r := t.colls["servicePrincipal"].unique["appId"][strings.ToLower(appID)]
	if r == nil || r.gone {
		return nil
	}
	return r
}

// AddClientSecret adds a client secret, valid for two years, to the
// application with appId appID, as addPassword does, and returns its text.
// The text is not kept: only its hash is.
func (t *Tenant) AddClientSecret(appID string) (secret string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	app := t.appByAppID(appID)
	if app == nil {
		return "", fmt.Errorf("graphsim: no application with appId %s", appID)
	}
	now := t.now()
	cred := t.addPassword(app, "graphsim", now, now.AddDate(2, 0, 0))
	return str(cred["secretText"]), nil
}

// AddClientCertificate registers certificate cert (DER) on the application
// with appId appID for client assertions, as a keyCredentials entry
// (AsymmetricX509Cert, Verify, customKeyIdentifier = hex SHA-1 thumbprint,
// validity from the certificate) whose key, as in Graph, is not returned. It
// returns the entry's keyId.
func (t *Tenant) AddClientCertificate(appID string, cert []byte) (keyID string, err error) {
	c, err := x509.ParseCertificate(cert)
	if err != nil {
		return "", fmt.Errorf("graphsim: certificate: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	app := t.appByAppID(appID)
	if app == nil {
		return "", fmt.Errorf("graphsim: no application with appId %s", appID)
	}
	keyID = t.newID()
	tp, _ := thumbprints(cert)
	app.o()["keyCredentials"] = append(asSlice(app.get("keyCredentials")), map[string]any{
		"customKeyIdentifier": strings.ToUpper(hex.EncodeToString(tp)),
		"displayName":         "CN=" + c.Subject.CommonName,
		"endDateTime":         graphTime(c.NotAfter),
		"key":                 nil,
		"keyId":               keyID,
		"startDateTime":       graphTime(c.NotBefore),
		"type":                "AsymmetricX509Cert",
		"usage":               "Verify",
	})
	cc := t.credsFor(appID)
	cc.Certs = append(cc.Certs, certCred{KeyID: keyID, DER: append([]byte(nil), cert...)})
	t.logChange(change{Kind: app.kind.Name, ID: app.key(), Op: "upsert", Props: []string{"keyCredentials"}})
	return keyID, nil
}

// GrantAppRoles grants Microsoft Graph application permissions (appRole
// values such as "User.Read.All") to the client application with appId
// clientAppID: it creates the appRoleAssignments from the client's service
// principal to Graph's service principal, skipping those that exist. It
// changes nothing and fails when the client's or Graph's service principal,
// or one of the roles, is missing. Tokens issued afterwards carry the roles.
func (t *Tenant) GrantAppRoles(clientAppID string, permissions ...string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	client, graph, err := t.clientAndGraphSPs(clientAppID)
	if err != nil {
		return err
	}
	roleIDs := make([]string, len(permissions))
	for i, p := range permissions {
		for _, ar := range asSlice(graph.get("appRoles")) {
			if m, ok := ar.(map[string]any); ok && str(m["value"]) == p {
				roleIDs[i] = str(m["id"])
				break
			}
		}
		if roleIDs[i] == "" {
			return fmt.Errorf("graphsim: Microsoft Graph has no application permission %q", p)
		}
	}
	held := map[string]bool{}
	for _, a := range t.colls["appRoleAssignment"].byKey {
		if strings.EqualFold(str(a.get("principalId")), client.key()) && strings.EqualFold(str(a.get("resourceId")), graph.key()) {
			held[strings.ToLower(str(a.get("appRoleId")))] = true
		}
	}
	k := kindByName["appRoleAssignment"]
	for _, id := range roleIDs {
		if held[strings.ToLower(id)] {
			continue
		}
		held[strings.ToLower(id)] = true
		rnd := make([]byte, 16)
		for i := range rnd {
			rnd[i] = byte(t.rng.Uint32())
		}
		r := t.insert(k, map[string]any{
			"id":                   b64id(guidLE(client.key()), rnd),
			"appRoleId":            id,
			"createdDateTime":      graphTime(t.now()),
			"deletedDateTime":      nil,
			"principalDisplayName": client.get("displayName"),
			"principalId":          client.key(),
			"principalType":        "ServicePrincipal",
			"resourceDisplayName":  graph.get("displayName"),
			"resourceId":           graph.key(),
		})
		r.visibleAt = time.Time{}
	}
	return nil
}

// grantedRoles returns the sorted values of Graph's appRoles assigned to the
// service principal sp. Callers hold t.mu.
func (t *Tenant) grantedRoles(sp *record) []string {
	graph := t.spByAppID(graphAppID)
	if graph == nil {
		return nil
	}
	values := map[string]string{}
	for _, ar := range asSlice(graph.get("appRoles")) {
		if m, ok := ar.(map[string]any); ok {
			values[strings.ToLower(str(m["id"]))] = str(m["value"])
		}
	}
	seen := map[string]bool{}
	var roles []string
	for _, a := range t.colls["appRoleAssignment"].byKey {
		if !strings.EqualFold(str(a.get("principalId")), sp.key()) || !strings.EqualFold(str(a.get("resourceId")), graph.key()) {
			continue
		}
		if v := values[strings.ToLower(str(a.get("appRoleId")))]; v != "" && !seen[v] {
			seen[v] = true
			roles = append(roles, v)
		}
	}
	sort.Strings(roles)
	return roles
}

// clientAndGraphSPs finds the service principals of the client application
// with appId clientAppID and of Microsoft Graph (a grant goes from the one
// to the other). t.mu is held.
func (t *Tenant) clientAndGraphSPs(clientAppID string) (client, graph *record, err error) {
	if client = t.spByAppID(clientAppID); client == nil {
		return nil, nil, fmt.Errorf("graphsim: no service principal for appId %s", clientAppID)
	}
	if graph = t.spByAppID(graphAppID); graph == nil {
		return nil, nil, fmt.Errorf("graphsim: the tenant has no Microsoft Graph service principal (appId %s)", graphAppID)
	}
	return client, graph, nil
}
