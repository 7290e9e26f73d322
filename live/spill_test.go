package live

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/entrasnap/entrasnap/layout"
)

// spillItems is a groups round as Graph may send it: objects repeated on
// later pages with more member slices and changed properties, removed and
// sent again, with hostile ids (upper-case GUIDs, ids that are no GUID,
// with "/", NUL, control characters, very long) as keys and as members.
func spillItems() []map[string]any {
	long := strings.Repeat("L/\x00é", 3000)
	hostile := []string{
		"6B1A2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D",
		"not-a-guid",
		"../../etc/passwd",
		"a\x00b",
		"\u202eRTL\nline\t\"q\"",
		long,
	}
	member := func(id string, typ any, removed bool) map[string]any {
		m := map[string]any{"id": id}
		if typ != nil {
			m["@odata.type"] = typ
		}
		if removed {
			m["@removed"] = map[string]any{"reason": "deleted"}
		}
		return m
	}
	guid := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", i) }
	var items []map[string]any
	for page := range 3 {
		for g := range 12 {
			id := guid(1000 + g)
			if g < len(hostile) {
				id = hostile[g]
			}
			it := map[string]any{"id": id, "displayName": fmt.Sprintf("group %d page %d", g, page),
				"description": json.Number(fmt.Sprint(page*100 + g)), "page" + fmt.Sprint(page): true,
				"mailNickname": nil, "other@delta": []any{member("ignored", nil, false)}}
			var members []any
			for i := range 5 {
				members = append(members, member(guid(page*50+g*5+i), "#microsoft.graph.user", false))
			}
			members = append(members, member(hostile[(g+page)%len(hostile)], map[string]any{"odd": page}, page == 2))
			if page > 0 {
				members = append(members, member(guid((page-1)*50+g*5), "#microsoft.graph.user", true))
			}
			it["members@delta"] = members
			if g%3 == 0 {
				it["owners@delta"] = []any{member(strings.ToUpper(guid(g)), "#microsoft.graph.servicePrincipal", false)}
			}
			if g == 4 && page == 1 {
				it = map[string]any{"id": id, "@removed": map[string]any{"reason": "changed"}}
			}
			items = append(items, it)
		}
	}
	return items
}

// merged runs spillItems through a round's merge that spills past limit
// bytes, then builds every object as a delta read does, as JSON.
func merged(t *testing.T, dir string, limit int64) (objs []string, spilled bool) {
	t.Helper()
	k, _ := layout.Lookup("groups")
	spec := deltaKinds["groups"]
	m, changes := round(t, dir, limit)
	defer m.sp.close()
	for _, ch := range changes {
		spilled = spilled || len(ch.recs) > 0
	}
	keep := func(ch *deltaChange) (map[string]any, bool, error) { return nil, !ch.removed, nil }
	err := build(k, spec, changes, keep, func(page []map[string]any) error {
		for _, o := range page {
			b, err := json.Marshal(o)
			if err != nil {
				return err
			}
			objs = append(objs, string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return objs, spilled
}

// TestSpilledRoundBuildsTheSameObjects (issue 12, peak memory): a delta
// round that moves its merged items to a temporary file, from the first
// item or midway, builds the same objects byte for byte as one held in
// memory, hostile ids included, and leaves no file behind.
func TestSpilledRoundBuildsTheSameObjects(t *testing.T) {
	want, spilled := merged(t, t.TempDir(), 1<<40)
	if spilled || len(want) != 12 {
		t.Fatalf("in memory: %d objects, spilled %v; want 12 (the removed one sent again), not spilled", len(want), spilled)
	}
	for _, limit := range []int64{0, 1, 3000, 20000} {
		dir := t.TempDir()
		got, spilled := merged(t, dir, limit)
		if !spilled {
			t.Errorf("limit %d: nothing spilled", limit)
		}
		if len(got) != len(want) {
			t.Fatalf("limit %d: %d objects, want %d", limit, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("limit %d: object %d differs:\n got %.300q\nwant %.300q", limit, i, got[i], want[i])
			}
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("limit %d: %d files left in the temporary folder", limit, len(left))
		}
	}
}

// TestSpillFailureNamesTheFolder: a folder the round cannot write to is an
// error that names it, not a crash or a silent loss.
func TestSpillFailureNamesTheFolder(t *testing.T) {
	dir := t.TempDir() + "/missing"
	m := newRoundMerge(deltaKinds["groups"], dir, 0)
	err := m.add(map[string]any{"id": "g", "members@delta": []any{}}, "g", "g", false)
	if err == nil || !strings.Contains(err.Error(), "temporary file") || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("spilling into a missing folder: %v", err)
	}
}

// TestKeyOfPathSharesThePathOrKeepsTheKey: a GUID key is the end of its
// file's path, so the read keeps it as a part of the path (no allocation
// of its own for each of a million users); any other key is kept as it is,
// byte for byte.
func TestKeyOfPathSharesThePathOrKeepsTheKey(t *testing.T) {
	g := "6b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	cases := []struct{ path, key string }{
		{"users/6b/ada-lovelace." + g + ".yaml", g},
		{"users/6b/" + g + ".yaml", g},
		{"users/6b/ada.6b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.yaml", strings.ToUpper(g)}, // not its end: kept
		{"named-locations/a~2Fb.yaml", "a/b"},
		{"x/a\x00b.yaml", "a\x00b"},
		{"x/" + strings.Repeat("k", 300) + ".yaml", strings.Repeat("k", 300)},
		{"x/y", "y"},
	}
	for _, c := range cases {
		key := strings.Clone(c.key)
		got := keyOfPath(c.path, key)
		if got != c.key {
			t.Errorf("keyOfPath(%q, %q) = %q", c.path, c.key, got)
		}
		shares := len(got) > 0 && unsafe.StringData(got) != unsafe.StringData(key)
		if want := strings.HasSuffix(c.path, c.key+".yaml"); shares != want {
			t.Errorf("keyOfPath(%q, %q): shares the path's bytes %v, want %v", c.path, c.key, shares, want)
		}
	}
}

// bigGroupRound merges one group of n members as Graph sends a large one
// in a round: its properties first, then items carrying its id and the
// next slice of 20 members@delta each, spilling past limit bytes.
func bigGroupRound(t *testing.T, n int, limit int64) (*roundMerge, *deltaChange) {
	t.Helper()
	m := newRoundMerge(deltaKinds["groups"], t.TempDir(), limit)
	id := "00000000-0000-4000-8000-00000000beef"
	for lo := 0; lo < n; lo += 20 {
		it := map[string]any{"id": id}
		if lo == 0 {
			it["displayName"], it["description"] = "All staff", json.Number("12")
		}
		var members []any
		for i := lo; i < min(lo+20, n); i++ {
			members = append(members, map[string]any{"id": fmt.Sprintf("00000000-0000-4000-8000-%012x", i), "@odata.type": "#microsoft.graph.user"})
		}
		it["members@delta"] = members
		if err := m.add(it, id, id, false); err != nil {
			t.Fatal(err)
		}
	}
	changes, err := m.end()
	if err != nil || len(changes) != 1 {
		t.Fatalf("%d changes, %v", len(changes), err)
	}
	return m, changes[0]
}

// TestSpilledLargeGroupLoadsInLinearMemory (issue 12, CPU at 1.2M users):
// reading a spilled large group back makes its members' events once, at
// their size: twice the members allocate about twice the bytes, not four
// times (growing them record by record, a slice of 20 members each, was
// quadratic: memmove and GC of a 100,000-member group's events thousands
// of times). The group built is the one held in memory would build.
func TestSpilledLargeGroupLoadsInLinearMemory(t *testing.T) {
	k, _ := layout.Lookup("groups")
	spec := deltaKinds["groups"]
	objectOf := func(ch *deltaChange) string {
		o, err := apply(k, spec, nil, ch)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(o)
		return string(b)
	}
	m, held := bigGroupRound(t, 1000, 1<<40)
	defer m.sp.close()
	ms, spilled := bigGroupRound(t, 1000, 0)
	defer ms.sp.close()
	if len(held.recs) != 0 || len(spilled.recs) != 50 {
		t.Fatalf("records: held %d, spilled %d; want 0 and 50", len(held.recs), len(spilled.recs))
	}
	if a, b := objectOf(held), objectOf(spilled); a != b || !strings.Contains(a, `"displayName":"All staff"`) {
		t.Errorf("spilled group differs from the one held:\n got %.300s\nwant %.300s", b, a)
	}
	loadBytes := func(n int) uint64 {
		m, ch := bigGroupRound(t, n, 0)
		defer m.sp.close()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := ch.load(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if got := len(ch.rels[0].events); got != n {
			t.Fatalf("%d events loaded, want %d", got, n)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := loadBytes(10000), loadBytes(20000)
	if large > 3*small {
		t.Errorf("loading 20,000 members allocated %d bytes, 10,000 %d: %.1f×, want about 2×", large, small, float64(large)/float64(small))
	}
}

// TestSpilledChangeHoldsNothingOnceBuilt (issue 12, peak memory): once a
// spilled change's object is made, what apply read back from the file
// (properties, 20 bytes a membership) is dropped again, so a round's
// changes kept reachable during its build do not bring the whole round
// back into memory; applying it again reads the records again and makes
// the same object.
func TestSpilledChangeHoldsNothingOnceBuilt(t *testing.T) {
	k, _ := layout.Lookup("groups")
	spec := deltaKinds["groups"]
	m, changes := round(t, t.TempDir(), 0)
	defer m.sp.close()
	held := append([]*deltaChange(nil), changes...) // as a holder of the round would
	var first []string
	err := build(k, spec, changes, func(ch *deltaChange) (map[string]any, bool, error) { return nil, !ch.removed, nil }, func(page []map[string]any) error {
		for _, o := range page {
			b, _ := json.Marshal(o)
			first = append(first, string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, ch := range held {
		if ch.removed {
			continue
		}
		if len(ch.recs) == 0 {
			t.Fatalf("%q: not spilled", ch.id)
		}
		if ch.props != nil || ch.rels != nil {
			t.Errorf("%q: holds %d bytes of properties and %d relationships once built", ch.id, len(ch.props), len(ch.rels))
		}
		again, err := apply(k, spec, nil, ch)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(again)
		if string(b) != first[i] {
			t.Errorf("%q applied again:\n got %.300q\nwant %.300q", ch.id, b, first[i])
		}
		i++
	}
	if i != len(first) {
		t.Errorf("%d objects built, %d changes kept", len(first), i)
	}
}

// round merges spillItems as a groups round does, moving them to a file
// in dir past limit bytes; close the round's file with m.sp.close.
func round(t *testing.T, dir string, limit int64) (m *roundMerge, changes []*deltaChange) {
	t.Helper()
	m = newRoundMerge(deltaKinds["groups"], dir, limit)
	for _, it := range spillItems() {
		// Decoded as Graph's pages are (numbers kept as written).
		b, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		o, err := decodeObject(b)
		if err != nil {
			t.Fatal(err)
		}
		id := o["id"].(string)
		_, removed := o["@removed"]
		if err := m.add(o, id, strings.ToLower(id), removed); err != nil {
			t.Fatal(err)
		}
	}
	changes, err := m.end()
	if err != nil {
		t.Fatal(err)
	}
	return m, changes
}
