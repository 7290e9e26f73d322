//go:build unix

package ci

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// glChangesAPI stands in for the part of GitLab's REST API the plan and
// apply jobs call: merge request notes, the merge requests of a commit,
// a merge request's pipelines, a pipeline's jobs and a job's artifact
// file. The test fills it as GitLab would after each pipeline.
type glChangesAPI struct {
	mu        sync.Mutex
	token     string
	mrs       map[string]map[string]any // merge commit sha → the merge request GitLab lists for it
	pipelines map[string][]map[string]any
	jobs      map[string][]map[string]any
	artifacts map[string]string // job id → the plan job's folder
	notes     map[string][]string
}

func (a *glChangesAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if req.Header.Get("PRIVATE-TOKEN") != a.token {
		http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
		return
	}
	p := strings.TrimPrefix(req.URL.Path, "/projects/42/")
	m := func(pattern string) []string { return regexp.MustCompile("^" + pattern + "$").FindStringSubmatch(p) }
	switch {
	case req.Method == http.MethodPost && m(`merge_requests/(\d+)/notes`) != nil:
		req.ParseForm()
		iid := m(`merge_requests/(\d+)/notes`)[1]
		a.notes[iid] = append(a.notes[iid], req.Form.Get("body"))
		json.NewEncoder(w).Encode(map[string]any{"id": len(a.notes[iid])})
	case req.Method != http.MethodGet:
		http.Error(w, "unexpected "+req.Method+" "+req.URL.Path, http.StatusBadRequest)
	case m(`repository/commits/([0-9a-f]{40})/merge_requests`) != nil:
		list := []any{}
		if mr := a.mrs[m(`repository/commits/([0-9a-f]{40})/merge_requests`)[1]]; mr != nil {
			list = append(list, mr)
		}
		json.NewEncoder(w).Encode(list)
	case m(`merge_requests/(\d+)/pipelines`) != nil:
		json.NewEncoder(w).Encode(append([]map[string]any{}, a.pipelines[m(`merge_requests/(\d+)/pipelines`)[1]]...))
	case m(`pipelines/(\d+)/jobs`) != nil:
		if req.URL.Query().Get("scope[]") != "success" {
			http.Error(w, "want scope[]=success", http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(append([]map[string]any{}, a.jobs[m(`pipelines/(\d+)/jobs`)[1]]...))
	case m(`jobs/(\d+)/artifacts/entrasnap-plan/plan\.json`) != nil:
		dir, ok := a.artifacts[m(`jobs/(\d+)/artifacts/entrasnap-plan/plan\.json`)[1]]
		if !ok {
			http.Error(w, "404 Not Found", http.StatusNotFound)
			return
		}
		http.ServeFile(w, req, filepath.Join(dir, "plan.json"))
	default:
		http.Error(w, "unexpected GET "+req.URL.Path, http.StatusNotFound)
	}
}

// TestGitLabChangesRunLocally runs the GitLab template's plan and apply
// jobs as a runner would (a fresh clone at the pipeline's commit, the
// script in bash with GitLab's variables), against graphsim, a bare remote
// and a stand-in for GitLab's API: a merge request that disables a
// Conditional Access policy gets the plan as a comment and as the job's
// artifact, the tenant untouched; after the merge the apply job applies
// exactly that plan, the policy changes in graphsim, and the post-apply
// snapshot is on the remote's main with its tag, signed with the File
// variable's key (real git verify-tag accepts it). A second merge request
// whose policy changed in the tenant after planning is refused by the apply
// job, nothing written; a push no merge request made applies nothing.
func TestGitLabChangesRunLocally(t *testing.T) {
	l := newLocalRun(t)
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (the job's image and before_script have it)", tool)
		}
	}
	graphURL, graphToken := graphsimProcess(t)

	// The repository: the pipeline, and a first snapshot on main.
	dev := l.clone(t, "dev")
	if err := os.WriteFile(filepath.Join(dev, ".gitlab-ci.yml"), readTemplate(t, gitlabCI), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun(t, dev, "add", ".")
	gitRun(t, dev, "commit", "-q", "-m", "Add the entrasnap pipeline")
	export := exec.Command(entrasnapBin, "export", "--repo", dev, "--message", "baseline")
	export.Env = l.env("ENTRASNAP_GRAPH_URL="+graphURL, "ENTRASNAP_ACCESS_TOKEN="+graphToken)
	if out, err := export.CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	gitRun(t, dev, "push", "-q", "--follow-tags", "origin", "main")

	files := enabledPolicyFiles(t, dev)
	idOf := objectIDOf
	policyState := func(id string) string {
		return graphCall(t, graphURL, graphToken, "GET", "/v1.0/identity/conditionalAccess/policies/"+id, nil)["state"].(string)
	}

	const glToken = "glpat-changesToken0123456789"
	api := &glChangesAPI{token: glToken, mrs: map[string]map[string]any{}, pipelines: map[string][]map[string]any{},
		jobs: map[string][]map[string]any{}, artifacts: map[string]string{}, notes: map[string][]string{}}
	srv := httptest.NewServer(api)
	defer srv.Close()

	keyDir, keyPub, keyText, fileVar := l.glSigningFile(t)
	vars := []string{"ENTRASNAP_GRAPH_URL=" + graphURL, "ENTRASNAP_ACCESS_TOKEN=" + graphToken,
		"CI_API_V4_URL=" + srv.URL, "GITLAB_TOKEN=" + glToken, "AZURE_CLIENT_ID=00000000-0000-4000-8000-00000000read"}
	secrets := []string{graphToken, glToken, strings.Split(string(keyText), "\n")[1]}
	noSecret := func(what, out string) {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("the %s job printed a secret (%.8s…)", what, s)
			}
		}
	}

	// A merge request n: edits a policy's file on a branch (GitLab keeps
	// its head as refs/merge-requests/n/head) and runs the plan job.
	mr := func(n int, file string) (head string, out string) {
		iid, branch := itoa(n), "change-"+itoa(n)
		gitRun(t, dev, "checkout", "-q", "-b", branch, "origin/main")
		p := filepath.Join(dev, file)
		b, _ := os.ReadFile(p)
		os.WriteFile(p, []byte(strings.Replace(string(b), "\nstate: \"enabled\"\n", "\nstate: \"disabled\"\n", 1)), 0o644)
		gitRun(t, dev, "commit", "-q", "-am", "disable "+idOf(file))
		head = strings.TrimSpace(gitRun(t, dev, "rev-parse", "HEAD"))
		gitRun(t, dev, "push", "-q", "origin", branch, "HEAD:refs/merge-requests/"+iid+"/head")
		base := strings.TrimSpace(gitRun(t, l.remote, "rev-parse", "main"))
		out, err := glRunJobAt(t, l, "plan", "plan-"+iid, head, append(vars, "CI_PIPELINE_SOURCE=merge_request_event",
			"CI_MERGE_REQUEST_IID="+iid, "CI_MERGE_REQUEST_DIFF_BASE_SHA="+base, "CI_COMMIT_SHA="+head,
			"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME="+branch)...)
		if err != nil {
			t.Fatalf("plan job of !%d: %v\n%s", n, err, out)
		}
		noSecret("plan", out)
		api.mu.Lock()
		pid, jid := itoa(100+n), itoa(200+n)
		api.pipelines[iid] = []map[string]any{{"id": 100 + n, "sha": head, "status": "success"}}
		api.jobs[pid] = []map[string]any{{"id": 200 + n, "name": "plan", "status": "success"}}
		api.artifacts[jid] = filepath.Join(l.root, "plan-"+iid, "entrasnap-plan")
		api.mu.Unlock()
		return head, out
	}
	merge := func(n int, head string) string {
		branch := "change-" + itoa(n)
		gitRun(t, dev, "checkout", "-q", "main")
		gitRun(t, dev, "pull", "-q", "--ff-only", "origin", "main")
		gitRun(t, dev, "merge", "-q", "--no-ff", "-m", "Merge branch '"+branch+"' into 'main'", branch)
		gitRun(t, dev, "push", "-q", "origin", "main")
		sha := strings.TrimSpace(gitRun(t, dev, "rev-parse", "HEAD"))
		api.mu.Lock()
		api.mrs[sha] = map[string]any{"iid": n, "sha": head, "state": "merged", "target_branch": "main", "source_branch": branch}
		api.mu.Unlock()
		return sha
	}
	apply := func(name, sha string) (string, error) {
		out, err := glRunJobAt(t, l, "apply", name, sha, append(vars, "CI_PIPELINE_SOURCE=push", "CI_COMMIT_SHA="+sha,
			"CI_COMMIT_BRANCH=main", "AZURE_APPLY_CLIENT_ID=00000000-0000-4000-8000-0000000write", "ENTRASNAP_SIGNING_KEY="+fileVar)...)
		noSecret("apply", out)
		return out, err
	}

	// Merge request !1: planned, commented, merged, applied, recorded.
	head, out := mr(1, files[0])
	plan, err := os.ReadFile(filepath.Join(l.root, "plan-1", "entrasnap-plan", "plan.md"))
	if err != nil || !strings.Contains(string(plan), "### entrasnap plan: 1 to update") || !strings.Contains(string(plan), idOf(files[0])) {
		t.Fatalf("the plan artifact (%v):\n%s\n%s", err, plan, out)
	}
	if _, err := os.Stat(filepath.Join(l.root, "plan-1", "entrasnap-plan", "plan.json")); err != nil {
		t.Fatalf("no plan.json artifact: %v", err)
	}
	if notes := api.notes["1"]; len(notes) != 1 || notes[0] != string(plan) {
		t.Errorf("the merge request's comments: %q", notes)
	}
	if policyState(idOf(files[0])) != "enabled" {
		t.Fatal("the plan job wrote to the tenant")
	}
	sha := merge(1, head)
	out, err = apply("apply-1", sha)
	if err != nil || !strings.Contains(out, "Verified") {
		t.Fatalf("apply job: %v\n%s", err, out)
	}
	if got := policyState(idOf(files[0])); got != "disabled" {
		t.Fatalf("after apply the policy is %q\n%s", got, out)
	}
	// The merged files are the post-apply state: the snapshot is the merge
	// commit, and its tag, on the remote's main, is the apply job's, signed.
	tags := strings.Fields(gitRun(t, l.remote, "tag", "--points-at", "main"))
	allowed := gitcheck.AllowedSigners(t, keyDir, `entrasnap@gitlab.example.com namespaces="git" `+keyPub)
	if len(tags) != 1 || !strings.HasPrefix(tags[0], "snapshot/") {
		t.Fatalf("the post-apply snapshot's tag is not on the remote's main: %v\n%s", tags, out)
	}
	if vout, ok := gitcheck.Verify(t, l.remote, allowed, "verify-tag", tags[0]); !ok || !strings.Contains(vout, `Good "git" signature for entrasnap@gitlab.example.com`) {
		t.Errorf("git verify-tag %s:\n%s", tags[0], vout)
	}

	// Merge request !2: planned, then the policy changes in the tenant before the apply.
	head, _ = mr(2, files[1])
	graphCall(t, graphURL, graphToken, "PATCH", "/v1.0/identity/conditionalAccess/policies/"+idOf(files[1]), map[string]any{"displayName": "changed outside the repository"})
	before := gitRun(t, l.remote, "rev-parse", "main")
	sha = merge(2, head)
	out, err = apply("apply-2", sha)
	if code := exitCode(err); code != 1 || !strings.Contains(out, "changed since the plan was made") {
		t.Fatalf("a stale plan: exit %d, want 1 and refused\n%s", code, out)
	}
	if got := policyState(idOf(files[1])); got != "enabled" {
		t.Fatalf("a refused plan wrote: the policy is %q", got)
	}
	if after := gitRun(t, l.remote, "rev-parse", "main"); after == before || after != sha+"\n" {
		t.Errorf("the refused apply moved main: %s → %s (the merge is %s)", before, after, sha)
	}

	// A push no merge request made: nothing to apply.
	gitRun(t, dev, "pull", "-q", "--ff-only", "origin", "main")
	os.WriteFile(filepath.Join(dev, "NOTES.md"), []byte("runbook notes\n"), 0o644)
	gitRun(t, dev, "add", "NOTES.md")
	gitRun(t, dev, "commit", "-q", "-m", "notes")
	gitRun(t, dev, "push", "-q", "origin", "main")
	post := strings.TrimSpace(gitRun(t, dev, "rev-parse", "HEAD"))
	if out, err := apply("apply-none", post); err != nil || !strings.Contains(out, "No merge request merged this commit: nothing to apply.") {
		t.Errorf("a push without a merge request: %v\n%s", err, out)
	}
	gitRun(t, l.remote, "fsck", "--strict", "--no-progress")
}
