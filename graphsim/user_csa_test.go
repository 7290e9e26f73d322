package graphsim

import (
	"net/url"
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

// Role template ids of the custom security attribute roles
// (learn:/entra/identity/role-based-access-control/permissions-reference).
const (
	attrAssignAdminID = "58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d"
	attrAssignReadID  = "ffd52fa5-98dc-465c-991d-fc073eb59f8f"
	attrDefAdminID    = "8424c6f0-a189-499e-bbd0-26c1753c96d4"
)

// Roles scoped to an attribute set (directoryScopeId /attributeSets/{id},
// custom-security-attributes-manage): an Attribute Assignment Administrator
// or Reader scoped to one set reads that set's values only (the others
// are left out, null when none is left) and the administrator assigns that
// set's values only; an Attribute Definition Administrator scoped to a set
// defines attributes in it only and cannot update the set; Global
// Administrator neither reads nor writes definitions. Only the four
// attribute roles take that scope, the set must exist, and eligible
// assignments are refused there. One set has an RTL (Arabic) id and the
// values hostile strings.
func TestAttributeSetScopedRoles(t *testing.T) {
	e := newIDEnv(t)
	tn := e.s.Tenant()
	god := "Bearer " + e.s.Token()
	must := func(r idResp, want int, what string) idResp {
		t.Helper()
		if r.status != want {
			t.Fatalf("%s: %d %s, want %d", what, r.status, r.raw, want)
		}
		return r
	}
	ops, rtl := "Ops", "مجموعة"
	defs := "/v1.0/directory/customSecurityAttributeDefinitions"
	for _, set := range []string{ops, rtl} {
		must(e.call(god, "POST", "/v1.0/directory/attributeSets", map[string]any{"id": set}), 201, "set "+set)
		must(e.call(god, "POST", defs, map[string]any{"attributeSet": set, "name": "Shift", "type": "String", "status": "Available",
			"isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": false}), 201, "definition in "+set)
	}
	hostile := "night \"shift\"\n\u202e../🚀" + strings.Repeat("é", 100)
	target := e.seedUser("target")
	must(e.call(god, "PATCH", "/v1.0/users/"+target, map[string]any{csaProp: map[string]any{
		ops: csaSet("Shift", hostile), rtl: csaSet("Shift", "day")}}), 204, "seed values")

	ra := "/v1.0/roleManagement/directory/roleAssignments"
	assign := func(principal, role, scope string) idResp {
		return e.call(god, "POST", ra, map[string]any{"principalId": principal, "roleDefinitionId": role, "directoryScopeId": scope})
	}
	admin, reader, definer, ga := e.seedUser("set.admin"), e.seedUser("set.reader"), e.seedUser("set.definer"), e.seedUser("ga")
	must(assign(admin, attrAssignAdminID, "/attributeSets/"+ops), 201, "admin at the set")
	must(assign(reader, attrAssignReadID, "/attributeSets/"+ops), 201, "reader at the set")
	must(assign(definer, attrDefAdminID, "/attributeSets/"+rtl), 201, "definer at the RTL set")
	must(assign(ga, "62e90394-69f5-4237-9190-012177145e10", "/"), 201, "global admin")
	// What the scope takes.
	must(assign(admin, attrAssignAdminID, "/attributeSets/Nope"), 404, "a set that does not exist")
	must(assign(admin, "fe930be7-5e62-47db-91af-98c3a49a38b1", "/attributeSets/"+ops), 400, "User Administrator at a set")
	must(e.call(god, "POST", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", map[string]any{"action": "adminAssign",
		"principalId": reader, "roleDefinitionId": attrAssignAdminID, "directoryScopeId": "/attributeSets/" + ops,
		"scheduleInfo": map[string]any{"startDateTime": "2026-01-01T00:00:00Z", "expiration": map[string]any{"type": "noExpiration"}}}), 400, "eligible at a set")

	app := e.newPublicClient("entrasnap", "User.Read.All", "User.ReadWrite.All", "CustomSecAttributeAssignment.ReadWrite.All",
		"CustomSecAttributeDefinition.ReadWrite.All")
	tok := func(nick string) string { return "Bearer " + e.delegatedToken(app, nick+"@"+tn.Domain()) }
	sel := "/v1.0/users/" + target + "?$select=id,customSecurityAttributes"
	// Only Ops's values, as they are now; not the RTL set's.
	onlyOps := func() any { return map[string]any{ops: tn.CustomSecurityAttributes(target)[ops]} }
	none := func() any { return nil }
	if v := onlyOps().(map[string]any)[ops].(map[string]any)["Shift"]; v != hostile {
		t.Fatalf("seeded value %q", v)
	}
	for _, c := range []struct {
		user string
		read func() any
		// writes of the scoped set, the other set, both
		own, other, both int
	}{{"set.admin", onlyOps, 204, 403, 403}, {"set.reader", onlyOps, 403, 403, 403}, {"ga", none, 403, 403, 403}} {
		tk := tok(c.user)
		r := must(e.call(tk, "GET", sel, nil), 200, c.user+" reads")
		if !reflect.DeepEqual(r.body[csaProp], c.read()) {
			t.Errorf("%s reads %v, want %v", c.user, r.body[csaProp], c.read())
		}
		list := must(e.call(tk, "GET", "/v1.0/users?$select=id,customSecurityAttributes&$filter="+url.QueryEscape("id eq '"+target+"'"), nil), 200, c.user+" lists")
		if items := asSlice(list.body["value"]); len(items) != 1 || !reflect.DeepEqual(items[0].(map[string]any)[csaProp], c.read()) {
			t.Errorf("%s lists %v, want %v", c.user, items, c.read())
		}
		for _, w := range []struct {
			body map[string]any
			want int
		}{
			{map[string]any{csaProp: map[string]any{ops: csaSet("Shift", "early-"+c.user)}}, c.own},
			{map[string]any{csaProp: map[string]any{rtl: csaSet("Shift", "late-"+c.user)}}, c.other},
			{map[string]any{csaProp: map[string]any{ops: csaSet("Shift", "x"), rtl: csaSet("Shift", "y")}}, c.both},
		} {
			if r := e.call(tk, "PATCH", "/v1.0/users/"+target, w.body); r.status != w.want {
				t.Errorf("%s writes %v: %d %s, want %d", c.user, w.body, r.status, r.raw, w.want)
			}
		}
	}
	got := tn.CustomSecurityAttributes(target)
	if got[ops].(map[string]any)["Shift"] != "early-set.admin" || got[rtl].(map[string]any)["Shift"] != "day" {
		t.Errorf("values after the scoped writes: %v", got)
	}

	// Definitions: the definer scoped to the RTL set defines there only.
	dt := tok("set.definer")
	newDef := func(set, name string) map[string]any {
		return map[string]any{"attributeSet": set, "name": name, "type": "String", "status": "Available",
			"isCollection": false, "isSearchable": true, "usePreDefinedValuesOnly": true}
	}
	must(e.call(dt, "POST", defs, newDef(rtl, "Tier")), 201, "definer defines in its set")
	must(e.call(dt, "POST", defs+"/"+url.PathEscape(rtl+"_Tier")+"/allowedValues", map[string]any{"id": "Gold \"🥇\"", "isActive": true}), 201, "definer adds a predefined value")
	must(e.call(dt, "PATCH", defs+"/"+url.PathEscape(rtl+"_Shift"), map[string]any{"status": "Deprecated"}), 204, "definer deactivates in its set")
	must(e.call(dt, "POST", defs, newDef(ops, "Tier")), 403, "definer defines in another set")
	must(e.call(dt, "PATCH", defs+"/Ops_Shift", map[string]any{"description": "x"}), 403, "definer edits another set's definition")
	must(e.call(dt, "PATCH", "/v1.0/directory/attributeSets/"+url.PathEscape(rtl), map[string]any{"description": "x"}), 403, "definer updates its set")
	must(e.call(dt, "GET", defs+"/Ops_Shift", nil), 403, "definer reads another set's definition")
	listed := must(e.call(dt, "GET", defs, nil), 200, "definer lists definitions")
	for _, d := range asSlice(listed.body["value"]) {
		if str(d.(map[string]any)["attributeSet"]) != rtl {
			t.Errorf("the definer scoped to %s lists %v", rtl, d)
		}
	}
	if n := len(asSlice(listed.body["value"])); n != 2 {
		t.Errorf("the definer lists %d definitions, want its set's 2", n)
	}
	if sets := asSlice(must(e.call(dt, "GET", "/v1.0/directory/attributeSets", nil), 200, "definer lists sets").body["value"]); len(sets) != 1 {
		t.Errorf("the definer lists sets %v, want its own", sets)
	}
	// $count: not among the query parameters the list pages name, and a
	// count over every set would tell the scoped reader how many it does
	// not see: 400, for the definer and for a caller reading every set.
	for _, tk := range []string{dt, god} {
		for _, p := range []string{"/v1.0/directory/attributeSets?$count=true", "/v1.0/directory/attributeSets/$count", defs + "?$count=true", defs + "/$count"} {
			r := must(e.call(tk, "GET", p, nil), 400, "$count "+p)
			if code, _ := r.graphError(); code != "Request_UnsupportedQuery" {
				t.Errorf("GET %s: code %q", p, code)
			}
		}
	}
	// A role held through a role-assignable group counts for its members
	// (scoped to a set too): the member lists that set, its definitions.
	grp := must(e.call(god, "POST", "/v1.0/groups", map[string]any{"displayName": "Ops \"readers\" \u202e🚀", "mailNickname": "opsreaders",
		"mailEnabled": false, "securityEnabled": true, "isAssignableToRole": true}), 201, "role-assignable group")
	via := e.seedUser("via.group")
	must(e.call(god, "POST", "/v1.0/groups/"+str(grp.body["id"])+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + via}), 204, "member")
	vt := tok("via.group")
	must(e.call(vt, "GET", "/v1.0/directory/attributeSets", nil), 403, "a member of a group holding no role")
	must(assign(str(grp.body["id"]), "1d336d2c-4ae8-42ef-9711-b3604ce3fc2c", "/attributeSets/"+ops), 201, "Attribute Definition Reader to the group at Ops")
	if sets := asSlice(must(e.call(vt, "GET", "/v1.0/directory/attributeSets", nil), 200, "member lists sets").body["value"]); len(sets) != 1 || str(sets[0].(map[string]any)["id"]) != ops {
		t.Errorf("the group's member lists sets %v, want %s only", sets, ops)
	}
	for _, d := range asSlice(must(e.call(vt, "GET", defs, nil), 200, "member lists definitions").body["value"]) {
		if str(d.(map[string]any)["attributeSet"]) != ops {
			t.Errorf("the group's member scoped to %s lists %v", ops, d)
		}
	}
	must(e.call(vt, "GET", "/v1.0/directory/attributeSets/"+url.PathEscape(rtl), nil), 403, "member reads another set")
	// Global Administrator holds no attribute role: no definitions read or written.
	gt := tok("ga")
	must(e.call(gt, "GET", defs, nil), 403, "global admin lists definitions")
	must(e.call(gt, "POST", defs, newDef(ops, "Other")), 403, "global admin defines")
	must(e.call(gt, "POST", "/v1.0/directory/attributeSets", map[string]any{"id": "Mine"}), 403, "global admin adds a set")
	// Assignments add up: the definer at the tenant's scope as well adds sets.
	must(assign(definer, attrDefAdminID, "/"), 201, "definer at the tenant")
	must(e.call(tok("set.definer"), "POST", "/v1.0/directory/attributeSets", map[string]any{"id": "Mine"}), 201, "tenant-wide definer adds a set")
}
