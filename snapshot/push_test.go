package snapshot

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

// pushTestRemote creates an empty bare repository with the git CLI.
func pushTestRemote(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "remote.git")
	runGit(t, filepath.Dir(dir), "init", "--bare", "--initial-branch=main", dir)
	return dir
}

// lsRemote maps ref names to ids as `git ls-remote` prints them.
func lsRemote(t *testing.T, remote string) map[string]string {
	t.Helper()
	out := runGit(t, remote, "ls-remote", remote)
	refs := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if h, n, ok := strings.Cut(l, "\t"); ok {
			refs[n] = h
		}
	}
	return refs
}

func TestPushBranchAndTag(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, false)
	remote := pushTestRemote(t)
	runGit(t, r.Path(), "remote", "add", "origin", remote)

	res := write(t, r, Snapshot{Files: files0(), Message: "first", Author: day(0), Tag: "snapshot/1"})
	if err := r.Push(ctx, "origin", []string{"main", "refs/tags/snapshot/1"}, nil); err != nil {
		t.Fatal(err)
	}
	refs := lsRemote(t, remote)
	if refs["refs/heads/main"] != res.Commit.String() || refs["refs/tags/snapshot/1"] != res.TagHash.String() {
		t.Fatalf("remote refs %v, want main %s and tag %s", refs, res.Commit, res.TagHash)
	}
	fsck(t, remote)
	// Nothing new: not an error.
	if err := r.Push(ctx, "origin", []string{"main"}, nil); err != nil {
		t.Fatalf("second push: %v", err)
	}
	// The remote-tracking ref follows, as with git push.
	if got := strings.TrimSpace(runGit(t, r.Path(), "rev-parse", "refs/remotes/origin/main")); got != res.Commit.String() {
		t.Errorf("origin/main = %s, want %s", got, res.Commit)
	}

	// A second snapshot fast-forwards; pushing by URL works without a remote name.
	res2 := write(t, r, Snapshot{Files: edit(files0(), map[string][]byte{"users/new.yaml": []byte("id: new\n")}), Message: "second", Author: day(1)})
	if err := r.Push(ctx, remote, []string{"refs/heads/main:refs/heads/main"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := lsRemote(t, remote)["refs/heads/main"]; got != res2.Commit.String() {
		t.Fatalf("remote main %s, want %s", got, res2.Commit)
	}

	// Someone else moved the remote branch: refused, and the message says what to do.
	other := filepath.Join(t.TempDir(), "other")
	runGit(t, filepath.Dir(other), "clone", "-q", remote, other)
	os.WriteFile(filepath.Join(other, "README.md"), []byte("hello\n"), 0o644)
	runGit(t, other, "add", "README.md")
	runGit(t, other, "commit", "-q", "-m", "readme")
	runGit(t, other, "push", "-q", "origin", "main")
	write(t, r, Snapshot{Files: edit(files0(), map[string][]byte{"users/other.yaml": []byte("id: other\n")}), Message: "third", Author: day(2)})
	err := r.Push(ctx, "origin", []string{"main"}, nil)
	if err == nil || !strings.Contains(err.Error(), "non-fast-forward") || !strings.Contains(err.Error(), "fetch it first") {
		t.Fatalf("push over a moved branch: %v", err)
	}
	// Forced, it goes through.
	if err := r.Push(ctx, "origin", []string{"+main"}, nil); err != nil {
		t.Fatalf("forced push: %v", err)
	}
	fsck(t, remote)

	if err := r.Push(ctx, "nosuchremote", []string{"main"}, nil); err == nil || !strings.Contains(err.Error(), "no remote \"nosuchremote\"") {
		t.Errorf("unknown remote: %v", err)
	}
	if err := r.Push(ctx, "origin", []string{"bad..name"}, nil); err == nil {
		t.Error("a bad ref name was pushed")
	}
}

func TestStartAndDeleteBranch(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, false)
	base := write(t, r, Snapshot{Files: files0(), Message: "base", Author: day(0)})

	created, err := r.StartBranch(ctx, "entrasnap/snapshot-2026-03-23", "HEAD")
	if err != nil || !created {
		t.Fatalf("StartBranch: %v %v", created, err)
	}
	if created, err := r.StartBranch(ctx, "entrasnap/snapshot-2026-03-23", "HEAD"); err != nil || created {
		t.Fatalf("StartBranch of an existing branch: created %v, %v", created, err)
	}
	res := write(t, r, Snapshot{Branch: "entrasnap/snapshot-2026-03-23", Files: edit(files0(), map[string][]byte{"users/x.yaml": []byte("id: x\n")}), Message: "review", Author: day(1)})
	if res.Parent != base.Commit {
		t.Fatalf("the snapshot on the new branch has parent %s, want the base %s", res.Parent, base.Commit)
	}
	if got := strings.TrimSpace(runGit(t, r.Path(), "rev-parse", "entrasnap/snapshot-2026-03-23~1")); got != base.Commit.String() {
		t.Errorf("git rev-parse branch~1 = %s", got)
	}

	if _, err := r.StartBranch(ctx, "empty", "no-such-rev"); !errors.Is(err, ErrUnknownRevision) {
		t.Errorf("StartBranch at an unknown revision: %v", err)
	}
	if _, err := r.StartBranch(ctx, "bad..name", "HEAD"); err == nil {
		t.Error("StartBranch took a bad name")
	}

	// DeleteBranch undoes StartBranch, and only when the branch did not move.
	if _, err := r.StartBranch(ctx, "entrasnap/unused", "HEAD"); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteBranch("entrasnap/unused", res.Commit); !errors.Is(err, ErrBranchMoved) {
		t.Fatalf("DeleteBranch at the wrong commit: %v", err)
	}
	if err := r.DeleteBranch("entrasnap/unused", base.Commit); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteBranch("main", base.Commit); err == nil {
		t.Error("DeleteBranch removed the branch HEAD names")
	}
	branches := runGit(t, r.Path(), "for-each-ref", "--format=%(refname)", "refs/heads")
	if strings.Contains(branches, "unused") || !strings.Contains(branches, "refs/heads/entrasnap/snapshot-2026-03-23") {
		t.Errorf("branches:\n%s", branches)
	}
	if err := r.DeleteBranch("entrasnap/snapshot-2026-03-23", res.Commit); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r.GitDir(), "refs", "heads", "entrasnap")); !os.IsNotExist(err) {
		t.Errorf("the empty folder refs/heads/entrasnap stayed: %v", err)
	}
	fsck(t, r.Path())
}

func TestAuthFromEnv(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "ghs_secretsecretsecret"
	for _, tc := range []struct {
		name, url string
		env       map[string]string
		want      string // "basic:user", "ssh-key:user", "nil"
	}{
		{"github token", "https://github.com/contoso/tenant.git", map[string]string{"GITHUB_TOKEN": token}, "basic:x-access-token"},
		{"GIT_TOKEN first", "https://dev.azure.com/contoso/p/_git/r", map[string]string{"GIT_TOKEN": token, "GITHUB_TOKEN": "other"}, "basic:x-access-token"},
		{"user name", "https://gitlab.com/contoso/tenant.git", map[string]string{"GIT_TOKEN": token, "GIT_USERNAME": "oauth2"}, "basic:oauth2"},
		{"no token", "https://github.com/contoso/tenant.git", nil, "nil"},
		{"local path", "/srv/git/tenant.git", map[string]string{"GIT_TOKEN": token}, "nil"},
		{"file url", "file:///srv/git/tenant.git", map[string]string{"GIT_TOKEN": token}, "nil"},
		{"scp-like with key", "git@github.com:contoso/tenant.git", map[string]string{"GIT_SSH_KEY_FILE": keyFile}, "ssh-key:git"},
		{"ssh url with key", "ssh://deploy@git.example.com/tenant.git", map[string]string{"GIT_SSH_KEY_FILE": keyFile}, "ssh-key:deploy"},
		{"ssh without key or agent", "git@github.com:contoso/tenant.git", nil, "nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []string{"GIT_TOKEN", "GITHUB_TOKEN", "GIT_USERNAME", "GIT_SSH_KEY_FILE", "GIT_SSH_KEY_PASSPHRASE", "SSH_AUTH_SOCK"} {
				t.Setenv(v, tc.env[v])
			}
			a, err := AuthFromEnv(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			got := "nil"
			switch x := a.(type) {
			case *githttp.BasicAuth:
				got = "basic:" + x.Username
				if x.Password != tc.env["GIT_TOKEN"] && x.Password != tc.env["GITHUB_TOKEN"] {
					t.Errorf("password is not the token")
				}
			case *gitssh.PublicKeys:
				got = "ssh-key:" + x.User
			case nil:
			default:
				got = fmt.Sprintf("%T", a)
			}
			if got != tc.want {
				t.Errorf("AuthFromEnv(%q) = %s, want %s", tc.url, got, tc.want)
			}
			if a != nil && strings.Contains(a.String(), token) {
				t.Errorf("String() shows the token: %s", a.String())
			}
		})
	}
	t.Setenv("GIT_SSH_KEY_FILE", filepath.Join(t.TempDir(), "missing"))
	if _, err := AuthFromEnv("git@github.com:x/y.git"); err == nil || !strings.Contains(err.Error(), "GIT_SSH_KEY_FILE") {
		t.Errorf("a missing key file: %v", err)
	}
}

// TestPushOverHTTPWithToken pushes through git's own smart-HTTP server (git
// http-backend behind basic auth): the token from the environment is what
// opens it, and a refused token never shows in the error.
func TestPushOverHTTPWithToken(t *testing.T) {
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git --exec-path:", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skip("no git-http-backend:", err)
	}
	remote := pushTestRemote(t)
	runGit(t, remote, "config", "http.receivepack", "true")
	const token = "s3cr3t-token-value"
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + filepath.Dir(remote), "GIT_HTTP_EXPORT_ALL=1",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); !ok || u != "x-access-token" || p != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, req)
	}))
	defer srv.Close()
	url := srv.URL + "/remote.git"

	ctx := context.Background()
	r := newTestRepo(t, true)
	res := write(t, r, Snapshot{Files: files0(), Message: "first", Author: day(0), Tag: "snapshot/1"})

	t.Setenv("GIT_TOKEN", "")
	t.Setenv("GIT_USERNAME", "")
	t.Setenv("GITHUB_TOKEN", "wrong-token-value")
	auth, err := AuthFromEnv(url)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Push(ctx, url, []string{"main"}, auth)
	if err == nil {
		t.Fatal("push with a wrong token succeeded")
	}
	if strings.Contains(err.Error(), "wrong-token-value") || !strings.Contains(err.Error(), "GIT_TOKEN") {
		t.Errorf("error: %v", err)
	}

	t.Setenv("GITHUB_TOKEN", token)
	if auth, err = AuthFromEnv(url); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, url, []string{"main", "refs/tags/snapshot/1"}, auth); err != nil {
		t.Fatal(err)
	}
	refs := lsRemote(t, remote)
	if refs["refs/heads/main"] != res.Commit.String() || refs["refs/tags/snapshot/1"] != res.TagHash.String() {
		t.Fatalf("remote refs: %v", refs)
	}
	fsck(t, remote)
}

func TestRedact(t *testing.T) {
	if got := redactURL("https://user:tok3n@example.com/x.git"); strings.Contains(got, "tok3n") || strings.Contains(got, "user") {
		t.Errorf("redactURL = %s", got)
	}
	msg := scrub(`unexpected status for https://bot:abcdef123@example.com/x.git: 403 with abcdef123`, &githttp.BasicAuth{Username: "bot", Password: "abcdef123"})
	if strings.Contains(msg, "abcdef123") {
		t.Errorf("scrub = %s", msg)
	}
}

func TestRedactURLAndScrub(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:tok3n@example.com/x.git":               "https://***@example.com/x.git",
		"https://ghp_tokenAsUser@github.com/o/r.git":         "https://***@github.com/o/r.git",
		"https://example.com/x.git?access_token=abc&ref=1#f": "https://example.com/x.git?access_token=xxxxx&ref=1#f",
		"origin":                       "origin",
		"git@github.com:o/r.git":       "git@github.com:o/r.git",
		"/srv/git/remote.git":          "/srv/git/remote.git",
		"https://example.com/a@b/c":    "https://example.com/a@b/c",
		"https://u:p@h:8443/r?sig=zz9": "https://***@h:8443/r?sig=xxxxx",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	t.Setenv("GIT_TOKEN", "env/tok+en")
	msg := Scrub(`Get "https://bot:p%40ss@host/info/refs?service=git-receive-pack": env/tok+en env%2Ftok%2Ben`)
	for _, s := range []string{"p%40ss", "env/tok+en", "env%2Ftok%2Ben"} {
		if strings.Contains(msg, s) {
			t.Errorf("Scrub left %q: %s", s, msg)
		}
	}
}

// TestPushErrorsHideURLCredentials pushes to remotes whose URL holds a
// password: unreachable and refused, the error never holds it.
func TestPushErrorsHideURLCredentials(t *testing.T) {
	r := newTestRepo(t, true)
	write(t, r, Snapshot{Files: files0(), Author: day(0)})
	const secret = "pw-in-url-0123"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
		http.Error(w, "denied "+req.URL.String(), http.StatusForbidden)
	}))
	defer srv.Close()
	for _, u := range []string{
		"http://bot:" + secret + "@127.0.0.1:1/r.git",
		strings.Replace(srv.URL, "http://", "http://bot:"+secret+"@", 1) + "/r.git",
		strings.Replace(srv.URL, "http://", "http://"+secret+"@", 1) + "/r.git",
	} {
		auth, _ := AuthFromEnv(u)
		err := r.Push(context.Background(), u, []string{"main"}, auth)
		if err == nil {
			t.Fatalf("push to %s succeeded", RedactURL(u))
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error holds the secret: %v", err)
		}
	}
}

// TestScrubWriter: what the CLI prints on stderr goes through ScrubWriter,
// which masks GIT_TOKEN's value and a URL's credentials and reports the
// length written as given.
func TestScrubWriter(t *testing.T) {
	t.Setenv("GIT_TOKEN", "s3cr3t-token-value")
	var b strings.Builder
	msg := "push to https://user:pw@example.com/r.git failed: token s3cr3t-token-value refused\n"
	n, err := ScrubWriter{W: &b}.Write([]byte(msg))
	if err != nil || n != len(msg) {
		t.Fatalf("Write: %d, %v; want %d", n, err, len(msg))
	}
	if strings.Contains(b.String(), "s3cr3t-token-value") || strings.Contains(b.String(), "pw@") || !strings.Contains(b.String(), "refused") {
		t.Errorf("written %q: credentials not masked", b.String())
	}
}
