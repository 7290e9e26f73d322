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
// raceBin, in a race test binary only (go test -race, .ci/run's race
// phase), is the product binary built with -race too: the fault rows run it
// (runOpts.race), see raceBuild.
var bin, raceBin, suiteDir string

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
	builds := [][]string{{"-o", bin}}
	if raceBuild {
		raceBin = filepath.Join(dir, "entrasnap-race")
		builds = append(builds, []string{"-race", "-o", raceBin})
	}
	for _, args := range builds {
		build := exec.Command("go", append(append([]string{"build"}, args...), "github.com/entrasnap/entrasnap/cmd/entrasnap")...)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "reliability: go build %s cmd/entrasnap: %v\n", strings.Join(args, " "), err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	refTemplate.Remove()
	emptyTemplate.Remove()
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
	mu      sync.Mutex // reasons and notes: a row's parts run at once (each)
	reasons []string
	notes   []string
}

// failf fails the row with a stable reason for the table and details for the log.
func (r *row) failf(reason, format string, args ...any) {
	r.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
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
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.notes {
		if x == s {
			return
		}
	}
	r.notes = append(r.notes, s)
}

// concurrency is how many rows, and how many parts of one row (each), run
// at once. The suite's time is mostly waiting (Graph's pacing and
// Retry-After waits in the product, git and process start-up), not CPU.
const concurrency = 4

// each runs part(i) for i in 0..n-1 as subtests of r named name(i), up to
// concurrency at once, and adds their reasons and notes to r's, in order
// of i (so the table does not depend on which part ended first).
func (r *row) each(n int, name func(i int) string, part func(p *row, i int)) {
	parts := make([]*row, n)
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r.Run(name(i), func(t *testing.T) {
				parts[i] = &row{T: t}
				part(parts[i], i)
			})
		}()
	}
	wg.Wait()
	for _, p := range parts {
		if p == nil { // filtered out by -run
			continue
		}
		for _, x := range p.reasons {
			r.addReason(x)
		}
		for _, x := range p.notes {
			r.note(x)
		}
	}
}

// addReason records a part's reason on its row (the part already failed).
func (r *row) addReason(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.reasons {
		if x == reason {
			return
		}
	}
	r.reasons = append(r.reasons, reason)
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
	results := make([]done, len(all))
	runRow := func(i int) {
		sc := all[i]
		start := time.Now()
		t.Run(sc.name, func(t *testing.T) {
			r := &row{T: t}
			defer func() { results[i] = done{sc.name, sc.checks, r.result(), time.Since(start)} }()
			sc.run(r)
		})
	}
	// Every row but the last (the secrets row, which reads what the others
	// wrote) runs beside others, up to concurrency at once; then the last.
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := 0; i < len(all)-1; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			runRow(i)
		}()
	}
	wg.Wait()
	runRow(len(all) - 1)
	ran := 0
	for _, d := range results {
		if d.result == "" { // filtered out by -run
			continue
		}
		ran++
		rows = append(rows, d)
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
