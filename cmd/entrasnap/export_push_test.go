package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
)

// pushTestPolicy flips the state of the first Conditional Access policy in
// the emulated tenant and returns its display name.
func pushTestPolicy(t *testing.T, sim *graphsim.Server, u string) string {
	t.Helper()
	c, err := graph.New(graph.Config{BaseURL: u, AccessToken: sim.Token()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	raw, err := c.Get(ctx, "/v1.0/identity/conditionalAccess/policies")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Value []struct{ ID, DisplayName, State string }
	}
	if err := json.Unmarshal(raw, &page); err != nil || len(page.Value) == 0 {
		t.Fatalf("policies: %v %s", err, raw)
	}
	p := page.Value[0]
	state := "disabled"
	if p.State == "disabled" {
		state = "enabled"
	}
	if _, err := c.Patch(ctx, "/v1.0/identity/conditionalAccess/policies/"+p.ID, map[string]any{"state": state}); err != nil {
		t.Fatal(err)
	}
	return p.DisplayName
}

func pushTestRefs(t *testing.T, remote string) map[string]string {
	t.Helper()
	refs := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(exportTestGit(t, remote, "ls-remote", remote)), "\n") {
		if h, n, ok := strings.Cut(l, "\t"); ok {
			refs[n] = h
		}
	}
	return refs
}

func pushTestRead(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("--pr-body file: %v", err)
	}
	return string(b)
}

// TestExportPushAndPRBody follows the daily CI flow with the CLI alone: a
// first snapshot pushed to main, a changed tenant on a review branch pushed
// with a markdown body naming the change, and an unchanged tenant that
// leaves no branch and an empty body.
// afterFirst returns args, the flags of an export after the first: under
// -short (CI's race run, where an export of the demo tenant's 66 kinds
// costs 2 to 4 CPU-seconds) with --kinds of the one kind the test changes
// (pushTestPolicy's; the others are carried forward unchanged), since
// what is pushed, the branch and the body depend on what changed, not on
// which kinds were read; without -short every kind is read.
func afterFirst(args ...string) []string {
	if testing.Short() {
		return append(args, "--kinds", "conditional-access-policies")
	}
	return args
}

func TestExportPushAndPRBody(t *testing.T) {
	sim, u := exportTestSim(t)
	dir := t.TempDir()
	remote := filepath.Join(dir, "remote.git")
	exportTestGit(t, dir, "init", "-q", "--bare", "--initial-branch=main", remote)
	work := filepath.Join(dir, "work")
	exportTestGit(t, dir, "clone", "-q", remote, work)
	body := filepath.Join(dir, "pr.md")
	const token = "ghs_pushtesttoken0123456789"
	t.Setenv("GITHUB_TOKEN", token)
	conn := []string{"--graph-url", u, "--access-token", sim.Token()}

	// 1. First snapshot: main and its tag pushed; the body sums it up.
	code, out, errOut := runCLI(t, append([]string{"export", "--repo", work, "--message", "first", "--push", "origin", "--pr-body", body}, conn...)...)
	if code != exitOK {
		t.Fatalf("first export: code %d\n%s\n%s", code, out, errOut)
	}
	head := strings.TrimSpace(exportTestGit(t, work, "rev-parse", "main"))
	refs := pushTestRefs(t, remote)
	if refs["refs/heads/main"] != head {
		t.Fatalf("remote main %q, local %s; refs %v", refs["refs/heads/main"], head, refs)
	}
	tags := 0
	for n := range refs {
		if strings.HasPrefix(n, "refs/tags/snapshot/") && !strings.HasSuffix(n, "^{}") {
			tags++
		}
	}
	if tags != 1 {
		t.Errorf("%d snapshot tags on the remote, want 1: %v", tags, refs)
	}
	if b := pushTestRead(t, body); !strings.Contains(b, "first snapshot") || !strings.Contains(b, "Conditional Access policies") {
		t.Errorf("first body:\n%s", b)
	}
	if !strings.Contains(errOut, "Pushed refs/heads/main and refs/tags/snapshot/") {
		t.Errorf("stderr does not say what was pushed:\n%s", errOut)
	}

	// 2. A change, exported to a new review branch: it forks from main.
	policy := pushTestPolicy(t, sim, u)
	branch := "entrasnap/snapshot-2026-03-23"
	code, out, errOut = runCLI(t, afterFirst(append([]string{"export", "--repo", work, "--branch", branch, "--message", "pre-change snapshot", "--push", "origin", "--pr-body", body}, conn...)...)...)
	if code != exitOK {
		t.Fatalf("second export: code %d\n%s\n%s", code, out, errOut)
	}
	refs = pushTestRefs(t, remote)
	tip := refs["refs/heads/"+branch]
	if tip == "" {
		t.Fatalf("the branch was not pushed: %v", refs)
	}
	if parent := strings.TrimSpace(exportTestGit(t, remote, "rev-parse", tip+"~1")); parent != head {
		t.Errorf("the review branch's snapshot has parent %s, want main %s", parent, head)
	}
	if refs["refs/heads/main"] != head {
		t.Errorf("main moved on the remote")
	}
	if msg := exportTestGit(t, remote, "log", "-1", "--format=%s", tip); !strings.Contains(msg, "pre-change snapshot") {
		t.Errorf("commit message %q", msg)
	}
	b := pushTestRead(t, body)
	for _, want := range []string{"### entrasnap diff: snapshot/", "**0 added, 0 removed, 1 changed**", policy, "`state: "} {
		if !strings.Contains(b, want) {
			t.Errorf("body lacks %q:\n%s", want, b)
		}
	}
	exportTestGit(t, remote, "fsck", "--strict")

	// 3. No change, continuing the review branch: no commit, an empty body.
	code, out, errOut = runCLI(t, afterFirst(append([]string{"export", "--repo", work, "--branch", branch, "--push", "origin", "--pr-body", body}, conn...)...)...)
	if code != exitOK {
		t.Fatalf("third export: code %d\n%s\n%s", code, out, errOut)
	}
	if b := pushTestRead(t, body); b != "" {
		t.Errorf("body of an unchanged export:\n%s", b)
	}
	if got := pushTestRefs(t, remote)["refs/heads/"+branch]; got != tip {
		t.Errorf("the branch moved on the remote: %s → %s", tip, got)
	}

	// 4. The review merged into main; no change on a new branch: the branch
	// is not kept nor pushed, the body is empty, only the day's tag is pushed.
	exportTestGit(t, work, "merge", "-q", "--ff-only", branch)
	exportTestGit(t, work, "push", "-q", "origin", "main")
	before := len(pushTestRefs(t, remote))
	code, out, errOut = runCLI(t, afterFirst(append([]string{"export", "--repo", work, "--branch", "entrasnap/snapshot-2026-03-24", "--push", "origin", "--pr-body", body}, conn...)...)...)
	if code != exitOK {
		t.Fatalf("fourth export: code %d\n%s\n%s", code, out, errOut)
	}
	if b := pushTestRead(t, body); b != "" {
		t.Errorf("body of an unchanged export:\n%s", b)
	}
	if br := exportTestGit(t, work, "branch", "--list", "entrasnap/snapshot-2026-03-24"); br != "" {
		t.Errorf("an unused branch was kept: %q", br)
	}
	refs = pushTestRefs(t, remote)
	if _, ok := refs["refs/heads/entrasnap/snapshot-2026-03-24"]; ok {
		t.Error("an unchanged branch was pushed")
	}
	if len(refs) != before+2 { // the new tag and its peeled ^{} line
		t.Errorf("remote refs went from %d to %d: %v", before, len(refs), refs)
	}
	for _, s := range []string{out, errOut} {
		if strings.Contains(s, token) || strings.Contains(s, sim.Token()) {
			t.Error("a token was printed")
		}
	}
}

func TestExportPushRefused(t *testing.T) {
	sim, u := exportTestSim(t)
	dir := t.TempDir()
	remote := filepath.Join(dir, "remote.git")
	exportTestGit(t, dir, "init", "-q", "--bare", "--initial-branch=main", remote)
	// The remote's main has a commit the export's repository lacks.
	other := filepath.Join(dir, "other")
	exportTestGit(t, dir, "clone", "-q", remote, other)
	os.WriteFile(filepath.Join(other, "README.md"), []byte("x\n"), 0o644)
	exportTestGit(t, other, "add", "README.md")
	exportTestGit(t, other, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "readme")
	exportTestGit(t, other, "push", "-q", "origin", "main")

	work := filepath.Join(dir, "work")
	exportTestGit(t, dir, "init", "-q", "--initial-branch=main", work)
	exportTestGit(t, work, "remote", "add", "origin", remote)
	t.Setenv("GIT_TOKEN", "tok-do-not-print-0123")
	code, out, errOut := runCLI(t, "export", "--repo", work, "--kinds", "conditional-access", "--push", "origin", "--json",
		"--graph-url", u, "--access-token", sim.Token())
	if code != exitError {
		t.Fatalf("code %d, want %d\n%s\n%s", code, exitError, out, errOut)
	}
	for _, want := range []string{"committed to", "non-fast-forward", "push again with `git -C"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !json.Valid([]byte(l)) {
			t.Errorf("--json: not a JSON line on stdout: %q", l)
		}
	}
	if strings.Contains(out+errOut, "tok-do-not-print-0123") {
		t.Error("the token was printed")
	}
	// The snapshot stays committed locally.
	if n := strings.Count(exportTestGit(t, work, "rev-list", "main"), "\n"); n != 1 {
		t.Errorf("%d local commits, want 1", n)
	}

	code, _, errOut = runCLI(t, "export", "--repo", work, "--push", "nosuchremote", "--graph-url", u, "--access-token", sim.Token())
	if code != exitError || !strings.Contains(errOut, `no remote "nosuchremote"`) {
		t.Errorf("unknown remote: code %d\n%s", code, errOut)
	}
}

func TestExportPRBodyEmptiedOnError(t *testing.T) {
	body := filepath.Join(t.TempDir(), "pr.md")
	os.WriteFile(body, []byte("stale body from yesterday"), 0o644)
	notRepo := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notRepo, []byte("x"), 0o644)
	code, _, _ := runCLI(t, "export", "--repo", notRepo, "--pr-body", body, "--graph-url", "http://127.0.0.1:1", "--access-token", "x")
	if code == exitOK {
		t.Fatal("an export against nothing succeeded")
	}
	if b := pushTestRead(t, body); b != "" {
		t.Errorf("a failed export left the body %q", b)
	}
}
