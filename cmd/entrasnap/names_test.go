package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// hostileName holds what made a snapshot unreadable or a terminal lie:
// DEL, C1 controls, noncharacters, ANSI escapes with a carriage return, and
// bidi overrides and isolates.
const hostileName = "Payroll\x7f \u0080\u0085\u009f \ufffe\uffff\U0001fffe \x1b[32m~ changed  Fine\x1b[0m\r \u202eevil\u2066x\u2069 \ufeff"

// local runs a command that reads only the repository and checks its exit code.
func local(t *testing.T, want int, args ...string) (string, string) {
	t.Helper()
	code, out, errOut := runCLI(t, args...)
	if code != want {
		t.Fatalf("entrasnap %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out, errOut
}

// terminalControls are what no human output may hold raw.
var terminalControls = []string{"\x1b", "\r", "\x7f", "\u0085", "\u202e", "\u2066", "\ufffe"}

func rawControls(s string) []string {
	var found []string
	for _, c := range terminalControls {
		if strings.Contains(s, c) {
			found = append(found, c)
		}
	}
	return found
}

// A group named with hostile characters is exported into a readable
// snapshot: check passes, diff shows it escaped, and restoring an unrelated
// object from that snapshot works.
func TestHostileNameKeepsTheSnapshotReadable(t *testing.T) {
	e := newRstEnv(t, nil)
	e.do("POST", "/v1.0/groups", map[string]any{"displayName": hostileName, "mailEnabled": false, "mailNickname": "payroll",
		"securityEnabled": true, "description": "line one\r\nline two \x7f\u009b"})
	e.cli(exitOK, "export", "--repo", e.repo, "--message", "hostile name")
	tag := strings.TrimSpace(e.git("describe", "--tags", "--exact-match", "HEAD"))

	// The file holds the name exactly (escaped as YAML), and check reads it.
	out, errOut := local(t, exitOK, "check", "--repo", e.repo)
	if bad := rawControls(out + errOut); len(bad) > 0 {
		t.Errorf("check output holds %q raw:\n%s", bad, out)
	}
	file := firstFile(t, e.repo, "groups", `\u202eevil`)
	data, err := os.ReadFile(filepath.Join(e.repo, file))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `displayName: "Payroll\u007f \u0080\u0085\u009f \ufffe\uffff\U0001fffe \u001b[32m~ changed  Fine\u001b[0m\r \u202eevil\u2066x\u2069 \ufeff"`) {
		t.Errorf("file %s:\n%s", file, data)
	}

	// diff, show and log render the name escaped.
	out, _ = local(t, exitChanges, "diff", "--repo", e.repo, e.first, tag, "--exit-code")
	if bad := rawControls(out); len(bad) > 0 {
		t.Errorf("diff holds %q raw:\n%s", bad, out)
	}
	if !strings.Contains(out, `+ added   Payroll\x7f \x80\x85\x9f \ufffe\uffff\U0001fffe \x1b[32m~ changed  Fine\x1b[0m\r \u202eevil\u2066x\u2069 \ufeff  (groups/`) {
		t.Errorf("diff does not show the added group escaped:\n%s", out)
	}
	md, _ := local(t, exitOK, "diff", "--repo", e.repo, e.first, tag, "--format", "markdown")
	if bad := rawControls(md); len(bad) > 0 {
		t.Errorf("markdown diff holds %q raw:\n%s", bad, md)
	}
	for _, cmd := range [][]string{{"show", file}, {"log", file}} {
		out, errOut := local(t, exitOK, append([]string{cmd[0], "--repo", e.repo}, cmd[1:]...)...)
		if bad := rawControls(out + errOut); len(bad) > 0 {
			t.Errorf("%s holds %q raw:\n%s", cmd[0], bad, out)
		}
	}

	// A change of the group's description to a hostile value: log --json
	// carries the value exactly and its summary line unescaped for a
	// terminal; log escapes the line once.
	gid := strings.TrimSuffix(file[strings.LastIndexByte(file, '.')-36:], ".yaml")
	value := "say \"hi\"\nnext \u200fRTL 😀 <b>&"
	e.do("PATCH", "/v1.0/groups/"+gid, map[string]any{"description": value})
	e.cli(exitOK, "export", "--repo", e.repo, "--message", "hostile description")
	js, _ := local(t, exitOK, "log", "--repo", e.repo, "--json", file)
	var entries []struct {
		Summary []string
		Changes []struct {
			Path string
			New  any
		}
	}
	if err := json.Unmarshal([]byte(js), &entries); err != nil || len(entries) == 0 {
		t.Fatalf("log --json (%v):\n%s", err, js)
	}
	quote := func(s string) string { // as JSON quotes it, <, > and & as they are
		b, _ := json.Marshal(s)
		return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
	}
	wantLine := "description: " + quote("line one\r\nline two \x7f\u009b") + " → " + quote(value)
	if got := entries[0].Summary; len(got) != 1 || got[0] != wantLine {
		t.Errorf("log --json summary %q, want %q", got, wantLine)
	}
	if got := entries[0].Changes; len(got) != 1 || got[0].Path != "description" || got[0].New != value {
		t.Errorf("log --json changes %+v, want the description exactly", got)
	}
	text, _ := local(t, exitOK, "log", "--repo", e.repo, file)
	if !strings.Contains(text, "    "+layout.Safe(wantLine)+"\n") || strings.Contains(text, "\u200f") {
		t.Errorf("log does not show the summary escaped once:\n%s", text)
	}

	// Restoring an unrelated object from that snapshot works.
	victim := e.enabledPolicy()
	e.do("DELETE", "/v1.0/identity/conditionalAccess/policies/"+rstStr(victim["id"]), nil)
	out, _ = e.cli(exitOK, "restore", "--repo", e.repo, "--at", tag, "conditional-access-policies/"+rstStr(victim["displayName"]), "--yes")
	if !strings.Contains(out, "Verified") {
		t.Errorf("restore:\n%s", out)
	}
	// And a whole-kind restore plan shows the hostile group escaped.
	e.do("DELETE", "/v1.0/groups/"+gid, nil)
	out, errOut = e.cli(exitChanges, "restore", "--repo", e.repo, "--at", tag, "groups", "--out", filepath.Join(t.TempDir(), "plan.json"))
	if bad := rawControls(out + errOut); len(bad) > 0 {
		t.Errorf("restore plan holds %q raw:\n%s", bad, out)
	}
	if !strings.Contains(out, `restore from deleted items Payroll\x7f`) {
		t.Errorf("plan:\n%s", out)
	}
}

// A file that cannot be read (as the old encoder wrote DEL raw) no longer
// makes the whole snapshot unreadable: diff and an unrelated restore go on
// and say which file was left out (a restore reads only the files it
// needs: lean.go); a restore that selects it fails naming
// it; check reports it as an error.
func TestUnreadableFileIsSkippedUnlessSelected(t *testing.T) {
	e := newRstEnv(t, nil)
	broken := firstFile(t, e.repo, "groups", "displayName:")
	editFile(t, e.repo, broken, func(s string) string {
		return strings.Replace(s, `displayName: "`, "displayName: \"Broken\x7f", 1)
	})
	loc := firstFile(t, e.repo, "conditional-access/named-locations", "displayName:")
	editFile(t, e.repo, loc, func(s string) string {
		return strings.Replace(s, `displayName: "`, `displayName: "Renamed `, 1)
	})
	gitCLI(t, e.repo, "commit", "-q", "-am", "an old, unreadable file")
	gitCLI(t, e.repo, "tag", "snapshot/broken")

	out, errOut := local(t, exitOK, "diff", "--repo", e.repo, e.first, "snapshot/broken")
	if !strings.Contains(errOut, "warning: "+broken+" at ") || !strings.Contains(errOut, "could not be read and was left out") {
		t.Errorf("diff does not warn about %s:\nstderr:\n%s", broken, errOut)
	}
	if !strings.Contains(out, "Renamed ") || strings.Contains(out, "- removed") {
		t.Errorf("diff:\n%s", out)
	}

	// log and show of the unreadable file itself: shown, escaped, and named.
	out, errOut = local(t, exitOK, "log", "--repo", e.repo, broken)
	if !strings.Contains(errOut, "warning: "+broken) || !strings.Contains(out, "could not be read here") {
		t.Errorf("log of %s:\n%s\nstderr:\n%s", broken, out, errOut)
	}
	out, _ = local(t, exitOK, "show", "--repo", e.repo, broken)
	if !strings.Contains(out, `displayName: "Broken\x7f`) || strings.Contains(out, "\x7f") {
		t.Errorf("show of %s:\n%s", broken, out)
	}

	out, _ = local(t, exitError, "check", "--repo", e.repo)
	if !strings.Contains(out, broken) {
		t.Errorf("check does not report %s:\n%s", broken, out)
	}

	// drift against that baseline: the unreadable file is left out of both
	// sides (not reported as an added group), and named.
	out, errOut = e.cli(exitChanges, "drift", "--repo", e.repo, "--baseline", "snapshot/broken")
	if !strings.Contains(errOut, "warning: "+broken+" at ") || strings.Contains(out, "+ added") || !strings.Contains(out, "Renamed ") {
		t.Errorf("drift against a baseline with %s unreadable:\n%s\nstderr:\n%s", broken, out, errOut)
	}

	// An unrelated restore plans. It does not read the unselected groups'
	// files (importer/lean.go; docs/design.md "Lean snapshot reads"), so
	// it cannot name the broken one; check does (above).
	out, _ = e.cli(exitChanges, "restore", "--repo", e.repo, "--at", "snapshot/broken", "named-locations", "--out", filepath.Join(t.TempDir(), "p.json"))
	if !strings.Contains(out, "Renamed ") {
		t.Errorf("restore plan of named-locations:\n%s", out)
	}
	// Selecting it, by kind or by id, fails naming it.
	id := strings.TrimSuffix(broken[strings.LastIndexByte(broken, '.')-36:], ".yaml")
	for _, sel := range []string{"groups", id, broken} {
		_, errOut = e.cli(exitError, "restore", "--repo", e.repo, "--at", "snapshot/broken", sel, "--yes")
		if !strings.Contains(errOut, broken) || !strings.Contains(errOut, "nothing was written") {
			t.Errorf("restore %s:\n%s", sel, errOut)
		}
	}
}

// An undeclared property holding a secret never reaches a file, the
// commit, the tag or anything export prints; the property is named.
func TestExportDropsUndeclaredSecretsEverywhere(t *testing.T) {
	e := newRstEnv(t, nil)
	const leak = "Q9x8Q~undeclaredClientSecretValue0123456789"
	if _, err := e.sim.Tenant().Seed("application", map[string]any{
		"id": "7c3f6b9e-0000-4000-8000-0000000000c1", "appId": "7c3f6b9e-0000-4000-8000-00000000c001", "displayName": "Leaky Vendor App",
		"clientSecret": leak, "web": map[string]any{"redirectUris": []any{}, "password": leak},
	}); err != nil {
		t.Fatal(err)
	}
	js, errOut := e.cli(exitOK, "export", "--repo", e.repo, "--json")
	e.do("PATCH", "/v1.0/applications/7c3f6b9e-0000-4000-8000-0000000000c1", map[string]any{"description": "changed"})
	text, errOut2 := e.cli(exitOK, "export", "--repo", e.repo)
	history := e.git("log", "--all", "--format=%B") + e.git("tag", "-l", "--format=%(contents)")
	if all := js + errOut + text + errOut2 + history; strings.Contains(all, leak) {
		t.Fatalf("the secret reached the output or the history:\n%s", all)
	}
	out, err := exec.Command("git", "-C", e.repo, "grep", "-I", "-F", leak, "HEAD", "HEAD~1").CombinedOutput()
	if err == nil || len(out) > 0 {
		t.Errorf("git grep finds the secret (%v): %s", err, out)
	}
	for _, prop := range []string{"clientSecret", "web.password"} {
		if !strings.Contains(js, prop) || !strings.Contains(errOut2, prop) || !strings.Contains(history, ": "+prop+"\n") {
			t.Errorf("export does not name %s:\n%s\n%s\n%s", prop, js, errOut2, history)
		}
	}
}
