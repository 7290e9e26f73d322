package history

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/layout"
)

// TestAttributionLinesGroupRepeatedRecords: records of one actor doing one
// activity in a row are one line with the count and the first and last
// time (a sync job's 300 member changes are not 300 lines); a different
// actor or activity starts a new line; past MaxAttributionLines one line
// counts the rest; strings from Graph stay escaped.
func TestAttributionLinesGroupRepeatedRecords(t *testing.T) {
	const key = "6b9c3a52-2f0e-4d7a-9c1e-1f4b2a7d9e01"
	t0 := time.Date(2026, 12, 6, 14, 2, 0, 0, time.UTC)
	sync := layout.ChangeActor{Type: "app", Name: "HR\x1b[31m sync", AppID: "a1"}
	alice := layout.ChangeActor{Type: "user", UserPrincipalName: "alice@contoso.com"}
	rec := func(i int, who layout.ChangeActor, activity string, at time.Time) layout.ChangeRecord {
		return layout.ChangeRecord{ID: fmt.Sprint("r", i), Time: at, Actor: who, Activity: activity,
			Targets: []layout.ChangeTarget{{ID: key}}}
	}
	var recs []layout.ChangeRecord
	for i := 0; i < 300; i++ {
		recs = append(recs, rec(i, sync, "Add member to group", t0.Add(time.Duration(i)*time.Second)))
	}
	recs = append(recs, rec(300, alice, "Update group", t0.Add(time.Hour)))
	recs = append(recs, rec(301, sync, "Add member to group", t0.Add(33*time.Hour)))
	recs = append(recs, rec(302, sync, "Add member to group", t0.Add(35*time.Hour)))
	a := &Attribution{recs: recs, on: true}
	got := a.Lines(key, t0.Add(-time.Minute), t0.Add(48*time.Hour))
	want := []string{
		`changed by app HR\x1b[31m sync (appId a1), 2026-12-06 14:02 to 14:06 UTC, Add member to group (300 times)`,
		"changed by alice@contoso.com, 2026-12-06 15:02 UTC, Update group",
		`changed by app HR\x1b[31m sync (appId a1), 2026-12-07 23:02 UTC to 2026-12-08 01:02 UTC, Add member to group (2 times)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Alternating actors: no run to fold; the lines stop at the cap.
	recs = nil
	for i := 0; i < 20; i++ {
		who := alice
		if i%2 == 1 {
			who = sync
		}
		recs = append(recs, rec(i, who, "Update group", t0.Add(time.Duration(i)*time.Minute)))
	}
	a = &Attribution{recs: recs, on: true}
	got = a.Lines(key, t0.Add(-time.Minute), t0.Add(time.Hour))
	if len(got) != MaxAttributionLines+1 || got[MaxAttributionLines] != fmt.Sprintf("and %d more audit records", 20-MaxAttributionLines) {
		t.Fatalf("%d lines, last %q", len(got), got[len(got)-1])
	}
	if got[0] != "changed by alice@contoso.com, 2026-12-06 14:02 UTC, Update group" {
		t.Errorf("first line %q", got[0])
	}
	if l := a.Lines("another-object", t0.Add(-time.Minute), t0.Add(time.Hour)); len(l) != 1 || l[0] != NoAuditRecord {
		t.Errorf("an object without records: %q", l)
	}
}
