//go:build !unix

package bench

import (
	"os"
	"time"
)

func maxRSSKiB(*os.ProcessState) int64 { return 0 }

func selfPeakRSSKiB() int64 { return 0 }

func selfCPU() (user, sys time.Duration, ok bool) { return 0, 0, false }
