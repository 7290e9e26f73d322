//go:build unix

package ci

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// fakeGHChanges stands in for the gh calls of entrasnap-changes.yml: pull
// request comments, the pull request a commit merged, its head, the plan
// run of a head commit and its artifact. The test writes the answers into
// $GH_STATE (merged-<sha>, pr-<n>-head, pr-<n>-ref, run-<sha>); artifacts
// are in $GH_ARTIFACTS/<name>.
const fakeGHChanges = `#!/usr/bin/env bash
set -euo pipefail
: "${GH_TOKEN:?gh needs GH_TOKEN}"
printf 'gh' >> "$GH_LOG"; printf ' %q' "$@" >> "$GH_LOG"; echo >> "$GH_LOG"
arg() { # the value of flag $1 in the rest of the arguments
  local f=$1; shift
  while [ $# -gt 0 ]; do [ "$1" = "$f" ] && { echo "$2"; return; }; shift; done
}
case "$1 $2" in
  "pr comment")
    n=$3; body=$(arg --body-file "$@")
    if [[ " $* " == *" --edit-last "* ]] && [ ! -f "$GH_STATE/comment-$n.md" ]; then echo "no comment to edit" >&2; exit 1; fi
    cp "$body" "$GH_STATE/comment-$n.md" ;;
  "pr view")
    case "$(arg --json "$@")" in
      headRefOid) cat "$GH_STATE/pr-$3-head" ;;
      headRefName) cat "$GH_STATE/pr-$3-ref" ;;
      *) echo "fake gh: pr view $*" >&2; exit 1 ;;
    esac ;;
  "run list") sha=$(arg --commit "$@"); [ -f "$GH_STATE/run-$sha" ] && cat "$GH_STATE/run-$sha"; exit 0 ;;
  "run download") mkdir -p "$(arg --dir "$@")"; cp "$GH_ARTIFACTS/$(arg --name "$@")"/* "$(arg --dir "$@")/" ;;
  *)
    if [ "$1" = api ] && [[ "$2" =~ ^repos/[^/]+/[^/]+/commits/([0-9a-f]+)/pulls$ ]]; then
      f="$GH_STATE/merged-${BASH_REMATCH[1]}"; [ -f "$f" ] && cat "$f"; exit 0
    fi
    echo "fake gh: unsupported: $*" >&2; exit 1 ;;
esac
`

// TestChangesWorkflowRunsLocally runs entrasnap-changes.yml's jobs with the
// local runner: a pull request edits a Conditional Access policy's file; the
// plan job comments the plan and keeps it as an artifact; after the merge,
// the apply job applies exactly that plan, the tenant has the change and the
// remote the recorded snapshot. A second pull request whose policy changed in
// the tenant after planning is refused by the apply job, nothing written.
func TestChangesWorkflowRunsLocally(t *testing.T) {
	l := newLocalRun(t)
	root, remote, bin := l.root, l.remote, l.bin
	graphURL, graphToken := graphsimProcess(t)
	env := append(os.Environ(), "ENTRASNAP_GRAPH_URL="+graphURL, "ENTRASNAP_ACCESS_TOKEN="+graphToken,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")

	// The repository: the workflow, and a first snapshot on main.
	dev := l.clone(t, "dev")
	os.MkdirAll(filepath.Join(dev, ".github/workflows"), 0o755)
	os.WriteFile(filepath.Join(dev, ".github/workflows/entrasnap-changes.yml"), readTemplate(t, githubChanges), 0o644)
	gitRun(t, dev, "add", ".")
	gitRun(t, dev, "commit", "-q", "-m", "Add the entrasnap changes workflow")
	export := exec.Command(entrasnapBin, "export", "--repo", dev, "--message", "baseline")
	export.Env = env
	if out, err := export.CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	gitRun(t, dev, "push", "-q", "--follow-tags", "origin", "main")

	// Enabled policies to edit, by their files.
	files := enabledPolicyFiles(t, dev)
	idOf := objectIDOf

	os.WriteFile(filepath.Join(bin, "gh"), []byte(fakeGHChanges), 0o755)
	oidc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"value": "eyJhbGciOiJSUzI1NiJ9.oidc.sig"})
	}))
	defer oidc.Close()
	var w ghWorkflow
	decodeYAML(t, githubChanges, &w)
	const ghToken = "ghs_localRunToken0123456789abcdef"
	r := &ghRunner{t: t, w: &w, remote: remote, ghLog: filepath.Join(root, "gh.log"), ghState: filepath.Join(root, "gh-state"),
		tokenURL: oidc.URL, secrets: []string{ghToken, graphToken}, skip: l.skip, artifacts: filepath.Join(root, "artifacts")}
	os.MkdirAll(r.ghState, 0o755)
	r.base = l.env("ENTRASNAP_GRAPH_URL="+graphURL, "ENTRASNAP_ACCESS_TOKEN="+graphToken,
		"GH_LOG="+r.ghLog, "GH_STATE="+r.ghState, "GH_ARTIFACTS="+r.artifacts)
	event := ""
	r.cond = func(expr string, out map[string]map[string]string) bool {
		switch expr {
		case "github.event_name == 'pull_request' && !startsWith(github.head_ref, 'entrasnap/snapshot-')":
			return event == "pull_request"
		case "github.event_name == 'push'":
			return event == "push"
		case "steps.plan.outputs.exit == '0' || steps.plan.outputs.exit == '2'":
			return out["plan"]["exit"] == "0" || out["plan"]["exit"] == "2"
		case "always() && steps.plan.outputs.exit != ''":
			return out["plan"]["exit"] != ""
		case "steps.find-plan.outputs.plan != ''":
			return out["find-plan"]["plan"] != ""
		}
		t.Fatalf("the local runner does not know the condition %q; add it to the test's table", expr)
		return false
	}
	write := func(name, content string) { os.WriteFile(filepath.Join(r.ghState, name), []byte(content+"\n"), 0o644) }

	// A pull request: edits a policy's file, planned, merged, applied.
	pr := func(n int, file, branch string) (head, base string) {
		gitRun(t, dev, "checkout", "-q", "-b", branch, "origin/main")
		p := filepath.Join(dev, file)
		b, _ := os.ReadFile(p)
		os.WriteFile(p, []byte(strings.Replace(string(b), "\nstate: \"enabled\"\n", "\nstate: \"disabled\"\n", 1)), 0o644)
		gitRun(t, dev, "commit", "-q", "-am", "disable "+idOf(file))
		head = strings.TrimSpace(gitRun(t, dev, "rev-parse", "HEAD"))
		gitRun(t, dev, "push", "-q", "origin", branch, "HEAD:refs/pull/"+itoa(n)+"/head")
		base = strings.TrimSpace(gitRun(t, remote, "rev-parse", "main"))
		write("pr-"+itoa(n)+"-head", head)
		write("pr-"+itoa(n)+"-ref", branch)
		return head, base
	}
	plan := func(n int, head, base, branch string) *ghJobResult {
		event = "pull_request"
		res := r.runJob("plan", "pull_request", map[string]string{
			"vars.AZURE_TENANT_ID": "", "vars.AZURE_CLIENT_ID": "", "github.token": ghToken,
			"github.event.pull_request.head.sha": head, "github.event.pull_request.base.sha": base,
			"github.event.pull_request.number": itoa(n), "github.head_ref": branch,
		})
		if res.failedStep != "" {
			t.Fatalf("plan job of #%d: step %s failed with exit %d\n%s", n, res.failedStep, res.exit, res.output)
		}
		write("run-"+head, itoa(100+n))
		return res
	}
	merge := func(n int, branch string) string {
		gitRun(t, dev, "checkout", "-q", "main")
		gitRun(t, dev, "pull", "-q", "--ff-only", "origin", "main")
		gitRun(t, dev, "merge", "-q", "--no-ff", "-m", "Merge pull request #"+itoa(n), branch)
		gitRun(t, dev, "push", "-q", "origin", "main")
		sha := strings.TrimSpace(gitRun(t, dev, "rev-parse", "HEAD"))
		write("merged-"+sha, itoa(n))
		return sha
	}
	// The apply job signs with the backup's signing secret: its post-apply
	// snapshot and tag are trusted as the daily snapshots are.
	keyDir, keyPub, keyBytes := r.signingSecret(t)
	apply := func(sha string) *ghJobResult {
		event = "push"
		return r.runJob("apply", "push", map[string]string{
			"secrets.ENTRASNAP_SIGNING_KEY": string(keyBytes), "secrets.ENTRASNAP_SIGNING_KEY_PASSPHRASE": "",
			"vars.AZURE_TENANT_ID": "", "vars.AZURE_APPLY_CLIENT_ID": "", "github.token": ghToken,
			"github.repository": "contoso/tenant-backup", "github.sha": sha, "github.event.repository.default_branch": "main",
		})
	}
	policyState := func(id string) string {
		return graphCall(t, graphURL, graphToken, "GET", "/v1.0/identity/conditionalAccess/policies/"+id, nil)["state"].(string)
	}

	// Pull request #1.
	head, base := pr(1, files[0], "change-1")
	res := plan(1, head, base, "change-1")
	if res.outputs["plan"]["exit"] != "2" {
		t.Fatalf("plan exit %q, want 2 (changes)\n%s", res.outputs["plan"]["exit"], res.output)
	}
	comment, err := os.ReadFile(filepath.Join(r.ghState, "comment-1.md"))
	if err != nil || !strings.Contains(string(comment), "### entrasnap plan: 1 to update") || !strings.Contains(string(comment), "report-only") ||
		!strings.Contains(string(comment), idOf(files[0])) || !strings.Contains(res.summary, "entrasnap plan") {
		t.Fatalf("the plan comment (%v):\n%s", err, comment)
	}
	if _, err := os.Stat(filepath.Join(r.artifacts, "entrasnap-plan-1", "plan.json")); err != nil {
		t.Fatalf("no plan artifact: %v", err)
	}
	if policyState(idOf(files[0])) != "enabled" {
		t.Fatal("the plan job wrote to the tenant")
	}
	sha := merge(1, "change-1")
	res = apply(sha)
	if res.failedStep != "" || res.skipped {
		t.Fatalf("apply job: step %s failed with exit %d\n%s", res.failedStep, res.exit, res.output)
	}
	if got := policyState(idOf(files[0])); got != "disabled" {
		t.Fatalf("after apply the policy is %q", got)
	}
	if !strings.Contains(res.summary, "entrasnap apply (exit 0)") || !strings.Contains(res.output, "Verified") {
		t.Errorf("apply summary:\n%s\n%s", res.summary, res.output)
	}
	tags := gitRun(t, remote, "tag", "--points-at", "main")
	if !strings.Contains(tags, "snapshot/") {
		t.Errorf("the recorded snapshot's tag is not on the remote's main: %q\n%s", tags, res.output)
	}
	allowed := gitcheck.AllowedSigners(t, keyDir, `41898282+github-actions[bot]@users.noreply.github.com namespaces="git" `+keyPub)
	// (The merged files are the post-apply state: the snapshot is the merge
	// commit, the forge's, and its tag is the apply job's.)
	for _, tag := range strings.Fields(tags) {
		if out, ok := gitcheck.Verify(t, remote, allowed, "verify-tag", tag); !ok {
			t.Errorf("git verify-tag %s:\n%s", tag, out)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(res.runnerTemp, "signing-key*")); len(left) > 0 {
		t.Errorf("the signing key file was left behind: %v", left)
	}

	// Pull request #2: planned, then the policy changes in the tenant before the apply.
	head, base = pr(2, files[1], "change-2")
	plan(2, head, base, "change-2")
	graphCall(t, graphURL, graphToken, "PATCH", "/v1.0/identity/conditionalAccess/policies/"+idOf(files[1]), map[string]any{"displayName": "changed outside the repository"})
	sha = merge(2, "change-2")
	res = apply(sha)
	if res.failedStep != "apply" || res.exit != 1 || !strings.Contains(res.output, "changed since the plan was made") {
		t.Fatalf("a stale plan: step %q exit %d, want the apply step refused with exit 1\n%s", res.failedStep, res.exit, res.output)
	}
	if got := policyState(idOf(files[1])); got != "enabled" {
		t.Fatalf("a refused plan wrote: the policy is %q", got)
	}

	// A push that no pull request made: nothing to apply.
	if res := apply(strings.Repeat("0", 40)); res.failedStep != "" || !strings.Contains(res.summary, "nothing to apply") {
		t.Errorf("a push without a pull request: %+v\n%s", res.failedStep, res.output)
	}
	gitRun(t, remote, "fsck", "--strict", "--no-progress")
}

func itoa(n int) string { return strconv.Itoa(n) }
