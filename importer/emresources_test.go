package importer

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// roleScopesOf is what access package pkg grants: "system|role originId|scope originId".
func (e *env) roleScopesOf(pkg string) []string {
	e.t.Helper()
	m := e.get(emColl + "accessPackages/" + pkg + "?$expand=" + url.QueryEscape("resourceRoleScopes($expand=role,scope)"))
	var out []string
	for _, x := range asSlice(m["resourceRoleScopes"]) {
		rs := x.(map[string]any)
		role, scope := rs["role"].(map[string]any), rs["scope"].(map[string]any)
		out = append(out, str(role["originSystem"])+"|"+str(role["originId"])+"|"+str(scope["originId"]))
	}
	return out
}

// resourcesOf is what catalog cat holds: originId → resource.
func (e *env) resourcesOf(cat string) map[string]map[string]any {
	e.t.Helper()
	out := map[string]map[string]any{}
	for _, m := range e.list(emColl + "catalogs/" + cat + "/resources") {
		out[str(m["originId"])] = m
	}
	return out
}

// A catalog's resources and its packages' resource role scopes come back
// as at REV, in Graph's order: a resource removed since (with the role a
// package granted of it) is added again and the role scope after it; a
// resource and a role scope added since are removed, the role scope
// first (Graph refuses to remove a resource a package uses); a purged
// access package is recreated with its roles, and a purged group (with a
// hostile name) is recreated and the catalog resource and the package's
// Owner role name its new id (the stale resource of the old id removed).
// Also under realistic throttling, lost answers and replication lag.
func TestRestoreCatalogResourcesAndRoleScopes(t *testing.T) {
	for _, o := range []graphsim.Options{{}, {Throttle: "realistic", FaultRate: 0.03, EventualConsistency: 2e9, Seed: 4}} {
		t.Run(fmt.Sprintf("throttle=%s,faults=%v", o.Throttle, o.FaultRate), func(t *testing.T) {
			e := newEnv(t, o, nil)
			realistic := o.Throttle != ""
			cat := str(byName(t, e.list(emColl+"catalogs"), "Finance and partner access")["id"])
			draft := str(byName(t, e.list(emColl+"catalogs"), "Contractor onboarding")["id"])
			pkgs := e.list(emColl + "accessPackages")
			finance, partner := str(byName(t, pkgs, "Finance tools")["id"]), str(byName(t, pkgs, "Audit partner workspace")["id"])
			res := e.resourcesOf(cat)
			var hr map[string]any
			for _, m := range res {
				if m["originSystem"] == "AadApplication" {
					hr = m
				}
			}
			if hr == nil || len(res) != 2 {
				t.Fatalf("demo catalog resources: %v", res)
			}
			helpdesk := ""
			for id := range e.resourcesOf(draft) {
				helpdesk = id
			}

			// A group with a hostile name, in the catalog, whose owners the
			// partner package makes its users (seeded: no lag, no faults).
			tn := e.sim.Tenant()
			gid, err := tn.Seed("group", map[string]any{"displayName": hostileName + " \u200f../" + strings.Repeat("x", 200), "mailEnabled": false,
				"mailNickname": "emres", "securityEnabled": true, "groupTypes": []any{}})
			if err != nil {
				t.Fatal(err)
			}
			if err := tn.SeedCatalogResource(cat, "AadGroup", gid); err != nil {
				t.Fatal(err)
			}
			if err := tn.SeedRoleScope(partner, gid, "Owner_"+gid); err != nil {
				t.Fatal(err)
			}
			rev := e.snapshot("with the partner group")
			wantFinance, wantPartner := e.roleScopesOf(finance), e.roleScopesOf(partner)
			if len(wantFinance) != 2 || len(wantPartner) != 2 {
				t.Fatalf("role scopes at REV: %v %v", wantFinance, wantPartner)
			}

			// The incident (the test's own writes: e.own, no injected faults).
			do := e.do
			fm := e.get(emColl + "accessPackages/" + finance + "?$expand=" + url.QueryEscape("resourceRoleScopes($expand=role,scope)"))
			for _, x := range asSlice(fm["resourceRoleScopes"]) {
				rs := x.(map[string]any)
				if rs["scope"].(map[string]any)["originId"] == hr["originId"] {
					do("DELETE", emColl+"accessPackages/"+finance+"/resourceRoleScopes/"+str(rs["id"]), nil)
				}
			}
			do("POST", emColl+"resourceRequests", map[string]any{"requestType": "adminRemove",
				"resource": map[string]any{"id": hr["id"]}, "catalog": map[string]any{"id": cat}})
			do("POST", emColl+"resourceRequests", map[string]any{"requestType": "adminAdd",
				"resource": map[string]any{"originId": helpdesk, "originSystem": "AadGroup"}, "catalog": map[string]any{"id": cat}})
			do("POST", emColl+"accessPackages/"+finance+"/resourceRoleScopes", map[string]any{
				"role":  map[string]any{"originId": "Owner_" + helpdesk, "originSystem": "AadGroup", "resource": map[string]any{"id": e.resourcesOf(cat)[helpdesk]["id"]}},
				"scope": map[string]any{"originId": helpdesk, "originSystem": "AadGroup"}})
			for _, pol := range e.list(emColl + "assignmentPolicies?$expand=accessPackage") {
				if pol["accessPackage"].(map[string]any)["id"] == partner {
					do("DELETE", emColl+"assignmentPolicies/"+str(pol["id"]), nil)
				}
			}
			do("DELETE", emColl+"accessPackages/"+partner, nil)
			do("DELETE", "/v1.0/groups/"+gid, nil)
			do("DELETE", "/v1.0/directory/deletedItems/"+gid, nil)
			e.recordIncident()

			sel := []string{"governance", gid}
			plan := func() *Plan { return e.plan(rev, sel, Options{}) }
			p := plan()
			byOp := map[string]*Action{}
			for i := range p.Actions {
				a := &p.Actions[i]
				if a.Relationship == "resources" || a.Relationship == "resourceRoleScopes" {
					byOp[fmt.Sprintf("%s %s %s", a.Kind, a.Op, a.Request.Method)+" "+a.Target] = a
				}
			}
			waits := func(a *Action, on *Action) bool {
				return a != nil && on != nil && contains(a.DependsOn, on.ID)
			}
			addHR := byOp["access-package-catalogs add-child POST "+str(hr["originId"])]
			rmHelp := byOp["access-package-catalogs remove-child POST "+helpdesk]
			var lookupHR, addHRRole, rmHelpRole *Action
			for k, a := range byOp {
				switch {
				case strings.HasPrefix(k, "access-packages update GET "+str(hr["originId"])) && a.Capture != nil && a.Key == finance:
					lookupHR = a
				case strings.HasPrefix(k, "access-packages add-child POST ") && strings.HasSuffix(k, " of "+str(hr["originId"])):
					addHRRole = a
				case strings.HasPrefix(k, "access-packages remove-child DELETE ") && a.Key == finance:
					rmHelpRole = a
				}
			}
			if !waits(lookupHR, addHR) || !waits(addHRRole, lookupHR) || !waits(rmHelp, rmHelpRole) {
				t.Fatalf("order: resource add → lookup → role scope add; role scope removal → resource removal:\n%s", render(p))
			}
			if !strings.Contains(strings.Join(addHR.Permissions, " "), "Application.ReadWrite.All") {
				t.Errorf("adding an application resource does not list Application.ReadWrite.All: %v", addHR.Permissions)
			}
			if realistic {
				e.applyUntilComplete(t, plan)
			} else if r := e.apply(p); !r.Complete() {
				t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
			}

			// What Graph holds now.
			var newGID string
			for _, m := range e.list("/v1.0/groups?$filter=" + url.QueryEscape("mailNickname eq 'emres'")) {
				newGID = str(m["id"])
			}
			if newGID == "" || newGID == gid {
				t.Fatalf("the purged group was not recreated: %q", newGID)
			}
			now := e.resourcesOf(cat)
			if now[str(hr["originId"])] == nil || now[helpdesk] != nil || now[gid] != nil || now[newGID] == nil || len(now) != 3 {
				t.Errorf("catalog resources after the restore: %v", now)
			}
			if got := e.roleScopesOf(finance); sortedJoin(got) != sortedJoin(wantFinance) {
				t.Errorf("Finance tools grants %v, want %v", got, wantFinance)
			}
			newPartner := str(byName(t, e.list(emColl+"accessPackages"), "Audit partner workspace")["id"])
			var wantNew []string
			for _, w := range wantPartner {
				wantNew = append(wantNew, strings.ReplaceAll(w, gid, newGID))
			}
			if got := e.roleScopesOf(newPartner); newPartner == partner || sortedJoin(got) != sortedJoin(wantNew) {
				t.Errorf("the recreated partner package grants %v, want %v", got, wantNew)
			}
			e.mustBeEmptyAt(rev, sel)
		})
	}
}

func sortedJoin(s []string) string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return strings.Join(out, ",")
}

// SharePoint Online sites as catalog resources (originSystem
// SharePointOnline, the site's URL as originId, roles Owners 3, Members 4,
// Visitors 5: graphsim/emresources.go): a site removed since from the
// catalog, with the package's Members role of it, is added again (listing
// Sites.FullControl.All, which Graph requires besides the kind's
// permissions) and the role scope after it; a site added since, with a
// role scope naming it, is removed, the role scope first. The URLs carry
// hostile text (quotes, an RTL mark, emoji, ../, a long tail). Also under
// realistic throttling, lost answers and replication lag (not with -short).
func TestRestoreCatalogSharePointSites(t *testing.T) {
	whenShortOnly(t, "access-package-catalogs", "access-packages")
	opts := []graphsim.Options{{}, {Throttle: "realistic", FaultRate: 0.03, EventualConsistency: 2e9, Seed: 5}}
	if testing.Short() {
		opts = opts[:1]
	}
	for _, o := range opts {
		t.Run(fmt.Sprintf("throttle=%s,faults=%v", o.Throttle, o.FaultRate), func(t *testing.T) {
			e := newEnv(t, o, nil)
			cat := str(byName(t, e.list(emColl+"catalogs"), "Finance and partner access")["id"])
			pkg := str(byName(t, e.list(emColl+"accessPackages"), "Finance tools")["id"])
			site := "https://contoso.sharepoint.com/sites/Fin'ance \"Q4\" \u202e../🚀" + strings.Repeat("x", 150)
			// A URL may hold text of the form of the plan's placeholders:
			// data, sent as it is (fill), never a reference the plan makes.
			since := "https://contoso.sharepoint.com/sites/{{graph}}{{new:" + cat + "}}{{newAppId:x}}{{generated-password}}{{organization}}{{emres:" + cat + ":1}}{{"
			if o.Throttle == "" {
				site, since = since, site // the odd URL restored as well as removed
			}
			tn := e.sim.Tenant()
			if err := tn.SeedCatalogResource(cat, "SharePointOnline", site); err != nil {
				t.Fatal(err)
			}
			if err := tn.SeedRoleScope(pkg, site, "4"); err != nil {
				t.Fatal(err)
			}
			rev := e.snapshot("with a SharePoint site")
			wantRes, wantScopes := e.resourcesOf(cat), e.roleScopesOf(pkg)
			if wantRes[site] == nil || !contains(wantScopes, "SharePointOnline|4|"+site) {
				t.Fatalf("at REV: resources %v, role scopes %v", wantRes, wantScopes)
			}

			// The incident: the site's role scope and the site removed, another site added and granted.
			do := e.do
			pm := e.get(emColl + "accessPackages/" + pkg + "?$expand=" + url.QueryEscape("resourceRoleScopes($expand=role,scope)"))
			for _, x := range asSlice(pm["resourceRoleScopes"]) {
				rs := x.(map[string]any)
				if rs["scope"].(map[string]any)["originId"] == site {
					do("DELETE", emColl+"accessPackages/"+pkg+"/resourceRoleScopes/"+str(rs["id"]), nil)
				}
			}
			do("POST", emColl+"resourceRequests", map[string]any{"requestType": "adminRemove",
				"resource": map[string]any{"id": wantRes[site]["id"]}, "catalog": map[string]any{"id": cat}})
			do("POST", emColl+"resourceRequests", map[string]any{"requestType": "adminAdd",
				"resource": map[string]any{"originId": since, "originSystem": "SharePointOnline"}, "catalog": map[string]any{"id": cat}})
			e.sim.Clock().Advance(5e9)
			do("POST", emColl+"accessPackages/"+pkg+"/resourceRoleScopes", map[string]any{
				"role":  map[string]any{"originId": "5", "originSystem": "SharePointOnline", "resource": map[string]any{"id": e.resourcesOf(cat)[since]["id"]}},
				"scope": map[string]any{"originId": since, "originSystem": "SharePointOnline"}})
			e.recordIncident()
			if got := e.resourcesOf(cat); got[site] != nil || got[since] == nil {
				t.Fatalf("the incident did not happen: %v", got)
			}

			sel := []string{"governance"}
			plan := func() *Plan { return e.plan(rev, sel, Options{}) }
			p := plan()
			var addSite, addRole, rmSince, rmRole *Action
			for i := range p.Actions {
				a := &p.Actions[i]
				switch {
				case a.Relationship == "resources" && a.Op == OpAddChild && a.Target == site:
					addSite = a
				case a.Relationship == "resources" && a.Op == OpRemoveChild && a.Target == since:
					rmSince = a
				case a.Relationship == "resourceRoleScopes" && a.Op == OpAddChild && strings.HasSuffix(a.Target, " of "+site):
					addRole = a
				case a.Relationship == "resourceRoleScopes" && a.Op == OpRemoveChild && a.Key == pkg:
					rmRole = a
				}
			}
			if addSite == nil || addRole == nil || rmSince == nil || rmRole == nil {
				t.Fatalf("want the site's add and its role scope's, the other site's removal and its role scope's:\n%s", render(p))
			}
			if !strings.Contains(strings.Join(addSite.Permissions, " "), "Sites.FullControl.All") {
				t.Errorf("adding a site does not list Sites.FullControl.All: %v", addSite.Permissions)
			}
			if !contains(rmSince.DependsOn, rmRole.ID) {
				t.Errorf("the site added since is removed before the role scope naming it:\n%s", render(p))
			}
			if out := render(p); strings.Contains(out, "\u202e") {
				t.Errorf("the rendered plan holds a raw RTL override:\n%s", out)
			}
			if o.Throttle != "" {
				e.applyUntilComplete(t, plan)
			} else if r := e.apply(p); !r.Complete() {
				t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
			}
			now := e.resourcesOf(cat)
			if now[site] == nil || now[since] != nil || len(now) != len(wantRes) {
				t.Errorf("catalog resources after the restore: %v", now)
			}
			if got := e.roleScopesOf(pkg); sortedJoin(got) != sortedJoin(wantScopes) {
				t.Errorf("Finance tools grants %v, want %v", got, wantScopes)
			}
			e.mustBeEmptyAt(rev, sel)
		})
	}
}
