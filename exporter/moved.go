package exporter

import (
	"context"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// Names that moved to live (the tenant reader) and layout (the repository
// format), kept while cmd/entrasnap moves to them.

// Deprecated: use live.ReadOptions.
type ReadOptions = live.ReadOptions

// Deprecated: use live.Read.
func Read(ctx context.Context, o ReadOptions) (*live.Live, error) { return live.Read(ctx, o) }

// Deprecated: use live.KindError.
type KindError = live.KindError

// Deprecated: use layout.ManifestPath.
const ManifestPath = layout.ManifestPath

// Deprecated: use layout.Manifest.
type Manifest = layout.Manifest

// Deprecated: use layout.DecodeManifest.
func DecodeManifest(data []byte) (*Manifest, error) { return layout.DecodeManifest(data) }
