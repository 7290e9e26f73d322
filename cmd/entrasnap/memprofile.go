package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// peakHeapProfile, when ENTRASNAP_MEMPROFILE names a file, writes a heap
// profile there each time the heap's memory held from the system grows by
// a twentieth over the most seen, so the file holds the profile nearest
// the run's peak resident memory (`go tool pprof -sample_index inuse_space entrasnap FILE`).
// "%p" in the name becomes the process id (bench and its export children).
// For profiling only: the README's Development section says how.
func peakHeapProfile() {
	file := os.Getenv("ENTRASNAP_MEMPROFILE")
	if file == "" {
		return
	}
	// "%p" becomes the process id: bench's export children inherit the
	// variable, and each process then writes its own file.
	file = strings.ReplaceAll(file, "%p", strconv.Itoa(os.Getpid()))
	go func() {
		var peak uint64
		var ms runtime.MemStats
		for range time.Tick(200 * time.Millisecond) {
			runtime.ReadMemStats(&ms)
			held := ms.HeapSys - ms.HeapReleased
			if held < peak+peak/20 {
				continue
			}
			peak = held
			if f, err := os.Create(file); err == nil {
				_ = pprof.WriteHeapProfile(f)
				_ = f.Close()
			}
		}
	}()
}

// cpuProfile, when ENTRASNAP_CPUPROFILE names a file, profiles the CPU of
// the whole command into it (`go tool pprof -top entrasnap FILE`); call the
// function it returns before the process exits. A file that cannot be
// created is said on stderr and the command runs unprofiled. "%p" in the
// name becomes the process id, as in ENTRASNAP_MEMPROFILE: bench and its
// export children then each write their own profile. For profiling
// only: the README's Development section says how.
func cpuProfile() (stop func()) {
	file := os.Getenv("ENTRASNAP_CPUPROFILE")
	if file == "" {
		return func() {}
	}
	file = strings.ReplaceAll(file, "%p", strconv.Itoa(os.Getpid()))
	f, err := os.Create(file)
	if err == nil {
		err = pprof.StartCPUProfile(f)
		if err != nil {
			_ = f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "entrasnap: ENTRASNAP_CPUPROFILE: %v; running unprofiled\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
