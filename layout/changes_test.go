package layout

import (
	"strings"
	"testing"
	"time"
)

func TestChangesRoundTripHostileAndBounded(t *testing.T) {
	at := time.Date(2026, 12, 6, 14, 2, 3, 0, time.UTC)
	hostile := "Evil\x1b[31m\u202e\r\nline: x\x00 \xff 'quote\" # not a comment"
	recs := []ChangeRecord{
		{ID: "b", Time: at.Add(time.Minute), Activity: "Update user", Service: "Core Directory",
			Actor: ChangeActor{Type: "app", Name: hostile, AppID: "00000000-0000-4000-8000-000000000001"},
			Targets: []ChangeTarget{{ID: "u1", Kind: "users", Type: "User", Name: "Alex",
				Properties: []ChangeProperty{{Name: "jobTitle", Old: "[]", New: `["` + strings.Repeat("x", 3*MaxChangeValue) + `"]`}}}}},
		{ID: "a", Time: at, Activity: "Add member to group", Actor: ChangeActor{Type: "user", UserPrincipalName: "alice@contoso.com", App: "Azure portal"},
			Targets: []ChangeTarget{{ID: "u1", Type: "User"}, {ID: "g1", Kind: "groups", Type: "Group", Name: "Sales"}}},
	}
	data := EncodeChanges(recs)
	if string(EncodeChanges([]ChangeRecord{recs[1], recs[0]})) != string(data) {
		t.Error("encoding depends on the order of the records")
	}
	got, err := DecodeChanges(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" {
		t.Fatalf("records %+v, want a then b", got)
	}
	if want := strings.ToValidUTF8(hostile, "\uFFFD"); got[1].Actor.Name != want {
		t.Errorf("actor name %q, want %q (exact, made valid UTF-8)", got[1].Actor.Name, want)
	}
	if v := got[1].Targets[0].Properties[0].New; len(v) > MaxChangeValue+16 || !strings.HasSuffix(v, "…(cut)") {
		t.Errorf("a huge value is kept whole (%d bytes)", len(v))
	}
	if !got[0].Names("g1") || got[0].Names("g2") {
		t.Error("Names")
	}
	d := got[1].Describe()
	for _, bad := range []string{"\x1b", "\u202e", "\r", "\n", "\x00"} {
		if strings.Contains(d, bad) {
			t.Errorf("Describe holds %q raw: %q", bad, d)
		}
	}
	if d0 := got[0].Describe(); d0 != "changed by alice@contoso.com (Azure portal), 2026-12-06 14:02 UTC, Add member to group" {
		t.Errorf("Describe = %q", d0)
	}
	// Bounded: at most MaxChangeRecords records, the newest kept.
	many := make([]ChangeRecord, MaxChangeRecords+3)
	for i := range many {
		many[i] = ChangeRecord{ID: strings.Repeat("0", 6) + string(rune('a'+i%26)), Time: at.Add(time.Duration(i) * time.Second), Actor: ChangeActor{Type: "app"}}
	}
	back, err := DecodeChanges(EncodeChanges(many))
	if err != nil || len(back) != MaxChangeRecords || !back[len(back)-1].Time.Equal(many[len(many)-1].Time) {
		t.Errorf("bounded: %d records (%v), want the newest %d", len(back), err, MaxChangeRecords)
	}
	if p := ChangesPath(at); p != ".entrasnap/changes/20261206T140203Z.yaml" {
		t.Errorf("ChangesPath = %s", p)
	}
	if tm, ok := ChangesTime(ChangesPath(at)); !ok || !tm.Equal(at) {
		t.Errorf("ChangesTime = %v %v", tm, ok)
	}
	if tm := SnapshotTime([]string{"release", "snapshot/20261206T140203Z", "snapshot/20261206T150000Z"}, time.Time{}); !tm.Equal(at) {
		t.Errorf("SnapshotTime = %v, want the first snapshot tag's", tm)
	}
}
