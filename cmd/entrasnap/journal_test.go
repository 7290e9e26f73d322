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
// reads it, as a commit of the id map alone, says so on stderr, empties the
// journal, and plans no second create; real git accepts the repository.
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
	journal, _ := json.Marshal([]map[string]any{{"kind": "groups", "old": old, "name": g["displayName"], "restore": e.first + " (0123456789ab)",
		"at": time.Now().UTC(), "new": created.ID}})
	if err := os.WriteFile(filepath.Join(e.repo, ".git", importer.JournalFile), journal, 0o644); err != nil {
		t.Fatal(err)
	}
	before := strings.TrimSpace(e.git("rev-parse", "HEAD"))

	plan := filepath.Join(t.TempDir(), "plan.json")
	code, out, errOut := runWith(t, e.factory(), "", false, "restore", "--repo", e.repo, "--at", e.first, old, "--out", plan,
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
	if _, err := os.Stat(filepath.Join(e.repo, ".git", importer.JournalFile)); !os.IsNotExist(err) {
		t.Errorf("the journal is still there: %v", err)
	}
	if strings.Contains(out, "+ create") {
		t.Errorf("the plan creates the group again:\n%s", out)
	}
	gitcheck.Fsck(t, e.repo)
}
