package evidence

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// TestAppliesThatChangedNothingAreCounted: an apply whose writes all
// failed leaves no snapshot, only its tag (entrasnap/apply/*): the report
// lists those in the window, with who ran them and what failed, and a
// summary line that asks for attention; one before the window is left out.
func TestAppliesThatChangedNothingAreCounted(t *testing.T) {
	r := newRepo(t, snap{at: t0}, snap{at: t0.Add(24 * time.Hour)})
	record := func(by string) string {
		return "apply of the restore of g from snapshot/x (0123456789ab): nothing was written\n\n" +
			"Restored from snapshot/x (0123456789abcdef0123456789abcdef01234567), plan of 2026-09-02T10:00:00Z, tenant 3f782963-1da0-4787-a4b5-77a4d41bdf07.\n" +
			"Plan: sha256:" + strings.Repeat("5", 64) + "\nBy: " + by + "\n" +
			"Actions: 0 done, 0 already in place, 2 failed, 1 skipped.\nNot done (object by object):\n" +
			"  - failed update groups \"A\" (g): graph: 403 Authorization_RequestDenied\n  - failed add-link groups \"A\" (g) → u: 403\n  - skipped add-link groups \"A\" (g) → v: not attempted\n"
	}
	for i, at := range []time.Time{t0.Add(-48 * time.Hour), t0.Add(30 * time.Hour)} {
		name := layout.ApplyTagName(at, strings.Repeat(string(rune('a'+i)), 32))
		if _, err := r.TagHead(context.Background(), snapshot.Snapshot{Tag: name, TagMessage: record("alice@contoso.example (delegated sign-in)"),
			Committer: snapshot.Signature{Name: "Alice", Email: "alice@contoso.example", When: at}}); err != nil {
			t.Fatal(err)
		}
	}
	rep := build(t, r, Options{Now: t0.Add(72 * time.Hour), Since: 72 * time.Hour})
	if len(rep.Applies) != 1 || rep.Applies[0].Failed != 2 || rep.Applies[0].Skipped != 1 || len(rep.Applies[0].NotDone) != 3 ||
		!strings.HasSuffix(rep.Applies[0].Tag, strings.Repeat("b", 32)) {
		t.Fatalf("applies in the window: %+v", rep.Applies)
	}
	var line *Line
	for i := range rep.Summary {
		if rep.Summary[i].ID == "applies" {
			line = &rep.Summary[i]
		}
	}
	if line == nil || line.Status != StatusAttention || !strings.Contains(line.Result, rep.Applies[0].Tag) || !strings.Contains(line.Result, "by alice@contoso.example") || len(line.Controls) == 0 {
		t.Fatalf("summary line: %+v", line)
	}
	if rep.Integrity.Check.Errors != 0 {
		t.Errorf("check: %+v", rep.Integrity.Check)
	}
}

// TestOneWindowRule: snapshots, rehearsals and apply records follow the
// same rule (Window.before): what is dated before the window is left out,
// everything else is in, also what is dated after the report's time (a
// clock ahead of this one): it happened all the same. Applies after the
// report's time were dropped before.
func TestOneWindowRule(t *testing.T) {
	dir := layout.RehearsalsDir + "/"
	now := t0.Add(72 * time.Hour)
	early, late := t0.Add(-48*time.Hour), now.Add(2*time.Hour) // before the window; after the report's time
	rec := func(at time.Time) string {
		return strings.Replace(goodRecord, "2026-09-02T03:00:00Z", at.Format(time.RFC3339), 1)
	}
	r := newRepo(t, snap{at: early}, snap{at: t0.Add(24 * time.Hour)}, snap{at: late, files: map[string]string{
		dir + "early.yaml": rec(early), dir + "late.yaml": rec(late)}})
	for i, at := range []time.Time{early, late} {
		name := layout.ApplyTagName(at, strings.Repeat(string(rune('a'+i)), 32))
		msg := "apply of the restore of g from snapshot/x (0123456789ab): nothing was written\n\nBy: alice@contoso.example (delegated sign-in)\n" +
			"Actions: 0 done, 0 already in place, 1 failed, 0 skipped.\n"
		if _, err := r.TagHead(context.Background(), snapshot.Snapshot{Tag: name, TagMessage: msg,
			Committer: snapshot.Signature{Name: "Alice", Email: "alice@contoso.example", When: at}}); err != nil {
			t.Fatal(err)
		}
	}
	rep := build(t, r, Options{Now: now, Since: 72 * time.Hour})
	if s := rep.Snapshots; s.Count != 2 || s.Before == nil || !s.Last.Time.Equal(late) {
		t.Errorf("snapshots: count %d, before %+v, last %+v; want the two from t0+24h on, the one after the report's time included", s.Count, s.Before, s.Last)
	}
	if rh := rep.Rehearsals; len(rh.Records) != 1 || !rh.Records[0].StartedAt.Equal(late) || rh.Older != 1 {
		t.Errorf("rehearsals: %d records (%+v), %d older; want the late one in, the early one older", len(rh.Records), rh.Records, rh.Older)
	}
	if len(rep.Applies) != 1 || !rep.Applies[0].Time.Equal(late) {
		t.Errorf("applies: %+v; want only the one after the report's time", rep.Applies)
	}
}

// TestEmptyRepository: a repository without a commit is ErrNoCommit (also
// check.ErrNoCommit, which Build meets first), named once, with what to
// run; the check's own message is not repeated inside it.
func TestEmptyRepository(t *testing.T) {
	r, err := snapshot.Init(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = Build(context.Background(), r, Options{Name: "./my backup"})
	want := "./my backup has no commit yet: nothing to report on; run `entrasnap export --repo ./my backup` first"
	if !errors.Is(err, ErrNoCommit) || !errors.Is(err, check.ErrNoCommit) || err.Error() != want {
		t.Fatalf("Build: %v (is ErrNoCommit %v, check.ErrNoCommit %v); want %q", err, errors.Is(err, ErrNoCommit), errors.Is(err, check.ErrNoCommit), want)
	}
}
