package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

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

// openIndex indexes the revision rev (a commit id) of r; skipped tags
// the files it could not decode with the revision, for warnSkipped.
func openIndex(ctx context.Context, r *snapshot.Repo, rev string) *revIndex {
	return &revIndex{Index: history.Open(ctx, r, rev), rev: rev}
}

type revIndex struct {
	*history.Index
	rev string
}

func (ix *revIndex) skipped() []history.Skipped { return history.SkippedAt(ix.rev, ix.Skipped()) }

// warnSkipped says on w (stderr) which files were left out and what to do.
func warnSkipped(w io.Writer, skipped []history.Skipped) {
	for _, s := range skipped {
		fmt.Fprintf(w, "warning: %s at %s could not be read and was left out: %s\n", layout.Safe(s.Path), layout.Safe(s.Rev), layout.Safe(s.Reason))
	}
	if len(skipped) > 0 {
		fmt.Fprintln(w, "warning: run `entrasnap check` for every unreadable file; fix or remove it with a commit")
	}
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
