package check

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/snapshot"
)

// OpenPGP keys' states, with the verdicts git gives (git verify-commit
// accepts only gpg's GOODSIG): a key that expired after it signed, a key
// that had expired when it signed (gpg reports both as EXPKEYSIG, and git
// refuses both), and a revoked key (REVKEYSIG) are not-allowed, each with
// a detail saying which and when; a valid key of the same keyring is
// good. The signatures are made by real git with gpg at fixed times
// (gpg --faked-system-time), and real git verify-commit against the same
// keyring agrees with every verdict.
func TestOpenPGPKeyStates(t *testing.T) {
	home := gpgHome(t)
	at := func(when string, args ...string) []byte {
		return gpgRun(t, home, nil, append([]string{"--faked-system-time", when}, args...)...)
	}
	fpr := func(uid string) string {
		for _, line := range strings.Split(string(gpgRun(t, home, nil, "--with-colons", "--list-keys", uid)), "\n") {
			if f := strings.Split(line, ":"); f[0] == "fpr" {
				return f[9]
			}
		}
		t.Fatalf("no key %s", uid)
		return ""
	}
	// Each key has the committer's email in a user id of its own
	// (comment), so the test can name it.
	at("20200101T000000", "--quick-gen-key", "Backup (expires 2020-12-31) <backup@example.com>", "ed25519", "sign", "1y")
	expiring := fpr("expires 2020-12-31")
	at("20200101T000000", "--quick-gen-key", "Backup (expiry set later) <backup@example.com>", "ed25519", "sign", "never")
	late := fpr("expiry set later")
	at("20200101T000000", "--quick-gen-key", "Backup (revoked) <backup@example.com>", "ed25519", "sign", "never")
	revoked := fpr("(revoked)")
	at("20200101T000000", "--quick-gen-key", "Backup (valid) <backup@example.com>", "ed25519", "sign", "never")
	valid := fpr("(valid)")

	// Commits signed by git with gpg at a given time (gpg's clock and the
	// committer's).
	s := newSigRepo(t)
	s.snap(nil)
	wrapper := filepath.Join(t.TempDir(), "gpg-at")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec gpg --faked-system-time \"$GPG_AT\" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	git := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", s.r.Path(), "-c", "gpg.program=" + wrapper, "-c", "user.name=Backup", "-c", "user.email=backup@example.com"}, args...)...)
		cmd.Env = append(os.Environ(), append([]string{"GNUPGHOME=" + home, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"}, env...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	sign := func(key, gpgTime, gitTime, msg string) string {
		env := []string{"GPG_AT=" + gpgTime, "GIT_COMMITTER_DATE=" + gitTime, "GIT_AUTHOR_DATE=" + gitTime}
		git(env, "-c", "user.signingkey="+key, "commit", "-q", "--allow-empty", "-S", "-m", msg)
		return git(nil, "rev-parse", "HEAD")
	}
	expiredAfter := sign(expiring, "20200601T000000", "2020-06-01T00:00:00Z", "signed while the key was valid")
	signedLate := sign(late, "20220601T000000", "2022-06-01T00:00:00Z", "signed after the key's expiry")
	byRevoked := sign(revoked, "20200601T000000", "2020-06-01T00:00:00Z", "signed by a key revoked since")
	good := sign(valid, "20200601T000000", "2020-06-01T00:00:00Z", "signed by a valid key")
	// The key made in 2020 without an expiry gets one before its signature
	// of 2022; the revoked key's revocation certificate is imported.
	at("20200601T000000", "--quick-set-expire", late, "2021-01-01")
	rev, err := os.ReadFile(filepath.Join(home, "openpgp-revocs.d", revoked+".rev"))
	if err != nil {
		t.Fatal(err)
	}
	gpgRun(t, home, []byte(strings.Replace(string(rev), ":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----", 1)), "--import")

	keyring := filepath.Join(t.TempDir(), "trusted.asc")
	if err := os.WriteFile(keyring, gpgRun(t, home, nil, "--armor", "--export", expiring, late, revoked, valid), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := LoadOpenPGP(context.Background(), keyring, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	rep, err := Repo(context.Background(), s.r, Options{OpenPGP: k})
	if err != nil {
		t.Fatal(err)
	}
	res := map[string]SigResult{}
	for _, r := range rep.Signatures.Results {
		res[r.Object] = r
	}

	// git verify-commit against the same keyring, in a home of its own.
	verifier := gpgHome(t)
	gpgRun(t, verifier, nil, "--import", keyring)
	gitAccepts := func(commit string) bool {
		cmd := exec.Command("git", "-C", s.r.Path(), "verify-commit", commit)
		cmd.Env = append(os.Environ(), "GNUPGHOME="+verifier, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		return cmd.Run() == nil
	}
	for _, c := range []struct {
		what, commit string
		want         snapshot.SigStatus
		in           []string
	}{
		{"a key expired after signing", expiredAfter, snapshot.SigNotAllowed, []string{"made 2020-06-01", "expired 2020-12-31", "after it signed", "--quick-set-expire"}},
		{"a key expired before signing", signedLate, snapshot.SigNotAllowed, []string{"made 2022-06-01", "had expired 2021-01-01", "when it signed"}},
		{"a revoked key", byRevoked, snapshot.SigNotAllowed, []string{"revoked"}},
		{"a valid key", good, snapshot.SigGood, nil},
	} {
		r := res[c.commit]
		if r.Status != c.want {
			t.Errorf("%s: %s (%s), want %s", c.what, r.Status, r.Detail, c.want)
		}
		for _, in := range c.in {
			if !strings.Contains(r.Detail, in) {
				t.Errorf("%s: detail %q lacks %q", c.what, r.Detail, in)
			}
		}
		if got := gitAccepts(c.commit); got != (c.want == snapshot.SigGood) {
			t.Errorf("%s: git verify-commit accepts it: %v; entrasnap says %s", c.what, got, r.Status)
		}
	}
}
