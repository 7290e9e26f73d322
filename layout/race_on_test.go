//go:build race

package layout

// raceEnabled: the test binary is built with -race, under which sync.Pool
// drops a random share of what is put in it (by design, to find code that
// relies on getting it back), so allocation counts of pooled code mean
// nothing.
const raceEnabled = true
