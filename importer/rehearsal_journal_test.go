package importer

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// TestRehearsalIDsSurviveAKilledApply: a rehearsal's apply (ApplyOptions.IDs
// nil: Apply keeps the plan's instance's ids) appends each new id to the
// instance's journal the moment Graph answers its create, so a process
// killed after the first of two creates (the git directory's state files
// as they were at that moment: SaveRehearsalIDs never ran) leaves that id
// for the next rehearsal against the same graphsim; a journal line cut
// short by the kill is skipped; SaveRehearsalIDs folds the journal into
// the id map file and removes it.
func TestRehearsalIDsSurviveAKilledApply(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	const inst = "00112233445566778899aabbccddeeff"
	srv := simtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(RehearsalHeader, inst)
		e.sim.ServeHTTP(w, r)
	}))
	c := simtest.Client(t, e.sim, srv, "")
	ctx := context.Background()
	var ids []string
	for _, g := range e.plainSecurityGroups()[:2] {
		ids = append(ids, str(g["id"]))
		e.do("DELETE", "/v1.0/groups/"+str(g["id"]), nil)
		e.do("DELETE", "/v1.0/directory/deletedItems/"+str(g["id"]), nil)
	}
	in, err := Load(ctx, LoadOptions{Client: c, Repo: e.repo, Rev: e.first, Selectors: ids, Now: e.now, Rehearsal: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compute(in)
	if err != nil || p.Counts()[OpCreate] != 2 {
		t.Fatalf("plan: %v\n%s", err, render(p))
	}
	// Killed after the first create's answer: nothing more starts, and
	// the journal is what the git directory holds then.
	killed, kill := context.WithCancel(ctx)
	defer kill()
	var atKill []byte
	res, _ := Apply(killed, p, ApplyOptions{Client: c, Repo: e.repo, Rehearsal: true, Parallel: 1,
		Sleep: simtest.Sleep(e.sim), Progress: func(ar ActionResult) {
			if ar.NewID != "" && atKill == nil {
				var err error
				if atKill, err = e.repo.ReadState(RehearsalJournalFile(inst)); err != nil {
					t.Errorf("no rehearsal journal once Graph answered the create: %v", err)
				}
				if _, err := e.repo.ReadState(RehearsalIDsFile(inst)); err == nil {
					t.Error("the rehearsal's ids were kept before it ended")
				}
				kill()
			}
		}})
	if res == nil || res.Count()[StatusDone] != 1 {
		t.Fatalf("the killed apply: %+v", res)
	}
	// The process died there: the state files as they were.
	if err := e.repo.RemoveState(RehearsalIDsFile(inst)); err != nil {
		t.Fatal(err)
	}
	if err := e.repo.WriteState(RehearsalJournalFile(inst), atKill); err != nil {
		t.Fatal(err)
	}
	var old, made string
	for _, ar := range res.Actions {
		if ar.NewID != "" {
			old, made = ar.Key, ar.NewID
		}
	}
	// A journal line cut short by the kill.
	f, err := os.OpenFile(filepath.Join(e.repo.GitDir(), RehearsalJournalFile(inst)), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("no rehearsal journal: %v", err)
	}
	f.WriteString(`{"kind":"named-locations","old":"`)
	f.Close()
	got, err := ReadRehearsalIDs(e.repo, inst)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := got.Resolve(old); !ok || n != made || got.Len() != 1 {
		t.Fatalf("the next rehearsal sees %+v, want %s → %s", got, old, made)
	}
	if err := SaveRehearsalIDs(e.repo, inst, got); err != nil {
		t.Fatal(err)
	}
	if _, err := e.repo.ReadState(RehearsalJournalFile(inst)); err == nil {
		t.Error("the journal is still there after SaveRehearsalIDs")
	}
	if got, err := ReadRehearsalIDs(e.repo, inst); err != nil || got.Len() != 1 {
		t.Errorf("after the save: %v %+v", err, got)
	}
	for _, f := range []string{JournalFile, AppliedFile} {
		if _, err := e.repo.ReadState(f); err == nil {
			t.Errorf("the rehearsal left %s in the git directory", f)
		}
	}
	fsck(t, e.repo.Path())
}

// TestRehearsalFilesOfOldInstancesArePruned: the files of a rehearsal
// instance not written for RehearsalKeep are removed when a rehearsal
// starts; the current instance's and a recent one's are kept, and other
// state files are left alone.
func TestRehearsalFilesOfOldInstancesArePruned(t *testing.T) {
	r := simtest.Repo(t, false)
	const cur, recent, old = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	m := NewIDMap()
	m.Add("groups", "0a1b2c3d-0000-4000-8000-0000000000a1", "0a1b2c3d-0000-4000-8000-0000000000a2", "")
	now := time.Now()
	for _, inst := range []string{cur, recent, old} {
		if err := SaveRehearsalIDs(r, inst, m); err != nil {
			t.Fatal(err)
		}
		if err := appendRehearsalID(r, inst, journalEntry{Kind: "groups", Old: "a", New: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.WriteState(AppliedFile, []byte("[]")); err != nil {
		t.Fatal(err)
	}
	age := map[string]time.Duration{cur: 90 * 24 * time.Hour, recent: 29 * 24 * time.Hour, old: RehearsalKeep + time.Hour}
	for inst, a := range age {
		for _, f := range []string{RehearsalIDsFile(inst), RehearsalJournalFile(inst)} {
			if err := os.Chtimes(filepath.Join(r.GitDir(), f), now.Add(-a), now.Add(-a)); err != nil {
				t.Fatal(err)
			}
		}
	}
	os.Chtimes(filepath.Join(r.GitDir(), AppliedFile), now.Add(-time.Hour*24*365), now.Add(-time.Hour*24*365))
	pruneRehearsals(r, cur, now)
	for inst, keep := range map[string]bool{cur: true, recent: true, old: false} {
		for _, f := range []string{RehearsalIDsFile(inst), RehearsalJournalFile(inst)} {
			if _, err := r.ReadState(f); (err == nil) != keep {
				t.Errorf("%s: kept %v, want %v", f, err == nil, keep)
			}
		}
	}
	if _, err := r.ReadState(AppliedFile); err != nil {
		t.Errorf("another state file was removed: %v", err)
	}
}
