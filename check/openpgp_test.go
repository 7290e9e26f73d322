package check

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/snapshot"
)

// gpgHome is a throwaway GnuPG home (a short path: gpg-agent's socket
// lives in it) whose agent is stopped when the test ends.
func gpgHome(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg is not installed (GnuPG: apt-get install gnupg): OpenPGP signatures are verified with it, as git does")
	}
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	return home
}

func gpgRun(t *testing.T, home string, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("gpg", append([]string{"--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("gpg %v: %v\n%s", args, err, errOut.String())
	}
	return out.Bytes()
}

// gpgKey generates a key for uid in home and returns its fingerprint.
func gpgKey(t *testing.T, home, uid string) string {
	t.Helper()
	gpgRun(t, home, nil, "--quick-gen-key", uid, "ed25519", "sign", "never")
	for _, line := range strings.Split(string(gpgRun(t, home, nil, "--with-colons", "--list-secret-keys", uid)), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" {
			return f[9]
		}
	}
	t.Fatalf("no fingerprint for %s", uid)
	return ""
}

// Snapshots signed with keys made by gpg verify with gpg against a keyring
// file, with the verdicts SSH signatures get: good (a key of the keyring
// whose user id is the committer's), unknown-key (not in the keyring),
// not-allowed (in the keyring, for another email), bad (changed after
// signing), unsigned; commits and tags git itself signed with gpg too.
func TestOpenPGPSignatures(t *testing.T) {
	home := gpgHome(t)
	backup := gpgKey(t, home, "Backup <backup@example.com>")
	stranger := gpgKey(t, home, "Backup Twin <backup@example.com>")
	mallory := gpgKey(t, home, "Mallory <mallory@example.com>")
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	signer := func(fpr string) snapshot.Signer {
		s, err := snapshot.LoadSigner(write(fpr+".asc", gpgRun(t, home, nil, "--armor", "--export-secret-keys", fpr)), nil, "")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	keyring := write("trusted.asc", gpgRun(t, home, nil, "--armor", "--export", backup, mallory))

	s := newSigRepo(t)
	good := s.snap(signer(backup))
	unknown := s.snap(signer(stranger))
	other := s.snap(signer(mallory))
	unsigned := s.snap(nil)
	last := s.snap(signer(backup))
	_ = last

	k, err := LoadOpenPGP(context.Background(), keyring, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	check := func() map[string]SigResult {
		t.Helper()
		rep, err := Repo(context.Background(), s.r, Options{OpenPGP: k})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]SigResult{}
		for _, r := range rep.Signatures.Results {
			out[r.Object] = r
		}
		return out
	}
	res := check()
	for _, c := range []struct {
		what string
		obj  string
		want snapshot.SigStatus
	}{
		{"commit by the trusted key", good.Commit.String(), snapshot.SigGood},
		{"tag by the trusted key", good.TagHash.String(), snapshot.SigGood},
		{"commit by a key not in the keyring", unknown.Commit.String(), snapshot.SigUnknown},
		{"commit by a trusted key of another email", other.Commit.String(), snapshot.SigNotAllowed},
		{"unsigned commit", unsigned.Commit.String(), snapshot.SigUnsigned},
	} {
		if got := res[c.obj]; got.Status != c.want {
			t.Errorf("%s: %s (%s), want %s", c.what, got.Status, got.Detail, c.want)
		}
	}
	if r := res[good.Commit.String()]; r.Principal != "Backup <backup@example.com>" || !strings.EqualFold(r.Key, backup) {
		t.Errorf("good commit: principal %q key %q, want the key %s", r.Principal, r.Key, backup)
	}
	if r := res[other.Commit.String()]; !strings.Contains(r.Detail, "mallory@example.com") || !strings.Contains(r.Detail, "backup@example.com") {
		t.Errorf("not-allowed detail: %q", r.Detail)
	}

	// A commit changed after signing (its signature kept) is bad.
	git := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", s.r.Path(), "-c", "gpg.program=gpg", "-c", "user.signingkey=" + backup,
			"-c", "user.name=Backup", "-c", "user.email=backup@example.com"}, args...)...)
		cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	raw := git("", "cat-file", "commit", last.Commit.String())
	if !strings.Contains(raw, "-----BEGIN PGP SIGNATURE-----") {
		t.Fatalf("the snapshot's commit has no OpenPGP signature:\n%s", raw)
	}
	tampered := git(strings.Replace(raw, "entrasnap snapshot", "entrasnap snapshot (edited)", 1)+"\n", "hash-object", "-t", "commit", "-w", "--stdin")
	git("", "update-ref", "refs/heads/main", tampered)
	git("", "symbolic-ref", "HEAD", "refs/heads/main")
	if got := check()[tampered]; got.Status != snapshot.SigBad {
		t.Errorf("tampered commit: %s (%s), want bad", got.Status, got.Detail)
	}
	// What git itself signs with gpg verifies, and git agrees.
	git("", "reset", "-q", "--hard", last.Commit.String())
	git("", "commit", "-q", "--allow-empty", "-S", "-m", "signed by git with gpg")
	git("", "tag", "-s", "-m", "signed tag", "snapshot/20260401T100000Z")
	git("", "verify-commit", "HEAD")
	head := git("", "rev-parse", "HEAD")
	tagObj := git("", "rev-parse", "refs/tags/snapshot/20260401T100000Z")
	res = check()
	if res[head].Status != snapshot.SigGood || res[tagObj].Status != snapshot.SigGood {
		t.Errorf("git's own signatures: commit %s (%s), tag %s (%s)", res[head].Status, res[head].Detail, res[tagObj].Status, res[tagObj].Detail)
	}

	// A keyring with no key, or not a keyring, is refused at once.
	if _, err := LoadOpenPGP(context.Background(), write("empty.asc", []byte("not a key\n")), ""); err == nil {
		t.Error("a keyring file without keys was accepted")
	}
}
