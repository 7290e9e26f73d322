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

// TestCanonicalKeysSharedAcrossFiles: the keys read and checked in one
// file are known in the next (knownKeys), so checking a group's file
// (isCanonical, as DecodePair does for each changed group of a diff)
// allocates nothing once its keys were seen; when each file built its
// own map, a file of thirty keys cost a map grown four times and a string
// per key (77 allocations here; a tenth of a large diff's CPU; issue 12,
// row e1). Counted, not timed.
func TestCanonicalKeysSharedAcrossFiles(t *testing.T) {
	if raceEnabled {
		t.Skip("counts allocations of pooled code: under -race sync.Pool drops a random share of what it is given")
	}
	obj := map[string]any{}
	for i := range 30 {
		obj[fmt.Sprintf("property%02d", i)] = "value"
	}
	obj["@odata.type"] = "#microsoft.graph.group" // a quoted key
	var members []any
	for i := range 50 {
		members = append(members, map[string]any{"@odata.type": "#microsoft.graph.user", "id": fmt.Sprintf("%08x-0000-4000-8000-000000000000", i)})
	}
	obj["members"] = members
	data := Encode(obj)
	if !isCanonical(data) {
		t.Fatal("not canonical")
	}
	if allocs := testing.AllocsPerRun(20, func() { isCanonical(data) }); allocs > 2 {
		t.Errorf("isCanonical of a file whose keys were seen: %.1f allocations, want at most 2 (the keys known from the last file)", allocs)
	}
}

// TestCanonicalKeysManyDistinct: a file of more distinct keys than
// knownKeys keeps decodes as the YAML parser reads it, and so does the
// next file, which reuses (some of) the same key texts.
func TestCanonicalKeysManyDistinct(t *testing.T) {
	big := map[string]any{}
	for i := range 3 * maxKnownKeys {
		big[fmt.Sprintf("k%04d", i)] = i
		big[fmt.Sprintf("q:%04d", i)] = "x" // quoted keys
	}
	small := map[string]any{"k0001": "a", "q:0002": "b", "k9999": map[string]any{"k0003": true}}
	for round := range 3 {
		for _, obj := range []map[string]any{big, small} {
			data := Encode(obj)
			got, ok := decodeCanonical(data)
			if !ok {
				t.Fatalf("round %d: not canonical", round)
			}
			want, err := Decode(append([]byte("# not canonical: the YAML parser\n"), data...))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("round %d: canonical decoder and YAML parser disagree on a file of %d keys", round, len(obj))
			}
		}
	}
}

// TestDecodeTopLevelMapMadeToSize: a file's top-level mapping is made
// with room for its keys (topKeys), not grown from empty: an object of
// thirty properties, as a group's, costs its values and one map.
// Counted, not timed.
func TestDecodeTopLevelMapMadeToSize(t *testing.T) {
	if raceEnabled {
		t.Skip("counts allocations of pooled code: under -race sync.Pool drops a random share of what it is given")
	}
	obj := map[string]any{}
	for i := range 30 {
		obj[fmt.Sprintf("property%02d", i)] = true
	}
	data := Encode(obj)
	if _, ok := decodeCanonical(data); !ok {
		t.Fatal("not canonical")
	}
	allocs := testing.AllocsPerRun(20, func() { decodeCanonical(data) })
	if allocs > 6 {
		t.Errorf("decoding an object of 30 booleans: %.0f allocations, want at most 6 (the parser and one map)", allocs)
	}
	t.Logf("%.0f allocations", allocs)
}
