package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/importer"
)

// caFile002 is the demo's CA002 policy file.
const caFile002 = "conditional-access/policies/ca002-block-legacy-authentication.37d3a33f-9060-464e-844d-dab8699bd355.yaml"

// changeBranchCA002 commits, on a new branch "change", an edit of CA002's
// file as a pull request makes it (block only Exchange ActiveSync), and
// returns the file's repository path and its edited content.
func (e *rstEnv) changeBranchCA002() (file, edited string) {
	e.t.Helper()
	e.git("checkout", "-q", "-b", "change")
	p := filepath.Join(e.repo, filepath.FromSlash(caFile002))
	data, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatal(err)
	}
	edited = strings.Replace(string(data), "    - \"exchangeActiveSync\"\n    - \"other\"\n", "    - \"exchangeActiveSync\"\n", 1)
	if edited == string(data) {
		e.t.Fatal("the fixture changed: no clientAppTypes to edit")
	}
	if err := os.WriteFile(p, []byte(edited), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.git("commit", "-q", "-am", "CA002: block only Exchange ActiveSync")
	return caFile002, edited
}

// TestRestoreFromPullRequestFiles: the pull request flow through the CLI:
// a CA policy file edited in a branch, `restore --changed` saves the plan and
// its markdown, `apply` applies exactly that plan, and drift against the
// recorded head finds nothing.
func TestRestoreFromPullRequestFiles(t *testing.T) {
	e := newRstEnv(t, nil)
	file, edited := e.changeBranchCA002()
	p := filepath.Join(e.repo, filepath.FromSlash(file))

	// Usage: files plans take no --at or selector; --allow-deletes needs them.
	e.cli(exitUsage, "restore", "--repo", e.repo, "--changed", "main..HEAD", "--at", "HEAD")
	e.cli(exitUsage, "restore", "--repo", e.repo, "--changed", "main...HEAD")
	e.cli(exitUsage, "restore", "--repo", e.repo, "--at", "HEAD", "groups", "--allow-deletes")

	dir := t.TempDir()
	plan, md := filepath.Join(dir, "plan.json"), filepath.Join(dir, "plan.md")
	out, _ := e.cli(exitChanges, "restore", "--repo", e.repo, "--changed", "main..HEAD", "--out", plan, "--markdown", md)
	if !strings.Contains(out, "from the files of main..HEAD") || !strings.Contains(out, "1 edited") {
		t.Fatalf("the plan does not say its files:\n%s", out)
	}
	mdText, err := os.ReadFile(md)
	if err != nil || !strings.Contains(string(mdText), "CA002: Block legacy authentication") || !strings.Contains(string(mdText), "entrasnap apply "+plan) {
		t.Fatalf("markdown: %v\n%s", err, mdText)
	}
	e.cli(exitOK, "apply", plan)
	e.cli(exitOK, "drift", "--repo", e.repo, "--baseline", "HEAD")

	// An invalid file is refused with its name and line; nothing planned.
	if err := os.WriteFile(p, []byte(edited+"notAProperty: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut := e.cli(exitError, "restore", "--repo", e.repo, "--worktree", "--out", plan)
	if !strings.Contains(errOut, file+":") || !strings.Contains(errOut, "notAProperty") || !strings.Contains(errOut, "nothing was planned") {
		t.Fatalf("the refusal does not name the file and property:\n%s", errOut)
	}
}

// TestRestoreFromFilesMassDeleteConfirmation: a plan from files that deletes
// more than 10 objects is applied only with the tenant's name, as --all.
func TestRestoreFromFilesMassDeleteConfirmation(t *testing.T) {
	e := newRstEnv(t, nil)
	users := strings.Fields(e.git("ls-files", "users"))
	if len(users) < 12 {
		t.Fatalf("want 12 users, got %d", len(users))
	}
	for _, f := range users[len(users)-11:] {
		if err := os.Remove(filepath.Join(e.repo, filepath.FromSlash(f))); err != nil {
			t.Fatal(err)
		}
	}
	before := len(e.list("/v1.0/users"))
	_, errOut := e.cli(exitError, "restore", "--repo", e.repo, "--worktree", "--allow-deletes", "--yes")
	if !strings.Contains(errOut, "deletes 11 objects") || !strings.Contains(errOut, "--confirm-tenant") {
		t.Fatalf("want the mass delete refused without the tenant's name:\n%s", errOut)
	}
	e.cli(exitError, "restore", "--repo", e.repo, "--worktree", "--allow-deletes", "--yes", "--confirm-tenant", "Not The Tenant")
	if n := len(e.list("/v1.0/users")); n != before {
		t.Fatalf("a refused plan deleted users: %d → %d", before, n)
	}
	name, _ := e.list("/v1.0/organization")[0]["displayName"].(string)
	e.cli(exitOK, "restore", "--repo", e.repo, "--worktree", "--allow-deletes", "--yes", "--confirm-tenant", name)
	if n := len(e.list("/v1.0/users")); n != before-11 {
		t.Fatalf("users %d → %d, want 11 deleted", before, n)
	}
}

// TestRestoreFromFilesSmallGaps: a range without object changes says so
// and exits 0; --markdown - writes the markdown to standard output (the
// text plan to standard error); applying a plan from files reports
// "Apply:"; a plan saved with --out that deletes more than 10 objects is
// applied only with the tenant's name.
func TestRestoreFromFilesSmallGaps(t *testing.T) {
	e := newRstEnv(t, nil)
	out, _ := e.cli(exitOK, "restore", "--repo", e.repo, "--changed", "HEAD..HEAD")
	if !strings.Contains(out, "No object file differs in HEAD..HEAD: nothing to plan.") || strings.Contains(out, "matches the snapshot") {
		t.Fatalf("an empty range does not say so:\n%s", out)
	}
	e.cli(exitUsage, "restore", "--repo", e.repo, "--changed", "HEAD..HEAD", "--markdown", "-", "--json")

	p := filepath.Join(e.repo, filepath.FromSlash(caFile002))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), `state: "enabled"`, `state: "disabled"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.json")
	out, errOut := e.cli(exitChanges, "restore", "--repo", e.repo, "--worktree", "--out", plan, "--markdown", "-")
	if !strings.Contains(out, "CA002: Block legacy authentication") || !strings.Contains(out, "entrasnap apply "+plan) || strings.Contains(out, "Plan for tenant") {
		t.Fatalf("--markdown - does not write the markdown alone to stdout:\n%s", out)
	}
	if !strings.Contains(errOut, "Plan for tenant") {
		t.Fatalf("the text plan is not on stderr:\n%s", errOut)
	}
	if _, err := os.Stat(filepath.Join(e.repo, "-")); err == nil {
		t.Fatal("--markdown - wrote a file named -")
	}
	out, _ = e.cli(exitOK, "apply", plan)
	if !strings.Contains(out, "Apply: 1 done") || strings.Contains(out, "Restore:") || !strings.Contains(out, "Verified: the tenant matches the files") {
		t.Fatalf("the apply result of a plan from files:\n%s", out)
	}

	// Mass deletes through a saved plan.
	users := strings.Fields(e.git("ls-files", "users"))
	for _, f := range users[len(users)-11:] {
		if err := os.Remove(filepath.Join(e.repo, filepath.FromSlash(f))); err != nil {
			t.Fatal(err)
		}
	}
	before := len(e.list("/v1.0/users"))
	e.cli(exitChanges, "restore", "--repo", e.repo, "--worktree", "--allow-deletes", "--out", plan)
	_, errOut = e.cli(exitError, "apply", plan)
	if !strings.Contains(errOut, "deletes 11 objects") || !strings.Contains(errOut, "--confirm-tenant") {
		t.Fatalf("want the saved mass delete refused without the tenant's name:\n%s", errOut)
	}
	e.cli(exitError, "apply", plan, "--confirm-tenant", "Not The Tenant")
	// Against another tenant: the plan, then the refusal (as restore).
	simB, urlB, cB := simTenant(t, graphsim.Options{Seed: 2, TenantName: "Fabrikam"}, nil)
	usersB := count(t, cB, "/v1.0/users")
	code, out, errOut := against(t, urlB, simB.Token(), "apply", plan)
	if code != exitError || !strings.Contains(out, "Plan for tenant") || !strings.Contains(out, "delete") ||
		!strings.Contains(errOut, "cross-tenant restore is not supported") || !strings.Contains(errOut, "nothing was written") || count(t, cB, "/v1.0/users") != usersB {
		t.Errorf("apply to another tenant: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// --json on a terminal: the name is asked beside the plan, shown as
	// text on stderr before the question; stdout stays empty when refused.
	// Without a terminal the plan is the one document on stdout.
	jargs := []string{"apply", plan, "--json", "--graph-url", e.url, "--access-token", e.sim.Token()}
	code, out, errOut = runWith(t, e.factory(), "Not The Tenant\n", true, jargs...)
	shown, asked := strings.Index(errOut, "Plan for tenant"), strings.Index(errOut, "Type the name of the tenant")
	if code != exitError || out != "" || shown < 0 || asked < shown || !strings.Contains(errOut, "does not match") {
		t.Errorf("apply --json on a terminal, another name: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = runWith(t, e.factory(), "", false, jargs...)
	var saved importer.Plan
	if docs := jsonDocs(t, out, &saved); code != exitError || docs != 1 || len(saved.Actions) < 11 || !strings.Contains(errOut, "--confirm-tenant") {
		t.Errorf("apply --json, no terminal: exit %d, %d documents, %d actions\n%s\n%s", code, docs, len(saved.Actions), out, errOut)
	}
	if n := len(e.list("/v1.0/users")); n != before {
		t.Fatalf("a refused plan deleted users: %d → %d", before, n)
	}
	name, _ := e.list("/v1.0/organization")[0]["displayName"].(string)
	e.cli(exitOK, "apply", plan, "--confirm-tenant", name)
	if n := len(e.list("/v1.0/users")); n != before-11 {
		t.Fatalf("users %d → %d, want 11 deleted", before, n)
	}
}
