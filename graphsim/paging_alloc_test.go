package graphsim

import (
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestPageAllocationDoesNotGrowWithTheList: a page of a list allocates for
// its own items, not for the whole collection. Before, every page copied
// the collection and gathered all its matches, so reading 1.2M users 999 at
// a time allocated about 20 MB per page, 1,200 times, and graphsim spent
// its time collecting that garbage from a 4.5 GB heap (issue 12, row g).
// The answers themselves are the paging tests' (TestCoreListsPagingSelectFilterCount).
func TestPageAllocationDoesNotGrowWithTheList(t *testing.T) {
	if raceEnabled {
		t.Skip("counts allocated bytes of code that pools its answer buffers: under -race sync.Pool drops a random share of them")
	}
	perPage := func(users int) uint64 {
		s, err := New(Options{Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		tn := s.Tenant()
		for i := 0; i < users; i++ {
			if _, err := tn.Seed("user", map[string]any{"displayName": fmt.Sprintf("User %d", i), "accountEnabled": true,
				"userPrincipalName": fmt.Sprintf("u%d@%s", i, tn.Domain()), "mailNickname": fmt.Sprintf("u%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		get := func(path string) {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+s.Token())
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
			}
		}
		// A page from the middle of the list, and the first one.
		paths := []string{"/v1.0/users?$select=id&$top=5&$skiptoken=" + encodeSkipToken(users/2), "/v1.0/users?$select=id&$top=5"}
		for _, p := range paths {
			get(p) // warm: routes, lazily compiled patterns
		}
		const rounds = 20
		var a, b runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&a)
		for range rounds {
			for _, p := range paths {
				get(p)
			}
		}
		runtime.ReadMemStats(&b)
		return (b.TotalAlloc - a.TotalAlloc) / (rounds * uint64(len(paths)))
	}
	small, large := perPage(500), perPage(20000)
	t.Logf("bytes allocated per page of 5: %d at 500 users, %d at 20,000", small, large)
	if large > small+small/2+4096 {
		t.Errorf("a page of 5 users allocated %d bytes at 20,000 users, %d at 500: it grows with the list", large, small)
	}
}

// TestPageLooksAtTheListUpToItself: a page of a list in creation order
// looks at the records up to its own and one more (to know a next page
// exists), not at the rest of the collection; only a first page asked for
// $count counts them all. Before, every page counted the whole list, so
// reading 1.2M users 100 at a time ($expand=sponsors) looked at 14 billion
// records (issue #12, row g). The pages still hold every user once, in
// order, a nextLink on all but the last, and the count.
func TestPageLooksAtTheListUpToItself(t *testing.T) {
	e := newDLEnv(t)
	e.seedUsers("pg", 1000)
	all := e.do("GET", "/v1.0/users/$count", "", "ConsistencyLevel", "eventual").must(t, 200)
	n := 0
	fmt.Sscan(all.raw, &n)
	for _, path := range []string{"/v1.0/users?$select=id&$top=150", "/v1.0/users?$select=id&$expand=sponsors&$top=100",
		"/v1.0/users?$select=id&$filter=" + url.QueryEscape("startswith(displayName,'User pg')") + "&$count=true&$top=999"} {
		adv := strings.Contains(path, "$count")
		var hdr []string
		if adv {
			hdr = []string{"ConsistencyLevel", "eventual"}
			n = 1000 // the filter's
		}
		seen, last := map[string]bool{}, ""
		link := path
		for pages := 1; link != ""; pages++ {
			e.s.tenant.pageSteps.Store(0)
			r := e.do("GET", link, "", hdr...).must(t, 200)
			items := r.items()
			steps := e.s.tenant.pageSteps.Load()
			if pages == 1 && adv {
				if c, _ := r.body["@odata.count"].(float64); int(c) != n {
					t.Errorf("%s: @odata.count %v, want %d", path, r.body["@odata.count"], n)
				}
			} else if r.body["@odata.count"] != nil {
				t.Errorf("%s page %d: @odata.count %v", path, pages, r.body["@odata.count"])
			}
			if !adv || pages > 1 {
				if max := uint64(len(seen) + len(items) + 1); steps > max+uint64(e.s.Tenant().Count("user")-n) {
					t.Errorf("%s page %d: looked at %d records for the %d up to its end", path, pages, steps, max)
				}
			}
			for _, it := range items {
				id := str(it["id"])
				if seen[id] {
					t.Errorf("%s: %s twice", path, id)
				}
				seen[id], last = true, id
			}
			link = str(r.body["@odata.nextLink"])
			if link == "" && len(items) == 0 && pages > 1 {
				t.Errorf("%s: last page empty", path)
			}
		}
		if len(seen) != n || last == "" {
			t.Errorf("%s: %d users over the pages, want %d", path, len(seen), n)
		}
	}
}

// TestPageMemoAnswersAsTheScan: two walks of the users list, their pages
// interleaved, with users deleted, restored, created and renamed between
// pages: every page holds exactly what the list's offset in the list as it
// is then gives (the skip token's meaning), whether the page resumed where
// another ended (pagememo.go) or scanned from the start; a page read when
// nothing changed since the walk's previous page looks at its own records
// and one more only.
func TestPageMemoAnswersAsTheScan(t *testing.T) {
	e := newDLEnv(t)
	users := e.seedUsers("memo", 600)
	tn := e.s.tenant
	rng := rand.New(rand.NewPCG(3, 4))
	type walk struct {
		link   string
		offset int
		top    int
		done   bool
		dirty  bool // the tenant changed since the walk's previous page
	}
	walks := []*walk{{link: "/v1.0/users?$select=id&$top=37", top: 37}, {link: "/v1.0/users?$select=id,displayName&$top=50", top: 50}}
	var deleted []string
	resumed := 0
	for step := 0; !walks[0].done || !walks[1].done; step++ {
		w := walks[step%2]
		if w.done {
			continue
		}
		action := rng.IntN(6)
		if action >= 1 && action <= 4 {
			walks[0].dirty, walks[1].dirty = true, true
		}
		switch {
		case action == 1 && len(users) > 0:
			i := rng.IntN(len(users))
			e.do("DELETE", "/v1.0/users/"+users[i], "").must(t, 204)
			deleted = append(deleted, users[i])
			users = append(users[:i:i], users[i+1:]...)
		case action == 2 && len(deleted) > 0:
			i := rng.IntN(len(deleted))
			e.do("POST", "/v1.0/directory/deletedItems/"+deleted[i]+"/restore", "").must(t, 200)
			users = append(users, deleted[i])
			deleted = append(deleted[:i:i], deleted[i+1:]...)
		case action == 3:
			users = append(users, e.seedUsers(fmt.Sprintf("new%d-", step), 1)...)
		case action == 4 && len(users) > 0:
			e.do("PATCH", "/v1.0/users/"+users[rng.IntN(len(users))], `{"displayName":"Renamed"}`).must(t, 204)
		}
		var want []string
		tn.mu.RLock()
		for _, r := range tn.colls["user"].live() {
			if !r.gone && tn.visible(r) {
				want = append(want, r.key())
			}
		}
		tn.mu.RUnlock()
		want = want[min(w.offset, len(want)):min(w.offset+w.top, len(want))]
		tn.pageSteps.Store(0)
		r := e.do("GET", w.link, "").must(t, 200)
		steps := tn.pageSteps.Load()
		var got []string
		for _, it := range r.items() {
			got = append(got, str(it["id"]))
		}
		if !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("step %d, page at %d of %s: got %d users %v, want %d %v", step, w.offset, w.link, len(got), got, len(want), want)
		}
		if w.offset > 0 && !w.dirty {
			if steps > uint64(w.top+1) {
				t.Errorf("step %d: nothing changed, the page at %d looked at %d records for its %d", step, w.offset, steps, w.top)
			}
			resumed++
		}
		w.offset += len(got)
		w.dirty = false
		w.link = str(r.body["@odata.nextLink"])
		w.done = w.link == ""
	}
	if resumed == 0 {
		t.Fatal("no page was read with nothing changed before it")
	}
}
