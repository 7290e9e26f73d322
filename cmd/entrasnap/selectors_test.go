package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// selEnv is a tenant with a role assignment whose id begins with "-"
// (Graph's role assignment ids are base64url, and "-" is one of its
// letters) and a Conditional Access policy whose includeApplications
// names an application by its appId, exported as a second snapshot.
type selEnv struct {
	*rstEnv
	assignID, assignPath string
	caID, caName, caPath string
	appID, appAppID      string
	appName, appPath     string
}

// local runs a command that reads only the repository.
func (e *selEnv) local(want int, args ...string) (string, string) {
	e.t.Helper()
	code, out, errOut := runCLI(e.t, args...)
	if code != want {
		e.t.Fatalf("entrasnap %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out, errOut
}

func newSelEnv(t *testing.T) *selEnv {
	t.Helper()
	e := &selEnv{rstEnv: newRstEnv(t, nil)}
	ctx := context.Background()
	user := e.list("/v1.0/users")[0]
	// Exchange Recipient Administrator: its id's first group ends in
	// "fb", so the assignment id starts with "-".
	resp, err := e.c.Post(ctx, "/v1.0/roleManagement/directory/roleAssignments", map[string]any{
		"roleDefinitionId": "31392ffb-586c-42d1-9346-e59415a2cc4e", "principalId": user["id"], "directoryScopeId": "/"})
	if err != nil {
		t.Fatal(err)
	}
	var ra struct{ ID string }
	if err := json.Unmarshal(resp.Body, &ra); err != nil || !strings.HasPrefix(ra.ID, "-") {
		t.Fatalf("role assignment id %q (%v): want one beginning with -", ra.ID, err)
	}
	e.assignID = ra.ID
	app := e.list("/v1.0/applications")[0]
	e.appID, e.appAppID, e.appName = rstStr(app["id"]), rstStr(app["appId"]), rstStr(app["displayName"])
	for _, p := range e.list("/v1.0/identity/conditionalAccess/policies") {
		if rstStr(p["state"]) == "enabled" {
			e.caID, e.caName = rstStr(p["id"]), rstStr(p["displayName"])
			break
		}
	}
	e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+e.caID, map[string]any{"conditions": map[string]any{
		"applications": map[string]any{"includeApplications": []any{e.appAppID}}}})
	e.cli(exitOK, "export", "--repo", e.repo, "--message", "with the assignment")
	find := func(kind, key string) string {
		out := e.git("ls-files")
		k, _ := layout.Lookup(kind)
		for _, p := range strings.Fields(out) {
			if kk, kkey, err := layout.Locate(p); err == nil && kk == k && strings.EqualFold(kkey, key) {
				return p
			}
		}
		t.Fatalf("no %s file for %s in:\n%s", kind, key, out)
		return ""
	}
	e.assignPath = find("role-assignments", e.assignID)
	e.caPath = find("conditional-access-policies", e.caID)
	e.appPath = find("applications", e.appID)
	return e
}

// Every selector form names the same object in show, log and restore:
// before, show and log knew only ids, paths and kind/displayName with the
// kind's name, so `show conditional-access/policies/NAME` and
// `show APPID` failed where restore succeeded.
func TestSelectorFormsOnEveryCommand(t *testing.T) {
	e := newSelEnv(t)
	forms := map[string]string{
		e.caID:                  e.caPath,
		strings.ToUpper(e.caID): e.caPath,
		e.caPath:                e.caPath,
		"conditional-access-policies/" + e.caName:                  e.caPath,
		"conditional-access/policies/" + e.caName:                  e.caPath,
		"conditional-access/policies/" + strings.ToUpper(e.caName): e.caPath,
		e.appAppID:                        e.appPath, // an alias: the application's appId
		"applications/" + e.appName:       e.appPath,
		e.assignID:                        e.assignPath,
		"roles/assignments/" + e.assignID: e.assignPath, // a name-less kind: kind/id is its path stem
	}
	delete(forms, "roles/assignments/"+e.assignID) // not a form: role assignments have no name
	for sel, want := range forms {
		out, errOut := e.local(exitOK, "show", "--repo", e.repo, "--", sel)
		if !strings.HasPrefix(out, "# "+want+" at HEAD") {
			t.Errorf("show %q: %s\n%s", sel, firstLine(out), errOut)
		}
		out, errOut = e.local(exitOK, "log", "--repo", e.repo, "--", sel)
		if !strings.HasPrefix(out, "History of "+want) {
			t.Errorf("log %q: %s\n%s", sel, firstLine(out), errOut)
		}
		code, out, errOut := runCLI(t, "restore", "--repo", e.repo, "--at", "HEAD", "--json", "--out", filepath.Join(t.TempDir(), "p.json"),
			"--graph-url", e.url, "--access-token", e.sim.Token(), "--", sel)
		var plan struct {
			Selection struct{ Paths []string }
		}
		if code != exitOK || json.Unmarshal([]byte(out), &plan) != nil || len(plan.Selection.Paths) != 1 || plan.Selection.Paths[0] != want {
			t.Errorf("restore %q: exit %d, selection %+v\n%s", sel, code, plan.Selection, errOut)
		}
	}
	// A folder is not one object for show and log; it is a kind for restore.
	for _, cmd := range []string{"show", "log"} {
		if code, _, errOut := runCLI(t, cmd, "--repo", e.repo, "conditional-access"); code != exitError || !strings.Contains(errOut, "not one object") {
			t.Errorf("%s conditional-access: exit %d, %s", cmd, code, errOut)
		}
	}
}

// An id beginning with "-" can be given after "--" to restore, show, log,
// diff and apply; before, urfave/cli consumed the "--" and the argument
// was taken for a flag ("flag provided but not defined").
func TestDoubleDashPassesIDsBeginningWithDash(t *testing.T) {
	e := newSelEnv(t)
	conn := []string{"--graph-url", e.url, "--access-token", e.sim.Token()}
	out, errOut := e.local(exitOK, "show", "--repo", e.repo, "--", e.assignID)
	if !strings.HasPrefix(out, "# "+e.assignPath) {
		t.Errorf("show -- ID: %s\n%s", out, errOut)
	}
	// "--" after other arguments and flags after the arguments still work.
	if out, errOut := e.local(exitOK, "show", "--repo", e.repo, "--at", "HEAD", "--", e.assignID); !strings.Contains(out, "at HEAD") {
		t.Errorf("show --at HEAD -- ID: %s\n%s", out, errOut)
	}
	if out, errOut := e.local(exitOK, "log", "--repo", e.repo, "--json", "--", e.assignID); !strings.Contains(out, e.assignPath) {
		t.Errorf("log -- ID: %s\n%s", out, errOut)
	}
	if code, out, errOut := runCLI(t, "diff", "--repo", e.repo, "--", "HEAD~1", "HEAD"); code != exitOK || !strings.Contains(out, e.assignPath) {
		t.Errorf("diff -- A B: %d %s\n%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "diff", "--repo", e.repo, "--", "-HEAD"); code != exitError || strings.Contains(errOut, "flag") {
		t.Errorf("diff -- -REV: the revision is not taken for a flag: %d %s", code, errOut)
	}
	// A value "--" of a flag is not the end of the flags.
	if code, _, errOut := runCLI(t, "show", "--repo", e.repo, "--at", "--", e.caID); code != exitError || !strings.Contains(errOut, "--") {
		t.Errorf("show --at -- ID: %d %s", code, errOut)
	}

	// The assignment is deleted; restore -- ID plans it back, saved to a
	// file whose name begins with "-", applied with apply -- FILE.
	e.do("DELETE", "/v1.0/roleManagement/directory/roleAssignments/"+e.assignID, nil)
	t.Chdir(t.TempDir())
	args := append([]string{"restore", "--repo", e.repo, "--at", "HEAD", "--out", "-plan.json"}, conn...)
	code, out, errOut := runCLI(t, append(args, "--", e.assignID)...)
	if code != exitChanges || !strings.Contains(out, e.assignID) {
		t.Fatalf("restore -- ID: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat("-plan.json"); err != nil {
		t.Fatal(err)
	}
	args = append([]string{"apply", "--repo", e.repo}, conn...)
	if code, out, errOut := runCLI(t, append(args, "--", "-plan.json")...); code != exitOK {
		t.Fatalf("apply -- FILE: exit %d\n%s\n%s", code, out, errOut)
	}
	found := false
	for _, ra := range e.list("/v1.0/roleManagement/directory/roleAssignments") {
		if strings.EqualFold(rstStr(ra["principalId"]), rstStr(e.list("/v1.0/users")[0]["id"])) && rstStr(ra["roleDefinitionId"]) == "31392ffb-586c-42d1-9346-e59415a2cc4e" {
			found = true
		}
	}
	if !found {
		t.Error("the role assignment was not restored")
	}
}

// A policy's includeApplications holds appIds: show, diff and drift name
// the application (the repository index knows appId as an alias).
func TestAppIDsAreNamedInShowDiffAndDrift(t *testing.T) {
	e := newSelEnv(t)
	out, _ := e.local(exitOK, "show", "--repo", e.repo, e.caID)
	if !strings.Contains(out, e.appAppID+`"  # `+layout.Safe(e.appName)) && !strings.Contains(out, e.appAppID+"  # "+layout.Safe(e.appName)) {
		t.Errorf("show does not name the appId %s as %q:\n%s", e.appAppID, e.appName, out)
	}
	code, out, errOut := runCLI(t, "diff", "--repo", e.repo, "HEAD~1", "HEAD")
	if code != exitOK || !strings.Contains(out, layout.Safe(e.appName)+" (") {
		t.Errorf("diff does not name the appId %s as %q: %d\n%s\n%s", e.appAppID, e.appName, code, out, errOut)
	}
	// Live, the policy names another application: drift names both.
	other := e.list("/v1.0/applications")[1]
	e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+e.caID, map[string]any{"conditions": map[string]any{
		"applications": map[string]any{"includeApplications": []any{rstStr(other["appId"])}}}})
	out, _ = e.cli(exitChanges, "drift", "--repo", e.repo, "--kinds", "conditional-access,applications")
	for _, n := range []string{e.appName, rstStr(other["displayName"])} {
		if !strings.Contains(out, layout.Safe(n)+" (") {
			t.Errorf("drift does not name %q:\n%s", n, out)
		}
	}
	if strings.Contains(out, "unknown (") {
		t.Errorf("drift has unnamed ids:\n%s", out)
	}
}

// A drift --watch file's objects take the same selectors: a policy by
// folder/displayName and an application by its appId make their drift
// critical; a name the baseline does not hold is a usage error naming it.
func TestDriftWatchObjectsTakeSelectors(t *testing.T) {
	e := newSelEnv(t)
	dir := t.TempDir()
	watch := func(name string, objects ...string) string {
		file := filepath.Join(dir, name)
		var b strings.Builder
		b.WriteString("objects:\n")
		for _, o := range objects {
			data, _ := json.Marshal(o)
			b.WriteString("  - " + string(data) + "\n")
		}
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	byName := watch("ca.yaml", "conditional-access/policies/"+strings.ToLower(e.caName))
	byAppID := watch("app.yaml", e.appAppID)
	kinds := []string{"--kinds", "conditional-access,applications"}

	// No drift yet: both watch files are accepted.
	for _, w := range []string{byName, byAppID} {
		e.cli(exitOK, append([]string{"drift", "--repo", e.repo, "--watch", w}, kinds...)...)
	}
	e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+e.caID, map[string]any{"state": "disabled"})
	out, _ := e.cli(exitChanges, append([]string{"drift", "--repo", e.repo, "--watch", byName}, kinds...)...)
	crit, _, _ := strings.Cut(out, "not critical")
	if !strings.Contains(crit, layout.Safe(e.caName)) {
		t.Errorf("the watched policy's drift is not critical:\n%s", out)
	}
	// The app has not changed: the policy's drift is not critical for it.
	e.cli(exitOK, append([]string{"drift", "--repo", e.repo, "--watch", byAppID}, kinds...)...)
	e.do("PATCH", "/v1.0/applications/"+e.appID, map[string]any{"notes": "changed"})
	out, _ = e.cli(exitChanges, append([]string{"drift", "--repo", e.repo, "--watch", byAppID}, kinds...)...)
	crit, _, _ = strings.Cut(out, "not critical")
	if !strings.Contains(crit, layout.Safe(e.appName)) {
		t.Errorf("the application watched by appId is not critical:\n%s", out)
	}

	nobody := watch("nobody.yaml", "groups/Nobody Here")
	code, _, errOut := runCLI(t, append([]string{"drift", "--repo", e.repo, "--watch", nobody, "--graph-url", e.url, "--access-token", e.sim.Token()}, kinds...)...)
	if code != exitUsage || !strings.Contains(errOut, "--watch "+nobody) || !strings.Contains(errOut, `no groups named "Nobody Here"`) {
		t.Errorf("a watched name that names nothing: %d %s", code, errOut)
	}
}

func firstLine(s string) string { line, _, _ := strings.Cut(strings.TrimSpace(s), "\n"); return line }
