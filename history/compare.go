package history

import (
	"context"
	"errors"
	"slices"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Comparison is what changed between two revisions of a repository, object
// by object (the diff command's model). Ids in it are named lazily, from
// the newer revision first, then the older, reading only the files needed:
// the repository stays open until the comparison is rendered.
type Comparison struct {
	// From and To are the full commit hashes compared.
	From, To string
	*diff.Result
	skipped      []Skipped
	newer, older *Index
}

// Compare compares revision from with revision to of r (any revision
// snapshot.Repo.Resolve takes, with its error, which wraps
// snapshot.ErrUnknownRevision and names the revision, for one that names no
// commit; a missing HEAD~1 says there is one snapshot).
// Only the kinds in only are kept; none keeps every kind. Files that cannot
// be read are left out and reported by Skipped.
func Compare(ctx context.Context, r *snapshot.Repo, from, to string, only []*layout.Kind) (*Comparison, error) {
	fromHash, err := r.Resolve(ctx, from)
	if err != nil && from == "HEAD~1" { // diff's default FROM
		err = errors.New("the repository has only one snapshot: nothing to compare yet (export again after a change)")
	}
	if err != nil {
		return nil, err
	}
	toHash, err := r.Resolve(ctx, to)
	if err != nil {
		return nil, err
	}
	c := &Comparison{From: fromHash.String(), To: toHash.String()}
	a, b, skipped, err := LoadChanged(ctx, r, c.From, c.To)
	if err != nil {
		return nil, err
	}
	a.Keep(only)
	b.Keep(only)
	c.skipped = skipped
	c.newer, c.older = Open(ctx, r, c.To), Open(ctx, r, c.From)
	c.Result = diff.Compare(a, b, Chain{c.newer, c.older})
	return c, nil
}

// Skipped are the files left out because they could not be read: the
// changed files, and those read so far to name ids (call it after
// rendering to have them all).
func (c *Comparison) Skipped() []Skipped {
	return slices.Concat(c.skipped, SkippedAt(c.To, c.newer.Skipped()), SkippedAt(c.From, c.older.Skipped()))
}
