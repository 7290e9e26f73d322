package exporter

import (
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// The garbage collector's headroom (issue 12, peak memory). With Go's
// default (GOGC=100) a heap may grow to twice what was live at the last
// collection before the next one, and a large export's resident memory was
// about 2.8 times its live heap (300,000 users: 507 MB resident for a live
// heap of about 180 MB). Once what an export keeps per object is small
// (the delta round spilled, live/spill.go; only paths and blob ids kept),
// that headroom is most of the memory. While Run runs, a soft memory limit
// (runtime/debug.SetMemoryLimit) holds the process's memory to the live
// heap after the last collection plus half of it, and at least
// headroomFloor more: a small export (a live heap under 256 MB) collects
// as before, a large one collects more often rather than doubling. A limit
// the process already has (GOMEMLIMIT) stays the ceiling; the limit before
// Run is restored when the last Run of the process ends. It is a soft
// limit: the runtime spends at most about half the CPU on collecting to
// keep to it and lets the heap grow past it rather than stall
// (go.dev/doc/gc-guide#Memory_limit).
const headroomFloor = 128 << 20

// headroomLimit is the soft limit for a live heap of live bytes.
func headroomLimit(live int64) int64 { return live + max(live/2, headroomFloor) }

var headroom struct {
	mu   sync.Mutex
	runs int
	prev int64
	stop chan struct{}
	done chan struct{}
}

// limitHeadroom sets the soft limit for the length of a Run; release ends
// it (once the last Run of the process ends).
func limitHeadroom() (release func()) {
	h := &headroom
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.runs++; h.runs == 1 {
		h.prev = debug.SetMemoryLimit(-1)
		h.stop, h.done = make(chan struct{}), make(chan struct{})
		go followLiveHeap(h.prev, h.stop, h.done)
	}
	return sync.OnceFunc(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.runs--; h.runs == 0 {
			close(h.stop)
			<-h.done
			debug.SetMemoryLimit(h.prev)
		}
	})
}

// followLiveHeap sets the limit after each collection from the heap it
// found live, never above ceiling.
func followLiveHeap(ceiling int64, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	var cycles uint64
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
			return // (a runtime without these metrics: no limit)
		}
		if c := s[1].Value.Uint64(); c == cycles {
			continue
		} else {
			cycles = c
		}
		debug.SetMemoryLimit(min(ceiling, headroomLimit(int64(s[0].Value.Uint64()))))
	}
}
