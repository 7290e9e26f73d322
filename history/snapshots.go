package history

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Tagged is one snapshot: its snapshot/* tag and what its manifest says.
type Tagged struct {
	Tag         string    `json:"tag"`
	Commit      string    `json:"commit"`
	Time        time.Time `json:"time"`
	Description string    `json:"description"`
	Objects     int       `json:"objects"`
	Complete    bool      `json:"complete"`
	Incomplete  []string  `json:"incompleteKinds,omitempty"`
	// NotLicensed are the kinds the tenant was not licensed for (their
	// files are carried; the snapshot is complete without them).
	NotLicensed []string `json:"notLicensedKinds,omitempty"`
	// Skipped are the kinds not read by design (a delegated-only kind in
	// an app-only export: files carried; complete without them).
	Skipped []string `json:"skippedKinds,omitempty"`
	// Partial are the kinds Graph answered in part (a role scoped to some
	// attribute sets): read, the rest kept from an earlier snapshot; the
	// snapshot is complete with them.
	Partial []string `json:"partialKinds,omitempty"`
	// Signed: the tag and its commit carry signatures (check
	// --verify-signatures verifies them).
	Signed bool `json:"signed"`
}

// Snapshots lists the snapshots of r (its snapshot/* tags), newest first,
// at most limit of them (0: all). A snapshot whose manifest cannot be read
// counts no objects and no incomplete kinds.
func Snapshots(ctx context.Context, r *snapshot.Repo, limit int) ([]Tagged, error) {
	tags, err := r.Tags(ctx, "snapshot/")
	if err != nil {
		return nil, err
	}
	var out []Tagged
	for i, tg := range tags {
		if limit > 0 && i >= limit {
			break
		}
		desc, _, _ := strings.Cut(strings.TrimSpace(tg.Message), "\n")
		si := Tagged{Tag: tg.Name, Commit: tg.Commit.String(), Time: tg.Time.UTC(), Description: desc, Complete: true, Signed: tg.Signed}
		if data, err := r.ReadFile(ctx, tg.Commit.String(), layout.ManifestPath); err == nil {
			if m, err := layout.DecodeManifest(data); err == nil {
				for name, k := range m.Kinds {
					si.Objects += k.Objects
					switch st, _ := k.State(); st {
					case layout.StateNotLicensed:
						si.NotLicensed = append(si.NotLicensed, name)
					case layout.StateSkipped:
						si.Skipped = append(si.Skipped, name)
					case layout.StatePartial:
						si.Partial = append(si.Partial, name)
					case layout.StateIncomplete:
						si.Complete = false
						si.Incomplete = append(si.Incomplete, name)
					}
				}
				sort.Strings(si.Incomplete)
				sort.Strings(si.NotLicensed)
				sort.Strings(si.Skipped)
				sort.Strings(si.Partial)
			}
		}
		out = append(out, si)
	}
	return out, nil
}
