package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestStartupInitsAreSmall: every entrasnap process links all of the
// product's packages and graphsim (for `entrasnap graphsim`), so what a
// package does at initialisation is paid by `entrasnap --version` and
// `--help` too. graphsim used to decode its built-in role definitions,
// build its permission tries and compile its regexps there (about 6.5 MB
// and 65,000 allocations per process); they are now built on first use.
// The test starts this test binary again, running no test, with Go's
// inittrace, and bounds the bytes each of our packages allocates while it
// initialises. Allocation counts do not depend on the machine's speed.
func TestStartupInitsAreSmall(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s -test.run=^$: %v\n%s", os.Args[0], err, out)
	}
	// init github.com/entrasnap/entrasnap/graphsim @196 ms, 1.3 ms clock, 67000 bytes, 456 allocs
	line := regexp.MustCompile(`(?m)^init (github\.com/entrasnap/entrasnap/\S+) @.*?, (\d+) bytes, (\d+) allocs$`)
	const limit = 256 << 10
	seen := map[string]bool{}
	for _, m := range line.FindAllStringSubmatch(string(out), -1) {
		pkg, bytes := m[1], m[2]
		if strings.HasSuffix(pkg, ".test") || pkg == "github.com/entrasnap/entrasnap/cmd/entrasnap" {
			continue // this test binary's own package, test files included
		}
		seen[pkg] = true
		if n, _ := strconv.Atoi(bytes); n > limit {
			t.Errorf("package %s allocates %d bytes (%s allocs) while it initialises (limit %d): build what it needs on first use (sync.OnceValue) so commands that never use it do not pay", pkg, n, m[3], limit)
		}
	}
	for _, pkg := range []string{"graphsim", "graphsim/perms", "graphsim/csdl", "layout", "live"} {
		if !seen["github.com/entrasnap/entrasnap/"+pkg] {
			t.Errorf("no inittrace line for %s (the trace format changed?):\n%s", pkg, out)
		}
	}
}
