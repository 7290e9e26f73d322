//go:build !race

package live

// raceEnabled: the test binary runs under the race detector, whose
// instrumentation allocates beside the code measured.
const raceEnabled = false
