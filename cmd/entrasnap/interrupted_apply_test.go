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
	"github.com/entrasnap/entrasnap/layout"
)

// TestExportRecordsAKilledApply: an apply was killed after one of its two
// actions ended (its journal in the git directory: the plan, then one line
// per action ended, the last cut short by the kill). The next export on
// the repository records it first: an annotated entrasnap/apply tag on
// HEAD, marked interrupted, naming what was done and what it never learnt
// the end of, every name from the journal escaped; it says so on stderr,
// removes the journal, and git accepts the repository. The export after it
// records nothing more.
func TestExportRecordsAKilledApply(t *testing.T) {
	t.Setenv("GIT_COMMITTER_NAME", "Alice Admin")
	t.Setenv("GIT_COMMITTER_EMAIL", "alice@contoso.example")
	e := newRstEnv(t, nil)
	head := strings.TrimSpace(e.git("rev-parse", "HEAD"))
	const hostile = "Ops \x1b[31m\u202eeman\r\nnext"
	at := time.Date(2026, 12, 7, 3, 4, 5, 0, time.UTC)
	journal, _ := json.Marshal(map[string]any{
		"version": 1, "plan": "sha256:" + strings.Repeat("5", 64), "id": strings.Repeat("a", 32), "rev": e.first, "commit": head,
		"created": at.Add(-time.Hour), "tenantId": e.sim.TenantID(), "selectors": []string{"groups"}, "by": "alice@contoso.example (delegated sign-in)",
		"at": at, "actions": []map[string]any{
			{"id": "1", "kind": "groups", "key": "g1", "name": hostile, "op": "update"},
			{"id": "2", "kind": "groups", "key": "g1", "name": hostile, "op": "add-link", "target": "u1"},
		}})
	data := string(journal) + "\n" + `{"i":0,"status":"done"}` + "\n" + `{"i":1,"sta`
	if err := os.WriteFile(filepath.Join(e.repo, ".git", importer.ApplyJournalFile), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	tag := layout.ApplyTagName(at, strings.Repeat("a", 32))
	// check says so first, and what will record it.
	code, out, _ := runWith(t, e.factory(), "", false, "check", "--repo", e.repo)
	if code != exitOK || !strings.Contains(out, "did not reach its end") || !strings.Contains(out, "1 of its 2 actions ended") || !strings.Contains(out, tag) {
		t.Errorf("check with an apply journal: exit %d\n%s", code, out)
	}
	_, errOut := e.cli(exitOK, "export", "--repo", e.repo)
	if !strings.Contains(errOut, "An earlier apply was interrupted before its end; recorded what it did, action by action, as tag "+tag) {
		t.Errorf("export did not say it recorded the killed apply:\n%s", errOut)
	}
	if got := strings.TrimSpace(e.git("rev-parse", tag+"^{commit}")); got != head {
		t.Fatalf("tag %s is on %q, want the head the apply started from %s", tag, got, head)
	}
	msg := e.git("tag", "-l", "--format=%(contents)", tag)
	rec, err := layout.ParseApplyRecord(msg)
	if err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	if !strings.HasPrefix(msg, "apply of the restore of groups from "+e.first) || !strings.Contains(strings.SplitN(msg, "\n", 2)[0], "interrupted, 1 of 2 actions done") ||
		rec.Done != 1 || rec.Skipped != 1 || rec.By != "alice@contoso.example (delegated sign-in)" || len(rec.NotDone) != 1 ||
		!strings.Contains(rec.NotDone[0], "not known") || strings.ContainsAny(msg, "\x1b\u202e\r") {
		t.Errorf("the record of the killed apply: %+v\n%q", rec, msg)
	}
	if _, err := os.Stat(filepath.Join(e.repo, ".git", importer.ApplyJournalFile)); !os.IsNotExist(err) {
		t.Errorf("the apply journal is still there: %v", err)
	}
	gitcheck.Fsck(t, e.repo)
	if _, errOut := e.cli(exitOK, "export", "--repo", e.repo); strings.Contains(errOut, "interrupted") {
		t.Errorf("the next export recorded the apply again:\n%s", errOut)
	}
	if n := len(strings.Fields(e.git("tag", "--list", "entrasnap/apply/*"))); n != 1 {
		t.Errorf("%d apply tags, want 1", n)
	}
}
