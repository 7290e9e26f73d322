package main

import (
	"context"
	"fmt"
	"io"

	"github.com/entrasnap/entrasnap/snapshot"
)

// runRepair runs snapshot.Repair on the repository at path and says what
// it did on w.
func runRepair(ctx context.Context, w io.Writer, path string) error {
	repo, err := snapshot.Open(path)
	if err != nil {
		return fmt.Errorf("--repo %s: %w", path, err)
	}
	defer repo.Close()
	repo.SetNotify(func(msg string) {
		if len(msg) > 8 && msg[:8] == "removed " {
			return // listed from the report below
		}
		fmt.Fprintf(w, "repair: %s\n", msg)
	})
	rep, err := repo.Repair(ctx)
	did := false
	if rep != nil {
		for _, r := range rep.Removed {
			fmt.Fprintf(w, "repair: removed %s\n", r)
			did = true
		}
		if wr := rep.Worktree; wr != nil && len(wr.Changed) > 0 {
			did = true
			fmt.Fprintf(w, "repair: brought %d path(s) of the index and working tree to %s\n", len(wr.Changed), wr.Branch)
			for _, k := range wr.Kept {
				fmt.Fprintf(w, "repair: kept %s\n", k)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("--repair: %w", err)
	}
	if !did {
		fmt.Fprintln(w, "repair: nothing to repair.")
	}
	return nil
}
