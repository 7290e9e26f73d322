package conformance_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
)

// A service principal's custom security attribute values through
// msgraph-sdk-go's typed model, as for users
// (TestUserCustomSecurityAttributesTyped; custom-security-attributes-examples,
// "Assign a custom security attribute ... to an application"): the PATCH
// the SDK serializes is accepted, the values parse back with their
// annotations when $select names them, not at all without, and a wrong
// type is Graph's 400 parsed as an ODataError.
func TestServicePrincipalCustomSecurityAttributesTyped(t *testing.T) {
	e := newEnv(t)
	mustSeed(t, e.s, "attributeSet", map[string]any{"id": "Engineering", "description": "eng"})
	for _, d := range []map[string]any{
		{"id": "Engineering_AppCategory", "attributeSet": "Engineering", "name": "AppCategory", "type": "String", "isCollection": false},
		{"id": "Engineering_Priority", "attributeSet": "Engineering", "name": "Priority", "type": "Integer", "isCollection": false},
		{"id": "Engineering_Project", "attributeSet": "Engineering", "name": "Project", "type": "String", "isCollection": true},
	} {
		d["status"], d["isSearchable"], d["usePreDefinedValuesOnly"] = "Available", true, false
		mustSeed(t, e.s, "customSecurityAttributeDefinition", d)
	}
	app := models.NewApplication()
	app.SetDisplayName(ptr("csa app \"quoted\" 🚀"))
	created, err := e.client.Applications().Post(e.ctx, app, nil)
	must(t, "create application", err)
	spBody := models.NewServicePrincipal()
	spBody.SetAppId(created.GetAppId())
	sp, err := e.client.ServicePrincipals().Post(e.ctx, spBody, nil)
	must(t, "create service principal", err)
	id := deref(sp.GetId())
	if sp.GetCustomSecurityAttributes() != nil {
		t.Error("a new service principal parsed with values")
	}

	body := models.NewServicePrincipal()
	v := models.NewCustomSecurityAttributeValue()
	v.SetAdditionalData(map[string]any{"Engineering": map[string]any{
		"@odata.type":         "#Microsoft.DirectoryServices.CustomSecurityAttributeValue",
		"AppCategory":         "Line\nof \u202ebusiness",
		"Priority@odata.type": "#Int32", "Priority": 2,
		"Project@odata.type": "#Collection(String)", "Project": []string{"Baker", "Cascade"},
	}})
	body.SetCustomSecurityAttributes(v)
	if _, err := e.client.ServicePrincipals().ByServicePrincipalId(id).Patch(e.ctx, body, nil); err != nil {
		t.Fatalf("PATCH through the SDK: %s", describe(err))
	}
	got, err := e.client.ServicePrincipals().ByServicePrincipalId(id).Get(e.ctx, &serviceprincipals.ServicePrincipalItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalItemRequestBuilderGetQueryParameters{Select: []string{"id", "customSecurityAttributes"}}})
	must(t, "GET service principal $select=customSecurityAttributes", err)
	if got.GetCustomSecurityAttributes() == nil {
		t.Fatal("customSecurityAttributes parsed as nil")
	}
	want := map[string]any{"Engineering": map[string]any{
		"@odata.type":         "#microsoft.graph.customSecurityAttributeValue",
		"AppCategory":         "Line\nof \u202ebusiness",
		"Priority@odata.type": "#Int32", "Priority": float64(2),
		"Project@odata.type": "#Collection(String)", "Project": []any{"Baker", "Cascade"},
	}}
	if g := plain(got.GetCustomSecurityAttributes().GetAdditionalData()); !reflect.DeepEqual(g, want) {
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(want)
		t.Fatalf("parsed values:\n got %s\nwant %s", gb, wb)
	}
	// Without $select the typed service principal has none.
	full, err := e.client.ServicePrincipals().ByServicePrincipalId(id).Get(e.ctx, nil)
	must(t, "GET service principal", err)
	if full.GetCustomSecurityAttributes() != nil {
		t.Error("customSecurityAttributes parsed from a GET without $select")
	}
	bad := models.NewServicePrincipal()
	bv := models.NewCustomSecurityAttributeValue()
	bv.SetAdditionalData(map[string]any{"Engineering": map[string]any{
		"@odata.type": "#Microsoft.DirectoryServices.CustomSecurityAttributeValue", "Priority@odata.type": "#Int32", "Priority": "two"}})
	bad.SetCustomSecurityAttributes(bv)
	_, err = e.client.ServicePrincipals().ByServicePrincipalId(id).Patch(e.ctx, bad, nil)
	requireODataError(t, err, 400, "Request_BadRequest")
}
