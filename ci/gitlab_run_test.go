//go:build unix

package ci

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// glRun runs the GitLab template's backup job as a runner would: a fresh
// clone of the remote, the job's script in bash with GitLab's predefined
// variables and the project's CI/CD variables (extra). The before_script
// (apt-get, go install, the id_token file) is covered by the entrasnap
// built in TestMain on PATH and graphsim's token.
func glRun(t *testing.T, l *localRun, name string, extra ...string) (string, error) {
	t.Helper()
	return glRunJob(t, l, "backup", name, extra...)
}

// glRunJob is glRun for the template's job named job.
func glRunJob(t *testing.T, l *localRun, job, name string, extra ...string) (string, error) {
	t.Helper()
	return glRunJobAt(t, l, job, name, "", extra...)
}

// glRunJobAt is glRunJob on the commit rev, checked out detached as
// GitLab's runner does ("": the default branch's head).
func glRunJobAt(t *testing.T, l *localRun, job, name, rev string, extra ...string) (string, error) {
	t.Helper()
	raw := map[string]glJob{}
	decodeYAML(t, gitlabCI, &raw)
	script := strings.Join(raw[job].Script, "\n")
	if script == "" {
		t.Fatalf("the GitLab template has no %s script", job)
	}
	dir := l.clone(t, name)
	if rev != "" {
		gitRun(t, dir, "checkout", "-q", "--detach", rev)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-c", script)
	cmd.Dir = dir
	cmd.Env = l.env(append([]string{
		"CI_PROJECT_DIR=" + dir, "CI_SERVER_URL=file://" + l.root, "CI_SERVER_HOST=gitlab.example.com",
		"CI_PROJECT_PATH=tenant-backup", "CI_PROJECT_ID=42", "CI_DEFAULT_BRANCH=main",
		"DESCRIPTION=daily snapshot",
	}, extra...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The GitLab template signs with the key from a CI/CD variable of type
// File (its value is the path of a file holding the key): the baseline on
// main and the review branch of the next run are signed, real git
// verify-commit/verify-tag accept them, and `check --verify-signatures`
// passes on the remote. A variable of type Variable (the key's text) stops
// the job before anything is exported, without printing the key.
func TestGitLabSigningRunsLocally(t *testing.T) {
	l := newLocalRun(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (GitLab's golang image has it)")
	}
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed (the job's before_script installs it)")
	}
	graphURL, graphToken := graphsimProcess(t)
	seed := l.clone(t, "seed")
	for src, dst := range map[string]string{gitlabCI: ".gitlab-ci.yml", watchFile: ".entrasnap/watch.yaml"} {
		os.MkdirAll(filepath.Join(seed, filepath.Dir(dst)), 0o755)
		if err := os.WriteFile(filepath.Join(seed, dst), readTemplate(t, src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitRun(t, seed, "add", ".")
	gitRun(t, seed, "commit", "-q", "-m", "Add the entrasnap pipeline")
	gitRun(t, seed, "push", "-q", "origin", "main")

	// GitLab's merge requests API, as far as the job uses it.
	const glToken = "glpat-localRunToken0123456789"
	var mu sync.Mutex
	var mrs []map[string]string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if req.Header.Get("PRIVATE-TOKEN") != glToken || req.URL.Path != "/projects/42/merge_requests" {
			http.Error(w, "unexpected call "+req.Method+" "+req.URL.Path, http.StatusBadRequest)
			return
		}
		switch req.Method {
		case http.MethodGet:
			json.NewEncoder(w).Encode([]any{})
		case http.MethodPost:
			req.ParseForm()
			mrs = append(mrs, map[string]string{"source": req.Form.Get("source_branch"), "target": req.Form.Get("target_branch"), "description": req.Form.Get("description")})
			json.NewEncoder(w).Encode(map[string]any{"iid": len(mrs), "web_url": "https://gitlab.example.com/tenant-backup/-/merge_requests/1"})
		default:
			http.Error(w, "unexpected method", http.StatusMethodNotAllowed)
		}
	}))
	defer api.Close()

	keyDir, keyPub, keyText, fileVar := l.glSigningFile(t)
	vars := []string{"ENTRASNAP_GRAPH_URL=" + graphURL, "ENTRASNAP_ACCESS_TOKEN=" + graphToken,
		"CI_API_V4_URL=" + api.URL, "GITLAB_TOKEN=" + glToken}

	// A variable of type Variable: refused before anything runs.
	out, err := glRun(t, l, "wrong-type", append(vars, "ENTRASNAP_SIGNING_KEY="+string(keyText))...)
	if err == nil || !strings.Contains(out, "of type File") || strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, strings.Split(string(keyText), "\n")[1]) {
		t.Fatalf("the key's text in ENTRASNAP_SIGNING_KEY: err=%v\n%s", err, out)
	}
	if heads := remoteHeads(t, l.remote); len(heads) != 1 || strings.Contains(gitRun(t, l.remote, "log", "--format=%s", "main"), "entrasnap snapshot") {
		t.Fatalf("the refused run wrote to the remote: %v", heads)
	}

	// Run 1: the signed baseline on main.
	vars = append(vars, "ENTRASNAP_SIGNING_KEY="+fileVar)
	if out, err := glRun(t, l, "run1", vars...); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	if st, err := os.Stat(fileVar); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the key file's mode after the job: %v (%v), want 0600", st.Mode().Perm(), err)
	}
	baseline := strings.TrimSpace(gitRun(t, l.remote, "rev-parse", "main"))
	allowed := gitcheck.AllowedSigners(t, keyDir, `entrasnap@gitlab.example.com namespaces="git" `+keyPub)
	tags := remoteTags(t, l.remote)
	if len(tags) != 1 {
		t.Fatalf("remote tags after the first run: %v", tags)
	}
	for _, c := range [][2]string{{"verify-commit", "main"}, {"verify-tag", tags[0]}} {
		if out, ok := gitcheck.Verify(t, l.remote, allowed, c[0], c[1]); !ok || !strings.Contains(out, `Good "git" signature for entrasnap@gitlab.example.com`) {
			t.Fatalf("git %s %s:\n%s", c[0], c[1], out)
		}
	}

	// A change in the tenant; run 2 pushes a signed review branch and opens
	// a merge request.
	policy := firstOf(t, graphCall(t, graphURL, graphToken, "GET", "/v1.0/identity/conditionalAccess/policies", nil))
	state := "disabled"
	if policy["state"] == "disabled" {
		state = "enabled"
	}
	graphCall(t, graphURL, graphToken, "PATCH", "/v1.0/identity/conditionalAccess/policies/"+policy["id"].(string), map[string]any{"state": state})
	out, err = glRun(t, l, "run2", vars...)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	mu.Lock()
	if len(mrs) != 1 || mrs[0]["target"] != "main" || !strings.HasPrefix(mrs[0]["source"], "entrasnap/snapshot-") || !strings.Contains(mrs[0]["description"], policy["displayName"].(string)) {
		t.Errorf("merge requests opened: %v", mrs)
	}
	branch := ""
	if len(mrs) == 1 {
		branch = mrs[0]["source"]
	}
	mu.Unlock()
	if out, ok := gitcheck.Verify(t, l.remote, allowed, "verify-commit", "refs/heads/"+branch); !ok {
		t.Fatalf("git verify-commit of the review branch %s:\n%s", branch, out)
	}
	for _, s := range []string{graphToken, glToken, strings.Split(string(keyText), "\n")[1]} {
		if strings.Contains(out, s) {
			t.Errorf("the job printed a secret (%.8s…)", s)
		}
	}

	// The whole remote verifies from the signed baseline on (the commit
	// adding the pipeline, before it, is not a snapshot).
	check := exec.Command(entrasnapBin, "check", "--repo", l.remote, "--verify-signatures", "--allowed-signers", allowed, "--signed-since", baseline)
	check.Env = l.env()
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "0 not trusted") && strings.Contains(string(out), "not trusted") {
		t.Fatalf("check --verify-signatures of the remote: %v\n%s", err, out)
	}
	gitRun(t, l.remote, "fsck", "--strict", "--no-progress")
}
