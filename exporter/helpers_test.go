package exporter

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// The graphsim fixture is internal/simtest's, under this package's names.
var (
	newSim    = simtest.New
	newServer = simtest.Serve
	clientFor = simtest.Client
	newRepo   = simtest.Repo
)

// newClient serves h (sim when nil, or sim wrapped) and returns a client
// whose retry waits advance sim's clock instead of sleeping.
func newClient(t testing.TB, sim *graphsim.Server, h http.Handler, token string) *graph.Client {
	t.Helper()
	if h == nil {
		h = sim
	}
	return simtest.Client(t, sim, simtest.Serve(t, h), token)
}

// clock returns successive times a minute apart, so tags differ.
func clock() func() time.Time {
	now := time.Date(2026, 3, 23, 10, 15, 0, 0, time.UTC)
	return func() time.Time {
		now = now.Add(time.Minute)
		return now
	}
}

// shortKinds holds, per top-level test, the kinds whenShortOnly named.
var shortKinds sync.Map // test name -> []*layout.Kind

// whenShortOnly makes every export the test (and its subtests) runs
// through export and mustExport read only the named kinds under -short
// (CI's race run), where an export of every kind of the demo tenant costs
// 5 to 15 s: a test about something no other kind takes part in (commit
// dates, branches, audit attribution of user changes, the delta kinds'
// incremental read) needs only its own kinds to fail for the bug it
// guards. The plain test run (no -short) still reads every kind. An export
// that sets Options.Kinds itself keeps its own.
func whenShortOnly(t *testing.T, names ...string) {
	t.Helper()
	if !testing.Short() {
		return
	}
	shortKinds.Store(t.Name(), simtest.Kinds(t, names...))
	t.Cleanup(func() { shortKinds.Delete(t.Name()) })
}

// scheduledTests holds the top-level tests whose exports are scheduled runs.
var scheduledTests sync.Map // test name -> true

// scheduledRuns makes every export the test (and its subtests) runs
// through export and mustExport a scheduled run (Options.Scheduled, the
// daily job's --scheduled): the tests of the reads the directory audit
// log drives (users' sponsors, PIM for Groups, apps' and service
// principals' relationships). A test's mutate may still turn it off.
func scheduledRuns(t *testing.T) {
	t.Helper()
	scheduledTests.Store(t.Name(), true)
	t.Cleanup(func() { scheduledTests.Delete(t.Name()) })
}

func export(t testing.TB, c *graph.Client, r *snapshot.Repo, mutate func(*Options)) (*Result, error) {
	t.Helper()
	o := Options{Client: c, Repo: r, Now: clock()}
	if ks, ok := shortKinds.Load(strings.SplitN(t.Name(), "/", 2)[0]); ok {
		o.Kinds = ks.([]*layout.Kind)
	}
	if _, ok := scheduledTests.Load(strings.SplitN(t.Name(), "/", 2)[0]); ok {
		o.Scheduled = true
	}
	if mutate != nil {
		mutate(&o)
	}
	return Run(context.Background(), o)
}

func mustExport(t testing.TB, c *graph.Client, r *snapshot.Repo, mutate func(*Options)) *Result {
	t.Helper()
	res, err := export(t, c, r, mutate)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return res
}

func runGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = gitcheck.Env()
	out, err := cmd.Output()
	return string(out), err
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
