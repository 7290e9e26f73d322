package drift

import (
	"context"

	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Options say what Run compares.
type Options struct {
	Repo      *snapshot.Repo
	RepoDir   string // the repository's folder, for errors
	Baseline  string // a revision, snapshot tag or date
	Watch     *Watch // nil: all drift is critical
	WatchFile string
	// Read reads the tenant (live.Read); Run calls it only once the
	// baseline and the watch list are known to be good.
	Read func(ctx context.Context) (*live.Live, error)
}

// WatchError is a watch list that does not fit the baseline (an object
// it names is not there, or is ambiguous).
type WatchError struct{ Err error }

func (e *WatchError) Error() string { return e.Err.Error() }
func (e *WatchError) Unwrap() error { return e.Err }

// Run resolves the baseline, reads its manifest (ReadManifest), resolves
// the watch list against its objects, then reads the tenant and compares
// the two (Compare).
func Run(ctx context.Context, o Options) (*Report, error) {
	base, err := o.Repo.Resolve(ctx, o.Baseline)
	if err != nil {
		return nil, err
	}
	rev := base.String()
	man, err := ReadManifest(ctx, o.Repo, o.Baseline, rev, o.RepoDir)
	if err != nil {
		return nil, err
	}
	ix := history.Open(ctx, o.Repo, rev)
	if o.Watch != nil {
		if err := o.Watch.Resolve(ix); err != nil {
			return nil, &WatchError{err}
		}
	}
	tenant, err := o.Read(ctx)
	if err != nil {
		return nil, err
	}
	return Compare(ctx, Input{Baseline: o.Baseline, Commit: rev, Repo: o.Repo, Index: ix, Manifest: man, Live: tenant,
		Watch: o.Watch, WatchFile: o.WatchFile, RepoDir: o.RepoDir})
}

// Unread are the baseline files left out because they could not be read
// (Skipped), each at the baseline revision as it was given.
func (r *Report) Unread() []history.Skipped {
	out := make([]history.Skipped, len(r.Skipped))
	for i, s := range r.Skipped {
		out[i] = history.Skipped{Skipped: s, Rev: r.Baseline}
	}
	return out
}
