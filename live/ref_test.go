package live

import (
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
