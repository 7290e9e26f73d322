package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// The journal an interrupted restore leaves in the git directory
// (importer.ReadLeftoverJournal): check reports it with what to do; show,
// log and diff, which read only commits, say on stderr that it is there,
// and show and log name the object when the one asked for is in it.

// addJournalIssues adds the leftover journal of r to a check report: a
// warning per finding (the snapshots are sound; the ids are not lost while
// the journal stays), and a journal that cannot be read.
func addJournalIssues(ctx context.Context, rep *check.Report, r *snapshot.Repo, repoPath string) {
	file := ".git/" + importer.JournalFile
	l, err := importer.ReadLeftoverJournal(ctx, r)
	var bad *importer.BadIDMapError
	switch {
	case errors.As(err, &bad):
		// The error says what to do, restore and apply refusing included.
		rep.AddState(check.Issue{Severity: check.SevWarning, File: importer.IDMapPath, Message: err.Error()})
		return
	case err != nil:
		rep.AddState(check.Issue{Severity: check.SevWarning, File: file, Message: err.Error() + "; until it reads, restore and apply refuse to run"})
		return
	}
	if l == nil {
		return
	}
	for _, m := range l.Messages(repoPath) {
		rep.AddState(check.Issue{Severity: check.SevWarning, File: file, Message: m})
	}
}

// noteJournal writes one line on stderr when r holds the journal of an
// interrupted restore, and names object (as the user gave it; "" for none)
// when the journal recreated it or gave it its id.
func noteJournal(ctx context.Context, e *env, r *snapshot.Repo, repoPath, object string) {
	l, err := importer.ReadLeftoverJournal(ctx, r)
	if err != nil || l == nil {
		return
	}
	if it, asNew := journalItemOf(l, object); it != nil {
		if asNew {
			fmt.Fprintf(e.stderr, "note: %s is the id an interrupted restore (%s) gave %s %q (%s in the snapshot): no snapshot holds it yet\n",
				layout.Safe(object), layout.Safe(it.Restore), it.Kind, layout.Safe(it.Name), layout.Safe(it.Old))
		} else {
			fmt.Fprintf(e.stderr, "note: an interrupted restore (%s) recreated %s %q in the tenant as %s, which no snapshot holds yet\n",
				layout.Safe(it.Restore), it.Kind, layout.Safe(it.Name), layout.Safe(it.New))
		}
	}
	var parts []string
	if n := len(l.Unrecorded); n > 0 {
		parts = append(parts, fmt.Sprintf("%d new %s not yet in the id map", n, layout.Plural(n, "id", "ids")))
	}
	if n := len(l.InDoubt); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s in doubt", n, layout.Plural(n, "create", "creates")))
	}
	fmt.Fprintf(e.stderr, "note: the journal of an interrupted restore holds %s; `entrasnap check --repo %s` says what to do\n",
		strings.Join(parts, " and "), layout.ShellWord(repoPath))
}

// journalItemOf finds object among the journal's items: by the id it had
// (asNew false, an answered create) or the id Graph gave it (asNew true).
func journalItemOf(l *importer.LeftoverJournal, object string) (*importer.JournalItem, bool) {
	if object == "" {
		return nil, false
	}
	for _, list := range [][]importer.JournalItem{l.Unrecorded, l.InDoubt} {
		for i := range list {
			it := &list[i]
			switch {
			case it.New != "" && strings.EqualFold(it.New, object):
				return it, true
			case it.New != "" && strings.EqualFold(it.Old, object):
				return it, false
			}
		}
	}
	return nil, false
}

// journalLocateError adds to the error of an object not found what the
// journal knows of it: the id an interrupted restore gave an object, which
// no snapshot holds until the next export.
func journalLocateError(ctx context.Context, repoPath, object string, err error) error {
	r, oerr := snapshot.Open(repoPath)
	if oerr != nil {
		return err
	}
	defer r.Close()
	l, lerr := importer.ReadLeftoverJournal(ctx, r)
	if lerr != nil || l == nil {
		return err
	}
	if it, asNew := journalItemOf(l, object); it != nil && asNew {
		return fmt.Errorf("%w; %s is the id an interrupted restore (%s) gave %s %q, %s in the snapshot: no snapshot holds it until the next `entrasnap export --repo %s`; look it up by that id (%s)",
			err, layout.Safe(object), layout.Safe(it.Restore), it.Kind, layout.Safe(it.Name), layout.Safe(it.Old), layout.ShellWord(repoPath), layout.Safe(it.Old))
	}
	return err
}
