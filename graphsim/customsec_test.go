package graphsim

import (
	"strings"
	"testing"
)

// Custom security attributes as Graph documents them: attribute sets with
// the caller's id and no DELETE; definitions with Graph's id
// {set}_{name}, create-only properties, no DELETE (deactivated by status
// Deprecated); predefined values (allowedValues) with the caller's id,
// written only in their own collection, PATCH of isActive, no DELETE.
func TestCustomSecurityAttributes(t *testing.T) {
	e := newCoreEnv(t, Options{})
	sets, defs := "/v1.0/directory/attributeSets", "/v1.0/directory/customSecurityAttributeDefinitions"
	e.do("POST", sets, map[string]any{"description": "no id"}).must(t, 400)
	e.do("POST", sets, map[string]any{"id": "Has Space"}).must(t, 400)
	e.do("POST", sets, map[string]any{"id": strings.Repeat("x", 33)}).must(t, 400)
	e.do("POST", sets, map[string]any{"id": "Engineering", "description": "eng", "maxAttributesPerSet": 10}).must(t, 201)
	e.do("POST", sets, map[string]any{"id": "Engineering"}).must(t, 409)
	e.do("PATCH", sets+"/Engineering", map[string]any{"description": "Engineering \u202eteam", "maxAttributesPerSet": 20}).must(t, 204)
	e.do("PATCH", sets+"/Engineering", map[string]any{"id": "Other"}).must(t, 400)
	e.do("DELETE", sets+"/Engineering", nil).must(t, 405)
	if got := e.do("GET", sets+"/Engineering", nil).must(t, 200); str(got.body["description"]) != "Engineering \u202eteam" {
		t.Errorf("set after PATCH: %v", got.body)
	}

	def := map[string]any{"attributeSet": "Engineering", "name": "Project", "description": "Active projects", "type": "String",
		"status": "Available", "isCollection": true, "isSearchable": true, "usePreDefinedValuesOnly": true}
	without := func(p string) map[string]any {
		m := map[string]any{}
		for k, v := range def {
			if k != p {
				m[k] = v
			}
		}
		return m
	}
	for _, p := range []string{"attributeSet", "name", "type", "status", "isCollection", "isSearchable", "usePreDefinedValuesOnly"} {
		e.do("POST", defs, without(p)).must(t, 400)
	}
	bad := without("")
	bad["attributeSet"] = "Nope"
	e.do("POST", defs, bad).must(t, 400)
	bad = without("")
	bad["allowedValues"] = []any{map[string]any{"id": "Alpine", "isActive": true}}
	e.do("POST", defs, bad).must(t, 400)
	boolean := map[string]any{"attributeSet": "Engineering", "name": "Flag", "type": "Boolean", "status": "Available",
		"isCollection": true, "isSearchable": false, "usePreDefinedValuesOnly": false}
	e.do("POST", defs, boolean).must(t, 400)
	r := e.do("POST", defs, def).must(t, 201)
	if id := str(r.body["id"]); id != "Engineering_Project" {
		t.Fatalf("definition id %q, want Engineering_Project", id)
	}
	e.do("POST", defs, def).must(t, 409)
	item := defs + "/Engineering_Project"
	e.do("PATCH", item, map[string]any{"description": "Projects", "usePreDefinedValuesOnly": false}).must(t, 204)
	e.do("PATCH", item, map[string]any{"status": "Deprecated"}).must(t, 204)
	e.do("PATCH", item, map[string]any{"status": "Gone"}).must(t, 400)
	for _, p := range []string{"name", "type", "attributeSet", "isCollection", "isSearchable"} {
		e.do("PATCH", item, map[string]any{p: def[p]}).must(t, 400)
	}
	e.do("PATCH", item, map[string]any{"allowedValues": []any{}}).must(t, 400)
	e.do("DELETE", item, nil).must(t, 405)

	vals := item + "/allowedValues"
	e.do("POST", vals, map[string]any{"isActive": true}).must(t, 400)
	e.do("POST", vals, map[string]any{"id": "Alpine"}).must(t, 400)
	e.do("POST", vals, map[string]any{"id": "Alpine", "isActive": true}).must(t, 201)
	e.do("POST", vals, map[string]any{"id": "Alpine", "isActive": false}).must(t, 409)
	e.do("POST", vals, map[string]any{"id": "alpine", "isActive": true}).must(t, 201) // case sensitive
	e.do("PATCH", vals+"/alpine", map[string]any{"isActive": false}).must(t, 204)
	if got := e.do("GET", vals+"/Alpine", nil).must(t, 200); got.body["isActive"] != true || got.body["id"] != "Alpine" {
		t.Errorf("PATCH of alpine changed Alpine (ids are case sensitive): %v", got.body)
	}
	e.do("PATCH", vals+"/alpine", map[string]any{"isActive": true}).must(t, 204)
	e.do("PATCH", vals+"/Alpine", map[string]any{"isActive": false}).must(t, 204)
	e.do("DELETE", vals+"/Alpine", nil).must(t, 405)
	list := e.do("GET", vals, nil).must(t, 200)
	if v := list.body["value"].([]any); len(v) != 2 || v[0].(map[string]any)["isActive"] != false {
		t.Errorf("allowed values: %v", list.body)
	}
	got := e.do("GET", item, nil).must(t, 200)
	if _, ok := got.body["allowedValues"]; ok || got.body["status"] != "Deprecated" {
		t.Errorf("definition GET: %v", got.body)
	}

	r = e.do("POST", defs, map[string]any{"attributeSet": "Engineering", "name": "Remote", "type": "Boolean", "status": "Available",
		"isCollection": false, "isSearchable": false, "usePreDefinedValuesOnly": false}).must(t, 201)
	e.do("POST", defs+"/Engineering_Remote/allowedValues", map[string]any{"id": "yes", "isActive": true}).must(t, 400)
}

// Reading takes CustomSecAttributeDefinition.Read.All, writing
// CustomSecAttributeDefinition.ReadWrite.All.
func TestCustomSecurityAttributePermissions(t *testing.T) {
	e := newAuthzEnv(t)
	sets := "/v1.0/directory/attributeSets"
	e.want(e.token("a", "Directory.Read.All"), "GET", sets, nil, 403)
	e.want(e.token("b", "CustomSecAttributeDefinition.Read.All"), "GET", sets, nil, 200)
	e.want(e.token("c", "CustomSecAttributeDefinition.Read.All"), "GET", "/v1.0/directory/customSecurityAttributeDefinitions", nil, 200)
	e.want(e.token("d", "CustomSecAttributeDefinition.Read.All"), "POST", sets, map[string]any{"id": "X"}, 403)
	e.want(e.token("e", "CustomSecAttributeDefinition.ReadWrite.All"), "POST", sets, map[string]any{"id": "X"}, 201)
}
