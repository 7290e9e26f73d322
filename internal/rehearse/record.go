package rehearse

import (
	"context"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Record is one rehearsal's outcome as the repository keeps it
// (.entrasnap/rehearsals/<UTC time>.yaml; the format is layout.Rehearsal,
// pure, so a reader needs neither this package nor the runner).
type Record = layout.Rehearsal

// ReadAll reads the rehearsal records of revision rev of r ("HEAD" for the
// latest), oldest first. A record that does not decode is left out and
// reported in bad, each error naming its file; err is for the repository
// itself (an unknown revision). No records is no error.
func ReadAll(ctx context.Context, r *snapshot.Repo, rev string) (recs []Record, bad []error, err error) {
	files, err := r.ReadAll(ctx, rev, layout.RehearsalsDir)
	if err != nil {
		return nil, nil, err
	}
	recs, bad = layout.Rehearsals(files)
	return recs, bad, nil
}
