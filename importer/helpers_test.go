package importer

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// env is a graphsim tenant, a client, and a repository with a first snapshot.
type env struct {
	t   testing.TB
	sim *graphsim.Server
	srv *httptest.Server
	c   *graph.Client // the product's client: every request meets graphsim's faults
	// stage, when the tenant injects faults, is the test's own client for
	// its set-up and checks (own): through graphsim's Unfaulted handler
	// (and wrap). A set-up request whose answer is lost cannot be sent
	// again safely (a create in doubt may be made twice), and a test
	// failing on its own set-up tests nothing; the product's plan, apply
	// and exports still go through e.c and meet every fault.
	stage *graph.Client
	repo  *snapshot.Repo
	first string // tag of the first snapshot
	now   time.Time
	ahead time.Duration // how far graphsim's clock moved during the first export
}

// startSim serves a graphsim tenant (wrapped by wrap when set) over httptest.
func startSim(t testing.TB, o graphsim.Options, wrap func(http.Handler) http.Handler) (*graphsim.Server, *httptest.Server) {
	t.Helper()
	sim, err := graphsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	return sim, simtest.Serve(t, h)
}

// newEnv starts the demo tenant (wrapped by wrap when set) and exports it.
// The default tenant (graphsim.Options{}, no wrap) runs on a clock stopped
// at simtest.Now (moved only by waits and tests), so its export is the
// same in every test: it is done once per test binary and each test gets a
// copy of its repository beside a tenant of its own (sharedEnv;
// TestSharedExportIsAnExportOfItsOwn checks the copy).
func newEnv(t testing.TB, o graphsim.Options, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	if o == (graphsim.Options{}) && wrap == nil {
		return sharedEnv(t)
	}
	return exportedEnv(t, o, wrap)
}

// exportedEnv is newEnv with an export of its own.
func exportedEnv(t testing.TB, o graphsim.Options, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	if o.Profile == "" {
		o.Profile = "demo"
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	e := unexportedEnv(t, o, wrap)
	sim, r := e.sim, e.repo
	simStart := sim.Clock().Now()
	res, err := exporter.Run(context.Background(), exporter.Options{Client: e.c, Repo: r, Now: e.clock, Message: "baseline"})
	if err != nil || !res.Complete() {
		t.Fatalf("first export: %v %+v", err, res)
	}
	e.first = res.Tag
	e.ahead = sim.Clock().Now().Sub(simStart)
	return e
}

// unexportedEnv is exportedEnv before its export: a tenant (o as given)
// and an empty repository, e.first unset, for a test that makes the
// exports it needs itself.
func unexportedEnv(t testing.TB, o graphsim.Options, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	sim, srv := startSim(t, o, wrap)
	e := &env{t: t, sim: sim, srv: srv, now: time.Date(2026, 3, 23, 10, 0, 0, 0, time.UTC)}
	e.c = e.client(sim.Token())
	if o.FaultRate > 0 {
		var h http.Handler = sim.Unfaulted()
		if wrap != nil {
			h = wrap(h)
		}
		e.stage = simtest.Client(t, sim, simtest.Serve(t, h), sim.Token())
	}
	e.repo = simtest.Repo(t, false)
	return e
}

// sharedExport is the default tenant's first export (sharedEnv).
var sharedExport simtest.Template

func TestMain(m *testing.M) {
	code := m.Run()
	sharedExport.Remove()
	os.Exit(code)
}

// sharedEnv is newEnv of the default tenant: a new tenant and a copy of
// the one export of that tenant this test binary made, as if it had been
// made here (env.now, and graphsim's clock moved as the export's paced and
// retried reads moved it).
func sharedEnv(t testing.TB) *env {
	t.Helper()
	type made struct {
		first string
		now   time.Time
		ahead time.Duration
	}
	dir := filepath.Join(t.TempDir(), "backup")
	o := graphsim.Options{Profile: "demo", Seed: 1, Now: simtest.Now}
	m := sharedExport.Copy(t, dir, func(t testing.TB, dir string) (any, error) {
		e := exportedEnv(t, o, nil)
		e.repo.Close()
		return made{e.first, e.now, e.ahead}, os.Rename(e.repo.Path(), dir)
	}).(made)
	sim, srv := startSim(t, o, nil)
	sim.Clock().Advance(m.ahead)
	r, err := snapshot.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	e := &env{t: t, sim: sim, srv: srv, repo: r, first: m.first, now: m.now, ahead: m.ahead}
	e.c = e.client(sim.Token())
	return e
}

// shortKinds holds, per top-level test, the kinds whenShortOnly named.
var shortKinds sync.Map // test name -> []*layout.Kind

// whenShortOnly makes the exports the test (and its subtests) makes after
// its first (recordIncident, snapshot: exportAfter) read only the named
// kinds under -short (CI's race run), where an export of every kind of the
// demo tenant costs about 2 CPU-seconds under -race, a fifth to a quarter
// of a restore test: the kinds not read are carried forward from the
// previous snapshot unchanged, so the snapshot at the branch head is what
// a whole export writes when only the named kinds changed. The plain test
// run (no -short) reads every kind and fails the test if a kind it did
// not name changed (exportAfter), so the list cannot leave out what the
// test changes. To write a test's list, call it with no kinds and run the
// test without -short: the failures name every kind its later exports
// changed (recreating an object also changes the kinds that refer to it,
// and a group's PIM schedules). A test that changes most kinds
// (TestRecreateOneObjectOfEveryCreatableKind,
// TestRestoreWithExactlyTheListedPermissions) does not call it, nor do
// four tests whose run without -short meets faults and lag that change
// which kinds their exports see changed from one run to the next (one such
// run of TestExportDriftRestoreAgainstRealisticGraph changed groups and
// users, another did not; TestNewKindsAgainstRealisticGraph,
// TestWritesAfterACreateUnderItsOwnKeyWaitForReplication,
// TestRestoreCatalogResourcesAndRoleScopes).
func whenShortOnly(t *testing.T, names ...string) {
	t.Helper()
	shortKinds.Store(t.Name(), simtest.Kinds(t, names...))
	t.Cleanup(func() { shortKinds.Delete(t.Name()) })
}

// exportAfter runs o, an export after the first, through the kinds
// whenShortOnly named for e's test: under -short only those are read;
// without -short every kind is read and a changed file of another kind
// fails the test.
func (e *env) exportAfter(o exporter.Options) (*exporter.Result, error) {
	e.t.Helper()
	v, named := shortKinds.Load(strings.SplitN(e.t.Name(), "/", 2)[0])
	if !named {
		return exporter.Run(context.Background(), o)
	}
	ks := v.([]*layout.Kind)
	if testing.Short() {
		o.Kinds = ks
		return exporter.Run(context.Background(), o)
	}
	before := e.snapshotObjects("HEAD")
	res, err := exporter.Run(context.Background(), o)
	if err != nil {
		return res, err
	}
	after := e.snapshotObjects("HEAD")
	changed := func(p string, o *diff.Object) {
		if !slices.Contains(ks, o.Kind) {
			e.t.Errorf("%s changed in an export after the first, but its kind %s is not one whenShortOnly names: under -short that export would not read it", p, o.Kind.Name)
		}
	}
	for p, o := range after {
		if b, ok := before[p]; !ok || !reflect.DeepEqual(b.Data, o.Data) {
			changed(p, o)
		}
	}
	for p, o := range before {
		if _, ok := after[p]; !ok {
			changed(p, o)
		}
	}
	return res, nil
}

func (e *env) clock() time.Time {
	e.now = e.now.Add(time.Minute)
	return e.now
}

// client is a Graph client of the server whose waits advance graphsim's clock.
func (e *env) client(token string) *graph.Client { return simtest.Client(e.t, e.sim, e.srv, token) }

// own is the client of the test's own requests (do, post, list, get):
// e.stage when the tenant injects faults, else e.c (whatever token the
// test gave it).
func (e *env) own() *graph.Client {
	if e.stage != nil {
		return e.stage
	}
	return e.c
}

// list reads a collection (the test's own read: e.own).
func (e *env) list(path string) []map[string]any {
	e.t.Helper()
	out, err := e.own().ListObjects(context.Background(), path)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// do sends the test's own request (set-up, incident) through e.own.
func (e *env) do(method, path string, body any) {
	e.t.Helper()
	if _, err := e.own().Do(context.Background(), method, path, body); err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// plainSecurityGroups are the live tenant's cloud-only, assigned-membership
// security groups that are neither mail-enabled, Microsoft 365 nor
// role-assignable (with their id, displayName and the properties that
// tell), in Graph's order.
func (e *env) plainSecurityGroups() []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for _, g := range e.list("/v1.0/groups?$select=id,displayName,groupTypes,onPremisesSyncEnabled,membershipRule,isAssignableToRole,securityEnabled,mailEnabled") {
		if g["onPremisesSyncEnabled"] != true && str(g["membershipRule"]) == "" && g["isAssignableToRole"] != true &&
			len(asSlice(g["groupTypes"])) == 0 && g["securityEnabled"] == true && g["mailEnabled"] != true {
			out = append(out, g)
		}
	}
	return out
}

// plan loads and computes a plan from REV.
func (e *env) plan(rev string, sel []string, opts Options) *Plan {
	e.t.Helper()
	return e.planWith(e.c, rev, sel, opts)
}

// planWith is plan read through c (a delegated sign-in, an app-only token
// with fewer permissions).
func (e *env) planWith(c *graph.Client, rev string, sel []string, opts Options) *Plan {
	e.t.Helper()
	in, err := Load(context.Background(), LoadOptions{Client: c, Repo: e.repo, Rev: rev, Selectors: sel, Options: opts, Now: e.now})
	if err != nil {
		e.t.Fatalf("load: %v", err)
	}
	p, err := Compute(in)
	if err != nil {
		e.t.Fatalf("compute: %v", err)
	}
	return p
}

func (e *env) applyOpts() ApplyOptions {
	return ApplyOptions{Client: e.c, Repo: e.repo, Sleep: simtest.Sleep(e.sim), Record: e.recordWith(e.c), ConsistencyTimeout: time.Minute}
}

// applyOptsAs is applyOpts for a restore that writes through c and sends
// its token (a delegated sign-in: what it may change is checked against
// the signed-in user's roles) and records through c as well.
func (e *env) applyOptsAs(ctx context.Context, c *graph.Client) ApplyOptions {
	return ApplyOptions{Client: c, Repo: e.repo, Token: c.BearerToken(ctx), Sleep: simtest.Sleep(e.sim), Record: e.recordWith(c), ConsistencyTimeout: time.Minute}
}

// recordWith records the post-restore snapshot as the CLI does: an export
// through c (the client the restore wrote with) at e's clock.
func (e *env) recordWith(c *graph.Client) func(context.Context, []*layout.Kind, string, map[string][]byte) (*SnapshotInfo, error) {
	return func(ctx context.Context, kinds []*layout.Kind, msg string, files map[string][]byte) (*SnapshotInfo, error) {
		res, err := exporter.Options{Client: c, Repo: e.repo, Now: e.clock}.Record(ctx, kinds, msg, files)
		if res == nil {
			return nil, err
		}
		return &SnapshotInfo{Changed: res.Changed, Commit: res.Commit, Tag: res.Tag, Detail: res}, err
	}
}

// apply applies p and fails the test on a refusal.
func (e *env) apply(p *Plan) *Result {
	e.t.Helper()
	res, err := Apply(context.Background(), p, e.applyOpts())
	if err != nil {
		e.t.Fatalf("apply: %v", err)
	}
	return res
}

func render(p *Plan) string {
	var b bytes.Buffer
	_ = p.Render(&b, RenderOptions{Requests: true})
	return b.String()
}

// failing wraps h so that requests matching fn fail with 500 while *on.
func failing(h http.Handler, fn func(r *http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fn(r) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":{"code":"generalException","message":"injected failure"}}`))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// git and fsck check our repositories with the real git CLI.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return gitcheck.Run(t, dir, args...)
}

func fsck(t testing.TB, dir string) {
	t.Helper()
	gitcheck.Fsck(t, dir)
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

func containsFold(list []any, s string) bool {
	return slices.ContainsFunc(list, func(e any) bool { return strings.EqualFold(str(e), s) })
}

// TestSharedExportIsAnExportOfItsOwn: the copy of the shared first export
// that newEnv gives is what an export of the test's own tenant writes (the
// same tag, object files, refs and state, but for when Graph issued the
// delta tokens: the client's pacing runs on the wall clock, so an export's
// waits, and with them graphsim's clock, vary by a second from run to
// run), and its delta links resume against the test's own tenant: tests
// that take it test what they would with an export of their own.
func TestSharedExportIsAnExportOfItsOwn(t *testing.T) {
	shared := newEnv(t, graphsim.Options{}, nil)
	own := exportedEnv(t, graphsim.Options{Now: simtest.Now}, nil)
	if shared.first != own.first || !shared.now.Equal(own.now) {
		t.Fatalf("shared export: tag %s at %s, own: %s at %s", shared.first, shared.now, own.first, own.now)
	}
	files := func(e *env) map[string][]byte {
		out := map[string][]byte{}
		for _, l := range strings.Split(strings.TrimSpace(git(t, e.repo.Path(), "ls-tree", "-r", "HEAD")), "\n") {
			f := strings.SplitN(l, "\t", 2)
			out[f[1]] = []byte(f[0])
		}
		state := strings.Split(git(t, e.repo.Path(), "show", "HEAD:"+exporter.StatePath), "\n")
		// Delta links (a kind's, and its children's such as a service
		// principal's oauth2PermissionGrants) carry the time of their read,
		// which differs by a second from run to run.
		state = slices.DeleteFunc(state, func(l string) bool {
			return strings.Contains(l, "deltaLink: ") || strings.Contains(l, "$deltatoken=")
		})
		out[exporter.StatePath] = []byte(strings.Join(state, "\n"))
		// The git directory's own files (entrasnap's state files, HEAD,
		// config; not the index, which holds the files' times).
		ents, err := os.ReadDir(filepath.Join(e.repo.Path(), ".git"))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ents {
			if d.Type().IsRegular() && d.Name() != "index" {
				out[".git/"+d.Name()], _ = os.ReadFile(filepath.Join(e.repo.Path(), ".git", d.Name()))
			}
		}
		out["refs"] = []byte(git(t, e.repo.Path(), "for-each-ref", "--format=%(refname) %(objecttype)"))
		out["status"] = []byte(git(t, e.repo.Path(), "status", "--porcelain", "--ignored"))
		return out
	}
	simtest.SameFiles(t, "shared export", files(shared), files(own))
	// The tenant is the one the export read: a later export resumes from
	// the delta links and finds nothing changed.
	for _, e := range []*env{shared, own} {
		res, err := exporter.Run(context.Background(), exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Message: "again"})
		if err != nil || !res.Complete() || res.Changed {
			t.Fatalf("second export: %v changed=%v", err, res != nil && res.Changed)
		}
	}
}
