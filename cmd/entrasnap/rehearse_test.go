package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/internal/rehearse"
)

// A tenant loaded from a snapshot exports back to the same files: the
// rehearsal tenant is the snapshot's tenant.
func TestGraphsimFromRepoRoundTrip(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	if code, _, errOut := runCLI(t, "export", "--repo", repo, "--graph-url", u, "--access-token", sim.Token()); code != exitOK {
		t.Fatalf("export: %d %s", code, errOut)
	}
	r, err := openRepo(repo)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// The rehearsal tenant at the snapshot's time (the test tenant's frozen
	// clock): on the wall clock a schedule that has ended since (the demo's
	// PIM for Groups membership of 14 days) is, as in Graph, gone.
	rehearsal, n, err := rehearse.Load(context.Background(), r, "HEAD", graphsim.Options{Seed: 9, Now: sim.Clock().Now()})
	if err != nil {
		t.Fatal(err)
	}
	if n < 300 || rehearsal.TenantID() != sim.TenantID() {
		t.Fatalf("loaded %d objects, tenant %s (want %s)", n, rehearsal.TenantID(), sim.TenantID())
	}
	srv := serveSim(t, rehearsal, rehearsal)
	repo2 := filepath.Join(t.TempDir(), "again")
	if code, _, errOut := runCLI(t, "export", "--repo", repo2, "--graph-url", srv.URL, "--access-token", rehearsal.Token()); code != exitOK {
		t.Fatalf("export of the rehearsal tenant: %d %s", code, errOut)
	}
	// The delta state (.entrasnap/state.yaml) holds Graph's tokens and the
	// time of the read: not tenant state.
	noState := func(tree string) string {
		var keep []string
		for _, l := range strings.Split(tree, "\n") {
			if !strings.HasSuffix(l, "\t.entrasnap/state.yaml") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	a := noState(exportTestGit(t, repo, "ls-tree", "-r", "HEAD"))
	b := noState(exportTestGit(t, repo2, "ls-tree", "-r", "HEAD"))
	if a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := range al {
			if i >= len(bl) || al[i] != bl[i] {
				f := strings.SplitN(al[i], "\t", 2)[1]
				t.Fatalf("trees differ from line %d:\n%s\n%s\n%s", i, al[i], bl[min(i, len(bl)-1)], exportTestGit(t, repo2, "diff", "--no-index", filepath.Join(repo, f), filepath.Join(repo2, f)))
			}
		}
		t.Fatalf("trees differ in length: %d vs %d", len(al), len(bl))
	}
	// A restore rehearsed on it: break a CA policy, restore it from the snapshot.
	p := rehearsal.Tenant().List("conditionalAccessPolicy")[0]
	histDo(t, &histFixture{sim: rehearsal, url: srv.URL}, "PATCH", "/v1.0/identity/conditionalAccess/policies/"+p["id"].(string), map[string]any{"displayName": "tampered"})
	// (--rehearsal: the repository is left as it is.)
	head := exportTestGit(t, repo2, "rev-parse", "HEAD")
	code, out, errOut := runCLI(t, "restore", "--rehearsal", "--repo", repo2, "--at", "HEAD", "--graph-url", srv.URL, "--access-token", rehearsal.Token(), "--yes", p["id"].(string))
	if code != exitOK || !strings.Contains(out, "tampered") {
		t.Fatalf("rehearsed restore: %d\n%s\n%s", code, out, errOut)
	}
	if now := exportTestGit(t, repo2, "rev-parse", "HEAD"); now != head {
		t.Errorf("the rehearsed restore committed to the repository (HEAD %s, was %s)", now, head)
	}
	if code, _, errOut := runCLI(t, "graphsim", "--from-repo", repo, "--profile", "demo"); code != exitUsage {
		t.Errorf("--from-repo with --profile: %d %s", code, errOut)
	}
}

// rehearse runs the scenarios on the newest snapshot, prints the table,
// commits the record (signed with --signing-key), and the other commands
// take the record's commit in their stride; a failure exits 1.
func TestRehearseCommand(t *testing.T) {
	t.Setenv(envSigningKey, "")
	t.Setenv("GIT_COMMITTER_NAME", "Backup")
	t.Setenv("GIT_COMMITTER_EMAIL", "backup@example.com")
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	if code, _, errOut := runCLI(t, "export", "--repo", repo, "--graph-url", u, "--access-token", sim.Token()); code != exitOK {
		t.Fatalf("export: %d %s", code, errOut)
	}
	tag := strings.TrimSpace(exportTestGit(t, repo, "describe", "--tags", "--exact-match", "HEAD"))
	snapshotCommit := strings.TrimSpace(exportTestGit(t, repo, "rev-parse", "HEAD"))
	at := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	rehearseAt := func(args ...string) (int, string, string) {
		return runWith(t, factory{now: func() time.Time { return at }}, "", false, append([]string{"rehearse", "--repo", repo}, args...)...)
	}
	key, pub := gitcheck.SSHKey(t, t.TempDir(), "ci", "ed25519", "")
	code, out, errOut := rehearseAt("--throttle", "off", "--scenarios", "app-redirect-uris-changed,ca-policy-deleted", "--signing-key", key)
	if code != exitOK {
		t.Fatalf("rehearse: %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"SCENARIO  ", "RESTORE TIME", "ca-policy-deleted  ", "app-redirect-uris-changed  ", "pass", "2 passed, 0 failed, 0 skipped (" + tag + ", throttling off"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "ca-policy-deleted") > strings.Index(out, "app-redirect-uris-changed") {
		t.Errorf("scenarios out of order:\n%s", out)
	}
	record := ".entrasnap/rehearsals/20261206T030000Z.yaml"
	for _, want := range []string{"rehearse: loading " + tag, "rehearse: ca-policy-deleted: pass, 1 object restored in", "Recorded " + record + " in commit "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if s := exportTestGit(t, repo, "log", "-1", "--format=%s"); s != "rehearsal: 2 of 2 passed at "+tag+"\n" {
		t.Errorf("subject %q", s)
	}
	data := exportTestGit(t, repo, "show", "HEAD:"+record)
	if !strings.Contains(data, "commit: \""+snapshotCommit+"\"") || !strings.Contains(data, "snapshot: \""+tag+"\"") || !strings.Contains(data, "passed: 2\n") {
		t.Errorf("record:\n%s", data)
	}
	allowed := gitcheck.AllowedSigners(t, t.TempDir(), "backup@example.com "+pub)
	exportTestGit(t, repo, "-c", "gpg.ssh.allowedSignersFile="+allowed, "verify-commit", "HEAD")
	if fsck := exportTestGit(t, repo, "fsck", "--strict"); strings.Contains(strings.ToLower(fsck), "error") {
		t.Errorf("fsck: %s", fsck)
	}
	if s := exportTestGit(t, repo, "status", "--porcelain"); s != "" {
		t.Errorf("working tree after the record: %q", s)
	}

	// check, snapshots, log, diff and show with the record's commit at HEAD.
	if code, out, errOut := runCLI(t, "check", "--repo", repo, "--all"); code != exitOK {
		t.Errorf("check: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "snapshots", "--repo", repo); code != exitOK || strings.Count(out, "snapshot/") != 1 || !strings.Contains(out, tag) {
		t.Errorf("snapshots: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "diff", "--repo", repo, tag, "HEAD"); code != exitOK || !strings.Contains(out, "no changes") {
		t.Errorf("diff: %d\n%s\n%s", code, out, errOut)
	}
	p := sim.Tenant().List("conditionalAccessPolicy")[0]
	if code, out, errOut := runCLI(t, "log", "--repo", repo, p["id"].(string)); code != exitOK || !strings.Contains(out, tag) {
		t.Errorf("log: %d\n%s\n%s", code, out, errOut)
	}

	// The next export keeps the record; a second rehearsal adds its own.
	sim.Clock().Advance(time.Hour)
	histDo(t, &histFixture{sim: sim, url: u}, "PATCH", "/v1.0/identity/conditionalAccess/policies/"+p["id"].(string), map[string]any{"displayName": "renamed"})
	if code, _, errOut := runCLI(t, "export", "--repo", repo, "--graph-url", u, "--access-token", sim.Token()); code != exitOK {
		t.Fatalf("export after the rehearsal: %d %s", code, errOut)
	}
	if s := exportTestGit(t, repo, "log", "-1", "--format=%s%n%D"); !strings.Contains(s, "tag: snapshot/") || strings.Contains(s, "rehearsal:") {
		t.Errorf("the export made no new snapshot: %s", s)
	}
	exportTestGit(t, repo, "cat-file", "-e", "HEAD:"+record)

	// A failed scenario exits 1, with the table; --no-record commits nothing.
	head := exportTestGit(t, repo, "rev-parse", "HEAD")
	code, out, errOut = rehearseAt("--throttle", "off", "--licence", "free", "--scenarios", "ca-policy-deleted", "--no-record")
	if code != exitError || !strings.Contains(out, "fail") || !strings.Contains(out, "403") || !strings.Contains(errOut, "1 of 1 scenarios failed") {
		t.Errorf("failing rehearsal: %d\n%s\n%s", code, out, errOut)
	}
	if now := exportTestGit(t, repo, "rev-parse", "HEAD"); now != head {
		t.Errorf("--no-record committed %s", now)
	}

	for _, args := range [][]string{{"--scenarios", "ca-policy-deleted,drop-tables"}, {"--throttle", "sometimes"}, {"--licence", "e5"}, {"extra"}, {"--no-record", "--signing-key", key}} {
		if code, _, errOut := rehearseAt(args...); code != exitUsage {
			t.Errorf("rehearse %v: %d %s", args, code, errOut)
		}
	}
	if code, _, errOut := runCLI(t, "rehearse"); code != exitUsage || !strings.Contains(errOut, "--repo") {
		t.Errorf("no --repo: %d %s", code, errOut)
	}
}
