package ci

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"
)

// entrasnapBin is the CLI built from this module by TestMain.
var entrasnapBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "entrasnap-ci-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	entrasnapBin = filepath.Join(dir, "entrasnap")
	build := exec.Command("go", "build", "-o", entrasnapBin, "github.com/entrasnap/entrasnap/cmd/entrasnap")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/entrasnap: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	githubWorkflow = "github/entrasnap-backup.yml"
	azurePipeline  = "azure-pipelines/entrasnap-backup.yml"
	githubChanges  = "github/entrasnap-changes.yml"
	azureChanges   = "azure-pipelines/entrasnap-changes.yml"
	githubRehearse = "github/entrasnap-rehearse.yml"
	azureRehearse  = "azure-pipelines/entrasnap-rehearse.yml"
	gitlabCI       = "gitlab/.gitlab-ci.yml"
	watchFile      = "watch.yaml"
	ciReadme       = "README.md"
)

func readTemplate(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeYAML(t *testing.T, name string, v any) {
	t.Helper()
	if err := yaml.Unmarshal(readTemplate(t, name), v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestGitHubWorkflowLint runs actionlint, as a library, on the workflow: any
// error it reports (syntax, expressions, action inputs, permissions, cron)
// fails the test. Scripts are checked with shellcheck too when it is installed.
func TestGitHubWorkflowLint(t *testing.T) {
	var out bytes.Buffer
	opts := &actionlint.LinterOptions{Color: actionlint.ColorOptionKindNever}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc
	} else {
		t.Log("shellcheck is not installed: run scripts are checked with bash -n only (TestScriptsParse)")
	}
	l, err := actionlint.NewLinter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{githubWorkflow: ".github/workflows/entrasnap-backup.yml", githubChanges: ".github/workflows/entrasnap-changes.yml",
		githubRehearse: ".github/workflows/entrasnap-rehearse.yml"} {
		errs, err := l.Lint(path, readTemplate(t, name), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			t.Errorf("actionlint: %s: %s", name, e)
		}
	}
}

// ghWorkflow is the part of a GitHub Actions workflow the tests read.
type ghWorkflow struct {
	On          map[string]yaml.Node `yaml:"on"`
	Env         map[string]string    `yaml:"env"`
	Permissions yaml.Node            `yaml:"permissions"`
	Defaults    struct {
		Run struct {
			Shell string `yaml:"shell"`
		} `yaml:"run"`
	} `yaml:"defaults"`
	Jobs map[string]ghJob `yaml:"jobs"`
}

type ghJob struct {
	Environment string            `yaml:"environment"`
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	If          string            `yaml:"if"`
	Steps       []ghStep          `yaml:"steps"`
}

type ghStep struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	Run              string            `yaml:"run"`
	Shell            string            `yaml:"shell"`
	WorkingDirectory string            `yaml:"working-directory"`
	Env              map[string]string `yaml:"env"`
}

func loadGitHubWorkflow(t *testing.T) *ghWorkflow {
	t.Helper()
	var w ghWorkflow
	decodeYAML(t, githubWorkflow, &w)
	return &w
}

func TestGitHubWorkflowStructure(t *testing.T) {
	w := loadGitHubWorkflow(t)
	var sched []struct{ Cron string }
	if n, ok := w.On["schedule"]; !ok || n.Decode(&sched) != nil || len(sched) != 1 || len(strings.Fields(sched[0].Cron)) != 5 {
		t.Errorf("on.schedule: want one daily cron, got %+v", sched)
	}
	var dispatch struct {
		Inputs map[string]struct {
			Type     string
			Required bool
		}
	}
	if n, ok := w.On["workflow_dispatch"]; !ok || n.Decode(&dispatch) != nil {
		t.Error("no workflow_dispatch")
	} else if in, ok := dispatch.Inputs["description"]; !ok || in.Type != "string" || in.Required {
		t.Errorf("workflow_dispatch input description: %+v", dispatch.Inputs)
	}

	backup, drift := w.Jobs["backup"], w.Jobs["drift"]
	want := map[string]string{"id-token": "write", "contents": "write", "pull-requests": "write"}
	if fmt.Sprint(backup.Permissions) != fmt.Sprint(want) {
		t.Errorf("backup permissions %v, want %v", backup.Permissions, want)
	}
	for scope, level := range drift.Permissions {
		if level == "write" && scope != "id-token" {
			t.Errorf("the drift job may write %s", scope)
		}
	}
	if drift.Permissions["id-token"] != "write" {
		t.Error("the drift job cannot sign in: it needs id-token: write")
	}
	if len(backup.Steps) == 0 || len(drift.Steps) == 0 {
		t.Fatal("a job has no steps")
	}
	for name, job := range w.Jobs {
		for _, s := range job.Steps {
			// Expressions go through env:, never into a script (script injection).
			if strings.Contains(s.Run, "${{") {
				t.Errorf("job %s step %s: an expression inside run:", name, s.ID)
			}
		}
	}
	text := string(readTemplate(t, githubWorkflow))
	// The only secrets are the optional signing key and its passphrase.
	signing := regexp.MustCompile(`\$\{\{ secrets\.ENTRASNAP_SIGNING_KEY(_PASSPHRASE)? \}\}`)
	if n := len(signing.FindAllString(text, -1)); n != 2 {
		t.Errorf("the workflow reads the signing key's secrets %d times, want 2 (key and passphrase, in the export step's env)", n)
	}
	for _, banned := range []string{"AZURE_CLIENT_SECRET", "client-secret", "secrets."} {
		if strings.Contains(signing.ReplaceAllString(text, ""), banned) {
			t.Errorf("the workflow mentions %q: it signs in with workload identity federation only", banned)
		}
	}
	// The key goes to a 0600 temporary file removed when the step ends,
	// and the variable holding it is unset before entrasnap runs.
	for _, s := range backup.Steps {
		if s.ID != "export" {
			continue
		}
		if s.Env["SIGNING_KEY"] == "" || !strings.Contains(s.Env["ENTRASNAP_SIGNING_KEY_PASSPHRASE"], "secrets.") {
			t.Errorf("export step env: %v", s.Env)
		}
		head, _, _ := strings.Cut(s.Run, "entrasnap export")
		for _, want := range []string{"mktemp \"$RUNNER_TEMP/", "trap 'rm -f \"$key_file\"' EXIT", "chmod 600", "export ENTRASNAP_SIGNING_KEY=\"$key_file\"", "unset SIGNING_KEY"} {
			if !strings.Contains(head, want) {
				t.Errorf("the export step does not %q before running entrasnap", want)
			}
		}
	}
	for _, want := range []string{"AZURE_FEDERATED_TOKEN_FILE", "ACTIONS_ID_TOKEN_REQUEST_URL", "api://AzureADTokenExchange",
		"gh pr create", "gh pr edit", "--body-file", "GITHUB_STEP_SUMMARY", "exit 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("the workflow lacks %q", want)
		}
	}
}

// adoPipeline is the part of an Azure Pipelines file the tests read.
type adoPipeline struct {
	Trigger   any `yaml:"trigger"`
	Schedules []struct {
		Cron     string
		Always   bool
		Branches struct{ Include []string }
	}
	Parameters []struct {
		Name, Type string
		Default    any
	}
	Variables map[string]string
	Pool      map[string]string
	Jobs      []struct {
		Job   string
		Steps []adoStep
	}
}

type adoStep struct {
	Checkout string            `yaml:"checkout"`
	Script   string            `yaml:"script"`
	Task     string            `yaml:"task"`
	Name     string            `yaml:"name"`
	Inputs   map[string]any    `yaml:"inputs"`
	Env      map[string]string `yaml:"env"`
}

func TestAzurePipelinesStructure(t *testing.T) {
	var p adoPipeline
	decodeYAML(t, azurePipeline, &p)
	if len(p.Schedules) != 1 || len(strings.Fields(p.Schedules[0].Cron)) != 5 || !p.Schedules[0].Always || len(p.Schedules[0].Branches.Include) == 0 {
		t.Errorf("schedules: %+v", p.Schedules)
	}
	if p.Trigger != "none" {
		t.Errorf("trigger %v: the pipeline should run on its schedule only (and by hand)", p.Trigger)
	}
	if len(p.Parameters) != 1 || p.Parameters[0].Name != "description" || p.Parameters[0].Type != "string" {
		t.Errorf("parameters: %+v", p.Parameters)
	}
	if p.Variables["SERVICE_CONNECTION"] == "" {
		t.Error("no SERVICE_CONNECTION variable")
	}
	jobs := map[string][]adoStep{}
	for _, j := range p.Jobs {
		jobs[j.Job] = j.Steps
	}
	for _, name := range []string{"backup", "drift"} {
		steps := jobs[name]
		if len(steps) == 0 {
			t.Errorf("job %s: no steps", name)
			continue
		}
		var cli *adoStep
		for i, s := range steps {
			if s.Task == "AzureCLI@2" {
				cli = &steps[i]
			}
		}
		if cli == nil {
			t.Errorf("job %s: no AzureCLI@2 step", name)
			continue
		}
		in := cli.Inputs
		if in["azureSubscription"] != "${{ variables.SERVICE_CONNECTION }}" || in["scriptType"] != "bash" ||
			in["scriptLocation"] != "inlineScript" || in["addSpnToEnvironment"] != true {
			t.Errorf("job %s: AzureCLI@2 inputs %v", name, in)
		}
		script, _ := in["inlineScript"].(string)
		for _, want := range []string{`"$idToken"`, "AZURE_FEDERATED_TOKEN_FILE", "$servicePrincipalId", "$tenantId"} {
			if !strings.Contains(script, want) {
				t.Errorf("job %s: the script lacks %s", name, want)
			}
		}
		if strings.Contains(script, "servicePrincipalKey") {
			t.Errorf("job %s uses a service principal key: federation only", name)
		}
	}
	if steps := jobs["backup"]; len(steps) > 0 && steps[0].Checkout != "self" {
		t.Error("backup: the first step should check out the repository")
	}
	text := string(readTemplate(t, azurePipeline))
	for _, want := range []string{"pullrequests", "--pr-body", "--push origin", "task.uploadsummary", "exit 2",
		"SIGNING_KEY_B64: $(ENTRASNAP_SIGNING_KEY_B64)", "ENTRASNAP_SIGNING_KEY_PASSPHRASE: $(ENTRASNAP_SIGNING_KEY_PASSPHRASE)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the pipeline lacks %q", want)
		}
	}
}

// glJob is the part of a GitLab CI job the tests read.
type glJob struct {
	Extends      string   `yaml:"extends"`
	Image        string   `yaml:"image"`
	Script       []string `yaml:"script"`
	BeforeScript []string `yaml:"before_script"`
	IDTokens     map[string]struct {
		Aud string `yaml:"aud"`
	} `yaml:"id_tokens"`
	Rules []struct {
		If   string `yaml:"if"`
		When string `yaml:"when"`
	} `yaml:"rules"`
	Environment struct {
		Name string `yaml:"name"`
	} `yaml:"environment"`
}

func TestGitLabStructure(t *testing.T) {
	var doc map[string]yaml.Node
	decodeYAML(t, gitlabCI, &doc)
	var wf struct {
		Rules []struct{ If string }
	}
	if n, ok := doc["workflow"]; !ok || n.Decode(&wf) != nil {
		t.Fatal("no workflow: rules")
	}
	sched := false
	for _, r := range wf.Rules {
		sched = sched || strings.Contains(r.If, `$CI_PIPELINE_SOURCE == "schedule"`)
	}
	if !sched {
		t.Errorf("workflow rules do not run on a schedule: %+v", wf.Rules)
	}
	jobs := map[string]glJob{}
	for name, n := range doc {
		if name == "workflow" || name == "variables" || name == "stages" {
			continue
		}
		var j glJob
		if err := n.Decode(&j); err != nil {
			t.Fatalf("job %s: %v", name, err)
		}
		jobs[name] = j
	}
	for _, name := range []string{"backup", "drift"} {
		j, ok := jobs[name]
		if !ok || len(j.Script) == 0 {
			t.Errorf("job %s: missing or no script", name)
			continue
		}
		base := jobs[j.Extends]
		if j.Extends == "" || base.IDTokens["AZURE_ID_TOKEN"].Aud != "api://AzureADTokenExchange" {
			t.Errorf("job %s does not get an id_token for Entra (aud api://AzureADTokenExchange)", name)
		}
		if !strings.Contains(strings.Join(base.BeforeScript, "\n"), "AZURE_FEDERATED_TOKEN_FILE") {
			t.Errorf("job %s: the id_token is not handed to entrasnap as AZURE_FEDERATED_TOKEN_FILE", name)
		}
	}
	// Change by merge request: the plan job runs on merge requests (not
	// the daily snapshot's) with the read-only app, outside the apply
	// environment; the apply job only on a push to the default branch, in
	// the protected environment, as the write app. The backup, drift and
	// rehearsal jobs never run in those pipelines.
	plan, apply := jobs["plan"], jobs["apply"]
	if len(plan.Rules) != 1 || !strings.Contains(plan.Rules[0].If, `$CI_PIPELINE_SOURCE == "merge_request_event"`) ||
		!strings.Contains(plan.Rules[0].If, `entrasnap\/snapshot-`) || plan.Environment.Name != "" || strings.Contains(strings.Join(plan.Script, ""), "AZURE_APPLY_CLIENT_ID") {
		t.Errorf("the plan job: rules %+v, environment %q", plan.Rules, plan.Environment.Name)
	}
	if len(apply.Rules) != 1 || apply.Rules[0].If != `$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH` ||
		apply.Environment.Name != "entrasnap-apply" || !strings.Contains(strings.Join(apply.Script, ""), `export AZURE_CLIENT_ID="${AZURE_APPLY_CLIENT_ID:?`) {
		t.Errorf("the apply job: rules %+v, environment %q", apply.Rules, apply.Environment.Name)
	}
	for _, name := range []string{"backup", "drift", "rehearse"} {
		for _, r := range jobs[name].Rules {
			if r.When != "never" && !strings.Contains(r.If, `$CI_PIPELINE_SOURCE == "schedule" || $CI_PIPELINE_SOURCE == "web"`) {
				t.Errorf("job %s may run in a merge request or push pipeline: rule %+v", name, r)
			}
		}
	}
	text := string(readTemplate(t, gitlabCI))
	for _, want := range []string{"merge_requests", "--pr-body", "--push", "description@", "exit 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("the GitLab template lacks %q", want)
		}
	}
}

// templateScripts returns every shell script of the templates, by a name
// saying where it is.
func templateScripts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	w := loadGitHubWorkflow(t)
	for jn, j := range w.Jobs {
		for i, s := range j.Steps {
			if s.Run != "" {
				out[fmt.Sprintf("%s: jobs.%s.steps[%d] (%s)", githubWorkflow, jn, i, s.ID)] = s.Run
			}
		}
	}
	var p adoPipeline
	decodeYAML(t, azurePipeline, &p)
	for _, j := range p.Jobs {
		for i, s := range j.Steps {
			name := fmt.Sprintf("%s: job %s, step %d", azurePipeline, j.Job, i)
			if s.Script != "" {
				out[name] = s.Script
			}
			if sc, ok := s.Inputs["inlineScript"].(string); ok {
				out[name] = sc
			}
		}
	}
	// The pull request templates: every run, script and inlineScript, wherever it is.
	for _, f := range []string{githubChanges, azureChanges, githubRehearse, azureRehearse} {
		var doc yaml.Node
		decodeYAML(t, f, &doc)
		collectScripts(&doc, f, out)
	}
	raw := map[string]yaml.Node{}
	decodeYAML(t, gitlabCI, &raw)
	doc := map[string]glJob{}
	for name, n := range raw {
		var j glJob
		if n.Decode(&j) == nil && (len(j.Script) > 0 || len(j.BeforeScript) > 0) {
			doc[name] = j
		}
	}
	for name, j := range doc {
		if len(j.BeforeScript) > 0 {
			out[gitlabCI+": "+name+".before_script"] = strings.Join(j.BeforeScript, "\n")
		}
		if len(j.Script) > 0 {
			out[gitlabCI+": "+name+".script"] = strings.Join(j.Script, "\n")
		}
	}
	return out
}

// collectScripts adds the scripts (run, script, inlineScript) below n.
func collectScripts(n *yaml.Node, where string, out map[string]string) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if (k.Value == "run" || k.Value == "script" || k.Value == "inlineScript") && v.Kind == yaml.ScalarNode {
				out[fmt.Sprintf("%s:%d (%s)", where, v.Line, k.Value)] = v.Value
			}
		}
	}
	for _, c := range n.Content {
		collectScripts(c, where, out)
	}
}

// TestScriptsParse checks every script of every template with bash -n, and
// with shellcheck when it is installed (variables the CI sets, such as
// AzureCLI@2's $idToken, are not reported as unassigned: SC2154).
func TestScriptsParse(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	shellcheck, _ := exec.LookPath("shellcheck")
	scripts := templateScripts(t)
	if len(scripts) < 10 {
		t.Fatalf("found only %d scripts", len(scripts))
	}
	for name, s := range scripts {
		cmd := exec.Command(bash, "-n")
		cmd.Stdin = strings.NewReader(s)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: bash -n: %v\n%s", name, err, out)
		}
		if shellcheck != "" {
			cmd := exec.Command(shellcheck, "--shell=bash", "--severity=style", "--exclude=SC2154", "-")
			cmd.Stdin = strings.NewReader(s)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: shellcheck: %v\n%s", name, err, out)
			}
		}
	}
}

// A command line that runs entrasnap: at the start of a line or list item,
// after a shell operator, in $( ) or backticks, or after then/do/else.
var commandRe = regexp.MustCompile("(?m)(?:^[ \\t]*(?:-[ \\t]+|\\$[ \\t]+)?|[;&|(`][ \\t]*|\\b(?:then|do|else)[ \\t]+)entrasnap[ \\t]+([a-z][a-z0-9-]*)")

// templateCommand is one entrasnap command found in a template.
type templateCommand struct {
	where string // file:line
	sub   string
	flags []string
	line  string
}

// extractCommands finds every entrasnap command in text (line continuations
// joined) with the --flags it passes.
func extractCommands(name, text string) []templateCommand {
	text = regexp.MustCompile(`\\\n[ \t]*`).ReplaceAllString(text, " ")
	var out []templateCommand
	for i, line := range strings.Split(text, "\n") {
		for _, m := range commandRe.FindAllStringSubmatchIndex(line, -1) {
			rest := commandArgs(line[m[1]:])
			c := templateCommand{where: fmt.Sprintf("%s:%d", name, i+1), sub: line[m[2]:m[3]], line: strings.TrimSpace(line)}
			for _, tok := range strings.Fields(rest) {
				if strings.HasPrefix(tok, "--") && len(tok) > 2 {
					f, _, _ := strings.Cut(tok, "=")
					c.flags = append(c.flags, strings.Trim(f, `"'`))
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// commandArgs cuts s at the end of the command: an unquoted shell operator,
// redirection, closing parenthesis or backtick, or a comment.
func commandArgs(s string) string {
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case strings.ContainsRune("|;&<>)`", r):
			return s[:i]
		case r == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i]
		}
	}
	return s
}

// templateSources are the files whose commands must be the real CLI's: the
// templates, ci/README.md, and the root README's CI section.
func templateSources(t *testing.T) map[string]string {
	t.Helper()
	src := map[string]string{}
	for _, f := range []string{githubWorkflow, azurePipeline, gitlabCI, watchFile, ciReadme, githubChanges, azureChanges, githubRehearse, azureRehearse} {
		src["ci/"+f] = string(readTemplate(t, f))
	}
	root, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := string(root)
	i := strings.Index(sec, "\n## Daily backup in CI\n")
	if i < 0 {
		t.Fatal(`README.md has no section "## Daily backup in CI"`)
	}
	sec = sec[i+1:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:j+3]
	}
	src["README.md (Daily backup in CI)"] = sec
	return src
}

// cliHelp runs `entrasnap [sub] --help` once per subcommand.
type cliHelp struct {
	commands map[string]bool
	options  map[string]string // subcommand → its OPTIONS section
}

func newCLIHelp(t *testing.T) *cliHelp {
	t.Helper()
	out, err := exec.Command(entrasnapBin, "--help").Output()
	if err != nil {
		t.Fatalf("entrasnap --help: %v", err)
	}
	h := &cliHelp{commands: map[string]bool{}, options: map[string]string{}}
	_, cmds, ok := strings.Cut(string(out), "\nCOMMANDS:\n")
	if !ok {
		t.Fatalf("entrasnap --help has no COMMANDS section:\n%s", out)
	}
	for _, l := range strings.Split(cmds, "\n") {
		if !strings.HasPrefix(l, "   ") {
			break
		}
		if f := strings.Fields(l); len(f) > 0 {
			h.commands[strings.TrimSuffix(f[0], ",")] = true
		}
	}
	return h
}

func (h *cliHelp) flags(t *testing.T, sub string) string {
	t.Helper()
	if o, ok := h.options[sub]; ok {
		return o
	}
	out, err := exec.Command(entrasnapBin, sub, "--help").Output()
	if err != nil {
		t.Fatalf("entrasnap %s --help: %v", sub, err)
	}
	_, opts, ok := strings.Cut(string(out), "\nOPTIONS:\n")
	if !ok {
		t.Fatalf("entrasnap %s --help has no OPTIONS section:\n%s", sub, out)
	}
	h.options[sub] = opts
	return opts
}

// TestTemplateCommandsAreTheCLIs checks every entrasnap command of the
// templates and their docs against the CLI built from this module: the
// subcommand exists and each --flag is one of its options. A renamed
// command or flag fails here.
func TestTemplateCommandsAreTheCLIs(t *testing.T) {
	h := newCLIHelp(t)
	var all []templateCommand
	names := []string{}
	src := templateSources(t)
	for n := range src {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		all = append(all, extractCommands(n, src[n])...)
	}
	seen := map[string]bool{}
	for _, c := range all {
		if !h.commands[c.sub] {
			t.Errorf("%s: `entrasnap %s` is not a command of the CLI:\n  %s", c.where, c.sub, c.line)
			continue
		}
		opts := h.flags(t, c.sub)
		for _, f := range c.flags {
			if !regexp.MustCompile(`(?m)^\s+(?:-\w, )?`+regexp.QuoteMeta(f)+`(?:[\s,=]|$)`).MatchString(opts) && f != "--help" {
				t.Errorf("%s: `entrasnap %s` has no flag %s:\n  %s", c.where, c.sub, f, c.line)
			}
			seen[c.sub+" "+f] = true
		}
		seen[c.sub] = true
	}
	// The extraction finds what the templates are about (so it cannot pass by finding nothing).
	for _, want := range []string{"export --repo", "export --branch", "export --pr-body", "export --push", "export --message",
		"drift --baseline", "drift --watch", "diff --format", "kinds --permissions",
		"restore --changed", "restore --out", "restore --markdown", "apply --repo", "rehearse --repo"} {
		if !seen[want] {
			t.Errorf("no template or doc runs `entrasnap %s ...`", want)
		}
	}
	for _, f := range []string{githubWorkflow, azurePipeline, gitlabCI} {
		var n int
		for _, c := range all {
			if strings.HasPrefix(c.where, "ci/"+f+":") && (c.sub == "export" || c.sub == "drift") {
				n++
			}
		}
		if n < 3 {
			t.Errorf("%s: found %d export/drift commands, want at least 3 (first export, export, drift)", f, n)
		}
	}
}

func TestExtractCommands(t *testing.T) {
	text := "run: |\n  entrasnap export --repo . --branch \"$b\" \\\n    --pr-body pr.md || rc=$?\n" +
		"  x=$(entrasnap diff --repo . --format markdown a b) # entrasnap notacommand --x\n" +
		"# grant what `entrasnap kinds --permissions` lists; the entrasnap snapshot: message\n" +
		"  - go install github.com/entrasnap/entrasnap/cmd/entrasnap@latest\n" +
		"  if true; then entrasnap drift --repo . --watch=w.yaml > d.md; fi\n"
	got := extractCommands("t", text)
	var s []string
	for _, c := range got {
		s = append(s, c.sub+" "+strings.Join(c.flags, " "))
	}
	want := []string{"export --repo --branch --pr-body", "diff --repo --format", "kinds --permissions", "drift --repo --watch"}
	if strings.Join(s, "|") != strings.Join(want, "|") {
		t.Errorf("extractCommands:\n got %q\nwant %q", s, want)
	}
}

// TestReadmeCoversSetup checks that ci/README.md says what a user must set up.
func TestReadmeCoversSetup(t *testing.T) {
	text := string(readTemplate(t, ciReadme))
	for _, want := range []string{githubWorkflow, azurePipeline, gitlabCI, watchFile, githubChanges, azureChanges, githubRehearse, azureRehearse,
		"entrasnap-apply", "AZURE_APPLY_CLIENT_ID", "APPLY_CONNECTION", "repo:OWNER/REPO:pull_request", "repo:OWNER/REPO:environment:entrasnap-apply",
		"entrasnap kinds --permissions", "federated credential", "repo:OWNER/REPO:ref:refs/heads/main",
		"api://AzureADTokenExchange", "https://token.actions.githubusercontent.com", "project_path:",
		"sc://", "restore", "least privilege", "kinds:", "paths:", "objects:",
		"ENTRASNAP_SIGNING_KEY", "ENTRASNAP_SIGNING_KEY_B64", "--verify-signatures", "allowed_signers"} {
		if !strings.Contains(text, want) {
			t.Errorf("ci/README.md does not mention %q", want)
		}
	}
}

// TestChangesWorkflowStructure: the pull request workflow plans with the
// read-only identity (no write but the comment), keeps the plan as an
// artifact, and applies it only in the protected environment, with the
// write identity, on a push to the default branch.
func TestChangesWorkflowStructure(t *testing.T) {
	var w ghWorkflow
	decodeYAML(t, githubChanges, &w)
	if _, ok := w.On["pull_request"]; !ok {
		t.Error("no pull_request trigger")
	}
	if _, ok := w.On["push"]; !ok {
		t.Error("no push trigger (the apply after merge)")
	}
	plan, apply := w.Jobs["plan"], w.Jobs["apply"]
	if len(plan.Steps) == 0 || len(apply.Steps) == 0 {
		t.Fatal("a job has no steps")
	}
	for scope, level := range plan.Permissions {
		if level == "write" && scope != "id-token" && scope != "pull-requests" {
			t.Errorf("the plan job may write %s", scope)
		}
	}
	if plan.Env["AZURE_CLIENT_ID"] != "${{ vars.AZURE_CLIENT_ID }}" || plan.Environment != "" {
		t.Errorf("the plan job must sign in as the read-only app, outside the apply environment: %v %q", plan.Env, plan.Environment)
	}
	if apply.Environment != "entrasnap-apply" || apply.Env["AZURE_CLIENT_ID"] != "${{ vars.AZURE_APPLY_CLIENT_ID }}" {
		t.Errorf("the apply job must run in the protected environment as the write app: %q %v", apply.Environment, apply.Env)
	}
	if !strings.Contains(plan.If, "pull_request") || !strings.Contains(apply.If, "push") {
		t.Errorf("plan runs on pull requests, apply on push: %q, %q", plan.If, apply.If)
	}
	for name, job := range w.Jobs {
		for _, s := range job.Steps {
			if strings.Contains(s.Run, "${{") {
				t.Errorf("job %s step %s: an expression inside run:", name, s.ID)
			}
		}
	}
	text := string(readTemplate(t, githubChanges))
	// Its only secrets are the optional signing key's (as the backup's).
	noSigning := strings.NewReplacer("secrets.ENTRASNAP_SIGNING_KEY_PASSPHRASE", "", "secrets.ENTRASNAP_SIGNING_KEY", "").Replace(text)
	for _, banned := range []string{"AZURE_CLIENT_SECRET", "client-secret", "secrets."} {
		if strings.Contains(noSigning, banned) {
			t.Errorf("the workflow mentions %q: it signs in with workload identity federation only", banned)
		}
	}
	for _, want := range []string{"entrasnap restore --repo . --changed", "--markdown", "actions/upload-artifact", "gh run download",
		"entrasnap apply --repo .", "gh pr comment", "GITHUB_STEP_SUMMARY", "refs/pull/", "--follow-tags"} {
		if !strings.Contains(text, want) {
			t.Errorf("the workflow lacks %q", want)
		}
	}
}

// TestAzureChangesStructure: the same for Azure Pipelines: plan on pull
// request builds with the read-only connection, apply in a deployment job of
// the protected environment with the write connection.
func TestAzureChangesStructure(t *testing.T) {
	var p struct {
		Variables map[string]string
		Stages    []struct {
			Stage     string
			Condition string
			Jobs      []struct {
				Job         string
				Deployment  string
				Environment string
			}
		}
	}
	decodeYAML(t, azureChanges, &p)
	stages := map[string]int{}
	for i, s := range p.Stages {
		stages[s.Stage] = i
	}
	pi, okp := stages["plan"]
	ai, oka := stages["apply"]
	if !okp || !oka {
		t.Fatalf("want stages plan and apply: %+v", p.Stages)
	}
	if !strings.Contains(p.Stages[pi].Condition, "PullRequest") || !strings.Contains(p.Stages[ai].Condition, "refs/heads/main") {
		t.Errorf("conditions: plan %q, apply %q", p.Stages[pi].Condition, p.Stages[ai].Condition)
	}
	if j := p.Stages[ai].Jobs; len(j) != 1 || j[0].Deployment == "" || j[0].Environment != "entrasnap-apply" {
		t.Errorf("the apply stage must be a deployment job of environment entrasnap-apply: %+v", j)
	}
	if p.Variables["PLAN_CONNECTION"] == "" || p.Variables["APPLY_CONNECTION"] == "" || p.Variables["PLAN_CONNECTION"] == p.Variables["APPLY_CONNECTION"] {
		t.Errorf("plan and apply need two service connections: %v", p.Variables)
	}
	text := string(readTemplate(t, azureChanges))
	for _, want := range []string{"azureSubscription: ${{ variables.PLAN_CONNECTION }}", "azureSubscription: ${{ variables.APPLY_CONNECTION }}",
		"entrasnap restore --repo . --changed", "--markdown", "artifact: entrasnap-plan", "entrasnap apply --repo .", "/threads", "--follow-tags"} {
		if !strings.Contains(text, want) {
			t.Errorf("the pipeline lacks %q", want)
		}
	}
	if strings.Contains(text, "servicePrincipalKey") {
		t.Error("the pipeline uses a service principal key: federation only")
	}
}
