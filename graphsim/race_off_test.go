//go:build !race

package graphsim

// raceEnabled: see race_on_test.go.
const raceEnabled = false
