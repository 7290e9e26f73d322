package graphsim

import (
	"sort"
	"strings"
)

// Ids held in the tenant, so that newID never hands out one of them.
//
// Graph's object ids are GUIDs it generates; a new object never gets the id
// of another object (https://learn.microsoft.com/en-us/graph/api/resources/directoryobject:
// "The unique identifier for the object", and an id is not reused after a
// deletion: a restored object comes back under its old id). graphsim's ids
// come from a seeded generator, and a tenant loaded from a snapshot
// (rehearse, graphsim --from-repo) or filled through Tenant.Seed holds ids
// the generator did not draw, possibly the very ones it will draw next (a
// rehearsal tenant is seeded as the demo tenant it was exported from was).
// So newID checks each draw against every id held anywhere in the tenant:
// the tenant id, the key of every record of every kind (live, soft-deleted,
// or deleted but not yet compacted away), every GUID-shaped value inside a
// stored object (ids inside objects such as appRoles, keyIds, appIds,
// references to objects the tenant lacks, items held below their parent by
// hooks_appheld.go and customsec.go), link targets, and every id it handed
// out before. Strict reading where Graph is silent: an id is never handed
// out twice, even after a hard delete.
//
// The set is built on the first newID after a tenant is made or loaded
// (persist.go restores records without insert) and kept up to date from
// then on by insert, patch, the held collections and SeedLink (noteIDs).

// guid is a GUID's 16 bytes, the set's key (a string key would cost several
// times the memory in a large tenant).
type guid [16]byte

// parseGUID reads a GUID in its 36-character form, any case.
func parseGUID(s string) (guid, bool) {
	var g guid
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, false
	}
	j := 0
	for i := 0; i < 36; i += 2 {
		if s[i] == '-' {
			i--
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return g, false
		}
		g[j] = hi<<4 | lo
		j++
	}
	return g, j == 16
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// idTaken reports whether id is held in the tenant. Callers hold t.mu.
func (t *Tenant) idTaken(id string) bool {
	if t.ids == nil {
		t.buildIDs()
	}
	if strings.EqualFold(id, t.id) {
		return true
	}
	g, ok := parseGUID(id)
	if !ok {
		return false
	}
	_, taken := t.ids[g]
	return taken
}

// buildIDs collects every id the tenant holds. Callers hold t.mu.
func (t *Tenant) buildIDs() {
	t.ids = map[guid]struct{}{}
	t.noteIDs(t.id)
	for _, c := range t.colls {
		for _, r := range c.order {
			t.noteRecord(r)
		}
	}
	for _, r := range t.bin {
		t.noteRecord(r)
	}
	for _, id := range t.reserved {
		t.noteIDs(id)
	}
}

func (t *Tenant) noteRecord(r *record) {
	t.noteIDs(r.o())
	for _, rel := range r.links.relNames() {
		for _, id := range r.links.list(rel).all() {
			t.noteIDs(id)
		}
	}
}

// noteID adds s to the set when it is GUID-shaped (once the set is built).
func (t *Tenant) noteID(s string) {
	if t.ids == nil {
		return
	}
	if g, ok := parseGUID(s); ok {
		t.ids[g] = struct{}{}
	}
}

// noteIDs adds every GUID-shaped string in v (a JSON value: maps are walked
// keys and values) to the set, once it is built. Callers hold t.mu.
func (t *Tenant) noteIDs(v any) {
	if t.ids == nil {
		return // built from the records when first needed
	}
	switch v := v.(type) {
	case string:
		t.noteID(v)
	case map[string]any:
		for k, x := range v {
			t.noteIDs(k)
			t.noteIDs(x)
		}
	case []any:
		for _, x := range v {
			t.noteIDs(x)
		}
	case []string:
		for _, x := range v {
			t.noteIDs(x)
		}
	}
}

// ReserveIDs makes ids (GUIDs in any case; anything else is ignored) ids
// the tenant never hands out, as if objects had held them: a tenant loaded
// from a snapshot reserves every id the repository mentions (its id map of
// objects recreated under new ids, records of changes), since they were
// the real tenant's ids at some time and Graph does not give them again. A
// restore that got one back would connect an old id to itself. The ids no
// object holds are saved with the tenant (persist.go: reservedIDs).
func (t *Tenant) ReserveIDs(ids ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ids == nil {
		t.buildIDs()
	}
	added := false
	for _, id := range ids {
		g, ok := parseGUID(id)
		if !ok {
			continue
		}
		if _, held := t.ids[g]; held {
			continue
		}
		t.ids[g] = struct{}{}
		t.reserved = append(t.reserved, strings.ToLower(id))
		added = true
	}
	if added {
		sort.Strings(t.reserved)
	}
}
