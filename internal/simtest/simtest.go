// Package simtest is the shared graphsim fixture of the product's tests: a
// tenant started with a profile, served over HTTP until the test ends, a
// Graph client whose retry waits advance the tenant's clock instead of
// sleeping, and a new snapshot repository.
package simtest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Now is the tenants' clock at start, so two tenants with one seed agree.
var Now = time.Date(2026, 3, 23, 10, 15, 0, 0, time.UTC)

// New starts a graphsim tenant: the demo profile (unless o loads a saved
// State), seed 1 and the clock at Now unless o says otherwise.
func New(t testing.TB, o graphsim.Options) *graphsim.Server {
	t.Helper()
	if o.Profile == "" && o.State == nil {
		o.Profile = "demo"
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Now.IsZero() {
		o.Now = Now
	}
	s, err := graphsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Serve serves h over HTTP until the test ends.
func Serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// Sleep is a wait between retries that advances sim's clock by d at once.
func Sleep(sim *graphsim.Server) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		sim.Clock().Advance(d)
		return ctx.Err()
	}
}

// Client is a client of srv with token (sim's when empty) whose retry
// waits advance sim's clock.
func Client(t testing.TB, sim *graphsim.Server, srv *httptest.Server, token string) *graph.Client {
	t.Helper()
	if token == "" {
		token = sim.Token()
	}
	c, err := graph.New(graph.Config{BaseURL: srv.URL, AccessToken: token, HTTPClient: srv.Client(), Sleep: Sleep(sim)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Repo is a new snapshot repository (bare or with a working tree), closed
// when the test ends.
func Repo(t testing.TB, bare bool) *snapshot.Repo {
	t.Helper()
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "backup"), bare)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// SameFiles fails t when got and want (files by path) differ in any path or
// byte, naming the first few files that differ and how many do.
func SameFiles(t testing.TB, what string, got, want map[string][]byte) {
	t.Helper()
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	bad := 0
	for _, p := range paths {
		if !bytes.Equal(got[p], want[p]) {
			if bad < 5 {
				t.Errorf("%s: %s differs:\n--- got\n%s--- want\n%s", what, p, got[p], want[p])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d files differ", what, bad, len(paths))
	}
}
