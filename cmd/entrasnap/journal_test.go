package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// TestRestoreRecordsAnEarlierRestoresJournal: a restore was killed after
// Graph answered its create of a purged group (the journal in the git
// directory holds old → new id; the id map at HEAD does not). The next
// restore (a plan only, --out) records the new id in the id map before it
// reads it, as a commit of the id map alone, says so on stderr, keeps in the
// journal only a create in doubt, and plans no second create; real git
// accepts the repository. Before it, check reports the journal (what to do),
// show and log name the object, and diff notes it.
func TestRestoreRecordsAnEarlierRestoresJournal(t *testing.T) {
	e := newRstEnv(t, nil)
	g, _ := rstGroupWithMembers(e, 1)
	old := rstStr(g["id"])
	e.do("DELETE", "/v1.0/groups/"+old, nil)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+old, nil)
	raw, err := e.c.Do(t.Context(), "POST", "/v1.0/groups", map[string]any{"displayName": g["displayName"], "mailEnabled": false,
		"mailNickname": "recreated", "securityEnabled": true})
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(raw.Body, &created); err != nil || created.ID == "" {
		t.Fatalf("create: %v %s", err, raw.Body)
	}
	// Beside it, a create sent whose answer never came (in doubt), of an
	// object with a hostile name the restore below does not select.
	const doubtOld, hostile = "6c0a7f7e-1d1e-4c3b-9a55-0a6c1d2e3f99", "Evil \x1b[31m\u202eeman\r\nnext\u200f"
	inDoubt := map[string]any{"kind": "users", "old": doubtOld, "name": hostile, "restore": e.first + " (0123456789ab)", "at": time.Now().UTC()}
	journal, _ := json.Marshal([]map[string]any{{"kind": "groups", "old": old, "name": g["displayName"], "restore": e.first + " (0123456789ab)",
		"at": time.Now().UTC(), "new": created.ID}, inDoubt})
	if err := os.WriteFile(filepath.Join(e.repo, ".git", importer.JournalFile), journal, 0o644); err != nil {
		t.Fatal(err)
	}
	before := strings.TrimSpace(e.git("rev-parse", "HEAD"))

	// Commands that only read the repository say so before the restore.
	code, out, errOut := runWith(t, e.factory(), "", false, "check", "--repo", e.repo)
	if code != exitOK || !strings.Contains(out, "git directory (outside every commit):") || !strings.Contains(out, "left 1 new id in its journal") ||
		!strings.Contains(out, old+" → "+created.ID) || !strings.Contains(out, "entrasnap restore --repo "+e.repo) ||
		!strings.Contains(out, "sent 1 create whose answer never came") || !strings.Contains(out, doubtOld) ||
		strings.ContainsAny(out, "\x1b\u202e\r\u200f") {
		t.Errorf("check with a leftover journal: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runWith(t, e.factory(), "", false, "check", "--repo", e.repo, "--json")
	var rep struct {
		Warnings  int
		Snapshots []struct{ Warnings int }
		State     []struct{ Severity, File, Message string } `json:"stateIssues"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != exitOK || err != nil || len(rep.Snapshots) != 1 || rep.Warnings != rep.Snapshots[0].Warnings+2 ||
		len(rep.State) != 2 || rep.State[0].File != ".git/"+importer.JournalFile || rep.State[1].Severity != "warning" {
		t.Errorf("check --json with a leftover journal: exit %d %v %+v\n%s", code, err, rep, out)
	}
	code, out, errOut = runWith(t, e.factory(), "", false, "show", "--repo", e.repo, "--at", e.first, old)
	if code != exitOK || !strings.Contains(out, old) || !strings.Contains(errOut, "recreated groups") || !strings.Contains(errOut, "as "+created.ID) ||
		!strings.Contains(errOut, "holds 1 new id not yet in the id map and 1 create in doubt") {
		t.Errorf("show of the recreated object: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runWith(t, e.factory(), "", false, "log", "--repo", e.repo, created.ID)
	if code == exitOK || !strings.Contains(errOut, created.ID+" is the id an interrupted restore") || !strings.Contains(errOut, old) {
		t.Errorf("log of the new id: exit %d\n%s", code, errOut)
	}
	if code, _, errOut = runWith(t, e.factory(), "", false, "diff", "--repo", e.repo, e.first, e.first); code != exitOK || !strings.Contains(errOut, "note: the journal of an interrupted restore") {
		t.Errorf("diff: exit %d\n%s", code, errOut)
	}

	plan := filepath.Join(t.TempDir(), "plan.json")
	code, out, errOut = runWith(t, e.factory(), "", false, "restore", "--repo", e.repo, "--at", e.first, old, "--out", plan,
		"--graph-url", e.url, "--access-token", e.sim.Token())
	if code != exitOK && code != exitChanges {
		t.Fatalf("restore: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "Recorded in "+importer.IDMapPath+" the 1 new id an earlier restore left in its journal (commit ") {
		t.Errorf("stderr does not say the journal was recorded:\n%s", errOut)
	}
	m, err := importer.DecodeIDMap([]byte(e.git("show", "HEAD:"+importer.IDMapPath)))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := m.Resolve(old); n != created.ID {
		t.Errorf("the id map at HEAD resolves %s to %q, want %s", old, n, created.ID)
	}
	if files := strings.Fields(e.git("diff", "--name-only", before, "HEAD")); len(files) != 1 || files[0] != importer.IDMapPath {
		t.Errorf("the commit changed %v, want only %s", files, importer.IDMapPath)
	}
	// The journal keeps the create in doubt alone, which check still reports.
	if left, err := os.ReadFile(filepath.Join(e.repo, ".git", importer.JournalFile)); err != nil || strings.Contains(string(left), created.ID) || !strings.Contains(string(left), doubtOld) {
		t.Errorf("the journal after the restore: %v\n%s", err, left)
	}
	if code, out, _ := runWith(t, e.factory(), "", false, "check", "--repo", e.repo); code != exitOK || strings.Contains(out, "new id") || !strings.Contains(out, "sent 1 create whose answer never came") {
		t.Errorf("check after the restore recorded the journal: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "+ create") {
		t.Errorf("the plan creates the group again:\n%s", out)
	}
	gitcheck.Fsck(t, e.repo)
}
