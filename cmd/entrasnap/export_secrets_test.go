package main

import (
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pushSecretServer serves the bare repository remote over git's smart HTTP
// (git http-backend), open only to basic auth user:pass.
func pushSecretServer(t *testing.T, remote, user, pass string) string {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git --exec-path:", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skip("no git-http-backend:", err)
	}
	exportTestGit(t, remote, "config", "http.receivepack", "true")
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + filepath.Dir(remote), "GIT_HTTP_EXPORT_ALL=1",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required for "+req.URL.String(), http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestExportPushURLCredentialsNeverPrinted pushes to remotes whose URL
// embeds a secret (user information and a token query parameter): on
// success, on an unreachable host and on a refused push, no output and no
// error holds the secret or the token from the environment.
func TestExportPushURLCredentialsNeverPrinted(t *testing.T) {
	sim, u := exportTestSim(t)
	dir := t.TempDir()
	remote := filepath.Join(dir, "remote.git")
	exportTestGit(t, dir, "init", "-q", "--bare", "--initial-branch=main", remote)
	const secret = "urlS3cretValue42"
	base := pushSecretServer(t, remote, "bot", secret)
	t.Setenv("GIT_TOKEN", "")
	t.Setenv("GITHUB_TOKEN", "")
	secrets := []string{secret, sim.Token()}
	check := func(name, out, errOut string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(out+errOut, s) {
				t.Errorf("%s: secret %q printed:\n%s\n%s", name, s, out, errOut)
			}
		}
	}

	// success: the URL's credentials open the remote
	good := strings.Replace(base, "http://", "http://bot:"+secret+"@", 1) + "/remote.git"
	work := filepath.Join(dir, "work")
	code, out, errOut := runCLI(t, "export", "--repo", work, "--kinds", "conditional-access", "--push", good,
		"--graph-url", u, "--access-token", sim.Token())
	if code != exitOK {
		t.Fatalf("push with URL credentials: code %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "Pushed refs/heads/main") || !strings.Contains(errOut, "http://***@") {
		t.Errorf("success message does not name the redacted remote:\n%s", errOut)
	}
	check("success", out, errOut)
	if refs := pushTestRefs(t, remote); refs["refs/heads/main"] == "" {
		t.Errorf("nothing pushed: %v", refs)
	}

	// refused: wrong password in the URL, a token in the environment too
	const wrong = "wr0ngUrlS3cret"
	const envTok = "envT0kenValue99"
	secrets = append(secrets, wrong, envTok)
	t.Setenv("GITHUB_TOKEN", envTok)
	pushTestPolicy(t, sim, u)
	bad := strings.Replace(base, "http://", "http://bot:"+wrong+"@", 1) + "/remote.git"
	code, out, errOut = runCLI(t, "export", "--repo", work, "--kinds", "conditional-access", "--push", bad,
		"--graph-url", u, "--access-token", sim.Token())
	if code != exitError || !strings.Contains(errOut, "committed to") {
		t.Fatalf("refused push: code %d\n%s\n%s", code, out, errOut)
	}
	check("refused", out, errOut)

	// unreachable: nothing listens there; a token in the query string too
	const qtok = "queryT0kenValue77"
	secrets = append(secrets, qtok)
	t.Setenv("GITHUB_TOKEN", "")
	pushTestPolicy(t, sim, u)
	gone := "http://bot:" + secret + "@127.0.0.1:1/remote.git?access_token=" + qtok
	code, out, errOut = runCLI(t, "export", "--repo", work, "--kinds", "conditional-access", "--push", gone,
		"--graph-url", u, "--access-token", sim.Token(), "--json")
	if code != exitError || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Fatalf("unreachable: code %d\n%s\n%s", code, out, errOut)
	}
	check("unreachable", out, errOut)
}
