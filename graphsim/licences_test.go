package graphsim

import (
	"strings"
	"testing"
)

// Licences as Graph documents them (licences.go): subscribedSkus, a
// user's and a group's assignLicense with Graph's refusals, group-based
// inheritance (in assignedLicenses, with its source in
// licenseAssignmentStates; not removable from the user), units consumed,
// and the permissions of permissions.json.
func TestLicenceAssignments(t *testing.T) {
	e := newAuthzEnv(t)
	const e3, plan, other = "6fd2c87f-b296-42f0-b197-1e91e994b900", "efb87545-963c-4e0d-99df-69c6916d9eb0", "5dbe027f-2339-4123-9542-606e4d348a72"
	e.seed(skuKindName, map[string]any{"id": "t_" + e3, "skuId": e3, "skuPartNumber": "ENTERPRISEPACK", "appliesTo": "User",
		"capabilityStatus": "Enabled", "consumedUnits": 0, "prepaidUnits": map[string]any{"enabled": 2, "suspended": 0, "warning": 0, "lockedOut": 0},
		"servicePlans": []any{map[string]any{"servicePlanId": plan, "servicePlanName": "EXCHANGE_S_ENTERPRISE"}}})
	ann, bob, cy := user(e, "ann"), user(e, "bob"), user(e, "cy")
	for _, u := range []string{ann, bob} {
		e.want(e.token("w0", "User.ReadWrite.All"), "PATCH", "/v1.0/users/"+u, map[string]any{"usageLocation": "US"}, 204)
	}
	grp := e.seed("group", map[string]any{"displayName": "Licensed", "mailEnabled": false, "mailNickname": "lic", "securityEnabled": true})
	lic := e.token("lic", "LicenseAssignment.ReadWrite.All")
	reader := e.token("reader", "Directory.Read.All")
	groupWriter := e.token("gw", "Group.ReadWrite.All")
	add := func(sku string, disabled ...string) map[string]any {
		d := []any{}
		for _, p := range disabled {
			d = append(d, p)
		}
		return map[string]any{"addLicenses": []any{map[string]any{"skuId": sku, "disabledPlans": d}}, "removeLicenses": []any{}}
	}
	remove := func(sku string) map[string]any {
		return map[string]any{"addLicenses": []any{}, "removeLicenses": []any{sku}}
	}
	if l := asSlice(e.want(reader, "GET", "/v1.0/subscribedSkus", nil, 200)["value"]); len(l) != 1 {
		t.Fatalf("subscribedSkus: %v", l)
	}
	e.want(reader, "POST", "/v1.0/users/"+ann+"/assignLicense", add(e3), 403)
	e.want(lic, "POST", "/v1.0/users/"+ann+"/assignLicense", map[string]any{"addLicenses": []any{}}, 400)
	e.want(lic, "POST", "/v1.0/users/"+cy+"/assignLicense", add(e3), 400) // no usageLocation
	e.want(lic, "POST", "/v1.0/users/"+ann+"/assignLicense", add("11111111-1111-1111-1111-111111111111"), 400)
	e.want(lic, "POST", "/v1.0/users/"+ann+"/assignLicense", add(e3, other), 400) // not a plan of the SKU
	e.want(e.token("w2", "User.ReadWrite.All"), "PATCH", "/v1.0/users/"+ann, map[string]any{"assignedLicenses": []any{}}, 400)
	got := e.want(lic, "POST", "/v1.0/users/"+ann+"/assignLicense", add(e3, plan), 200)
	if got["id"] != ann {
		t.Errorf("assignLicense answered %v", got)
	}
	u := e.want(reader, "GET", "/v1.0/users/"+ann+"?$select=assignedLicenses,licenseAssignmentStates", nil, 200)
	if al := asSlice(u["assignedLicenses"]); len(al) != 1 || !strings.Contains(strings.ToLower(str(al[0].(map[string]any)["disabledPlans"].([]any)[0])), plan) {
		t.Errorf("assignedLicenses: %v", u["assignedLicenses"])
	}
	// The group: bob and ann inherit; 2 units, ann already holds one.
	e.want(groupWriter, "POST", "/v1.0/groups/"+grp+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + ann}, 204)
	e.want(groupWriter, "POST", "/v1.0/groups/"+grp+"/assignLicense", add(e3), 200)
	e.want(groupWriter, "POST", "/v1.0/groups/"+grp+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + bob}, 204)
	e.want(groupWriter, "POST", "/v1.0/groups/"+grp+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + cy}, 204)
	state := func(id string) (active []string, errs []string) {
		u := e.want(reader, "GET", "/v1.0/users/"+id+"?$select=assignedLicenses,licenseAssignmentStates", nil, 200)
		for _, x := range asSlice(u["assignedLicenses"]) {
			active = append(active, str(x.(map[string]any)["skuId"]))
		}
		for _, x := range asSlice(u["licenseAssignmentStates"]) {
			m := x.(map[string]any)
			errs = append(errs, str(m["assignedByGroup"])+":"+str(m["state"])+":"+str(m["error"]))
		}
		return active, errs
	}
	if a, s := state(bob); len(a) != 1 || len(s) != 1 || s[0] != grp+":Active:None" {
		t.Errorf("bob (inherits): %v %v", a, s)
	}
	if a, s := state(cy); len(a) != 0 || len(s) != 1 || s[0] != grp+":Error:UsageLocationNotAllowed" {
		t.Errorf("cy (no usage location): %v %v", a, s)
	}
	if a, s := state(ann); len(a) != 1 || len(s) != 2 {
		t.Errorf("ann (direct and inherited): %v %v", a, s)
	}
	sku := asSlice(e.want(reader, "GET", "/v1.0/subscribedSkus", nil, 200)["value"])[0].(map[string]any)
	if toInt(sku["consumedUnits"]) != 2 {
		t.Errorf("consumedUnits %v, want 2 (ann and bob)", sku["consumedUnits"])
	}
	e.want(lic, "POST", "/v1.0/users/"+bob+"/assignLicense", remove(e3), 400) // inherited only
	dave := user(e, "dave")
	e.want(e.token("w1", "User.ReadWrite.All"), "PATCH", "/v1.0/users/"+dave, map[string]any{"usageLocation": "DE"}, 204)
	e.want(lic, "POST", "/v1.0/users/"+dave+"/assignLicense", add(e3), 400) // no units left
	e.want(e.token("uw", "User.ReadWrite.All"), "POST", "/v1.0/users/"+ann+"/assignLicense", remove(e3), 200)
	if a, s := state(ann); len(a) != 1 || len(s) != 1 {
		t.Errorf("ann keeps the inherited licence only: %v %v", a, s)
	}
	e.want(groupWriter, "DELETE", "/v1.0/groups/"+grp+"/members/"+bob+"/$ref", nil, 204)
	if a, _ := state(bob); len(a) != 0 {
		t.Errorf("bob left the group and keeps %v", a)
	}
	e.want(lic, "POST", "/v1.0/users/"+dave+"/assignLicense", add(e3), 200) // bob's unit is free again
	if g := e.want(reader, "GET", "/v1.0/groups/"+grp+"?$select=assignedLicenses", nil, 200); len(asSlice(g["assignedLicenses"])) != 1 {
		t.Errorf("the group's assignedLicenses: %v", g["assignedLicenses"])
	}
}
