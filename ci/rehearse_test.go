package ci

import (
	"fmt"
	"regexp"
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

// The GitLab template's rehearse job runs only in the pipeline whose
// ENTRASNAP_JOB is rehearse (the weekly schedule), which runs neither the
// backup nor the drift job; it signs in nowhere (no id_token, not the
// .entrasnap base) and pushes the record with GITLAB_TOKEN through a
// credential helper, never in a URL.
func TestGitLabRehearsalStructure(t *testing.T) {
	jobs := map[string]glJob{}
	decodeYAML(t, gitlabCI, &jobs)
	reh, ok := jobs["rehearse"]
	if !ok || len(reh.Script) == 0 {
		t.Fatal("the GitLab template has no rehearse job")
	}
	if reh.Extends != "" || len(reh.IDTokens) != 0 || strings.Contains(strings.Join(reh.BeforeScript, "\n"), "AZURE") {
		t.Errorf("rehearse signs in somewhere: extends %q, id_tokens %v, before_script %q", reh.Extends, reh.IDTokens, reh.BeforeScript)
	}
	// (Scheduled or manual pipelines only: merge request and push pipelines
	// run the plan and apply jobs.)
	const scheduledOrWeb = `$CI_PIPELINE_SOURCE == "schedule" || $CI_PIPELINE_SOURCE == "web"`
	if len(reh.Rules) != 1 || reh.Rules[0].If != `$ENTRASNAP_JOB == "rehearse" && (`+scheduledOrWeb+`)` || reh.Rules[0].When != "" {
		t.Errorf("rehearse rules: %+v, want only when ENTRASNAP_JOB is rehearse", reh.Rules)
	}
	for _, name := range []string{"backup", "drift"} {
		r := jobs[name].Rules
		if len(r) != 2 || r[0].If != `$ENTRASNAP_JOB == "rehearse"` || r[0].When != "never" || r[1].If != scheduledOrWeb || r[1].When != "" {
			t.Errorf("%s rules: %+v, want never in the rehearsal pipeline, otherwise in scheduled and manual ones", name, r)
		}
	}
	var doc struct {
		Variables map[string]yaml.Node `yaml:"variables"`
	}
	decodeYAML(t, gitlabCI, &doc)
	var v struct {
		Value   string   `yaml:"value"`
		Options []string `yaml:"options"`
	}
	if n, ok := doc.Variables["ENTRASNAP_JOB"]; !ok || n.Decode(&v) != nil || v.Value != "backup" || fmt.Sprint(v.Options) != "[backup rehearse]" {
		t.Errorf("variable ENTRASNAP_JOB: %+v", v)
	}
	script := strings.Join(reh.Script, "\n")
	for _, want := range []string{"entrasnap rehearse --repo .", `git checkout -q -B "$base" "origin/$base"`, `"HEAD:refs/heads/$base"`, "credential.helper", "chmod 600"} {
		if !strings.Contains(script, want) {
			t.Errorf("the rehearse script lacks %q", want)
		}
	}
	if regexp.MustCompile(`://[^\s"']*\$\{?GITLAB_TOKEN`).MatchString(script) {
		t.Error("the rehearse script puts a token in a URL")
	}
	text := string(readTemplate(t, gitlabCI))
	for _, want := range []string{"ENTRASNAP_JOB set to rehearse", "43 3 * * 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("the GitLab template's setup does not say %q", want)
		}
	}
}
