package check

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/entrasnap/entrasnap/layout"
)

// ManifestPath is the manifest's path in a snapshot.
const ManifestPath = ".entrasnap/snapshot.yaml"

// manifestKind is what check needs of one kind in the manifest.
type manifestKind struct {
	Folder, Reason, NotLicensed string
	Objects                     int
	Complete                    bool
}

// decodeManifest reads the manifest's kinds, refusing what exporter's
// DecodeManifest refuses, with the same messages. It is local because check
// imports no writer; it goes when the manifest type moves to layout (issue
// 11, step 3). Exporter's tests run Problems after writing, so a format the
// two read differently fails there.
func decodeManifest(data []byte) (map[string]manifestKind, error) {
	v, err := layout.Decode(data)
	if err != nil {
		return nil, err
	}
	const formatVersion = 1 // exporter.FormatVersion
	if f, err := manifestInt(v["format"]); err != nil {
		return nil, fmt.Errorf("format: %w", err)
	} else if f > formatVersion {
		return nil, fmt.Errorf("format %d is newer than this entrasnap understands (%d): upgrade entrasnap", f, formatVersion)
	}
	out := map[string]manifestKind{}
	kinds, _ := v["kinds"].(map[string]any)
	for name, raw := range kinds {
		e, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("kinds.%s: not a mapping", name)
		}
		mk := manifestKind{}
		if mk.Objects, err = manifestInt(e["objects"]); err != nil {
			return nil, fmt.Errorf("kinds.%s.objects: %w", name, err)
		}
		mk.Folder, _ = e["folder"].(string)
		mk.Complete, _ = e["complete"].(bool)
		mk.Reason, _ = e["reason"].(string)
		mk.NotLicensed, _ = e["notLicensed"].(string)
		out[name] = mk
	}
	return out, nil
}

func manifestInt(v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("want a number, got %v", v)
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		return 0, fmt.Errorf("want a whole number, got %s", n)
	}
	return i, nil
}
