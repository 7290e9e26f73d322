package importer

import (
	"context"
	"errors"
	"fmt"

	"github.com/entrasnap/entrasnap/snapshot"
)

// An apply that records (ApplyOptions.Record set: not a rehearsal) holds
// the repository lock (snapshot.LockFile in the git directory, the lock
// export takes) from before its plan is checked until it returns: the
// check that the plan was not applied (checkApplied) and its mark
// (markApplied) are one step for every other entrasnap run on the
// repository. Without it, two applies of the same plan started together
// (two terminals, two CI jobs on one runner's clone) both passed the check
// before either marked the plan, and both sent its writes. Holding it for
// the whole apply, rather than around check and mark only, also keeps two
// different plans applied at once into one repository from racing on the
// journal, the id map and the post-apply commit, and an export from
// committing between an apply's writes and its post-apply snapshot. The
// post-apply snapshot (Record, an export) and the id map's commit
// (RecordJournal) take the lock themselves: they run under Apply's context,
// which holds it (snapshot.HoldLock), so they pass.
//
// The lock is not waited for: a live holder refuses the apply, nothing
// written, naming the lock file, the holder's pid, host and start; a lock
// whose process is gone on this host (a run killed mid-apply) is taken over,
// with a note (Repo.SetNotify). The plan is still refused afterwards if the
// other run applied it (AppliedError).

// lockApply takes the repository lock for an apply; ctx returned holds it.
func lockApply(ctx context.Context, repo *snapshot.Repo) (context.Context, func(), error) {
	held, unlock, err := repo.HoldLock(ctx)
	if err == nil {
		return held, unlock, nil
	}
	var le *snapshot.LockError
	if errors.As(err, &le) && !le.Stale {
		return nil, nil, fmt.Errorf("%w; nothing was written: an apply holds the repository from the plan's check until its post-apply snapshot, so that a plan is never applied twice and two applies never interleave; when that run ends, apply again (a plan it applied is then refused: make a new one)", err)
	}
	return nil, nil, fmt.Errorf("%w; nothing was written", err)
}

// applyChecked, when set (by tests only), is called by Apply between the
// plan's check and its first write: TestApplyLock holds an apply there to
// open the window between checkApplied and markApplied that the lock
// closes.
var applyChecked func(ctx context.Context)
