package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/snapshot"
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
	if os.Getenv(maxFileSizeEnv) != "" {
		n, err := check.EnvMaxFileSize()
		if err != nil {
			r.Close()
			return nil, usageErrorf("%s: %v", maxFileSizeEnv, err)
		}
		r.SetMaxFileSize(n)
	}
	if repoOpened != nil {
		repoOpened(r)
	}
	return r, nil
}

// repoOpened, when set (by tests), sees every repository openRepo opens.
var repoOpened func(*snapshot.Repo)

// locateObject opens the repository and finds OBJECT at the revision at
// (history.Locate); the caller closes the repository.
func locateObject(ctx context.Context, repoPath, at, object string) (*snapshot.Repo, string, *history.Index, string, error) {
	r, err := openRepo(repoPath)
	if err != nil {
		return nil, "", nil, "", err
	}
	rev, ix, p, err := history.Locate(ctx, r, at, object)
	if err != nil {
		r.Close()
		return nil, "", nil, "", err
	}
	return r, rev, ix, p, nil
}
