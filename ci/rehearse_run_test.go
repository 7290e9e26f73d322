//go:build unix

package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pushBaseline exports a graphsim tenant (a process of its own) from a
// clone of l's remote and pushes the snapshot to main. It returns the
// Graph token, which a job must never show, and the snapshot's tag.
func (l *localRun) pushBaseline(t *testing.T) (graphToken, tag string) {
	t.Helper()
	graphURL, graphToken := graphsimProcess(t)
	dev := l.clone(t, "dev")
	export := exec.Command(entrasnapBin, "export", "--repo", dev, "--message", "baseline")
	export.Env = append(os.Environ(), "ENTRASNAP_GRAPH_URL="+graphURL, "ENTRASNAP_ACCESS_TOKEN="+graphToken, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	if out, err := export.CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	gitRun(t, dev, "push", "-q", "--follow-tags", "origin", "main")
	return graphToken, strings.TrimSpace(gitRun(t, dev, "describe", "--tags", "--exact-match", "HEAD"))
}

// TestRehearseWorkflowRunsLocally runs entrasnap-rehearse.yml's job with the
// local runner on a backup repository: the six scenarios pass on its
// snapshot, the record is pushed to main as a commit of its own, and the
// job summary has the table. Nothing reaches Graph: the job has no
// Graph URL or token at all.
func TestRehearseWorkflowRunsLocally(t *testing.T) {
	l := newLocalRun(t)
	remote := l.remote
	graphToken, tag := l.pushBaseline(t)

	var w ghWorkflow
	decodeYAML(t, githubRehearse, &w)
	r := &ghRunner{t: t, w: &w, remote: remote, secrets: []string{graphToken}, base: l.env()}
	res := r.runJob("rehearse", "schedule", map[string]string{
		"github.event.repository.default_branch": "main",
		"secrets.ENTRASNAP_SIGNING_KEY":          "", "secrets.ENTRASNAP_SIGNING_KEY_PASSPHRASE": "",
	})
	if res.failedStep != "" {
		t.Fatalf("step %s failed with exit %d\n%s", res.failedStep, res.exit, res.output)
	}
	subject := gitRun(t, remote, "log", "-1", "--format=%s%n%an", "main")
	if subject != "rehearsal: 6 of 6 passed at "+tag+"\ngithub-actions[bot]\n" {
		t.Errorf("main's head: %q\n%s", subject, res.output)
	}
	files := gitRun(t, remote, "diff", "--name-only", "main~1", "main")
	if !strings.HasPrefix(files, ".entrasnap/rehearsals/") || strings.Count(files, "\n") != 1 {
		t.Errorf("the record's commit changes %q", files)
	}
	for _, want := range []string{"### entrasnap rehearsal (exit 0)", "user-attributes-corrupted  50", "6 passed, 0 failed, 0 skipped (" + tag + ", throttling realistic"} {
		if !strings.Contains(res.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.summary)
		}
	}
	gitRun(t, remote, "fsck", "--strict", "--no-progress")
}

// TestGitLabRehearsalRunsLocally runs the GitLab template's rehearse job
// as a runner would (a fresh clone, the script in bash with GitLab's
// variables) on a backup repository: the six scenarios pass on its
// snapshot, the record is pushed to main as a commit of its own by
// entrasnap, and the job's artifact has the table. The job has no Graph
// URL or token at all; GITLAB_TOKEN never shows in its output. On a
// repository with no snapshot it does nothing and says so.
func TestGitLabRehearsalRunsLocally(t *testing.T) {
	l := newLocalRun(t)
	const glToken = "glpat-rehearsalToken0123456789"
	vars := []string{"GITLAB_TOKEN=" + glToken, "ENTRASNAP_JOB=rehearse"}

	seed := l.clone(t, "seed")
	if err := os.WriteFile(filepath.Join(seed, ".gitlab-ci.yml"), readTemplate(t, gitlabCI), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun(t, seed, "add", ".")
	gitRun(t, seed, "commit", "-q", "-m", "Add the entrasnap pipeline")
	gitRun(t, seed, "push", "-q", "origin", "main")

	out, err := glRunJob(t, l, "rehearse", "empty", vars...)
	if err != nil || !strings.Contains(out, "No snapshot on main yet: nothing to rehearse.") {
		t.Fatalf("no snapshot yet: %v\n%s", err, out)
	}

	graphToken, tag := l.pushBaseline(t)

	out, err = glRunJob(t, l, "rehearse", "run", vars...)
	if err != nil {
		t.Fatalf("rehearse job: %v\n%s", err, out)
	}
	subject := gitRun(t, l.remote, "log", "-1", "--format=%s%n%an <%ae>", "main")
	if subject != "rehearsal: 6 of 6 passed at "+tag+"\nentrasnap <entrasnap@gitlab.example.com>\n" {
		t.Errorf("main's head: %q\n%s", subject, out)
	}
	files := gitRun(t, l.remote, "diff", "--name-only", "main~1", "main")
	if !strings.HasPrefix(files, ".entrasnap/rehearsals/") || strings.Count(files, "\n") != 1 {
		t.Errorf("the record's commit changes %q", files)
	}
	table, err := os.ReadFile(filepath.Join(l.root, "run", "entrasnap-rehearsal.txt"))
	if err != nil {
		t.Fatalf("the artifact: %v", err)
	}
	for _, want := range []string{"user-attributes-corrupted  50", "6 passed, 0 failed, 0 skipped (" + tag + ", throttling realistic"} {
		if !strings.Contains(string(table), want) {
			t.Errorf("the artifact lacks %q:\n%s", want, table)
		}
	}
	for _, s := range []string{glToken, graphToken} {
		if strings.Contains(out, s) {
			t.Errorf("the job printed a secret (%.8s…)", s)
		}
	}
	gitRun(t, l.remote, "fsck", "--strict", "--no-progress")
}
