package graphsim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// btItem is one response of a batch envelope.
type btItem struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

func (it btItem) errCode() string {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(it.Body, &b)
	return b.Error.Code
}

func (it btItem) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(it.Body, &m); err != nil {
		t.Fatalf("item %s: body is not a JSON object: %v: %s", it.ID, err, it.Body)
	}
	return m
}

// batch posts requests (a Go value marshalled as the "requests" array) and
// returns the envelope answer and its items by id.
func (e *dlEnv) batch(version string, requests any) (dlResp, map[string]btItem) {
	e.t.Helper()
	b, err := json.Marshal(map[string]any{"requests": requests})
	if err != nil {
		e.t.Fatal(err)
	}
	r := e.do("POST", "/"+version+"/$batch", string(b))
	items := map[string]btItem{}
	if r.status != 200 {
		return r, items
	}
	var env struct {
		Responses []btItem `json:"responses"`
	}
	if err := json.Unmarshal([]byte(r.raw), &env); err != nil {
		e.t.Fatalf("batch envelope: %v: %s", err, r.raw)
	}
	for _, it := range env.Responses {
		if _, dup := items[it.ID]; dup {
			e.t.Errorf("batch answered id %s twice", it.ID)
		}
		items[it.ID] = it
	}
	return r, items
}

type btReq = map[string]any

func btGet(id, url string, extra ...any) btReq {
	m := btReq{"id": id, "method": "GET", "url": url}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

func btJSONHdr() map[string]string { return map[string]string{"Content-Type": "application/json"} }

func TestBatchIndependentGets(t *testing.T) {
	e := newDLEnv(t)
	u := e.seedUsers("b", 2)
	g := e.seedGroup("bg", u[0])
	for _, version := range []string{"v1.0", "beta"} {
		t.Run(version, func(t *testing.T) {
			r, items := e.batch(version, []btReq{
				btGet("1", "/users/"+u[0]),
				btGet("2", "users/"+u[1]+"?$select=displayName"),
				btGet("3", "/groups/"+g+"/members"),
			})
			r.must(t, 200)
			if len(items) != 3 {
				t.Fatalf("got %d responses, want 3: %s", len(items), r.raw)
			}
			tests := []struct {
				id, key, want string
			}{
				{"1", "id", u[0]},
				{"2", "displayName", "User b001"},
			}
			for _, tc := range tests {
				it := items[tc.id]
				if it.Status != 200 {
					t.Errorf("item %s: status %d, want 200: %s", tc.id, it.Status, it.Body)
					continue
				}
				if got := str(it.object(t)[tc.key]); got != tc.want {
					t.Errorf("item %s: %s = %q, want %q", tc.id, tc.key, got, tc.want)
				}
				if it.Headers["x-ms-resource-unit"] == "" {
					t.Errorf("item %s: no x-ms-resource-unit header: %v", tc.id, it.Headers)
				}
				if !strings.HasPrefix(it.Headers["Content-Type"], "application/json") {
					t.Errorf("item %s: Content-Type %q, want application/json", tc.id, it.Headers["Content-Type"])
				}
			}
			if got := fmt.Sprint(len(asSlice(items["3"].object(t)["value"]))); items["3"].Status != 200 || got != "1" {
				t.Errorf("item 3: status %d with %s members, want 200 with 1: %s", items["3"].Status, got, items["3"].Body)
			}
			if keys := sortedKeys(items["2"].object(t)); strings.Join(keys, ",") != "@odata.context,displayName" {
				t.Errorf("item 2 honoured no $select from its url: keys %v", keys)
			}
		})
	}
}

func TestBatchDependsOnOrdersAndFails(t *testing.T) {
	e := newDLEnv(t)
	// The dependent request comes first in the array: dependsOn decides the order.
	r, items := e.batch("v1.0", []btReq{
		btGet("2", "/groups?$filter=displayName%20eq%20'Batch%20Made'", "dependsOn", []string{"1"}),
		{"id": "1", "method": "POST", "url": "/groups", "headers": btJSONHdr(),
			"body": btReq{"displayName": "Batch Made", "mailEnabled": false, "mailNickname": "batchmade", "securityEnabled": true}},
	})
	r.must(t, 200)
	if items["1"].Status != 201 {
		t.Fatalf("POST item: status %d, want 201: %s", items["1"].Status, items["1"].Body)
	}
	if items["1"].Headers["Location"] == "" {
		t.Errorf("POST item has no Location header: %v", items["1"].Headers)
	}
	got := asSlice(items["2"].object(t)["value"])
	if items["2"].Status != 200 || len(got) != 1 {
		t.Errorf("dependent GET ran before the POST: status %d, %d groups found, want 200 and 1", items["2"].Status, len(got))
	}

	r, items = e.batch("v1.0", []btReq{
		{"id": "a", "method": "POST", "url": "/users", "headers": btJSONHdr(), "body": btReq{"displayName": "no upn"}},
		btGet("b", "/users", "dependsOn", []string{"a"}),
		btGet("c", "/groups", "dependsOn", []string{"B"}), // ids are case-insensitive
		btGet("d", "/groups"),
	})
	r.must(t, 200)
	tests := []struct {
		id       string
		status   int
		wantCode string
	}{
		{"a", 400, "Request_BadRequest"},
		{"b", 424, "FailedDependency"},
		{"c", 424, "FailedDependency"},
		{"d", 200, ""},
	}
	for _, tc := range tests {
		it := items[tc.id]
		if it.Status != tc.status || it.errCode() != tc.wantCode {
			t.Errorf("item %s: status %d code %q, want %d %q: %s", tc.id, it.Status, it.errCode(), tc.status, tc.wantCode, it.Body)
		}
	}
}

func TestBatchEnvelopeErrors(t *testing.T) {
	e := newDLEnv(t)
	many := make([]btReq, 21)
	for i := range many {
		many[i] = btGet(fmt.Sprint(i), "/users")
	}
	tests := []struct {
		name     string
		requests any
		wantMsg  string
	}{
		{"21 requests", many, "Number of requests inside batch exceeds the limit."},
		{"duplicate ids differ only in case", []btReq{btGet("x", "/users"), btGet("X", "/groups")}, "duplicate"},
		{"missing id", []btReq{{"method": "GET", "url": "/users"}}, "id"},
		{"body without Content-Type", []btReq{{"id": "1", "method": "POST", "url": "/groups", "body": btReq{"displayName": "x"}}},
			"does not contain Content-Type header"},
		{"dependsOn an unknown id", []btReq{btGet("1", "/users", "dependsOn", []string{"9"})}, "not in the batch"},
		{"dependsOn cycle", []btReq{btGet("1", "/users", "dependsOn", []string{"2"}), btGet("2", "/users", "dependsOn", []string{"1"})}, "cycle"},
		{"requests is not an array", "nope", "Invalid batch payload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := e.batch("v1.0", tc.requests)
			r.must(t, 400)
			e, _ := r.body["error"].(map[string]any)
			if msg := str(e["message"]); !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("error message %q does not mention %q", msg, tc.wantMsg)
			}
		})
	}
	e.do("POST", "/v1.0/$batch", `{"no":"requests"}`).must(t, 400)
	e.do("POST", "/v1.0/$batch", `not json`).must(t, 400)
}

func TestBatchItemErrorsStayInTheirItem(t *testing.T) {
	e := newDLEnv(t)
	u := e.seedUsers("e", 1)
	r, items := e.batch("v1.0", []btReq{
		btGet("ok", "/users/"+u[0]),
		btGet("missing", "/users/00000000-0000-4000-8000-000000000000"),
		{"id": "nested", "method": "POST", "url": "/$batch", "headers": btJSONHdr(), "body": btReq{"requests": []any{}}},
		{"id": "del", "method": "DELETE", "url": "/users/" + u[0], "dependsOn": []string{"ok"}},
	})
	r.must(t, 200)
	tests := []struct {
		id       string
		status   int
		wantCode string
	}{
		{"ok", 200, ""},
		{"missing", 404, "Request_ResourceNotFound"},
		{"nested", 400, "BadRequest"},
		{"del", 204, ""},
	}
	for _, tc := range tests {
		it := items[tc.id]
		if it.Status != tc.status || it.errCode() != tc.wantCode {
			t.Errorf("item %s: status %d code %q, want %d %q: %s", tc.id, it.Status, it.errCode(), tc.status, tc.wantCode, it.Body)
		}
	}
	if b := items["del"].Body; len(b) != 0 {
		t.Errorf("204 item has a body: %s", b)
	}
	if _, ok := e.s.Tenant().Get("user", u[0]); ok {
		t.Errorf("DELETE inside the batch did not delete user %s", u[0])
	}
}

func TestBatchConsistencyLevelPerItem(t *testing.T) {
	e := newDLEnv(t)
	e.seedUsers("c", 3)
	n := fmt.Sprint(e.s.Tenant().Count("user"))
	r, items := e.batch("v1.0", []btReq{
		btGet("with", "/users/$count", "headers", map[string]string{"ConsistencyLevel": "eventual"}),
		btGet("without", "/users/$count"),
		btGet("list", "/users?$count=true&$top=1", "headers", map[string]string{"consistencylevel": "eventual"}),
	})
	r.must(t, 200)
	var count string
	_ = json.Unmarshal(items["with"].Body, &count)
	if items["with"].Status != 200 || count != n {
		t.Errorf("$count with ConsistencyLevel: status %d body %s, want 200 and %q", items["with"].Status, items["with"].Body, n)
	}
	if !strings.HasPrefix(items["with"].Headers["Content-Type"], "text/plain") {
		t.Errorf("$count item Content-Type %q, want text/plain", items["with"].Headers["Content-Type"])
	}
	if items["without"].Status != 400 {
		t.Errorf("$count without ConsistencyLevel: status %d, want 400: %s", items["without"].Status, items["without"].Body)
	}
	if got := str(items["list"].object(t)["@odata.count"]); got != n {
		t.Errorf("$count=true with a per-item ConsistencyLevel: @odata.count %q, want %s", got, n)
	}
}

func TestBatchThrottledItemsAre429InA200Envelope(t *testing.T) {
	s, err := New(Options{Seed: 1, Throttle: "realistic", Now: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	s.thr.mu.Lock()
	s.thr.ruSmall, s.thr.ruWindow = 5, 100*time.Second
	s.thr.mu.Unlock()
	e := newDLEnvFor(t, s)
	u := e.seedUsers("t", 1)
	reqs := make([]btReq, 20)
	for i := range reqs {
		reqs[i] = btGet(fmt.Sprint(i), "/users/"+u[0])
	}
	r, items := e.batch("v1.0", reqs)
	r.must(t, 200)
	ok, throttled := 0, 0
	for id, it := range items {
		switch it.Status {
		case 200:
			ok++
		case 429:
			throttled++
			if it.Headers["Retry-After"] == "" {
				t.Errorf("throttled item %s has no Retry-After header: %v", id, it.Headers)
			}
			if it.errCode() != "TooManyRequests" {
				t.Errorf("throttled item %s: code %q, want TooManyRequests", id, it.errCode())
			}
		default:
			t.Errorf("item %s: status %d, want 200 or 429", id, it.Status)
		}
	}
	if ok == 0 || throttled == 0 || ok+throttled != 20 {
		t.Errorf("a 5 RU bucket let %d of 20 items through and throttled %d; want some of each", ok, throttled)
	}
	if st := s.Stats(); st.Throttled != throttled {
		t.Errorf("stats count %d throttled requests, want %d (one per item)", st.Throttled, throttled)
	}
}
