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
// "%p" in the name becomes the process id (bench and its export children);
// "%n", the number of the write (1, 2, ...), so that every step of the
// growth keeps its own file instead of the last one replacing it: the
// profiles then show what is held at each step, not at the peak only.
// For profiling only: the README's Development section says how.
func peakHeapProfile() {
	file := os.Getenv("ENTRASNAP_MEMPROFILE")
	if file == "" {
		return
	}
	// "%p" becomes the process id: bench's export children inherit the
	// variable, and each process then writes its own file.
	file = strings.ReplaceAll(file, "%p", strconv.Itoa(os.Getpid()))
	numbered := strings.Contains(file, "%n")
	go func() {
		var peak uint64
		var n int
		var ms runtime.MemStats
		for range time.Tick(200 * time.Millisecond) {
			runtime.ReadMemStats(&ms)
			held := ms.HeapSys - ms.HeapReleased
			if held < peak+peak/20 {
				continue
			}
			peak = held
			name := file
			if numbered {
				n++
				name = strings.ReplaceAll(file, "%n", strconv.Itoa(n))
			}
			if f, err := os.Create(name); err == nil {
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
