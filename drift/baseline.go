package drift

import (
	"context"
	"errors"
	"fmt"

	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// ReadManifest reads the manifest of the baseline (name as given, at
// commit) in the repository repoDir, refusing a commit that is not a
// snapshot or whose manifest cannot be read, with what to do.
func ReadManifest(ctx context.Context, r Repo, name, commit, repoDir string) (*layout.Manifest, error) {
	data, err := r.ReadFile(ctx, commit, layout.ManifestPath)
	if errors.Is(err, snapshot.ErrNotFound) {
		return nil, fmt.Errorf("%s (%s) is not an entrasnap snapshot: it has no %s; give --baseline a snapshot (`entrasnap snapshots` lists them)", name, history.ShortRev(commit), layout.ManifestPath)
	}
	if err != nil {
		return nil, err
	}
	man, err := layout.DecodeManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s in %s (%s): %w; run `entrasnap check --repo %s`", layout.ManifestPath, name, history.ShortRev(commit), err, repoDir)
	}
	return man, nil
}
