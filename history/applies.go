package history

import (
	"context"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Applied is an apply that changed nothing (every write failed, was
// refused or found in place), as the tag recording it says
// (layout.ApplyTagPrefix): there is no snapshot of it.
type Applied struct {
	Tag    string    `json:"tag"`
	Commit string    `json:"commit"` // the branch head it was tagged on
	Time   time.Time `json:"time"`
	// The record (NotDone never nil); zero when Broken.
	layout.ApplyRecord
	Signed bool `json:"signed"`
	// Broken says why the tag's message is not an apply record (check
	// reports it as an error).
	Broken string `json:"broken,omitempty"`
}

// Applies lists the apply record tags of r, newest first.
func Applies(ctx context.Context, r *snapshot.Repo) ([]Applied, error) {
	tags, err := r.Tags(ctx, layout.ApplyTagPrefix)
	if err != nil {
		return nil, err
	}
	out := []Applied{}
	for _, t := range tags {
		a := Applied{Tag: t.Name, Commit: t.Commit.String(), Time: t.Time.UTC(), Signed: t.Signed}
		if rec, err := layout.ParseApplyRecord(t.Message); err != nil {
			a.Broken = err.Error()
		} else {
			a.ApplyRecord = *rec
		}
		a.NotDone = append([]string{}, a.NotDone...)
		out = append(out, a)
	}
	return out, nil
}
