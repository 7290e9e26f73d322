package importer

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Environment of the child process TestInterruptedApplyWithIDCommit kills.
const (
	killChildPlan  = "ENTRASNAP_TEST_KILLED_APPLY_PLAN"
	killChildRepo  = "ENTRASNAP_TEST_KILLED_APPLY_REPO"
	killChildURL   = "ENTRASNAP_TEST_KILLED_APPLY_URL"
	killChildToken = "ENTRASNAP_TEST_KILLED_APPLY_TOKEN"
)

// TestInterruptedApplyWithIDCommit: a restore with ApplyOptions.IDCommit
// set (as the CLI applies) recreates purged groups under new ids and is
// stopped right after its first create was answered (in the demo tenant;
// under -short in a tenant holding only the four groups):
//   - cancelled (Ctrl-C): the apply itself commits the new id to the id
//     map alone (Result.IDsCommit), the journal keeps no answered create,
//     and the next plan finds the group under its new id;
//   - killed (SIGKILL, a process of its own, so nothing after the create
//     runs): the journal holds the new id and the id map at HEAD does not;
//     the next run records it first (RecordJournal, a commit of the id map
//     alone), plans only the create the kill prevented, and its apply
//     leaves the id map at HEAD naming every recreated group by the id the
//     tenant has for it. The repository stays valid for git throughout.
func TestInterruptedApplyWithIDCommit(t *testing.T) {
	if planFile := os.Getenv(killChildPlan); planFile != "" {
		killedApplyChild(t, planFile)
		return
	}
	ctx := context.Background()
	var e *env
	if testing.Short() {
		// The same four groups' story in a tenant of its own holding only
		// them (hostile names), exported: every plan, apply, verification
		// and post-restore snapshot reads a few objects instead of the
		// demo tenant's (the test alone took ~30 s, 18 of them for the
		// demo's shared export).
		e = exportedEnv(t, graphsim.Options{Profile: "empty", Seed: 1}, nil)
		for i, name := range []string{"Ops \"quoted\" \u202egnp.exe", "line\nbreak \u200f", "emoji 🔐 ../../etc/passwd", strings.Repeat("long name ", 25)} {
			e.post("/v1.0/groups", map[string]any{"displayName": name, "mailEnabled": false, "mailNickname": "killed" + string(rune('a'+i)), "securityEnabled": true})
		}
		e.first = e.snapshot("four groups")
	} else {
		e = newEnv(t, graphsim.Options{}, nil)
	}
	var groups []string
	for _, g := range e.plainSecurityGroups() {
		groups = append(groups, str(g["id"]))
	}
	if len(groups) < 4 {
		t.Fatalf("the demo tenant has %d plain security groups, want 4", len(groups))
	}
	groups = groups[len(groups)-4:]
	names := map[string]string{} // id at REV → display name
	for _, id := range groups {
		names[id] = str(e.get("/v1.0/groups/" + id)["displayName"])
		e.do("DELETE", "/v1.0/groups/"+id, nil)
		e.do("DELETE", "/v1.0/directory/deletedItems/"+id, nil)
	}
	headMap := func() *IDMap {
		t.Helper()
		data, err := e.repo.ReadFile(ctx, "HEAD", IDMapPath)
		if errors.Is(err, snapshot.ErrNotFound) {
			return NewIDMap()
		}
		if err != nil {
			t.Fatal(err)
		}
		m, err := DecodeIDMap(data)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	creates := func(p *Plan) (n int) {
		for _, a := range p.Actions {
			if a.Op == OpCreate {
				n++
			}
		}
		return n
	}
	answered := func() *IDMap {
		t.Helper()
		j, err := readJournal(e.repo)
		if err != nil {
			t.Fatal(err)
		}
		return journalIDs(j)
	}

	// Cancelled after the first create: the apply records the id itself.
	sel := groups[:2]
	p := e.plan(e.first, sel, Options{})
	if creates(p) != 2 {
		t.Fatalf("plan:\n%s", render(p))
	}
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	o := e.applyOpts()
	o.Parallel, o.IDCommit, o.Token = 1, &IDCommit{}, e.sim.Token()
	o.Progress = func(ar ActionResult) {
		if ar.Op == OpCreate && ar.Status == StatusDone {
			cancel()
		}
	}
	res, err := Apply(ictx, p, o)
	if !errors.Is(err, context.Canceled) || res == nil {
		t.Fatalf("apply: %v, want interrupted", err)
	}
	if res.IDs.Len() != 1 || res.IDsCommit == "" || res.Snapshot != nil {
		t.Fatalf("cancelled apply: ids %+v, ids commit %q, snapshot %+v, %q", res.IDs, res.IDsCommit, res.Snapshot, res.SnapshotErr)
	}
	var first, firstNew string
	for old, en := range res.IDs.IDs {
		first, firstNew = old, en.New
	}
	if n, _ := headMap().Resolve(first); n != firstNew {
		t.Errorf("after the cancel the id map at HEAD resolves %s to %q, want %s", first, n, firstNew)
	}
	if head := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD")); head != res.IDsCommit {
		t.Errorf("HEAD %s, want the id map's commit %s", head, res.IDsCommit)
	}
	if a := answered(); a.Len() != 0 {
		t.Errorf("the journal keeps answered creates after they were committed: %+v", a)
	}
	// The cancelled apply recorded itself, marked interrupted: what it
	// did, object by object (applyjournal.go).
	interruptedRecord(t, e.repo, res.AttemptTag, 1, "interrupted")
	if p := e.plan(e.first, sel, Options{}); creates(p) != 1 {
		t.Errorf("after the cancel the next plan creates %d groups, want 1:\n%s", creates(p), render(p))
	}
	fsck(t, e.repo.Path())

	// Killed after the first create of the two others: nothing after it runs.
	sel = groups[2:]
	p = e.plan(e.first, sel, Options{})
	if creates(p) != 2 {
		t.Fatalf("plan:\n%s", render(p))
	}
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if err := p.Save(planFile); err != nil {
		t.Fatal(err)
	}
	before := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD"))
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptedApplyWithIDCommit$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildPlan+"="+planFile, killChildRepo+"="+e.repo.Path(), killChildURL+"="+e.srv.URL, killChildToken+"="+e.sim.Token())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the apply was not killed: %v\n%s", err, out)
	}
	a := answered()
	if a.Len() != 1 {
		t.Fatalf("the killed apply's journal holds %d answered creates, want 1: %+v", a.Len(), a)
	}
	var killed, killedNew string
	for old, en := range a.IDs {
		killed, killedNew = old, en.New
	}
	if _, ok := headMap().Resolve(killed); ok {
		t.Fatalf("the id map at HEAD has %s already", killed)
	}
	if head := strings.TrimSpace(git(t, e.repo.Path(), "rev-parse", "HEAD")); head != before {
		t.Errorf("the killed apply moved HEAD to %s", head)
	}
	fsck(t, e.repo.Path())

	// The next run records the killed apply (RecordInterruptedApply: an
	// apply tag, marked interrupted) and its journal's ids, as restore,
	// apply and export do.
	if _, err := e.repo.ReadState(ApplyJournalFile); err != nil {
		t.Fatalf("the killed apply left no apply journal: %v", err)
	}
	tag, err := RecordInterruptedApply(ctx, e.repo, IDCommit{})
	if err != nil {
		t.Fatalf("RecordInterruptedApply: %v", err)
	}
	interruptedRecord(t, e.repo, tag, 1, "not known: the apply stopped before this action's end was noted")
	if tag2, err := RecordInterruptedApply(ctx, e.repo, IDCommit{}); tag2 != "" || err != nil {
		t.Errorf("the killed apply was recorded twice: %q %v", tag2, err)
	}
	rec, err := RecordJournal(ctx, e.repo, IDCommit{})
	if err != nil || rec == nil || rec.Commit == "" {
		t.Fatalf("RecordJournal: %+v %v", rec, err)
	}
	if files := strings.Fields(git(t, e.repo.Path(), "diff", "--name-only", before, "HEAD")); len(files) != 1 || files[0] != IDMapPath {
		t.Errorf("the journal's commit changed %v, want only %s", files, IDMapPath)
	}
	if n, _ := headMap().Resolve(killed); n != killedNew {
		t.Errorf("the id map at HEAD resolves %s to %q, want %s", killed, n, killedNew)
	}
	p = e.plan(e.first, groups, Options{})
	if creates(p) != 2 { // one of the cancelled pair, one of the killed pair
		t.Fatalf("the next plan creates %d groups, want the 2 the interrupts prevented:\n%s", creates(p), render(p))
	}
	o = e.applyOpts()
	o.IDCommit = &IDCommit{}
	if res, err = Apply(ctx, p, o); err != nil || !res.Complete() {
		t.Fatalf("the next apply: %v %+v", err, res)
	}
	// The id map at HEAD names each group by the id the tenant has for it.
	live := map[string]string{}
	for _, g := range e.list("/v1.0/groups?$select=id,displayName") {
		live[str(g["displayName"])] = str(g["id"])
	}
	m := headMap()
	for _, id := range groups {
		n, ok := m.Resolve(id)
		if !ok || !strings.EqualFold(n, live[names[id]]) {
			t.Errorf("group %q: the id map at HEAD resolves %s to %q (%v), the tenant has %s", names[id], id, n, ok, live[names[id]])
		}
	}
	if a := answered(); a.Len() != 0 {
		t.Errorf("journal after the recorded restore: %+v", a)
	}
	if _, err := e.repo.ReadState(ApplyJournalFile); !errors.Is(err, snapshot.ErrNotFound) {
		t.Errorf("an apply that reached its end left its apply journal: %v", err)
	}
	fsck(t, e.repo.Path())
}

// interruptedRecord checks the apply tag of an interrupted apply: its
// record says so, counts done creates, lists what was not done (with
// notDone among the reasons), and the apply journal is gone.
func interruptedRecord(t *testing.T, repo *snapshot.Repo, tag string, done int, notDone string) {
	t.Helper()
	if !strings.HasPrefix(tag, layout.ApplyTagPrefix) {
		t.Fatalf("the interrupted apply's record: tag %q", tag)
	}
	msg := git(t, repo.Path(), "tag", "-l", "--format=%(contents)", tag)
	rec, err := layout.ParseApplyRecord(msg)
	if err != nil {
		t.Fatalf("tag %s: %v\n%s", tag, err, msg)
	}
	// Who wrote: from the plan and the client id the apply was given (none
	// here: docs/design.md, "Who applied").
	if rec.By != NotKnownBy {
		t.Errorf("tag %s says By: %q", tag, rec.By)
	}
	first, _, _ := strings.Cut(msg, "\n")
	if !strings.Contains(first, ": interrupted, ") || rec.Done != done || rec.Skipped == 0 || !strings.Contains(msg, notDone) ||
		!strings.Contains(msg, "Verification failed: not run: the apply was interrupted") {
		t.Errorf("tag %s (done %d, skipped %d); want interrupted, %d done, the rest not done with %q:\n%s", tag, rec.Done, rec.Skipped, done, notDone, msg)
	}
	if _, err := repo.ReadState(ApplyJournalFile); !errors.Is(err, snapshot.ErrNotFound) {
		t.Errorf("the apply journal is still there after its record: %v", err)
	}
}

// killedApplyChild applies the saved plan with IDCommit set and kills its
// own process (SIGKILL) once the first create has been answered and
// journaled: what a crash or kill -9 leaves.
func killedApplyChild(t *testing.T, planFile string) {
	data, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := snapshot.Open(os.Getenv(killChildRepo))
	if err != nil {
		t.Fatal(err)
	}
	c, err := graph.New(graph.Config{BaseURL: os.Getenv(killChildURL), AccessToken: os.Getenv(killChildToken)})
	if err != nil {
		t.Fatal(err)
	}
	o := ApplyOptions{Client: c, Repo: repo, Parallel: 1, IDCommit: &IDCommit{}, Token: os.Getenv(killChildToken),
		Record: func(context.Context, []*layout.Kind, string, map[string][]byte) (*SnapshotInfo, error) {
			return nil, errors.New("not reached: the process is killed first")
		},
		Progress: func(ar ActionResult) {
			if ar.Op == OpCreate && ar.Status == StatusDone {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}}
	_, err = Apply(context.Background(), p, o)
	t.Fatalf("the apply ended (%v) before it was killed", err)
}
