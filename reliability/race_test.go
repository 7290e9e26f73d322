//go:build linux && race

package reliability

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// raceBuild: this test binary has the race detector (go test -race, as in
// .ci/run's race phase), so TestMain also builds the product binary with
// it (raceBin), and the fault rows' exports run it (graph faults,
// truncated bodies, 429 storms, realistic throttling; exportHonest sets
// runOpts.race): the product process meets those faults over a real
// connection, and two of them (bodies cut mid-answer, JSON that stops
// halfway) only in this suite. A race in such a run prints
// "WARNING: DATA RACE" and exits 66, a failed row. The other rows run the
// plain binary: they repeat the same export, restore, check and diff code
// paths many times over (a kill row runs about 25 exports or 7 restores),
// which cmd/entrasnap's race run exercises in-process (its commands, the
// same exporter, importer, live and graph code) and exporter's, live's and
// graph's race runs exercise under faults, throttling and retries, and a
// race-built product costs about 4.5 times the CPU of a plain one (an
// export of the demo tenant: 5.4 CPU-seconds against 1.2). The in-process
// half of every row (graphsim, the suite's middlewares and watchers) is
// under the detector in every row.
const raceBuild = true

// TestRaceProduct: under -race the suite has both product binaries, the
// race-built one (which the fault rows run) built with -race and the plain
// one without, as go records in each binary's build settings.
func TestRaceProduct(t *testing.T) {
	for _, c := range []struct {
		path string
		race bool
	}{{raceBin, true}, {bin, false}} {
		out, err := exec.Command("go", "version", "-m", c.path).CombinedOutput()
		if err != nil {
			t.Fatalf("go version -m %s: %v\n%s", c.path, err, out)
		}
		if got := strings.Contains(string(out), "\tbuild\t-race=true\n"); got != c.race {
			t.Errorf("%s: built with -race %v, want %v", filepath.Base(c.path), got, c.race)
		}
	}
}
