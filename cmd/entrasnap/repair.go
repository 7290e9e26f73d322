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
	lines := rep.Lines()
	for _, l := range lines {
		fmt.Fprintf(w, "repair: %s\n", l)
	}
	if err != nil {
		return fmt.Errorf("--repair: %w", err)
	}
	if len(lines) == 0 {
		fmt.Fprintln(w, "repair: nothing to repair.")
	}
	return nil
}
