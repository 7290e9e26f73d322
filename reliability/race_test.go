//go:build linux && race

package reliability

// raceBuild: this test binary has the race detector, so the suite builds
// the product binary with it too (go test -race ./... in .ci/run): every
// export, restore and kill of the table then runs under the detector, which
// makes a run that races print "WARNING: DATA RACE" and exit 66 (a failed row).
const raceBuild = true
