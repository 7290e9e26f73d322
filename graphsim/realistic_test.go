package graphsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestBatchAnswersInAnyOrder: without dependsOn, a batch's answers come in an
// order drawn from the seed (the same seed gives the same order), dependsOn
// still orders execution, and BatchInOrder restores request order.
func TestBatchAnswersInAnyOrder(t *testing.T) {
	reqs := make([]any, 20)
	for i := range reqs {
		reqs[i] = map[string]any{"id": fmt.Sprint(i + 1), "method": "GET", "url": "/organization"}
	}
	ids := func(e *coreEnv) string {
		r := e.do("POST", "/v1.0/$batch", map[string]any{"requests": reqs}).must(t, 200)
		var env struct {
			Responses []struct {
				ID     string `json:"id"`
				Status int    `json:"status"`
			} `json:"responses"`
		}
		if err := json.Unmarshal([]byte(r.raw), &env); err != nil || len(env.Responses) != len(reqs) {
			t.Fatalf("batch: %v %s", err, r.raw)
		}
		var out []string
		for _, it := range env.Responses {
			if it.Status != 200 {
				t.Errorf("item %s: %d", it.ID, it.Status)
			}
			out = append(out, it.ID)
		}
		return strings.Join(out, ",")
	}
	inOrder := "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20"
	a := ids(newCoreEnv(t, Options{Seed: 3}))
	if a == inOrder {
		t.Errorf("answers in request order: %s", a)
	}
	if b := ids(newCoreEnv(t, Options{Seed: 3})); b != a {
		t.Errorf("same seed, different order: %s and %s", a, b)
	}
	if c := ids(newCoreEnv(t, Options{Seed: 3, BatchInOrder: true})); c != inOrder {
		t.Errorf("BatchInOrder: %s", c)
	}

	// dependsOn still decides: the GET after the POST finds the group.
	e := newCoreEnv(t, Options{Seed: 5})
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("Batch Made %d", i)
		r := e.do("POST", "/v1.0/$batch", map[string]any{"requests": []any{
			map[string]any{"id": "get", "method": "GET", "dependsOn": []string{"make"},
				"url": "/groups?$filter=displayName eq '" + name + "'"},
			map[string]any{"id": "make", "method": "POST", "url": "/groups", "headers": map[string]any{"Content-Type": "application/json"},
				"body": map[string]any{"displayName": name, "mailEnabled": false, "mailNickname": fmt.Sprintf("bm%d", i), "securityEnabled": true}},
		}}).must(t, 200)
		if !strings.Contains(r.raw, `"displayName":"`+name+`"`) || strings.Count(r.raw, name) < 2 {
			t.Errorf("dependent GET did not see the group: %s", r.raw)
		}
	}
}

// TestEmptyPagesCarryNextLink: with EmptyPages, every list starts with an
// empty page that has a nextLink; following the links gives every object
// once, and $count is on the first page only.
func TestEmptyPagesCarryNextLink(t *testing.T) {
	e := newCoreEnv(t, Options{EmptyPages: true})
	for i := 0; i < 5; i++ {
		e.newUser(fmt.Sprintf("p%d", i))
	}
	want := e.s.Tenant().Count("user")
	next := "/v1.0/users?$top=2"
	seen := map[string]bool{}
	var pages, empty int
	for next != "" {
		r := e.do("GET", next, nil).must(t, 200)
		pages++
		items, _ := r.body["value"].([]any)
		if len(items) == 0 {
			empty++
		}
		for _, it := range items {
			id := str(it.(map[string]any)["id"])
			if seen[id] {
				t.Errorf("user %s twice", id)
			}
			seen[id] = true
		}
		next = str(r.body["@odata.nextLink"])
		if len(items) == 0 && next == "" {
			t.Errorf("page %d: empty and no nextLink", pages)
		}
		next = strings.TrimPrefix(next, e.url)
		if pages > 50 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != want {
		t.Errorf("read %d users, want %d", len(seen), want)
	}
	if wantPages := 2 * ((want + 1) / 2); pages != wantPages || empty != wantPages/2 {
		t.Errorf("%d pages (%d empty), want %d (%d empty)", pages, empty, wantPages, wantPages/2)
	}
	r := e.do("GET", "/v1.0/users?$count=true", nil, "ConsistencyLevel", "eventual").must(t, 200)
	if items, _ := r.body["value"].([]any); len(items) != 0 || r.body["@odata.count"] == nil || r.body["@odata.nextLink"] == nil {
		t.Errorf("first page with $count: %s", r.raw)
	}
}

// TestRestoredObjectAppearsAfterLag: an object restored from the recycle bin
// replicates like a created one: reads find it only after the lag.
func TestRestoredObjectAppearsAfterLag(t *testing.T) {
	e := newCoreEnv(t, Options{EventualConsistency: 5 * time.Second})
	g := e.newGroup("rl", nil)
	e.s.Clock().Advance(6 * time.Second)
	e.do("DELETE", "/v1.0/groups/"+g, nil).must(t, 204)
	e.do("POST", "/v1.0/directory/deletedItems/"+g+"/restore", nil).must(t, 200)
	e.do("GET", "/v1.0/groups/"+g, nil).must(t, 404)
	e.s.Clock().Advance(6 * time.Second)
	e.do("GET", "/v1.0/groups/"+g, nil).must(t, 200)
}

// TestFaultsSometimesLoseTheAnswerOfADoneRequest: some dropped connections
// and 504s come after the request was carried out, so a client cannot take
// a lost answer for "nothing happened".
func TestFaultsSometimesLoseTheAnswerOfADoneRequest(t *testing.T) {
	e := newCoreEnv(t, Options{Seed: 11, FaultRate: 1})
	before := e.s.Tenant().Count("group")
	const n = 40
	for i := 0; i < n; i++ {
		b, _ := json.Marshal(map[string]any{"displayName": fmt.Sprintf("Lost %d", i), "mailNickname": fmt.Sprintf("lost%d", i),
			"mailEnabled": false, "securityEnabled": true})
		req, _ := http.NewRequest("POST", e.url+"/v1.0/groups", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+e.s.Token())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				t.Fatalf("rate 1 answered %d", resp.StatusCode)
			}
		}
	}
	if done := e.s.Tenant().Count("group") - before; done == 0 || done == n {
		t.Errorf("%d of %d failed creates were carried out, want some but not all", done, n)
	}
}

// TestUnfaultedServesTheSameTenantWithoutFaults: Unfaulted (a test's own
// set-up and checks) answers every request and $batch item of a tenant
// whose Server fails them all (FaultRate 1), on the same tenant and with
// the same replication lag; the Server itself still fails every request.
func TestUnfaultedServesTheSameTenantWithoutFaults(t *testing.T) {
	e := newCoreEnv(t, Options{FaultRate: 1, EventualConsistency: 5 * time.Second})
	ts := httptest.NewServer(e.s.Unfaulted())
	t.Cleanup(ts.Close)
	u := &coreEnv{t: t, s: e.s, url: ts.URL}

	for i := range 20 {
		g := u.newGroup(fmt.Sprintf("staged%d", i), nil)
		u.do("GET", "/v1.0/groups/"+g, nil).must(t, 404) // the lag is the tenant's, Unfaulted or not
		u.do("PATCH", "/v1.0/groups/"+g, map[string]any{"description": "d"}).must(t, 404)
	}
	e.s.Clock().Advance(6 * time.Second)
	b := u.do("POST", "/v1.0/$batch", map[string]any{"requests": []any{
		map[string]any{"id": "1", "method": "GET", "url": "/groups?$select=id"},
		map[string]any{"id": "2", "method": "POST", "url": "/groups", "headers": map[string]any{"Content-Type": "application/json"},
			"body": map[string]any{"displayName": "In a batch", "mailNickname": "inbatch", "mailEnabled": false, "securityEnabled": true}},
	}}).must(t, 200)
	for _, r := range asSlice(b.body["responses"]) {
		if st, _ := r.(map[string]any)["status"].(float64); st >= 300 {
			t.Errorf("a $batch item through Unfaulted answered %v", r)
		}
	}
	if n := e.s.Tenant().Count("group"); n != 21 {
		t.Errorf("%d groups after 21 creates through Unfaulted", n)
	}
	if st := e.s.Stats(); st.Faults != 0 {
		t.Errorf("Unfaulted injected faults: %+v", st)
	}

	// The Server on the same tenant still fails everything.
	c, srv := fltClient(), httptest.NewServer(e.s)
	t.Cleanup(srv.Close)
	for i := range 10 {
		status, _, body, err := fltGet(t, c, srv, e.s.Token(), http.MethodGet, "/v1.0/groups", "")
		if err == nil && status < 500 {
			t.Fatalf("request %d through the Server at FaultRate 1: %d %s", i, status, body)
		}
	}
	if st := e.s.Stats(); st.Faults != 10 {
		t.Errorf("the Server injected %d faults in 10 requests at FaultRate 1", st.Faults)
	}
}
