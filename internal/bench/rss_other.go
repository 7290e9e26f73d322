//go:build !unix

package bench

import "os"

func maxRSSKiB(*os.ProcessState) int64 { return 0 }

func selfPeakRSSKiB() int64 { return 0 }
