package graphsim

import (
	"strings"
	"testing"
)

const (
	emPath = "/v1.0/identityGovernance/entitlementManagement/"
	arPath = "/v1.0/identityGovernance/accessReviews/definitions"
)

// Entitlement management as Graph documents it: catalogs, access packages
// naming their catalog (returned only with $expand), assignment policies
// replaced by PUT only, connected organizations with $ref sponsors, the
// settings singleton, and the deletes Graph refuses.
func TestEntitlementManagement(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	cats := e.do("GET", emPath+"catalogs", nil).must(t, 200).body["value"].([]any)
	var demoCat string
	types := map[string]string{}
	for _, c := range cats {
		m := c.(map[string]any)
		types[str(m["displayName"])] = str(m["catalogType"])
		if m["displayName"] == "Finance and partner access" {
			demoCat = str(m["id"])
		}
	}
	if types["General"] != "serviceDefault" || demoCat == "" {
		t.Fatalf("catalogs: %v", types)
	}
	e.do("DELETE", emPath+"catalogs/"+GeneralCatalogID, nil).must(t, 400)
	e.do("PATCH", emPath+"catalogs/"+GeneralCatalogID, map[string]any{"description": "x"}).must(t, 400)
	e.do("POST", emPath+"catalogs", map[string]any{"description": "no name"}).must(t, 400)
	e.do("POST", emPath+"catalogs", map[string]any{"displayName": "c", "catalogType": "serviceDefault"}).must(t, 400)
	cat := str(e.do("POST", emPath+"catalogs", map[string]any{"displayName": "Sales"}).must(t, 201).body["id"])

	// The catalog is a navigation property: not in a plain read.
	pkgs := e.do("GET", emPath+"accessPackages", nil).must(t, 200)
	if strings.Contains(pkgs.raw, `"catalog"`) || strings.Contains(pkgs.raw, "\\u0000") {
		t.Fatalf("a plain list returns the catalog or a stored field: %s", pkgs.raw)
	}
	exp := e.do("GET", emPath+"accessPackages?$expand=catalog", nil).must(t, 200).body["value"].([]any)
	var finance string
	for _, p := range exp {
		m := p.(map[string]any)
		c, _ := m["catalog"].(map[string]any)
		if str(c["id"]) != demoCat || c["displayName"] == nil {
			t.Errorf("package %v: catalog %v", m["displayName"], c)
		}
		if m["displayName"] == "Finance tools" {
			finance = str(m["id"])
		}
	}
	e.do("GET", emPath+"accessPackages?$expand=assignments", nil).must(t, 400)
	e.do("POST", emPath+"accessPackages", map[string]any{"displayName": "no catalog"}).must(t, 400)
	e.do("POST", emPath+"accessPackages", map[string]any{"displayName": "x", "catalog": map[string]any{"id": "00000000-0000-0000-0000-00000000beef"}}).must(t, 404)
	pkg := str(e.do("POST", emPath+"accessPackages", map[string]any{"displayName": "Sales tools", "catalog": map[string]any{"id": cat}}).must(t, 201).body["id"])
	e.do("PATCH", emPath+"accessPackages/"+pkg, map[string]any{"catalog": map[string]any{"id": demoCat}}).must(t, 400)
	e.do("PATCH", emPath+"accessPackages/"+pkg, map[string]any{"description": "d"}).must(t, 204)
	e.do("DELETE", emPath+"catalogs/"+cat, nil).must(t, 400) // it holds a package

	pol := map[string]any{"displayName": "Sales request", "allowedTargetScope": "allMemberUsers", "accessPackage": map[string]any{"id": pkg},
		"requestApprovalSettings": map[string]any{"isApprovalRequiredForAdd": true, "stages": []any{map[string]any{"durationBeforeAutomaticDenial": "P2D",
			"primaryApprovers": []any{map[string]any{"@odata.type": "#microsoft.graph.singleUser", "userId": "00000000-0000-0000-0000-00000000beef"}}}}}}
	e.do("POST", emPath+"assignmentPolicies", pol).must(t, 400) // the approver does not exist
	pol["requestApprovalSettings"] = map[string]any{"isApprovalRequiredForAdd": false, "stages": []any{}}
	p := e.do("POST", emPath+"assignmentPolicies", pol).must(t, 201)
	pid := str(p.body["id"])
	if _, ok := p.body["accessPackage"]; ok {
		t.Errorf("created policy returns its access package unexpanded: %v", p.body)
	}
	e.do("PATCH", emPath+"assignmentPolicies/"+pid, map[string]any{"description": "x"}).must(t, 405)
	e.do("PUT", emPath+"assignmentPolicies/"+pid, map[string]any{"displayName": "no package"}).must(t, 400)
	e.do("PUT", emPath+"assignmentPolicies/"+pid, map[string]any{"displayName": "moved", "accessPackage": map[string]any{"id": finance}}).must(t, 400)
	put := e.do("PUT", emPath+"assignmentPolicies/"+pid, map[string]any{"displayName": "Sales request 2", "accessPackage": map[string]any{"id": pkg}}).must(t, 200)
	if put.body["allowedTargetScope"] != nil || put.body["displayName"] != "Sales request 2" {
		t.Errorf("PUT does not replace the policy: %v", put.body)
	}
	got := e.do("GET", emPath+"assignmentPolicies?$expand=accessPackage", nil).must(t, 200)
	if !strings.Contains(got.raw, `"id":"`+pkg+`"`) {
		t.Errorf("$expand=accessPackage: %s", got.raw)
	}
	e.do("DELETE", emPath+"accessPackages/"+pkg, nil).must(t, 400) // it has a policy
	e.do("DELETE", emPath+"assignmentPolicies/"+pid, nil).must(t, 204)
	e.do("DELETE", emPath+"accessPackages/"+pkg, nil).must(t, 204)
	e.do("DELETE", emPath+"catalogs/"+cat, nil).must(t, 204)
	// The demo's Finance package has assignments: accesspackage-delete refuses.
	for _, v := range e.do("GET", emPath+"assignmentPolicies?$expand=accessPackage", nil).must(t, 200).body["value"].([]any) {
		m := v.(map[string]any)
		if ap, _ := m["accessPackage"].(map[string]any); str(ap["id"]) == finance {
			e.do("DELETE", emPath+"assignmentPolicies/"+str(m["id"]), nil).must(t, 204)
		}
	}
	if r := e.do("DELETE", emPath+"accessPackages/"+finance, nil).must(t, 400); !strings.Contains(r.raw, "assignments") {
		t.Errorf("delete of a package with assignments: %s", r.raw)
	}

	// Connected organizations.
	orgs := e.do("GET", emPath+"connectedOrganizations", nil).must(t, 200).body["value"].([]any)
	if len(orgs) != 1 {
		t.Fatalf("connected organizations: %v", orgs)
	}
	org := str(orgs[0].(map[string]any)["id"])
	if sp := e.do("GET", emPath+"connectedOrganizations/"+org+"/internalSponsors?$select=id", nil).must(t, 200).body["value"].([]any); len(sp) != 1 {
		t.Errorf("internal sponsors: %v", sp)
	}
	e.do("PATCH", emPath+"connectedOrganizations/"+org, map[string]any{"identitySources": []any{}}).must(t, 400)
	e.do("PATCH", emPath+"connectedOrganizations/"+org, map[string]any{"state": "bogus"}).must(t, 400)
	e.do("POST", emPath+"connectedOrganizations", map[string]any{"displayName": "no sources"}).must(t, 400)

	// Settings.
	e.do("PATCH", emPath+"settings", map[string]any{"externalUserLifecycleAction": "delete"}).must(t, 400)
	e.do("PATCH", emPath+"settings", map[string]any{"externalUserLifecycleAction": "blockSignIn", "durationUntilExternalUserDeletedAfterBlocked": "P14D"}).must(t, 204)
	if s := e.do("GET", emPath+"settings", nil).must(t, 200); s.body["externalUserLifecycleAction"] != "blockSignIn" {
		t.Errorf("settings: %v", s.body)
	}
}

// Access review definitions: created with scope and settings, replaced by
// PUT only, scope unchangeable, queries naming objects that exist.
func TestAccessReviewDefinitions(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	defs := e.do("GET", arPath, nil).must(t, 200).body["value"].([]any)
	if len(defs) != 1 {
		t.Fatalf("definitions: %v", defs)
	}
	d := defs[0].(map[string]any)
	id := str(d["id"])
	if d["status"] != "NotStarted" || d["createdBy"] == nil {
		t.Errorf("Graph's properties: %v", d)
	}
	e.do("PATCH", arPath+"/"+id, map[string]any{"displayName": "x"}).must(t, 405)
	put := map[string]any{"displayName": "Renamed", "scope": d["scope"], "settings": d["settings"], "reviewers": d["reviewers"]}
	e.do("PUT", arPath+"/"+id, put).must(t, 204)
	put["scope"] = map[string]any{"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/users", "queryType": "MicrosoftGraph"}
	e.do("PUT", arPath+"/"+id, put).must(t, 400) // scope changed
	delete(put, "scope")
	e.do("PUT", arPath+"/"+id, put).must(t, 400) // scope missing: a PUT replaces the definition
	put["scope"] = d["scope"]
	put["reviewers"] = []any{map[string]any{"query": "/users/00000000-0000-0000-0000-00000000beef", "queryType": "MicrosoftGraph"}}
	e.do("PUT", arPath+"/"+id, put).must(t, 400)
	after := e.do("GET", arPath+"/"+id, nil).must(t, 200)
	if after.body["displayName"] != "Renamed" || after.body["scope"] == nil {
		t.Errorf("after PUT: %v", after.body)
	}
	e.do("POST", arPath, map[string]any{"displayName": "no scope", "settings": map[string]any{}}).must(t, 400)
	e.do("DELETE", arPath+"/"+id, nil).must(t, 204)
}

// Reading takes EntitlementManagement.Read.All or AccessReview.Read.All,
// writing their ReadWrite.All.
func TestGovernancePermissions(t *testing.T) {
	e := newAuthzEnv(t)
	e.want(e.token("a", "Directory.Read.All"), "GET", emPath+"catalogs", nil, 403)
	e.want(e.token("b", "EntitlementManagement.Read.All"), "GET", emPath+"catalogs", nil, 200)
	e.want(e.token("c", "EntitlementManagement.Read.All"), "POST", emPath+"catalogs", map[string]any{"displayName": "x"}, 403)
	e.want(e.token("d", "EntitlementManagement.ReadWrite.All"), "POST", emPath+"catalogs", map[string]any{"displayName": "x"}, 201)
	e.want(e.token("e", "EntitlementManagement.Read.All"), "GET", arPath, nil, 403)
	e.want(e.token("f", "AccessReview.Read.All"), "GET", arPath, nil, 200)
}
