package graphsim

import (
	"fmt"
	"reflect"
	"testing"
)

// TestListExpandOwners: a list's $expand of owners returns each object's
// owners, at most 20 of them with no nextLink for the rest (known issue
// 13635), in pages of at most 100; nested options, an unknown relationship
// and $top above 100 are refused.
func TestListExpandOwners(t *testing.T) {
	e := newDLEnv(t)
	tn := e.s.Tenant()
	users := e.seedUsers("exp", expandMax+3)
	few, _ := tn.Seed("application", map[string]any{"displayName": "Few", "appId": "44444444-4444-4444-8444-444444444444"})
	many, _ := tn.Seed("application", map[string]any{"displayName": "Many", "appId": "55555555-5555-4555-8555-555555555555"})
	for i, u := range users {
		if i < 2 {
			if err := tn.SeedLink("application", few, "owners", u); err != nil {
				t.Fatal(err)
			}
		}
		if err := tn.SeedLink("application", many, "owners", u); err != nil {
			t.Fatal(err)
		}
	}
	r := e.do("GET", "/v1.0/applications?$select=id&$expand=owners", "").must(t, 200)
	got := dlByID(r.items())
	if n := len(asSlice(got[few]["owners"])); n != 2 {
		t.Errorf("owners of %s: %d, want 2: %v", few, n, got[few])
	}
	if n := len(asSlice(got[many]["owners"])); n != expandMax {
		t.Errorf("owners of %s: %d, want the first %d of %d", many, n, expandMax, len(users))
	}
	for _, o := range asSlice(got[few]["owners"]) {
		if m := o.(map[string]any); m["@odata.type"] != "#microsoft.graph.user" || str(m["id"]) == "" {
			t.Errorf("expanded owner without @odata.type or id: %v", m)
		}
	}
	// A contained collection: a service principal's appRoleAssignedTo.
	roleID := "88888888-8888-4888-8888-888888888888"
	sp, _ := tn.Seed("servicePrincipal", map[string]any{"displayName": "Res", "appId": "99999999-9999-4999-8999-999999999999",
		"appRoles": []any{map[string]any{"id": roleID, "allowedMemberTypes": []any{"User"}, "value": "r", "displayName": "R", "description": "R", "isEnabled": true}}})
	for _, u := range users[:3] {
		e.do("POST", "/v1.0/servicePrincipals/"+sp+"/appRoleAssignedTo", `{"principalId":"`+u+`","resourceId":"`+sp+`","appRoleId":"`+roleID+`"}`).must(t, 201)
	}
	r = e.do("GET", "/v1.0/servicePrincipals?$expand=appRoleAssignedTo", "").must(t, 200)
	as := asSlice(dlByID(r.items())[sp]["appRoleAssignedTo"])
	direct := e.do("GET", "/v1.0/servicePrincipals/"+sp+"/appRoleAssignedTo", "").must(t, 200).items()
	if len(as) != 3 || len(direct) != 3 || !reflect.DeepEqual(as[0], any(direct[0])) {
		t.Errorf("expanded appRoleAssignedTo %v, want the 3 items the collection lists %v", as, direct)
	}
	for _, q := range []string{"$expand=owners($select=id)", "$expand=nothing", "$expand=owners&$top=101"} {
		if r := e.do("GET", "/v1.0/applications?"+q, ""); r.status != 400 {
			t.Errorf("GET /applications?%s: %d, want 400", q, r.status)
		}
	}
	for i := 0; i < expandPageMax+5; i++ {
		if _, err := tn.Seed("application", map[string]any{"displayName": fmt.Sprintf("P%d", i), "appId": fmt.Sprintf("66666666-6666-4666-8666-%012d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	r = e.do("GET", "/v1.0/applications?$expand=owners", "").must(t, 200)
	if len(r.items()) != expandPageMax || str(r.body["@odata.nextLink"]) == "" {
		t.Errorf("a page with $expand: %d items, nextLink %q; want %d and a nextLink", len(r.items()), str(r.body["@odata.nextLink"]), expandPageMax)
	}
}
