package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// TestCheckRepair leaves a repository as an export killed after moving its
// branch would (a dead run's entrasnap.lock, an old tag lock, a temporary
// pack, index and working tree one snapshot behind, plus a user's edit):
// check --repair puts it right with no other step, keeping the user's edit.
func TestCheckRepair(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	conn := []string{"--kinds", "conditional-access,groups", "--graph-url", u, "--access-token", sim.Token()}
	if code, _, errOut := runCLI(t, append([]string{"export", "--repo", repo}, conn...)...); code != exitOK {
		t.Fatalf("export: %d\n%s", code, errOut)
	}
	pushTestPolicy(t, sim, u)
	if code, _, errOut := runCLI(t, append([]string{"export", "--repo", repo}, conn...)...); code != exitOK {
		t.Fatalf("second export: %d\n%s", code, errOut)
	}
	// the crash state
	gitcheck.Run(t, repo, "read-tree", "-u", "--reset", "HEAD~1")
	if gitcheck.Run(t, repo, "status", "--porcelain") == "" {
		t.Fatal("the simulated crash changed nothing")
	}
	mine := firstFile(t, repo, "groups", "displayName:")
	editFile(t, repo, mine, func(s string) string { return s + "# my note\n" })
	git := filepath.Join(repo, ".git")
	host, _ := os.Hostname()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip(err)
	}
	since := time.Now().Add(-time.Hour)
	os.WriteFile(filepath.Join(git, "entrasnap.lock"), []byte(fmt.Sprintf("pid %d\nhost %s\nsince %s\n", dead.Process.Pid, host, since.UTC().Format(time.RFC3339Nano))), 0o644)
	old := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{filepath.Join(git, "refs", "tags", "snapshot", "x.lock"), filepath.Join(git, "objects", "pack", "tmp_pack_123")} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("partial"), 0o644)
		os.Chtimes(p, old, old)
	}

	code, out, errOut := runCLI(t, "check", "--repo", repo, "--repair")
	if code != exitOK {
		t.Fatalf("check --repair: %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{fmt.Sprintf("pid %d on host %s", dead.Process.Pid, host), "x.lock", "tmp_pack_123", "brought"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("repair output lacks %q:\n%s", want, errOut)
		}
	}
	if st := gitcheck.Run(t, repo, "status", "--porcelain"); st != " M "+mine+"\n" {
		t.Errorf("git status --porcelain after repair:\n%s", st)
	}
	if out, err := exec.Command("git", "-C", repo, "diff", "--cached", "--quiet").CombinedOutput(); err != nil {
		t.Errorf("git diff --cached: %v %s", err, out)
	}
	for _, p := range []string{"entrasnap.lock", "refs/tags/snapshot/x.lock", "objects/pack/tmp_pack_123"} {
		if _, err := os.Stat(filepath.Join(git, p)); !os.IsNotExist(err) {
			t.Errorf(".git/%s left", p)
		}
	}
	gitcheck.Fsck(t, repo)
	// a second repair has nothing to do
	if code, _, errOut := runCLI(t, "check", "--repo", repo, "--repair"); code != exitOK || !strings.Contains(errOut, "nothing to repair") {
		t.Errorf("second repair: %d\n%s", code, errOut)
	}
}

// TestExportDirtyWorktreeNoStagedReversal: with a local edit in the working
// tree, an export that commits a tenant change leaves the index at the new
// commit: git status shows only the user's edit (no staged reversal), and
// `git commit -am` keeps the snapshot's change.
func TestExportDirtyWorktreeNoStagedReversal(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	conn := []string{"--kinds", "conditional-access,groups", "--graph-url", u, "--access-token", sim.Token()}
	if code, _, errOut := runCLI(t, append([]string{"export", "--repo", repo}, conn...)...); code != exitOK {
		t.Fatalf("export: %d\n%s", code, errOut)
	}
	mine := firstFile(t, repo, "groups", "displayName:")
	editFile(t, repo, mine, func(s string) string { return s + "# my note\n" })
	name := pushTestPolicy(t, sim, u)
	code, _, errOut := runCLI(t, append([]string{"export", "--repo", repo}, conn...)...)
	if code != exitOK || strings.Contains(errOut, "not updated") {
		t.Fatalf("second export: %d\n%s", code, errOut)
	}
	if st := gitcheck.Run(t, repo, "status", "--porcelain"); st != " M "+mine+"\n" {
		t.Errorf("git status --porcelain:\n%s", st)
	}
	changed := strings.TrimSpace(gitcheck.Run(t, repo, "diff", "--name-only", "HEAD~1", "HEAD", "--", "conditional-access/policies"))
	if changed == "" {
		t.Fatalf("policy %s: no change committed", name)
	}
	snap := gitcheck.Run(t, repo, "show", "HEAD:"+changed)
	gitcheck.Run(t, repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "my note")
	if got := gitcheck.Run(t, repo, "show", "HEAD:"+changed); got != snap {
		t.Errorf("git commit -am reverted the snapshot's change of %s", changed)
	}
	gitcheck.Fsck(t, repo)
}

// TestExportReportsAllGitLocksBeforeGraph: git lock files in the way (as a
// crash leaves them, still young) are all named in one error, with the
// command that removes them, before any request reaches Graph.
func TestExportReportsAllGitLocksBeforeGraph(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	conn := []string{"--kinds", "conditional-access", "--graph-url", u, "--access-token", sim.Token()}
	if code, _, errOut := runCLI(t, append([]string{"export", "--repo", repo}, conn...)...); code != exitOK {
		t.Fatalf("export: %d\n%s", code, errOut)
	}
	git := filepath.Join(repo, ".git")
	locks := []string{filepath.Join(git, "refs", "heads", "main.lock"), filepath.Join(git, "refs", "tags", "snapshot", "x.lock"), filepath.Join(git, "index.lock")}
	for _, p := range locks {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	before := sim.Stats().Requests
	code, _, errOut := runCLI(t, append([]string{"export", "--repo", repo}, conn...)...)
	if code != exitError {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	for _, p := range locks {
		if !strings.Contains(errOut, p) {
			t.Errorf("error does not name %s:\n%s", p, errOut)
		}
	}
	if !strings.Contains(errOut, "rm -f") || !strings.Contains(errOut, "check --repair") {
		t.Errorf("error does not say how to fix it:\n%s", errOut)
	}
	if n := sim.Stats().Requests - before; n != 0 {
		t.Errorf("%d Graph requests before the lock error, want 0", n)
	}
	for _, p := range locks {
		os.Remove(p)
	}
	if code, _, errOut := runCLI(t, append([]string{"export", "--repo", repo}, conn...)...); code != exitOK {
		t.Fatalf("export after removing the locks: %d\n%s", code, errOut)
	}
}
