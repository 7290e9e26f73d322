package main

import (
	"context"
	"fmt"

	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/snapshot"
)

// The journal an interrupted restore leaves in the git directory
// (importer.ReadLeftoverJournal): check reports it with what to do
// (importer.JournalIssues); show, log and diff, which read only commits,
// say on stderr that it is there, and show and log name the object when
// the one asked for is in it.

// noteJournal writes the journal's notes on stderr (LeftoverJournal.Notes)
// when r holds one; object is as the user gave it ("" for none).
func noteJournal(ctx context.Context, e *env, r *snapshot.Repo, repoPath, object string) {
	if l, err := importer.ReadLeftoverJournal(ctx, r); err == nil && l != nil {
		for _, n := range l.Notes(object, repoPath) {
			fmt.Fprintln(e.stderr, n)
		}
	}
}

// journalLocateError adds to the error of an object not found what the
// journal knows of it (LeftoverJournal.NotFound).
func journalLocateError(ctx context.Context, repoPath, object string, err error) error {
	r, oerr := snapshot.Open(repoPath)
	if oerr != nil {
		return err
	}
	defer r.Close()
	if l, lerr := importer.ReadLeftoverJournal(ctx, r); lerr == nil && l != nil {
		return l.NotFound(err, object, repoPath)
	}
	return err
}
