package history

import (
	"context"
	"errors"
	"fmt"

	"github.com/entrasnap/entrasnap/snapshot"
)

// Locate resolves at (a revision, snapshot tag or date) in r and finds the
// one object selector names there (ResolveOne): the commit id, the
// revision's index and the object's path. A selector that names no object,
// or several, says at which revision.
func Locate(ctx context.Context, r *snapshot.Repo, at, selector string) (rev string, ix *Index, path string, err error) {
	h, err := r.Resolve(ctx, at)
	if err != nil {
		return "", nil, "", err
	}
	ix = Open(ctx, r, h.String())
	p, err := ResolveOne(ix, selector)
	var se *SelectorError
	if errors.As(err, &se) {
		return "", nil, "", fmt.Errorf("%w (at %s)", err, at)
	} else if err != nil {
		return "", nil, "", err
	}
	return h.String(), ix, p, nil
}
