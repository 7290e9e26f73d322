package check

import "github.com/entrasnap/entrasnap/layout"

// ManifestPath is the manifest's path in a snapshot.
const ManifestPath = layout.ManifestPath

// manifestKind is one kind in the manifest.
type manifestKind = layout.ManifestKind

// decodeManifest reads the manifest's kinds (layout.DecodeManifest: the one
// reader of the repository format).
func decodeManifest(data []byte) (map[string]manifestKind, error) {
	m, err := layout.DecodeManifest(data)
	if err != nil {
		return nil, err
	}
	return m.Kinds, nil
}
