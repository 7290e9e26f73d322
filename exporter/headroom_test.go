package exporter

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestHeadroomFollowsTheLiveHeap (issue 12, peak memory): while an export
// runs, the process's soft memory limit is the live heap plus half of it
// (at least headroomFloor), under any limit the process had (GOMEMLIMIT),
// and that limit comes back when the last export ends.
func TestHeadroomFollowsTheLiveHeap(t *testing.T) {
	if got := headroomLimit(100 << 20); got != 228<<20 {
		t.Errorf("100 MB live: limit %d MB, want 228 (the floor)", got>>20)
	}
	if got := headroomLimit(600 << 20); got != 900<<20 {
		t.Errorf("600 MB live: limit %d MB, want 900", got>>20)
	}
	const ceiling = 7 << 30
	before := debug.SetMemoryLimit(ceiling)
	defer debug.SetMemoryLimit(before)

	// A live heap of about 300 MB: the limit follows it after a collection.
	hold := make([][]byte, 300)
	for i := range hold {
		hold[i] = make([]byte, 1<<20)
	}
	release := limitHeadroom()
	inner := limitHeadroom() // a second export at the same time
	var limit int64
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(60 * time.Millisecond)
		if limit = debug.SetMemoryLimit(-1); limit != ceiling {
			break
		}
	}
	if limit < 300<<20 || limit > 600<<20 {
		t.Errorf("with about 300 MB live the limit is %d MB, want between 300 and 600 MB", limit>>20)
	}
	inner()
	inner() // (once only)
	if got := debug.SetMemoryLimit(-1); got == ceiling {
		t.Errorf("one of two exports ended: the limit went back to the ceiling while the other runs")
	}
	release()
	if got := debug.SetMemoryLimit(-1); got != ceiling {
		t.Errorf("after the exports the limit is %d, want the one before (%d)", got, int64(ceiling))
	}
	runtime.KeepAlive(hold)
}
