package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// Export, restore and apply sign with --signing-key (or
// ENTRASNAP_SIGNING_KEY, an encrypted key's passphrase from
// ENTRASNAP_SIGNING_KEY_PASSPHRASE); check --verify-signatures verifies the
// series, reports the unsigned first snapshot with exit 4 until
// --signed-since exempts it; snapshots marks the signed ones; git agrees.
func TestSignedSnapshotsEndToEnd(t *testing.T) {
	t.Setenv("GIT_COMMITTER_NAME", "Backup")
	t.Setenv("GIT_COMMITTER_EMAIL", "backup@example.com")
	t.Setenv(envSigningKey, "")
	t.Setenv(envSigningPassphrase, "")
	t.Setenv(envAllowedSigners, "")
	e := newRstEnv(t, nil) // a first snapshot, unsigned
	keys := t.TempDir()
	key1, pub1 := gitcheck.SSHKey(t, keys, "ci", "ed25519", "")
	const pass = "s3cret passphrase"
	key2, pub2 := gitcheck.SSHKey(t, keys, "admin", "ecdsa", pass)
	allowed := gitcheck.AllowedSigners(t, keys, `backup@example.com namespaces="git" `+pub1, "backup@example.com "+pub2)

	// A signed export of a change.
	g, members := rstGroupWithMembers(e, 2)
	gid := rstStr(g["id"])
	e.do("PATCH", "/v1.0/groups/"+gid, map[string]any{"description": "signed"})
	e.cli(exitOK, "export", "--repo", e.repo, "--signing-key", key1)
	second := strings.TrimSpace(e.git("describe", "--tags", "--exact-match", "HEAD"))

	// A restore whose post-restore snapshot is signed by the encrypted key
	// from the environment.
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[0]+"/$ref", nil)
	t.Setenv(envSigningKey, key2)
	_, errOut := e.cli(exitUsage, "restore", "--repo", e.repo, "--at", e.first, gid, "--yes")
	if !strings.Contains(errOut, key2) || !strings.Contains(errOut, envSigningPassphrase) {
		t.Fatalf("encrypted key without passphrase:\n%s", errOut)
	}
	t.Setenv(envSigningPassphrase, pass)
	out, errOut := e.cli(exitOK, "restore", "--repo", e.repo, "--at", e.first, gid, "--yes")
	if strings.Contains(out+errOut, pass) {
		t.Fatal("the passphrase was printed")
	}
	t.Setenv(envSigningKey, "")
	t.Setenv(envSigningPassphrase, "")

	// apply --signing-key signs too.
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[1]+"/$ref", nil)
	plan := filepath.Join(t.TempDir(), "plan.json")
	e.cli(exitChanges, "restore", "--repo", e.repo, "--at", e.first, gid, "--out", plan)
	e.cli(exitOK, "apply", plan, "--signing-key", key1)

	// The second restore found the tenant as the first left it: its
	// post-restore snapshot is a signed tag on the first restore's commit.
	for _, rev := range []string{"HEAD", "HEAD~1"} {
		if out, ok := gitcheck.Verify(t, e.repo, allowed, "verify-commit", rev); !ok {
			t.Fatalf("git verify-commit %s:\n%s", rev, out)
		}
	}
	tags := strings.Fields(e.git("tag", "--list", "snapshot/*"))
	if len(tags) != 4 {
		t.Fatalf("tags %v, want 4", tags)
	}
	for _, tag := range tags[1:] {
		if out, ok := gitcheck.Verify(t, e.repo, allowed, "verify-tag", tag); !ok {
			t.Fatalf("git verify-tag %s:\n%s", tag, out)
		}
	}
	if out, ok := gitcheck.Verify(t, e.repo, allowed, "verify-commit", e.first); ok {
		t.Fatalf("git verified the unsigned first snapshot:\n%s", out)
	}

	// The unsigned first snapshot fails the check, commit and tag.
	code, out, errOut := runCLI(t, "check", "--repo", e.repo, "--verify-signatures", "--allowed-signers", allowed)
	if code != exitUntrusted || !strings.Contains(out, e.first+": unsigned: not signed") || !strings.Contains(out, "2 not trusted") ||
		!strings.Contains(errOut, "2 of 7 commits and snapshot tags") {
		t.Fatalf("check of a series with an unsigned start: code %d\n%s\n%s", code, out, errOut)
	}
	// --signed-since exempts it; everything else is good.
	code, out, errOut = runCLI(t, "check", "--repo", e.repo, "--verify-signatures", "--allowed-signers", allowed, "--signed-since", second, "--json")
	var rep check.Report
	if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil || rep.Signatures == nil || rep.Signatures.Good != 5 || rep.Signatures.Before != 2 || rep.Signatures.Failed != 0 {
		t.Fatalf("check --signed-since %s: code %d\n%s\n%s", second, code, out, errOut)
	}
	for _, r := range rep.Signatures.Results {
		if r.Principal != "backup@example.com" || !strings.HasPrefix(r.Key, "SHA256:") {
			t.Fatalf("result %+v", r)
		}
	}

	// snapshots marks which are signed.
	code, out, _ = runCLI(t, "snapshots", "--repo", e.repo)
	if code != exitOK || !strings.Contains(out, "SIGNED") {
		t.Fatalf("snapshots: %d\n%s", code, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(line)
		signed := f[6] // TAG COMMIT DATE TIME OBJECTS COMPLETE SIGNED
		if want := map[bool]string{true: "no", false: "yes"}[f[0] == e.first]; signed != want {
			t.Errorf("snapshot %s: SIGNED %s, want %s\n%s", f[0], signed, want, out)
		}
	}
}

// Bad --signing-key and check flag combinations are refused before
// anything is read or written, naming the flag and what to do.
func TestSigningFlagsRefused(t *testing.T) {
	t.Setenv(envSigningKey, "")
	t.Setenv(envAllowedSigners, "")
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	conn := []string{"--graph-url", u, "--access-token", sim.Token()}
	missing := filepath.Join(t.TempDir(), "no-key")
	code, _, errOut := runCLI(t, append([]string{"export", "--repo", repo, "--signing-key", missing}, conn...)...)
	if code != exitUsage || !strings.Contains(errOut, "--signing-key") || !strings.Contains(errOut, missing) {
		t.Fatalf("missing key: %d %s", code, errOut)
	}
	if sim.Stats().Requests != 0 {
		t.Fatalf("%d Graph requests before the key was loaded", sim.Stats().Requests)
	}
	code, _, _ = runCLI(t, append([]string{"export", "--repo", repo}, conn...)...)
	if code != exitOK {
		t.Fatal("export")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--verify-signatures"}, "needs --allowed-signers"},
		{[]string{"--allowed-signers", missing}, "go with --verify-signatures"},
		{[]string{"--verify-signatures", "--allowed-signers", missing}, missing},
		{[]string{"--verify-signatures", "--allowed-signers", writeFile(t, "as", "me@x ssh-ed25519 !!\n")}, "line 1"},
	} {
		code, _, errOut := runCLI(t, append([]string{"check", "--repo", repo}, c.args...)...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("check %v: %d %s", c.args, code, errOut)
		}
	}
}

// Tampering, through the CLI: a snapshot signed with a key the allowed
// signers do not list, and a commit rewritten with a changed file but the
// same message and signature, each fail check --verify-signatures (exit 4)
// and are named.
func TestCheckVerifySignaturesTampering(t *testing.T) {
	t.Setenv(envSigningKey, "")
	t.Setenv(envSigningPassphrase, "")
	t.Setenv(envAllowedSigners, "")
	t.Setenv("GIT_COMMITTER_EMAIL", "backup@example.com")
	sim, u, c := simTenant(t, graphsim.Options{}, nil)
	repo := filepath.Join(t.TempDir(), "backup")
	conn := []string{"--graph-url", u, "--access-token", sim.Token()}
	keys := t.TempDir()
	good, pub := gitcheck.SSHKey(t, keys, "good", "ed25519", "")
	wrong, _ := gitcheck.SSHKey(t, keys, "wrong", "ed25519", "")
	allowed := gitcheck.AllowedSigners(t, keys, "backup@example.com "+pub)
	verify := func() (int, string, string) {
		return runCLI(t, "check", "--repo", repo, "--verify-signatures", "--allowed-signers", allowed)
	}
	if code, out, errOut := runCLI(t, append([]string{"export", "--repo", repo, "--signing-key", good}, conn...)...); code != exitOK {
		t.Fatalf("export: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := verify(); code != exitOK || !strings.Contains(out, "2 good") {
		t.Fatalf("a signed snapshot: %d\n%s\n%s", code, out, errOut)
	}

	// The file a snapshot holds is changed and the commit rewritten with
	// the same message and signature; the branch moved to it.
	orig := gitCLI(t, repo, "rev-parse", "HEAD")
	p := firstFile(t, repo, "groups", "displayName:")
	editFile(t, repo, p, func(s string) string {
		return strings.Replace(s, "displayName:", "description: \"forged\"\ndisplayName:", 1)
	})
	gitCLI(t, repo, "add", p)
	tree := gitCLI(t, repo, "write-tree")
	raw := gitcheck.Run(t, repo, "cat-file", "commit", "HEAD")
	forged := "tree " + tree + "\n" + strings.SplitN(raw, "\n", 2)[1]
	h := gitCLI(t, repo, "hash-object", "-t", "commit", "-w", writeFile(t, "forged", forged))
	gitCLI(t, repo, "update-ref", "refs/heads/main", h)
	code, out, errOut := verify()
	if code != exitUntrusted || !strings.Contains(out, "commit "+h[:12]+" HEAD: bad: the signature does not match the content") {
		t.Fatalf("a rewritten commit: %d\n%s\n%s", code, out, errOut)
	}
	gitCLI(t, repo, "reset", "-q", "--hard", orig)
	if code, out, errOut := verify(); code != exitOK {
		t.Fatalf("back at the signed snapshot: %d\n%s\n%s", code, out, errOut)
	}

	// A snapshot signed with another key.
	u0 := sim.Tenant().List("user")[0]
	if _, err := c.Patch(context.Background(), "/v1.0/users/"+u0["id"].(string), map[string]any{"jobTitle": "Signed by another key"}); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, append([]string{"export", "--repo", repo, "--signing-key", wrong}, conn...)...); code != exitOK {
		t.Fatalf("export: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = verify()
	if code != exitUntrusted || strings.Count(out, "unknown-key: signed by a key the allowed signers do not list") != 2 {
		t.Fatalf("a snapshot signed with another key: %d\n%s\n%s", code, out, errOut)
	}
}
