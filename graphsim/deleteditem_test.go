package graphsim

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestDeletedItemByID: GET /directory/deletedItems/{id} answers an object
// of each type the directory recycle bin holds (user, group, application,
// service principal, administrative unit: learn.microsoft.com/graph/api/
// directory-deleteditems-get) as a directoryObject entity with its
// @odata.type, deletedDateTime and the properties $select asks for, the
// same as the item the cast list answers for it; it costs one resource
// unit; an id not in the bin (a live object, an unknown id, a purged one)
// is 404 Request_ResourceNotFound, Graph's directory not-found body naming
// the id. The product reads a few deleted objects this way
// (importer/binbyid.go).
func TestDeletedItemByID(t *testing.T) {
	e := newCoreEnv(t, Options{})
	appID, _ := e.newApplication("binapp")
	_, spAppID := e.newApplication("binspapp")
	sp := str(e.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": spAppID}).must(t, 201).body["id"])
	au := str(e.do("POST", "/v1.0/directory/administrativeUnits", map[string]any{"displayName": "AU bin"}).must(t, 201).body["id"])
	objs := []struct{ id, typ, path string }{
		{e.newUser("binuser"), "user", "/v1.0/users/"},
		{e.newGroup("bingroup", nil), "group", "/v1.0/groups/"},
		{appID, "application", "/v1.0/applications/"},
		{sp, "servicePrincipal", "/v1.0/servicePrincipals/"},
		{au, "administrativeUnit", "/v1.0/directory/administrativeUnits/"},
	}
	for _, o := range objs {
		e.do("DELETE", o.path+o.id, nil).must(t, 204)
	}
	for _, o := range objs {
		r := e.do("GET", "/v1.0/directory/deletedItems/"+o.id+"?$select=id,displayName,deletedDateTime", nil).must(t, 200)
		if got := str(r.body["@odata.type"]); got != "#microsoft.graph."+o.typ {
			t.Errorf("%s: @odata.type %q", o.typ, got)
		}
		if !strings.HasSuffix(str(r.body["@odata.context"]), "$metadata#directoryObjects/$entity") {
			t.Errorf("%s: @odata.context %q", o.typ, r.body["@odata.context"])
		}
		if r.body["deletedDateTime"] == nil || str(r.body["displayName"]) == "" || str(r.body["id"]) != o.id {
			t.Errorf("%s: %s", o.typ, r.raw)
		}
		if ru := r.header.Get("x-ms-resource-unit"); ru != "1" {
			t.Errorf("%s: x-ms-resource-unit %q, want 1", o.typ, ru)
		}
		// The item of the cast list, property for property.
		list := e.do("GET", "/v1.0/directory/deletedItems/microsoft.graph."+o.typ+"?$select=id,displayName,deletedDateTime", nil).must(t, 200)
		var item map[string]any
		for _, it := range asSlice(list.body["value"]) {
			if m := it.(map[string]any); str(m["id"]) == o.id {
				item = m
			}
		}
		delete(r.body, "@odata.context")
		if !reflect.DeepEqual(item, r.body) {
			a, _ := json.Marshal(r.body)
			b, _ := json.Marshal(item)
			t.Errorf("%s: by id %s, listed %s", o.typ, a, b)
		}
	}
	live := e.newUser("stillhere")
	purged := e.newUser("purged")
	e.do("DELETE", "/v1.0/users/"+purged, nil).must(t, 204)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+purged, nil).must(t, 204)
	for _, id := range []string{live, purged, "9b1b7c1e-0d49-4b0e-9a57-000000000000"} {
		r := e.do("GET", "/v1.0/directory/deletedItems/"+id+"?$select=id", nil).must(t, 404)
		er, _ := r.body["error"].(map[string]any)
		want := "Resource '" + id + "' does not exist or one of its queried reference-property objects are not present."
		if str(er["code"]) != "Request_ResourceNotFound" || str(er["message"]) != want {
			t.Errorf("GET deletedItems/%s: %s", id, r.raw)
		}
	}
}
