package drift

import (
	"context"
	"errors"
	"fmt"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Options say what Run compares.
type Options struct {
	Repo      *snapshot.Repo
	RepoDir   string // the repository's folder, for errors
	Baseline  string // a revision, snapshot tag or date
	Watch     *Watch // nil: all drift is critical (ReadWatch reads one)
	WatchFile string // the watch list's file, for errors and the report
	// Read reads the tenant (live.Read); Run calls it only once the
	// baseline and the watch list are known to be good. userProperties is
	// the baseline's user allow-list (layout.ConfigPath's
	// users.keepProperties, nil: every property), for
	// live.ReadOptions.UserProperties: the live users are made as the
	// baseline's files were, so an excluded property never shows as drift.
	Read func(ctx context.Context, userProperties []string) (*live.Live, error)
}

// WatchError is a watch list that could not be read or parsed
// (ReadWatch), or that does not fit the baseline (Run: an object it names
// is not there, or is ambiguous). Its text starts with the file's name
// (an *fs.PathError's own repeat of it is left out).
type WatchError struct {
	File string
	Err  error
}

func (e *WatchError) Error() string { return e.File + ": " + check.PathErrorText(e.Err) }
func (e *WatchError) Unwrap() error { return e.Err }

// ReadWatch reads and parses (ParseWatch) the watch list in file (drift
// --watch; nil when file is ""), bounded as every file entrasnap reads
// (check.ReadCapped: 64 MiB or ENTRASNAP_MAX_FILE_SIZE). Any error is a
// *WatchError naming file. It reads no repository: a caller reads it first,
// so a bad list is refused before anything else is opened.
func ReadWatch(file string) (*Watch, error) {
	if file == "" {
		return nil, nil
	}
	data, err := check.ReadCapped(file)
	if err != nil {
		return nil, &WatchError{File: file, Err: err}
	}
	w, err := ParseWatch(data)
	if err != nil {
		return nil, &WatchError{File: file, Err: err}
	}
	return w, nil
}

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
			return nil, &WatchError{File: o.WatchFile, Err: err}
		}
	}
	cfg, err := baselineConfig(ctx, o.Repo, o.Baseline, rev)
	if err != nil {
		return nil, err
	}
	var keep []string
	if cfg != nil {
		keep = cfg.UserProperties
	}
	tenant, err := o.Read(ctx, keep)
	if err != nil {
		return nil, err
	}
	return Compare(ctx, Input{Baseline: o.Baseline, Commit: rev, Repo: o.Repo, Index: ix, Manifest: man, Live: tenant,
		Watch: o.Watch, WatchFile: o.WatchFile, RepoDir: o.RepoDir})
}

// baselineConfig is the repository's settings (layout.ConfigPath) at the
// baseline, nil when it has none. A file that does not read is an error:
// comparing without the allow-list would show every excluded user
// property as drift.
func baselineConfig(ctx context.Context, r *snapshot.Repo, name, commit string) (*layout.Config, error) {
	data, err := r.ReadFile(ctx, commit, layout.ConfigPath)
	if errors.Is(err, snapshot.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", layout.ConfigPath, name, err)
	}
	cfg, err := layout.DecodeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%w (at %s); nothing was compared: fix the file and commit it", err, name)
	}
	return cfg, nil
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
