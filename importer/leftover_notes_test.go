package importer

import (
	"errors"
	"strings"
	"testing"
)

// What show, log and diff say of a leftover journal: the object asked for
// by the id it had or the id Graph gave it, then what the journal holds;
// names escaped, the repository quoted for the command suggested.
func TestLeftoverJournalNotes(t *testing.T) {
	const hostile = "Evil \"q\" \x1b[31m\u202eeman\r\nnext\u200f🙂"
	l := &LeftoverJournal{
		Unrecorded: []JournalItem{{Kind: "groups", Old: "0ld", New: "N3w", Name: hostile, Restore: "HEAD~1 (0123456789ab)"}},
		InDoubt:    []JournalItem{{Kind: "users", Old: "d0ubt", Name: "Ada", Restore: "HEAD~1 (0123456789ab)"}},
	}
	repo := "../my repo's"
	for _, tc := range []struct {
		object string
		first  string // the first note; "" when only the summary
	}{
		{"n3w", "note: n3w is the id an interrupted restore (HEAD~1 (0123456789ab)) gave groups"},
		{"0LD", "note: an interrupted restore (HEAD~1 (0123456789ab)) recreated groups"},
		{"d0ubt", ""}, // in doubt: no id of Graph's yet
		{"", ""},
	} {
		notes := l.Notes(tc.object, repo)
		want := 1
		if tc.first != "" {
			want = 2
		}
		if len(notes) != want || tc.first != "" && !strings.HasPrefix(notes[0], tc.first) {
			t.Errorf("%q: notes %q, want %d beginning %q", tc.object, notes, want, tc.first)
		}
		last := notes[len(notes)-1]
		if last != "note: the journal of an interrupted restore holds 1 new id not yet in the id map and 1 create in doubt; `entrasnap check --repo '../my repo'\\''s'` says what to do" {
			t.Errorf("%q: summary %q", tc.object, last)
		}
		for _, n := range notes {
			if strings.ContainsAny(n, "\x1b\u202e\r\n\u200f") {
				t.Errorf("%q: a name is not escaped: %q", tc.object, n)
			}
		}
	}
	notFound := errors.New("no object n3w")
	if err := l.NotFound(notFound, "N3W", repo); !errors.Is(err, notFound) || !strings.Contains(err.Error(), "is the id an interrupted restore") ||
		!strings.Contains(err.Error(), "look it up by that id (0ld)") || strings.ContainsAny(err.Error(), "\x1b\u202e\r\n\u200f") {
		t.Errorf("NotFound of the new id: %v", err)
	}
	if err := l.NotFound(notFound, "0ld", repo); err != notFound {
		t.Errorf("NotFound of the old id (it is in the snapshot): %v", err)
	}
}
