package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// gpgCLI runs gpg on a throwaway home with an empty passphrase.
func gpgCLI(t *testing.T, home string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("gpg", append([]string{"--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("gpg %v: %v\n%s", args, err, errOut.String())
	}
	return out.Bytes()
}

// Snapshots signed with an OpenPGP key made by gpg (export --signing-key
// with the exported secret key) pass check --verify-signatures
// --gpg-keyring with the public key, and fail (exit 4, unknown-key) with a
// keyring that lacks it; --gpg-keyring needs --verify-signatures.
func TestCheckVerifyOpenPGPSignatures(t *testing.T) {
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg is not installed (GnuPG: apt-get install gnupg): check verifies OpenPGP signatures with it")
	}
	t.Setenv(envSigningKey, "")
	t.Setenv(envSigningPassphrase, "")
	t.Setenv(envAllowedSigners, "")
	t.Setenv(envGPGKeyring, "")
	t.Setenv("GIT_COMMITTER_EMAIL", "backup@example.com")
	home, err := os.MkdirTemp("", "gpg") // short: gpg-agent's socket lives there
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	gpgCLI(t, home, "--quick-gen-key", "Backup <backup@example.com>", "ed25519", "sign", "never")
	gpgCLI(t, home, "--quick-gen-key", "Other <other@example.com>", "ed25519", "sign", "never")
	keys := t.TempDir()
	secret := filepath.Join(keys, "signing.asc")
	trusted := filepath.Join(keys, "trusted.asc")
	others := filepath.Join(keys, "others.asc")
	for f, args := range map[string][]string{
		secret:  {"--armor", "--export-secret-keys", "backup@example.com"},
		trusted: {"--armor", "--export", "backup@example.com"},
		others:  {"--armor", "--export", "other@example.com"},
	} {
		if err := os.WriteFile(f, gpgCLI(t, home, args...), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sim, u, _ := simTenant(t, graphsim.Options{}, nil)
	repo := filepath.Join(t.TempDir(), "backup")
	if code, out, errOut := runCLI(t, "export", "--repo", repo, "--signing-key", secret, "--graph-url", u, "--access-token", sim.Token()); code != exitOK {
		t.Fatalf("export: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "check", "--repo", repo, "--verify-signatures", "--gpg-keyring", trusted); code != exitOK || !strings.Contains(out, "2 good") {
		t.Fatalf("check against the signing key: %d\n%s\n%s", code, out, errOut)
	}
	// The evidence report verifies them the same way.
	if code, out, errOut := runCLI(t, "evidence", "--repo", repo, "--gpg-keyring", trusted); code != exitOK || !strings.Contains(out, "Signatures, against "+trusted+": 1 commits and 1 snapshot tags, 2 good, 0 not trusted") {
		t.Errorf("evidence --gpg-keyring: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "check", "--repo", repo, "--verify-signatures", "--gpg-keyring", others)
	if code != exitUntrusted || strings.Count(out, "unknown-key: signed by an OpenPGP key the keyring") != 2 {
		t.Fatalf("check against another key: %d\n%s\n%s", code, out, errOut)
	}
	// Without a keyring, an OpenPGP signature is not trusted, and says what to give.
	allowed := filepath.Join(keys, "allowed")
	os.WriteFile(allowed, []byte("backup@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr8DnJ7vL5Ol7b8jQ0m8ZZqGZ4mVw2nF3S4S0b3m1Zx\n"), 0o600)
	if code, out, _ := runCLI(t, "check", "--repo", repo, "--verify-signatures", "--allowed-signers", allowed); code != exitUntrusted || !strings.Contains(out, "--gpg-keyring FILE") {
		t.Errorf("OpenPGP signatures without --gpg-keyring: %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "check", "--repo", repo, "--gpg-keyring", trusted); code != exitUsage || !strings.Contains(errOut, "--verify-signatures") {
		t.Errorf("--gpg-keyring alone: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "check", "--repo", repo, "--verify-signatures", "--gpg-keyring", secret+".missing"); code != exitUsage || !strings.Contains(errOut, "--gpg-keyring") {
		t.Errorf("missing keyring: %d %s", code, errOut)
	}
}
