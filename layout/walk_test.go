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

// A reference with Where names ids only in the objects whose properties
// match: a directory setting's value is a group id only under one name.
func TestRefWalkWhere(t *testing.T) {
	obj := map[string]any{"values": []any{
		map[string]any{"name": "EnableGroupCreation", "value": "false"},
		map[string]any{"name": "groupCreationAllowedGroupId", "value": "g1"},
		map[string]any{"name": "UsageGuidelinesUrl", "value": "g1"},
	}}
	r := Ref{Path: "values[].value", Where: map[string]string{"name": "GroupCreationAllowedGroupId"}}
	var props []string
	r.Uses(obj, func(prop, id, _ string) { props = append(props, prop+"="+id) })
	if want := []string{"values[1].value=g1"}; !reflect.DeepEqual(props, want) {
		t.Errorf("Uses found %q, want %q", props, want)
	}
	r.Walk(obj, func(id string) string { return id + "-new" })
	vals := obj["values"].([]any)
	if got := vals[1].(map[string]any)["value"]; got != "g1-new" {
		t.Errorf("named value = %v, want g1-new", got)
	}
	if got := vals[2].(map[string]any)["value"]; got != "g1" {
		t.Errorf("a value under another name was rewritten: %v", got)
	}
	if got := vals[0].(map[string]any)["value"]; got != "false" {
		t.Errorf("EnableGroupCreation rewritten: %v", got)
	}
}

// A lifecycle workflow task's groupID holds one group id or a
// comma-separated list of them: Walk maps each id and keeps the spacing,
// Uses reports each, and a lone id is mapped as before.
func TestRefSepNamesEveryIDOfAList(t *testing.T) {
	k, _ := Lookup("lifecycle-workflows")
	var ref Ref
	for _, r := range k.Refs {
		if r.Where["name"] == "groupID" {
			ref = r
		}
	}
	if ref.Sep != "," {
		t.Fatalf("the groupID reference is not a list: %+v", ref)
	}
	task := func(v string) map[string]any {
		return map[string]any{"tasks": []any{map[string]any{"arguments": []any{
			map[string]any{"name": "groupID", "value": v}, map[string]any{"name": "other", "value": "g1"}}}}}
	}
	obj := task("g1, g2,g3")
	var used []string
	ref.Uses(obj, func(prop, id, _ string) { used = append(used, prop+"="+id) })
	if want := []string{"tasks[0].arguments[0].value=g1", "tasks[0].arguments[0].value=g2", "tasks[0].arguments[0].value=g3"}; !reflect.DeepEqual(used, want) {
		t.Errorf("uses %q, want %q", used, want)
	}
	ref.Walk(obj, func(id string) string {
		if id == "g2" {
			return "new2"
		}
		return id
	})
	if !reflect.DeepEqual(obj, task("g1, new2,g3")) {
		t.Errorf("after Walk: %v", obj)
	}
	one := task("g2")
	ref.Walk(one, func(id string) string { return id + "x" })
	if !reflect.DeepEqual(one, task("g2x")) {
		t.Errorf("a lone id: %v", one)
	}
}
