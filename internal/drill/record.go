package drill

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// CommitOptions say how the record is committed: author, committer and
// the signer, as export signs snapshots (one type with the id map's).
type CommitOptions = importer.IDCommit

// Message is the record's commit message: "rehearsal: 6 of 6 passed at
// snapshot/…", then one line per scenario.
func Message(rec *layout.Rehearsal) string {
	at := rec.Snapshot
	if at == "" && len(rec.Commit) >= 12 {
		at = rec.Commit[:12]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rehearsal: %d of %d passed at %s", rec.Passed, rec.Passed+rec.Failed, layout.Safe(at))
	if rec.Skipped > 0 {
		fmt.Fprintf(&b, " (%d skipped)", rec.Skipped)
	}
	b.WriteString("\n\n")
	for _, s := range rec.Scenarios {
		fmt.Fprintf(&b, "%s: %s", s.Name, s.Result)
		if s.Result != layout.RehearsalSkipped {
			fmt.Fprintf(&b, ", %d %s in %.1fs", s.Objects, layout.Plural(s.Objects, "object", "objects"), s.RestoreSeconds)
		}
		b.WriteString("\n")
	}
	for _, n := range rec.Notes {
		fmt.Fprintf(&b, "\nnote: %s\n", layout.RehearsalDetail(n))
	}
	fmt.Fprintf(&b, "\nRecord: %s (throttling %s, %s)", layout.RehearsalPath(rec.StartedAt), layout.Safe(rec.Throttle), layout.Safe(rec.Tool))
	return b.String()
}

// Commit writes rec to .entrasnap/rehearsals/<started>.yaml on the
// repository's current branch as a commit of its own (no tag: it is not a
// snapshot); every other file of the branch's head stays as it is. It
// returns the file's path and the commit.
func Commit(ctx context.Context, repo *snapshot.Repo, rec *layout.Rehearsal, o CommitOptions) (path string, res *snapshot.Result, err error) {
	unlock, err := repo.Lock(ctx)
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	path = layout.RehearsalPath(rec.StartedAt)
	// The record goes on the branch HEAD names; a detached HEAD has none
	// (a commit there would land on a branch nobody checked out).
	head, err := os.ReadFile(filepath.Join(repo.GitDir(), "HEAD"))
	if err != nil {
		return "", nil, fmt.Errorf("reading the HEAD of %s: %w", repo.Path(), err)
	}
	branch, ok := strings.CutPrefix(strings.TrimSpace(string(head)), "ref: ")
	if !ok || !strings.HasPrefix(branch, "refs/heads/") {
		return "", nil, fmt.Errorf("the HEAD of %s is detached (at %s): check out the branch the snapshots are on (git checkout main) and run again, or rehearse with --no-record",
			repo.Path(), layout.Safe(strings.TrimSpace(string(head))))
	}
	// The head's tree, carried: top-level folders whole, the files of
	// .entrasnap/ (where the record goes) one by one.
	blobs := map[string]plumbing.Hash{}
	seen := map[string]bool{}
	var carry []string
	exists := false
	err = repo.Walk(ctx, branch, "", func(p string, h plumbing.Hash) error {
		if strings.HasPrefix(p, ".entrasnap/") || !strings.Contains(p, "/") {
			if p == path {
				exists = true
			}
			blobs[p] = h
			return nil
		}
		top, _, _ := strings.Cut(p, "/")
		if !seen[top] {
			seen[top] = true
			carry = append(carry, top)
		}
		return nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("reading %s of %s: %w", strings.TrimPrefix(branch, "refs/heads/"), repo.Path(), err)
	}
	if exists {
		return "", nil, fmt.Errorf("%s already holds a rehearsal record started at the same second (%s): run again", repo.Path(), path)
	}
	res, err = repo.WriteSnapshot(ctx, snapshot.Snapshot{
		Branch: branch, Files: map[string][]byte{path: rec.Encode()}, Blobs: blobs, Carry: carry,
		Message: Message(rec), Author: o.Author, Committer: o.Committer, Signer: o.Signer,
	})
	if err != nil {
		return "", nil, fmt.Errorf("recording the rehearsal in %s: %w", repo.Path(), err)
	}
	return path, res, nil
}

// WriteTable writes the record as a table for people: scenario, objects,
// restore time, result, detail (every string made safe for a terminal).
func WriteTable(w io.Writer, rec *layout.Rehearsal) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tOBJECTS\tRESTORE TIME\tRESULT\tDETAIL")
	for _, s := range rec.Scenarios {
		objects, took := "-", "-"
		if s.Result != layout.RehearsalSkipped {
			objects, took = fmt.Sprint(s.Objects), fmt.Sprintf("%.1fs", s.RestoreSeconds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", layout.Safe(s.Name), objects, took, layout.Safe(s.Result), layout.RehearsalDetail(s.Detail))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	at := rec.Snapshot
	if at == "" {
		at = rec.Commit
	}
	if _, err := fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped (%s, throttling %s, %s to %s)\n", rec.Passed, rec.Failed, rec.Skipped, layout.Safe(at),
		layout.Safe(rec.Throttle), rec.StartedAt.UTC().Format("2006-01-02 15:04:05"), rec.FinishedAt.UTC().Format("15:04:05 UTC")); err != nil {
		return err
	}
	for _, n := range rec.Notes {
		if _, err := fmt.Fprintf(w, "note: %s\n", layout.RehearsalDetail(n)); err != nil {
			return err
		}
	}
	return nil
}
