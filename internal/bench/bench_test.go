package bench

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/snapshot"
)

// TestMain lets the test binary be the bench's child process: ReExec runs
// it again with ENTRASNAP_BENCH_CHILD=1, as `entrasnap bench` runs itself
// with --child.
func TestMain(m *testing.M) {
	if os.Getenv("ENTRASNAP_BENCH_CHILD") == "1" {
		if err := Child(context.Background(), os.Stdin, os.Stdout, os.Stderr); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	if v := os.Getenv("ENTRASNAP_BENCH_EXIT"); v != "" { // TestExecCLI's child
		code, _ := strconv.Atoi(v)
		os.Stderr.WriteString("told to exit " + v + "\n")
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestExecCLI(t *testing.T) {
	cli := ExecCLI(os.Args[0])
	if err := cli(context.Background(), map[string]string{"ENTRASNAP_BENCH_EXIT": "0"}, "check"); err != nil {
		t.Errorf("exit 0: %v", err)
	}
	err := cli(context.Background(), map[string]string{"ENTRASNAP_BENCH_EXIT": "3"}, "check")
	if err == nil || !strings.Contains(err.Error(), "entrasnap check") || !strings.Contains(err.Error(), "told to exit 3") {
		t.Errorf("exit 3: %v", err)
	}
}

func TestChildExport(t *testing.T) {
	var progress strings.Builder
	b := &runner{o: Options{Users: 60, Groups: 10, Apps: 5, Exec: ReExec(os.Args[0], []string{"-test.run=^$"}, []string{"ENTRASNAP_BENCH_CHILD=1"}, &progress)}, log: os.Stderr, tmp: t.TempDir()}
	s, err := b.newSim("off")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	dir := filepath.Join(b.tmp, "r.git")
	if err := initBare(dir); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	res := b.runExport(context.Background(), s, dir, "child", false)
	wall := time.Since(t0).Seconds()
	if res.Error != "" || res.Commit == "" || res.Objects < s.Tenant().Count("user") || res.Requests == 0 || res.ResourceUnits == 0 {
		t.Fatalf("child export: %+v", res)
	}
	if runtime.GOOS == "linux" && res.PeakRSSKiB < 1024 {
		t.Errorf("peak RSS %d KiB: not measured", res.PeakRSSKiB)
	}
	if runtime.GOOS == "linux" {
		// Where the time went: the child's CPU from its rusage and this
		// process's (graphsim's) over the same span, both filled, neither
		// more than the span's wall time on every CPU (bounds, not timings).
		// A child's CPU (a Go process starting, reading the tenant over
		// HTTP, writing a repository) is never under a millisecond.
		most := wall * float64(runtime.NumCPU())
		for name, c := range map[string]*exportCPU{"export child": res.Child, "graphsim": res.Graphsim} {
			if c == nil || c.User <= 0 || c.User+c.Sys < 0.001 || c.User+c.Sys > most || c.Sys < 0 {
				t.Errorf("%s CPU %+v over %.2f s wall on %d CPUs", name, c, wall, runtime.NumCPU())
			}
		}
		cpu := cpuOf(res, false)
		if cpu.Objects != res.Objects || cpu.ExportMsPerObj <= 0 || cpu.GraphsimMsPerObj <= 0 ||
			!strings.Contains(cpu.String(), "export child ") || !strings.Contains(cpu.String(), "ms/object") || strings.Contains(cpu.String(), "not measured") {
			t.Errorf("row CPU %+v: %s", cpu, cpu)
		}
	}
	// The child said how far it got, a line per kind read, as it went.
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	users := false
	for _, l := range lines {
		if !strings.HasPrefix(l, "bench: child: kind ") || !strings.Contains(l, " objects, ") || !strings.Contains(l, "peak RSS") {
			t.Errorf("progress line %q", l)
		}
		users = users || strings.Contains(l, " users: ")
	}
	if len(lines) < 20 || !users {
		t.Errorf("%d progress lines, users among them: %v:\n%s", len(lines), users, progress.String())
	}
	if runtime.GOOS == "linux" && !testing.Short() { // one more child export: the plain run only
		// The child's peak is its own, not this process's: with 256 MiB
		// resident here, wait4's ru_maxrss of the child said at least that.
		ballast := make([]byte, 256<<20)
		for i := 0; i < len(ballast); i += 4096 { // a byte a page makes it resident
			ballast[i] = 1
		}
		again := b.childExport(context.Background(), s, dir, "child again", false)
		if again.Error != "" || again.PeakRSSKiB < 1024 || again.PeakRSSKiB >= 256<<10 {
			t.Errorf("child's peak RSS %d KiB with 256 MiB resident in the parent: %s", again.PeakRSSKiB, again.Error)
		}
		runtime.KeepAlive(ballast)
	}
	r, err := snapshot.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if h, err := r.Resolve(context.Background(), "HEAD"); err != nil || h.String() != res.Commit {
		t.Errorf("HEAD %v %v, child said %s", h, err, res.Commit)
	}

	// A child that fails says why, and the token never appears in the error.
	b.o.Exec = ReExec(os.Args[0], []string{"-test.run=^$"}, []string{"ENTRASNAP_BENCH_CHILD=1"}, nil)
	s.url = "http://graph.example.invalid" // plain http off loopback: refused before any request
	res = b.childExport(context.Background(), s, dir, "child", false)
	if res.Error == "" || strings.Contains(res.Error, s.Token()) {
		t.Errorf("failed child: %+v", res)
	}
}

func TestVirtualSleep(t *testing.T) {
	c := graphsim.NewClock()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Freeze(start)
	sleep := simSleep(c)
	ctx := context.Background()
	// A wait moves the clock by its length, one after another by both.
	if err := sleep(ctx, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := sleep(ctx, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := c.Now().Sub(start); got != 5*time.Second {
		t.Errorf("after 2 s then 3 s: %v", got)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	before := c.Now()
	if err := sleep(canceled, time.Hour); err == nil || !c.Now().Equal(before) {
		t.Errorf("canceled wait: err %v, clock moved %v", err, c.Now().Sub(before))
	}
}

func TestRemoteSleep(t *testing.T) {
	b := &runner{o: Options{Users: 60, Groups: 10, Apps: 5}, log: os.Stderr}
	s, err := b.newSim("realistic")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	sleep := remoteSleep(s.url, s.Token())
	before := s.Clock().Now()
	if err := sleep(context.Background(), 90*time.Second); err != nil {
		t.Fatal(err)
	}
	// The clock follows the wall clock besides: allow for the request's time.
	if moved := s.Clock().Now().Sub(before); moved < 90*time.Second || moved > 100*time.Second {
		t.Errorf("graphsim's clock moved %v, want 90 s", moved)
	}
	bad := remoteSleep(s.url, "not-the-token")
	if err := bad(context.Background(), time.Second); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a refused move: %v", err)
	}
}

func TestParseRuns(t *testing.T) {
	for in, want := range map[string]string{
		"":       "abcdef",
		"b":      "b",
		"a,c":    "ac",
		"C":      "ac", // c uses a's export
		"d":      "ad",
		"e":      "ace", // e uses c's daily snapshot
		"fb":     "bf",
		" b, f ": "bf",
	} {
		runs, err := ParseRuns(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		got := ""
		for c := byte('a'); c <= 'f'; c++ {
			if runs[c] {
				got += string(c)
			}
		}
		if got != want {
			t.Errorf("%q: runs %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"g", "a1", ",", "abc-"} {
		if _, err := ParseRuns(bad); err == nil || !strings.Contains(err.Error(), "a to f") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestRunsOnlyB measures only run b: its two rows, with the tenant's size,
// and none of the other runs' rows or breakdowns.
func TestRunsOnlyB(t *testing.T) {
	var cli []string
	tab, err := Run(context.Background(), Options{Users: 60, Groups: 10, Apps: 5, Runs: "b", Log: io.Discard,
		CLI: func(_ context.Context, _ map[string]string, args ...string) error {
			cli = append(cli, args[0])
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range tab.Rows {
		ids = append(ids, r.ID)
		if r.Error != "" {
			t.Errorf("row %s: %s", r.ID, r.Error)
		}
	}
	// The export ran in this process: b1 says the CPU of the two together.
	if c := tab.Rows[0].CPU; runtime.GOOS == "linux" && (c == nil || !c.InProcess || c.Export != nil || c.Graphsim.total() <= 0 || c.Objects != tab.Objects ||
		!strings.Contains(tab.Rows[0].Detail, "export and graphsim together")) {
		t.Errorf("b1 CPU %+v: %s", c, tab.Rows[0].Detail)
	}
	if strings.Join(ids, " ") != "b1 b2" || len(cli) != 0 || len(tab.Breakdown)+len(tab.Quiet)+len(tab.Churn) != 0 {
		t.Errorf("rows %v, commands %v, breakdowns %d %d %d", ids, cli, len(tab.Breakdown), len(tab.Quiet), len(tab.Churn))
	}
	if tab.Users != 60 || tab.Groups != 10 || tab.Apps != 5 || tab.Objects < 60 || tab.Floor.Units <= 0 {
		t.Errorf("table header: users %d groups %d apps %d objects %d floor %d", tab.Users, tab.Groups, tab.Apps, tab.Objects, tab.Floor.Units)
	}
}

// TestWorkFolderKeep: --keep names a folder the bench works in and leaves
// behind; it is created when missing and refused when not empty (an
// earlier run's repository would be measured by mistake); without it the
// bench works in a new temporary folder.
func TestWorkFolderKeep(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "b")
	got, err := workFolder(dir)
	if err != nil || got != dir {
		t.Fatalf("workFolder(%q) = %q, %v", dir, got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := workFolder(dir); err == nil || !strings.Contains(err.Error(), "--keep") || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a folder not empty: %v", err)
	}
	tmp, err := workFolder("")
	if err != nil || tmp == "" {
		t.Fatalf("temporary folder: %q, %v", tmp, err)
	}
	os.RemoveAll(tmp)
}

// TestProgressSplit: a child's progress lines reach the log whole however
// its stderr is cut into writes, printable; everything else stays for the
// error message.
func TestProgressSplit(t *testing.T) {
	var log strings.Builder
	var rest bytes.Buffer
	s := &progressSplit{log: &log, rest: &rest}
	in := progressPrefix + "kind 1 users: 3 objects\n" + "panic: boom\n" + progressPrefix + "kind 2 \x1b[31mgroups\xff: 1 object\n" + "no newline"
	for i := 0; i < len(in); i += 7 {
		s.Write([]byte(in[i:min(i+7, len(in))]))
	}
	s.flush()
	want := "bench: child: kind 1 users: 3 objects\nbench: child: kind 2 \uFFFD[31mgroups\uFFFD: 1 object\n"
	if log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}
	if rest.String() != "panic: boom\nno newline" {
		t.Errorf("rest %q", rest.String())
	}
	// A line with no end is not held whole: past the bound it is not progress.
	log.Reset()
	rest.Reset()
	long := progressPrefix + strings.Repeat("x", 2*maxProgressLine)
	s.Write([]byte(long))
	s.flush()
	if log.Len() != 0 || rest.Len() != len(long) {
		t.Errorf("unbounded line: log %d bytes, rest %d of %d", log.Len(), rest.Len(), len(long))
	}
}
