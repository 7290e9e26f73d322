package graphsim

import (
	"fmt"
	"net/http/httptest"
	"runtime"
	"testing"
)

// TestPageAllocationDoesNotGrowWithTheList: a page of a list allocates for
// its own items, not for the whole collection. Before, every page copied
// the collection and gathered all its matches, so reading 1.2M users 999 at
// a time allocated about 20 MB per page, 1,200 times, and graphsim spent
// its time collecting that garbage from a 4.5 GB heap (issue 12, row g).
// The answers themselves are the paging tests' (TestCoreListsPagingSelectFilterCount).
func TestPageAllocationDoesNotGrowWithTheList(t *testing.T) {
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
