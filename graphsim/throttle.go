package graphsim

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// throttler implements Graph's throttling model (graph-semantics.md §1, §8.1).
//
// Directory kinds (Kind.Throttle == "directory") pay a resource-unit (RU) cost
// per request into a token bucket per app+tenant, sized by the tenant's user
// count and refilled continuously by the server Clock. Writes also draw on a
// write quota per app+tenant and one per tenant. Conditional Access kinds
// (Kind.Throttle == "ca") allow a number of requests per window per tenant,
// for all apps together, and answer 429 without Retry-After. The identity
// and access reports (throttleScope "reports": the directory audit log)
// allow a number of requests per window per app and tenant, whatever the
// request, and answer 429 without Retry-After (strict: the page does not
// say that they send one).
//
// In mode "realistic" exhausted buckets answer 429; in any other mode ("off")
// costs are still computed, so x-ms-resource-unit is sent, but nothing is
// spent or refused.
type throttler struct {
	on     bool
	tenant *Tenant
	clock  *Clock

	mu sync.Mutex
	// Limits (graph-semantics.md §1.1, §1.2). Tests shrink them; they are read
	// under mu, so change them before sending requests or while holding mu.
	ruSmall, ruMedium, ruLarge int           // RU per ruWindow per app+tenant: <50, 50–500, >500 users
	ruWindow                   time.Duration // 10 s
	appWrites                  int           // writes per appWriteWindow per app+tenant
	appWriteWindow             time.Duration // 150 s
	tenantWrites               int           // writes per tenantWriteWindow, all apps
	tenantWriteWindow          time.Duration // 5 min
	caRequests                 int           // Conditional Access requests per caWindow per tenant, all apps
	caWindow                   time.Duration // 1 s
	reportRequests             int           // identity and access reports requests per reportWindow per app+tenant
	reportWindow               time.Duration // 10 s

	ru          map[string]*bucket // appId → RU bucket
	appWrite    map[string]*bucket // appId → write bucket
	tenantWrite bucket
	ca          bucket
	reports     map[string]*bucket // appId → identity and access reports bucket
}

// bucket is a leaky bucket: used drains continuously at capacity/window per
// second. denied remembers refused demand, drained the same way, so that
// x-ms-throttle-limit-percentage can exceed 1.0 while clients push past the limit.
type bucket struct {
	used, denied float64
	last         time.Time
}

// drain applies the refill since the last call.
func (b *bucket) drain(now time.Time, capacity int, window time.Duration) {
	if b.last.IsZero() || now.Before(b.last) {
		b.last = now
		return
	}
	if window <= 0 {
		b.used, b.denied = 0, 0
		b.last = now
		return
	}
	refill := now.Sub(b.last).Seconds() * float64(capacity) / window.Seconds()
	b.used = math.Max(0, b.used-refill)
	b.denied = math.Max(0, b.denied-refill)
	b.last = now
}

// fits reports whether cost can be spent now. An empty bucket always accepts
// one request, so a limit smaller than a request's cost cannot lock a client out.
func (b *bucket) fits(cost float64, capacity int) bool {
	return b.used+cost <= float64(capacity)+1e-9 || b.used <= 1e-9
}

// wait is how long until cost fits, in whole seconds (at least 1).
func (b *bucket) wait(cost float64, capacity int, window time.Duration) int {
	if capacity <= 0 || window <= 0 {
		return 1
	}
	over := b.used + cost - float64(capacity)
	if over > b.used {
		over = b.used // the empty bucket accepts anything
	}
	secs := int(math.Ceil(over*window.Seconds()/float64(capacity) - 1e-9))
	if secs < 1 {
		secs = 1
	}
	return secs
}

func (b *bucket) refuse(cost float64, capacity int) {
	b.denied = math.Min(b.denied+cost, 0.8*float64(capacity))
}

// share is the used part of the bucket, demand refused included.
func (b *bucket) share(capacity int) float64 {
	if capacity <= 0 {
		return 0
	}
	return (b.used + b.denied) / float64(capacity)
}

func newThrottler(mode string, t *Tenant, c *Clock) *throttler {
	return &throttler{
		on: mode == "realistic", tenant: t, clock: c,
		ruSmall: 3500, ruMedium: 5000, ruLarge: 8000, ruWindow: 10 * time.Second,
		appWrites: 3000, appWriteWindow: 150 * time.Second,
		tenantWrites: 18000, tenantWriteWindow: 5 * time.Minute,
		caRequests: 1, caWindow: time.Second,
		// learn:/graph/throttling-limits, "Identity and access reports service
		// limits": any request, 5 per 10 seconds per app per tenant (122 per
		// 10 seconds per app across tenants, never reached by one tenant).
		reportRequests: 5, reportWindow: 10 * time.Second,
		ru: map[string]*bucket{}, appWrite: map[string]*bucket{}, reports: map[string]*bucket{},
	}
}

// throttleScope says which throttling model covers a route: "directory",
// "ca", "reports" or "".
//
// Every route graphsim serves has one (TestEveryRouteIsCharged). A kind
// reached below /identity/conditionalAccess is Conditional Access's
// (authentication strengths there, the directory budget under /policies):
// Graph documents neither for the kind, and graph.requestCost paces that
// whole path as Conditional Access, the stricter limit (doc.go, Authentication strengths).
func throttleScope(rt *route) string {
	if rt.kind != nil {
		if rt.caPath && rt.kind.Throttle == "directory" {
			return "ca"
		}
		return rt.kind.Throttle
	}
	switch rt.special {
	case "directoryAudits": // auditLogRoot, an identity and access report
		return "reports"
	case "directoryObjects", "getByIds", "invitations", // an invitation writes a user (guests.go)
		"emResourceRequests", // entitlement management (doc.go, "Throttling")
		"dirDeleted":         // directory/deletedItems/{id} and its restore: directoryObject
		return "directory"
	}
	return ""
}

func isWrite(req *request, rt *route) bool {
	if rt.special == "getByIds" {
		return false // a read action, priced on its own (§1.1)
	}
	switch req.method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// cost is a directory request's resource units (graph-semantics.md §1.1):
// the base cost of the endpoint, then $select −1, $expand +1, $top < 20 −1,
// never below 1. Writes cost 1.
func cost(req *request, rt *route) int {
	if rt.special == "getByIds" {
		if req.query.Get("$select") != "" {
			return 2
		}
		return 5
	}
	if isWrite(req, rt) {
		return 1
	}
	base := 1
	switch {
	case rt.special != "" || rt.kind == nil || rt.sub == "$count":
	case rt.key == "" && rt.sub == "" && rt.rel == "":
		// A top-level list: users, applications, oauth2PermissionGrants.
		base = max(rt.kind.ReadCost, 1)
	case rt.kind.Name == "oAuth2PermissionGrant" && rt.rel == "":
		base = 2 // oauth2PermissionGrants/{id}
	case rt.kind.Name == "group" && rt.rel == "members" && rt.relKey == "" && !rt.ref:
		base = 3
	case rt.kind.Name == "servicePrincipal" && rt.rel == "appRoleAssignments" && rt.relKey == "":
		base = 2
	}
	c := base
	if req.query.Get("$select") != "" {
		c--
	}
	if req.query.Get("$expand") != "" {
		c++
	}
	if top, err := strconv.Atoi(req.query.Get("$top")); err == nil && top < 20 {
		c--
	}
	return max(c, 1)
}

func appOf(req *request) string {
	if req.principal == nil {
		return ""
	}
	return req.principal.appID
}

// ruLimit is the app+tenant RU bucket size for a tenant of users users.
// Callers hold th.mu (and must not hold the tenant's lock, see users).
func (th *throttler) ruLimit(users int) int {
	switch n := users; {
	case n < 50:
		return th.ruSmall
	case n <= 500:
		return th.ruMedium
	default:
		return th.ruLarge
	}
}

func (th *throttler) bucketOf(m map[string]*bucket, app string) *bucket {
	b := m[app]
	if b == nil {
		b = &bucket{}
		m[app] = b
	}
	return b
}

// charge computes the request's resource-unit cost and, when throttling is
// on, spends it or answers 429. A refused request is not charged: it returns
// 0 with the 429, so stats count only the units spent.
func (th *throttler) charge(req *request, rt *route) (int, *apiError) {
	switch throttleScope(rt) {
	case "directory":
		c := cost(req, rt)
		if !th.on {
			return c, nil
		}
		if aerr := th.spendDirectory(req, rt, c); aerr != nil {
			return 0, aerr
		}
		return c, nil
	case "ca":
		if !th.on {
			return 0, nil
		}
		return 0, th.spendCA(req)
	case "reports":
		if !th.on {
			return 0, nil
		}
		return 0, th.spendReports(req)
	}
	return 0, nil
}

func (th *throttler) spendDirectory(req *request, rt *route, c int) *apiError {
	app, users, now := appOf(req), th.tenant.Count("user"), th.clock.Now()
	th.mu.Lock()
	defer th.mu.Unlock()
	ruCap := th.ruLimit(users)
	ru := th.bucketOf(th.ru, app)
	ru.drain(now, ruCap, th.ruWindow)
	if !ru.fits(float64(c), ruCap) {
		ru.refuse(float64(c), ruCap)
		return th.throttled("Tenant_Application/ReadWrite", app, "ResourceUnitLimitExceeded",
			ru.wait(float64(c), ruCap, th.ruWindow), true)
	}
	if isWrite(req, rt) {
		aw := th.bucketOf(th.appWrite, app)
		aw.drain(now, th.appWrites, th.appWriteWindow)
		if !aw.fits(1, th.appWrites) {
			aw.refuse(1, th.appWrites)
			return th.throttled("Tenant_Application/Write", app, "WriteLimitExceeded",
				aw.wait(1, th.appWrites, th.appWriteWindow), true)
		}
		tw := &th.tenantWrite
		tw.drain(now, th.tenantWrites, th.tenantWriteWindow)
		if !tw.fits(1, th.tenantWrites) {
			tw.refuse(1, th.tenantWrites)
			return th.throttled("Tenant/Write", app, "WriteLimitExceeded",
				tw.wait(1, th.tenantWrites, th.tenantWriteWindow), true)
		}
		aw.used++
		tw.used++
	}
	ru.used += float64(c)
	return nil
}

func (th *throttler) spendCA(req *request) *apiError {
	now := th.clock.Now()
	th.mu.Lock()
	defer th.mu.Unlock()
	th.ca.drain(now, th.caRequests, th.caWindow)
	if !th.ca.fits(1, th.caRequests) {
		th.ca.refuse(1, th.caRequests)
		// Conditional Access 429s carry no Retry-After (§1.2): clients back off on their own.
		return th.throttled("Tenant/ReadWrite", appOf(req), "", 0, false)
	}
	th.ca.used++
	return nil
}

// spendReports charges one request to the app's identity and access reports
// bucket (5 requests per 10 s per app per tenant).
func (th *throttler) spendReports(req *request) *apiError {
	app, now := appOf(req), th.clock.Now()
	th.mu.Lock()
	defer th.mu.Unlock()
	b := th.bucketOf(th.reports, app)
	b.drain(now, th.reportRequests, th.reportWindow)
	if !b.fits(1, th.reportRequests) {
		b.refuse(1, th.reportRequests)
		// No Retry-After (strict: the reports limits do not say one is
		// sent): clients back off on their own, as for Conditional Access.
		return th.throttled("Tenant_Application/ReadWrite", app, "", 0, false)
	}
	b.used++
	return nil
}

// throttled builds Graph's 429 (§1.3) with the throttle headers (§1.1).
func (th *throttler) throttled(scope, app, info string, retry int, withRetry bool) *apiError {
	e := errf(http.StatusTooManyRequests, "TooManyRequests", msgThrottled)
	e.Header = http.Header{}
	e.Header.Set("x-ms-throttle-scope", scope+"/"+app+"/"+th.tenant.ID())
	if info != "" {
		e.Header.Set("x-ms-throttle-information", info)
	}
	if withRetry {
		e.RetryAfter = strconv.Itoa(retry)
	}
	return e
}

// annotate adds throttling headers to an answer that was not throttled:
// x-ms-resource-unit where the route has no kind to carry it (handle sets it
// otherwise), and x-ms-throttle-limit-percentage once more than 80% of a
// bucket the request drew on is used.
func (th *throttler) annotate(req *request, rt *route, h http.Header) {
	if throttleScope(rt) != "directory" {
		return
	}
	if h.Get("x-ms-resource-unit") == "" {
		h.Set("x-ms-resource-unit", strconv.Itoa(cost(req, rt)))
	}
	if !th.on {
		return
	}
	app, users, now := appOf(req), th.tenant.Count("user"), th.clock.Now()
	th.mu.Lock()
	ruCap := th.ruLimit(users)
	ru := th.bucketOf(th.ru, app)
	ru.drain(now, ruCap, th.ruWindow)
	share := ru.share(ruCap)
	if isWrite(req, rt) {
		aw := th.bucketOf(th.appWrite, app)
		aw.drain(now, th.appWrites, th.appWriteWindow)
		th.tenantWrite.drain(now, th.tenantWrites, th.tenantWriteWindow)
		share = max(share, aw.share(th.appWrites), th.tenantWrite.share(th.tenantWrites))
	}
	th.mu.Unlock()
	if p, ok := limitPercentage(share); ok {
		h.Set("x-ms-throttle-limit-percentage", p)
	}
}

// limitPercentage renders a used share as Graph's header value: one decimal,
// 0.8 to 1.8, only when more than 80% is used.
func limitPercentage(share float64) (string, bool) {
	if share <= 0.8+1e-9 {
		return "", false
	}
	v := math.Min(math.Floor(share*10+1e-9)/10, 1.8)
	return strconv.FormatFloat(v, 'f', 1, 64), true
}
