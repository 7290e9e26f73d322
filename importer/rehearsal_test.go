package importer

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// TestRehearsalMarkDecidesWhatMayBeRecorded: the tenant's mark
// (X-Graphsim-Rehearsal, RehearsalMark) decides: Load refuses a rehearsal's
// tenant to a run that is not a rehearsal and a real tenant to a
// rehearsal; a plan records the instance it was made against and apply
// refuses it against another instance, and against the same tenant when
// the run is not a rehearsal, writing nothing; a rehearsal's Apply never
// records. A mark that is not an instance (hostile header values) is an
// error that shows it escaped, and never names a file.
func TestRehearsalMarkDecidesWhatMayBeRecorded(t *testing.T) {
	if RehearsalHeader != graphsim.RehearsalHeader {
		t.Fatalf("importer reads %s, graphsim sends %s", RehearsalHeader, graphsim.RehearsalHeader)
	}
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	var mu sync.Mutex
	var marks []string
	setMarks := func(v ...string) { mu.Lock(); marks = v; mu.Unlock() }
	srv := simtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		for _, m := range marks {
			w.Header().Add(RehearsalHeader, m)
		}
		mu.Unlock()
		e.sim.ServeHTTP(w, r)
	}))
	// A client asks for the mark once (clientMark): another mark is another
	// graphsim process, which a run reaches with a client of its own.
	var c *graph.Client
	mark := func(v ...string) { setMarks(v...); c = simtest.Client(t, e.sim, srv, "") }
	const inst, other = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"

	groups := e.plainSecurityGroups()
	gid := str(groups[0]["id"])
	members := e.list("/v1.0/groups/" + gid + "/members?$select=id")
	if len(members) == 0 {
		t.Fatal("the group has no members")
	}
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+str(members[0]["id"])+"/$ref", nil)
	load := func(rehearsal bool) (*Plan, error) {
		in, err := Load(ctx, LoadOptions{Client: c, Repo: e.repo, Rev: e.first, Selectors: []string{gid}, Now: e.now, Rehearsal: rehearsal})
		if err != nil {
			return nil, err
		}
		return Compute(in)
	}
	refused := func(what string, err error, wants ...string) {
		t.Helper()
		var re *RehearsalError
		if !errors.As(err, &re) {
			t.Fatalf("%s: %v (%T), want a *RehearsalError", what, err, err)
		}
		for _, w := range append(wants, "nothing was written") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant it to say %q", what, err, w)
			}
		}
	}

	// A real tenant: a real plan; a rehearsal is refused.
	mark()
	real, err := load(false)
	if err != nil || real.Rehearsal != "" || real.Empty() {
		t.Fatalf("a real tenant's plan: %v %+v", err, real)
	}
	_, err = load(true)
	refused("a rehearsal against a real tenant", err, "--rehearsal, but Graph does not answer as a rehearsal's tenant")

	// A rehearsal's tenant: refused unless a rehearsal; its plan names it.
	mark(inst)
	_, err = load(false)
	refused("a restore that is not a rehearsal against a rehearsal's tenant", err, inst, "add --rehearsal")
	p, err := load(true)
	if err != nil || p.Rehearsal != inst {
		t.Fatalf("a rehearsal's plan: %v, rehearsal %q", err, p.Rehearsal)
	}
	data, err := p.Encode()
	if err != nil || !strings.Contains(string(data), `"rehearsal": "`+inst+`"`) {
		t.Fatalf("the saved plan does not say it is a rehearsal's: %v\n%.300s", err, data)
	}
	head := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD"))
	recorded := false
	rec := func(context.Context, []*layout.Kind, string, map[string][]byte) (*SnapshotInfo, error) {
		recorded = true
		return nil, errors.New("not reached")
	}
	if _, err := Apply(ctx, p, ApplyOptions{Client: c, Repo: e.repo, Rehearsal: true, Record: rec}); err == nil || !strings.Contains(err.Error(), "records nothing") {
		t.Errorf("a rehearsal's Apply with Record: %v", err)
	}
	// Applied as a real restore against the same tenant (the CLI's apply
	// without --rehearsal, had it not refused first): refused.
	_, err = Apply(ctx, p, ApplyOptions{Client: c, Repo: e.repo, Record: rec, IDCommit: &IDCommit{}})
	refused("a rehearsal's plan applied as a real restore", err, "add --rehearsal")
	// Against another graphsim process, and against a real tenant.
	mark(other)
	_, err = Apply(ctx, p, ApplyOptions{Client: c, Repo: e.repo, Rehearsal: true})
	refused("a rehearsal's plan against another instance", err, inst, other, "another rehearsal's tenant")
	mark()
	_, err = Apply(ctx, p, ApplyOptions{Client: c, Repo: e.repo, Record: rec})
	refused("a rehearsal's plan against a real tenant", err, inst, "never applied to a real tenant")
	// A real plan against a rehearsal's tenant.
	mark(inst)
	_, err = Apply(ctx, real, ApplyOptions{Client: c, Repo: e.repo, Rehearsal: true})
	refused("a real plan applied as a rehearsal", err, "made against a real tenant")
	if n := len(e.list("/v1.0/groups/" + gid + "/members?$select=id")); n != len(members)-1 || recorded {
		t.Fatalf("a refused apply wrote: %d members (want %d), recorded %v", n, len(members)-1, recorded)
	}
	// The rehearsal's own: applied, nothing recorded in the repository.
	res, err := Apply(ctx, p, ApplyOptions{Client: c, Repo: e.repo, Rehearsal: true, IDs: NewIDMap()})
	if err != nil || !res.Complete() {
		t.Fatalf("the rehearsal's apply: %v %+v", err, res)
	}
	if now := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD")); now != head {
		t.Errorf("the rehearsal moved HEAD to %s", now)
	}
	for _, f := range []string{JournalFile, AppliedFile} {
		if _, err := e.repo.ReadState(f); err == nil {
			t.Errorf("the rehearsal left %s in the git directory", f)
		}
	}

	// Hostile marks: errors that show them escaped; no file is named.
	for _, bad := range [][]string{{"../../../etc/passwd"}, {inst + "0"}, {strings.ToUpper(inst)}, {"0123\n" + inst[5:]}, {"\u202e" + inst[1:]},
		{inst, other}, {strings.Repeat("🙂", 500)}} {
		mark(bad...)
		m, err := RehearsalMark(ctx, c)
		if err == nil || m != "" || !strings.Contains(err.Error(), "not a rehearsal instance") {
			t.Errorf("mark %q: %q, %v", bad, m, err)
			continue
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\n\u202e") || len(msg) > 1200 {
			t.Errorf("mark %q: the error shows it raw or unbounded: %q", bad, msg)
		}
		if _, err := load(true); err == nil {
			t.Errorf("mark %q: a rehearsal planned", bad)
		}
	}
	for _, bad := range []string{"", "../x", inst + "/../../x", "ABCDEF0123456789ABCDEF0123456789"} {
		if _, err := ReadRehearsalIDs(e.repo, bad); err == nil {
			t.Errorf("ReadRehearsalIDs(%q): no error", bad)
		}
	}
	bad := strings.Replace(string(data), `"rehearsal": "`+inst+`"`, `"rehearsal": "../`+inst[3:]+`"`, 1)
	if _, err := Decode([]byte(bad)); !errors.Is(err, ErrNotAPlan) {
		t.Errorf("a plan naming a rehearsal instance that is not one: %v", err)
	}
	fsck(t, e.repo.Path())
}

// TestLoadAsksForTheRehearsalMarkOncePerClient: Load sends the GET whose
// answer carries the mark (RehearsalMark) once per graph client: a second
// Load on the client (apply's, verify's) sends one GET /organization fewer
// than the first; a new client asks again; a Load whose mark could not be
// read keeps nothing, and the next asks again.
func TestLoadAsksForTheRehearsalMarkOncePerClient(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	var asked atomic.Int64
	var broken atomic.Bool
	srv := simtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1.0/organization" && r.URL.Query().Get("$select") == "id" {
			asked.Add(1)
			if broken.Load() {
				w.Header().Set(RehearsalHeader, "not an instance")
			}
		}
		e.sim.ServeHTTP(w, r)
	}))
	gid := str(e.plainSecurityGroups()[0]["id"])
	load := func(c *graph.Client) (int64, error) {
		t.Helper()
		before := asked.Load()
		_, err := Load(ctx, LoadOptions{Client: c, Repo: e.repo, Rev: e.first, Selectors: []string{gid}, Now: e.now})
		return asked.Load() - before, err
	}
	c := simtest.Client(t, e.sim, srv, "")
	first, err := load(c)
	if err != nil || first < 1 {
		t.Fatalf("first Load: %v, %d GETs of the organization", err, first)
	}
	for i := range 2 {
		if again, err := load(c); err != nil || again != first-1 {
			t.Errorf("Load %d on the same client: %v, %d GETs of the organization, want %d", i+2, err, again, first-1)
		}
	}
	if fresh, err := load(simtest.Client(t, e.sim, srv, "")); err != nil || fresh != first {
		t.Errorf("a new client's Load: %v, %d GETs of the organization, want %d", err, fresh, first)
	}
	broken.Store(true)
	c = simtest.Client(t, e.sim, srv, "")
	if _, err := load(c); err == nil || !strings.Contains(err.Error(), "not a rehearsal instance") {
		t.Fatalf("a mark that is not an instance: %v", err)
	}
	broken.Store(false)
	if n, err := load(c); err != nil || n != first {
		t.Errorf("Load after a mark that could not be read: %v, %d GETs of the organization, want %d (asked again)", err, n, first)
	}
}

// TestRehearsalIDsAreKeptPerInstance: SaveRehearsalIDs adds to what the
// instance's file holds (in the git directory, outside every commit),
// another instance has its own, and a file that cannot be read is named
// with what to do, never written over.
func TestRehearsalIDsAreKeptPerInstance(t *testing.T) {
	r := simtest.Repo(t, false)
	const inst, other = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	a := NewIDMap()
	a.Add("groups", "0a1b2c3d-0000-4000-8000-0000000000a1", "0a1b2c3d-0000-4000-8000-0000000000a2", "snapshot/x (0123456789ab)")
	b := NewIDMap()
	b.Add("applications", "0a1b2c3d-0000-4000-8000-0000000000b1", "0a1b2c3d-0000-4000-8000-0000000000b2", "")
	b.AddAppID("0a1b2c3d-0000-4000-8000-0000000000c1", "0a1b2c3d-0000-4000-8000-0000000000c2")
	if m, err := ReadRehearsalIDs(r, inst); err != nil || m.Len() != 0 {
		t.Fatalf("no file yet: %v %v", m, err)
	}
	for _, m := range []*IDMap{a, b, nil, NewIDMap()} {
		if err := SaveRehearsalIDs(r, inst, m); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadRehearsalIDs(r, inst)
	if err != nil || got.Len() != 3 {
		t.Fatalf("after two saves: %v %+v", err, got)
	}
	if n, ok := got.Resolve("0A1B2C3D-0000-4000-8000-0000000000A1"); !ok || n != "0a1b2c3d-0000-4000-8000-0000000000a2" {
		t.Errorf("the first save's id: %q %v", n, ok)
	}
	if m, err := ReadRehearsalIDs(r, other); err != nil || m.Len() != 0 {
		t.Errorf("another instance sees %v %v", m, err)
	}
	file := filepath.Join(r.GitDir(), RehearsalIDsFile(inst))
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the ids are not in the git directory: %v", err)
	}
	if _, err := r.ReadFile(context.Background(), "HEAD", IDMapPath); err == nil {
		t.Error("the repository has an id map")
	}
	if err := os.WriteFile(file, []byte("format: 1\nids: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = SaveRehearsalIDs(r, inst, a)
	if err == nil || !strings.Contains(err.Error(), RehearsalIDsFile(inst)) || !strings.Contains(err.Error(), "remove the file") {
		t.Errorf("an unreadable file: %v", err)
	}
	if data, _ := os.ReadFile(file); string(data) != "format: 1\nids: [\n" {
		t.Errorf("the unreadable file was written over: %q", data)
	}
}
