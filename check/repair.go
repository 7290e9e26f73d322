package check

import (
	"context"
	"fmt"
	"io"

	"github.com/entrasnap/entrasnap/snapshot"
)

// Repair runs snapshot.Repair on repo and says what it did on w, one
// "repair: " line each (check --repair).
func Repair(ctx context.Context, repo *snapshot.Repo, w io.Writer) error {
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
		return err
	}
	if len(lines) == 0 {
		fmt.Fprintln(w, "repair: nothing to repair.")
	}
	return nil
}
