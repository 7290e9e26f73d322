package live

import (
	"context"
	"crypto/sha1"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// retained reads kinds of a large-profile tenant of the given sizes with a
// sink that keeps, as the exporter does, only each file's path and hash,
// and returns the most heap the read held (live heap after a collection,
// sampled at every 200th sink call and at the end, minus the heap before
// the read) and the files read.
func retained(t *testing.T, sizes graphsim.Sizes, kinds ...string) (peak int64, files int) {
	t.Helper()
	sim := simtest.New(t, graphsim.Options{Profile: "large", Sizes: sizes})
	// The heap is sampled while graphsim serves no request: what it
	// allocates to answer one is not the reader's.
	var serving sync.Mutex
	c := simtest.Client(t, sim, simtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serving.Lock()
		defer serving.Unlock()
		sim.ServeHTTP(w, r)
	})), "")
	ks := simtest.Kinds(t, kinds...)
	heap := func() int64 {
		serving.Lock()
		defer serving.Unlock()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	var (
		mu     sync.Mutex
		hashes = map[string][sha1.Size]byte{}
		calls  int
	)
	base := heap()
	lv, err := Read(context.Background(), ReadOptions{Client: c, Kinds: ks, Concurrency: 1,
		Sink: func(p string, data []byte) error {
			mu.Lock()
			defer mu.Unlock()
			hashes[p] = sha1.Sum(data)
			if calls++; calls%200 == 0 {
				peak = max(peak, heap()-base)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range lv.Kinds {
		if !k.Complete {
			t.Fatalf("%s incomplete: %v", k.Kind, k.Err)
		}
	}
	peak = max(peak, heap()-base)
	runtime.KeepAlive(sim)
	return peak, len(lv.Paths)
}

// TestReadMemoryGrowsWithTheLargestObjectNotTheTenant (issue 12, streaming
// memory): what a read holds grows with the tenant only by what the
// snapshot needs per object (its path; the caller keeps its blob id), not
// by the decoded objects: users are turned into files a page at a time,
// and a groups delta round keeps members and owners as compact ids until
// the round ends. Measured as the live heap (after a collection, while
// graphsim serves nothing) at the sink's calls, for two tenant sizes: the
// difference per added user, and per added membership, stays under a bound
// well below what holding them decoded costs (measured before the change:
// about 3,900 bytes per user and 570 per membership; after: about 350 and
// 120).
func TestReadMemoryGrowsWithTheLargestObjectNotTheTenant(t *testing.T) {
	if testing.Short() {
		t.Skip("reads two tenants of several thousand users")
	}
	start := time.Now()
	small, n1 := retained(t, graphsim.Sizes{Users: 3000, Groups: 1, Apps: 1}, "users")
	large, n2 := retained(t, graphsim.Sizes{Users: 12000, Groups: 1, Apps: 1}, "users")
	perUser := (large - small) / int64(n2-n1)
	t.Logf("users: %d files hold %d KB, %d files %d KB: %d bytes per added user (%v)", n1, small>>10, n2, large>>10, perUser, time.Since(start))
	if perUser > 1800 {
		t.Errorf("reading users holds %d bytes more per added user (%d KB for %d users, %d KB for %d): the read keeps the decoded users instead of a page of them",
			perUser, small>>10, n1, large>>10, n2)
	}

	start = time.Now()
	small, _ = retained(t, graphsim.Sizes{Users: 1000, Groups: 200, MembersPerGroup: 30, Apps: 1}, "groups")
	large, _ = retained(t, graphsim.Sizes{Users: 1000, Groups: 1400, MembersPerGroup: 30, Apps: 1}, "groups")
	perMember := (large - small) / (1200 * 30)
	t.Logf("groups: 200 groups of 30 members hold %d KB, 1,400 groups %d KB: %d bytes per added membership (%v)", small>>10, large>>10, perMember, time.Since(start))
	if perMember > 250 {
		t.Errorf("reading groups holds %d bytes more per added membership (%d KB for 200 groups of 30 members, %d KB for 1,400): the read keeps decoded groups and member maps, not ids",
			perMember, small>>10, large>>10)
	}
}
