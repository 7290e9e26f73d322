//go:build linux && !race

package reliability

// raceBuild: see race_test.go.
const raceBuild = false
