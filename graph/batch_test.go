package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeBatch is a $batch endpoint. answer decides each item's reply.
type fakeBatch struct {
	mu       sync.Mutex
	sizes    []int
	envelope []string // request paths of envelopes
	seen     map[string]int
	requests [][]wireItem
	answer   func(it wireItem, times int) wireResponse
}

func (f *fakeBatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != "POST" || !strings.HasSuffix(r.URL.Path, "/$batch") {
		graphError(w, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.", "r")
		return
	}
	var env struct{ Requests []wireItem }
	if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
		graphError(w, 400, "BadRequest", "Invalid batch payload format.", "r")
		return
	}
	if len(env.Requests) > MaxBatchSize {
		graphError(w, 400, "BadRequest", "Number of requests inside batch exceeds the limit.", "r")
		return
	}
	ids := map[string]bool{}
	for _, it := range env.Requests {
		if ids[strings.ToLower(it.ID)] {
			graphError(w, 400, "BadRequest", "Batch request contains duplicate id.", "r")
			return
		}
		ids[strings.ToLower(it.ID)] = true
	}
	f.mu.Lock()
	f.sizes = append(f.sizes, len(env.Requests))
	f.envelope = append(f.envelope, r.URL.Path)
	f.requests = append(f.requests, env.Requests)
	var out []wireResponse
	for _, it := range env.Requests {
		f.seen[it.ID]++
		resp := f.answer(it, f.seen[it.ID])
		resp.ID = it.ID
		out = append(out, resp)
	}
	f.mu.Unlock()
	slices.Reverse(out) // Graph may answer out of order
	writeJSON(w, 200, map[string]any{"responses": out})
}

func TestBatch45ChunkedRetriedAndOrdered(t *testing.T) {
	fb := &fakeBatch{seen: map[string]int{}, answer: func(it wireItem, times int) wireResponse {
		switch {
		case it.URL == "/users/u7" && times == 1:
			return wireResponse{Status: 429, Headers: map[string]string{"Retry-After": "4"},
				Body: json.RawMessage(`{"error":{"code":"TooManyRequests","message":"Please retry again later."}}`)}
		case it.URL == "/users/u13":
			return wireResponse{Status: 404, Headers: map[string]string{"Content-Type": "application/json"},
				Body: json.RawMessage(`{"error":{"code":"Request_ResourceNotFound","message":"Resource 'u13' does not exist.","innerError":{"request-id":"rid-13"}}}`)}
		}
		id := strings.TrimPrefix(it.URL, "/users/")
		return wireResponse{Status: 200, Headers: map[string]string{"x-ms-resource-unit": "1"}, Body: json.RawMessage(`{"id":"` + id + `"}`)}
	}}
	c, rec, _ := newTestClient(t, fb, nil)
	var reqs []BatchRequest
	for i := range 45 {
		reqs = append(reqs, BatchRequest{Method: "GET", URL: fmt.Sprintf("/v1.0/users/u%d", i+1)})
	}
	out, err := c.Batch(context.Background(), reqs)
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	if len(out) != 45 {
		t.Fatalf("%d responses", len(out))
	}
	sizes := slices.Clone(fb.sizes)
	slices.Sort(sizes)
	if diff := cmp.Diff([]int{1, 5, 20, 20}, sizes); diff != "" {
		t.Errorf("envelope sizes (-want +got):\n%s", diff)
	}
	for _, p := range fb.envelope {
		mustEqual(t, "envelope path", p, "/v1.0/$batch")
	}
	for i, r := range out {
		mustEqual(t, "id", r.ID, fmt.Sprint(i+1))
		switch i + 1 {
		case 13:
			mustEqual(t, "item 13 status", r.Status, 404)
			if !IsNotFound(r.Err()) || AsError(r.Err()).RequestID != "rid-13" || !strings.Contains(r.Err().Error(), "GET /v1.0/users/u13") {
				t.Errorf("item 13 Err() = %v", r.Err())
			}
		default:
			if r.Status != 200 || r.Err() != nil || string(r.Body) != fmt.Sprintf(`{"id":"u%d"}`, i+1) {
				t.Errorf("item %d: %d %s %v", i+1, r.Status, r.Body, r.Err())
			}
		}
	}
	mustEqual(t, "item 7 attempts", fb.seen["7"], 2)
	// The 429's Retry-After is waited once. Chunks go out side by side, and
	// the pacing clock is the wall clock moved on to the end of the waits asked for
	// (virtualClock), so on a loaded machine a chunk may also wait out the
	// few milliseconds its clock reading lags another's: those are not
	// counted here. A chunk the scheduler sent only after the 429 came
	// back waits out the rest of the same pause (up to 4 s, ending at the
	// same instant), not a pause of its own: no wait is longer than the
	// Retry-After, and one is exactly it.
	var long []time.Duration
	for _, w := range rec.waits() {
		if w >= 100*time.Millisecond {
			long = append(long, w)
		}
	}
	slices.Sort(long)
	if len(long) == 0 || long[len(long)-1] != 4*time.Second || len(long) > 3 || (len(long) > 1 && long[len(long)-2] == 4*time.Second) {
		t.Errorf("waits of 100 ms or more: %v, want one of 4 s (and at most the other chunks' rest of that pause)", long)
	}
	st := c.Stats()
	mustEqual(t, "Requests", st.Requests, int64(4))
	mustEqual(t, "BatchItems", st.BatchItems, int64(46))
	mustEqual(t, "Retries", st.Retries, int64(1))
	mustEqual(t, "Throttled", st.Throttled, int64(1))
	mustEqual(t, "ResourceUnits", st.ResourceUnits, int64(44))
	mustEqual(t, "item endpoint", st.Endpoints["GET /v1.0/users/{id}"].Requests, int64(46))
	mustEqual(t, "envelope endpoint", st.Endpoints["POST /v1.0/$batch"].Requests, int64(4))
}

func TestBatchDependsOnAndRetryOfDependents(t *testing.T) {
	fb := &fakeBatch{seen: map[string]int{}}
	fb.answer = func(it wireItem, times int) wireResponse {
		switch {
		case it.ID == "create" && times == 1:
			return wireResponse{Status: 429, Headers: map[string]string{}} // no Retry-After: backoff
		case it.ID == "addOwner" && times == 1:
			return wireResponse{Status: 424}
		}
		return wireResponse{Status: 204}
	}
	c, rec, _ := newTestClient(t, fb, nil)
	var reqs []BatchRequest
	for i := range 19 {
		reqs = append(reqs, BatchRequest{Method: "GET", URL: fmt.Sprintf("/beta/groups/g%d", i)})
	}
	reqs = append(reqs,
		BatchRequest{ID: "create", Method: "POST", URL: "/beta/groups", Body: map[string]any{"displayName": "G"}},
		BatchRequest{ID: "addOwner", Method: "POST", URL: "/beta/groups/g0/owners/$ref", DependsOn: []string{"Create"},
			Body: json.RawMessage(`{"@odata.id":"https://graph.microsoft.com/beta/users/u1"}`)},
	)
	out, err := c.Batch(context.Background(), reqs)
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	// The linked pair does not fit next to 19 items: chunks 19 and 2, then
	// both linked items again (the dependent failed 424 because of the 429).
	if diff := cmp.Diff([]int{19, 2, 2}, sortedSizes(fb)); diff != "" {
		t.Errorf("envelope sizes (-want +got):\n%s", diff)
	}
	for _, p := range fb.envelope {
		mustEqual(t, "envelope path", p, "/beta/$batch")
	}
	mustEqual(t, "create status", out[19].Status, 204)
	mustEqual(t, "addOwner status", out[20].Status, 204)
	for _, env := range fb.requests {
		for _, it := range env {
			if it.ID == "addOwner" {
				// dependsOn names the referenced item's own id.
				if diff := cmp.Diff([]string{"create"}, it.DependsOn); diff != "" {
					t.Errorf("dependsOn (-want +got):\n%s", diff)
				}
				mustEqual(t, "Content-Type", it.Headers["Content-Type"], "application/json")
				mustEqual(t, "body", string(it.Body), `{"@odata.id":"https://graph.microsoft.com/beta/users/u1"}`)
			}
		}
	}
	if w := rec.waits(); len(w) != 1 || w[0] < time.Second || w[0] > 1500*time.Millisecond {
		t.Errorf("waits %v, want one first backoff", w)
	}
}

func sortedSizes(fb *fakeBatch) []int {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	s := slices.Clone(fb.sizes)
	slices.SortFunc(s, func(a, b int) int { return b - a })
	return s
}

// A throttled item is sent again whatever MaxRetries says, until the run's
// time limit; then it keeps its 429.
func TestBatchThrottledItemsRetriedUntilTimeLimit(t *testing.T) {
	fb := &fakeBatch{seen: map[string]int{}, answer: func(it wireItem, times int) wireResponse {
		return wireResponse{Status: 429, Headers: map[string]string{"Retry-After": "10"}}
	}}
	c, _, _ := newTestClient(t, fb, func(cfg *Config) { cfg.MaxRetries = 2; cfg.Timeout = 95 * time.Second })
	out, err := c.Batch(context.Background(), []BatchRequest{{Method: "GET", URL: "/v1.0/users/u1"}})
	if err != nil {
		t.Fatal(err)
	}
	// Sent at 0, 10, …, 90 s; the next wait would end past 95 s.
	mustEqual(t, "attempts", fb.seen["1"], 10)
	if !IsThrottled(out[0].Err()) || !errors.Is(out[0].Err(), ErrTimeLimit) {
		t.Errorf("item err %v, want the 429 and the time limit", out[0].Err())
	}
}

// A GET item answered 503 with retries left, whose next attempt would
// start past the run's time limit, keeps its 503, and its error says it
// was not sent again for the time limit (it returned as a plain 503
// before, as if its retries had been spent). An item answered 200 beside
// it has no error.
func TestBatch5xxItemStoppedByTheTimeLimitSaysSo(t *testing.T) {
	fb := &fakeBatch{seen: map[string]int{}, answer: func(it wireItem, times int) wireResponse {
		if it.ID == "2" {
			return wireResponse{Status: 200, Body: json.RawMessage(`{"id":"u2"}`)}
		}
		return wireResponse{Status: 503, Headers: map[string]string{"Retry-After": "60", "Content-Type": "application/json"},
			Body: json.RawMessage(`{"error":{"code":"serviceNotAvailable","message":"Service unavailable"}}`)}
	}}
	c, _, _ := newTestClient(t, fb, func(cfg *Config) { cfg.MaxRetries = 3; cfg.Timeout = 30 * time.Second })
	out, err := c.Batch(context.Background(), []BatchRequest{{Method: "GET", URL: "/v1.0/users/u1"}, {Method: "GET", URL: "/v1.0/users/u2"}})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "attempts", fb.seen["1"], 1)
	mustEqual(t, "status", out[0].Status, 503)
	e := out[0].Err()
	if ge := AsError(e); ge == nil || ge.Status != 503 || ge.Code != "serviceNotAvailable" {
		t.Errorf("item err %v: want the 503 with its code", e)
	}
	if !errors.Is(e, ErrTimeLimit) || !strings.Contains(e.Error(), "not sent again") || !strings.Contains(e.Error(), "time limit") {
		t.Errorf("item err %q: want it to say the time limit stopped the retry", e)
	}
	if out[1].Err() != nil {
		t.Errorf("item 2: %v", out[1].Err())
	}
}

func TestBatch5xxItemsStopAtMaxRetries(t *testing.T) {
	fb := &fakeBatch{seen: map[string]int{}, answer: func(it wireItem, times int) wireResponse {
		return wireResponse{Status: 503}
	}}
	c, _, _ := newTestClient(t, fb, func(cfg *Config) { cfg.MaxRetries = 2 })
	out, err := c.Batch(context.Background(), []BatchRequest{{Method: "GET", URL: "/v1.0/users/u1"}})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "attempts", fb.seen["1"], 3)
	mustEqual(t, "status", out[0].Status, 503)
}

func TestBatchPostItemsNotRetriedOn5xx(t *testing.T) {
	fb := &fakeBatch{seen: map[string]int{}, answer: func(it wireItem, times int) wireResponse {
		return wireResponse{Status: 503}
	}}
	c, _, _ := newTestClient(t, fb, nil)
	out, err := c.Batch(context.Background(), []BatchRequest{
		{Method: "POST", URL: "/v1.0/users", Body: map[string]any{}},
		{Method: "GET", URL: "/v1.0/users/u1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "POST attempts", fb.seen["1"], 1)
	mustEqual(t, "GET attempts", fb.seen["2"], defaultMaxRetries+1)
	mustEqual(t, "POST status", out[0].Status, 503)
}

func TestBatchValidation(t *testing.T) {
	c, _, _ := newTestClient(t, &fakeBatch{seen: map[string]int{}}, nil)
	linked := []BatchRequest{{ID: "a0", Method: "GET", URL: "/v1.0/users"}}
	for i := 1; i <= MaxBatchSize; i++ {
		linked = append(linked, BatchRequest{ID: fmt.Sprint("a", i), Method: "GET", URL: "/v1.0/users", DependsOn: []string{fmt.Sprint("a", i-1)}})
	}
	tests := map[string][]BatchRequest{
		"duplicate ids":     {{ID: "x", Method: "GET", URL: "/v1.0/users"}, {ID: "X", Method: "GET", URL: "/v1.0/groups"}},
		"unknown dependsOn": {{ID: "x", Method: "GET", URL: "/v1.0/users", DependsOn: []string{"y"}}},
		"mixed versions":    {{Method: "GET", URL: "/v1.0/users"}, {Method: "GET", URL: "/beta/users"}},
		"no version":        {{Method: "GET", URL: "/users"}},
		"no method":         {{URL: "/v1.0/users"}},
		"linked group > 20": linked,
	}
	for name, reqs := range tests {
		if _, err := c.Batch(context.Background(), reqs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBatchEnvelopeFailure(t *testing.T) {
	c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		graphError(w, 400, "BadRequest", "Invalid batch payload format.", "rid-b")
	}), nil)
	out, err := c.Batch(context.Background(), []BatchRequest{{Method: "GET", URL: "/v1.0/users"}})
	if AsError(err) == nil || AsError(err).Status != 400 {
		t.Fatalf("err %v", err)
	}
	if len(out) != 1 || out[0].Status != 0 || out[0].Err() == nil {
		t.Errorf("out %+v", out)
	}
}

// A GET item answered 503 with Retry-After is sent again after that wait
// (not the shorter back-off), alone, and its answer replaces the 503; the
// item answered 200 beside it is not sent again.
func TestBatch503ItemRetriedAfterItsRetryAfter(t *testing.T) {
	fb := &fakeBatch{seen: map[string]int{}, answer: func(it wireItem, times int) wireResponse {
		if it.ID == "1" && times == 1 {
			return wireResponse{Status: 503, Headers: map[string]string{"Retry-After": "7", "Content-Type": "application/json"},
				Body: json.RawMessage(`{"error":{"code":"serviceNotAvailable","message":"Service unavailable"}}`)}
		}
		return wireResponse{Status: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: json.RawMessage(`{"value":[{"id":"v1"}]}`)}
	}}
	c, sl, _ := newTestClient(t, fb, nil)
	out, err := c.Batch(context.Background(), []BatchRequest{
		{Method: "GET", URL: "/v1.0/directory/customSecurityAttributeDefinitions/Set_Attr/allowedValues"},
		{Method: "GET", URL: "/v1.0/users/u1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range out {
		if r.Err() != nil {
			t.Errorf("item %d: %v", i+1, r.Err())
		}
	}
	mustEqual(t, "attempts of the 503 item", fb.seen["1"], 2)
	mustEqual(t, "attempts of the other", fb.seen["2"], 1)
	if w := sl.waits(); len(w) != 1 || w[0] != 7*time.Second {
		t.Errorf("waits %v, want the item's Retry-After (7s)", w)
	}
}

// TestBatchOfManyEnvelopesRunsAtMostConcurrencyAtOnce: a call of 50
// envelopes keeps at most Config.Concurrency of them in flight and starts
// no more goroutines than that (one per envelope held every envelope's
// goroutine for the whole call); every item is still answered, in order.
func TestBatchOfManyEnvelopesRunsAtMostConcurrencyAtOnce(t *testing.T) {
	const conc = 3
	fb := &fakeBatch{seen: map[string]int{}, answer: func(it wireItem, _ int) wireResponse {
		return wireResponse{Status: 200, Body: json.RawMessage(`{"url":"` + it.URL + `"}`)}
	}}
	var mu sync.Mutex
	inFlight, maxInFlight, maxWorkers := 0, 0, 0
	buf := make([]byte, 1<<22)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		n := runtime.Stack(buf, true)
		maxWorkers = max(maxWorkers, strings.Count(string(buf[:n]), "graph.(*Client).runChunk("))
		mu.Unlock()
		time.Sleep(time.Millisecond) // let the other envelopes pile up, if they would
		fb.ServeHTTP(w, r)
		mu.Lock()
		inFlight--
		mu.Unlock()
	})
	c, _, _ := newTestClient(t, handler, func(cfg *Config) { cfg.Concurrency = conc })
	var reqs []BatchRequest
	for i := range 50 * MaxBatchSize {
		reqs = append(reqs, BatchRequest{Method: "GET", URL: fmt.Sprintf("/v1.0/groups/g%d", i)})
	}
	out, err := c.Batch(context.Background(), reqs)
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	for i, r := range out {
		if r.Status != 200 || string(r.Body) != fmt.Sprintf(`{"url":"/groups/g%d"}`, i) {
			t.Fatalf("item %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	mustEqual(t, "envelopes", len(fb.sizes), 50)
	if maxInFlight > conc || maxWorkers > conc {
		t.Errorf("at most %d envelopes in flight and %d goroutines sending them, want at most %d each", maxInFlight, maxWorkers, conc)
	}
}

// Graph allows one Conditional Access request a second per tenant and
// counts a $batch's items one by one (graph-semantics.md §1.2, §1.4): two
// such items in one envelope arrive together and the second is throttled,
// however long the client waited before sending them. A Batch sends each
// such item in an envelope of its own, a second after the previous one,
// and packs the other items as before.
func TestBatchSendsConditionalAccessItemsOneAnEnvelope(t *testing.T) {
	var throttled int
	fb := &fakeBatch{seen: map[string]int{}}
	fb.answer = func(it wireItem, times int) wireResponse {
		return wireResponse{Status: 200, Body: json.RawMessage(`{"id":"x"}`)}
	}
	serve := fb.ServeHTTP
	c, rec, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, r)
		fb.mu.Lock()
		defer fb.mu.Unlock()
		ca := 0
		for _, it := range fb.requests[len(fb.requests)-1] {
			if strings.HasPrefix(it.URL, "/identity/conditionalAccess/") {
				ca++
			}
		}
		throttled += max(ca-1, 0) // what Graph's one a second refuses of them
	}), nil)
	var reqs []BatchRequest
	for i := 1; i <= 6; i++ {
		u := fmt.Sprintf("/v1.0/users/u%d", i)
		if i%2 == 0 {
			u = fmt.Sprintf("/v1.0/identity/conditionalAccess/authenticationStrength/policies/p%d/combinationConfigurations", i)
		}
		reqs = append(reqs, BatchRequest{Method: "GET", URL: u})
	}
	out, err := c.Batch(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out {
		if r.Status != 200 {
			t.Errorf("item %s: %d", r.ID, r.Status)
		}
	}
	if throttled > 0 {
		t.Errorf("%d Conditional Access items shared an envelope with another (envelopes %v)", throttled, fb.sizes)
	}
	if len(fb.sizes) != 4 {
		t.Errorf("envelopes of %v items, want 4 (the three users together, each Conditional Access item alone)", fb.sizes)
	}
	var waited time.Duration
	for _, w := range rec.waits() {
		waited += w
	}
	if waited < 2*time.Second-10*time.Millisecond {
		t.Errorf("waited %v in all, want the three Conditional Access envelopes a second apart (2 s)", waited)
	}
}
