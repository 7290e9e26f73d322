package evidence

import (
	"context"
	"strings"
	"testing"
	"time"

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
