package importer

import (
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

const (
	emColl = "/v1.0/identityGovernance/entitlementManagement/"
	arColl = "/v1.0/identityGovernance/accessReviews/definitions"
)

// byName finds the object named name in a list.
func byName(t *testing.T, list []map[string]any, name string) map[string]any {
	t.Helper()
	for _, m := range list {
		if m["displayName"] == name {
			return m
		}
	}
	t.Fatalf("no %q in %v", name, list)
	return nil
}

// Identity governance comes back as at REV: a deleted access package and
// its assignment policy are recreated in order (package, then policy) with
// the policy naming the package's new id and the connected organization
// it allows; a changed policy and access review are replaced by PUT with
// their whole state; a changed catalog, connected organization sponsors
// and settings are written back; a catalog, package and policy added
// since REV are deleted policy first, catalog last.
func TestRestoreGovernance(t *testing.T) {
	whenShortOnly(t, "access-package-catalogs", "connected-organizations", "access-packages", "access-package-assignment-policies", "entitlement-management-settings", "access-review-definitions")
	e := newEnv(t, graphsim.Options{}, nil)
	cat := byName(t, e.list(emColl+"catalogs"), "Finance and partner access")
	pkgs := e.list(emColl + "accessPackages")
	partner := byName(t, pkgs, "Audit partner workspace")
	pols := e.list(emColl + "assignmentPolicies?$expand=accessPackage")
	fab := byName(t, pols, "Fabrikam auditors request")
	fin := byName(t, pols, "Finance staff request")
	org := byName(t, e.list(emColl+"connectedOrganizations"), "Fabrikam")
	orgID := str(org["id"])
	sponsors := e.list(emColl + "connectedOrganizations/" + orgID + "/internalSponsors")
	review := e.list(arColl)[0]

	// The incident.
	e.do("DELETE", emColl+"assignmentPolicies/"+str(fab["id"]), nil)
	e.do("DELETE", emColl+"accessPackages/"+str(partner["id"]), nil)
	e.do("PUT", emColl+"assignmentPolicies/"+str(fin["id"]), map[string]any{"displayName": hostileName,
		"accessPackage": map[string]any{"id": fin["accessPackage"].(map[string]any)["id"]}, "allowedTargetScope": "allMemberUsers"})
	e.do("PATCH", emColl+"catalogs/"+str(cat["id"]), map[string]any{"description": "changed", "state": "unpublished"})
	e.do("DELETE", emColl+"connectedOrganizations/"+orgID+"/internalSponsors/"+str(sponsors[0]["id"])+"/$ref", nil)
	e.do("PATCH", emColl+"settings", map[string]any{"externalUserLifecycleAction": "none"})
	e.do("PUT", arColl+"/"+str(review["id"]), map[string]any{"displayName": "Renamed", "scope": review["scope"], "settings": review["settings"], "reviewers": []any{}})
	rogueCat := map[string]any{"displayName": "Rogue catalog"}
	e.do("POST", emColl+"catalogs", rogueCat)
	rc := byName(t, e.list(emColl+"catalogs"), "Rogue catalog")
	e.do("POST", emColl+"accessPackages", map[string]any{"displayName": "Rogue package", "catalog": map[string]any{"id": rc["id"]}})
	rp := byName(t, e.list(emColl+"accessPackages"), "Rogue package")
	e.do("POST", emColl+"assignmentPolicies", map[string]any{"displayName": "Rogue policy", "accessPackage": map[string]any{"id": rp["id"]}})
	e.recordIncident()

	sel := []string{"governance"}
	p := e.plan(e.first, sel, Options{})
	idx := map[string]int{}
	for i, a := range p.Actions {
		idx[a.Kind+" "+string(a.Op)+" "+a.Name] = i
	}
	order := func(before, after string) {
		t.Helper()
		i, ok1 := idx[before]
		j, ok2 := idx[after]
		if !ok1 || !ok2 {
			t.Fatalf("plan lacks %q or %q:\n%s", before, after, render(p))
		}
		dep := false
		for _, d := range p.Actions[j].DependsOn {
			if d == p.Actions[i].ID {
				dep = true
			}
		}
		if !dep {
			t.Errorf("%q does not wait for %q:\n%s", after, before, render(p))
		}
	}
	order("access-packages create Audit partner workspace", "access-package-assignment-policies create Fabrikam auditors request")
	order("access-package-assignment-policies delete Rogue policy", "access-packages delete Rogue package")
	order("access-packages delete Rogue package", "access-package-catalogs delete Rogue catalog")
	for _, a := range p.Actions {
		if (a.Kind == apPolicies || a.Kind == arDefs) && a.Op == OpUpdate && a.Request.Method != "PUT" {
			t.Errorf("%s %s is written with %s, not PUT", a.Kind, a.Name, a.Request.Method)
		}
		if a.Kind == apPackages && a.Op == OpDelete && !strings.Contains(strings.Join(a.Warnings, " "), "assignments") {
			t.Errorf("the delete of an access package does not say Graph refuses it with assignments: %v", a.Warnings)
		}
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}

	// The recreated package is in its catalog; its policy names it and the
	// connected organization.
	newPkg := byName(t, e.list(emColl+"accessPackages?$expand=catalog"), "Audit partner workspace")
	if newPkg["id"] == partner["id"] || newPkg["catalog"].(map[string]any)["id"] != cat["id"] {
		t.Errorf("recreated package %v", newPkg)
	}
	newPol := byName(t, e.list(emColl+"assignmentPolicies?$expand=accessPackage"), "Fabrikam auditors request")
	if newPol["accessPackage"].(map[string]any)["id"] != newPkg["id"] {
		t.Errorf("the recreated policy names package %v, want the new %v", newPol["accessPackage"], newPkg["id"])
	}
	targets, _ := newPol["specificAllowedTargets"].([]any)
	if len(targets) != 1 || targets[0].(map[string]any)["connectedOrganizationId"] != orgID {
		t.Errorf("allowed targets %v", targets)
	}
	if got := byName(t, e.list(emColl+"assignmentPolicies"), "Finance staff request"); got["allowedTargetScope"] != fin["allowedTargetScope"] || got["reviewSettings"] == nil {
		t.Errorf("Finance policy after the restore: %v", got)
	}
	if s := e.list(emColl + "connectedOrganizations/" + orgID + "/internalSponsors"); len(s) != 1 || s[0]["id"] != sponsors[0]["id"] {
		t.Errorf("sponsors after the restore: %v", s)
	}
	if r := e.get(arColl + "/" + str(review["id"])); r["displayName"] != review["displayName"] || len(asSlice(r["reviewers"])) != 1 {
		t.Errorf("access review after the restore: %v", r)
	}
	if s := e.get(emColl + "settings"); s["externalUserLifecycleAction"] != "blockSignInAndDelete" {
		t.Errorf("settings after the restore: %v", s)
	}
	for _, m := range e.list(emColl + "catalogs") {
		if m["displayName"] == "Rogue catalog" {
			t.Error("the catalog added since REV is still there")
		}
	}
	e.mustBeEmpty(sel, Options{})
}

// Graph refuses to delete an access package that has assignments
// (accesspackage-delete): the plan warns on the delete, the apply reports
// Graph's refusal for that package alone, and the other deletes go ahead.
func TestRestoreAccessPackageWithAssignments(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	cat := byName(t, e.list(emColl+"catalogs"), "Contractor onboarding")
	e.do("POST", emColl+"accessPackages", map[string]any{"displayName": "Late package", "catalog": map[string]any{"id": cat["id"]}})
	late := byName(t, e.list(emColl+"accessPackages"), "Late package")
	if err := e.sim.Tenant().SeedAssignments(str(late["id"]), 2); err != nil {
		t.Fatal(err)
	}
	e.do("POST", emColl+"connectedOrganizations", map[string]any{"displayName": "Late org", "identitySources": []any{
		map[string]any{"@odata.type": "#microsoft.graph.domainIdentitySource", "domainName": "example.org", "displayName": "example.org"}}})
	p := e.plan(e.first, []string{"governance"}, Options{})
	if opList(p) != "delete,delete" {
		t.Fatalf("plan %s\n%s", opList(p), render(p))
	}
	res, err := Apply(context.Background(), p, e.applyOpts())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Actions {
		switch a.Kind {
		case apPackages:
			if a.Status != StatusFailed || a.GraphStatus != 400 || !strings.Contains(a.Error, "assignments") {
				t.Errorf("the package's delete: %+v", a)
			}
		case apConnOrgs:
			if a.Status != StatusDone {
				t.Errorf("the connected organization's delete: %+v", a)
			}
		}
	}
	if res.Complete() {
		t.Error("the result is complete although a delete was refused")
	}
	byName(t, e.list(emColl+"accessPackages"), "Late package")
}
