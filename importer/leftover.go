package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// A leftover journal: a restore or apply killed before its post-restore
// snapshot (or whose snapshot failed) leaves its journal (JournalFile) in
// the git directory, outside every commit. Its answered creates are ids
// the id map at HEAD does not hold yet (the next restore or apply records
// them first, RecordJournal); its creates sent without an answer are in
// doubt (Graph may have made them; the next plan looks for them by name,
// recoverInDoubt). Commands that only read the repository (check, log,
// show, diff) say so, so a person learns of it before the next restore.

// JournalItem is one create the journal holds.
type JournalItem struct {
	Kind    string    `json:"kind"`
	Old     string    `json:"old"`           // the object's id at REV
	New     string    `json:"new,omitempty"` // Graph's answer; "" while in doubt
	Name    string    `json:"name"`          // its display name, as sent
	Restore string    `json:"restore"`       // "<rev> (<commit>)"
	At      time.Time `json:"at"`
}

// LeftoverJournal is what the journal of an interrupted restore holds that
// the repository does not.
type LeftoverJournal struct {
	// Unrecorded are the answered creates whose new ids the id map at HEAD
	// does not hold.
	Unrecorded []JournalItem `json:"unrecorded"`
	// InDoubt are the creates sent without an answer.
	InDoubt []JournalItem `json:"inDoubt"`
	// Restores are the restores the items name, sorted.
	Restores []string `json:"restores"`
}

// ReadLeftoverJournal reads the journal of an interrupted restore in repo:
// nil (and no error) when there is none, or when everything it holds is in
// the id map at HEAD already. A journal that cannot be read is an error
// naming the file and what to do, and so is, when there is a journal, an
// id map at HEAD that cannot be read (wrapping a *BadIDMapError): its ids
// cannot be told recorded or not.
func ReadLeftoverJournal(ctx context.Context, repo *snapshot.Repo) (*LeftoverJournal, error) {
	journal, err := readJournal(repo)
	if err != nil || len(journal) == 0 {
		return nil, err
	}
	ids, _, err := readIDMap(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("the journal of an interrupted restore (%s in the git directory) cannot be compared with the id map: %w", JournalFile, err)
	}
	l := &LeftoverJournal{Unrecorded: []JournalItem{}, InDoubt: []JournalItem{}}
	restores := map[string]bool{}
	for _, e := range journal {
		it := JournalItem{Kind: e.Kind, Old: e.Old, New: e.New, Name: e.Name, Restore: e.Restore, At: e.At}
		switch {
		case e.New == "":
			l.InDoubt = append(l.InDoubt, it)
		case !recorded(ids, e.Old, e.New):
			l.Unrecorded = append(l.Unrecorded, it)
		default:
			continue
		}
		restores[e.Restore] = true
	}
	if len(l.Unrecorded)+len(l.InDoubt) == 0 {
		return nil, nil
	}
	for r := range restores {
		l.Restores = append(l.Restores, r)
	}
	sort.Strings(l.Restores)
	return l, nil
}

// recorded says whether the id map holds old → new (RecordJournal merges
// the journal's answers so).
func recorded(m *IDMap, old, new string) bool {
	e, ok := m.IDs[strings.ToLower(old)]
	return ok && strings.EqualFold(e.New, new)
}

// maxItemsNamed bounds the objects a message names.
const maxItemsNamed = 5

// Messages says, one line each for a person (names escaped), what the
// journal holds and what to do about it; repo is the repository as the
// user gave it (for the commands suggested).
func (l *LeftoverJournal) Messages(repo string) []string {
	var out []string
	from := "an interrupted restore (" + layout.Safe(strings.Join(l.Restores, ", ")) + ")"
	if n := len(l.Unrecorded); n > 0 {
		out = append(out, fmt.Sprintf("%s left %d new %s in its journal (%s in the git directory) that the id map %s at HEAD does not hold (%s): "+
			"plans still find them, and the next `entrasnap restore --repo %s ...` or `entrasnap apply --repo %s ...` records them in the id map first (a commit of its own); do not remove the journal, or the next restore creates those objects again",
			from, n, layout.Plural(n, "id", "ids"), JournalFile, IDMapPath, itemsNamed(l.Unrecorded, true), layout.ShellWord(repo), layout.ShellWord(repo)))
	}
	if n := len(l.InDoubt); n > 0 {
		out = append(out, fmt.Sprintf("%s sent %d %s whose answer never came (%s): Graph may have made %s; the next restore looks for each in the tenant by its name among objects not in the snapshot and does not create it again when it finds exactly one; look in the tenant for duplicates if you restore by other means",
			from, n, layout.Plural(n, "create", "creates"), itemsNamed(l.InDoubt, false), layout.Plural(n, "it", "them")))
	}
	return out
}

func itemsNamed(items []JournalItem, withNew bool) string {
	var parts []string
	for i, it := range items {
		if i == maxItemsNamed {
			parts = append(parts, fmt.Sprintf("and %d more", len(items)-maxItemsNamed))
			break
		}
		s := it.Kind + " " + quoteName(it.Name) + " " + layout.Safe(it.Old)
		if withNew {
			s += " → " + layout.Safe(it.New)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// quoteName quotes a name for a person: escaped, in quotes.
func quoteName(s string) string { return "\"" + layout.Safe(s) + "\"" }

// JournalIssues are check's findings about the id map at HEAD and the
// journal of an interrupted restore in repo (ReadLeftoverJournal): a
// warning when the id map cannot be read (restore and apply refuse until it
// reads), journal or not; a warning per message of the journal (the
// snapshots are sound; the ids are not lost while the journal stays), or
// one for a journal that cannot be read; none when both read and the
// journal holds nothing unrecorded. repoPath is the repository as the user
// gave it.
func JournalIssues(ctx context.Context, repo *snapshot.Repo, repoPath string) []check.Issue {
	file := ".git/" + JournalFile
	var out []check.Issue
	var bad *BadIDMapError
	// Always read: an id map broken by a hand edit or a merge is found
	// before the restore that needs it, not only when a journal is there.
	// (An error reading the repository itself is check.Repo's to report.)
	if _, _, err := readIDMap(ctx, repo); errors.As(err, &bad) {
		// The error says what to do, restore and apply refusing included.
		out = append(out, check.Issue{Severity: check.SevWarning, File: IDMapPath, Message: err.Error()})
	}
	l, err := ReadLeftoverJournal(ctx, repo)
	switch {
	case errors.As(err, &bad):
		if len(out) == 0 {
			out = append(out, check.Issue{Severity: check.SevWarning, File: IDMapPath, Message: err.Error()})
		}
		return out
	case err != nil:
		return append(out, check.Issue{Severity: check.SevWarning, File: file, Message: err.Error() + "; until it reads, restore and apply refuse to run"})
	}
	if l != nil {
		for _, m := range l.Messages(repoPath) {
			out = append(out, check.Issue{Severity: check.SevWarning, File: file, Message: m})
		}
	}
	if m := applyJournalIssue(repo, repoPath); m != "" {
		out = append(out, check.Issue{Severity: check.SevWarning, File: ".git/" + ApplyJournalFile, Message: m})
	}
	return out
}

// Notes are the lines ("note: ...") that commands reading only commits
// (show, log, diff) write on stderr about the journal: object (as the user
// gave it; "" for none) when the journal recreated it or gave it its id,
// then what the journal holds.
func (l *LeftoverJournal) Notes(object, repoPath string) []string {
	var out []string
	if it, asNew := l.find(object); it != nil && asNew {
		out = append(out, fmt.Sprintf("note: %s is the id an interrupted restore (%s) gave %s %s (%s in the snapshot): no snapshot holds it yet",
			layout.Safe(object), layout.Safe(it.Restore), it.Kind, quoteName(it.Name), layout.Safe(it.Old)))
	} else if it != nil {
		out = append(out, fmt.Sprintf("note: an interrupted restore (%s) recreated %s %s in the tenant as %s, which no snapshot holds yet",
			layout.Safe(it.Restore), it.Kind, quoteName(it.Name), layout.Safe(it.New)))
	}
	var parts []string
	if n := len(l.Unrecorded); n > 0 {
		parts = append(parts, fmt.Sprintf("%d new %s not yet in the id map", n, layout.Plural(n, "id", "ids")))
	}
	if n := len(l.InDoubt); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s in doubt", n, layout.Plural(n, "create", "creates")))
	}
	return append(out, fmt.Sprintf("note: the journal of an interrupted restore holds %s; `entrasnap check --repo %s` says what to do",
		strings.Join(parts, " and "), layout.ShellWord(repoPath)))
}

// WriteJournalNotes writes on w the Notes of repo's journal, if any (a
// journal that cannot be read is check's to report).
func WriteJournalNotes(ctx context.Context, w io.Writer, repo *snapshot.Repo, object, repoPath string) {
	if l, err := ReadLeftoverJournal(ctx, repo); err == nil && l != nil {
		for _, n := range l.Notes(object, repoPath) {
			fmt.Fprintln(w, n)
		}
	}
}

// JournalNotFound is NotFound of the journal of repo (the repository at
// repoPath): err itself when there is no journal.
func JournalNotFound(ctx context.Context, repo *snapshot.Repo, repoPath, object string, err error) error {
	if l, lerr := ReadLeftoverJournal(ctx, repo); lerr == nil && l != nil {
		return l.NotFound(err, object, repoPath)
	}
	return err
}

// NotFound adds to err, the error of object not found in any snapshot,
// what the journal knows of it: the id an interrupted restore gave an
// object, which no snapshot holds until the next export; err otherwise.
func (l *LeftoverJournal) NotFound(err error, object, repoPath string) error {
	if it, asNew := l.find(object); it != nil && asNew {
		return fmt.Errorf("%w; %s is the id an interrupted restore (%s) gave %s %s, %s in the snapshot: no snapshot holds it until the next `entrasnap export --repo %s`; look it up by that id (%s)",
			err, layout.Safe(object), layout.Safe(it.Restore), it.Kind, quoteName(it.Name), layout.Safe(it.Old), layout.ShellWord(repoPath), layout.Safe(it.Old))
	}
	return err
}

// find finds object among the journal's items: by the id it had (asNew
// false, an answered create) or the id Graph gave it (asNew true).
func (l *LeftoverJournal) find(object string) (*JournalItem, bool) {
	if object == "" {
		return nil, false
	}
	for _, list := range [][]JournalItem{l.Unrecorded, l.InDoubt} {
		for i := range list {
			switch it := &list[i]; {
			case it.New != "" && strings.EqualFold(it.New, object):
				return it, true
			case it.New != "" && strings.EqualFold(it.Old, object):
				return it, false
			}
		}
	}
	return nil, false
}
