package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	khttp "github.com/microsoft/kiota-http-go"
)

// countingTransport counts round trips and never dials.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("countingTransport: no network in this test")
}

func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	tr := &countingTransport{}
	hc := &http.Client{Transport: tr}
	for _, u := range []string{"http://example.invalid", "http://graph.example.com:8080", "http://10.0.0.1", "http://[fe80::1]", "http://127.0.0.1.example.com", "http://localhost.example.com"} {
		for _, cfg := range []Config{{AccessToken: testToken}, {Credential: &fakeCred{}}} {
			cfg.BaseURL, cfg.HTTPClient = u, hc
			_, err := New(cfg)
			if err == nil {
				t.Errorf("New(%s) over plain http succeeded", u)
				continue
			}
			if !strings.Contains(err.Error(), "plain http") || !strings.Contains(err.Error(), "loopback") {
				t.Errorf("New(%s): unclear error %v", u, err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token: %v", err)
			}
		}
	}
	mustEqual(t, "round trips", tr.n.Load(), int32(0))
	for _, u := range []string{"http://127.0.0.1:8080", "http://127.9.8.7", "http://[::1]:8080", "http://localhost:1", "http://LocalHost", "https://graph.example.com"} {
		if _, err := New(Config{BaseURL: u, AccessToken: testToken, HTTPClient: hc}); err != nil {
			t.Errorf("New(%s): %v", u, err)
		}
	}
}

func TestPipelineHasNoKiotaRedirectHandler(t *testing.T) {
	for _, m := range middlewares() {
		switch m.(type) {
		case *khttp.RedirectHandler, khttp.RedirectHandler:
			t.Errorf("pipeline contains %T, which follows redirects to any host", m)
		}
	}
}

// evilServer records every request it receives.
func evilServer(t *testing.T) (*httptest.Server, *atomic.Int32, *atomic.Value) {
	var hits atomic.Int32
	var auth atomic.Value
	auth.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if a := r.Header.Get("Authorization"); a != "" {
			auth.Store(a)
		}
		writeJSON(w, 200, map[string]any{"value": items("evil-1"), "id": "evil"})
	}))
	t.Cleanup(srv.Close)
	return srv, &hits, &auth
}

func TestRedirectToAnotherHostRefused(t *testing.T) {
	evil, evilHits, evilAuth := evilServer(t)
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var hits atomic.Int32
			c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				http.Redirect(w, r, evil.URL+r.URL.RequestURI(), status)
			}), nil)
			ctx := context.Background()
			_, err := c.Get(ctx, "/v1.0/users")
			if err == nil {
				t.Fatal("GET redirected to another host succeeded")
			}
			if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "redirects to") || !strings.Contains(err.Error(), "/v1.0/users") {
				t.Errorf("unclear error: %v", err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token: %v", err)
			}
			if _, err := c.Post(ctx, "/v1.0/groups", map[string]any{"displayName": "x"}, RetryNonIdempotent()); err == nil {
				t.Error("POST redirected to another host succeeded")
			}
			err = c.List(ctx, "/v1.0/groups", func([]json.RawMessage) error { return nil })
			if err == nil {
				t.Error("List redirected to another host succeeded")
			}
			mustEqual(t, "Graph requests (a refused redirect is not retried)", hits.Load(), int32(3))
		})
	}
	mustEqual(t, "requests reaching the other host", evilHits.Load(), int32(0))
	mustEqual(t, "token seen by the other host", evilAuth.Load().(string), "")
}

func TestRedirectWithinGraphRootKeepsToken(t *testing.T) {
	var auth atomic.Value
	var loops atomic.Int32
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1.0/old":
			http.Redirect(w, r, "/v1.0/new", http.StatusTemporaryRedirect)
		case "/v1.0/new":
			auth.Store(r.Header.Get("Authorization"))
			writeJSON(w, 200, map[string]any{"id": "new"})
		case "/v1.0/loop":
			loops.Add(1)
			http.Redirect(w, r, "/v1.0/loop", http.StatusFound)
		}
	}), nil)
	ctx := context.Background()
	body, err := c.Get(ctx, "/v1.0/old")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "body", strings.TrimSpace(string(body)), `{"id":"new"}`)
	mustEqual(t, "Authorization after a same-origin redirect", auth.Load().(string), "Bearer "+testToken)
	if _, err := c.Get(ctx, "/v1.0/loop"); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("redirect loop: %v", err)
	}
	mustEqual(t, "loop requests", loops.Load(), int32(maxRedirects+1))
}

func TestUnfollowedRedirectIsNotData(t *testing.T) {
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusFound) // no Location
		_, _ = w.Write([]byte(`{"value":[]}`))
	}), nil)
	if _, err := c.Get(context.Background(), "/v1.0/users"); err == nil || !strings.Contains(err.Error(), "302") {
		t.Errorf("a 302 without Location was taken as an answer: %v", err)
	}
}

func TestResponseBodyLimit(t *testing.T) {
	const limit = 1 << 20
	var hits, written atomic.Int64
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1.0/endless": // a body that never ends, without Content-Length
			chunk := []byte(`{"value":[` + strings.Repeat(`{"id":"x"},`, 1000))
			for written.Load() < 1<<30 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				written.Add(int64(len(chunk)))
			}
		case "/v1.0/announced":
			w.Header().Set("Content-Length", fmt.Sprint(limit+1))
			_, _ = w.Write(make([]byte, limit+1))
		case "/v1.0/exact":
			pad := strings.Repeat(" ", limit-len(`{"value":[]}`))
			_, _ = w.Write([]byte(`{"value":[]}` + pad))
		}
	}), func(cfg *Config) { cfg.MaxResponseBytes = limit })
	ctx := context.Background()
	for _, p := range []string{"/v1.0/endless", "/v1.0/announced"} {
		hits.Store(0)
		_, err := c.Get(ctx, p)
		if err == nil {
			t.Fatalf("GET %s: an oversized answer was accepted", p)
		}
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "larger than 1 MiB") || !strings.Contains(err.Error(), p) {
			t.Errorf("GET %s: unclear error: %v", p, err)
		}
		mustEqual(t, "requests for "+p+" (not retried)", hits.Load(), int64(1))
		err = c.List(ctx, p, func([]json.RawMessage) error { return nil })
		if !errors.Is(err, ErrLimit) {
			t.Errorf("List %s: %v", p, err)
		}
	}
	if w := written.Load(); w >= 1<<30 {
		t.Errorf("the client read the endless body to its end (%d bytes)", w)
	}
	if err := c.List(ctx, "/v1.0/exact", func([]json.RawMessage) error { return nil }); err != nil {
		t.Errorf("an answer of exactly the limit: %v", err)
	}
}

func TestListPageLimitAndLoops(t *testing.T) {
	var hits atomic.Int32
	c, _, srv := newTestClient(t, nil, func(cfg *Config) { cfg.MaxPages = 50 })
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		switch r.URL.Path {
		case "/v1.0/endless": // a new nextLink on every page, forever
			writeJSON(w, 200, map[string]any{"value": items(fmt.Sprint(n)), "@odata.nextLink": fmt.Sprintf("%s/v1.0/endless?$skiptoken=%d", srv.URL, n)})
		case "/v1.0/aba": // A → B → A
			next := srv.URL + "/v1.0/aba?$skiptoken=b"
			if r.URL.Query().Get("$skiptoken") == "b" {
				next = srv.URL + "/v1.0/aba?$skiptoken=a"
			}
			writeJSON(w, 200, map[string]any{"value": []any{}, "@odata.nextLink": next})
		case "/v1.0/users/delta":
			writeJSON(w, 200, map[string]any{"value": []any{}, "@odata.nextLink": fmt.Sprintf("%s/v1.0/users/delta?$skiptoken=%d", srv.URL, n)})
		}
	})
	ctx := context.Background()
	pages := 0
	err := c.List(ctx, "/v1.0/endless", func([]json.RawMessage) error { pages++; return nil })
	if err == nil || !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "/v1.0/endless") || !strings.Contains(err.Error(), "more than 50 pages") {
		t.Errorf("endless list: %v", err)
	}
	mustEqual(t, "pages read", pages, 50)
	mustEqual(t, "requests", hits.Load(), int32(50))

	err = c.List(ctx, "/v1.0/aba?$skiptoken=a", func([]json.RawMessage) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "repeats an earlier page") {
		t.Errorf("A→B→A list: %v", err)
	}
	hits.Store(0)
	_, err = c.Delta(ctx, "/v1.0/users/delta", func([]json.RawMessage) error { return nil })
	if err == nil || !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "/v1.0/users/delta") {
		t.Errorf("endless delta: %v", err)
	}
	mustEqual(t, "delta requests", hits.Load(), int32(50))
}

func TestBatchAnswerMustMatchRequests(t *testing.T) {
	for name, mangle := range map[string]func([]wireResponse) []wireResponse{
		"extra response": func(rs []wireResponse) []wireResponse {
			return append(rs, wireResponse{ID: "99", Status: 200})
		},
		"unknown id": func(rs []wireResponse) []wireResponse {
			rs[0].ID = "not-sent"
			return rs
		},
		"duplicate id": func(rs []wireResponse) []wireResponse {
			rs[1].ID = strings.ToUpper(rs[0].ID)
			return rs
		},
		"many responses": func(rs []wireResponse) []wireResponse {
			for i := range 100000 {
				rs = append(rs, wireResponse{ID: fmt.Sprint("x", i), Status: 200})
			}
			return rs
		},
	} {
		t.Run(name, func(t *testing.T) {
			c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var env struct{ Requests []wireItem }
				_ = json.NewDecoder(r.Body).Decode(&env)
				var out []wireResponse
				for _, it := range env.Requests {
					out = append(out, wireResponse{ID: it.ID, Status: 200, Body: json.RawMessage(`{"id":"` + it.ID + `"}`)})
				}
				writeJSON(w, 200, map[string]any{"responses": mangle(out)})
			}), nil)
			reqs := []BatchRequest{{ID: "a", Method: "GET", URL: "/v1.0/users/a"}, {ID: "b", Method: "GET", URL: "/v1.0/users/b"}}
			_, err := c.Batch(context.Background(), reqs)
			if err == nil || !strings.Contains(err.Error(), "$batch") {
				t.Errorf("a $batch answer with %s was accepted: %v", name, err)
			}
		})
	}
}
