package graphsim

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server. The zero value is an empty tenant with no
// throttling, faults or latency.
type Options struct {
	TenantID   string // default: derived from Seed
	TenantName string // organization display name; default "Contoso"
	Domain     string // initial domain; default "<name>.onmicrosoft.com"
	Profile    string // "empty" (default), "demo", "large", or "none" (no objects: the caller seeds them)
	Sizes      Sizes  // generator sizes; zero fields take the profile's defaults
	Seed       uint64 // deterministic ids and data
	Latency    time.Duration
	Throttle   string  // "off" (default) or "realistic"
	FaultRate  float64 // 0..1: share of requests answered 500/503/504 or dropped
	// EventualConsistency hides a just-created object from reads for this
	// long, and a write naming it as a reference is answered 400 "... do
	// not exist" until then (cabin.go).
	EventualConsistency time.Duration
	// BatchInOrder runs a $batch's independent requests and lists their
	// answers in request order. Graph promises neither: by default graphsim
	// runs independent requests and lists the answers in an order drawn
	// from Seed (batch.go).
	BatchInOrder bool
	// EmptyPages puts an empty page, carrying an @odata.nextLink, before
	// every page of every list, as Graph may (learn:/graph/paging: "a page
	// can contain zero items and still have a nextLink") (handlers.go).
	EmptyPages bool
	// OpaqueTokens makes the token endpoint issue opaque access tokens
	// instead of JWTs: clients must not read them (learn:/entra/identity-platform/access-tokens,
	// "treat access tokens as opaque strings"; tokens for some resources
	// and credential types are not JWTs), so a client learns what the
	// token may do only from Graph (identity.go).
	OpaqueTokens bool
	// CARecycleBinAppOnly lets app-only tokens use the Conditional Access
	// recycle bin (beta), which Graph documents as not supporting
	// application permissions: a future Graph (cabin.go).
	CARecycleBinAppOnly bool
	// Licence is the tenant's Microsoft Entra ID licence: LicenceFree,
	// LicenceP1 or LicenceP2 ("" is P2). Without P2, PIM answers 400
	// AadPremiumLicenseRequired; without P1, Conditional Access writes
	// answer 403 (licence.go).
	Licence string
	// AuditLag is how long a directory audit record takes to appear in
	// GET /auditLogs/directoryAudits: zero is DefaultAuditLag (5 minutes),
	// a negative value none (audit.go).
	AuditLag time.Duration
	// Rehearsal marks the tenant as a rehearsal's (entrasnap graphsim
	// --from-repo, entrasnap rehearse): every answer carries
	// RehearsalHeader with the server's instance (RehearsalInstance), a
	// header real Graph never sends, so that a client can tell it from the
	// real tenant it copies (same tenant id, same objects) and refuse to
	// record what it does here as that tenant's (doc.go, "Rehearsal
	// tenants"). Nothing else changes: the tenant answers as Graph does.
	Rehearsal bool
	// TermsOfUseFileDataNull answers every terms of use agreement file
	// read (GET .../agreements/{id}?$expand=files) with "fileData": null,
	// as the documented examples of agreement-list-files and
	// agreementfile-get show; by default the PDF's base64 is returned.
	// Whether Graph returns the bytes is not documented (termsofuse.go).
	TermsOfUseFileDataNull bool
	// Now freezes the clock at this time when non-zero (deterministic tests).
	Now time.Time
	// State, when non-nil, is a saved tenant (Save) to start from instead of a profile.
	State io.Reader
	// plainObjects keeps the large profile's users and groups as maps
	// instead of packing them (compact.go): the tests' reference tenant.
	plainObjects bool
	// slowPacking makes them the ordinary way before packing them, as
	// before generate_fast.go (tests compare).
	slowPacking bool
}

// Server is the emulator: an http.Handler for Graph paths, the token
// endpoint and graphsim's own /_graphsim endpoints.
type Server struct {
	opts Options
	// rehearsal is the instance RehearsalHeader names (Options.Rehearsal):
	// random, one per Server, "" when not a rehearsal's tenant.
	rehearsal string
	tenant    *Tenant
	clock     *Clock
	stats     *stats
	thr       *throttler
	faults    *faults
	// licence is the tenant's licence level now (Options.Licence, SetLicence).
	licence atomic.Value
	// touNull: agreement files are read with "fileData": null
	// (Options.TermsOfUseFileDataNull, SetTermsOfUseFileDataNull).
	touNull atomic.Bool
	batchMu sync.Mutex
	// auditMu makes each write and the audit records it leaves one step
	// (audit.go).
	auditMu  sync.Mutex
	batchRNG *mrand.Rand // order of $batch execution and answers (batch.go)

	mu       sync.Mutex
	tokens   map[string]*principal   // bearer token → principal
	opaque   map[string]accessClaims // Options.OpaqueTokens: opaque token → its claims
	godToken string
	deleg    delegState // device codes and refresh tokens (devicecode.go)
}

// principal is who a token speaks for: the app and its application
// permissions, or (a delegated token) the signed-in user and the app's
// delegated permissions (scopes).
type principal struct {
	appID string
	roles map[string]bool
	all   bool // graphsim's own token: every permission
	// userID is the signed-in user of a delegated token ("" for app-only);
	// scopes are then its scp claim (delegated.go).
	userID string
	scopes map[string]bool
}

func (p *principal) has(perms []string) bool {
	if p.all {
		return true
	}
	held := p.roles
	if p.userID != "" {
		held = p.scopes
	}
	for _, r := range perms {
		if held[r] {
			return true
		}
	}
	return false
}

// New builds a server with the tenant the options describe.
func New(opts Options) (*Server, error) {
	if opts.TenantName == "" {
		opts.TenantName = "Contoso"
	}
	if opts.Profile == "" {
		opts.Profile = "empty"
	}
	clock := NewClock()
	if !opts.Now.IsZero() {
		clock.Freeze(opts.Now)
	}
	s := &Server{opts: opts, clock: clock, stats: newStats(), tokens: map[string]*principal{}}
	var err error
	if opts.State != nil {
		s.tenant, err = load(opts.State, clock)
	} else {
		s.tenant, err = buildTenant(opts, clock)
	}
	if err != nil {
		return nil, err
	}
	s.tenant.eventualDelay = opts.EventualConsistency
	// Every role has its PIM policy from the start, as in Graph: made
	// lazily by the first PIM request, they moved the change log under
	// the delta links of a tenant that looked unchanged (pim.go).
	s.tenant.mu.Lock()
	s.syncRolePolicies()
	s.tenant.mu.Unlock()
	s.thr = newThrottler(opts.Throttle, s.tenant, clock)
	s.faults = newFaults(opts.FaultRate, opts.Seed)
	if err := s.SetLicence(opts.Licence); err != nil {
		return nil, err
	}
	s.touNull.Store(opts.TermsOfUseFileDataNull)
	s.batchRNG = mrand.New(mrand.NewPCG(opts.Seed, opts.Seed^0xbb67ae8584caa73b))
	switch {
	case opts.Rehearsal && s.tenant.rehearsal == "":
		s.tenant.rehearsal = randomHex(16)
		fallthrough
	case s.tenant.rehearsal != "": // a saved rehearsal's tenant loaded
		s.rehearsal = s.tenant.rehearsal
	}
	s.godToken = "graphsim." + randomHex(24)
	s.tokens[s.godToken] = &principal{appID: "graphsim", all: true}
	return s, nil
}

// Tenant is the emulated tenant.
func (s *Server) Tenant() *Tenant { return s.tenant }

// Clock is the server's clock; tests move it with Advance.
func (s *Server) Clock() *Clock { return s.clock }

// Token is a bearer token granted every permission.
func (s *Server) Token() string { return s.godToken }

// RehearsalHeader is the response header of a rehearsal's tenant
// (Options.Rehearsal): its value is RehearsalInstance. Real Graph never
// sends it.
const RehearsalHeader = "X-Graphsim-Rehearsal"

var rehearsalInstanceRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// RehearsalInstance is the value of RehearsalHeader on every answer: 32
// lower-case hexadecimal digits, new for each Server (a process serving
// the same snapshot again is another instance, without the objects the
// first one's rehearsals created), kept by Save and State (the saved
// tenant holds them); "" unless Options.Rehearsal or a saved rehearsal's
// tenant.
func (s *Server) RehearsalInstance() string { return s.rehearsal }

// TenantID is the emulated tenant's id.
func (s *Server) TenantID() string { return s.tenant.id }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// request is one Graph call, from HTTP or from a $batch item.
type request struct {
	method    string
	version   string // "v1.0" or "beta"
	path      string // relative to the version root, without leading '/'
	query     url.Values
	header    http.Header
	body      []byte
	root      string // "http://host:port", for @odata.context and nextLink
	principal *principal
	requestID string
	// unfaulted: the request came through Unfaulted, so no fault is
	// injected into it (or into its $batch items).
	unfaulted bool
}

// response is what a handler answers.
type response struct {
	status int
	header http.Header
	body   any // JSON value, or []byte for text/plain
}

func jsonResp(status int, body any) *response {
	return &response{status: status, header: http.Header{}, body: body}
}

func noContent() *response { return &response{status: http.StatusNoContent, header: http.Header{}} }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r, false) }

// Unfaulted is a second handler of the same tenant that injects none of
// Options.FaultRate's faults: no 500, 503 or 504 and no dropped connection,
// directly or in a $batch item. Everything else is the Server's: the same
// tenant, clock, token, permissions, throttling (a 429 is not a fault: it
// says the request was not carried out, and clients retry it),
// replication lag (Options.EventualConsistency) and counters.
//
// It is for a test's own set-up and checks (the objects a scenario starts
// from, the incident it stages, what it reads back after a restore): a
// test cannot send a lost create again without risking a second object,
// and its set-up failing is not what the test is about. The product under
// test is never given it; its requests go through the Server and meet
// every fault. `entrasnap graphsim` serves only the Server.
func (s *Server) Unfaulted() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, true) })
}

// serve answers one HTTP request; unfaulted skips fault injection (Unfaulted).
func (s *Server) serve(w http.ResponseWriter, r *http.Request, unfaulted bool) {
	reqID := newRequestID()
	w.Header().Set("request-id", reqID)
	if crid := r.Header.Get("client-request-id"); crid != "" {
		w.Header().Set("client-request-id", crid)
	}
	w.Header().Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"graphsim","Slice":"E","Ring":"1","ScaleUnit":"000","RoleInstance":"graphsim"}}`)
	if s.rehearsal != "" {
		w.Header().Set(RehearsalHeader, s.rehearsal)
	}
	p := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(p, "/_graphsim/"):
		s.serveControl(w, r)
		return
	case strings.Contains(p, "/oauth2/v2.0/token") || strings.Contains(p, "/oauth2/v2.0/devicecode") || strings.Contains(p, "/oauth2/v2.0/authorize") || strings.Contains(p, "/.well-known/openid-configuration") ||
		strings.Contains(p, "/discovery/"):
		s.serveIdentity(w, r)
		return
	}
	if s.opts.Latency > 0 {
		time.Sleep(s.opts.Latency)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	req := &request{method: r.Method, header: r.Header, root: scheme + "://" + r.Host, requestID: reqID, unfaulted: unfaulted}
	version, rest, ok := splitVersion(p)
	if !ok {
		s.writeError(w, r, reqID, errf(http.StatusBadRequest, "BadRequest", "Invalid version: the path must start with /v1.0/ or /beta/."))
		return
	}
	req.version, req.path = version, rest
	req.query = r.URL.Query()
	if r.Body != nil {
		req.body, _ = io.ReadAll(io.LimitReader(r.Body, 16<<20))
	}
	// The Graph SDKs gzip request bodies by default (kiota's compression handler).
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") && len(req.body) > 0 {
		zr, err := gzip.NewReader(bytes.NewReader(req.body))
		if err == nil {
			req.body, err = io.ReadAll(io.LimitReader(zr, 16<<20))
		}
		if err != nil {
			s.writeError(w, r, reqID, errf(http.StatusBadRequest, "BadRequest", "The request body is not valid gzip: %v", err))
			return
		}
	}
	var drop, after bool
	var ferr *apiError
	if !unfaulted {
		drop, ferr, after = s.faults.injectLost()
	}
	after = after && req.method != http.MethodGet // a read carried out or not looks the same
	fault := func() {
		if drop {
			hijackAndClose(w)
		} else {
			s.writeError(w, r, reqID, ferr)
		}
	}
	if (drop || ferr != nil) && !after {
		s.stats.fault(req.method, templateOf(req.path))
		fault()
		return
	}
	pr, aerr := s.authenticate(r.Header.Get("Authorization"))
	if aerr != nil {
		s.stats.record(req.method, templateOf(req.path), aerr.Status, 0)
		s.writeError(w, r, reqID, aerr)
		return
	}
	req.principal = pr
	var resp *response
	if strings.EqualFold(req.path, "$batch") && req.method == http.MethodPost {
		resp = s.serveBatch(req)
	} else {
		resp = s.handle(req)
	}
	if after {
		// The request was carried out; its answer is lost (faults.go).
		s.stats.lostAnswer(req.method, templateOf(req.path))
		fault()
		return
	}
	s.writeResponse(w, r, reqID, resp)
}

func splitVersion(p string) (version, rest string, ok bool) {
	p = strings.TrimPrefix(p, "/")
	i := strings.IndexByte(p, '/')
	if i < 0 {
		return "", "", false
	}
	v := p[:i]
	if v != "v1.0" && v != "beta" {
		return "", "", false
	}
	rest, err := url.PathUnescape(p[i+1:])
	if err != nil {
		return "", "", false
	}
	return v, strings.TrimSuffix(rest, "/"), true
}

func hijackAndClose(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// Not hijackable (e.g. HTTP/2): abort the handler, which resets the stream.
	panic(http.ErrAbortHandler)
}

// handle routes one request (from HTTP or a batch item) through permissions,
// throttling and the handler, and returns the answer, errors included.
func (s *Server) handle(req *request) *response {
	if me := strings.EqualFold(req.path, "me"); (me || len(req.path) > 3 && strings.EqualFold(req.path[:3], "me/")) && req.method == http.MethodGet {
		// GET /me is the signed-in user (user-get), and /me/... their
		// relationships (memberof.go); an app-only token has none: Graph's
		// 400. Served as GET /users/{id}..., with its permissions (User.Read
		// would do for /me: strict).
		if req.principal == nil || req.principal.userID == "" {
			s.stats.record(req.method, "/me", http.StatusBadRequest, 0)
			return s.errorResp(req, errf(http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow."))
		}
		req.path = "users/" + req.principal.userID + req.path[2:]
	}
	rt, aerr := s.route(req)
	tmpl := templateOf(req.path)
	if aerr != nil {
		s.stats.record(req.method, tmpl, aerr.Status, 0)
		return s.errorResp(req, aerr)
	}
	if aerr := s.authorize(req); aerr != nil {
		s.stats.record(req.method, tmpl, aerr.Status, 0)
		return s.errorResp(req, aerr)
	}
	if aerr := s.authorizeObject(req, rt); aerr != nil {
		s.stats.record(req.method, tmpl, aerr.Status, 0)
		return s.errorResp(req, aerr)
	}
	if aerr := s.licenceGate(req); aerr != nil {
		s.stats.record(req.method, tmpl, aerr.Status, 0)
		return s.errorResp(req, aerr)
	}
	cost, aerr := s.thr.charge(req, rt)
	if aerr != nil {
		s.stats.record(req.method, tmpl, aerr.Status, cost)
		return s.errorResp(req, aerr)
	}
	// A PIM for Groups schedule's end takes effect at its time, before
	// whatever this request reads or writes (pimgroups.go).
	s.dropEndedGroupSchedules()
	s.dropGonePrincipalsRoles() // roles.go: a deleted principal's role entries, 7 days on
	var aud *auditCapture
	if isWriteMethod(req.method) {
		s.auditMu.Lock()
		aud = s.auditBefore(req, rt)
	}
	resp, aerr := s.dispatch(req, rt)
	if aud != nil {
		if aerr == nil && resp != nil && resp.status < 300 {
			s.auditAfter(req, rt, aud)
		}
		s.auditMu.Unlock()
	}
	if aerr != nil {
		resp = s.errorResp(req, aerr)
	}
	s.nullUnreadable(req, rt, resp)
	s.nullCSA(req, rt, resp)              // user_csa.go
	s.filterCSADefinitions(req, rt, resp) // user_csa.go
	if throttleScope(rt) == "directory" && cost > 0 {
		resp.header.Set("x-ms-resource-unit", fmt.Sprint(cost))
	}
	s.thr.annotate(req, rt, resp.header)
	s.stats.record(req.method, tmpl, resp.status, cost)
	return resp
}

func (s *Server) errorResp(req *request, e *apiError) *response {
	h := http.Header{}
	for k, v := range e.Header {
		h[k] = v
	}
	if e.RetryAfter != "" {
		h.Set("Retry-After", e.RetryAfter)
	}
	body := json.RawMessage(errorBody(e, req.requestID, req.header.Get("client-request-id"), s.clock.Now()))
	return &response{status: e.Status, header: h, body: body}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, reqID string, e *apiError) {
	req := &request{header: r.Header, requestID: reqID}
	s.writeResponse(w, r, reqID, s.errorResp(req, e))
}

func (s *Server) writeResponse(w http.ResponseWriter, r *http.Request, reqID string, resp *response) {
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	switch b := resp.body.(type) {
	case nil:
		w.WriteHeader(resp.status)
	case []byte:
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/plain")
		}
		w.WriteHeader(resp.status)
		_, _ = w.Write(b)
	default:
		kept := answerBufs.Get().(*[]byte)
		defer putAnswerBuf(kept)
		out, ok := appendJSON((*kept)[:0], b)
		if ok {
			out = append(out, '\n') // as json.Encoder ends a value
			*kept = out
		} else { // a type appendJSON leaves to encoding/json
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(b); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			out = buf.Bytes()
		}
		w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
		w.WriteHeader(resp.status)
		_, _ = w.Write(out)
	}
}

// answerBufs are the buffers answers are written in, kept from one
// answer to the next (a page of 999 users is about a megabyte: growing a
// new buffer to it each time was a tenth of appendJSON's CPU).
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func putAnswerBuf(b *[]byte) {
	if cap(*b) <= 8<<20 { // a huge answer's buffer is not kept
		answerBufs.Put(b)
	}
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// templateOf replaces id-like segments with {id}, for stats and permissions.
func templateOf(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	segs := strings.Split(path, "/")
	for i, sg := range segs {
		if j := strings.IndexByte(sg, '('); j > 0 {
			segs[i] = sg[:j] + "/{id}"
			continue
		}
		if looksLikeID(sg) {
			segs[i] = "{id}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

func looksLikeID(s string) bool {
	if collectionSegment(s) {
		return false // oauth2PermissionGrants: long, with a digit, but a collection
	}
	if len(s) == 36 && strings.Count(s, "-") == 4 {
		return true
	}
	// base64url composite ids (grants, app role assignments, role assignments),
	// domain names and tenant ids of partners.
	if len(s) >= 20 && strings.ContainsAny(s, "0123456789") && !strings.HasPrefix(s, "microsoft.graph.") {
		return true
	}
	return strings.Contains(s, ".") && !strings.HasPrefix(s, "microsoft.graph.")
}

// collectionSegments are the path segments of the catalog's collections.
var collectionSegments = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, k := range kinds {
		for _, p := range k.Paths {
			for _, sg := range strings.Split(p, "/") {
				out[sg] = true
			}
		}
	}
	return out
})

func collectionSegment(s string) bool { return collectionSegments()[s] }
