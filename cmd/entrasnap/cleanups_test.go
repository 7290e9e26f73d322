package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/snapshot"
)

// TestRestoreChangedSigns: a restore planned from files (--changed) loads
// --signing-key as any restore does: a missing key is refused before
// anything is read, and the post-restore snapshot is signed (it was
// unsigned: the key was loaded only for restores from a revision).
func TestRestoreChangedSigns(t *testing.T) {
	t.Setenv("GIT_COMMITTER_NAME", "Backup")
	t.Setenv("GIT_COMMITTER_EMAIL", "backup@example.com")
	t.Setenv(envSigningKey, "")
	e := newRstEnv(t, nil)
	e.changeBranchCA002()

	keys := t.TempDir()
	missing := filepath.Join(keys, "no-key")
	requests := e.sim.Stats().Requests
	if _, errOut := e.cli(exitUsage, "restore", "--repo", e.repo, "--changed", "main..HEAD", "--yes", "--signing-key", missing); !strings.Contains(errOut, missing) {
		t.Fatalf("a missing key is not named:\n%s", errOut)
	}
	if n := e.sim.Stats().Requests - requests; n != 0 {
		t.Fatalf("%d Graph requests before the key was loaded", n)
	}
	key, pub := gitcheck.SSHKey(t, keys, "ci", "ed25519", "")
	allowed := gitcheck.AllowedSigners(t, keys, "backup@example.com "+pub)
	e.cli(exitOK, "restore", "--repo", e.repo, "--changed", "main..HEAD", "--yes", "--signing-key", key)
	// The tenant now equals HEAD's files: the post-restore snapshot is a
	// tag on HEAD.
	tag := strings.TrimSpace(e.git("tag", "--points-at", "HEAD"))
	if !strings.HasPrefix(tag, "snapshot/") || strings.Contains(tag, "\n") {
		t.Fatalf("post-restore snapshot tag: %q", tag)
	}
	if out, ok := gitcheck.Verify(t, e.repo, allowed, "verify-tag", tag); !ok {
		t.Fatalf("the post-restore snapshot of restore --changed is not signed:\n%s", out)
	}
}

// TestBadGitIdentityRefusedBeforeAnyWrite: restore, apply and rehearse read
// GIT_AUTHOR_* and GIT_COMMITTER_* once, before anything is written, as
// export does: a value git would store but a terminal would obey (an
// escape sequence) is refused with exit 64 naming the variable, and the
// tenant and the repository are left as they were (the restore used to
// write the tenant and fail only when recording the snapshot).
func TestBadGitIdentityRefusedBeforeAnyWrite(t *testing.T) {
	e := newRstEnv(t, nil)
	g, members := rstGroupWithMembers(e, 1)
	gid := rstStr(g["id"])
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[0]+"/$ref", nil)
	plan := filepath.Join(t.TempDir(), "plan.json")
	e.cli(exitChanges, "restore", "--repo", e.repo, "--at", e.first, gid, "--out", plan)
	head := e.git("rev-parse", "HEAD")
	rehearsals := e.git("ls-tree", "-r", "HEAD", ".entrasnap")
	for _, v := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_EMAIL"} {
		t.Run(v, func(t *testing.T) {
			t.Setenv(v, "Ada\x1b]8;;https://evil.example\x07")
			for _, args := range [][]string{
				{"restore", "--repo", e.repo, "--at", e.first, gid, "--yes"},
				{"apply", plan},
				{"rehearse", "--repo", e.repo, "--scenarios", "ca-policy-deleted", "--throttle", "off"},
			} {
				var errOut string
				if args[0] == "rehearse" { // its tenant is graphsim, in process
					var code int
					if code, _, errOut = runCLI(t, args...); code != exitUsage {
						t.Errorf("rehearse: exit %d, want %d\n%s", code, exitUsage, errOut)
					}
				} else {
					_, errOut = e.cli(exitUsage, args...)
				}
				if !strings.Contains(errOut, v) || strings.Contains(errOut, "\x1b") {
					t.Errorf("%s: the refusal does not name %s (or prints the escape):\n%q", args[0], v, errOut)
				}
			}
		})
	}
	for _, m := range e.list("/v1.0/groups/" + gid + "/members?$select=id") {
		if rstStr(m["id"]) == members[0] {
			t.Fatal("the member was restored: the tenant was written before the identity was checked")
		}
	}
	if got := e.git("rev-parse", "HEAD"); got != head || e.git("ls-tree", "-r", "HEAD", ".entrasnap") != rehearsals {
		t.Fatalf("HEAD moved: %s", e.git("log", "--oneline", head+"..HEAD"))
	}
}

// TestNamedFilesAreBounded: the files a user names besides a snapshot's
// (drift --watch, restore --break-glass, apply PLAN) are read no further
// than the limit on one file (64 MiB, ENTRASNAP_MAX_FILE_SIZE), as every
// file of a snapshot is: a larger one is refused with exit 64, named.
func TestNamedFilesAreBounded(t *testing.T) {
	sim, u := exportTestSim(t)
	conn := []string{"--graph-url", u, "--access-token", sim.Token()}
	repo := filepath.Join(t.TempDir(), "no-repo")
	big := filepath.Join(t.TempDir(), "big.yaml")
	// Sparse: 64 MiB and one byte of zeros, over the default limit.
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, snapshot.DefaultMaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	small := writeFile(t, "small.yaml", strings.Repeat("# a comment line of a file over 1 KiB\n", 30))
	for _, c := range []struct {
		file, limit string
	}{{big, ""}, {small, "1KiB"}} {
		t.Setenv(check.MaxFileSizeEnv, c.limit)
		for _, args := range [][]string{
			{"drift", "--repo", repo, "--watch", c.file},
			{"restore", "--repo", repo, "--at", "HEAD", "groups", "--break-glass", c.file},
			{"apply", c.file},
		} {
			code, _, errOut := runCLI(t, append(args, conn...)...)
			if code != exitUsage || !strings.Contains(errOut, c.file) || !strings.Contains(errOut, "larger than") {
				t.Errorf("%s with a file over the limit (%q): exit %d\n%s", args[0], c.limit, code, errOut)
			}
		}
	}
	if n := sim.Stats().Requests; n != 0 {
		t.Errorf("%d Graph requests", n)
	}
}
