package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

const testToken = "tok-SECRET-123"

// sleepRec is an injected Config.Sleep that records waits and returns at once.
type sleepRec struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleepRec) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRec) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// newTestClient starts handler as a fake Graph and returns a client for it
// with a static token and a recording sleeper. mutate may adjust the config.
func newTestClient(t testing.TB, handler http.Handler, mutate func(*Config)) (*Client, *sleepRec, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	rec := &sleepRec{}
	cfg := Config{
		BaseURL:     srv.URL,
		AccessToken: testToken,
		HTTPClient:  srv.Client(),
		Sleep:       rec.sleep,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, rec, srv
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// graphError writes Graph's error shape.
func graphError(w http.ResponseWriter, status int, code, msg, requestID string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]any{"date": "2026-01-02T03:04:05", "request-id": requestID, "client-request-id": "c-1"},
	}})
}

func items(ids ...string) []map[string]any {
	out := []map[string]any{}
	for _, id := range ids {
		out = append(out, map[string]any{"id": id})
	}
	return out
}

func ids(t *testing.T, raw []json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, r := range raw {
		var v struct{ ID string }
		if err := json.Unmarshal(r, &v); err != nil {
			t.Fatalf("item %s: %v", r, err)
		}
		out = append(out, v.ID)
	}
	return out
}

func mustEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
