package importer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
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
	// Created is when that restore created it (UTC, to the second; the
	// zero time when not known: id maps written before it was noted). A
	// plan waits for Graph's replication of recent ones only (Fresh).
	Created time.Time
}

// Fresh reports whether e was created within window of now (a little
// ahead of now too: the clock of the machine that restored may run
// ahead of this one's), so that Graph may not show it everywhere yet. A
// creation time not known, or further from now than window either way (a
// bad clock, an edited file), is not fresh.
func (e IDEntry) Fresh(now time.Time, window time.Duration) bool {
	if e.Created.IsZero() || window <= 0 {
		return false
	}
	d := now.Sub(e.Created) // saturates: no overflow for any time
	return d <= window && d >= -window
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

// Add records that old is now new, created at a time not known.
func (m *IDMap) Add(kind, old, new, restore string) {
	m.AddCreated(kind, old, new, restore, time.Time{})
}

// AddCreated records that old is now new, created at created.
func (m *IDMap) AddCreated(kind, old, new, restore string, created time.Time) {
	if strings.EqualFold(old, new) {
		return
	}
	if !created.IsZero() {
		created = created.UTC().Truncate(time.Second)
	}
	m.IDs[strings.ToLower(old)] = IDEntry{Kind: kind, New: new, Restore: restore, Created: created}
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

// follow walks id through next to the newest id. The chain has no
// length bound (an object may be recreated any number of times); an id
// whose chain runs into a cycle resolves to nothing (ok false) rather than
// to whichever member the walk stopped at. DecodeIDMap refuses a map with
// a cycle, naming its ids (cycles).
func (m *IDMap) follow(id string, next func(string) (string, bool)) (string, bool) {
	if m == nil || id == "" {
		return id, false
	}
	cur, found := id, false
	seen := map[string]bool{}
	for {
		seen[strings.ToLower(cur)] = true
		n, ok := next(cur)
		if !ok {
			return cur, found
		}
		if seen[strings.ToLower(n)] {
			return id, false
		}
		cur, found = n, true
	}
}

// cycle returns the first cycle among edges (old → new, keys lower-case),
// in the order the edges go, starting at its smallest id; nil when there
// is none.
func cycle(edges map[string]string) []string {
	keys := make([]string, 0, len(edges))
	for k := range edges {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	done := map[string]bool{}
	for _, start := range keys {
		pos := map[string]int{}
		var path []string
		for cur := start; ; {
			if done[cur] {
				break
			}
			if i, ok := pos[cur]; ok {
				c := path[i:]
				low := 0
				for j := range c {
					if c[j] < c[low] {
						low = j
					}
				}
				return append(append(append([]string{}, c[low:]...), c[:low]...), c[low])
			}
			pos[cur] = len(path)
			path = append(path, cur)
			n, ok := edges[cur]
			if !ok {
				break
			}
			cur = strings.ToLower(n)
		}
		for _, p := range path {
			done[p] = true
		}
	}
	return nil
}

// cycles says which ids of m form a cycle (an edited or badly merged id
// map), naming them; nil when none do.
func (m *IDMap) cycles() error {
	ids := make(map[string]string, len(m.IDs))
	for k, e := range m.IDs {
		ids[k] = e.New
	}
	for _, c := range []struct {
		field string
		edges map[string]string
	}{{"ids", ids}, {"appIds", m.AppIDs}} {
		if cyc := cycle(c.edges); cyc != nil {
			q := make([]string, len(cyc))
			for i, id := range cyc {
				q[i] = fmt.Sprintf("%q", id)
			}
			return fmt.Errorf("%s: %s: the entries form a cycle (%s), so these ids resolve to no newest id; each recreated object's old id must lead to the id it has now. The file was edited or merged by hand: take it back from git history (git log -p -- %s) and remove the entry that closes the cycle",
				IDMapPath, c.field, strings.Join(q, " → "), IDMapPath)
		}
	}
	return nil
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
		if !e.Created.IsZero() {
			v["created"] = e.Created.UTC().Format(time.RFC3339)
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
		created, err := decodeCreated(e["created"])
		if err != nil {
			return nil, fmt.Errorf("%s: ids.%s: created: %v; it only tells how long a plan waits for Graph to show the object: remove the line or take the file back from git history (git log -p -- %s), commit it and run again",
				IDMapPath, layout.Safe(old), err, IDMapPath)
		}
		m.IDs[strings.ToLower(old)] = IDEntry{Kind: str(e["kind"]), New: str(e["id"]), Restore: str(e["restore"]), Created: created}
	}
	apps, _ := v["appIds"].(map[string]any)
	for old, raw := range apps {
		if str(raw) == "" {
			return nil, fmt.Errorf("%s: appIds.%s: want an appId", IDMapPath, old)
		}
		m.AppIDs[strings.ToLower(old)] = str(raw)
	}
	if err := m.cycles(); err != nil {
		return nil, err
	}
	return m, nil
}

// decodeCreated reads an entry's creation time: absent is not known (the
// zero time); anything but an RFC 3339 time in a string is refused
// without quoting it (it may be long or unprintable).
func decodeCreated(v any) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, errors.New("want a time in quotes, such as \"2026-03-23T10:00:00Z\"")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || len(s) > len("2006-01-02T15:04:05.999999999+00:00") {
		return time.Time{}, errors.New("not a time such as 2026-03-23T10:00:00Z (RFC 3339)")
	}
	return t.UTC(), nil
}

// BadIDMapError is an id map at a revision that does not decode (a bad
// edit or merge, a file that is not an id map): its error names the file
// and says how to repair it. readIDMap returns it apart from the errors of
// reading the repository, which are returned as they are.
type BadIDMapError struct {
	Rev string // the revision read ("HEAD")
	Err error  // DecodeIDMap's error, which names the file and the entry
}

func (e *BadIDMapError) Error() string {
	msg := fmt.Sprintf("the id map at %s cannot be read: %v", e.Rev, e.Err)
	if !strings.Contains(msg, "git log -p") { // a cycle's error says what to do already
		msg += fmt.Sprintf("; restore and apply read it to find objects recreated under new ids, so they refuse until it reads: take it back from the last commit where it was good (git log -p -- %s), commit it, and run again", IDMapPath)
	}
	return msg
}

func (e *BadIDMapError) Unwrap() error { return e.Err }

// readIDMap is the one reader of the id map at HEAD of repo (Load, record,
// RecordJournal, ReadLeftoverJournal). A repository without one, or without
// a commit yet, gives an empty map, data nil and no error; a file that does
// not decode gives a *BadIDMapError (with data, the bytes as they are);
// any other error is the repository's, naming the file.
func readIDMap(ctx context.Context, repo *snapshot.Repo) (m *IDMap, data []byte, err error) {
	const rev = "HEAD"
	data, err = repo.ReadFile(ctx, rev, IDMapPath)
	switch {
	case errors.Is(err, snapshot.ErrNotFound) || errors.Is(err, snapshot.ErrUnknownRevision):
		return NewIDMap(), nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("reading the id map %s at %s: %w", IDMapPath, rev, err)
	}
	if m, err = DecodeIDMap(data); err != nil {
		return nil, data, &BadIDMapError{Rev: rev, Err: err}
	}
	return m, data, nil
}
