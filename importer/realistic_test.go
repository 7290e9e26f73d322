package importer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/live"
)

// Export, drift and restore against a Graph as hard as the real one:
// graphsim with realistic throttling (resource-unit buckets, Conditional
// Access at one request a second without Retry-After), 5% of requests
// failing (500, 503 with Retry-After, 504, dropped connections), a 5 s
// replication lag for creates and recycle-bin restores, $batch answers in a
// seeded random order, and an empty page with a nextLink before every page.
// All waits advance graphsim's clock; every random choice is seeded.

// realisticSim is the hostile graphsim of these tests.
func realisticSim() graphsim.Options {
	return graphsim.Options{
		Profile: "demo", Seed: 1, Now: time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC),
		Throttle: "realistic", FaultRate: 0.05, EventualConsistency: 5 * time.Second, EmptyPages: true,
	}
}

// segmentWatch records every answer, direct or inside a $batch, in which
// Graph says it does not know a path segment: the product asked for a path
// under an API version that lacks it (graphsim/versions.go).
type segmentWatch struct {
	mu   sync.Mutex
	hits []string
}

func (sw *segmentWatch) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(tw, r)
		if bytes.Contains(tw.body.Bytes(), []byte("Resource not found for the segment")) {
			sw.mu.Lock()
			sw.hits = append(sw.hits, r.Method+" "+r.URL.Path+": "+firstLine(tw.body.String()))
			sw.mu.Unlock()
		}
	})
}

func (sw *segmentWatch) check(t *testing.T) {
	t.Helper()
	sw.mu.Lock()
	defer sw.mu.Unlock()
	for _, h := range sw.hits {
		t.Errorf("a request under a version that lacks its path: %s", h)
	}
}

func firstLine(s string) string {
	if len(s) > 300 {
		s = s[:300]
	}
	return strings.SplitN(s, "\n", 2)[0]
}

// teeWriter keeps a copy of the body and lets graphsim drop the connection.
type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (tw *teeWriter) Write(b []byte) (int, error) {
	tw.body.Write(b)
	return tw.ResponseWriter.Write(b)
}

func (tw *teeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := tw.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("not hijackable")
	}
	return hj.Hijack()
}

// treeOf returns the tree id of a revision of e's repository.
func (e *env) treeOf(rev string) string {
	e.t.Helper()
	return strings.TrimSpace(git(e.t, e.repo.Path(), "rev-parse", rev+"^{tree}"))
}

// maskDeltaTokens replaces the delta tokens in the state file of files
// by a fixed word, failing t when the file has none.
func maskDeltaTokens(t *testing.T, files map[string][]byte) map[string][]byte {
	t.Helper()
	const state = ".entrasnap/state.yaml"
	re := regexp.MustCompile(`\$deltatoken=[^"&]+`)
	if !re.Match(files[state]) {
		t.Fatalf("%s holds no delta link:\n%s", state, files[state])
	}
	files[state] = re.ReplaceAll(files[state], []byte("$$deltatoken=TOKEN"))
	return files
}

// files returns every file of rev in e's repository by path.
func (e *env) files(rev string) map[string][]byte {
	e.t.Helper()
	ctx := context.Background()
	h, err := e.repo.Resolve(ctx, rev)
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := e.repo.ReadAll(ctx, h.String(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// driftFiles reads the live tenant as drift does (live.Read) and returns
// how it differs from the files of rev: paths added, removed or changed.
func (e *env) driftFiles(rev string) []string {
	e.t.Helper()
	ctx := context.Background()
	lv, err := live.Read(ctx, live.ReadOptions{Client: e.c})
	if err != nil {
		e.t.Fatalf("drift read: %v", err)
	}
	if inc := lv.Incomplete(); len(inc) > 0 {
		e.t.Fatalf("drift: kinds not checked: %+v", inc)
	}
	h, err := e.repo.Resolve(ctx, rev)
	if err != nil {
		e.t.Fatal(err)
	}
	base, err := e.repo.ReadAll(ctx, h.String(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for p, b := range lv.Files {
		old, ok := base[p]
		switch {
		case !ok:
			out = append(out, "+ "+p)
		case !bytes.Equal(old, b):
			out = append(out, "~ "+p)
		}
	}
	for p := range base {
		if _, ok := lv.Files[p]; !ok && strings.HasSuffix(p, ".yaml") && strings.Contains(p, "/") && !strings.HasPrefix(p, ".") {
			out = append(out, "- "+p)
		}
	}
	sort.Strings(out)
	return out
}

// gone deletes an object through the test's own client (e.own) and checks
// that graphsim holds it no more.
func (e *env) gone(kind, key, path string) {
	e.t.Helper()
	e.do("DELETE", path, nil)
	if _, still := e.sim.Tenant().Get(kind, key); still {
		e.t.Fatalf("DELETE %s answered, and graphsim still holds %s %s", path, kind, key)
	}
}

// The export is complete and byte-identical to one made without faults,
// drift finds nothing, and a restore of deleted and purged objects
// completes, verifies, and leaves nothing to do - with no request sent
// under an API version that lacks its path.
func TestExportDriftRestoreAgainstRealisticGraph(t *testing.T) {
	clean := newEnv(t, graphsim.Options{Profile: "demo", Seed: 1, Now: realisticSim().Now}, nil)
	sw := &segmentWatch{}
	e := newEnv(t, realisticSim(), sw.wrap)

	// Export: the same files as the clean one. The delta links in the
	// state file are Graph's opaque tokens (graphsim's hold its clock,
	// which runs on while a slow machine works), so they are compared
	// only for being there.
	simtest.SameFiles(t, "export under faults vs without", maskDeltaTokens(t, e.files(e.first)), maskDeltaTokens(t, clean.files(clean.first)))
	st := e.sim.Stats()
	if st.Throttled == 0 || st.Faults == 0 {
		t.Errorf("the hostile Graph did not bite: %d throttled, %d faults", st.Throttled, st.Faults)
	}

	// Drift: nothing.
	if d := e.driftFiles(e.first); len(d) > 0 {
		t.Errorf("drift on an unchanged tenant:\n%s", strings.Join(d, "\n"))
	}

	// Restore: a user, a group and an application from the recycle bin, a
	// purged group (recreated, its members added while it replicates), and
	// a Conditional Access policy (its bin is beta-only and closed to
	// app-only tokens: recreated).
	snap := e.snapshotObjects(e.first)
	var paths []string
	for p := range snap {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	pick := map[string]*Object{}
	var sel []string
	take := func(name string, o *Object) {
		pick[name] = o
		sel = append(sel, o.Path)
	}
	for _, p := range paths {
		o := snap[p]
		if !candidate(o.Kind, o) {
			continue
		}
		switch o.Kind.Name {
		case "users":
			if pick["user"] == nil && o.Data["userType"] != "Guest" {
				take("user", o)
			}
		case "groups":
			if dynamicMembership(o.Data) || o.Data["isAssignableToRole"] == true {
				continue
			}
			if len(e.sim.Tenant().Links("group", o.Key, "members")) == 0 {
				continue
			}
			switch {
			case pick["group"] == nil:
				take("group", o)
			case pick["purged group"] == nil:
				take("purged group", o)
			}
		case "applications":
			if pick["application"] == nil {
				take("application", o)
			}
		case "conditional-access-policies":
			if pick["policy"] == nil {
				take("policy", o)
			}
		}
	}
	for _, n := range []string{"user", "group", "purged group", "application", "policy"} {
		if pick[n] == nil {
			t.Fatalf("the demo tenant has no %s to restore", n)
		}
	}
	e.gone("user", pick["user"].Key, itemPath(pick["user"].Kind, pick["user"].Key))
	e.gone("group", pick["group"].Key, itemPath(pick["group"].Kind, pick["group"].Key))
	e.gone("application", pick["application"].Key, itemPath(pick["application"].Kind, pick["application"].Key))
	e.gone("conditionalAccessPolicy", pick["policy"].Key, itemPath(pick["policy"].Kind, pick["policy"].Key))
	pg := pick["purged group"]
	e.gone("group", pg.Key, itemPath(pg.Kind, pg.Key))
	e.do("DELETE", "/v1.0/directory/deletedItems/"+pg.Key, nil)
	e.recordIncident()

	p, _ := e.applyConverging(func() *Plan { return e.plan(e.first, sel, Options{CAState: CAStateAsIs}) }, e.applyOpts())
	ops := map[Op]int{}
	for _, a := range p.Actions {
		ops[a.Op]++
	}
	if ops[OpRestore] < 3 || ops[OpCreate] < 2 {
		t.Logf("plan has %v", ops) // a re-run plans only what is left
	}
	// Restored from the recycle bin: back under their own ids.
	for _, n := range []string{"user", "group", "application"} {
		if _, ok := e.sim.Tenant().Get(n, pick[n].Key); !ok {
			t.Errorf("%s %s is not back under its id", n, pick[n].Key)
		}
	}
	// Recreated once: no duplicate of a create whose answer was lost.
	for _, c := range []struct{ name, kind string }{{"purged group", "group"}, {"policy", "conditionalAccessPolicy"}} {
		n := 0
		for _, o := range e.sim.Tenant().List(c.kind) {
			if o["displayName"] == pick[c.name].Data["displayName"] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d %ss named %v, want 1", n, c.kind, pick[c.name].Data["displayName"])
		}
	}
	e.mustBeEmpty(sel, Options{CAState: CAStateAsIs})
	sw.check(t)
}

// The watch sees Graph's answer to a path under a version that lacks it,
// directly and inside a $batch.
func TestSegmentWatchSeesVersionErrors(t *testing.T) {
	sw := &segmentWatch{}
	sim, srv := startSim(t, graphsim.Options{Seed: 1}, sw.wrap)
	e := &env{t: t, sim: sim, srv: srv}
	c := e.client(sim.Token())
	if _, err := c.Get(context.Background(), "/v1.0/identity/conditionalAccess/deletedItems/policies"); err == nil {
		t.Fatal("v1.0 CA recycle bin answered")
	}
	if len(sw.hits) != 1 {
		t.Errorf("watch saw %d answers, want 1: %v", len(sw.hits), sw.hits)
	}
}

// loseFirst passes the first request that match accepts (once armed) to h,
// then drops the connection: Graph did the work, the answer is lost.
type loseFirst struct {
	mu    sync.Mutex
	armed bool
	match func(r *http.Request) bool
	// made: lose only an answer Graph carried the request out for (2xx);
	// another (a 429 of the realistic throttle) passes, and the client
	// sends the request again.
	made bool
	// refuse: answer the first match 500 without passing it to h (Graph
	// failed before carrying it out) instead of losing a done answer.
	refuse bool
	lost   []string
}

func (lf *loseFirst) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lf.mu.Lock()
		hit := lf.armed && lf.match(r)
		lf.mu.Unlock()
		if !hit {
			h.ServeHTTP(w, r)
			return
		}
		if lf.refuse {
			lf.mu.Lock()
			lf.armed = false
			lf.lost = append(lf.lost, r.Method+" "+r.URL.Path)
			lf.mu.Unlock()
			failing(h, func(*http.Request) bool { return true }).ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		lf.mu.Lock()
		lose := lf.armed && (!lf.made || rec.Code < 300)
		if lose {
			lf.armed = false
			lf.lost = append(lf.lost, r.Method+" "+r.URL.Path)
		}
		lf.mu.Unlock()
		if !lose {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	})
}

func (lf *loseFirst) arm() {
	lf.mu.Lock()
	lf.armed = true
	lf.mu.Unlock()
}

// A member add or a recycle-bin restore that Graph carried out but whose
// answer was lost is sent again, and the resend's "already exists" (the
// member) or 404 (no longer in the bin) counts as done.
func TestLostAnswerOfALinkOrRestoreIsSentAgain(t *testing.T) {
	whenShortOnly(t, "groups")
	t.Run("member add", func(t *testing.T) {
		lf := &loseFirst{match: func(r *http.Request) bool {
			return r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/members/$ref")
		}}
		e := newEnv(t, graphsim.Options{}, lf.wrap)
		_, gid, members := e.emptyGroup(3)
		e.recordIncident()
		p := e.plan(e.first, []string{gid}, Options{})
		lf.arm()
		res := e.apply(p)
		if len(lf.lost) != 1 {
			t.Fatalf("lost %v, want one member add", lf.lost)
		}
		if !res.Complete() {
			t.Fatalf("restore not complete: %+v", res.Actions)
		}
		for _, a := range res.Actions {
			if a.Status != StatusDone {
				t.Errorf("%s %s: %s %s", a.ID, a.Op, a.Status, a.Error)
			}
		}
		if n := len(e.list("/v1.0/groups/" + gid + "/members?$select=id")); n != len(members) {
			t.Errorf("%d members after restore, want %d", n, len(members))
		}
	})
	t.Run("restore from the recycle bin", func(t *testing.T) {
		lf := &loseFirst{match: func(r *http.Request) bool {
			return r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/restore")
		}}
		e := newEnv(t, graphsim.Options{}, lf.wrap)
		g, _ := e.groupWithMembers(2)
		gid := str(g["id"])
		e.do("DELETE", "/v1.0/groups/"+gid, nil)
		e.recordIncident()
		p := e.plan(e.first, []string{gid}, Options{})
		if p.Counts()[OpRestore] != 1 {
			t.Fatalf("plan:\n%s", render(p))
		}
		lf.arm()
		res := e.apply(p)
		if len(lf.lost) != 1 {
			t.Fatalf("lost %v, want the restore", lf.lost)
		}
		if !res.Complete() {
			t.Fatalf("restore not complete: %+v", res.Actions)
		}
		if _, ok := e.sim.Tenant().Get("group", gid); !ok {
			t.Error("the group is not back")
		}
	})
}

// applyConverging plans (plan) and applies with o against a tenant that
// injects faults: a create whose answer is lost (a dropped connection or a
// 5xx, which graphsim sometimes sends after carrying the create out) is
// in doubt: the product does not send it twice in one run; a re-run finds
// what Graph made (indoubt.go) or creates it. Other POSTs that are not
// resent in one run (a group's assignLicense, an agreement's file) are
// reported failed when their answer is lost, and the re-run sends them
// again. Nothing may fail with an answer below 500, and the re-runs (at
// most 3) must converge to a complete restore. It returns the last plan
// and result.
func (e *env) applyConverging(plan func() *Plan, o ApplyOptions) (*Plan, *Result) {
	t := e.t
	t.Helper()
	p := plan()
	res, err := Apply(context.Background(), p, o)
	if err != nil {
		t.Fatalf("apply: %v\nplan:\n%s", err, render(p))
	}
	for run := 1; !res.Complete() && run <= 3; run++ {
		for _, a := range res.Actions {
			method := ""
			for _, pa := range p.Actions {
				if pa.ID == a.ID {
					method = pa.Request.Method
				}
			}
			lostPOST := method == "POST" && (a.GraphStatus == 0 || a.GraphStatus >= 500)
			if a.Status == StatusFailed && (a.Op != OpCreate && !lostPOST || a.GraphStatus != 0 && a.GraphStatus < 500) {
				t.Errorf("%s %s %s failed: %s", a.ID, a.Kind, a.Op, a.Error)
			}
		}
		if t.Failed() {
			break
		}
		t.Logf("apply %d left creates in doubt; re-running", run)
		p = plan()
		if res, err = Apply(context.Background(), p, o); err != nil {
			t.Fatalf("re-run apply: %v\nplan:\n%s", err, render(p))
		}
	}
	if !res.Complete() {
		var lines []string
		for _, a := range res.Actions {
			if a.Status != StatusDone {
				lines = append(lines, fmt.Sprintf("%s %s %s: %s %s", a.ID, a.Kind, a.Op, a.Status, a.Error))
			}
		}
		for _, d := range res.Differences {
			lines = append(lines, fmt.Sprintf("difference: %s %s %s %s", d.Kind, d.Name, d.What, d.Target))
		}
		t.Fatalf("restore did not complete (verify %q):\n%s\nplan:\n%s", res.VerifyError, strings.Join(lines, "\n"), render(p))
	}
	return p, res
}
