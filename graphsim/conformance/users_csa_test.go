package conformance_test

import (
	"encoding/json"
	"reflect"
	"testing"

	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// plain turns what the SDK parsed into additional data (pointers, untyped
// nodes) into plain values.
func plain(v any) any {
	switch x := v.(type) {
	case *string:
		return deref(x)
	case *bool:
		return deref(x)
	case *float64:
		return deref(x)
	case *float32:
		return float64(deref(x))
	case *int32:
		return float64(deref(x))
	case *int64:
		return float64(deref(x))
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = plain(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = plain(e)
		}
		return s
	case *absser.UntypedObject:
		m := map[string]any{}
		for k, e := range x.GetValue() {
			m[k] = plain(e)
		}
		return m
	case *absser.UntypedArray:
		var s []any
		for _, e := range x.GetValue() {
			s = append(s, plain(e))
		}
		return s
	case *absser.UntypedString:
		return plain(x.GetValue())
	case *absser.UntypedBoolean:
		return plain(x.GetValue())
	case *absser.UntypedDouble:
		return plain(x.GetValue())
	case *absser.UntypedFloat:
		return plain(x.GetValue())
	case *absser.UntypedInteger:
		return plain(x.GetValue())
	case *absser.UntypedLong:
		return plain(x.GetValue())
	case *absser.UntypedNull:
		return nil
	}
	return v
}

// A user's custom security attribute values written and read through the
// Graph Go SDK's typed model (models.CustomSecurityAttributeValue, an open
// type whose attribute sets are additional data), as the examples page
// writes and reads them.
func TestUserCustomSecurityAttributesTyped(t *testing.T) {
	e := newEnv(t)
	mustSeed(t, e.s, "attributeSet", map[string]any{"id": "Engineering", "description": "eng"})
	for _, d := range []map[string]any{
		{"id": "Engineering_Project", "attributeSet": "Engineering", "name": "Project", "type": "String", "isCollection": true},
		{"id": "Engineering_NumVendors", "attributeSet": "Engineering", "name": "NumVendors", "type": "Integer", "isCollection": false},
		{"id": "Engineering_Certification", "attributeSet": "Engineering", "name": "Certification", "type": "Boolean", "isCollection": false},
	} {
		d["status"], d["isSearchable"], d["usePreDefinedValuesOnly"] = "Available", true, false
		mustSeed(t, e.s, "customSecurityAttributeDefinition", d)
	}
	id := deref(e.createUser("csa").GetId())

	body := models.NewUser()
	v := models.NewCustomSecurityAttributeValue()
	v.SetAdditionalData(map[string]any{"Engineering": map[string]any{
		"@odata.type":        "#Microsoft.DirectoryServices.CustomSecurityAttributeValue",
		"Project@odata.type": "#Collection(String)", "Project": []string{"Baker", "Cascade"},
		"NumVendors@odata.type": "#Int32", "NumVendors": 4,
		"Certification": true,
	}})
	body.SetCustomSecurityAttributes(v)
	if _, err := e.client.Users().ByUserId(id).Patch(e.ctx, body, nil); err != nil {
		t.Fatalf("PATCH through the SDK: %s", describe(err))
	}
	get := func() models.Userable {
		t.Helper()
		u, err := e.client.Users().ByUserId(id).Get(e.ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "customSecurityAttributes"}}})
		must(t, "GET user $select=customSecurityAttributes", err)
		return u
	}
	csa := get().GetCustomSecurityAttributes()
	if csa == nil {
		t.Fatal("customSecurityAttributes parsed as nil")
	}
	got := plain(csa.GetAdditionalData())
	want := map[string]any{"Engineering": map[string]any{
		"@odata.type":        "#microsoft.graph.customSecurityAttributeValue",
		"Project@odata.type": "#Collection(String)", "Project": []any{"Baker", "Cascade"},
		"NumVendors@odata.type": "#Int32", "NumVendors": float64(4),
		"Certification": true,
	}}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("parsed values:\n got %s\nwant %s", g, w)
	}
	// Without $select the typed user has none.
	plainUser, err := e.client.Users().ByUserId(id).Get(e.ctx, nil)
	must(t, "GET user", err)
	if plainUser.GetCustomSecurityAttributes() != nil {
		t.Error("customSecurityAttributes parsed from a GET without $select")
	}
	// A wrong type is Graph's error, parsed as an ODataError.
	bad := models.NewUser()
	bv := models.NewCustomSecurityAttributeValue()
	bv.SetAdditionalData(map[string]any{"Engineering": map[string]any{
		"@odata.type": "#Microsoft.DirectoryServices.CustomSecurityAttributeValue", "NumVendors@odata.type": "#Int32", "NumVendors": "four"}})
	bad.SetCustomSecurityAttributes(bv)
	_, err = e.client.Users().ByUserId(id).Patch(e.ctx, bad, nil)
	requireODataError(t, err, 400, "Request_BadRequest")
}
