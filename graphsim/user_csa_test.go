package graphsim

import (
	"reflect"
	"strings"
	"testing"
)

// csaSet is a set's value as a PATCH writes it.
func csaSet(kv ...any) map[string]any {
	m := map[string]any{"@odata.type": csaWriteType}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func csaPatch(sets ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(sets); i += 2 {
		m[sets[i].(string)] = sets[i+1]
	}
	return map[string]any{csaProp: m}
}

// A user's custom security attribute values as Graph documents them
// (custom-security-attributes-examples): read only when $select names
// them, grouped by set with @odata.type annotations; a PATCH names only
// what changes, validated against the definitions; null removes a single
// value, [] a collection.
func TestUserCustomSecurityAttributeValues(t *testing.T) {
	e := newCoreEnv(t, Options{})
	e.do("POST", "/v1.0/directory/attributeSets", map[string]any{"id": "Eng"}).must(t, 201)
	defs := "/v1.0/directory/customSecurityAttributeDefinitions"
	def := func(name, typ string, coll, predef bool) {
		e.do("POST", defs, map[string]any{"attributeSet": "Eng", "name": name, "type": typ, "status": "Available",
			"isCollection": coll, "isSearchable": true, "usePreDefinedValuesOnly": predef}).must(t, 201)
	}
	def("Project", "String", true, false)
	def("Level", "Integer", false, false)
	def("Badges", "Integer", true, false)
	def("Certified", "Boolean", false, false)
	def("Note", "String", false, false)
	def("Tier", "String", false, true)
	def("Old", "String", false, false)
	e.do("POST", defs+"/Eng_Tier/allowedValues", map[string]any{"id": "Gold", "isActive": true}).must(t, 201)
	e.do("POST", defs+"/Eng_Tier/allowedValues", map[string]any{"id": "Tin", "isActive": false}).must(t, 201)
	e.do("PATCH", defs+"/Eng_Old", map[string]any{"status": "Deprecated"}).must(t, 204)

	u := e.newUser("csa")
	item := "/v1.0/users/" + u
	get := func() any {
		t.Helper()
		return e.do("GET", item+"?$select=id,customSecurityAttributes", nil).must(t, 200).body[csaProp]
	}
	if v := get(); v != nil {
		t.Fatalf("a new user's values: %v", v)
	}
	hostile := "Ré\"sumé'\n\u202e../🚀" + strings.Repeat("x", 200)
	e.do("PATCH", item, csaPatch("Eng", csaSet("Project@odata.type", "#Collection(String)", "Project", []any{"Baker", hostile},
		"Level@odata.type", "#Int32", "Level", 4, "Badges@odata.type", "#Collection(Int32)", "Badges", []any{1001, 1003},
		"Certified", true, "Note", "plain", "Tier", "Gold"))).must(t, 204)
	want := map[string]any{"Eng": map[string]any{"@odata.type": csaReadType,
		"Project@odata.type": "#Collection(String)", "Project": []any{"Baker", hostile},
		"Level@odata.type": "#Int32", "Level": float64(4), "Badges@odata.type": "#Collection(Int32)", "Badges": []any{float64(1001), float64(1003)},
		"Certified": true, "Note": "plain", "Tier": "Gold"}}
	if got := get(); !reflect.DeepEqual(got, want) {
		t.Fatalf("values:\n got %v\nwant %v", got, want)
	}
	// Not in the default representation, nor in a list without $select.
	if _, ok := e.do("GET", item, nil).must(t, 200).body[csaProp]; ok {
		t.Error("customSecurityAttributes returned without $select")
	}

	for name, body := range map[string]map[string]any{
		"unknown set":                     csaPatch("Nope", csaSet("Level@odata.type", "#Int32", "Level", 1)),
		"unknown attribute":               csaPatch("Eng", csaSet("Nope", "x")),
		"set without @odata.type":         csaPatch("Eng", map[string]any{"Note": "x"}),
		"string for an integer":           csaPatch("Eng", csaSet("Level@odata.type", "#Int32", "Level", "4")),
		"integer without #Int32":          csaPatch("Eng", csaSet("Level", 4)),
		"beyond Int32":                    csaPatch("Eng", csaSet("Level@odata.type", "#Int32", "Level", 1<<40)),
		"fraction":                        csaPatch("Eng", csaSet("Level@odata.type", "#Int32", "Level", 1.5)),
		"collection without annotation":   csaPatch("Eng", csaSet("Project", []any{"a"})),
		"collection of the wrong type":    csaPatch("Eng", csaSet("Badges@odata.type", "#Collection(String)", "Badges", []any{"a"})),
		"single value for a collection":   csaPatch("Eng", csaSet("Project@odata.type", "#Collection(String)", "Project", "a")),
		"annotated string":                csaPatch("Eng", csaSet("Note@odata.type", "#String", "Note", "a")),
		"boolean as string":               csaPatch("Eng", csaSet("Certified", "true")),
		"not a predefined value":          csaPatch("Eng", csaSet("Tier", "Silver")),
		"an inactive predefined value":    csaPatch("Eng", csaSet("Tier", "Tin")),
		"a predefined value's other case": csaPatch("Eng", csaSet("Tier", "gold")),
		"a deactivated attribute":         csaPatch("Eng", csaSet("Old", "x")),
		"null removes no collection":      csaPatch("Eng", csaSet("Project", nil)),
		"annotation without value":        csaPatch("Eng", csaSet("Level@odata.type", "#Int32")),
		"not an object":                   {csaProp: "x"},
	} {
		r := e.do("PATCH", item, body)
		if r.status != 400 || r.errCode() != "Request_BadRequest" {
			t.Errorf("%s: %d %s, want 400 Request_BadRequest", name, r.status, r.raw)
		}
	}
	if got := get(); !reflect.DeepEqual(got, want) {
		t.Fatalf("a refused PATCH changed the values: %v", got)
	}
	// A PATCH names only what changes; null and [] remove.
	e.do("PATCH", item, csaPatch("Eng", csaSet("Level", nil, "Project", []any{}, "Note", "changed"))).must(t, 204)
	eng := want["Eng"].(map[string]any)
	for _, p := range []string{"Level", "Level@odata.type", "Project", "Project@odata.type"} {
		delete(eng, p)
	}
	eng["Note"] = "changed"
	if got := get(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after removals:\n got %v\nwant %v", got, want)
	}
	e.do("PATCH", item, csaPatch("Eng", csaSet("Badges", []any{}, "Certified", nil, "Note", nil, "Tier", nil))).must(t, 204)
	if v := get(); v != nil {
		t.Fatalf("every value removed, read %v", v)
	}
	// At most 50 values per object.
	many := make([]any, 51)
	for i := range many {
		many[i] = "p" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	e.do("PATCH", item, csaPatch("Eng", csaSet("Project@odata.type", "#Collection(String)", "Project", many))).must(t, 400)
	// Not on create.
	r := e.do("POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "C", "mailNickname": "c",
		"userPrincipalName": "c@" + e.s.Tenant().Domain(), "passwordProfile": map[string]any{"password": "P@ssw0rd!c"},
		csaProp: map[string]any{"Eng": csaSet("Note", "x")}})
	if r.status != 400 {
		t.Errorf("POST /users with values: %d %s", r.status, r.raw)
	}
}

// Reading values needs CustomSecAttributeAssignment.Read.All: without it
// Graph answers null, not 403; writing needs
// CustomSecAttributeAssignment.ReadWrite.All (with User.Read.All it is
// enough, and User.ReadWrite.All does not replace it).
func TestUserCustomSecurityAttributePermissions(t *testing.T) {
	e := newAuthzEnv(t)
	tn := e.s.Tenant()
	god := e.s.Token()
	e.want(god, "POST", "/v1.0/directory/attributeSets", map[string]any{"id": "HR"}, 201)
	e.want(god, "POST", "/v1.0/directory/customSecurityAttributeDefinitions", map[string]any{"attributeSet": "HR", "name": "CostCenter",
		"type": "String", "status": "Available", "isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": false}, 201)
	holder := user(e, "holder")
	e.want(god, "PATCH", "/v1.0/users/"+holder, csaPatch("HR", csaSet("CostCenter", "CC-1")), 204)
	item := "/v1.0/users/" + holder
	sel := item + "?$select=id,customSecurityAttributes"
	list := "/v1.0/users?$select=id,customSecurityAttributes&$top=999"
	if out := e.want(e.token("a", "User.Read.All"), "GET", sel, nil, 200); out[csaProp] != nil {
		t.Errorf("read without CustomSecAttributeAssignment.Read.All: %v, want null", out[csaProp])
	}
	out := e.want(e.token("b", "User.Read.All"), "GET", list, nil, 200)
	for _, it := range out["value"].([]any) {
		if v := it.(map[string]any)[csaProp]; v != nil {
			t.Fatalf("list without the permission holds values: %v", v)
		}
	}
	if out := e.want(e.token("c", "User.Read.All", "CustomSecAttributeAssignment.Read.All"), "GET", sel, nil, 200); out[csaProp] == nil {
		t.Error("read with CustomSecAttributeAssignment.Read.All: null")
	}
	body := csaPatch("HR", csaSet("CostCenter", "CC-perm"))
	e.want(e.token("d", "User.ReadWrite.All", "Directory.ReadWrite.All"), "PATCH", item, body, 403)
	e.want(e.token("e", "CustomSecAttributeAssignment.ReadWrite.All"), "PATCH", item, body, 403) // and User.Read.All
	e.want(e.token("f", "CustomSecAttributeAssignment.Read.All", "User.Read.All"), "PATCH", item, body, 403)
	e.want(e.token("g", "CustomSecAttributeAssignment.ReadWrite.All", "User.Read.All"), "PATCH", item, body, 204)
	mixed := csaPatch("HR", csaSet("CostCenter", "CC-mixed"))
	mixed["jobTitle"] = "x"
	e.want(e.token("h", "CustomSecAttributeAssignment.ReadWrite.All", "User.Read.All"), "PATCH", item, mixed, 403)
	e.want(e.token("i", "CustomSecAttributeAssignment.ReadWrite.All", "User.ReadWrite.All"), "PATCH", item, mixed, 204)
	if got := tn.CustomSecurityAttributes(holder)["HR"].(map[string]any)["CostCenter"]; got != "CC-mixed" {
		t.Errorf("CostCenter after the writes: %v", got)
	}
}

// A delegated caller also needs a role: Attribute Assignment Reader (or
// Administrator) to read, Attribute Assignment Administrator to write;
// Global Administrator holds neither.
func TestUserCustomSecurityAttributesDelegated(t *testing.T) {
	e := newIDEnv(t)
	tn := e.s.Tenant()
	god := "Bearer " + e.s.Token()
	assign := func(principal, role string) {
		r := e.call(god, "POST", "/v1.0/roleManagement/directory/roleAssignments",
			map[string]any{"principalId": principal, "roleDefinitionId": role, "directoryScopeId": "/"})
		if r.status != 201 {
			t.Fatalf("role assignment: %d %s", r.status, r.raw)
		}
	}
	if r := e.call(god, "POST", "/v1.0/directory/attributeSets", map[string]any{"id": "Ops"}); r.status != 201 {
		t.Fatalf("set: %d %s", r.status, r.raw)
	}
	if r := e.call(god, "POST", "/v1.0/directory/customSecurityAttributeDefinitions", map[string]any{"attributeSet": "Ops", "name": "Shift",
		"type": "String", "status": "Available", "isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": false}); r.status != 201 {
		t.Fatalf("definition: %d %s", r.status, r.raw)
	}
	target := e.seedUser("target")
	if r := e.call(god, "PATCH", "/v1.0/users/"+target, csaPatch("Ops", csaSet("Shift", "night"))); r.status != 204 {
		t.Fatalf("seed value: %d %s", r.status, r.raw)
	}
	ga, reader, admin := e.seedUser("ga"), e.seedUser("reader"), e.seedUser("admin")
	assign(ga, "62e90394-69f5-4237-9190-012177145e10")
	assign(reader, "ffd52fa5-98dc-465c-991d-fc073eb59f8f")
	assign(admin, "58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d")
	app := e.newPublicClient("entrasnap", "User.Read.All", "User.ReadWrite.All", "CustomSecAttributeAssignment.ReadWrite.All")
	tok := func(nick string) string { return "Bearer " + e.delegatedToken(app, nick+"@"+tn.Domain()) }
	sel := "/v1.0/users/" + target + "?$select=id,customSecurityAttributes"
	for _, c := range []struct {
		user     string
		readable bool
		write    int
	}{{"ga", false, 403}, {"reader", true, 403}, {"admin", true, 204}} {
		tk := tok(c.user)
		r := e.call(tk, "GET", sel, nil)
		if r.status != 200 || (r.body[csaProp] != nil) != c.readable {
			t.Errorf("%s reads %d %v, want readable=%v", c.user, r.status, r.body[csaProp], c.readable)
		}
		if r := e.call(tk, "PATCH", "/v1.0/users/"+target, csaPatch("Ops", csaSet("Shift", "day-"+c.user))); r.status != c.write {
			t.Errorf("%s writes %d %s, want %d", c.user, r.status, r.raw, c.write)
		}
	}
}
