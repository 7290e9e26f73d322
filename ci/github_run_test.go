//go:build unix

package ci

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// This file runs the GitHub workflow's jobs on this machine: each run: step
// with bash, in order, with the workflow's, job's and step's env (GitHub
// expressions substituted from a fixed table), GITHUB_ENV, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY handled as the runner does. actions/checkout is a
// `git clone` of a bare remote on disk; actions/setup-go and the install
// step are covered by the entrasnap built in TestMain being on PATH; gh is a
// stand-in that records its calls. Graph is graphsim, started as
// `entrasnap graphsim` and reached through ENTRASNAP_GRAPH_URL and
// ENTRASNAP_ACCESS_TOKEN, which take precedence over the federated token the
// sign-in step writes (that step runs too, against a stand-in token endpoint).

// fakeGH records `gh pr list|create|edit` and keeps the open pull requests
// in $GH_STATE: open-<head> holds the number, pr-<n>.md the last body.
const fakeGH = `#!/usr/bin/env bash
set -euo pipefail
: "${GH_TOKEN:?gh needs GH_TOKEN}"
printf 'gh' >> "$GH_LOG"; printf ' %q' "$@" >> "$GH_LOG"; echo >> "$GH_LOG"
[ "$1" = pr ] || { echo "fake gh: unsupported: $*" >&2; exit 1; }
sub=$2; shift 2
number=""; head=""; body=""
while [ $# -gt 0 ]; do
  case "$1" in
    --head) head=$2; shift 2 ;;
    --body-file) body=$2; shift 2 ;;
    --base|--title|--state|--json|--jq) shift 2 ;;
    -*) echo "fake gh: unknown flag $1" >&2; exit 1 ;;
    *) number=$1; shift ;;
  esac
done
key=$(printf '%s' "$head" | tr / _)
case "$sub" in
  list) [ -f "$GH_STATE/open-$key" ] && cat "$GH_STATE/open-$key"; exit 0 ;;
  create)
    n=$(( $(cat "$GH_STATE/counter" 2> /dev/null || echo 0) + 1 ))
    echo "$n" > "$GH_STATE/counter"
    echo "$n" > "$GH_STATE/open-$key"
    cp "$body" "$GH_STATE/pr-$n.md"
    echo "https://github.com/contoso/tenant-backup/pull/$n" ;;
  edit) cp "$body" "$GH_STATE/pr-$number.md" ;;
  *) echo "fake gh: unsupported: pr $sub" >&2; exit 1 ;;
esac
`

// ghRunner runs jobs of the workflow against one remote and one graphsim.
type ghRunner struct {
	t        *testing.T
	w        *ghWorkflow
	remote   string
	pathEnv  string
	base     []string // the environment every step starts from
	ghLog    string
	ghState  string
	tokenURL string
	secrets  []string          // must never appear in any output
	skip     map[string]string // step id → why this machine cannot run it
	// cond, when set, evaluates the if: of jobs and steps (the test's own
	// table of the expressions it knows); nil: an if: fails the test.
	cond func(expr string, outputs map[string]map[string]string) bool
	// artifacts, when set, is where actions/upload-artifact puts files
	// (artifacts/<name>/<file>).
	artifacts string
}

// ghJobResult is what one run of a job did.
type ghJobResult struct {
	failedStep string // "" when every step passed
	skipped    bool   // the job's if: was false
	exit       int
	summary    string
	output     string // stdout and stderr of every step
	outputs    map[string]map[string]string
	runnerTemp string
}

var fullSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

var exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// expand substitutes ${{ expr }} from ctx and the steps' outputs; an
// expression the table does not hold fails the test, so a new one must be
// added here on purpose.
// signingSecret makes the SSH signing key a CI secret holds (in a new
// folder: its folder, its public key and the private key file's bytes)
// and adds every line of the key to r's secrets, so that no line of it is
// ever printed.
func (r *ghRunner) signingSecret(t *testing.T) (dir, pub string, key []byte) {
	t.Helper()
	dir = t.TempDir()
	file, pub := gitcheck.SSHKey(t, dir, "ci-signing", "ed25519", "")
	key, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(key), "\n") {
		if len(l) > 20 && !strings.HasPrefix(l, "-----") {
			r.secrets = append(r.secrets, l)
		}
	}
	return dir, pub, key
}

func (r *ghRunner) expand(s string, ctx map[string]string, outputs map[string]map[string]string) string {
	return exprRe.ReplaceAllStringFunc(s, func(m string) string {
		expr := exprRe.FindStringSubmatch(m)[1]
		if v, ok := ctx[expr]; ok {
			return v
		}
		if p := strings.Split(expr, "."); len(p) == 4 && p[0] == "steps" && p[2] == "outputs" {
			return outputs[p[1]][p[3]]
		}
		r.t.Fatalf("the local runner does not know the expression %q; add it to the test's table", expr)
		return ""
	})
}

// parseEnvFile reads GITHUB_ENV / GITHUB_OUTPUT lines: NAME=value and
// NAME<<DELIMITER ... DELIMITER.
func parseEnvFile(t *testing.T, file string) map[string]string {
	t.Helper()
	out := map[string]string{}
	b, err := os.ReadFile(file)
	if err != nil {
		return out
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if name, delim, ok := strings.Cut(l, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("%s: bad line %q", file, l)
		}
		out[name] = val
	}
	return out
}

// runJob runs job from a fresh clone, as a new runner would.
func (r *ghRunner) runJob(name, event string, ctx map[string]string) *ghJobResult {
	t := r.t
	t.Helper()
	job, ok := r.w.Jobs[name]
	if !ok {
		t.Fatalf("no job %s", name)
	}
	if job.If != "" {
		if r.cond == nil {
			t.Fatalf("job %s has if: %q, which the local runner does not evaluate", name, job.If)
		}
		if !r.cond(job.If, nil) {
			return &ghJobResult{skipped: true}
		}
	}
	root := t.TempDir()
	work := filepath.Join(root, "work")
	res := &ghJobResult{outputs: map[string]map[string]string{}, runnerTemp: filepath.Join(root, "runner-temp")}
	ctx = maps.Clone(ctx)
	ctx["runner.temp"] = res.runnerTemp
	ctx["github.event_name"] = event
	os.MkdirAll(res.runnerTemp, 0o755)
	githubEnv := filepath.Join(root, "github-env")
	os.WriteFile(githubEnv, nil, 0o644)
	added := map[string]string{} // from GITHUB_ENV
	var out bytes.Buffer

	for i, s := range job.Steps {
		label := fmt.Sprintf("%s.steps[%d] %s", name, i, s.ID)
		if s.If != "" {
			if r.cond == nil {
				t.Fatalf("%s has if: %q, which the local runner does not evaluate", label, s.If)
			}
			if !r.cond(s.If, res.outputs) {
				continue
			}
		}
		switch {
		case strings.HasPrefix(s.Uses, "actions/checkout@"):
			depth := s.With["fetch-depth"]
			args := []string{"clone", "-q", "--no-local"}
			if depth != "0" {
				args = append(args, "--depth", "1")
				if depth == "" {
					depth = "1"
				}
			}
			gitRun(t, root, append(args, r.remote, work)...)
			if ref := r.expand(s.With["ref"], ctx, res.outputs); fullSHA.MatchString(ref) {
				gitRun(t, work, "checkout", "-q", "--detach", ref)
			} else if ref != "" {
				gitRun(t, work, "checkout", "-q", "-B", ref, "origin/"+ref)
			}
			continue
		case strings.HasPrefix(s.Uses, "actions/upload-artifact@") && r.artifacts != "":
			dir := filepath.Join(r.artifacts, r.expand(s.With["name"], ctx, res.outputs))
			src := r.expand(s.With["path"], ctx, res.outputs)
			os.MkdirAll(dir, 0o755)
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatalf("%s: upload-artifact: %v", label, err)
			}
			os.WriteFile(filepath.Join(dir, filepath.Base(src)), b, 0o644)
			continue
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
			continue // Go is on PATH
		case s.Uses != "":
			t.Fatalf("%s uses %s, which the local runner does not emulate", label, s.Uses)
		case r.skip[s.ID] != "":
			t.Logf("%s skipped: %s", label, r.skip[s.ID])
			continue
		case s.ID == "install":
			// The CLI built from this module is on PATH; the step must install that same command.
			if !strings.Contains(s.Run, "go install \"github.com/entrasnap/entrasnap/cmd/entrasnap@") {
				t.Fatalf("%s does not install github.com/entrasnap/entrasnap/cmd/entrasnap: %q", label, s.Run)
			}
			continue
		}
		if s.Run == "" {
			t.Fatalf("%s: neither uses: nor run:", label)
		}
		shell := s.Shell
		if shell == "" {
			shell = r.w.Defaults.Run.Shell
		}
		if shell != "bash" {
			t.Fatalf("%s: shell %q; the local runner runs bash only", label, shell)
		}
		script := filepath.Join(root, fmt.Sprintf("step-%d.sh", i))
		os.WriteFile(script, []byte(s.Run), 0o644)
		outFile := filepath.Join(root, fmt.Sprintf("output-%d", i))
		summary := filepath.Join(root, fmt.Sprintf("summary-%d", i))
		os.WriteFile(outFile, nil, 0o644)
		os.WriteFile(summary, nil, 0o644)

		env := append([]string(nil), r.base...)
		env = append(env,
			"GITHUB_EVENT_NAME="+event, "GITHUB_WORKSPACE="+work, "RUNNER_TEMP="+res.runnerTemp,
			"GITHUB_ENV="+githubEnv, "GITHUB_OUTPUT="+outFile, "GITHUB_STEP_SUMMARY="+summary,
			"ACTIONS_ID_TOKEN_REQUEST_URL="+r.tokenURL+"?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=request-token-for-oidc")
		for _, m := range []map[string]string{r.w.Env, job.Env, added, s.Env} {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				env = append(env, k+"="+r.expand(m[k], ctx, res.outputs))
			}
		}
		dir := work
		if s.WorkingDirectory != "" {
			dir = filepath.Join(work, s.WorkingDirectory)
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir, cmd.Env = dir, env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		var stepOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stepOut, &stepOut
		err := cmd.Run()
		// Background processes of the step (the token refresher) belong to
		// its process group: this runner ends them with the step.
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		}
		fmt.Fprintf(&out, "--- %s\n%s", label, stepOut.String())
		for k, v := range parseEnvFile(t, githubEnv) {
			added[k] = v
		}
		if s.ID != "" {
			res.outputs[s.ID] = parseEnvFile(t, outFile)
		}
		b, _ := os.ReadFile(summary)
		res.summary += string(b)
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("%s: %v", label, err)
			}
			res.failedStep, res.exit = s.ID, ee.ExitCode()
			break
		}
	}
	res.output = out.String()
	for _, sec := range r.secrets {
		if strings.Contains(res.output, sec) || strings.Contains(res.summary, sec) {
			t.Errorf("job %s printed a secret (%.6s…)", name, sec)
		}
	}
	return res
}

func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "LC_ALL=C",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// remoteHeads lists the remote's branches as `git ls-remote --heads` does.
func remoteHeads(t *testing.T, remote string) map[string]string {
	t.Helper()
	heads := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(gitRun(t, remote, "ls-remote", "--heads", remote)), "\n") {
		if h, n, ok := strings.Cut(l, "\t"); ok {
			heads[strings.TrimPrefix(n, "refs/heads/")] = h
		}
	}
	return heads
}

func remoteTags(t *testing.T, remote string) []string {
	t.Helper()
	var tags []string
	for _, l := range strings.Split(strings.TrimSpace(gitRun(t, remote, "ls-remote", "--tags", "--refs", remote)), "\n") {
		if _, n, ok := strings.Cut(l, "\t"); ok {
			tags = append(tags, strings.TrimPrefix(n, "refs/tags/"))
		}
	}
	return tags
}

// graphsimProcess starts `entrasnap graphsim --profile demo` and returns its
// URL and token; it is stopped when the test ends.
func graphsimProcess(t *testing.T, args ...string) (url, token string) {
	t.Helper()
	cmd := exec.Command(entrasnapBin, append([]string{"graphsim", "--profile", "demo", "--seed", "1"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("graphsim: %v\n%s", err, stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	var info struct {
		URL   string `json:"url"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(line), &info); err != nil || info.URL == "" || info.Token == "" {
		t.Fatalf("graphsim's first line %q: %v", line, err)
	}
	return info.URL, info.Token
}

// graphCall sends one Graph request to graphsim and decodes the answer.
func graphCall(t *testing.T, url, token, method, path string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	var data []byte
	var resp *http.Response
	for try := 0; ; try++ {
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, url+path, rd)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		var err error
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		// graphsim --throttle realistic: wait as Graph's Retry-After says.
		if resp.StatusCode != http.StatusTooManyRequests || try == 10 {
			break
		}
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		time.Sleep(time.Duration(max(wait, 1)) * time.Second)
	}
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	var v map[string]any
	if len(data) > 0 {
		json.Unmarshal(data, &v)
	}
	return v
}

func firstOf(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	list, _ := v["value"].([]any)
	if len(list) == 0 {
		t.Fatalf("an empty list: %v", v)
	}
	return list[0].(map[string]any)
}

// TestGitHubWorkflowRunsLocally runs the workflow's jobs four times against
// graphsim and a bare remote, checking the remote with the git CLI after
// each run.
func TestGitHubWorkflowRunsLocally(t *testing.T) {
	l := newLocalRun(t)
	root, remote, bin, skip := l.root, l.remote, l.bin, l.skip
	graphURL, graphToken := graphsimProcess(t)

	// The repository as a user sets it up: the workflow and the watch file on main.
	seed := l.clone(t, "seed")
	for src, dst := range map[string]string{githubWorkflow: ".github/workflows/entrasnap-backup.yml", watchFile: ".entrasnap/watch.yaml"} {
		os.MkdirAll(filepath.Join(seed, filepath.Dir(dst)), 0o755)
		if err := os.WriteFile(filepath.Join(seed, dst), readTemplate(t, src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitRun(t, seed, "add", ".")
	gitRun(t, seed, "commit", "-q", "-m", "Add the entrasnap workflow")
	gitRun(t, seed, "push", "-q", "origin", "main")
	seedHead := remoteHeads(t, remote)["main"]

	// Stand-ins: gh, and GitHub's OIDC token endpoint.
	os.WriteFile(filepath.Join(bin, "gh"), []byte(fakeGH), 0o755)
	const oidcToken = "eyJhbGciOiJSUzI1NiJ9.github-oidc-token-for-entra.sig"
	var oidcCalls atomic.Int32
	oidc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Authorization") != "bearer request-token-for-oidc" || req.URL.Query().Get("audience") != "api://AzureADTokenExchange" {
			http.Error(w, "bad token request", http.StatusBadRequest)
			return
		}
		oidcCalls.Add(1)
		json.NewEncoder(w).Encode(map[string]string{"value": oidcToken})
	}))
	defer oidc.Close()

	const ghToken = "ghs_localRunToken0123456789abcdef"
	r := &ghRunner{
		t: t, w: loadGitHubWorkflow(t), remote: remote,
		ghLog: filepath.Join(root, "gh.log"), ghState: filepath.Join(root, "gh-state"), tokenURL: oidc.URL,
		secrets: []string{ghToken, graphToken, oidcToken}, skip: skip,
	}
	os.MkdirAll(r.ghState, 0o755)
	r.base = l.env("ENTRASNAP_GRAPH_URL="+graphURL, "ENTRASNAP_ACCESS_TOKEN="+graphToken,
		"GH_LOG="+r.ghLog, "GH_STATE="+r.ghState)
	// The signing key in the repository's secrets, from run 2 on (run 1
	// makes an unsigned baseline, as a repository that turns signing on
	// later has).
	keyDir, keyPub, keyBytes := r.signingSecret(t)
	signingKey := ""
	ctx := func(description string) map[string]string {
		return map[string]string{
			"secrets.ENTRASNAP_SIGNING_KEY": signingKey, "secrets.ENTRASNAP_SIGNING_KEY_PASSPHRASE": "",
			"vars.AZURE_TENANT_ID": "", "vars.AZURE_CLIENT_ID": "",
			"inputs.description":                     description,
			"github.event.repository.default_branch": "main",
			"github.token":                           ghToken,
		}
	}
	ghCalls := func() string { b, _ := os.ReadFile(r.ghLog); return string(b) }
	mustPass := func(res *ghJobResult, what string) {
		t.Helper()
		if res.failedStep != "" {
			t.Fatalf("%s: step %s failed with exit %d\n%s", what, res.failedStep, res.exit, res.output)
		}
	}

	// Run 1: no snapshot yet. The first snapshot goes to main; no pull request.
	res := r.runJob("backup", "schedule", ctx(""))
	mustPass(res, "first run")
	heads := remoteHeads(t, remote)
	if len(heads) != 1 || heads["main"] == seedHead {
		t.Fatalf("after the first run the remote has %v; want main moved past %s", heads, seedHead)
	}
	log := strings.Split(strings.TrimSpace(gitRun(t, remote, "log", "--format=%H %s", "main")), "\n")
	if len(log) != 2 || !strings.HasSuffix(log[0], "entrasnap snapshot: daily snapshot") || !strings.HasPrefix(log[1], seedHead) {
		t.Errorf("git log main after the first run:\n%s", strings.Join(log, "\n"))
	}
	if tags := remoteTags(t, remote); len(tags) != 1 || !strings.HasPrefix(tags[0], "snapshot/") {
		t.Errorf("remote tags %v, want one snapshot tag", tags)
	}
	if files := gitRun(t, remote, "ls-tree", "-r", "--name-only", "main"); !strings.Contains(files, "conditional-access/policies/") ||
		!strings.Contains(files, ".github/workflows/entrasnap-backup.yml") || !strings.Contains(files, ".entrasnap/watch.yaml") {
		t.Errorf("files on main:\n%s", files)
	}
	if !strings.Contains(res.summary, "first snapshot") || !strings.Contains(res.summary, "it is the baseline") {
		t.Errorf("job summary of the first run:\n%s", res.summary)
	}
	if c := ghCalls(); c != "" {
		t.Errorf("gh was called on the first run:\n%s", c)
	}
	if skip["federated-token"] == "" {
		if oidcCalls.Load() == 0 {
			t.Error("the sign-in step did not fetch GitHub's OIDC token")
		}
		if b, err := os.ReadFile(filepath.Join(res.runnerTemp, "azure-federated-token")); err != nil || string(b) != oidcToken {
			t.Errorf("AZURE_FEDERATED_TOKEN_FILE holds %q (%v)", b, err)
		}
	}
	if d := r.runJob("drift", "schedule", ctx("")); d.failedStep != "" {
		t.Fatalf("drift right after the first snapshot failed (%s, exit %d):\n%s", d.failedStep, d.exit, d.output)
	}

	// A Conditional Access policy changes in the tenant.
	policy := firstOf(t, graphCall(t, graphURL, graphToken, "GET", "/v1.0/identity/conditionalAccess/policies", nil))
	newState := "disabled"
	if policy["state"] == "disabled" {
		newState = "enabled"
	}
	graphCall(t, graphURL, graphToken, "PATCH", "/v1.0/identity/conditionalAccess/policies/"+policy["id"].(string), map[string]any{"state": newState})
	policyName := policy["displayName"].(string)

	// Run 2, by hand: a review branch pushed, a pull request opened with
	// the diff; signed from now on.
	signingKey = string(keyBytes)
	res = r.runJob("backup", "workflow_dispatch", ctx("pre-change snapshot"))
	mustPass(res, "run with a change")
	// By hand: the relationships the audit log would drive are read whole
	// (no --scheduled: a pre-change snapshot holds every change before it).
	if !strings.Contains(res.output, "not a scheduled run") {
		t.Errorf("a run by hand did not read PIM for Groups whole (no --scheduled):\n%s", res.output)
	}
	branch := res.outputs["export"]["branch"]
	if left, _ := filepath.Glob(filepath.Join(res.runnerTemp, "signing-key*")); len(left) > 0 {
		t.Errorf("the signing key file was left behind: %v", left)
	}
	allowed := gitcheck.AllowedSigners(t, keyDir, `41898282+github-actions[bot]@users.noreply.github.com namespaces="git" `+keyPub)
	if out, ok := gitcheck.Verify(t, remote, allowed, "verify-commit", "refs/heads/"+branch); !ok {
		t.Errorf("git verify-commit of the pushed snapshot:\n%s", out)
	}
	firstSigned := strings.TrimSpace(gitRun(t, remote, "rev-parse", "refs/heads/"+branch))
	if !regexp.MustCompile(`^entrasnap/snapshot-\d{4}-\d{2}-\d{2}$`).MatchString(branch) {
		t.Fatalf("branch output %q", branch)
	}
	heads = remoteHeads(t, remote)
	mainHead := heads["main"]
	if heads[branch] == "" || len(heads) != 2 {
		t.Fatalf("remote branches after a change: %v, want main and %s", heads, branch)
	}
	if got := strings.TrimSpace(gitRun(t, remote, "log", "--format=%s", "main.."+branch)); got != "entrasnap snapshot: pre-change snapshot" {
		t.Errorf("git log main..%s = %q", branch, got)
	}
	if parent := strings.TrimSpace(gitRun(t, remote, "rev-parse", branch+"~1")); parent != mainHead {
		t.Errorf("the branch forks from %s, not main %s", parent, mainHead)
	}
	calls := ghCalls()
	if !strings.Contains(calls, "gh pr list --head "+branch) || !strings.Contains(calls, "gh pr create --base main --head "+branch) ||
		!strings.Contains(calls, "--body-file "+filepath.Join(res.runnerTemp, "pr.md")) {
		t.Errorf("gh calls:\n%s", calls)
	}
	body, err := os.ReadFile(filepath.Join(r.ghState, "pr-1.md"))
	if err != nil {
		t.Fatalf("no pull request body: %v", err)
	}
	for _, want := range []string{"### entrasnap diff:", "Conditional Access policies", policyName, "`state: "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the pull request body lacks %q:\n%s", want, body)
		}
	}
	if !strings.Contains(res.summary, policyName) {
		t.Errorf("the job summary does not show the diff:\n%s", res.summary)
	}
	d := r.runJob("drift", "schedule", ctx(""))
	if d.failedStep != "drift" || d.exit != 2 || !strings.Contains(d.summary, policyName) {
		t.Errorf("drift with an unapproved Conditional Access change: step %q exit %d, want drift exit 2\n%s\n%s", d.failedStep, d.exit, d.summary, d.output)
	}

	// Run 3, the same day: a group changes too; the same pull request is updated
	// with everything since main.
	group := firstOf(t, graphCall(t, graphURL, graphToken, "GET", "/v1.0/groups?$select=id,displayName,description", nil))
	graphCall(t, graphURL, graphToken, "PATCH", "/v1.0/groups/"+group["id"].(string), map[string]any{"description": "changed by the CI test"})
	res = r.runJob("backup", "schedule", ctx(""))
	mustPass(res, "second run the same day")
	if strings.Contains(res.output, "not a scheduled run") {
		t.Errorf("the scheduled run did not pass --scheduled:\n%s", res.output)
	}
	if b := res.outputs["export"]["branch"]; b != branch {
		t.Logf("the day changed between runs (%s, %s): the update of the same pull request is not checked", branch, b)
		branch = b
	} else {
		if n := strings.Count(gitRun(t, remote, "rev-list", "main.."+branch), "\n"); n != 2 {
			t.Errorf("%d commits on %s over main, want 2", n, branch)
		}
		if calls := ghCalls(); !strings.Contains(calls, "gh pr edit 1 --body-file") || strings.Count(calls, "gh pr create") != 1 {
			t.Errorf("gh calls after the second run:\n%s", calls)
		}
		body, _ := os.ReadFile(filepath.Join(r.ghState, "pr-1.md"))
		for _, want := range []string{policyName, group["displayName"].(string), "changed by the CI test"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("the updated body lacks %q:\n%s", want, body)
			}
		}
	}

	// The pull request is merged (a merge commit) and its branch deleted.
	merge := filepath.Join(root, "merge")
	gitRun(t, root, "clone", "-q", remote, merge)
	gitRun(t, merge, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "origin/"+branch)
	gitRun(t, merge, "push", "-q", "origin", "main", ":refs/heads/"+branch)
	os.Remove(filepath.Join(r.ghState, "open-"+strings.ReplaceAll(branch, "/", "_")))
	mainHead = remoteHeads(t, remote)["main"]
	tagsBefore := remoteTags(t, remote)
	callsBefore := ghCalls()

	// Run 4: nothing changed since the merge: no branch, no pull request, drift passes.
	res = r.runJob("backup", "schedule", ctx(""))
	mustPass(res, "run without changes")
	heads = remoteHeads(t, remote)
	if len(heads) != 1 || heads["main"] != mainHead {
		t.Errorf("remote branches after a run without changes: %v (main was %s)", heads, mainHead)
	}
	if ghCalls() != callsBefore {
		t.Errorf("gh was called without changes:\n%s", strings.TrimPrefix(ghCalls(), callsBefore))
	}
	if b, err := os.ReadFile(filepath.Join(res.runnerTemp, "pr.md")); err == nil && len(b) > 0 {
		t.Errorf("a pull request body without changes:\n%s", b)
	}
	if !strings.Contains(res.summary, "No change") {
		t.Errorf("job summary:\n%s", res.summary)
	}
	if tags := remoteTags(t, remote); len(tags) != len(tagsBefore)+1 {
		t.Errorf("tags went from %v to %v: the day's tag should be pushed", tagsBefore, tags)
	} else if peeled := strings.TrimSpace(gitRun(t, remote, "rev-parse", tags[len(tags)-1]+"^{commit}")); peeled != mainHead {
		t.Logf("the newest tag %s points at %s (main %s)", tags[len(tags)-1], peeled, mainHead)
	}
	if d := r.runJob("drift", "schedule", ctx("")); d.failedStep != "" {
		t.Errorf("drift after the merge failed (%s, exit %d):\n%s", d.failedStep, d.exit, d.output)
	}
	gitRun(t, remote, "fsck", "--strict", "--no-progress")

	// The remote's history verifies from the first signed snapshot on: the
	// signed commits and tags, and the pull request's merge (unsigned, with
	// the signed snapshot's files); the unsigned baseline before is exempt.
	check := exec.Command(entrasnapBin, "check", "--repo", remote, "--verify-signatures", "--allowed-signers", allowed, "--signed-since", firstSigned)
	check.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := check.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "merges whose files are a signed parent's") && !strings.Contains(string(out), "a merge whose files are a signed parent's") {
		t.Errorf("check --verify-signatures of the remote: %v\n%s", err, out)
	}
	check = exec.Command(entrasnapBin, "check", "--repo", remote, "--verify-signatures", "--allowed-signers", allowed)
	if out, err := check.CombinedOutput(); !strings.Contains(string(out), "unsigned") || exitCode(err) != 4 {
		t.Errorf("check --verify-signatures without --signed-since: %v (want exit 4 for the unsigned baseline)\n%s", err, out)
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
