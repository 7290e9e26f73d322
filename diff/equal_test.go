package diff

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// equal answers as reflect.DeepEqual does for every value a file decodes
// to, and for the odd ones (typed nils, empty against nil, other types).
func TestEqualIsDeepEqual(t *testing.T) {
	var nilMap map[string]any
	var nilList []any
	values := []any{
		nil, "", "a", "1", json.Number("1"), json.Number("1.0"), true, false, 1.0, float32(1), []string{"a"},
		map[string]any{}, nilMap, map[string]any{"a": "1"}, map[string]any{"a": json.Number("1")}, map[string]any{"a": nil}, map[string]any{"b": nil},
		map[string]any{"a": []any{"x", map[string]any{"id": "1"}}}, map[string]any{"a": []any{"x", map[string]any{"id": "2"}}},
		[]any{}, nilList, []any{nil}, []any{"a", "b"}, []any{"b", "a"}, []any{map[string]any{"a": true}}, []any{map[string]any{"a": false}},
	}
	for _, a := range values {
		for _, b := range values {
			if got, want := equal(a, b), reflect.DeepEqual(a, b); got != want {
				t.Errorf("equal(%#v, %#v) = %v, reflect.DeepEqual says %v", a, b, got, want)
			}
		}
	}
}

// Comparing a group of 5,000 members with one member added and one
// removed allocates in proportion to the change, plus one key list and map
// per side: not a formatted key per member each time it is looked up.
func TestCompareSetsAllocatesForTheChange(t *testing.T) {
	groups, _ := layout.Lookup("groups")
	elemKey, ok := groups.IsSet("members")
	if !ok {
		t.Fatal("groups' members are not a set in the catalog")
	}
	member := func(i int) any {
		return map[string]any{"id": fmt.Sprintf("a1b2c3d4-0000-4000-8000-%012d", i), "@odata.type": "#microsoft.graph.user"}
	}
	var a, b []any
	for i := 0; i < 5000; i++ {
		a = append(a, member(i))
		b = append(b, member(i+1))
	}
	var changes []PropChange
	allocs := testing.AllocsPerRun(5, func() { changes = compareSets(groups, "members", elemKey, a, b) })
	if len(changes) != 1 || len(changes[0].Added) != 1 || len(changes[0].Removed) != 1 {
		t.Fatalf("changes %+v, want one member added and one removed", changes)
	}
	if allocs > 100 {
		t.Errorf("compareSets of 5,000 members, one added and one removed: %.0f allocations, want at most 100", allocs)
	}
}
