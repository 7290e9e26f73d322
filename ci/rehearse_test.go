package ci

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The weekly rehearsal needs no sign-in: it writes the repository only.
func TestRehearseWorkflowStructure(t *testing.T) {
	var w ghWorkflow
	decodeYAML(t, githubRehearse, &w)
	var sched []struct{ Cron string }
	if n, ok := w.On["schedule"]; !ok || n.Decode(&sched) != nil || len(sched) != 1 || len(strings.Fields(sched[0].Cron)) != 5 || strings.Fields(sched[0].Cron)[4] == "*" {
		t.Errorf("on.schedule: want one weekly cron, got %+v", sched)
	}
	if _, ok := w.On["workflow_dispatch"]; !ok {
		t.Error("no workflow_dispatch")
	}
	var top map[string]string
	if w.Permissions.Decode(&top) != nil || len(top) != 0 {
		t.Errorf("top-level permissions: want {}, got %v", top)
	}
	job, ok := w.Jobs["rehearse"]
	if !ok || len(w.Jobs) != 1 {
		t.Fatalf("jobs: %v", w.Jobs)
	}
	if want := map[string]string{"contents": "write"}; fmt.Sprint(job.Permissions) != fmt.Sprint(want) {
		t.Errorf("permissions %v, want %v (no id-token: the rehearsal signs in nowhere)", job.Permissions, want)
	}
	var conc struct{ Group string }
	var doc map[string]yaml.Node
	decodeYAML(t, githubRehearse, &doc)
	if n, ok := doc["concurrency"]; !ok || n.Decode(&conc) != nil || conc.Group != "entrasnap-backup" {
		t.Errorf("concurrency %+v: want the backup's group, one writer of the repository at a time", conc)
	}
	text := string(readTemplate(t, githubRehearse))
	for _, want := range []string{"entrasnap rehearse --repo .", `git push origin "HEAD:refs/heads/$BASE"`, "GITHUB_STEP_SUMMARY", "ENTRASNAP_SIGNING_KEY", "chmod 600"} {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q", githubRehearse, want)
		}
	}
	for _, bad := range []string{"AZURE_CLIENT_ID", "id-token"} {
		if strings.Contains(text, bad) {
			t.Errorf("%s mentions %s: the rehearsal needs no Azure sign-in", githubRehearse, bad)
		}
	}

	var p adoPipeline
	decodeYAML(t, azureRehearse, &p)
	if len(p.Schedules) != 1 || len(strings.Fields(p.Schedules[0].Cron)) != 5 || strings.Fields(p.Schedules[0].Cron)[4] == "*" || !p.Schedules[0].Always {
		t.Errorf("%s schedules: %+v", azureRehearse, p.Schedules)
	}
	if p.Trigger != "none" || p.Variables["BASE"] == "" {
		t.Errorf("%s: trigger %v, variables %v", azureRehearse, p.Trigger, p.Variables)
	}
	if len(p.Jobs) != 1 || len(p.Jobs[0].Steps) != 3 || p.Jobs[0].Steps[0].Checkout != "self" {
		t.Fatalf("%s jobs: %+v", azureRehearse, p.Jobs)
	}
	for _, s := range p.Jobs[0].Steps {
		if s.Task != "" {
			t.Errorf("%s: task %s: the rehearsal needs no service connection", azureRehearse, s.Task)
		}
	}
	script := p.Jobs[0].Steps[2].Script
	for _, want := range []string{`git checkout -q -B "$BASE" "origin/$BASE"`, "entrasnap rehearse --repo .", `git push origin "HEAD:refs/heads/$BASE"`, "task.uploadsummary"} {
		if !strings.Contains(script, want) {
			t.Errorf("%s: the script lacks %q", azureRehearse, want)
		}
	}
	if env := p.Jobs[0].Steps[2].Env; env["SIGNING_KEY_B64"] != "$(ENTRASNAP_SIGNING_KEY_B64)" {
		t.Errorf("%s: env %v", azureRehearse, env)
	}
}
