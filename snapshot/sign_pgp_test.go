package snapshot

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	pgparmor "github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// pgpKey makes an OpenPGP key and writes its armored secret key (encrypted
// with passphrase unless "") and public key to dir.
func pgpKey(t *testing.T, dir, passphrase string) (secret, public string) {
	t.Helper()
	e, err := openpgp.NewEntity("Backup", "", "snap@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	w, _ := pgparmor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if passphrase != "" {
		if err := e.EncryptPrivateKeys([]byte(passphrase), nil); err != nil {
			t.Fatal(err)
		}
	}
	var sec bytes.Buffer
	w, _ = pgparmor.Encode(&sec, openpgp.PrivateKeyType, nil)
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	secret, public = filepath.Join(dir, "secret.asc"), filepath.Join(dir, "public.asc")
	os.WriteFile(secret, sec.Bytes(), 0o600)
	os.WriteFile(public, pub.Bytes(), 0o644)
	return secret, public
}

// An armored OpenPGP secret key signs commits and tags that git verifies
// with gpg (gpg.format=openpgp, the default); an encrypted one needs its
// passphrase; AllowedSigners reports such signatures as unsupported.
func TestOpenPGPSigner(t *testing.T) {
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg is not installed: git verifies OpenPGP signatures with it")
	}
	keys := t.TempDir()
	const pass = "pgp passphrase"
	secret, public := pgpKey(t, keys, pass)
	if _, err := LoadSigner(secret, nil, ""); !errors.Is(err, ErrPassphrase) {
		t.Fatalf("without the passphrase: %v", err)
	}
	if _, err := LoadSigner(secret, []byte("WRONG-PASS-123"), ""); !errors.Is(err, ErrPassphrase) || strings.Contains(err.Error(), "WRONG-PASS") {
		t.Fatalf("a wrong passphrase: %v", err)
	}
	if _, err := LoadSigner(public, nil, ""); err == nil || !strings.Contains(err.Error(), "public keys only") {
		t.Fatalf("a public key: %v", err)
	}
	s := loadSigner(t, secret, []byte(pass))
	r := newTestRepo(t, false)
	write(t, r, Snapshot{Files: map[string][]byte{"a": []byte("1\n")}, Author: day(0), Tag: "snapshot/p", Signer: s})

	home := filepath.Join(t.TempDir(), "gnupg")
	os.MkdirAll(home, 0o700)
	if out, err := exec.Command("gpg", "--homedir", home, "--batch", "--import", public).CombinedOutput(); err != nil {
		t.Fatalf("gpg --import: %v\n%s", err, out)
	}
	for _, c := range [][]string{{"verify-commit", "-v", "HEAD"}, {"verify-tag", "-v", "snapshot/p"}} {
		cmd := exec.Command("git", append([]string{"-C", r.Path()}, c...)...)
		cmd.Env = append(gitcheck.Env(), "GNUPGHOME="+home)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Good signature") {
			t.Fatalf("git %s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	fsck(t, r.Path())
	if v := verify(t, r, allowed(t, "snap@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr8DnJ7vL5Ol7b8jQ0m8ZZqGZ4mVw2nF3S4S0b3m1Zx"), "HEAD"); v.Status != SigUnsupported {
		t.Fatalf("Verify of an OpenPGP signature: %+v", v)
	}
}
