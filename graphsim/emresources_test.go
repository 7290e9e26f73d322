package graphsim

import (
	"strings"
	"testing"
)

// Catalog resources and access package resource role scopes as Graph
// documents them: resources added and removed only through
// resourceRequests, role scopes only of resources in the package's
// catalog, a resource a package uses not removed, roles and scopes
// returned only with $expand, role scopes read with the package's GET.
func TestCatalogResourcesAndRoleScopes(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	tn := e.s.Tenant()
	id := func(name string) string { return derivedID(tn.name + "/governance/" + name) }
	catalog, finance := id("Finance and partner access"), id("Finance tools")
	draft := id("Contractor onboarding")

	// The demo's resources: read without and with $expand.
	plain := e.do("GET", emPath+"catalogs/"+catalog+"/resources", nil).must(t, 200)
	if strings.Contains(plain.raw, `"roles"`) || strings.Contains(plain.raw, `"scopes"`) || strings.Contains(plain.raw, `\u0000`) {
		t.Fatalf("a plain read of resources returns roles, scopes or a stored field: %s", plain.raw)
	}
	res := plain.body["value"].([]any)
	if len(res) != 2 {
		t.Fatalf("demo catalog resources: %v", res)
	}
	var group map[string]any
	for _, r := range res {
		if m := r.(map[string]any); m["originSystem"] == "AadGroup" {
			group = m
		}
	}
	gid := str(group["originId"])
	exp := e.do("GET", emPath+"catalogs/"+catalog+"/resources?$expand=roles,scopes&$filter=originId%20eq%20'"+gid+"'", nil).must(t, 200).body["value"].([]any)
	if len(exp) != 1 {
		t.Fatalf("filter by originId: %v", exp)
	}
	roles := exp[0].(map[string]any)["roles"].([]any)
	if len(roles) != 2 || str(roles[0].(map[string]any)["originId"]) != "Member_"+gid || str(roles[1].(map[string]any)["originId"]) != "Owner_"+gid {
		t.Fatalf("group roles: %v", roles)
	}
	e.do("GET", emPath+"catalogs/"+catalog+"/resources?$expand=environment", nil).must(t, 400)
	e.do("GET", emPath+"catalogs/"+catalog+"/resources?$filter=displayName%20eq%20'x'", nil).must(t, 400)
	e.do("POST", emPath+"catalogs/"+catalog+"/resources", map[string]any{"originId": gid, "originSystem": "AadGroup"}).must(t, 405)

	// A package's role scopes: with the GET's $expand; the list expands
	// its catalog only.
	got := e.do("GET", emPath+"accessPackages/"+finance+"?$expand=resourceRoleScopes($expand=role,scope)", nil).must(t, 200)
	scopes := got.body["resourceRoleScopes"].([]any)
	if len(scopes) != 2 || strings.Contains(got.raw, `\u0000`) {
		t.Fatalf("Finance tools role scopes: %s", got.raw)
	}
	first := scopes[0].(map[string]any)
	if r := first["role"].(map[string]any); str(r["originId"]) != "Member_"+gid || first["scope"].(map[string]any)["isRootScope"] != true {
		t.Fatalf("role scope: %v", first)
	}
	if bare := e.do("GET", emPath+"accessPackages/"+finance+"?$expand=resourceRoleScopes", nil).must(t, 200); strings.Contains(bare.raw, `"role"`) {
		t.Fatalf("role without $expand=role: %s", bare.raw)
	}
	e.do("GET", emPath+"accessPackages?$expand=catalog,resourceRoleScopes($expand=role,scope)", nil).must(t, 400)
	e.do("GET", emPath+"accessPackages/"+finance+"?$expand=assignments", nil).must(t, 400)

	// Removing a resource a package uses is refused; adding it twice too.
	e.do("POST", emPath+"resourceRequests", map[string]any{"requestType": "adminRemove",
		"resource": map[string]any{"id": group["id"]}, "catalog": map[string]any{"id": catalog}}).must(t, 400)
	e.do("POST", emPath+"resourceRequests", map[string]any{"requestType": "adminAdd",
		"resource": map[string]any{"originId": gid, "originSystem": "AadGroup"}, "catalog": map[string]any{"id": catalog}}).must(t, 409)
	e.do("POST", emPath+"resourceRequests", map[string]any{"requestType": "adminAdd",
		"resource": map[string]any{"originId": "00000000-0000-0000-0000-00000000dead", "originSystem": "AadGroup"}, "catalog": map[string]any{"id": catalog}}).must(t, 404)
	e.do("POST", emPath+"resourceRequests", map[string]any{"requestType": "adminUpdate",
		"resource": map[string]any{"originId": gid, "originSystem": "AadGroup"}, "catalog": map[string]any{"id": catalog}}).must(t, 400)
	e.do("POST", emPath+"resourceRequests", map[string]any{"requestType": "adminAdd",
		"resource": map[string]any{"originId": "https://contoso.sharepoint.com/sites/Finance", "originSystem": "SharePointOnline"}, "catalog": map[string]any{"id": catalog}}).must(t, 201)

	// A role of a resource outside the package's catalog is refused (the
	// draft catalog's Helpdesk group is not in Finance tools' catalog).
	dres := e.do("GET", emPath+"catalogs/"+draft+"/resources", nil).must(t, 200).body["value"].([]any)[0].(map[string]any)
	hid := str(dres["originId"])
	e.do("POST", emPath+"accessPackages/"+finance+"/resourceRoleScopes", map[string]any{
		"role":  map[string]any{"originId": "Member_" + hid, "originSystem": "AadGroup", "resource": map[string]any{"id": dres["id"]}},
		"scope": map[string]any{"originId": hid, "originSystem": "AadGroup"}}).must(t, 400)

	// Add the group's Owner role; twice is a conflict; an unknown role is refused.
	add := map[string]any{
		"role":  map[string]any{"originId": "Owner_" + gid, "originSystem": "AadGroup", "resource": map[string]any{"id": group["id"]}},
		"scope": map[string]any{"originId": gid, "originSystem": "AadGroup", "isRootScope": true}}
	created := e.do("POST", emPath+"accessPackages/"+finance+"/resourceRoleScopes", add).must(t, 201)
	rsID := str(created.body["id"])
	if !strings.Contains(rsID, "_") {
		t.Fatalf("role scope id %q: not {role id}_{scope id}", rsID)
	}
	e.do("POST", emPath+"accessPackages/"+finance+"/resourceRoleScopes", add).must(t, 409)
	add["role"].(map[string]any)["originId"] = "Admin_" + gid
	e.do("POST", emPath+"accessPackages/"+finance+"/resourceRoleScopes", add).must(t, 400)
	delete(add["role"].(map[string]any), "resource")
	e.do("POST", emPath+"accessPackages/"+finance+"/resourceRoleScopes", add).must(t, 400)

	// Once no package uses it, the resource is removed.
	for _, pkg := range []string{finance, id("Audit partner workspace")} {
		for _, rs := range e.do("GET", emPath+"accessPackages/"+pkg+"?$expand=resourceRoleScopes($expand=role,scope)", nil).must(t, 200).body["resourceRoleScopes"].([]any) {
			m := rs.(map[string]any)
			if m["scope"].(map[string]any)["originId"] == gid {
				e.do("DELETE", emPath+"accessPackages/"+pkg+"/resourceRoleScopes/"+str(m["id"]), nil).must(t, 204)
			}
		}
	}
	e.do("DELETE", emPath+"accessPackages/"+finance+"/resourceRoleScopes/"+rsID, nil).must(t, 404)
	e.do("POST", emPath+"resourceRequests", map[string]any{"requestType": "adminRemove",
		"resource": map[string]any{"id": group["id"]}, "catalog": map[string]any{"id": catalog}}).must(t, 201)
	if left := e.do("GET", emPath+"catalogs/"+catalog+"/resources?$filter=originId%20eq%20'"+gid+"'", nil).must(t, 200).body["value"].([]any); len(left) != 0 {
		t.Fatalf("removed resource still listed: %v", left)
	}
}

// Reads take EntitlementManagement.Read.All; a resource request and role
// scope writes ReadWrite.All, and adding a group as an application also
// Group.ReadWrite.All (an application: Application.ReadWrite.All).
func TestCatalogResourcePermissions(t *testing.T) {
	e := newAuthzEnv(t)
	tn := e.s.Tenant()
	cat := e.seed(emCatalogKind, map[string]any{"displayName": "Perms", "catalogType": "userManaged", "state": "published"})
	grp := e.seed("group", map[string]any{"displayName": "G", "securityEnabled": true, "mailEnabled": false, "mailNickname": "g"})
	if err := tn.SeedCatalogResource(cat, "AadGroup", grp); err != nil {
		t.Fatal(err)
	}
	read, write := e.token("r", "EntitlementManagement.Read.All"), e.token("w", "EntitlementManagement.ReadWrite.All")
	both := e.token("wg", "EntitlementManagement.ReadWrite.All", "Group.ReadWrite.All")
	e.want(e.token("n", "Directory.Read.All"), "GET", emPath+"catalogs/"+cat+"/resources", nil, 403)
	res := e.want(read, "GET", emPath+"catalogs/"+cat+"/resources", nil, 200)["value"].([]any)[0].(map[string]any)
	remove := map[string]any{"requestType": "adminRemove", "resource": map[string]any{"id": res["id"]}, "catalog": map[string]any{"id": cat}}
	e.want(read, "POST", emPath+"resourceRequests", remove, 403)
	e.want(write, "POST", emPath+"resourceRequests", remove, 201)
	addReq := map[string]any{"requestType": "adminAdd", "resource": map[string]any{"originId": grp, "originSystem": "AadGroup"}, "catalog": map[string]any{"id": cat}}
	e.want(write, "POST", emPath+"resourceRequests", addReq, 403)
	e.want(both, "POST", emPath+"resourceRequests", addReq, 201)
	pkg := e.seed(emPackageKind, map[string]any{"displayName": "P", "catalog": map[string]any{"id": cat}})
	res = e.want(read, "GET", emPath+"catalogs/"+cat+"/resources", nil, 200)["value"].([]any)[0].(map[string]any)
	rs := map[string]any{"role": map[string]any{"originId": "Member_" + grp, "originSystem": "AadGroup", "resource": map[string]any{"id": res["id"]}},
		"scope": map[string]any{"originId": grp, "originSystem": "AadGroup"}}
	e.want(read, "POST", emPath+"accessPackages/"+pkg+"/resourceRoleScopes", rs, 403)
	e.want(write, "POST", emPath+"accessPackages/"+pkg+"/resourceRoleScopes", rs, 201)
	e.want(read, "GET", emPath+"accessPackages/"+pkg+"?$expand=resourceRoleScopes($expand=role,scope)", nil, 200)
}

// A group in the recycle bin stays a catalog resource (restorable with its
// id); deleted for good, it leaves the catalog's resources and the
// packages' role scopes.
func TestCatalogResourcesDropPurgedOrigin(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	tn := e.s.Tenant()
	id := func(name string) string { return derivedID(tn.name + "/governance/" + name) }
	catalog, finance := id("Finance and partner access"), id("Finance tools")
	res := e.do("GET", emPath+"catalogs/"+catalog+"/resources", nil).must(t, 200).body["value"].([]any)
	gid := ""
	for _, r := range res {
		if m := r.(map[string]any); m["originSystem"] == "AadGroup" {
			gid = str(m["originId"])
		}
	}
	count := func() (int, int) {
		r := e.do("GET", emPath+"catalogs/"+catalog+"/resources", nil).must(t, 200).body["value"].([]any)
		s := e.do("GET", emPath+"accessPackages/"+finance+"?$expand=resourceRoleScopes", nil).must(t, 200).body["resourceRoleScopes"].([]any)
		return len(r), len(s)
	}
	e.do("DELETE", "/v1.0/groups/"+gid, nil).must(t, 204)
	if r, s := count(); r != 2 || s != 2 {
		t.Fatalf("in the recycle bin: %d resources, %d role scopes; want 2, 2", r, s)
	}
	e.do("DELETE", "/v1.0/directory/deletedItems/"+gid, nil).must(t, 204)
	if r, s := count(); r != 1 || s != 1 {
		t.Fatalf("deleted for good: %d resources, %d role scopes; want 1, 1", r, s)
	}
}
