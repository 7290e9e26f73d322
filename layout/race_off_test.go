//go:build !race

package layout

// raceEnabled: see race_on_test.go.
const raceEnabled = false
