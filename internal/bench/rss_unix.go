//go:build unix

package bench

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// maxRSSKiB is the child's peak resident set size (getrusage ru_maxrss:
// KiB on Linux, bytes on macOS).
func maxRSSKiB(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return ru.Maxrss / 1024
	}
	return ru.Maxrss
}

// selfPeakRSSKiB is this process's peak resident set size since it began
// (VmHWM of /proc/self/status, Linux; 0 elsewhere). The child reports it
// itself because wait4's ru_maxrss of a child started by Go's os/exec
// (clone with CLONE_VM|CLONE_VFORK) counts the parent's peak too: Linux
// carries the high-water mark of the memory the child ran on before exec,
// the parent's, into the child's, so a child export under a bench holding
// graphsim's 100,000-user tenant reported the bench's peak, not its own.
func selfPeakRSSKiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		var kib int64
		if _, err := fmt.Sscanf(l, "VmHWM: %d kB", &kib); err == nil {
			return kib
		}
	}
	return 0
}

// selfCPU is the CPU time this process has used so far, in user and kernel
// mode (getrusage RUSAGE_SELF: every thread of this process, none of its
// children's); ok false where it cannot be read.
func selfCPU() (user, sys time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, false
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), true
}
