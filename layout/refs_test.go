package layout

import (
	"reflect"
	"testing"
)

// Uses finds what Walk finds, with each value's property path and a
// reference object's @odata.type; special values, values without the
// prefix and non-strings are skipped.
func TestRefUses(t *testing.T) {
	obj := map[string]any{
		"members": []any{
			map[string]any{"id": "u1", "@odata.type": "#microsoft.graph.user"},
			map[string]any{"id": "d1", "@odata.type": "#microsoft.graph.device"},
			"not an object",
		},
		"conditions":       map[string]any{"users": map[string]any{"includeUsers": []any{"All", "u2", 7, "u3"}}},
		"directoryScopeId": "/administrativeUnits/au1",
		"appScopeId":       "/",
	}
	type use struct{ prop, id, typ string }
	collect := func(r Ref) []use {
		var out []use
		r.Uses(obj, func(prop, id, typ string) { out = append(out, use{prop, id, typ}) })
		return out
	}
	for _, tc := range []struct {
		ref  Ref
		want []use
	}{
		{Ref{Path: "members[].id"}, []use{{"members[0].id", "u1", "#microsoft.graph.user"}, {"members[1].id", "d1", "#microsoft.graph.device"}}},
		{Ref{Path: "conditions.users.includeUsers", Special: []string{"all"}}, []use{{"conditions.users.includeUsers[1]", "u2", ""}, {"conditions.users.includeUsers[3]", "u3", ""}}},
		{Ref{Path: "directoryScopeId", Prefix: "/administrativeUnits/"}, []use{{"directoryScopeId", "au1", ""}}},
		{Ref{Path: "appScopeId", Prefix: "/administrativeUnits/"}, nil},
		{Ref{Path: "missing.path"}, nil},
	} {
		if got := collect(tc.ref); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.ref.Path, got, tc.want)
		}
		// The same ids as Walk.
		var walked []string
		tc.ref.Walk(Copy(obj), func(id string) string { walked = append(walked, id); return id })
		var ids []string
		for _, u := range tc.want {
			ids = append(ids, u.id)
		}
		if !reflect.DeepEqual(walked, ids) {
			t.Errorf("%s: Walk finds %v, Uses %v", tc.ref.Path, walked, ids)
		}
	}
}
