//go:build race

package graphsim

// raceEnabled: the test binary is built with -race, under which sync.Pool
// drops a random share of what is put in it (by design), so allocation
// counts of code that pools its buffers (answers are written into pooled
// buffers) vary from run to run.
const raceEnabled = true
