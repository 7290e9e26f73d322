package live

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// BenchmarkThrottledReadModel models bench row b1 (issue 12: a full
// export's time under realistic throttling ÷ the budget bound) without the
// machine's load in it: graphsim's clock is frozen and moved only by the
// client's pacing waits and by a fixed work time per delta page served
// (B1_WORK, default 400ms: the users and groups rounds' real time at rest,
// about 40 s of the large tenant's 55 s bound). The tenant (40 users, so
// 3,500 units per 10 s; 9,500 groups of 3 members) makes the PIM for
// Groups schedules most of the units, as in the large profile. Reported:
// the simulated time, its waits and its ratio to the bound (units ÷ 350/s).
// Measured 2026-12-07: 1.53× with the schedules read after the groups
// round (2f2d4ed), 0.86× read during it; no run can beat 0.82× (the
// bucket's first fill, then 350 units/s).
//
//	go test -run '^$' -bench ThrottledReadModel -benchtime 1x ./live
func BenchmarkThrottledReadModel(b *testing.B) {
	work := 400 * time.Millisecond
	if v := os.Getenv("B1_WORK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("B1_WORK: %v", err)
		}
		work = d
	}
	for i := 0; i < b.N; i++ {
		sim, waits, worked, units := throttledReadModel(b, work)
		el := sim.Seconds()
		bound := float64(units) / 350
		b.ReportMetric(el, "sim-s")
		b.ReportMetric(waits.Seconds(), "waits-s")
		b.ReportMetric(worked.Seconds(), "work-s")
		b.ReportMetric(el/bound, "ratio")
	}
}

func throttledReadModel(b *testing.B, work time.Duration) (elapsed, waits, worked time.Duration, units int) {
	b.Helper()
	b.StopTimer()
	sim := simtest.New(b, graphsim.Options{Throttle: "realistic", Sizes: graphsim.Sizes{Users: 40, Groups: 9500, MembersPerGroup: 3, Apps: 1}})
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sim.Clock().Freeze(start)
	var mu sync.Mutex
	// Waits that overlap move the clock to the latest end (as the bench's
	// virtualSleep).
	sleep := func(ctx context.Context, d time.Duration) error {
		target := sim.Clock().Now().Add(d)
		mu.Lock()
		defer mu.Unlock()
		if n := sim.Clock().Now(); n.Before(target) {
			waits += target.Sub(n)
			sim.Clock().Advance(target.Sub(n))
		}
		return ctx.Err()
	}
	srv := simtest.Serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/delta") {
			mu.Lock()
			worked += work
			sim.Clock().Advance(work)
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	c, err := graph.New(graph.Config{BaseURL: srv.URL, AccessToken: sim.Token(), HTTPClient: srv.Client(), Sleep: sleep, Now: sim.Clock().Now, TenantUsers: 40})
	if err != nil {
		b.Fatal(err)
	}
	kinds := simtest.Kinds(b, append([]string{"users", "groups"}, AuditKinds()...)...)
	sim.ResetStats()
	b.StartTimer()
	res, err := Read(context.Background(), ReadOptions{Client: c, Kinds: kinds, TrackDelta: true})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res.Kinds {
		if !r.Complete {
			b.Fatalf("%s incomplete: %v", r.Kind, r.Err)
		}
	}
	if n := sim.Stats().Throttled; n > 0 {
		b.Errorf("%d answers throttled", n)
	}
	return sim.Clock().Now().Sub(start), waits, worked, sim.Stats().ResourceUnits
}
