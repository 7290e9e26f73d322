//go:build unix

package bench

import (
	"os"
	"runtime"
	"syscall"
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
