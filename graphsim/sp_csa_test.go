package graphsim

import (
	"reflect"
	"strings"
	"testing"
)

// A service principal's custom security attribute values behave as a
// user's (custom-security-attributes-examples: "users and service
// principals only"): only on $select, null without
// CustomSecAttributeAssignment.Read.All (not 403), written by a PATCH
// naming what changes (validated against the definitions) with
// CustomSecAttributeAssignment.ReadWrite.All and Application.Read.All
// (Application.ReadWrite.All alone is not enough), not on create.
func TestServicePrincipalCustomSecurityAttributeValues(t *testing.T) {
	e := newAuthzEnv(t)
	god := e.s.Token()
	e.want(god, "POST", "/v1.0/directory/attributeSets", map[string]any{"id": "Apps"}, 201)
	for _, d := range []map[string]any{
		{"name": "Owner", "type": "String", "isCollection": false, "usePreDefinedValuesOnly": false},
		{"name": "Tier", "type": "Integer", "isCollection": false, "usePreDefinedValuesOnly": false},
		{"name": "Tags", "type": "String", "isCollection": true, "usePreDefinedValuesOnly": false},
	} {
		d["attributeSet"], d["status"], d["isSearchable"] = "Apps", "Available", true
		e.want(god, "POST", "/v1.0/directory/customSecurityAttributeDefinitions", d, 201)
	}
	app := e.want(god, "POST", "/v1.0/applications", map[string]any{"displayName": "csa app"}, 201)
	sp := e.want(god, "POST", "/v1.0/servicePrincipals", map[string]any{"appId": app["appId"]}, 201)
	item := "/v1.0/servicePrincipals/" + str(sp["id"])
	sel := item + "?$select=id,customSecurityAttributes"
	writer := e.token("w", "CustomSecAttributeAssignment.ReadWrite.All", "Application.Read.All")

	hostile := "Ré\"sumé'\n\u202e../🚀" + strings.Repeat("x", 200)
	e.want(writer, "PATCH", item, csaPatch("Apps", csaSet("Owner", hostile, "Tier@odata.type", "#Int32", "Tier", 2,
		"Tags@odata.type", "#Collection(String)", "Tags", []any{"a", "b"})), 204)
	want := map[string]any{"Apps": map[string]any{"@odata.type": csaReadType, "Owner": hostile, "Tier@odata.type": "#Int32", "Tier": float64(2),
		"Tags@odata.type": "#Collection(String)", "Tags": []any{"a", "b"}}}
	reader := e.token("r", "Application.Read.All", "CustomSecAttributeAssignment.Read.All")
	if got := e.want(reader, "GET", sel, nil, 200)[csaProp]; !reflect.DeepEqual(got, want) {
		t.Fatalf("values:\n got %v\nwant %v", got, want)
	}
	if _, ok := e.want(reader, "GET", item, nil, 200)[csaProp]; ok {
		t.Error("customSecurityAttributes returned without $select")
	}
	if got := e.want(e.token("n", "Application.Read.All"), "GET", sel, nil, 200); got[csaProp] != nil {
		t.Errorf("read without CustomSecAttributeAssignment.Read.All: %v, want null", got[csaProp])
	}
	list := e.want(e.token("l", "Application.Read.All"), "GET", "/v1.0/servicePrincipals?$select=id,customSecurityAttributes", nil, 200)
	for _, it := range list["value"].([]any) {
		if v := it.(map[string]any)[csaProp]; v != nil {
			t.Fatalf("list without the permission holds values: %v", v)
		}
	}

	// Only what changes: Tier removed (null), Tags emptied ([]), Owner kept.
	e.want(writer, "PATCH", item, csaPatch("Apps", csaSet("Tier", nil, "Tags@odata.type", "#Collection(String)", "Tags", []any{})), 204)
	if got := e.s.Tenant().CustomSecurityAttributes(str(sp["id"])); !reflect.DeepEqual(got, map[string]any{"Apps": map[string]any{"@odata.type": csaReadType, "Owner": hostile}}) {
		t.Errorf("after removals: %v", got)
	}
	body := csaPatch("Apps", csaSet("Owner", "x"))
	e.want(e.token("a", "Application.ReadWrite.All"), "PATCH", item, body, 403)
	e.want(e.token("b", "CustomSecAttributeAssignment.ReadWrite.All"), "PATCH", item, body, 403)
	e.want(e.token("c", "CustomSecAttributeAssignment.ReadWrite.All", "User.Read.All"), "PATCH", item, body, 403)
	e.want(writer, "PATCH", item, csaPatch("Apps", csaSet("Tier", "two")), 400)
	e.want(writer, "PATCH", item, csaPatch("Apps", map[string]any{"Owner": "no type"}), 400)
	app2 := e.want(god, "POST", "/v1.0/applications", map[string]any{"displayName": "csa app 2"}, 201)
	e.want(god, "POST", "/v1.0/servicePrincipals", map[string]any{"appId": app2["appId"], csaProp: map[string]any{"Apps": csaSet("Owner", "x")}}, 400)
}
