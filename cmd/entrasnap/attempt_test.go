package main

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// TestRestoreWhoseWritesAllFailIsRecorded: a signed restore whose every
// write Graph refuses exits 1 and makes no snapshot; its record is a
// signed entrasnap/apply tag on HEAD that real git verifies, which
// `snapshots` and `log OBJECT` show, `check --verify-signatures` counts
// and trusts, and `evidence` lists. The next restore, once Graph accepts
// the writes, is a new plan and applies.
func TestRestoreWhoseWritesAllFailIsRecorded(t *testing.T) {
	t.Setenv("GIT_COMMITTER_NAME", "Alice Admin")
	t.Setenv("GIT_COMMITTER_EMAIL", "alice@contoso.example")
	t.Setenv(envSigningPassphrase, "")
	t.Setenv(envAllowedSigners, "")
	keys := t.TempDir()
	key, pub := gitcheck.SSHKey(t, keys, "ops", "ed25519", "")
	allowed := gitcheck.AllowedSigners(t, keys, "alice@contoso.example "+pub)
	t.Setenv(envSigningKey, key) // the first export is signed too
	var deny atomic.Bool
	e := newRstEnvWith(t, graphsim.Options{Seed: 1}, func(h http.Handler) http.Handler {
		return simtest.Deny(h, func(r *http.Request) bool {
			return deny.Load() && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/members/$ref")
		})
	})
	g, members := rstGroupWithMembers(e, 2)
	gid := rstStr(g["id"])
	for _, m := range members {
		e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+m+"/$ref", nil)
	}
	head := e.git("rev-parse", "HEAD")
	deny.Store(true)
	out, errOut := e.cli(exitError, "restore", "--repo", e.repo, "--at", e.first, gid, "--yes", "--signing-key", key)
	tags := strings.Fields(e.git("tag", "--list", "entrasnap/apply/*"))
	if len(tags) != 1 || !strings.Contains(out, "recorded by tag "+tags[0]) {
		t.Fatalf("apply tags %v; output:\n%s\n%s", tags, out, errOut)
	}
	tag := tags[0]
	if e.git("rev-parse", "HEAD") != head || e.git("rev-parse", tag+"^{commit}") != head {
		t.Errorf("HEAD moved, or the tag is not on it")
	}
	if out, ok := gitcheck.Verify(t, e.repo, allowed, "verify-tag", tag); !ok {
		t.Fatalf("git verify-tag %s:\n%s", tag, out)
	}
	gitcheck.Fsck(t, e.repo)
	msg := e.git("tag", "-l", "--format=%(contents)", tag)
	for _, want := range append([]string{"Actions: 0 done, 0 already in place, 2 failed, 0 skipped.", "Not done (object by object):"}, members...) {
		if !strings.Contains(msg, want) {
			t.Errorf("the record lacks %q:\n%s", want, msg)
		}
	}

	code, out, _ := runCLI(t, "snapshots", "--repo", e.repo)
	if code != exitOK || !strings.Contains(out, "Applies that changed nothing") || !strings.Contains(out, tag) || !strings.Contains(out, "2 failed") {
		t.Errorf("snapshots:\n%s", out)
	}
	code, out, _ = runCLI(t, "log", "--repo", e.repo, gid)
	if code != exitOK || !strings.Contains(out, tag) || !strings.Contains(out, "Authorization_RequestDenied") {
		t.Errorf("log %s:\n%s", gid, out)
	}
	code, out, errOut = runCLI(t, "check", "--repo", e.repo, "--verify-signatures", "--allowed-signers", allowed)
	if code != exitOK || !strings.Contains(out, "1 apply record") {
		t.Errorf("check: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "evidence", "--repo", e.repo)
	if code != exitOK && code != exitPartial || !strings.Contains(out, "Restore applies that changed nothing") || !strings.Contains(out, tag) {
		t.Errorf("evidence: exit %d\n%s\n%s", code, out, errOut)
	}

	deny.Store(false)
	e.cli(exitOK, "restore", "--repo", e.repo, "--at", e.first, gid, "--yes")
	e.againEmpty(gid)
}
