package exporter

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// pacedClient is a client of sim whose waits move sim's clock, the way
// time passes for concurrent sleepers: to the latest wake-up, not by the
// sum of the waits. Its pacing runs on sim's clock.
func pacedClient(t testing.TB, sim *graphsim.Server, mutate func(*graph.Config)) *graph.Client {
	t.Helper()
	srv := newServer(t, sim)
	clk := sim.Clock()
	var mu sync.Mutex
	cfg := graph.Config{
		BaseURL: srv.URL, AccessToken: sim.Token(), HTTPClient: srv.Client(),
		Now: clk.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			// Overlapping waits end at the latest wake-up, not after their sum.
			if at, ok := graph.WakeAt(ctx); ok {
				mu.Lock()
				if now := clk.Now(); at.After(now) {
					clk.Advance(at.Sub(now))
				}
				mu.Unlock()
			}
			return ctx.Err()
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := graph.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRealisticThrottlingExportStaysWithinTheBudget exports a tenant whose
// reads cost more than Graph's resource-unit bucket holds, under graphsim's
// realistic throttling (Graph's documented quotas): the export completes,
// at most 2% of its requests are throttled, and it takes at most 1.2 × the
// budget bound (resource units ÷ the quota's rate) of simulated time. The
// tenant has 400 users (Graph's medium quota, 5,000 units per 10 s), which
// the client learns, starting from the smallest, and 4,000 administrative
// units: their members and scoped role members cost one request per unit
// (groups' members come with the groups delta, a unit a page; apps' owners
// and assignments with the lists' $expand). 400 connected organizations
// draw on the same bucket (entitlement management: graphsim charges it to
// the directory budget, doc.go), two sponsor reads each, and the client
// paces them with the rest.
func TestRealisticThrottlingExportStaysWithinTheBudget(t *testing.T) {
	sim := newSim(t, graphsim.Options{Profile: "large", Throttle: "realistic",
		Sizes: graphsim.Sizes{Users: 400, Groups: 100, MembersPerGroup: 5, Apps: 100, CAPolicies: 5}})
	for i := 0; i < 4000; i++ {
		if _, err := sim.Tenant().Seed("administrativeUnit", map[string]any{"displayName": fmt.Sprintf("Unit %04d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	orgs := 400
	if testing.Short() {
		orgs = 100 // CI's race phase
	}
	for i := 0; i < orgs; i++ {
		name := fmt.Sprintf("Partner %03d \u202e\"../x\"\n🙂", i)
		if _, err := sim.Tenant().Seed("connectedOrganization", map[string]any{"displayName": name, "state": "configured",
			"identitySources": []any{map[string]any{"@odata.type": "#microsoft.graph.domainIdentitySource",
				"domainName": fmt.Sprintf("partner%03d.example", i), "displayName": name}}}); err != nil {
			t.Fatal(err)
		}
	}
	c := pacedClient(t, sim, nil)
	start := sim.Clock().Now()
	res := mustExport(t, c, newRepo(t, true), nil)
	took := sim.Clock().Now().Sub(start)
	if !res.Complete() {
		t.Fatalf("incomplete: %+v", res.Incomplete())
	}
	const rate = 5000.0 / 10 // Graph's quota for 50–500 users, units per second
	bound := time.Duration(float64(res.ResourceUnits) / rate * float64(time.Second))
	// Requests Graph answered: $batch items count, their envelopes do not.
	st := c.Stats()
	sent := st.Requests - st.Endpoints["POST /v1.0/$batch"].Requests + st.BatchItems
	t.Logf("%d requests (%d HTTP), %d resource units, %d throttled (%v), %d retries; %v simulated, budget bound %v",
		sent, st.Requests, res.ResourceUnits, res.Throttled, throttledEndpoints(c), res.Retries, took.Round(time.Millisecond), bound.Round(time.Millisecond))
	if res.ResourceUnits < 3*5000/2 {
		t.Fatalf("the export cost %d resource units, not 1.5 × the bucket: the test would not show pacing", res.ResourceUnits)
	}
	if res.Throttled*50 > sent {
		t.Errorf("%d of %d requests throttled, want at most 2%%", res.Throttled, sent)
	}
	if took > bound*12/10 {
		t.Errorf("took %v of simulated time, want at most 1.2 × the budget bound %v", took, bound)
	}
	// The connected organizations' reads were charged to the bucket (a
	// unit each): the pacing above covered them.
	var govUnits int64
	for ep, v := range st.Endpoints {
		if strings.Contains(ep, "/identityGovernance/entitlementManagement/connectedOrganizations") {
			govUnits += v.ResourceUnits
		}
	}
	if govUnits < int64(2*orgs) {
		t.Errorf("connected organizations cost %d resource units, want at least %d (two sponsor reads each, 1 unit a read)", govUnits, 2*orgs)
	}
	if n := len(sim.Tenant().List("connectedOrganization")); n < orgs {
		t.Fatalf("tenant holds %d connected organizations, want at least %d", n, orgs)
	}
}

func throttledEndpoints(c *graph.Client) map[string]int64 {
	out := map[string]int64{}
	for k, v := range c.Stats().Endpoints {
		if v.Throttled > 0 {
			out[k] = v.Throttled
		}
	}
	return out
}

// TestConditionalAccessPacedToOneRequestPerSecond: Graph allows one
// Conditional Access request per second per tenant and sends no
// Retry-After; reading policies and named locations (two kinds read at
// once) under realistic throttling gets no 429, and takes about a second
// per request.
func TestConditionalAccessPacedToOneRequestPerSecond(t *testing.T) {
	sim := newSim(t, graphsim.Options{Throttle: "realistic"})
	c := pacedClient(t, sim, nil)
	kinds, err := layout.Select([]string{"conditional-access-policies", "named-locations"})
	if err != nil {
		t.Fatal(err)
	}
	start := sim.Clock().Now()
	res := mustExport(t, c, newRepo(t, true), func(o *Options) { o.Kinds = kinds })
	took := sim.Clock().Now().Sub(start)
	if !res.Complete() {
		t.Fatalf("incomplete: %+v", res.Incomplete())
	}
	var ca, throttled int64
	for ep, st := range c.Stats().Endpoints {
		if strings.Contains(ep, "/identity/conditionalAccess/") {
			ca += st.Requests
			throttled += st.Throttled
		}
	}
	if ca < 2 {
		t.Fatalf("%d Conditional Access requests; the test needs two or more", ca)
	}
	if throttled > 0 {
		t.Errorf("%d of %d Conditional Access requests throttled, want none", throttled, ca)
	}
	if want := time.Duration(ca-1) * time.Second; took < want {
		t.Errorf("%d Conditional Access requests in %v, want at least %v apart", ca, took, want)
	}
}

// An export that reads users first asks Graph for the tenant's size (GET
// /users/$count, eventual consistency: one request) so that its pacing
// starts at Graph's quota for that size (8,000 units per 10 s above 500
// users) instead of learning it from the smallest; an export that reads no
// users does not (it may lack the permission, and needs no large budget).
func TestExportSizesTheBudgetFirst(t *testing.T) {
	sim := newSim(t, graphsim.Options{Profile: "large", Throttle: "realistic",
		Sizes: graphsim.Sizes{Users: 600, Groups: 20, MembersPerGroup: 5, Apps: 10, CAPolicies: 2}})
	var mu sync.Mutex
	var first []string
	c := pacedClient(t, sim, func(cfg *graph.Config) {
		cfg.Progress = func(e graph.Event) {
			mu.Lock()
			if e.Paced == 0 && len(first) < 3 {
				first = append(first, e.Method+" "+e.Endpoint)
			}
			mu.Unlock()
		}
	})
	res := mustExport(t, c, newRepo(t, true), nil)
	if !res.Complete() {
		t.Fatalf("incomplete: %+v", res.Incomplete())
	}
	if len(first) == 0 || first[0] != "GET /v1.0/users/$count" {
		t.Errorf("first requests %v, want GET /v1.0/users/$count first", first)
	}
	if q := c.ReadQuota(); q != graph.ReadQuotaLarge {
		t.Errorf("quota %d after the export of a 600-user tenant, want %d", q, graph.ReadQuotaLarge)
	}

	kinds, err := layout.Select([]string{"named-locations"})
	if err != nil {
		t.Fatal(err)
	}
	c2 := pacedClient(t, sim, nil)
	mustExport(t, c2, newRepo(t, true), func(o *Options) { o.Kinds = kinds })
	for ep := range c2.Stats().Endpoints {
		if strings.Contains(ep, "$count") {
			t.Errorf("an export of named locations only sent %s", ep)
		}
	}
}

// TestScheduledExportPacesTheAuditLog: the audit log is an identity and
// access report, limited to 5 requests per 10 s per app and tenant. A
// scheduled export reads it for the attribution of changes and for each
// kind that resumes from it, over several pages (more than 999 records, by
// an app with a hostile name): under realistic throttling it gets no 429
// (the client paces the audit log to its own bucket), keeps every record's
// actor as written, and equals a full export.
func TestScheduledExportPacesTheAuditLog(t *testing.T) {
	sim := newSim(t, graphsim.Options{Throttle: "realistic", Sizes: graphsim.Sizes{Users: 30, Groups: 4, MembersPerGroup: 3, Apps: 3}})
	c := pacedClient(t, sim, nil)
	kinds := simtest.Kinds(t, append([]string{"users"}, live.AuditKinds()...)...)
	opts := func(o *Options) { o.Kinds, o.Now, o.AllowShrink = kinds, sim.Clock().Now, true }
	inc := newRepo(t, false)
	if res := mustExport(t, c, inc, opts); !res.Complete() {
		t.Fatalf("first export incomplete: %+v", res.Incomplete())
	}
	sim.Clock().Advance(24 * time.Hour)

	// A writer app whose service principal has a hostile display name.
	srv := newServer(t, sim)
	admin := clientFor(t, sim, srv, "")
	tok, appID := limitedApp(t, sim, admin, srv.URL, "User.ReadWrite.All")
	hostile := "Ops \"bot\" '; DROP\u202e\u200f 🚀 ../../etc/passwd\t" + strings.Repeat("ü", 120)
	ctx := context.Background()
	for _, sp := range sim.Tenant().List("servicePrincipal") {
		if sp["appId"] == appID {
			if _, err := admin.Patch(ctx, "/v1.0/servicePrincipals/"+sp["id"].(string), map[string]any{"displayName": hostile}); err != nil {
				t.Fatal(err)
			}
		}
	}
	writer := clientFor(t, sim, srv, tok)
	var users []string
	for _, u := range sim.Tenant().List("user") {
		if u["onPremisesSyncEnabled"] != true {
			users = append(users, u["id"].(string))
		}
	}
	sort.Strings(users)
	// Three pages of 999, read twice (attribution, users): 6 requests, one
	// more than the bucket holds. (3 to 4 s here; -short skips the full
	// export at the end, about a quarter of it.)
	const records, runs = 2010, 1
	var reqs []graph.BatchRequest
	for i := 0; i < records; i++ {
		reqs = append(reqs, graph.BatchRequest{Method: "PATCH", URL: "/v1.0/users/" + users[i%len(users)],
			Body: map[string]any{"jobTitle": fmt.Sprintf("title %d \"q\" \u202e%d 🚀", i, i%7)}})
	}
	for len(reqs) > 0 {
		n := min(20, len(reqs))
		out, err := writer.Batch(ctx, reqs[:n])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out {
			if r.Status >= 300 {
				t.Fatalf("PATCH in a batch: %d %s", r.Status, r.Body)
			}
		}
		reqs = reqs[n:]
	}
	sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)

	before := c.Stats()
	var res *Result
	for i := 0; i < runs; i++ {
		r := mustExport(t, c, inc, func(o *Options) { opts(o); o.Scheduled = true })
		if !r.Complete() {
			t.Fatalf("scheduled export incomplete: %+v", r.Incomplete())
		}
		if k := kindResult(r, "users"); k.Read != "delta" {
			t.Errorf("users read %q (%s), want delta from the audit log", k.Read, k.Note)
		}
		if res == nil {
			res = r
		}
	}
	var audit, throttled int64
	for ep, st := range c.Stats().Endpoints {
		prev := before.Endpoints[ep]
		if strings.Contains(ep, "/auditLogs/") {
			audit += st.Requests - prev.Requests
		}
		throttled += st.Throttled - prev.Throttled
	}
	if audit <= graph.ReportQuota {
		t.Fatalf("%d audit log requests; the test needs more than %d to cross the limit: %+v", audit, graph.ReportQuota, c.Stats().Endpoints)
	}
	if throttled > 0 {
		t.Errorf("%d requests throttled (%d audit log requests), want none: %v", throttled, audit, throttledEndpoints(c))
	}
	recs := changesAtHead(t, inc)[res.ChangesFile]
	byHostile := 0
	for _, r := range recs {
		if r.Actor.Name == hostile && r.Actor.AppID == appID {
			byHostile++
		}
	}
	if byHostile < records {
		t.Errorf("%d of %d records in %q name the hostile actor exactly, want %d (all pages read)", byHostile, len(recs), res.ChangesFile, records)
	}
	if testing.Short() {
		return // -short: the comparison with a full export runs in the plain test phase
	}
	full := newRepo(t, true)
	if res := mustExport(t, c, full, opts); !res.Complete() {
		t.Fatalf("full export incomplete: %+v", res.Incomplete())
	}
	sameTree(t, "the scheduled export under throttling", tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
}
