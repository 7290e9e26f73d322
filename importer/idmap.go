package importer

import (
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// IDMapPath is the id map's path in the repository: which objects restore
// recreated under a new id, so later plans and diffs connect old and new.
const IDMapPath = ".entrasnap/idmap.yaml"

// IDMap maps old object ids (and applications' old appIds) to new ones.
// Keys are lower-case.
type IDMap struct {
	IDs    map[string]IDEntry
	AppIDs map[string]string
}

// IDEntry is one recreated object.
type IDEntry struct {
	Kind string
	New  string
	// Restore names the restore that recreated it ("<rev> (<commit>)").
	Restore string
}

// NewIDMap returns an empty map.
func NewIDMap() *IDMap { return &IDMap{IDs: map[string]IDEntry{}, AppIDs: map[string]string{}} }

// Len is the number of entries.
func (m *IDMap) Len() int {
	if m == nil {
		return 0
	}
	return len(m.IDs) + len(m.AppIDs)
}

// Add records that old is now new.
func (m *IDMap) Add(kind, old, new, restore string) {
	if strings.EqualFold(old, new) {
		return
	}
	m.IDs[strings.ToLower(old)] = IDEntry{Kind: kind, New: new, Restore: restore}
}

// AddAppID records an application's new appId.
func (m *IDMap) AddAppID(old, new string) {
	if !strings.EqualFold(old, new) {
		m.AppIDs[strings.ToLower(old)] = new
	}
}

// Resolve follows id through the map (a recreated object recreated again
// resolves to the newest id); ok is false when id is not in the map.
func (m *IDMap) Resolve(id string) (string, bool) {
	return m.follow(id, func(s string) (string, bool) {
		e, ok := m.IDs[strings.ToLower(s)]
		return e.New, ok
	})
}

// ResolveAppID follows an appId through the map.
func (m *IDMap) ResolveAppID(appID string) (string, bool) {
	return m.follow(appID, func(s string) (string, bool) {
		n, ok := m.AppIDs[strings.ToLower(s)]
		return n, ok
	})
}

func (m *IDMap) follow(id string, next func(string) (string, bool)) (string, bool) {
	if m == nil || id == "" {
		return id, false
	}
	cur, found := id, false
	for i := 0; i < 32; i++ { // entries never form cycles; bound anyway
		n, ok := next(cur)
		if !ok {
			break
		}
		cur, found = n, true
	}
	return cur, found
}

// Merge adds other's entries.
func (m *IDMap) Merge(other *IDMap) {
	if other == nil {
		return
	}
	for k, v := range other.IDs {
		m.IDs[k] = v
	}
	for k, v := range other.AppIDs {
		m.AppIDs[k] = v
	}
}

// Encode writes the map as canonical YAML.
func (m *IDMap) Encode() []byte {
	ids := map[string]any{}
	for old, e := range m.IDs {
		v := map[string]any{"kind": e.Kind, "id": e.New}
		if e.Restore != "" {
			v["restore"] = e.Restore
		}
		ids[old] = v
	}
	apps := map[string]any{}
	for old, n := range m.AppIDs {
		apps[old] = n
	}
	return layout.Encode(map[string]any{"format": 1, "ids": ids, "appIds": apps})
}

// DecodeIDMap reads a map written by Encode.
func DecodeIDMap(data []byte) (*IDMap, error) {
	v, err := layout.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", IDMapPath, err)
	}
	m := NewIDMap()
	ids, _ := v["ids"].(map[string]any)
	for old, raw := range ids {
		e, ok := raw.(map[string]any)
		if !ok || str(e["id"]) == "" {
			return nil, fmt.Errorf("%s: ids.%s: want a mapping with kind and id", IDMapPath, old)
		}
		m.IDs[strings.ToLower(old)] = IDEntry{Kind: str(e["kind"]), New: str(e["id"]), Restore: str(e["restore"])}
	}
	apps, _ := v["appIds"].(map[string]any)
	for old, raw := range apps {
		if str(raw) == "" {
			return nil, fmt.Errorf("%s: appIds.%s: want an appId", IDMapPath, old)
		}
		m.AppIDs[strings.ToLower(old)] = str(raw)
	}
	return m, nil
}
