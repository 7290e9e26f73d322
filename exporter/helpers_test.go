package exporter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/snapshot"
)

// simNow freezes graphsim's clock so two instances with one seed agree.
var simNow = time.Date(2026, 3, 23, 10, 15, 0, 0, time.UTC)

// newSim starts a graphsim tenant with the demo profile unless o says otherwise.
func newSim(t testing.TB, o graphsim.Options) *graphsim.Server {
	t.Helper()
	if o.Profile == "" {
		o.Profile = "demo"
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Now.IsZero() {
		o.Now = simNow
	}
	s, err := graphsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newClient serves h (graphsim, possibly wrapped) over httptest and returns
// a client whose retry waits advance sim's clock instead of sleeping.
func newClient(t testing.TB, sim *graphsim.Server, h http.Handler, token string) *graph.Client {
	t.Helper()
	if h == nil {
		h = sim
	}
	if token == "" {
		token = sim.Token()
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := graph.New(graph.Config{
		BaseURL: srv.URL, AccessToken: token, HTTPClient: srv.Client(),
		Sleep: func(ctx context.Context, d time.Duration) error {
			sim.Clock().Advance(d)
			return ctx.Err()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newRepo(t testing.TB, bare bool) *snapshot.Repo {
	t.Helper()
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "backup"), bare)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// clock returns successive times a minute apart, so tags differ.
func clock() func() time.Time {
	now := time.Date(2026, 3, 23, 10, 15, 0, 0, time.UTC)
	return func() time.Time {
		now = now.Add(time.Minute)
		return now
	}
}

func export(t testing.TB, c *graph.Client, r *snapshot.Repo, mutate func(*Options)) (*Result, error) {
	t.Helper()
	o := Options{Client: c, Repo: r, Now: clock()}
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

func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// clientFor is a client of an already started server.
func clientFor(t testing.TB, sim *graphsim.Server, srv *httptest.Server, token string) *graph.Client {
	t.Helper()
	c, err := graph.New(graph.Config{
		BaseURL: srv.URL, AccessToken: token, HTTPClient: srv.Client(),
		Sleep: func(ctx context.Context, d time.Duration) error {
			sim.Clock().Advance(d)
			return ctx.Err()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
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
