package snapshot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

func loadSigner(t *testing.T, file string, pass []byte) Signer {
	t.Helper()
	s, err := LoadSigner(file, pass, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func allowed(t *testing.T, lines ...string) *AllowedSigners {
	t.Helper()
	a, err := ParseAllowedSigners("test", []byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// commitSignedAndVerify writes a commit signed by s and checks that both
// Verify and the real git verify-commit accept its signature against the
// allowed-signers line; how says how it was signed, for failures.
func commitSignedAndVerify(t *testing.T, s Signer, line, how string) {
	t.Helper()
	r := newTestRepo(t, false)
	h := write(t, r, Snapshot{Files: map[string][]byte{"a": []byte("1\n")}, Author: day(0), Signer: s}).Commit.String()
	if v := verify(t, r, allowed(t, line), h); v.Status != SigGood {
		t.Fatalf("signed %s: Verify says %+v", how, v)
	}
	if out, ok := gitcheck.Verify(t, r.Path(), gitcheck.AllowedSigners(t, t.TempDir(), line), "verify-commit", h); !ok {
		t.Fatalf("signed %s: git verify-commit refused it:\n%s", how, out)
	}
}

func verify(t *testing.T, r *Repo, a *AllowedSigners, h string) Verification {
	t.Helper()
	so, err := r.ReadSigned(context.Background(), revParse(t, r.Path(), h))
	if err != nil {
		t.Fatal(err)
	}
	return a.Verify(so)
}

// Signed commits and tags of every key type are accepted by real git
// (verify-commit, verify-tag, log --show-signature, fsck --strict) and by
// Verify; the tag on an unchanged head is signed too.
func TestSignedSnapshotVerifiesWithGit(t *testing.T) {
	for _, typ := range []string{"ed25519", "ecdsa", "rsa"} {
		t.Run(typ, func(t *testing.T) {
			keys := t.TempDir()
			priv, pub := gitcheck.SSHKey(t, keys, "snap", typ, "")
			as := gitcheck.AllowedSigners(t, keys, `snap@example.com namespaces="git" `+pub)
			r := newTestRepo(t, false)
			s := loadSigner(t, priv, nil)
			if !strings.HasPrefix(pub, s.PublicKey()) {
				t.Fatalf("PublicKey() = %q, want the key of %q", s.PublicKey(), pub)
			}
			files := map[string][]byte{"users/a.yaml": []byte("id: a\n"), "groups/g.yaml": []byte("id: g\n")}
			res := write(t, r, Snapshot{Files: files, Message: "first\n\nbody", Author: day(0), Tag: "snapshot/1", Signer: s})
			res2 := write(t, r, Snapshot{Files: files, Message: "again", Author: day(1), Tag: "snapshot/2", Signer: s, TagWhenUnchanged: true})
			if res2.Changed || res2.Tag != "snapshot/2" {
				t.Fatalf("unchanged tree: Changed %v, Tag %q; want a tag on the head", res2.Changed, res2.Tag)
			}
			for _, c := range [][2]string{{"verify-commit", "HEAD"}, {"verify-tag", "snapshot/1"}, {"verify-tag", "snapshot/2"}} {
				out, ok := gitcheck.Verify(t, r.Path(), as, c[0], c[1])
				if !ok || !strings.Contains(out, `Good "git" signature for snap@example.com`) {
					t.Fatalf("git %s %s refused (ok=%v):\n%s", c[0], c[1], ok, out)
				}
			}
			if out := gitcheck.ShowSignature(t, r.Path(), as, "HEAD"); !strings.Contains(out, `Good "git" signature for snap@example.com`) || !strings.Contains(out, "first") {
				t.Fatalf("git log --show-signature:\n%s", out)
			}
			fsck(t, r.Path())
			statusClean(t, r.Path())
			a := allowed(t, `snap@example.com `+pub)
			for _, rev := range []string{res.Commit.String(), "snapshot/1", "snapshot/2"} {
				if rev != res.Commit.String() {
					rev = runGit(t, r.Path(), "rev-parse", "refs/tags/"+rev)
				}
				if v := verify(t, r, a, strings.TrimSpace(rev)); v.Status != SigGood {
					t.Fatalf("Verify(%s) = %+v, want good", rev, v)
				}
			}
		})
	}
}

// Commits and tags signed by real git verify with Verify: the two agree
// on the format, not only with themselves.
func TestGitSignedObjectsVerify(t *testing.T) {
	keys := t.TempDir()
	priv, pub := gitcheck.SSHKey(t, keys, "g", "ed25519", "")
	dir := filepath.Join(t.TempDir(), "r")
	runGit(t, t.TempDir(), "init", "-q", "-b", "main", dir)
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + priv}
	runGit(t, dir, "add", "f")
	runGit(t, dir, append(cfg, "commit", "-q", "-S", "-m", "signed by git")...)
	runGit(t, dir, append(cfg, "tag", "-s", "-m", "a tag\n\nwith a body", "snapshot/x")...)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a := allowed(t, "test@example.com "+pub)
	for _, rev := range []string{"HEAD", "refs/tags/snapshot/x"} {
		h := strings.TrimSpace(runGit(t, dir, "rev-parse", rev))
		if v := verify(t, r, a, h); v.Status != SigGood {
			t.Fatalf("%s signed by git: Verify = %+v, want good", rev, v)
		}
	}
}

// Every way a signature can fail has its own status: unsigned, changed
// content, a key not listed, a key listed for another email, outside its
// validity or namespaces.
func TestVerifyStatuses(t *testing.T) {
	keys := t.TempDir()
	priv, pub := gitcheck.SSHKey(t, keys, "snap", "ed25519", "")
	_, otherPub := gitcheck.SSHKey(t, keys, "other", "ed25519", "")
	r := newTestRepo(t, true)
	write(t, r, Snapshot{Files: map[string][]byte{"a": []byte("1\n")}, Author: day(0), Tag: "snapshot/u"})
	write(t, r, Snapshot{Files: map[string][]byte{"a": []byte("2\n")}, Author: day(1), Tag: "snapshot/s", Signer: loadSigner(t, priv, nil)})

	cases := []struct {
		name  string
		rev   string
		lines []string
		want  SigStatus
		in    string
	}{
		{"good", "HEAD", []string{"snap@example.com " + pub}, SigGood, ""},
		{"wildcard principal", "HEAD", []string{"*@example.com " + pub}, SigGood, ""},
		{"negated principal", "HEAD", []string{"*@example.com,!snap@example.com " + pub}, SigNotAllowed, "not \"snap@example.com\""},
		{"unsigned", "HEAD~1", []string{"snap@example.com " + pub}, SigUnsigned, ""},
		{"unsigned tag", "refs/tags/snapshot/u", []string{"snap@example.com " + pub}, SigUnsigned, ""},
		{"unknown key", "HEAD", []string{"snap@example.com " + otherPub}, SigUnknown, ""},
		{"other principal", "HEAD", []string{"alice@example.com " + pub}, SigNotAllowed, "alice@example.com"},
		{"expired", "HEAD", []string{`snap@example.com valid-before="20260301Z" ` + pub}, SigNotAllowed, "until 2026-03-01"},
		{"not yet", "HEAD", []string{`snap@example.com valid-after=20270101Z ` + pub}, SigNotAllowed, "from 2027-01-01"},
		{"in validity", "HEAD", []string{`snap@example.com valid-after=20260101Z,valid-before=20261231235959Z ` + pub}, SigGood, ""},
		{"namespace", "HEAD", []string{`snap@example.com namespaces="file" ` + pub}, SigNotAllowed, "namespaces"},
		{"signed tag", "refs/tags/snapshot/s", []string{"snap@example.com " + pub}, SigGood, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := verify(t, r, allowed(t, c.lines...), strings.TrimSpace(runGit(t, r.Path(), "rev-parse", c.rev)))
			if v.Status != c.want || !strings.Contains(v.Detail, c.in) {
				t.Fatalf("Verify = %+v, want %s with %q", v, c.want, c.in)
			}
		})
	}
}

// A commit rewritten with other content but the same message and the
// signature copied over does not verify, in Verify as in git.
func TestVerifyRewrittenCommitIsBad(t *testing.T) {
	keys := t.TempDir()
	priv, pub := gitcheck.SSHKey(t, keys, "snap", "ed25519", "")
	as := gitcheck.AllowedSigners(t, keys, "snap@example.com "+pub)
	r := newTestRepo(t, true)
	write(t, r, Snapshot{Files: map[string][]byte{"a": []byte("1\n")}, Author: day(0), Signer: loadSigner(t, priv, nil)})
	raw := runGit(t, r.Path(), "cat-file", "commit", "HEAD")
	other := strings.TrimSpace(gitTreeOf(t, map[string][]byte{"a": []byte("forged\n")}))
	treeLine := strings.SplitN(raw, "\n", 2)[0]
	forged := strings.Replace(raw, treeLine, "tree "+other, 1)
	h := hashObject(t, r.Path(), "commit", forged)
	if out, ok := gitcheck.Verify(t, r.Path(), as, "verify-commit", h); ok {
		t.Fatalf("git accepted the forged commit:\n%s", out)
	}
	if v := verify(t, r, allowed(t, "snap@example.com "+pub), h); v.Status != SigBad {
		t.Fatalf("forged commit: Verify = %+v, want bad", v)
	}
}

// hashObject writes data as an object of typ with git hash-object and
// returns its id.
func hashObject(t *testing.T, dir, typ, data string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "obj")
	if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(runGit(t, dir, "hash-object", "-t", typ, "-w", "--literally", f))
}

// An encrypted key needs its passphrase; a missing or wrong one is
// ErrPassphrase, and no error holds the passphrase or key bytes.
func TestEncryptedSigningKey(t *testing.T) {
	keys := t.TempDir()
	const pass = "correct horse battery"
	priv, pub := gitcheck.SSHKey(t, keys, "enc", "ed25519", pass)
	keyData, _ := os.ReadFile(priv)
	for _, p := range [][]byte{nil, []byte("wrong passphrase")} {
		_, err := LoadSigner(priv, p, "")
		if !errors.Is(err, ErrPassphrase) {
			t.Fatalf("passphrase %q: err = %v, want ErrPassphrase", p, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, priv) || strings.Contains(msg, pass) || strings.Contains(msg, "wrong passphrase") || containsKeyLine(msg, string(keyData)) {
			t.Fatalf("error names no file or leaks: %s", msg)
		}
	}
	// A passphrase set (as CI variables are) for a key that is not
	// encrypted is not needed.
	plain, _ := gitcheck.SSHKey(t, keys, "plain", "ed25519", "")
	loadSigner(t, plain, []byte("set for every run"))
	s := loadSigner(t, priv, []byte(pass))
	r := newTestRepo(t, true)
	write(t, r, Snapshot{Files: map[string][]byte{"a": []byte("1\n")}, Author: day(0), Signer: s})
	if v := verify(t, r, allowed(t, "snap@example.com "+pub), "HEAD"); v.Status != SigGood {
		t.Fatalf("Verify = %+v", v)
	}
}

func containsKeyLine(msg, key string) bool {
	for _, l := range strings.Split(key, "\n") {
		if len(l) > 20 && !strings.HasPrefix(l, "-----") && strings.Contains(msg, l) {
			return true
		}
	}
	return false
}

// Files that are not usable keys are refused with the file named and what
// to do.
func TestLoadSignerRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	_, pub := gitcheck.SSHKey(t, dir, "k", "ed25519", "")
	cases := map[string]struct{ file, want string }{
		"missing":          {filepath.Join(dir, "nope"), "no such file"},
		"garbage":          {write("g", "hello\x1b[31m\n"), "not an SSH private or public key"},
		"pgp":              {write("p", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxx\n"), "OpenPGP"},
		"public, no agent": {write("k2.pub", pub+"\n"), "SSH_AUTH_SOCK is not set"},
	}
	for name, c := range cases {
		_, err := LoadSigner(c.file, nil, "")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.file) {
			t.Errorf("%s: err = %v, want one naming %s and saying %q", name, err, c.file, c.want)
		}
	}
}

// A public key file signs through the SSH agent holding its private half.
func TestAgentSigner(t *testing.T) {
	keys := t.TempDir()
	priv, pub := gitcheck.SSHKey(t, keys, "ag", "ed25519", "")
	_, otherPub := gitcheck.SSHKey(t, keys, "other", "ed25519", "")
	sock := serveAgent(t, priv) // sign_cert_test.go
	s, err := LoadSigner(priv+".pub", nil, sock)
	if err != nil {
		t.Fatal(err)
	}
	commitSignedAndVerify(t, s, "snap@example.com "+pub, "through the agent")
	otherFile := filepath.Join(keys, "other.pub")
	if err := os.WriteFile(otherFile, []byte(otherPub), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigner(otherFile, nil, sock); err == nil || !strings.Contains(err.Error(), "not in the SSH agent") {
		t.Fatalf("a key the agent lacks: err = %v", err)
	}
}

func TestParseAllowedSigners(t *testing.T) {
	dir := t.TempDir()
	_, pub := gitcheck.SSHKey(t, dir, "k", "ed25519", "")
	good := "# team\n\n" + `"a@x.com,b@x.com" namespaces="git,file",valid-after="20260101" ` + pub + "\r\n" + "c@x.com cert-authority " + pub + "\n"
	a, err := ParseAllowedSigners("as", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.entries) != 2 || a.entries[0].principals != "a@x.com,b@x.com" || a.entries[0].namespaces != "git,file" || !a.entries[0].hasAfter || !a.entries[1].certAuth || a.entries[0].line != 3 {
		t.Fatalf("entries = %+v", a.entries)
	}
	for in, want := range map[string]string{
		"":                                     "lists no key",
		"a@x.com\n":                            "line 1",
		"a@x.com ssh-ed25519 !!!\n":            "line 1",
		"# c\na@x.com bogus=1 " + pub:          "line 2: unknown option \"bogus\"",
		"a@x.com valid-after=2026 " + pub:      "valid-after",
		"a@x.com valid-before=tomorrow " + pub: "valid-before",
	} {
		if _, err := ParseAllowedSigners("as", []byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
	if !matchPatternList("x@y.z", "a,x@*.z") || matchPatternList("x@y.z", "*,!x@*") || matchPatternList("[x]", "x") || !matchPatternList("[x]", "[x]") {
		t.Fatal("matchPatternList")
	}
	if tm, _ := parseSignerTime("20260102030405Z"); !tm.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("parseSignerTime = %v", tm)
	}
}

// A key's text given where its file's name belongs (a CI variable of the
// wrong type) is refused before any file is opened, and no line of it is
// in the error; a file name that merely looks odd is still a file name.
func TestLoadSignerRefusesKeyText(t *testing.T) {
	keyFile, _ := gitcheck.SSHKey(t, t.TempDir(), "k", "ed25519", "")
	text, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{string(text), strings.TrimSpace(string(text)), "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXk", "id_ed25519\r"} {
		_, err := LoadSigner(file, nil, "")
		if err == nil || !strings.Contains(err.Error(), "holds a key's text, not the name of a key file") {
			t.Fatalf("%.20q: %v", file, err)
		}
		for _, line := range strings.Split(file, "\n") {
			if line = strings.TrimSpace(line); line != "" && strings.Contains(err.Error(), line) {
				t.Fatalf("the error holds a line of the key: %q", line)
			}
		}
	}
	odd := filepath.Join(t.TempDir(), "../ключ 🙂 \u200f\"q\".pem")
	if _, err := LoadSigner(odd, nil, ""); err == nil || strings.Contains(err.Error(), "key's text") {
		t.Errorf("a missing file with an odd name: %v", err)
	}
}
