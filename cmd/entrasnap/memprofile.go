package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// peakHeapProfile, when ENTRASNAP_MEMPROFILE names a file, writes a heap
// profile there each time the live heap after a collection grows by a
// tenth over the largest seen, so the file holds the profile nearest the
// run's peak (`go tool pprof -sample_index inuse_space entrasnap FILE`).
// For profiling only: the README's Development section says how.
func peakHeapProfile() {
	file := os.Getenv("ENTRASNAP_MEMPROFILE")
	if file == "" {
		return
	}
	go func() {
		var peak uint64
		var ms runtime.MemStats
		for range time.Tick(200 * time.Millisecond) {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc < peak+peak/10 {
				continue
			}
			peak = ms.HeapAlloc
			if f, err := os.Create(file); err == nil {
				_ = pprof.WriteHeapProfile(f)
				_ = f.Close()
			}
		}
	}()
}
