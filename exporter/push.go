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
