//go:build linux

package reliability

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite README.md's reliability table from this run")

// bin is the product binary, built once by TestMain; suiteDir holds every
// repository and output of the run until the secrets row has read them.
var bin, suiteDir string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "entrasnap-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Traversable by everyone: the read-only row runs the binary as an
	// unprivileged user when the suite runs as root.
	os.Chmod(dir, 0o755)
	suiteDir = dir
	bin = filepath.Join(dir, "entrasnap")
	build := exec.Command("go", "build", "-o", bin, "github.com/entrasnap/entrasnap/cmd/entrasnap")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "reliability: building cmd/entrasnap:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	makeWritable(dir)
	os.RemoveAll(dir)
	os.Exit(code)
}

// scenario is one row of the table.
type scenario struct {
	name   string // short, stable: the row's name and the subtest's
	checks string // what it checks, one sentence for the README
	run    func(r *row)
}

// row is a running scenario: a testing.T that also remembers why it failed
// in a short, stable form for the table (details go to the test log).
type row struct {
	*testing.T
	reasons []string
	notes   []string
}

// failf fails the row with a stable reason for the table and details for the log.
func (r *row) failf(reason, format string, args ...any) {
	r.Helper()
	for _, x := range r.reasons {
		if x == reason {
			r.Errorf("%s: "+format, append([]any{reason}, args...)...)
			return
		}
	}
	r.reasons = append(r.reasons, reason)
	r.Errorf("%s: "+format, append([]any{reason}, args...)...)
}

// note adds a stable remark shown after the result ("holds; diff names the file").
func (r *row) note(s string) {
	for _, x := range r.notes {
		if x == s {
			return
		}
	}
	r.notes = append(r.notes, s)
}

func (r *row) result() string {
	var s string
	switch {
	case !r.Failed():
		s = "holds"
	case len(r.reasons) == 0:
		s = "**fails** (see `go test ./reliability -v`)"
	default:
		s = "**fails**: " + strings.Join(r.reasons, "; ")
	}
	if len(r.notes) > 0 {
		s += " (" + strings.Join(r.notes, "; ") + ")"
	}
	return s
}

// scenarios is the table, in README order. The secrets row runs last: it
// reads every output the others produced.
func scenarios() []scenario {
	var all []scenario
	all = append(all, faultScenarios()...)
	all = append(all, killScenarios()...)
	all = append(all, lockAndDiskScenarios()...)
	all = append(all, brokenFileScenarios()...)
	all = append(all, hostileNameScenarios()...)
	all = append(all, refusalScenarios()...)
	all = append(all, secretsScenario())
	return all
}

func TestReliability(t *testing.T) {
	type done struct {
		name, checks, result string
		took                 time.Duration
	}
	var rows []done
	all := scenarios()
	ran := 0
	for _, sc := range all {
		var res string
		start := time.Now()
		ok := t.Run(sc.name, func(t *testing.T) {
			r := &row{T: t}
			defer func() { res = r.result() }()
			sc.run(r)
		})
		if res == "" { // filtered out by -run
			continue
		}
		_ = ok
		ran++
		rows = append(rows, done{sc.name, sc.checks, res, time.Since(start)})
	}
	for _, d := range rows {
		t.Logf("%-45s %6.1fs  %s", d.name, d.took.Seconds(), d.result)
	}
	if ran != len(all) {
		t.Logf("%d of %d rows ran: README.md's table is not compared", ran, len(all))
		return
	}
	var b strings.Builder
	b.WriteString("| scenario | what it checks | result |\n|---|---|---|\n")
	for _, d := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", d.name, cell(d.checks), cell(d.result))
	}
	table := b.String()
	readme := filepath.Join("..", "README.md")
	old, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "<!-- reliability-table:start -->\n", "<!-- reliability-table:end -->"
	i, j := bytes.Index(old, []byte(start)), bytes.Index(old, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q markers", strings.TrimSpace(start), end)
	}
	cur := string(old[i+len(start) : j])
	if cur == table {
		return
	}
	if *update {
		nw := append(append(append([]byte{}, old[:i+len(start)]...), table...), old[j:]...)
		if err := os.WriteFile(readme, nw, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("README.md's reliability table rewritten")
		return
	}
	t.Errorf("README.md's reliability table differs from what this run produced; run `go test ./reliability -update`.\nproduced:\n%s\nREADME has:\n%s", table, cur)
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// ---- outputs, kept for the secrets row ----

var outputs struct {
	sync.Mutex
	blobs   [][]byte
	repos   []string
	secrets map[string]string // secret → what it is
}

func keepOutput(b ...[]byte) {
	outputs.Lock()
	defer outputs.Unlock()
	for _, x := range b {
		outputs.blobs = append(outputs.blobs, append([]byte(nil), x...))
	}
}

func keepRepo(dir string) {
	outputs.Lock()
	defer outputs.Unlock()
	outputs.repos = append(outputs.repos, dir)
}

func keepSecret(secret, what string) {
	if secret == "" {
		return
	}
	outputs.Lock()
	defer outputs.Unlock()
	if outputs.secrets == nil {
		outputs.secrets = map[string]string{}
	}
	outputs.secrets[secret] = what
}

func secretList() []string {
	outputs.Lock()
	defer outputs.Unlock()
	var s []string
	for k := range outputs.secrets {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

func makeWritable(dir string) {
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}

var _ = runtime.GOOS
