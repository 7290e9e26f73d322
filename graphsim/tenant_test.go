package graphsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// A read under the read lock writes nothing: collection.live once dropped
// the gone entries of order in place when they were over a quarter, and
// GET handlers call it under RLock, several at once (appliesTo, the role
// checks of every delegated request, a singleton, an alternate key). The
// compaction now happens in detach, under the write lock, into a new slice.
func TestReadsLeaveACollectionAsItIs(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tn := s.Tenant()
	k := kindByName[grantPolicyKind]
	c := tn.colls[k.Name]
	base := tn.Count(k.Name) // the built-in policies
	tn.mu.Lock()
	var recs []*record
	for i := range 40 {
		recs = append(recs, tn.insert(k, map[string]any{"id": fmt.Sprintf("p%02d", i), "displayName": "p"}))
	}
	before := c.live() // a caller ranging over order while it deletes
	held := append([]*record(nil), before...)
	for _, r := range recs[:30] {
		tn.detach(r)
	}
	tn.mu.Unlock()
	for i, r := range before {
		if r != held[i] {
			t.Fatalf("the slice a caller held changed under it at %d", i)
		}
	}
	if c.gone*4 > len(c.order) {
		t.Errorf("after the deletes order holds %d entries, %d gone: detach leaves compaction to readers", len(c.order), c.gone)
	}
	tn.mu.RLock()
	n, first := len(c.order), &c.order[0]
	live := c.live()
	tn.mu.RUnlock()
	if len(c.order) != n || &c.order[0] != first || len(live) != n {
		t.Errorf("live() under the read lock rewrote order (%d entries, now %d)", n, len(c.order))
	}
	kept := 0
	for _, r := range live {
		if !r.gone {
			kept++
		}
	}
	if want := base + 10; kept != want || tn.Count(k.Name) != want || len(tn.List(k.Name)) != want {
		t.Errorf("live %d, Count %d, List %d, want %d", kept, tn.Count(k.Name), len(tn.List(k.Name)), want)
	}
}

// detach takes an object out of the indexes only where they still hold
// that record: once the object was created again under its id, a second
// detach of the old record (a stale pointer) leaves the new one findable.
func TestDetachOfAStaleRecordKeepsTheNewOne(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tn := s.Tenant()
	k := kindByName[grantPolicyKind] // a directory kind with an id of the caller's
	tn.mu.Lock()
	old := tn.insert(k, map[string]any{"id": "Same-ID", "displayName": "old"})
	tn.detach(old)
	cur := tn.insert(k, map[string]any{"id": "same-id", "displayName": "new"})
	tn.detach(old)
	gone := tn.colls[k.Name].gone
	found, dir := tn.lookup(k, "SAME-ID"), tn.dirObject("same-id")
	tn.mu.Unlock()
	if found != cur || dir != cur {
		t.Fatalf("after a second detach of the old record: lookup %v, dirObject %v, want the new record", found, dir)
	}
	if gone != 1 {
		t.Errorf("gone %d after one record was detached twice, want 1", gone)
	}
	n := 0
	for _, o := range tn.List(k.Name) {
		if strings.EqualFold(str(o["id"]), "same-id") {
			n++
			if o["displayName"] != "new" {
				t.Errorf("listed %v", o)
			}
		}
	}
	if n != 1 {
		t.Errorf("same-id listed %d times", n)
	}
}

// Reads that range over a collection run while other requests delete and
// create its objects: under -race this is the check that no read writes
// shared state; without it, every object is still listed once and found
// by its id afterwards.
func TestConcurrentReadsWhileObjectsComeAndGo(t *testing.T) {
	e := newCoreEnv(t, Options{})
	rounds := 60
	if testing.Short() {
		rounds = 20
	}
	tl := str(e.do("POST", "/v1.0/policies/tokenLifetimePolicies", map[string]any{"displayName": "tl", "definition": []any{"{}"}}).must(t, 201).body["id"])
	call := func(method, path string, body any) (int, map[string]any, error) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		req, _ := http.NewRequest(method, e.url+path, rd)
		req.Header.Set("Authorization", "Bearer "+e.s.Token())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m, nil
	}
	done := make(chan struct{})
	errs := make(chan error, 16)
	var readers sync.WaitGroup
	for i := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			// appliesTo ranges over the applications under the read
			// lock, as the lists now do too.
			paths := []string{
				"/v1.0/policies/tokenLifetimePolicies/" + tl + "/appliesTo",
				"/v1.0/policies/tokenLifetimePolicies/" + tl + "/appliesTo",
				"/v1.0/applications?$top=999",
				"/v1.0/policies/permissionGrantPolicies",
			}
			for n := 0; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				if st, m, err := call("GET", paths[(n+i)%len(paths)], nil); err != nil || st != 200 {
					errs <- fmt.Errorf("GET %s: %d %v %v", paths[(n+i)%len(paths)], st, m, err)
					return
				}
			}
		}()
	}
	var keep []string
	for n := range rounds {
		st, m, err := call("POST", "/v1.0/applications", map[string]any{"displayName": fmt.Sprintf("app %d", n)})
		if err != nil || st != 201 {
			t.Fatalf("create app: %d %v %v", st, m, err)
		}
		id := str(m["id"])
		pid := fmt.Sprintf("policy-%d", n%3)
		if n%4 == 3 {
			keep = append(keep, id)
		} else if st, m, err := call("DELETE", "/v1.0/applications/"+id, nil); err != nil || st != 204 {
			t.Fatalf("delete app: %d %v %v", st, m, err)
		}
		// The same permission grant policy id deleted and made again.
		if st, _, _ := call("GET", "/v1.0/policies/permissionGrantPolicies/"+pid, nil); st == 200 {
			if st, m, err := call("DELETE", "/v1.0/policies/permissionGrantPolicies/"+pid, nil); err != nil || st != 204 {
				t.Fatalf("delete policy: %d %v %v", st, m, err)
			}
		}
		if st, m, err := call("POST", "/v1.0/policies/permissionGrantPolicies", map[string]any{"id": pid, "displayName": pid}); err != nil || st != 201 {
			t.Fatalf("create policy %s: %d %v %v", pid, st, m, err)
		}
		if st, m, err := call("POST", "/v1.0/policies/permissionGrantPolicies/"+pid+"/includes", map[string]any{"permissionType": "delegated"}); err != nil || st != 201 {
			t.Fatalf("condition set of the policy just made %s: %d %v %v", pid, st, m, err)
		}
	}
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	listed := map[string]int{}
	for _, a := range e.do("GET", "/v1.0/applications?$top=999", nil).must(t, 200).body["value"].([]any) {
		listed[str(a.(map[string]any)["id"])]++
	}
	for _, id := range keep {
		if listed[id] != 1 {
			t.Errorf("application %s listed %d times", id, listed[id])
		}
		e.do("GET", "/v1.0/applications/"+id, nil).must(t, 200)
	}
	if len(listed) != len(keep) {
		t.Errorf("%d applications listed, want %d", len(listed), len(keep))
	}
}
