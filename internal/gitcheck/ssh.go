package gitcheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// SSHKey makes a key pair with the real ssh-keygen in dir: typ is
// "ed25519", "ecdsa" or "rsa"; passphrase "" for none. It returns the
// private key file and the public key line ("ssh-ed25519 AAAA... name").
func SSHKey(t testing.TB, dir, name, typ, passphrase string) (priv, pub string) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Fatal("ssh-keygen is required by the signing tests (openssh-client); .ci/run checks for it")
	}
	priv = filepath.Join(dir, name)
	args := []string{"-q", "-t", typ, "-N", passphrase, "-C", name, "-f", priv}
	switch typ {
	case "rsa":
		args = append(args, "-b", "2048")
	case "ecdsa":
		args = append(args, "-b", "256")
	}
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	b, err := os.ReadFile(priv + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return priv, strings.TrimSpace(string(b))
}

// AllowedSigners writes an allowed-signers file (one entry per line) in dir
// and returns its path.
func AllowedSigners(t testing.TB, dir string, lines ...string) string {
	t.Helper()
	f := filepath.Join(dir, "allowed_signers")
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// Verify runs `git verify-commit` or `git verify-tag` (cmd) on rev in dir
// with gpg.format=ssh and the allowed-signers file, and returns git's
// output and whether it accepted the signature.
func Verify(t testing.TB, dir, allowed, cmd, rev string) (string, bool) {
	t.Helper()
	return runSSH(t, dir, allowed, cmd, "-v", rev)
}

// ShowSignature runs `git log --show-signature -1 rev` with gpg.format=ssh
// and the allowed-signers file and returns its output.
func ShowSignature(t testing.TB, dir, allowed, rev string) string {
	t.Helper()
	out, ok := runSSH(t, dir, allowed, "log", "--show-signature", "-1", rev)
	if !ok {
		t.Fatalf("git log --show-signature %s failed:\n%s", rev, out)
	}
	return out
}

// RunSSH runs git in dir with gpg.format=ssh and the allowed-signers file
// (and any more -c settings in args); it returns the combined output and
// whether git exited 0.
func RunSSH(t testing.TB, dir, allowed string, args ...string) (string, bool) {
	t.Helper()
	return runSSH(t, dir, allowed, args...)
}

func runSSH(t testing.TB, dir, allowed string, args ...string) (string, bool) {
	t.Helper()
	full := append([]string{"-C", dir, "-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile=" + allowed}, args...)
	cmd := exec.Command("git", full...)
	cmd.Env = Env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("git %s: %v", strings.Join(args, " "), err)
		}
	}
	return out.String(), err == nil
}

// SSHCert certifies the public key of the key pair key (a private key file
// with key.pub beside it) with the CA's private key file ca, using the real
// ssh-keygen: a user certificate with the principals (comma-separated) and
// validity ("YYYYMMDDHHMMSSZ:YYYYMMDDHHMMSSZ", ssh-keygen -V). It writes
// and returns key-cert.pub.
func SSHCert(t testing.TB, ca, key, id, principals, validity string) string {
	t.Helper()
	args := []string{"-q", "-s", ca, "-I", id, "-n", principals, "-V", validity, "-z", "7", key + ".pub"}
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return key + "-cert.pub"
}
