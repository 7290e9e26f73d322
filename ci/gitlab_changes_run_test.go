//go:build unix

package ci

import (
	"encoding/json"
	"fmt"
	"io/fs"
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

// glChanges is a run of the GitLab change-by-merge-request template: a
// bare remote holding the pipeline and a first snapshot, graphsim, and
// GitLab's API stand-in; mr, merge and apply run its jobs.
type glChanges struct {
	t                    *testing.T
	l                    *localRun
	dev                  string
	graphURL, graphToken string
	api                  *glChangesAPI
	vars                 []string
	keyDir, keyPub       string
	fileVar              string
	secrets              []string
}

// newGLChanges sets up a run; graphArgs go to `entrasnap graphsim`.
func newGLChanges(t *testing.T, graphArgs ...string) *glChanges {
	l := newLocalRun(t)
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (the job's image and before_script have it)", tool)
		}
	}
	g := &glChanges{t: t, l: l}
	g.graphURL, g.graphToken = graphsimProcess(t, graphArgs...)

	// The repository: the pipeline, and a first snapshot on main.
	g.dev = l.clone(t, "dev")
	if err := os.WriteFile(filepath.Join(g.dev, ".gitlab-ci.yml"), readTemplate(t, gitlabCI), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun(t, g.dev, "add", ".")
	gitRun(t, g.dev, "commit", "-q", "-m", "Add the entrasnap pipeline")
	export := exec.Command(entrasnapBin, "export", "--repo", g.dev, "--message", "baseline")
	export.Env = l.env("ENTRASNAP_GRAPH_URL="+g.graphURL, "ENTRASNAP_ACCESS_TOKEN="+g.graphToken)
	if out, err := export.CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	gitRun(t, g.dev, "push", "-q", "--follow-tags", "origin", "main")

	const glToken = "glpat-changesToken0123456789"
	g.api = &glChangesAPI{token: glToken, mrs: map[string]map[string]any{}, pipelines: map[string][]map[string]any{},
		jobs: map[string][]map[string]any{}, artifacts: map[string]string{}, notes: map[string][]string{}}
	srv := httptest.NewServer(g.api)
	t.Cleanup(srv.Close)

	var keyText []byte
	g.keyDir, g.keyPub, keyText, g.fileVar = l.glSigningFile(t)
	g.vars = []string{"ENTRASNAP_GRAPH_URL=" + g.graphURL, "ENTRASNAP_ACCESS_TOKEN=" + g.graphToken,
		"CI_API_V4_URL=" + srv.URL, "GITLAB_TOKEN=" + glToken, "AZURE_CLIENT_ID=00000000-0000-4000-8000-00000000read"}
	g.secrets = []string{g.graphToken, glToken, strings.Split(string(keyText), "\n")[1]}
	return g
}

func (g *glChanges) noSecret(what, out string) {
	for _, s := range g.secrets {
		if strings.Contains(out, s) {
			g.t.Errorf("the %s job printed a secret (%.8s…)", what, s)
		}
	}
}

// mr opens merge request n from branch: edit changes the checkout, which
// is committed with msg and pushed (GitLab keeps its head as
// refs/merge-requests/n/head), and the plan job runs; GitLab's API then
// lists its pipeline, job and artifact.
func (g *glChanges) mr(n int, branch, msg string, edit func(dev string)) (head, out string, err error) {
	t, dev := g.t, g.dev
	iid := itoa(n)
	gitRun(t, dev, "checkout", "-q", "-b", branch, "origin/main")
	edit(dev)
	gitRun(t, dev, "add", "-A")
	gitRun(t, dev, "commit", "-q", "-m", msg)
	head = strings.TrimSpace(gitRun(t, dev, "rev-parse", "HEAD"))
	gitRun(t, dev, "push", "-q", "origin", branch, "HEAD:refs/merge-requests/"+iid+"/head")
	base := strings.TrimSpace(gitRun(t, g.l.remote, "rev-parse", "main"))
	out, err = glRunJobAt(t, g.l, "plan", "plan-"+iid, head, append(g.vars, "CI_PIPELINE_SOURCE=merge_request_event",
		"CI_MERGE_REQUEST_IID="+iid, "CI_MERGE_REQUEST_DIFF_BASE_SHA="+base, "CI_COMMIT_SHA="+head,
		"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME="+branch)...)
	g.noSecret("plan", out)
	g.api.mu.Lock()
	pid, jid := itoa(100+n), itoa(200+n)
	g.api.pipelines[iid] = []map[string]any{{"id": 100 + n, "sha": head, "status": "success"}}
	g.api.jobs[pid] = []map[string]any{{"id": 200 + n, "name": "plan", "status": "success"}}
	g.api.artifacts[jid] = filepath.Join(g.l.root, "plan-"+iid, "entrasnap-plan")
	g.api.mu.Unlock()
	return head, out, err
}

// merge merges branch (merge request n, head) into main with a merge
// commit and pushes it; GitLab's API then lists the merge request for it.
func (g *glChanges) merge(n int, branch, head string) string {
	t, dev := g.t, g.dev
	gitRun(t, dev, "checkout", "-q", "main")
	gitRun(t, dev, "pull", "-q", "--ff-only", "origin", "main")
	gitRun(t, dev, "merge", "-q", "--no-ff", "-m", "Merge branch '"+branch+"' into 'main'", branch)
	gitRun(t, dev, "push", "-q", "origin", "main")
	sha := strings.TrimSpace(gitRun(t, dev, "rev-parse", "HEAD"))
	g.api.mu.Lock()
	g.api.mrs[sha] = map[string]any{"iid": n, "sha": head, "state": "merged", "target_branch": "main", "source_branch": branch}
	g.api.mu.Unlock()
	return sha
}

// apply runs the apply job at sha, a push to main.
func (g *glChanges) apply(name, sha string) (string, error) {
	out, err := glRunJobAt(g.t, g.l, "apply", name, sha, append(g.vars, "CI_PIPELINE_SOURCE=push", "CI_COMMIT_SHA="+sha,
		"CI_COMMIT_BRANCH=main", "AZURE_APPLY_CLIENT_ID=00000000-0000-4000-8000-0000000write", "ENTRASNAP_SIGNING_KEY="+g.fileVar)...)
	g.noSecret("apply", out)
	return out, err
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
	g := newGLChanges(t)
	l, dev, api := g.l, g.dev, g.api
	files := enabledPolicyFiles(t, dev)
	idOf := objectIDOf
	policyState := func(id string) string {
		return graphCall(t, g.graphURL, g.graphToken, "GET", "/v1.0/identity/conditionalAccess/policies/"+id, nil)["state"].(string)
	}
	// A merge request n disables a policy's file.
	mr := func(n int, file string) (head string, out string) {
		head, out, err := g.mr(n, "change-"+itoa(n), "disable "+idOf(file), func(dev string) {
			p := filepath.Join(dev, file)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), "\nstate: \"enabled\"\n", "\nstate: \"disabled\"\n", 1)), 0o644)
		})
		if err != nil {
			t.Fatalf("plan job of !%d: %v\n%s", n, err, out)
		}
		return head, out
	}
	merge := func(n int, head string) string { return g.merge(n, "change-"+itoa(n), head) }
	apply := g.apply
	keyDir, keyPub, graphURL, graphToken := g.keyDir, g.keyPub, g.graphURL, g.graphToken

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

// TestGitLabChangesWithHostileNamesRunLocally (rest22): the GitLab
// template's plan and apply jobs with hostile file names and values in the
// changed files and an odd branch name, against graphsim with realistic
// throttling. Shell syntax in names and values ($(…), backticks, quotes,
// ;|&, ${VAR}), newlines, bidi overrides and leading dashes are data: no
// job evaluates them (a canary file is never made, no secret is printed),
// the plan shows them escaped, apply writes them to the tenant exactly;
// a file that fails validation is named in the refused plan.
func TestGitLabChangesWithHostileNamesRunLocally(t *testing.T) {
	g := newGLChanges(t, "--throttle", "realistic")
	const canary = "PWNED"
	sh := "$(touch${IFS}" + canary + ")`touch${IFS}" + canary + "`"
	// Quotes balanced, so that a shell that evaluated a name would run it.
	branch := "chg/'it'-\"" + sh + "\"-ü;x|&${GITLAB_TOKEN}"
	groupName := "-rf " + sh + " \"q\" 'x' ${GITLAB_TOKEN} ;|& \u202egnp.exe ü\nline two"
	policyName := "--help " + sh + " \u202e\"CA\"\n# not a heading"
	files := enabledPolicyFiles(t, g.dev)
	newFile := "groups/new-" + sh + "'\"ü\"';x.yaml"

	// Merge request !1 names the files after their hostile names: the plan
	// is refused, naming each file and the name to give it.
	write := func(dev, groupFile, policyFile string) {
		b := fmt.Appendf(nil, "displayName: %s\ngroupTypes: []\nmailEnabled: false\nmailNickname: \"hostile-nick\"\nsecurityEnabled: true\ndescription: %s\n",
			yamlQuote(groupName), yamlQuote("-- $HOME `id` ${CI_JOB_TOKEN}"))
		if err := os.WriteFile(filepath.Join(dev, groupFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dev, files[0])
		old, _ := os.ReadFile(p)
		lines := strings.Split(string(old), "\n")
		for i, line := range lines {
			if strings.HasPrefix(line, "displayName: ") {
				lines[i] = "displayName: " + yamlQuote(policyName)
			}
		}
		os.Remove(p)
		os.WriteFile(filepath.Join(dev, policyFile), []byte(strings.Join(lines, "\n")), 0o644)
	}
	policyFile := filepath.Join(filepath.Dir(files[0]), "-"+sh+"\n."+objectIDOf(files[0])+".yaml")
	_, out, err := g.mr(1, branch, "hostile "+sh, func(dev string) { write(dev, newFile, policyFile) })
	refused, _ := os.ReadFile(filepath.Join(g.l.root, "plan-1", "entrasnap-plan", "plan.md"))
	keeps := regexp.MustCompile(`keeps this object at (\S+\.yaml);`).FindStringSubmatch(string(refused))
	rename := regexp.MustCompile(`e\.g\. to (groups/\S+\.yaml)`).FindStringSubmatch(string(refused))
	if exitCode(err) != 1 || !strings.Contains(string(refused), "### entrasnap plan: refused") || keeps == nil || rename == nil {
		t.Fatalf("a plan of files with hostile names: exit %d\n%s\n%s", exitCode(err), refused, out)
	}
	for _, raw := range []string{"\u202e", "\nline two", "\n# not a heading", sh + "\n"} {
		if strings.Contains(string(refused), raw) {
			t.Errorf("the refused plan shows %q raw:\n%s", raw, refused)
		}
	}

	// Merge request !2: the same content at the names the refusal gave.
	head, out, err := g.mr(2, branch+"2", "hostile "+sh, func(dev string) { write(dev, rename[1], keeps[1]) })
	if err != nil {
		t.Fatalf("plan job: %v\n%s", err, out)
	}
	plan, _ := os.ReadFile(filepath.Join(g.l.root, "plan-2", "entrasnap-plan", "plan.md"))
	if !strings.Contains(string(plan), "### entrasnap plan: ") || !strings.Contains(string(plan), "1 to create") || !strings.Contains(string(plan), "1 to update") {
		t.Fatalf("the plan:\n%s\n%s", plan, out)
	}
	for _, raw := range []string{"\u202e", "\nline two", "\n# not a heading"} {
		if strings.Contains(string(plan), raw) {
			t.Errorf("the plan shows %q raw:\n%s", raw, plan)
		}
	}
	if notes := g.api.notes["2"]; len(notes) != 1 || notes[0] != string(plan) {
		t.Errorf("the merge request's comments: %q", notes)
	}
	sha := g.merge(2, branch+"2", head)
	out, err = g.apply("apply-1", sha)
	if err != nil || !strings.Contains(out, "Verified") {
		t.Fatalf("apply job: %v\n%s", err, out)
	}
	pol := graphCall(t, g.graphURL, g.graphToken, "GET", "/v1.0/identity/conditionalAccess/policies/"+objectIDOf(files[0]), nil)
	if pol["displayName"] != policyName {
		t.Errorf("the policy's displayName in the tenant: %q, want %q", pol["displayName"], policyName)
	}
	groups := graphCall(t, g.graphURL, g.graphToken, "GET", "/v1.0/groups?$select=displayName,description&$top=999", nil)
	found := false
	for _, it := range groups["value"].([]any) {
		if m := it.(map[string]any); m["displayName"] == groupName {
			found = m["description"] == "-- $HOME `id` ${CI_JOB_TOKEN}"
		}
	}
	if !found {
		t.Errorf("no group named %q with its description as written in the tenant", groupName)
	}

	// A file that fails validation, named with a newline, a leading dash
	// and shell syntax: the plan is refused, naming it.
	bad := "groups/new--rf\n" + sh + ".yaml"
	_, out, err = g.mr(3, "bad-"+itoa(3), "bad file", func(dev string) {
		os.WriteFile(filepath.Join(dev, bad), []byte("displayName: [unclosed\n"), 0o644)
	})
	refused, _ = os.ReadFile(filepath.Join(g.l.root, "plan-3", "entrasnap-plan", "plan.md"))
	if exitCode(err) != 1 || !strings.Contains(string(refused), "### entrasnap plan: refused") || !strings.Contains(string(refused), `new--rf\n`) {
		t.Errorf("a plan with an invalid file: exit %d\n%s\n%s", exitCode(err), refused, out)
	}

	filepath.WalkDir(g.l.root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == canary {
			t.Errorf("a job ran a name or value as a command: %s exists", p)
		}
		return nil
	})
}

// yamlQuote writes s as a YAML double-quoted scalar (JSON's escapes are
// YAML's).
func yamlQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
