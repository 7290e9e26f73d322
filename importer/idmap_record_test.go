package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
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

	victim, sel, p := e.purgeEnabledPolicy()
	id := str(victim["id"])
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

// TestNewIDsRecordedWithoutASecondRestore: two purged groups are recreated
// under new ids. The first restore's snapshot fails: the new id is in the
// id map at HEAD at once (a commit of the id map alone), not only after a
// later restore writes. The second restore is interrupted right after its
// create (the journal written, the map not, as a killed restore leaves
// them): the next reader (RecordJournal, which restore and apply run
// first) records it, changing nothing but the id map, and the next plan
// finds the group under its new id. The repository stays valid for git.
func TestNewIDsRecordedWithoutASecondRestore(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	var groups []string
	for _, g := range e.plainSecurityGroups() {
		groups = append(groups, str(g["id"]))
	}
	if len(groups) < 2 {
		t.Fatal("the demo tenant has fewer than two plain security groups")
	}
	g1, g2 := groups[len(groups)-1], groups[len(groups)-2]
	for _, id := range []string{g1, g2} {
		e.do("DELETE", "/v1.0/groups/"+id, nil)
		e.do("DELETE", "/v1.0/directory/deletedItems/"+id, nil)
	}
	headMap := func() *IDMap {
		t.Helper()
		m, err := DecodeIDMap([]byte(git(t, e.repo.Path(), "show", "HEAD:"+IDMapPath)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	create := func(p *Plan) {
		t.Helper()
		if len(p.Actions) == 0 || p.Actions[0].Op != OpCreate {
			t.Fatalf("plan:\n%s", render(p))
		}
	}

	// The post-restore snapshot fails.
	p := e.plan(e.first, []string{g1}, Options{})
	create(p)
	o := e.applyOpts()
	o.Record = func(context.Context, []*layout.Kind, string, map[string][]byte) (*SnapshotInfo, error) {
		return nil, errors.New("export: Graph answered 503 three times")
	}
	o.IDCommit = &IDCommit{}
	res, err := Apply(ctx, p, o)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	new1, ok := res.IDs.Resolve(g1)
	if !ok || strings.EqualFold(new1, g1) || res.Snapshot != nil || res.IDsCommit == "" {
		t.Fatalf("recreated %v %q, snapshot %+v, ids commit %q, error %q", ok, new1, res.Snapshot, res.IDsCommit, res.SnapshotErr)
	}
	if n, _ := headMap().Resolve(g1); n != new1 {
		t.Errorf("the id map at HEAD resolves %s to %q, want %s", g1, n, new1)
	}
	if head := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD")); head != res.IDsCommit {
		t.Errorf("HEAD %s, want the id map's commit %s", head, res.IDsCommit)
	}
	if j, err := readJournal(e.repo); err != nil || len(j) != 0 {
		t.Errorf("journal after the ids were recorded: %+v %v", j, err)
	}
	var report strings.Builder
	res.Report(&report, p)
	if !strings.Contains(report.String(), "recorded in "+IDMapPath+" by commit") || !strings.Contains(report.String(), "export: Graph answered 503") {
		t.Errorf("report:\n%s", report.String())
	}

	// Interrupted after the create: the journal has the id, the map not.
	p = e.plan(e.first, []string{g2}, Options{})
	create(p)
	before := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD"))
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	o = e.applyOpts()
	o.Progress = func(ar ActionResult) {
		if ar.Op == OpCreate && ar.Status == StatusDone {
			cancel()
		}
	}
	res, err = Apply(ictx, p, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("apply: %v, want interrupted", err)
	}
	new2, ok := res.IDs.Resolve(g2)
	if !ok || strings.EqualFold(new2, g2) {
		t.Fatalf("the interrupted restore did not recreate %s: %+v", g2, res.Actions)
	}
	if n, ok := headMap().Resolve(g2); ok {
		t.Fatalf("the id map at HEAD already has %s → %s", g2, n)
	}
	if j, _ := readJournal(e.repo); journalIDs(j).IDs[strings.ToLower(g2)].New != new2 {
		t.Fatalf("the journal lacks %s → %s: %+v", g2, new2, j)
	}

	// Until then show, log and diff note it (the repository's name as the
	// user gave it, quoted for the command suggested), and an object not
	// found by its new id is explained by its old one.
	const hostileRepo = "../my repo\u200f\n🙂"
	var notes strings.Builder
	WriteJournalNotes(ctx, &notes, e.repo, strings.ToUpper(new2), hostileRepo)
	if lines := strings.Split(strings.TrimSuffix(notes.String(), "\n"), "\n"); len(lines) != 2 ||
		!strings.HasPrefix(lines[0], "note: "+strings.ToUpper(new2)+" is the id an interrupted restore") ||
		!strings.Contains(lines[1], "1 new id not yet in the id map") || strings.Contains(notes.String(), "\u200f") {
		t.Errorf("journal notes:\n%s", notes.String())
	}
	notFound := errors.New("no object " + new2)
	if err := JournalNotFound(ctx, e.repo, e.repo.Path(), new2, notFound); !errors.Is(err, notFound) ||
		!strings.Contains(strings.ToLower(err.Error()), "look it up by that id ("+strings.ToLower(g2)+")") {
		t.Errorf("JournalNotFound of the new id: %v", err)
	}

	// The next reader records it.
	rec, err := RecordJournal(ctx, e.repo, IDCommit{})
	if err != nil || rec == nil || rec.Commit == "" {
		t.Fatalf("RecordJournal: %+v %v", rec, err)
	}
	m := headMap()
	if n, _ := m.Resolve(g2); n != new2 {
		t.Errorf("the id map at HEAD resolves %s to %q, want %s", g2, n, new2)
	}
	if n, _ := m.Resolve(g1); n != new1 {
		t.Errorf("the earlier entry was lost: %+v", m.IDs)
	}
	if files := strings.Fields(git(t, e.repo.Path(), "diff", "--name-only", before, "HEAD")); len(files) != 1 || files[0] != IDMapPath {
		t.Errorf("the commit changed %v, want only %s", files, IDMapPath)
	}
	if msg := git(t, e.repo.Path(), "log", "-1", "--format=%B"); !strings.Contains(msg, "groups "+strings.ToLower(g2)+" → "+new2) {
		t.Errorf("commit message:\n%s", msg)
	}
	if j, err := readJournal(e.repo); err != nil || len(j) != 0 {
		t.Errorf("journal after it was recorded: %+v %v", j, err)
	}
	notes.Reset()
	if WriteJournalNotes(ctx, &notes, e.repo, new2, hostileRepo); notes.Len() != 0 {
		t.Errorf("journal notes once it was recorded:\n%s", notes.String())
	}
	if err := JournalNotFound(ctx, e.repo, e.repo.Path(), new2, notFound); err != notFound {
		t.Errorf("JournalNotFound once the journal was recorded: %v", err)
	}
	if again, err := RecordJournal(ctx, e.repo, IDCommit{}); again != nil || err != nil {
		t.Errorf("a second RecordJournal: %+v %v, want nothing to do", again, err)
	}
	p = e.plan(e.first, []string{g2}, Options{})
	for _, op := range p.Actions {
		if op.Op == OpCreate {
			t.Errorf("the next plan creates the group again: %+v", op)
		}
	}
	if !p.Empty() {
		e.apply(p) // what the interrupt left undone (the tenant is shared)
	}
	fsck(t, e.repo.Path())
}

// TestUnreadableIDMapNamedByEveryReader: the id map at HEAD has one reader
// (readIDMap) for its four callers. Without an id map, none of them sees
// an error; with a bad edit of it committed (and the journal of an
// interrupted restore in the git directory), each says which file cannot
// be read and how to repair it: a plan (Load) refuses, RecordJournal
// refuses and writes nothing over it, ReadLeftoverJournal reports it
// (it used to compare the journal with an empty map and report every id
// as unrecorded), and the post-restore record refuses (record, without
// calling Record). An id map whose entries form a cycle is named with its
// own repair, said once.
func TestUnreadableIDMapNamedByEveryReader(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	groups := e.plainSecurityGroups()
	if len(groups) == 0 {
		t.Fatal("the demo tenant has no plain security group")
	}
	sel := []string{str(groups[0]["id"])}
	const old, recreated = "0a1b2c3d-0000-4000-8000-0000000000a1", "0a1b2c3d-0000-4000-8000-0000000000a2"
	journal := []byte(`[{"kind":"groups","old":"` + old + `","name":"Recreated \"group\" \u202e","restore":"` + e.first + ` (0123456789ab)","at":"2026-03-23T10:00:00Z","new":"` + recreated + `"}]`)
	if err := e.repo.WriteState(JournalFile, journal); err != nil {
		t.Fatal(err)
	}

	// No id map: an empty one, no error, and the journal's id is unrecorded.
	if m, data, err := readIDMap(ctx, e.repo); err != nil || data != nil || m.Len() != 0 {
		t.Fatalf("readIDMap without an id map: %v %q %v", m, data, err)
	}
	if l, err := ReadLeftoverJournal(ctx, e.repo); err != nil || l == nil || len(l.Unrecorded) != 1 {
		t.Fatalf("ReadLeftoverJournal without an id map: %+v %v", l, err)
	}

	bad := []byte("format: 1\nids:\n  " + old + ": {kind: groups, id\n")
	e.commitFile(IDMapPath, bad, "a bad edit of the id map")
	head := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD"))
	named := func(what string, err error, wants ...string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error with an unreadable id map", what)
			return
		}
		for _, w := range append([]string{IDMapPath, "git log -p -- " + IDMapPath}, wants...) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant it to say %q", what, err, w)
			}
		}
		if n := strings.Count(err.Error(), "git log -p"); n != 1 {
			t.Errorf("%s: the repair is said %d times: %v", what, n, err)
		}
	}
	var be *BadIDMapError
	_, err := Load(ctx, LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: sel, Now: e.now})
	named("Load", err, "at HEAD cannot be read", "restore and apply")
	if !errors.As(err, &be) {
		t.Errorf("Load: %T, want a *BadIDMapError", err)
	}
	rec, err := RecordJournal(ctx, e.repo, IDCommit{})
	named("RecordJournal", err, "cannot be read", "not written over")
	if rec != nil {
		t.Errorf("RecordJournal recorded %+v over the unreadable id map", rec)
	}
	l, err := ReadLeftoverJournal(ctx, e.repo)
	named("ReadLeftoverJournal", err, JournalFile, "cannot be read")
	if l != nil || !errors.As(err, &be) {
		t.Errorf("ReadLeftoverJournal: %+v, %T", l, err)
	}
	res := &Result{IDs: NewIDMap()}
	res.IDs.Add("groups", old, recreated, "")
	o := ApplyOptions{Client: e.c, Repo: e.repo, Record: func(context.Context, []*layout.Kind, string, map[string][]byte) (*SnapshotInfo, error) {
		t.Error("record called Record over the unreadable id map")
		return nil, nil
	}}
	record(ctx, &Plan{}, o, res, nil, "")
	named("record", errors.New(res.SnapshotErr), "at HEAD cannot be read", "not recorded", "groups "+old+" → "+recreated)
	if !res.idMapBad {
		t.Error("record: idMapBad not set (an id commit would follow)")
	}
	if now := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD")); now != head {
		t.Errorf("HEAD moved from %s to %s", head, now)
	}
	if got, err := e.repo.ReadState(JournalFile); err != nil || string(got) != string(journal) {
		t.Errorf("the journal changed: %v\n%s", err, got)
	}

	// A cycle: DecodeIDMap's own repair, said once.
	cyclic := NewIDMap()
	cyclic.Add("groups", old, recreated, "r1")
	cyclic.Add("groups", recreated, old, "r2")
	e.commitFile(IDMapPath, cyclic.Encode(), "a bad merge of the id map")
	_, err = Load(ctx, LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: sel, Now: e.now})
	named("Load of a cyclic id map", err, "cycle")

	// check (JournalIssues) names the id map once, with the journal there
	// and without one (#14: it validated the id map only with a journal).
	issues := func(what string, wants ...string) {
		t.Helper()
		got := JournalIssues(ctx, e.repo, e.repo.Path())
		if len(got) != 1 || got[0].File != IDMapPath || got[0].Severity != check.SevWarning {
			t.Fatalf("%s: JournalIssues %+v, want one warning on %s", what, got, IDMapPath)
		}
		for _, w := range wants {
			if !strings.Contains(got[0].Message, w) {
				t.Errorf("%s: %q lacks %q", what, got[0].Message, w)
			}
		}
	}
	issues("with a journal", "cycle")
	if err := e.repo.RemoveState(JournalFile); err != nil {
		t.Fatal(err)
	}
	issues("without a journal", "cycle")
	e.commitFile(IDMapPath, bad, "a bad edit of the id map, again")
	issues("without a journal, a bad edit", "cannot be read", "git log -p -- "+IDMapPath)
	good := NewIDMap()
	good.Add("groups", old, recreated, "r1")
	e.commitFile(IDMapPath, good.Encode(), "the id map repaired")
	if got := JournalIssues(ctx, e.repo, e.repo.Path()); len(got) != 0 {
		t.Errorf("a good id map and no journal: %+v", got)
	}
	fsck(t, e.repo.Path())
}
