package importer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// commitFile writes path in e's working tree and commits it with the real
// git CLI, as a person (or a merge) would.
func (e *env) commitFile(path string, data []byte, msg string) {
	e.t.Helper()
	dir := e.repo.Path()
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(path)), data, 0o644); err != nil {
		e.t.Fatal(err)
	}
	git(e.t, dir, "add", path)
	git(e.t, dir, "commit", "-q", "-m", msg)
}

// TestRecordRefusesToOverwriteAnUnreadableIDMap: the id map at HEAD holds
// an earlier restore's old → new id; a bad edit of it is committed while a
// restore that recreates a purged CA policy runs. record must not write a
// fresh id map over it (that would lose the earlier entry): the restore
// result stays, the snapshot is not recorded, the error names the file,
// lists the recreated object (old → new id) and says how to repair, and
// the journal keeps the new id. After the repair, the next plan finds the
// recreated policy by that id (nothing to do), and the next restore that
// writes records both the earlier entry and the new one.
func TestRecordRefusesToOverwriteAnUnreadableIDMap(t *testing.T) {
	e := newEnv(t, graphsim.Options{CARecycleBinAppOnly: true}, nil)
	const earlierOld, earlierNew = "0a1b2c3d-0000-4000-8000-000000000001", "0a1b2c3d-0000-4000-8000-000000000002"
	good := NewIDMap()
	good.Add("groups", earlierOld, earlierNew, "snapshot/earlier (0123456789ab)")
	e.commitFile(IDMapPath, good.Encode(), "an earlier restore's id map")

	victim := e.enabledPolicy()
	id := str(victim["id"])
	e.do("DELETE", "/v1.0/identity/conditionalAccess/policies/"+id, nil)
	e.do("DELETE", "/beta/identity/conditionalAccess/deletedItems/policies/"+id, nil)
	e.recordIncident()
	sel := []string{id}
	p := e.plan(e.first, sel, Options{CAState: CAStateAsIs})
	if len(p.Actions) == 0 || p.Actions[0].Op != OpCreate {
		t.Fatalf("plan:\n%s", render(p))
	}
	head := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD"))

	// The bad edit lands while the restore runs (after the plan was
	// checked against the id map).
	bad := []byte("format: 1\nids:\n  " + earlierOld + ": {kind: groups, id\n")
	o := e.applyOpts()
	var once sync.Once
	o.Progress = func(ActionResult) {
		once.Do(func() { e.commitFile(IDMapPath, bad, "a bad edit of the id map") })
	}
	res, err := Apply(context.Background(), p, o)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	newID, ok := res.IDs.Resolve(id)
	if !ok || strings.EqualFold(newID, id) || res.Count()[StatusDone] == 0 {
		t.Fatalf("the restore did not recreate the policy: %+v ids %+v", res.Actions, res.IDs)
	}
	if res.Snapshot != nil {
		t.Fatalf("a snapshot was recorded over the unreadable id map: %+v", res.Snapshot)
	}
	for _, want := range []string{IDMapPath + " at HEAD cannot be read", "not recorded", "conditional-access-policies " + strings.ToLower(id) + " → " + newID, JournalFile, "git log -p -- " + IDMapPath, "run the same restore again"} {
		if !strings.Contains(res.SnapshotErr, want) {
			t.Errorf("SnapshotErr lacks %q:\n%s", want, res.SnapshotErr)
		}
	}
	if res.Outcome() == Applied || res.Err() == nil {
		t.Errorf("outcome %v: an unrecorded restore must not read as fully applied", res.Outcome())
	}
	var report strings.Builder
	res.Report(&report, p)
	if !strings.Contains(report.String(), "not recorded in "+IDMapPath+" yet") || !strings.Contains(report.String(), newID) {
		t.Errorf("report:\n%s", report.String())
	}
	// Nothing was written over the bad file: HEAD is the bad edit, on
	// top of the commit before.
	if got := git(t, e.repo.Path(), "show", "HEAD:"+IDMapPath); got != string(bad) {
		t.Errorf("id map at HEAD changed:\n%s", got)
	}
	if parent := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD~1")); parent != head {
		t.Errorf("HEAD~1 = %s, want the commit before the bad edit %s", parent, head)
	}
	journal, err := readJournal(e.repo)
	if err != nil || journalIDs(journal).IDs[strings.ToLower(id)].New != newID {
		t.Fatalf("the journal lost the new id: %+v %v", journal, err)
	}
	fsck(t, e.repo.Path())

	// The repair the message describes: the good file back from history.
	e.commitFile(IDMapPath, []byte(git(t, e.repo.Path(), "show", "HEAD~1:"+IDMapPath)), "repair the id map")
	e.mustBeEmpty(sel, Options{CAState: CAStateAsIs})

	// The next restore that writes records the earlier entry and the new one.
	e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+newID, map[string]any{"state": "disabled"})
	p2 := e.plan(e.first, sel, Options{CAState: CAStateAsIs})
	if len(p2.Actions) == 0 || p2.Actions[0].Op != OpUpdate {
		t.Fatalf("second plan:\n%s", render(p2))
	}
	res2 := e.apply(p2)
	if res2.Snapshot == nil || res2.SnapshotErr != "" {
		t.Fatalf("second restore not recorded: %s", res2.SnapshotErr)
	}
	m, err := DecodeIDMap([]byte(git(t, e.repo.Path(), "show", "HEAD:"+IDMapPath)))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := m.Resolve(earlierOld); n != earlierNew {
		t.Errorf("the earlier restore's entry was lost: %+v", m.IDs)
	}
	if n, _ := m.Resolve(id); n != newID {
		t.Errorf("the recreated policy is not in the id map: %+v", m.IDs)
	}
	if j, err := readJournal(e.repo); err != nil || len(j) != 0 {
		t.Errorf("journal after a recorded restore: %+v %v", j, err)
	}
	fsck(t, e.repo.Path())
}
