package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pagedUsers serves /v1.0/users in three pages, the middle one empty but
// with a nextLink. fail(page, attempt) may return a status to fail with.
func pagedUsers(t *testing.T, fail func(page string, attempt int) int) (http.Handler, *[]string) {
	t.Helper()
	var consistency []string
	attempts := map[string]int{}
	var srvURL atomic.Value
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "http://" + r.Host
		srvURL.Store(base)
		if r.URL.Path != "/v1.0/users" {
			graphError(w, 404, "Request_ResourceNotFound", "no such path "+r.URL.Path, "rid-404")
			return
		}
		consistency = append(consistency, r.Header.Get("ConsistencyLevel"))
		pg := r.URL.Query().Get("$skiptoken")
		attempts[pg]++
		if fail != nil {
			if st := fail(pg, attempts[pg]); st != 0 {
				graphError(w, st, "generalException", "boom", "rid-"+pg)
				return
			}
		}
		switch pg {
		case "":
			if r.URL.Query().Get("$select") != "id" {
				t.Errorf("first page lost $select: %q", r.URL.RawQuery)
			}
			writeJSON(w, 200, map[string]any{"@odata.count": 3, "value": items("a", "b"),
				"@odata.nextLink": base + "/v1.0/users?$select=id&$skiptoken=p2"})
		case "p2":
			writeJSON(w, 200, map[string]any{"value": items(), "@odata.nextLink": base + "/v1.0/users?$select=id&$skiptoken=p3"})
		case "p3":
			writeJSON(w, 200, map[string]any{"value": items("c")})
		}
	})
	return h, &consistency
}

func TestListFollowsNextLinksAndResendsHeaders(t *testing.T) {
	h, consistency := pagedUsers(t, nil)
	c, rec, _ := newTestClient(t, h, nil)
	var got []string
	pages := 0
	err := c.List(context.Background(), "/v1.0/users?$select=id", func(items []json.RawMessage) error {
		pages++
		got = append(got, ids(t, items)...)
		return nil
	}, WithEventualConsistency())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	mustEqual(t, "pages", pages, 3)
	if diff := cmp.Diff([]string{"eventual", "eventual", "eventual"}, *consistency); diff != "" {
		t.Errorf("ConsistencyLevel per page (-want +got):\n%s", diff)
	}
	if len(rec.waits()) != 0 {
		t.Errorf("slept %v without failures", rec.waits())
	}
}

func TestListRetriesFailedPage(t *testing.T) {
	h, _ := pagedUsers(t, func(page string, attempt int) int {
		if page == "p3" && attempt == 1 {
			return 500
		}
		return 0
	})
	c, rec, _ := newTestClient(t, h, nil)
	var got []string
	err := c.List(context.Background(), "/v1.0/users?$select=id", func(items []json.RawMessage) error {
		got = append(got, ids(t, items)...)
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if w := rec.waits(); len(w) != 1 {
		t.Errorf("waits = %v, want one backoff", w)
	}
	st := c.Stats()
	mustEqual(t, "Requests", st.Requests, int64(4))
	mustEqual(t, "Retries", st.Retries, int64(1))
}

func TestListFailsInsteadOfShortList(t *testing.T) {
	h, _ := pagedUsers(t, func(page string, attempt int) int {
		if page == "p2" {
			return 503
		}
		return 0
	})
	c, rec, _ := newTestClient(t, h, func(cfg *Config) { cfg.MaxRetries = 2 })
	var got []string
	err := c.List(context.Background(), "/v1.0/users?$select=id", func(items []json.RawMessage) error {
		got = append(got, ids(t, items)...)
		return nil
	})
	if err == nil {
		t.Fatalf("List returned %v and no error although page 2 never succeeded", got)
	}
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 503 || ge.RequestID != "rid-p2" {
		t.Fatalf("error %v: want *Error 503 with request-id rid-p2", err)
	}
	mustEqual(t, "retries slept", len(rec.waits()), 2)
	mustEqual(t, "Errors", c.Stats().Errors, int64(1))
}

func TestListCallbackErrorStops(t *testing.T) {
	h, _ := pagedUsers(t, nil)
	c, _, _ := newTestClient(t, h, nil)
	stop := errors.New("stop")
	calls := 0
	err := c.List(context.Background(), "/v1.0/users?$select=id", func([]json.RawMessage) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("err %v after %d calls, want stop after 1", err, calls)
	}
}

func TestListRejectsNonCollection(t *testing.T) {
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"id": "x"})
	}), nil)
	err := c.List(context.Background(), "/v1.0/organization/x", func([]json.RawMessage) error { return nil })
	if err == nil {
		t.Fatal("List of a single object succeeded")
	}
}

func TestDeltaToDeltaLinkAndResync(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "http://" + r.Host
		q := r.URL.Query()
		switch {
		case q.Get("$skiptoken") == "" && q.Get("$deltatoken") == "":
			writeJSON(w, 200, map[string]any{"value": items("g1"), "@odata.nextLink": base + "/v1.0/groups/delta?$skiptoken=s2"})
		case q.Get("$skiptoken") == "s2":
			writeJSON(w, 200, map[string]any{"value": items("g2"), "@odata.deltaLink": base + "/v1.0/groups/delta?$deltatoken=d1"})
		case q.Get("$deltatoken") == "d1":
			w.Header().Set("Location", base+"/v1.0/groups/delta?$deltatoken=")
			graphError(w, http.StatusGone, "resyncRequired", "Resync required.", "rid-410")
		case q.Get("$deltatoken") == "old":
			graphError(w, http.StatusBadRequest, "syncStateNotFound", "expired", "rid-400")
		}
	})
	c, _, srv := newTestClient(t, h, nil)
	ctx := context.Background()
	var got []string
	link, err := c.Delta(ctx, "/v1.0/groups/delta?$select=displayName", func(items []json.RawMessage) error {
		got = append(got, ids(t, items)...)
		return nil
	})
	if err != nil {
		t.Fatalf("Delta: %v", err)
	}
	mustEqual(t, "deltaLink", link, srv.URL+"/v1.0/groups/delta?$deltatoken=d1")
	if diff := cmp.Diff([]string{"g1", "g2"}, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}

	_, err = c.Delta(ctx, link, func([]json.RawMessage) error { return nil })
	var rr *ErrResyncRequired
	if !errors.As(err, &rr) {
		t.Fatalf("410: got %v, want *ErrResyncRequired", err)
	}
	mustEqual(t, "Location", rr.Location, srv.URL+"/v1.0/groups/delta?$deltatoken=")
	if !IsResyncRequired(err) || AsError(err) == nil || AsError(err).RequestID != "rid-410" {
		t.Errorf("resync error %v lost its *Error", err)
	}

	_, err = c.Delta(ctx, "/v1.0/groups/delta?$deltatoken=old", func([]json.RawMessage) error { return nil })
	if !IsResyncRequired(err) {
		t.Errorf("syncStateNotFound: got %v, want resync required", err)
	}
}

func TestDeltaWithoutDeltaLinkFails(t *testing.T) {
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"value": items("x")})
	}), nil)
	if _, err := c.Delta(context.Background(), "/v1.0/users/delta", func([]json.RawMessage) error { return nil }); err == nil {
		t.Fatal("a round without deltaLink succeeded")
	}
}

func TestListObjectsDecodesEveryPage(t *testing.T) {
	h, _ := pagedUsers(t, nil)
	c, _, _ := newTestClient(t, h, nil)
	objs, err := c.ListObjects(context.Background(), "/v1.0/users?$select=id")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o["id"].(string))
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if _, err := c.ListObjects(context.Background(), "/v1.0/nowhere"); err == nil {
		t.Error("a failing list gave no error")
	}
}

// TestListPageShapes: a page's items are split out of its value array as
// sent (an item's bytes exactly, an empty array as no items), and an answer
// whose value is missing, null or not an array is an error naming the path,
// never an empty list.
func TestListPageShapes(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string // items' bytes
		err        string
	}{
		{"items", `{"value":[{"id":"a","n":1.50},  {"id":"b"}]}`, []string{`{"id":"a","n":1.50}`, `{"id":"b"}`}, ""},
		{"empty", `{"value":[]}`, []string{}, ""},
		{"missing", `{"values":[{"id":"a"}]}`, nil, "answer is not a collection (no value array)"},
		{"null", `{"value":null}`, nil, "answer is not a collection (no value array)"},
		{"object", `{"value":{"id":"a"}}`, nil, "decoding value"},
		{"string", `{"value":"a"}`, nil, "decoding value"},
		{"broken", `{"value":[{"id":"a"}`, nil, "decoding page"},
		{"nextLink not a string", `{"value":[],"@odata.nextLink":5}`, nil, "decoding page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tc.body))
			})
			c, _, _ := newTestClient(t, h, nil)
			var got []string
			err := c.List(context.Background(), "/v1.0/users", func(items []json.RawMessage) error {
				got = []string{}
				for _, it := range items {
					got = append(got, string(it))
				}
				return nil
			})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "/v1.0/users") {
					t.Fatalf("error %v, want one naming /v1.0/users and saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkListPage decodes 999-user pages as an export reads them
// (issue #12: the page was scanned three times, whole, value, items).
func BenchmarkListPage(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"@odata.context":"x","value":[`)
	for i := 0; i < 999; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"id":"00000000-0000-0000-0000-000000000001","displayName":"Ada Lovelace \u00e9","accountEnabled":true,"businessPhones":["+1 425 555 0100"],"jobTitle":"Engineer","userPrincipalName":"ada@contoso.onmicrosoft.com"}`)
	}
	sb.WriteString(`],"@odata.nextLink":"http://x/v1.0/users?$skiptoken=abc"}`)
	body := []byte(sb.String())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	c, _, _ := newTestClient(b, h, nil)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.getPage(context.Background(), "/v1.0/users", reqOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
