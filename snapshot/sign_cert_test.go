package snapshot

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// A snapshot signed with an SSH user certificate (key-cert.pub beside its
// private key, as git's user.signingKey allows) verifies against an
// allowed-signers "cert-authority" line for its CA, in Verify and in real
// git verify-commit/verify-tag; a certificate expired at the time of
// signing, one for another principal, one from a CA not listed, and a
// plain key line for the certified key are refused by both, each with its
// own verdict.
func TestCertificateSignatures(t *testing.T) {
	keys := t.TempDir()
	ca, caPub := gitcheck.SSHKey(t, keys, "ca", "ed25519", "")
	_, otherCAPub := gitcheck.SSHKey(t, keys, "otherca", "ed25519", "")
	snapKey, snapPub := gitcheck.SSHKey(t, keys, "snap", "ed25519", "")
	aliceKey, _ := gitcheck.SSHKey(t, keys, "alice", "ecdsa", "")
	snapCert := gitcheck.SSHCert(t, ca, snapKey, "snap-ci", "snap@example.com", "20260301000000Z:20260401000000Z")
	aliceCert := gitcheck.SSHCert(t, ca, aliceKey, "alice", "alice@example.com", "20260301000000Z:20260401000000Z")

	s := loadSigner(t, snapCert, nil)
	if !strings.HasPrefix(s.PublicKey(), ssh.CertAlgoED25519v01+" ") {
		t.Fatalf("PublicKey() = %q, want the certificate", s.PublicKey())
	}
	r := newTestRepo(t, false)
	f := func(v string) map[string][]byte { return map[string][]byte{"a": []byte(v + "\n")} }
	good := write(t, r, Snapshot{Files: f("1"), Author: day(0), Tag: "snapshot/good", Signer: s}).Commit.String()
	expired := write(t, r, Snapshot{Files: f("2"), Author: day(20), Tag: "snapshot/expired", Signer: s}).Commit.String()
	other := write(t, r, Snapshot{Files: f("3"), Author: day(1), Signer: loadSigner(t, aliceCert, nil)}).Commit.String()
	tag := strings.TrimSpace(runGit(t, r.Path(), "rev-parse", "refs/tags/snapshot/good"))

	caLine := `snap@example.com cert-authority,namespaces="git" ` + caPub
	cases := []struct {
		name, rev, line string
		want            SigStatus
		in              string
		gitVerb         string
	}{
		{"good commit", good, caLine, SigGood, `"snap-ci" (serial 7)`, "verify-commit"},
		{"good tag", tag, caLine, SigGood, "", "verify-tag"},
		{"wildcard CA line", good, `*@example.com cert-authority ` + caPub, SigGood, "", "verify-commit"},
		{"expired at signing", expired, caLine, SigNotAllowed, "expired at 2026-04-01T00:00:00Z; signed at 2026-04-09", "verify-commit"},
		{"other principal", other, caLine, SigNotAllowed, `is for "alice@example.com", not "snap@example.com"`, "verify-commit"},
		{"CA not listed", good, `snap@example.com cert-authority ` + otherCAPub, SigUnknown, "a CA the allowed signers do not list", "verify-commit"},
		{"CA listed as a plain key", good, `snap@example.com ` + caPub, SigUnknown, "", "verify-commit"},
		{"certified key listed plainly", good, `snap@example.com ` + snapPub, SigUnknown, "", "verify-commit"},
		{"CA line for another email", good, `alice@example.com cert-authority ` + caPub, SigNotAllowed, `allows it for "alice@example.com"`, "verify-commit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := verify(t, r, allowed(t, c.line), c.rev)
			if v.Status != c.want || !strings.Contains(v.Detail, c.in) {
				t.Fatalf("Verify = %+v, want %s with %q", v, c.want, c.in)
			}
			if c.want == SigGood && v.Key != ssh.FingerprintSHA256(mustPub(t, snapPub)) {
				t.Fatalf("Key = %s, want the certified key's fingerprint", v.Key)
			}
			as := gitcheck.AllowedSigners(t, t.TempDir(), c.line)
			out, ok := gitcheck.Verify(t, r.Path(), as, c.gitVerb, c.rev)
			if ok != (c.want == SigGood) {
				t.Fatalf("git %s: ok=%v, Verify says %s:\n%s", c.gitVerb, ok, v.Status, out)
			}
		})
	}
	fsck(t, r.Path())
}

func mustPub(t *testing.T, line string) ssh.PublicKey {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A certificate whose private key is not beside it signs through the SSH
// agent (git's defaultKeyCommand giving a certificate); a private key
// beside it that the certificate does not certify is refused by name.
func TestCertificateSignerSources(t *testing.T) {
	keys := t.TempDir()
	ca, caPub := gitcheck.SSHKey(t, keys, "ca", "ed25519", "")
	key, _ := gitcheck.SSHKey(t, keys, "snap", "rsa", "")
	cert := gitcheck.SSHCert(t, ca, key, "snap", "snap@example.com", "20260301000000Z:20260401000000Z")

	lone := filepath.Join(t.TempDir(), "agent-cert.pub")
	certData, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lone, certData, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigner(lone, nil, ""); err == nil || !strings.Contains(err.Error(), "SSH_AUTH_SOCK is not set") {
		t.Fatalf("certificate alone, no agent: err = %v", err)
	}
	s, err := LoadSigner(lone, nil, serveAgent(t, key))
	if err != nil {
		t.Fatal(err)
	}
	commitSignedAndVerify(t, s, `snap@example.com cert-authority `+caPub, "through the agent (rsa certificate)")

	// The certificate of another key beside this private key.
	other, _ := gitcheck.SSHKey(t, keys, "other", "ed25519", "")
	otherCert := gitcheck.SSHCert(t, ca, other, "other", "snap@example.com", "20260301000000Z:20260401000000Z")
	if err := os.Rename(otherCert, key+"-cert.pub"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigner(key+"-cert.pub", nil, ""); err == nil || !strings.Contains(err.Error(), "is not the key certificate") {
		t.Fatalf("a certificate of another key: err = %v", err)
	}
}

// serveAgent runs an SSH agent holding the private key file's key and
// returns its socket.
func serveAgent(t *testing.T, file string) string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParseRawPrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	ring := agent.NewKeyring()
	if err := ring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _ = agent.ServeAgent(ring, c) }()
		}
	}()
	return sock
}
