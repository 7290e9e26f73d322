package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// repoFlagUsage is shared by the commands that read a snapshot repository.
const repoFlagUsage = "the snapshot repository (the folder entrasnap export writes)"

// openRepo opens an existing snapshot repository with errors that say what to do.
func openRepo(path string) (*snapshot.Repo, error) {
	if path == "" {
		return nil, usageErrorf("--repo is required: the folder `entrasnap export --repo` wrote")
	}
	r, err := snapshot.Open(path)
	if err != nil {
		if errors.Is(err, snapshot.ErrNotRepository) {
			return nil, fmt.Errorf("%v; run `entrasnap export --repo %s` first", err, path)
		}
		return nil, err
	}
	// One file read from the repository is bounded (a file too large is
	// an error naming it, never a read of unbounded size).
	if v := os.Getenv(maxFileSizeEnv); v != "" {
		n, err := parseSize(v)
		if err != nil {
			r.Close()
			return nil, usageErrorf("%s: %v", maxFileSizeEnv, err)
		}
		r.SetMaxFileSize(n)
	}
	return r, nil
}

// isTerminal reports whether w is a terminal (colour and prompts only then).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// openIndex indexes the revision rev (a commit id) of r; skipped wraps
// the files it could not decode with the revision, for warnSkipped.
func openIndex(ctx context.Context, r *snapshot.Repo, rev string) *revIndex {
	return &revIndex{Index: history.Open(ctx, r, rev), rev: rev}
}

type revIndex struct {
	*history.Index
	rev string
}

func (ix *revIndex) skipped() []skippedFile {
	var out []skippedFile
	for _, s := range ix.Skipped() {
		out = append(out, skippedFile{Rev: shortRev(ix.rev), Skipped: s})
	}
	return out
}

// skippedFile is a file that could not be read at a revision.
type skippedFile struct {
	Rev string
	diff.Skipped
}

// warnSkipped says on w (stderr) which files were left out and what to do.
func warnSkipped(w io.Writer, skipped []skippedFile) {
	for _, s := range skipped {
		fmt.Fprintf(w, "warning: %s at %s could not be read and was left out: %s\n", layout.Safe(s.Path), layout.Safe(s.Rev), layout.Safe(s.Reason))
	}
	if len(skipped) > 0 {
		fmt.Fprintln(w, "warning: run `entrasnap check` for every unreadable file; fix or remove it with a commit")
	}
}

// loadChanged reads only the files that differ between two revisions. A
// file that cannot be read at either revision is left out of both sides
// (so it is neither an addition nor a removal) and returned with its
// revision.
func loadChanged(ctx context.Context, r *snapshot.Repo, from, to string) (diff.Snapshot, diff.Snapshot, []skippedFile, error) {
	changes, err := r.Diff(ctx, from, to)
	if err != nil {
		return nil, nil, nil, err
	}
	before, after := map[string][]byte{}, map[string][]byte{}
	for _, c := range changes {
		if _, _, err := layout.Locate(c.Path); err != nil {
			continue
		}
		if c.Action != snapshot.Added {
			data, err := r.ReadFile(ctx, from, c.Path)
			if err != nil {
				return nil, nil, nil, err
			}
			before[c.Path] = data
		}
		if c.Action != snapshot.Deleted {
			data, err := r.ReadFile(ctx, to, c.Path)
			if err != nil {
				return nil, nil, nil, err
			}
			after[c.Path] = data
		}
	}
	a, skipA := diff.LoadFiles(before)
	b, skipB := diff.LoadFiles(after)
	a.Drop(skipB)
	b.Drop(skipA)
	var skipped []skippedFile
	for _, s := range skipA {
		skipped = append(skipped, skippedFile{Rev: shortRev(from), Skipped: s})
	}
	for _, s := range skipB {
		skipped = append(skipped, skippedFile{Rev: shortRev(to), Skipped: s})
	}
	return a, b, skipped, nil
}

func shortRev(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// locateObject opens the repository, resolves the revision and finds OBJECT
// (any selector naming one object: history.ResolveOne) in it.
func locateObject(ctx context.Context, repoPath, at, object string) (*snapshot.Repo, plumbing.Hash, *revIndex, string, error) {
	r, err := openRepo(repoPath)
	if err != nil {
		return nil, plumbing.ZeroHash, nil, "", err
	}
	h, err := r.Resolve(ctx, at)
	if err != nil {
		return nil, plumbing.ZeroHash, nil, "", err
	}
	ix := openIndex(ctx, r, h.String())
	p, err := history.ResolveOne(ix, object)
	if err != nil {
		var se *history.SelectorError
		if errors.As(err, &se) {
			return nil, plumbing.ZeroHash, nil, "", fmt.Errorf("%v (at %s)", err, at)
		}
		return nil, plumbing.ZeroHash, nil, "", err
	}
	return r, h, ix, p, nil
}
