package exporter

import (
	"context"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/snapshot"
)

// Push pushes to remote (a configured remote or a URL) the branch res
// committed to, when a commit was made, and the snapshot tag, with
// credentials from the environment (snapshot.AuthFromEnv). It returns the
// refs pushed (none: nothing to push) and remote as it may be shown, with
// credentials redacted; errors hold no credentials and say how to push
// again.
func (res *Result) Push(ctx context.Context, repo *snapshot.Repo, remote string) (refs []string, shown string, err error) {
	if res.Changed {
		refs = append(refs, "refs/heads/"+res.Branch)
	}
	if res.Tag != "" {
		refs = append(refs, "refs/tags/"+res.Tag)
	}
	if len(refs) == 0 {
		return nil, "", nil
	}
	u, err := repo.RemoteURL(remote)
	if err != nil {
		return nil, "", fmt.Errorf("snapshot %s committed, but --push: %s", shortHash(res.Commit), snapshot.Scrub(err.Error()))
	}
	auth, err := snapshot.AuthFromEnv(u)
	if err != nil {
		return nil, "", fmt.Errorf("snapshot %s committed, but --push: %s", shortHash(res.Commit), snapshot.Scrub(err.Error()))
	}
	// A remote given as a URL may hold credentials (https://user:token@...):
	// it is only ever shown redacted, and go-git's errors are scrubbed.
	shown = snapshot.RedactURL(remote)
	if err := repo.Push(ctx, remote, refs, auth); err != nil {
		again := shown
		if shown != remote {
			again = "REMOTE" // the real URL holds credentials: not printed
		}
		return nil, "", fmt.Errorf("snapshot %s committed to %s, but %s; push again with `git -C %s push %s %s`",
			shortHash(res.Commit), repo.Path(), snapshot.Scrub(err.Error()), repo.Path(), again, strings.Join(refs, " "))
	}
	return refs, shown, nil
}

// Publish finishes a committed export as `entrasnap export` asks: the
// changes written as markdown to prBody (when given and the snapshot
// changed, WritePRBody), then the branch and tag pushed to remote (when
// given, Push). pushed says what went where ("" when nothing did).
func (res *Result) Publish(ctx context.Context, repo *snapshot.Repo, prBody, remote string) (pushed string, err error) {
	if prBody != "" && res.Changed {
		if err := res.WritePRBody(ctx, repo, prBody); err != nil {
			return "", fmt.Errorf("snapshot %s committed, but --pr-body %s: %w", shortHash(res.Commit), prBody, err)
		}
	}
	if remote == "" {
		return "", nil
	}
	refs, shown, err := res.Push(ctx, repo, remote)
	if err != nil || len(refs) == 0 {
		return "", err
	}
	return strings.Join(refs, " and ") + " to " + shown, nil
}

// IncompleteError names the kinds an incomplete snapshot carried forward
// unchanged (nil when every kind was read completely).
func (res *Result) IncompleteError() error {
	inc := res.Incomplete()
	if len(inc) == 0 {
		return nil
	}
	names := make([]string, len(inc))
	for i, k := range inc {
		names[i] = k.Kind
	}
	return fmt.Errorf("snapshot %s is incomplete: %s could not be read and were carried forward unchanged (see above); fix the cause and export again",
		shortHash(res.Commit), strings.Join(names, ", "))
}
