package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/snapshot"
)

func TestExportAuthorAndRequireComplete(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	code, _, errOut := runCLI(t, "export", "--repo", repo, "--graph-url", u, "--access-token", sim.Token(),
		"--author", "Ada Admin <ada@contoso.com>")
	if code != exitOK {
		t.Fatalf("export: %d %s", code, errOut)
	}
	if got := exportTestGit(t, repo, "log", "-1", "--format=%an <%ae>"); strings.TrimSpace(got) != "Ada Admin <ada@contoso.com>" {
		t.Errorf("author = %q", got)
	}
	if code, _, errOut := runCLI(t, "export", "--repo", repo, "--graph-url", u, "--access-token", sim.Token(), "--author", "no email"); code != exitUsage || !strings.Contains(errOut, "--author") {
		t.Errorf("bad --author: %d %q", code, errOut)
	}
	head := exportTestGit(t, repo, "rev-parse", "HEAD")
	// An author from the environment with an escape sequence is refused
	// before Graph is read, naming the variables; nothing is committed.
	t.Setenv("GIT_AUTHOR_NAME", "Ada\x1b[2J")
	t.Setenv("GIT_AUTHOR_EMAIL", "ada@contoso.com")
	if code, _, errOut := runCLI(t, "export", "--repo", repo, "--graph-url", u, "--access-token", sim.Token()); code != exitUsage ||
		!strings.Contains(errOut, "GIT_AUTHOR_NAME") || strings.Contains(errOut, "\x1b") {
		t.Errorf("hostile GIT_AUTHOR_NAME: %d %q", code, errOut)
	}
	os.Unsetenv("GIT_AUTHOR_NAME")
	os.Unsetenv("GIT_AUTHOR_EMAIL")
	if got := exportTestGit(t, repo, "rev-parse", "HEAD"); got != head {
		t.Errorf("HEAD moved: %s → %s", head, got)
	}
	// A token denied Policy.Read.All cannot read Conditional Access: with
	// --require-complete nothing is committed.
	tok := exportTestToken(t, sim, u, "Policy.Read.All")
	code, _, errOut = runCLI(t, "export", "--repo", repo, "--graph-url", u, "--access-token", tok, "--require-complete")
	if code != exitError || !strings.Contains(errOut, "--require-complete") {
		t.Fatalf("--require-complete: code %d, stderr %q", code, errOut)
	}
	if got := exportTestGit(t, repo, "rev-parse", "HEAD"); got != head {
		t.Errorf("HEAD moved: %s → %s", head, got)
	}
}

func TestExportShowsRetryWaits(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{FaultRate: 0.2})
	srv := simtest.Serve(t, sim)
	// The retry waits advance graphsim's clock: no real back-off.
	f := factory{sleep: simtest.Sleep(sim)}
	repo := filepath.Join(t.TempDir(), "backup")
	code, out, errOut := runWith(t, f, "", false, "export", "--repo", repo, "--graph-url", srv.URL, "--access-token", sim.Token())
	if code != exitOK {
		t.Fatalf("export with faults: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "waiting ") || !strings.Contains(errOut, "before retry") {
		t.Errorf("no retry waits shown:\n%s", errOut)
	}
	if !sim.Clock().Now().After(simtest.Now) {
		t.Errorf("the retry waits did not go through the factory's sleep (graphsim's clock is still at %s): they slept for real", sim.Clock().Now())
	}
	code, out, _ = runWith(t, f, "", false, "export", "--repo", filepath.Join(t.TempDir(), "b2"), "--graph-url", srv.URL, "--access-token", sim.Token(), "--json")
	if code != exitOK || !strings.Contains(out, `"event":"retry"`) {
		t.Errorf("--json retry events: %d\n%s", code, out)
	}
}

// TestExportBadBranchRefusedBeforeGraph: an invalid --branch is a usage
// error before any request reaches Graph (graphsim counts none).
func TestExportBadBranchRefusedBeforeGraph(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	for _, b := range []string{"a..b", "-x", "x.lock", "with space", "a/.hidden", "refs/tags/x", "HEAD", "a~1", "tab\there", "end/"} {
		code, _, errOut := runCLI(t, "export", "--repo", repo, "--branch="+b, "--graph-url", u, "--access-token", sim.Token())
		if code != exitUsage || !strings.Contains(errOut, "--branch") {
			t.Errorf("--branch %q: code %d\n%s", b, code, errOut)
		}
	}
	if n := sim.Stats().Requests; n != 0 {
		t.Errorf("graphsim served %d requests for invalid branches, want 0", n)
	}
	if _, err := os.Stat(repo); !os.IsNotExist(err) {
		t.Errorf("the repository was created for an invalid branch: %v", err)
	}
	code, _, errOut := runCLI(t, "export", "--repo", repo, "--branch", "entrasnap/review-1", "--kinds", "conditional-access", "--graph-url", u, "--access-token", sim.Token())
	if code != exitOK {
		t.Errorf("valid branch: %d\n%s", code, errOut)
	}
}

// TestExportScheduled: --scheduled lets PIM for Groups resume from the
// directory audit log (and users' sponsors, apps' relationships); an
// export without it reads them whole and says why, so a snapshot taken by
// hand holds a change made just before it.
func TestExportScheduled(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	kinds := "users,groups,group-eligibility-schedules,group-assignment-schedules"
	run := func(extra ...string) string {
		t.Helper()
		code, _, errOut := runCLI(t, append([]string{"export", "--repo", repo, "--graph-url", u, "--access-token", sim.Token(), "--kinds", kinds, "--allow-shrink"}, extra...)...)
		if code != exitOK {
			t.Fatalf("export %q: %d %s", extra, code, errOut)
		}
		return errOut
	}
	run()
	full := regexp.MustCompile(`group-eligibility-schedules +full read`)
	if errOut := run("--scheduled"); strings.Contains(errOut, "not a scheduled run") || full.MatchString(errOut) {
		t.Errorf("--scheduled: PIM for Groups read in full:\n%s", errOut)
	}
	if errOut := run(); !regexp.MustCompile(`group-eligibility-schedules +full read: not a scheduled run \(--scheduled reads again only the groups the directory audit log names\)`).MatchString(errOut) {
		t.Errorf("without --scheduled: no full read of PIM for Groups said:\n%s", errOut)
	}
}

// TestExportWaitsForTheLock: while another run holds the repository lock,
// export refuses at once without --wait, and with --wait waits (saying so
// on stderr, naming the holder) and exports once the lock is released;
// --wait below zero is a usage error.
func TestExportWaitsForTheLock(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "back up \"q\"")
	export := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"export", "--repo", repo, "--graph-url", u, "--access-token", sim.Token()}, args...)...)
	}
	if code, _, errOut := export(); code != exitOK {
		t.Fatalf("first export: %d %s", code, errOut)
	}
	r, err := snapshot.Open(repo)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	unlock, err := r.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := export(); code != exitError || !strings.Contains(errOut, "another entrasnap run holds the repository") || strings.Contains(errOut, "waiting") {
		t.Errorf("export without --wait while locked: %d %s", code, errOut)
	}
	if code, _, errOut := export("--wait", "-1s"); code != exitUsage || !strings.Contains(errOut, "--wait") {
		t.Errorf("--wait -1s: %d %s", code, errOut)
	}
	released := make(chan struct{})
	go func() { time.Sleep(300 * time.Millisecond); unlock(); close(released) }()
	code, _, errOut := export("--wait", "10m")
	<-released
	if code != exitOK || !strings.Contains(errOut, "waiting for the repository lock") || !strings.Contains(errOut, fmt.Sprintf("held by pid %d", os.Getpid())) || !strings.Contains(errOut, "--wait 10m0s") {
		t.Errorf("export --wait: %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(repo, ".git", snapshot.LockFile)); !os.IsNotExist(err) {
		t.Errorf("the export left the lock: %v", err)
	}
	gitcheck.Fsck(t, repo)
}
