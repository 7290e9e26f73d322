//go:build unix

package ci

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRehearseWorkflowRunsLocally runs entrasnap-rehearse.yml's job with the
// local runner on a backup repository: the six scenarios pass on its
// snapshot, the record is pushed to main as a commit of its own, and the
// job summary has the table. Nothing reaches Graph: the job has no
// Graph URL or token at all.
func TestRehearseWorkflowRunsLocally(t *testing.T) {
	l := newLocalRun(t)
	remote := l.remote
	graphURL, graphToken := graphsimProcess(t)
	dev := l.clone(t, "dev")
	export := exec.Command(entrasnapBin, "export", "--repo", dev, "--message", "baseline")
	export.Env = append(os.Environ(), "ENTRASNAP_GRAPH_URL="+graphURL, "ENTRASNAP_ACCESS_TOKEN="+graphToken, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	if out, err := export.CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	gitRun(t, dev, "push", "-q", "--follow-tags", "origin", "main")
	tag := strings.TrimSpace(gitRun(t, dev, "describe", "--tags", "--exact-match", "HEAD"))

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
