package layout

import (
	"reflect"
	"testing"
)

// Ref.Walk visits the ids a reference names (through arrays of objects,
// after a prefix), never the special values or values without the prefix,
// rewrites only what fn changes, and ignores data of another shape.
func TestRefWalk(t *testing.T) {
	obj := map[string]any{
		"members":    []any{map[string]any{"id": "a"}, map[string]any{"id": "b"}, "junk", map[string]any{"id": 7}},
		"conditions": map[string]any{"users": map[string]any{"includeUsers": []any{"All", "c", "", 3}}},
		"scope":      "/administrativeUnits/d",
		"tenant":     "/",
	}
	var seen []string
	upper := func(id string) string {
		seen = append(seen, id)
		if id == "b" || id == "c" || id == "d" {
			return id + "2"
		}
		return id
	}
	for _, r := range []Ref{{Path: "members[].id"}, {Path: "conditions.users.includeUsers", Special: []string{"all"}},
		{Path: "scope", Prefix: "/administrativeUnits/"}, {Path: "tenant", Prefix: "/administrativeUnits/"},
		{Path: "missing[].id"}, {Path: "scope.deeper"}} {
		r.Walk(obj, upper)
	}
	if want := []string{"a", "b", "c", "d"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("visited %q, want %q", seen, want)
	}
	want := map[string]any{
		"members":    []any{map[string]any{"id": "a"}, map[string]any{"id": "b2"}, "junk", map[string]any{"id": 7}},
		"conditions": map[string]any{"users": map[string]any{"includeUsers": []any{"All", "c2", "", 3}}},
		"scope":      "/administrativeUnits/d2",
		"tenant":     "/",
	}
	if !reflect.DeepEqual(obj, want) {
		t.Errorf("after Walk: %v", obj)
	}
	Ref{Path: "members[].id"}.Walk(nil, upper)
	Ref{Path: "members[].id"}.Walk([]any{1}, upper)
}
