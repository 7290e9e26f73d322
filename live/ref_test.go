package live

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// TestRefIsCompactAndExact: a delta round's relationship entry (ref) is 20
// bytes, since a large tenant's groups round holds one a membership until
// it ends (issue 12, peak memory), and it gives back exactly what Graph
// sent: the id in its own spelling (a GUID in lower case from its bytes,
// any other string from the table, hostile or not), the @odata.type (a
// string once in the table, any other JSON value as it was), @removed.
func TestRefIsCompactAndExact(t *testing.T) {
	if n := unsafe.Sizeof(ref{}); n > 20 {
		t.Errorf("ref is %d bytes: a million memberships hold %d MB (20 bytes: 19 MB)", n, n)
	}
	long := strings.Repeat("x", 5000)
	tab := newRefTable()
	cases := []struct {
		id      string
		typ     any
		hasType bool
		removed bool
	}{
		{"6b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "#microsoft.graph.user", true, false},
		{"6b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "#microsoft.graph.user", true, true},
		{"00000000-0000-0000-0000-000000000000", nil, false, false},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", "#microsoft.graph.group", true, false},
		// Not lower-case GUIDs: kept as strings, exactly.
		{"6B1A2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", "#microsoft.graph.user", true, false},
		{`a "quoted"` + "\nline\u200f\u202eRTL 🙂 ../../etc", "#microsoft.graph.servicePrincipal", true, true},
		{long, map[string]any{"odd": true}, true, false},
		{"", nil, true, false},     // an explicit null type
		{"x", "", true, false},     // an empty type string
		{"x", "#user", true, true}, // the same odd id twice
	}
	var refs []ref
	for _, c := range cases {
		r, err := tab.put(c.id, c.typ, c.hasType, c.removed)
		if err != nil {
			t.Fatalf("put %q: %v", c.id, err)
		}
		refs = append(refs, r)
	}
	for i, c := range cases {
		r := refs[i]
		if got := tab.id(r); got != c.id {
			t.Errorf("case %d: id %q, want %q", i, got, c.id)
		}
		if r.removed() != c.removed {
			t.Errorf("case %d: removed %v, want %v", i, r.removed(), c.removed)
		}
		m := tab.object(r)
		typ, has := m["@odata.type"]
		if has != c.hasType || c.hasType && !reflect.DeepEqual(typ, c.typ) {
			t.Errorf("case %d: @odata.type %#v (present %v), want %#v (present %v)", i, typ, has, c.typ, c.hasType)
		}
		if m["id"] != c.id || len(m) != 1+b2i(c.hasType) {
			t.Errorf("case %d: object %v", i, m)
		}
	}
	// A type string is held once; a GUID takes no table entry, another id
	// one entry however often the round repeats it (a group's member on
	// every page of its slices).
	if n := len(tab.typeIdx); n != 5 {
		t.Errorf("%d distinct type strings in the table, want 5: %v", n, tab.typeIdx)
	}
	for range 1000 {
		if _, err := tab.put("x", nil, false, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(tab.odd); n != 5 {
		t.Errorf("%d ids in the table, want the 5 distinct ids that are not lower-case GUIDs, each once", n)
	}

	// replay: the last event of an id counts, ids compared in lower case.
	rc := &relChange{name: "members", tab: tab, events: refs}
	add, remove := rc.replay()
	// (added, removed, then added again in upper case: the last wins)
	if m := add["6b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]; m == nil || m["id"] != "6B1A2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D" || remove["6b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"] {
		t.Errorf("added, removed, added in upper case: add %v remove %v", m, remove)
	}
	if !remove["x"] || add["x"] != nil || add[long] == nil || add["ffffffff-ffff-ffff-ffff-ffffffffffff"] == nil {
		t.Errorf("replay: add %d ids, remove %v", len(add), remove)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRelateHoldsLittleSpare: a group's 50 members, sent as delta slices of
// 20, 20 and 10 items, are held in about 50 places until the round ends
// (append's doubling held 80: 13 MB more at the large profile's 20,000
// groups), and a huge group still grows geometrically.
func TestRelateHoldsLittleSpare(t *testing.T) {
	tab := newRefTable()
	slice := func(from, n int) []any {
		var out []any
		for i := from; i < from+n; i++ {
			out = append(out, map[string]any{"id": fmt.Sprintf("00000000-0000-4000-8000-%012x", i), "@odata.type": "#microsoft.graph.user"})
		}
		return out
	}
	ch := &deltaChange{id: "g"}
	for _, part := range [][2]int{{0, 20}, {20, 20}, {40, 10}} {
		if err := ch.relate(tab, "members", slice(part[0], part[1])); err != nil {
			t.Fatal(err)
		}
	}
	if ev := ch.rel("members").events; len(ev) != 50 || cap(ev) > 55 {
		t.Errorf("50 members in slices of 20: %d held in %d places, want at most 55", len(ev), cap(ev))
	}
	big := &deltaChange{id: "big"}
	capOf := func() int {
		if rc := big.rel("members"); rc != nil {
			return cap(rc.events)
		}
		return 0
	}
	grows := 0
	for i := 0; i < 100000; i += 20 {
		before := capOf()
		if err := big.relate(tab, "members", slice(i, 20)); err != nil {
			t.Fatal(err)
		}
		if capOf() != before {
			grows++
		}
	}
	if grows > 60 {
		t.Errorf("100,000 members in slices of 20 grew the list %d times, want geometric growth (at most 60)", grows)
	}
}
