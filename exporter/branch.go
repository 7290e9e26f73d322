package exporter

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// runOnBranch runs Run on o.Branch. A branch that does not exist yet starts
// at HEAD's commit, so that its snapshot is reviewed against HEAD's (a pull
// request from it into the default branch), and is removed again when
// nothing was committed on it; a failure to remove it is told through the
// repository's Notify.
func runOnBranch(ctx context.Context, o Options) (*Result, error) {
	o.branchStarted = true
	var started plumbing.Hash
	if head, err := o.Repo.Resolve(ctx, "HEAD"); err == nil {
		created, err := o.Repo.StartBranch(ctx, o.Branch, head.String())
		if err != nil {
			return nil, fmt.Errorf("branch %s: %w", o.Branch, err)
		}
		if created {
			started = head
		}
	}
	res, err := Run(ctx, o)
	if !started.IsZero() && (res == nil || !res.Changed) {
		if derr := o.Repo.DeleteBranch(o.Branch, started); derr != nil && err == nil {
			o.Repo.Notify(fmt.Sprintf("the branch %s was created but not used, and could not be removed: %v", o.Branch, derr))
		}
	}
	return res, err
}
