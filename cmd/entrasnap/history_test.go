package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// histFixture exports the demo tenant twice from graphsim with incidents in
// between: a CA policy's excluded groups changed, a group's membership
// changed, an app renamed with new redirect URIs, a named location deleted.
type histFixture struct {
	repo    string
	sim     *graphsim.Server
	url     string
	caID    string
	groupID string
	appID   string
}

func histDo(t *testing.T, f *histFixture, method, path string, body any) {
	t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, f.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+f.sim.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
}

func histExport(t *testing.T, f *histFixture, msg string) {
	t.Helper()
	code, out, errOut := runCLI(t, "export", "--repo", f.repo, "--graph-url", f.url, "--access-token", f.sim.Token(), "--message", msg)
	if code != exitOK {
		t.Fatalf("export: code %d\n%s\n%s", code, out, errOut)
	}
}

func newHistFixture(t *testing.T) *histFixture {
	t.Helper()
	// The first export: a copy of the one this test binary makes of this
	// tenant (newRstEnvWith).
	e := newRstEnvWith(t, graphsim.Options{Seed: 3}, nil)
	sim := e.sim
	f := &histFixture{repo: e.repo, sim: sim, url: e.url}
	tn := sim.Tenant()
	// Pick objects from the tenant.
	for _, p := range tn.List("conditionalAccessPolicy") {
		if len(strsOf(p, "conditions", "users", "excludeGroups")) > 0 {
			f.caID = p["id"].(string)
			break
		}
	}
	for _, g := range tn.List("group") {
		if len(tn.Links("group", g["id"].(string), "members")) > 1 && g["onPremisesSyncEnabled"] != true {
			if gt, _ := g["groupTypes"].([]any); len(gt) == 0 {
				f.groupID = g["id"].(string)
				break
			}
		}
	}
	f.appID = tn.List("application")[0]["id"].(string)
	if f.caID == "" || f.groupID == "" {
		t.Fatal("demo tenant lacks a CA policy with excluded groups or a security group with members")
	}
	// Incidents.
	histDo(t, f, "PATCH", "/v1.0/identity/conditionalAccess/policies/"+f.caID, map[string]any{"state": "disabled"})
	member := tn.Links("group", f.groupID, "members")[0]
	histDo(t, f, "DELETE", "/v1.0/groups/"+f.groupID+"/members/"+member+"/$ref", nil)
	histDo(t, f, "PATCH", "/v1.0/applications/"+f.appID, map[string]any{"displayName": "Renamed App",
		"web": map[string]any{"redirectUris": []string{"https://evil.example/cb"}}})
	histExport(t, f, "second")
	return f
}

func strsOf(m map[string]any, path ...string) []any {
	var cur any = m
	for _, p := range path {
		mm, _ := cur.(map[string]any)
		cur = mm[p]
	}
	a, _ := cur.([]any)
	return a
}

func TestHistoryCommands(t *testing.T) {
	f := newHistFixture(t)

	// snapshots: two, newest first, complete.
	code, out, errOut := runCLI(t, "snapshots", "--repo", f.repo, "--json")
	if code != exitOK {
		t.Fatalf("snapshots: %d %s", code, errOut)
	}
	var snaps []history.Tagged
	if err := json.Unmarshal([]byte(out), &snaps); err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || !snaps[0].Complete || snaps[0].Objects < 200 || !strings.Contains(snaps[0].Description, "second") {
		t.Fatalf("snapshots = %+v", snaps)
	}

	// diff (default: previous → latest): the three incidents, named.
	code, out, errOut = runCLI(t, "diff", "--repo", f.repo)
	if code != exitOK {
		t.Fatalf("diff: %d %s", code, errOut)
	}
	for _, want := range []string{`state: "enabled`, `→ "disabled"`, "members: - ", `web.redirectUris: + "https://evil.example/cb"`, "Renamed App", "3 changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "unknown (") {
		t.Errorf("diff has unresolved names:\n%s", out)
	}
	// The changed paths agree with git's own diff.
	git := exec.Command("git", "-C", f.repo, "diff", "--name-only", "HEAD~1", "HEAD")
	names, err := git.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(names)) {
		if strings.HasPrefix(p, ".entrasnap/") {
			continue
		}
		if !strings.Contains(out, p) {
			t.Errorf("git reports %s changed; entrasnap diff does not name it:\n%s", p, out)
		}
	}
	// --exit-code, markdown and json.
	if code, _, _ := runCLI(t, "diff", "--repo", f.repo, "--exit-code"); code != exitChanges {
		t.Errorf("--exit-code with changes: %d", code)
	}
	if code, _, _ := runCLI(t, "diff", "--repo", f.repo, "--exit-code", "HEAD", "HEAD"); code != exitOK {
		t.Errorf("--exit-code without changes: %d", code)
	}
	code, out, _ = runCLI(t, "diff", "--repo", f.repo, "--format", "markdown", "--kinds", "conditional-access")
	if code != exitOK || !strings.HasPrefix(out, "### entrasnap diff") || strings.Contains(out, "App registrations") {
		t.Errorf("markdown --kinds conditional-access:\n%s", out)
	}
	code, out, _ = runCLI(t, "diff", "--repo", f.repo, "--format", "json")
	var js struct{ Changed int }
	if code != exitOK || json.Unmarshal([]byte(out), &js) != nil || js.Changed != 3 {
		t.Errorf("json diff: %d %s", code, out)
	}

	// show: by id and by kind/displayName, with names annotated.
	code, out, errOut = runCLI(t, "show", "--repo", f.repo, f.caID)
	if code != exitOK || !strings.Contains(out, "excludeGroups") || !strings.Contains(out, "  # ") {
		t.Errorf("show CA policy: %d %s\n%s", code, errOut, out)
	}
	code, out, errOut = runCLI(t, "show", "--repo", f.repo, "applications/Renamed App")
	if code != exitOK || !strings.Contains(out, "evil.example") {
		t.Errorf("show by name: %d %s\n%s", code, errOut, out)
	}
	code, out, _ = runCLI(t, "show", "--repo", f.repo, "--at", "HEAD~1", "applications/Renamed App")
	if code != exitError || !strings.Contains(errOutOf(t, "show", "--repo", f.repo, "--at", "HEAD~1", "applications/Renamed App"), `no applications named "Renamed App" at this revision (at HEAD~1)`) {
		t.Errorf("show by the new name at the old revision should not find it: %d\n%s", code, out)
	}

	// log: the renamed app's history has its creation and the rename.
	code, out, errOut = runCLI(t, "log", "--repo", f.repo, f.appID)
	if code != exitOK || !strings.Contains(out, "renamed:") || !strings.Contains(out, "added") {
		t.Errorf("log: %d %s\n%s", code, errOut, out)
	}

	// Every command that reads the repository closes it.
	for _, args := range [][]string{
		{"snapshots", "--repo", f.repo},
		{"diff", "--repo", f.repo},
		{"diff", "--repo", f.repo, "--format", "json", "--exit-code"},
		{"diff", "--repo", f.repo, "no-such-rev"},
		{"show", "--repo", f.repo, f.caID},
		{"log", "--repo", f.repo, f.appID},
		{"check", "--repo", f.repo},
	} {
		runClosing(t, args...)
	}

	// Errors are one line and say what to do.
	for _, args := range [][]string{
		{"diff", "--repo", t.TempDir()},
		{"diff", "--repo", f.repo, "no-such-rev"},
		{"show", "--repo", f.repo, "no-such-object"},
		{"diff", "--repo", f.repo, "--format", "yaml"},
	} {
		code, _, errOut := runCLI(t, args...)
		if code == exitOK || strings.Count(strings.TrimSpace(errOut), "\n") > 0 || errOut == "" {
			t.Errorf("%v: code %d, stderr %q", args, code, errOut)
		}
	}
}

// runClosing runs entrasnap with args and fails the test unless every
// repository the command opened is closed when it returns.
func runClosing(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var opened []*snapshot.Repo
	repoOpened = func(r *snapshot.Repo) { opened = append(opened, r) }
	defer func() { repoOpened = nil }()
	code, stdout, stderr = runCLI(t, args...)
	if len(opened) == 0 {
		t.Errorf("%v opened no repository", args)
	}
	for _, r := range opened {
		if !r.Closed() {
			t.Errorf("%v left the repository %s open", args, r.Path())
		}
	}
	return code, stdout, stderr
}

// diff with no revisions on a repository of one snapshot says there is
// nothing to compare yet; diff and snapshots close the repository.
func TestDiffOfOneSnapshot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backup")
	r, err := snapshot.Init(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	groups, _ := layout.Lookup("groups")
	obj := map[string]any{"id": "3f2a0b1c-1111-4000-8000-000000000001", "displayName": "Finance"}
	p, err := layout.Path(groups, obj)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WriteSnapshot(context.Background(), snapshot.Snapshot{Files: map[string][]byte{p: layout.Canonical(groups, obj)}, Message: "one"}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	code, _, errOut := runClosing(t, "diff", "--repo", dir)
	if code != exitError || !strings.Contains(errOut, "only one snapshot: nothing to compare yet") {
		t.Errorf("diff of one snapshot: code %d, stderr %q", code, errOut)
	}
	code, _, errOut = runClosing(t, "diff", "--repo", dir, "HEAD~3", "HEAD")
	if code != exitError || strings.Contains(errOut, "only one snapshot") || !strings.Contains(errOut, "HEAD~3") {
		t.Errorf("diff HEAD~3 HEAD: code %d, stderr %q (want the revision error)", code, errOut)
	}
	code, _, errOut = runClosing(t, "diff", "--repo", dir, "HEAD", "HEAD")
	if code != exitOK {
		t.Errorf("diff HEAD HEAD: code %d, stderr %q", code, errOut)
	}
	code, _, errOut = runClosing(t, "snapshots", "--repo", dir)
	if code != exitError || !strings.Contains(errOut, "no snapshots") {
		t.Errorf("snapshots of an untagged repository: code %d, stderr %q", code, errOut)
	}
}

func errOutOf(t *testing.T, args ...string) string {
	t.Helper()
	_, _, e := runCLI(t, args...)
	return e
}

// Flags may follow the arguments, as users type them.
func TestHistoryFlagsAfterArguments(t *testing.T) {
	f := newHistFixture(t)
	code, out, errOut := runCLI(t, "diff", "--repo", f.repo, "HEAD~1", "HEAD", "--format", "json", "--exit-code")
	if code != exitChanges || !strings.HasPrefix(strings.TrimSpace(out), "{") {
		t.Errorf("diff with flags after revisions: %d %s\n%s", code, errOut, out)
	}
	code, out, errOut = runCLI(t, "show", "--repo", f.repo, f.caID, "--at", "HEAD~1")
	if code != exitOK || !strings.Contains(out, "at HEAD~1") {
		t.Errorf("show with --at after the object: %d %s\n%s", code, errOut, out)
	}
	if code, _, errOut := runCLI(t, "diff", "--repo", f.repo, "HEAD", "--no-such-flag"); code != exitUsage || !strings.Contains(errOut, "--no-such-flag") {
		t.Errorf("unknown flag after arguments: %d %q", code, errOut)
	}
}

// countingWriter counts the writes made to it.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// diff writes its output through a buffer: the text form, written a line
// at a time, cost a system call a line on a real stdout (735 for the
// 100,000-user bench's daily diff; issue 12, row e1). The output is the
// same in every format.
func TestDiffWritesItsOutputAtOnce(t *testing.T) {
	f := newHistFixture(t)
	for _, format := range []string{"text", "markdown", "json"} {
		var w countingWriter
		var errb bytes.Buffer
		code := run([]string{"entrasnap", "diff", "--repo", f.repo, "--format", format}, strings.NewReader(""), &w, &errb)
		_, want, _ := runCLI(t, "diff", "--repo", f.repo, "--format", format)
		if code != exitOK || w.String() != want || strings.Count(want, "\n") < 5 {
			t.Fatalf("%s: exit %d, %q; want %q (%s)", format, code, w.String(), want, errb.String())
		}
		if w.writes > 1 {
			t.Errorf("%s: %d writes for %d lines, want 1", format, w.writes, strings.Count(want, "\n"))
		}
	}
}
