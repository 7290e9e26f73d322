// Package simtest is the shared graphsim fixture of the product's tests: a
// tenant started with a profile, served over HTTP until the test ends, a
// Graph client whose retry waits advance the tenant's clock instead of
// sleeping, and a new snapshot repository.
package simtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
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

// Kinds are the catalog's kinds named, in that order; a name the catalog
// does not know fails the test (a renamed kind must not narrow a test's
// reads unnoticed).
func Kinds(t testing.TB, names ...string) []*layout.Kind {
	t.Helper()
	out := make([]*layout.Kind, 0, len(names))
	for _, n := range names {
		k, ok := layout.Lookup(n)
		if !ok {
			t.Fatalf("no kind %q in the layout catalog", n)
		}
		out = append(out, k)
	}
	return out
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

// Template is a folder built once per test binary, by the first test that
// asks for it, and copied for every test that asks: a fixture that costs
// much to build and is the same each time, such as the first export of a
// seeded tenant (a test that only reads it, or changes its own copy, then
// pays a copy instead of an export). The package's TestMain calls Remove.
type Template struct {
	once sync.Once
	dir  string
	info any // what build returned besides the folder
	err  error
}

// Copy copies the template folder to dst (which must not exist) and
// returns what build returned. The first call builds the template with
// build(t, dir) in a folder of its own; t is that first caller's. A failed
// build fails every test that asks.
func (tp *Template) Copy(t testing.TB, dst string, build func(t testing.TB, dir string) (any, error)) any {
	t.Helper()
	tp.once.Do(func() {
		tp.err = errors.New("the template's build did not finish (it failed its test)")
		dir, err := os.MkdirTemp("", "simtest-template-")
		if err != nil {
			tp.err = err
			return
		}
		tp.dir = dir
		tp.info, tp.err = build(t, filepath.Join(dir, "t"))
	})
	if tp.err != nil {
		t.Fatalf("shared fixture: %v", tp.err)
	}
	if err := copyTree(filepath.Join(tp.dir, "t"), dst); err != nil {
		t.Fatalf("shared fixture: copy: %v", err)
	}
	return tp.info
}

// Remove deletes the template folder (TestMain, after m.Run).
func (tp *Template) Remove() {
	if tp.dir != "" {
		_ = os.RemoveAll(tp.dir)
	}
}

// copyTree copies the folder src to dst: folders, regular files with their
// permissions, and symbolic links.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(to, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, data, info.Mode().Perm())
		}
		return fmt.Errorf("%s: not a folder, file or link", p)
	})
}
