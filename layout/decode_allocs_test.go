package layout

import (
	"fmt"
	"testing"
)

// TestDecodeRepeatedKeysAllocateOnce: a group of many members repeats two
// keys per member; decoding reads and checks each key's text once per
// file (canonParser.keys), so a member costs its map and its two values
// (about 6 allocations; 11 before; issue 12, row e1: decoding the changed groups was
// a third of a large diff's CPU). Counted, not timed.
func TestDecodeRepeatedKeysAllocateOnce(t *testing.T) {
	const n = 1000
	var members []any
	for i := range n {
		members = append(members, map[string]any{"@odata.type": "#microsoft.graph.user", "id": fmt.Sprintf("%08x-0000-4000-8000-000000000000", i)})
	}
	data := Encode(map[string]any{"displayName": "Group", "id": "g", "members": members})
	if _, ok := decodeCanonical(data); !ok {
		t.Fatal("not canonical")
	}
	allocs := testing.AllocsPerRun(5, func() { decodeCanonical(data) })
	if per := allocs / n; per > 7 {
		t.Errorf("%.1f allocations per member (%.0f for %d), want at most 7 (11 when each key was read anew)", per, allocs, n)
	}
	t.Logf("%.2f allocations per member", allocs/n)
}
