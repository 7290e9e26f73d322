package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// TestExportShowsThrottlingWaits: a 429 is shown as the wait it is
// ("throttled by Graph, resuming in 1 s"), the export completes, and
// --timeout is a flag of export with a generous default.
func TestExportShowsThrottlingWaits(t *testing.T) {
	sim, err := graphsim.New(graphsim.Options{Profile: "demo", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var once atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The users read: a list, or its delta round when the export keeps delta state.
		users := strings.HasSuffix(r.URL.Path, "/users") || strings.HasSuffix(r.URL.Path, "/users/delta")
		if users && once.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			w.Write([]byte(`{"error":{"code":"TooManyRequests","message":"Please retry again later."}}`))
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	code, out, errOut := runCLI(t, "export", "--repo", filepath.Join(t.TempDir(), "b"), "--graph-url", srv.URL, "--access-token", sim.Token(), "--timeout", "1h")
	if code != exitOK {
		t.Fatalf("export: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "throttled by Graph, resuming in 1 s") {
		t.Errorf("the 429 wait is not shown:\n%s", errOut)
	}
	code, out, _ = runCLI(t, "export", "--help")
	if code != exitOK || !strings.Contains(out, "--timeout") || !strings.Contains(out, "6h0m0s") {
		t.Errorf("export --help does not show --timeout and its default:\n%s", out)
	}
	if code, _, errOut := runCLI(t, "export", "--repo", t.TempDir(), "--graph-url", srv.URL, "--access-token", sim.Token(), "--timeout", "-5m"); code != exitUsage || !strings.Contains(errOut, "--timeout") {
		t.Errorf("--timeout -5m: code %d\n%s", code, errOut)
	}
}
