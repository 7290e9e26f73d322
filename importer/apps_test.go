package importer

import (
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
)

// appNamed finds a demo application by the end of its display name.
func (e *env) appNamed(suffix string) map[string]any {
	e.t.Helper()
	for _, a := range e.list("/v1.0/applications") {
		if strings.HasSuffix(str(a["displayName"]), suffix) {
			return a
		}
	}
	e.t.Fatalf("no application named *%s", suffix)
	return nil
}

func (e *env) spOf(appID string) map[string]any {
	e.t.Helper()
	for _, s := range e.list("/v1.0/servicePrincipals") {
		if strings.EqualFold(str(s["appId"]), appID) {
			return s
		}
	}
	e.t.Fatalf("no service principal for %s", appID)
	return nil
}

func copyMap(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Graph refuses to change or remove an enabled app role or scope: the plan
// disables them first (everything else as live), then writes the snapshot's.
func TestRestoreChangedAppRolesAndScopesDisablesThemFirst(t *testing.T) {
	whenShortOnly(t, "applications")
	e := newEnv(t, graphsim.Options{}, nil)
	hr := e.appNamed("HR Portal")
	api := e.appNamed("Inventory API")
	hid, aid := str(hr["id"]), str(api["id"])
	// The incident: HR.Admin renamed and a rogue role added (each change
	// made the only way Graph allows), a scope of the API reworded.
	roles := asSlice(hr["appRoles"])
	var off, renamed []any
	for _, r := range roles {
		m := copyMap(r.(map[string]any))
		n := copyMap(m)
		if m["value"] == "HR.Admin" {
			m["isEnabled"] = false
			n["displayName"] = "HR owner"
		}
		off, renamed = append(off, m), append(renamed, n)
	}
	rogue := map[string]any{"id": "7a7a7a7a-0000-4000-8000-000000000001", "allowedMemberTypes": []any{"Application"}, "displayName": "Everything",
		"description": "x", "value": "HR.Everything", "isEnabled": true}
	e.do("PATCH", "/v1.0/applications/"+hid, map[string]any{"appRoles": off})
	e.do("PATCH", "/v1.0/applications/"+hid, map[string]any{"appRoles": append(renamed, rogue)})
	apiObj := copyMap(api["api"].(map[string]any))
	scopes := asSlice(apiObj["oauth2PermissionScopes"])
	var soff, sre []any
	for i, sc := range scopes {
		m := copyMap(sc.(map[string]any))
		n := copyMap(m)
		if i == 0 {
			m["isEnabled"] = false
			n["adminConsentDisplayName"] = "Read all the inventory"
		}
		soff, sre = append(soff, m), append(sre, n)
	}
	a1, a2 := copyMap(apiObj), copyMap(apiObj)
	a1["oauth2PermissionScopes"], a2["oauth2PermissionScopes"] = soff, sre
	e.do("PATCH", "/v1.0/applications/"+aid, map[string]any{"api": a1})
	e.do("PATCH", "/v1.0/applications/"+aid, map[string]any{"api": a2})
	e.recordIncident()

	sel := []string{hid, aid}
	p := e.plan(e.first, sel, Options{})
	if opList(p) != "update,update,update,update" {
		t.Fatalf("want a disabling PATCH before each PATCH:\n%s", render(p))
	}
	for _, pre := range []int{0, 2} {
		a, next := p.Actions[pre], p.Actions[pre+1]
		if !contains(next.DependsOn, a.ID) || !strings.Contains(strings.Join(a.Warnings, " "), "only once it is disabled") {
			t.Errorf("action %s does not come before %s:\n%s", a.ID, next.ID, render(p))
		}
	}
	if !strings.Contains(render(p), "disabled: HR.Admin, HR.Everything") {
		t.Errorf("the plan does not say what it disables:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v", res.Actions, res.Differences)
	}
	got := e.get("/v1.0/applications/" + hid)
	if n := len(asSlice(got["appRoles"])); n != 2 {
		t.Errorf("app roles after the restore: %v", got["appRoles"])
	}
	for _, r := range asSlice(got["appRoles"]) {
		if m := r.(map[string]any); m["isEnabled"] != true || m["displayName"] == "HR owner" {
			t.Errorf("role not as at REV: %v", m)
		}
	}
	e.checkRecorded(res, hid)
	e.mustBeEmpty(sel, Options{})
}

// A recreated application gets a new appId: its api://{old appId} URI is
// set to api://{new appId} after the create (Graph refuses another GUID).
func TestRecreatedAppGetsIdentifierURIWithItsNewAppID(t *testing.T) {
	whenShortOnly(t, "applications", "group-assignment-schedules", "groups", "service-principals", "time-bound-role-assignments")
	e := newEnv(t, graphsim.Options{}, nil)
	api := e.appNamed("Inventory API")
	aid, oldAppID := str(api["id"]), str(api["appId"])
	if !containsFold(asSlice(api["identifierUris"]), "api://"+oldAppID) {
		t.Fatalf("demo API has no api://{appId}: %v", api["identifierUris"])
	}
	e.do("DELETE", "/v1.0/applications/"+aid, nil)
	e.sim.Clock().Advance(31 * 24 * time.Hour) // purged
	e.recordIncident()
	sel := []string{aid}
	p := e.plan(e.first, sel, Options{})
	if opList(p)[:len("create,update")] != "create,update" {
		t.Fatalf("plan:\n%s", render(p))
	}
	if strings.Contains(string(p.Actions[0].Request.Body), oldAppID) {
		t.Errorf("the create still sends the old appId: %s", p.Actions[0].Request.Body)
	}
	set := p.Actions[1]
	if !strings.Contains(string(set.Request.Body), "api://"+p.Actions[0].AppIDPlaceholder) || !contains(set.DependsOn, p.Actions[0].ID) ||
		!strings.Contains(render(p), "named the old application (client) id") {
		t.Errorf("identifier URI not rewritten:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v", res.Actions, res.Differences)
	}
	newID, _ := res.IDs.Resolve(aid)
	newAppID, _ := res.IDs.ResolveAppID(oldAppID)
	got := e.get("/v1.0/applications/" + newID)
	if uris := asSlice(got["identifierUris"]); len(uris) != 1 || uris[0] != "api://"+newAppID {
		t.Errorf("identifierUris %v, want api://%s", uris, newAppID)
	}
	e.mustBeEmpty(sel, Options{})
}

// A recreated daemon gets back its application permissions, which live on
// Microsoft Graph's (and the API's) service principal, not in its own file.
func TestRecreatedClientGetsItsApplicationPermissionsBack(t *testing.T) {
	whenShortOnly(t, "applications", "group-assignment-schedules", "groups", "role-assignments", "service-principals", "time-bound-role-assignments")
	e := newEnv(t, graphsim.Options{}, nil)
	app := e.appNamed("Nightly Sync")
	aid, oldAppID := str(app["id"]), str(app["appId"])
	sp := e.spOf(oldAppID)
	spID := str(sp["id"])
	held := e.list("/v1.0/servicePrincipals/" + spID + "/appRoleAssignments")
	if len(held) < 3 {
		t.Fatalf("the demo daemon holds %d application permissions", len(held))
	}
	e.do("DELETE", "/v1.0/applications/"+aid, nil) // its service principal goes too
	e.sim.Clock().Advance(31 * 24 * time.Hour)
	e.recordIncident()
	sel := []string{aid, spID}
	p := e.plan(e.first, sel, Options{})
	grants := 0
	for _, a := range p.Actions {
		if a.Relationship == "appRoleAssignments" {
			grants++
			if !strings.Contains(string(a.Request.Body), "{{new:"+spID+"}}") || !strings.HasSuffix(a.Request.Path, "/appRoleAssignedTo") {
				t.Errorf("grant %+v", a)
			}
		}
	}
	if grants != len(held) {
		t.Fatalf("%d application permissions planned, want %d:\n%s", grants, len(held), render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v", res.Actions, res.Differences)
	}
	newSP, _ := res.IDs.Resolve(spID)
	now := e.list("/v1.0/servicePrincipals/" + newSP + "/appRoleAssignments")
	if len(now) != len(held) {
		t.Errorf("the new service principal holds %d application permissions, want %d", len(now), len(held))
	}
	for _, h := range held {
		found := false
		for _, n := range now {
			found = found || str(n["resourceId"]) == str(h["resourceId"]) && str(n["appRoleId"]) == str(h["appRoleId"])
		}
		if !found {
			t.Errorf("missing %v on %v", h["appRoleId"], h["resourceDisplayName"])
		}
	}
	e.mustBeEmpty(sel, Options{})
}

// Managed identities and Microsoft's service principals are never written:
// the plan lists them as managed by Azure / Microsoft.
func TestManagedIdentitiesAndMicrosoftServicePrincipalsAreNeverWritten(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	// Appearing after the snapshot: a whole-kind restore would delete them.
	mi, err := e.sim.Tenant().Seed("servicePrincipal", map[string]any{"appId": "0d0d0d0d-0000-4000-8000-000000000001", "displayName": "vm-backup",
		"servicePrincipalType": "ManagedIdentity", "accountEnabled": true, "tags": []any{}, "servicePrincipalNames": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := e.sim.Tenant().Seed("servicePrincipal", map[string]any{"appId": "0e0e0e0e-0000-4000-8000-000000000001", "displayName": "Microsoft Tool",
		"servicePrincipalType": "Application", "appOwnerOrganizationId": "72f988bf-86f1-41af-91ab-2d7cd011db47", "accountEnabled": true, "tags": []any{}, "servicePrincipalNames": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	p := e.plan(e.first, []string{"service-principals"}, Options{})
	for _, a := range p.Actions {
		if strings.EqualFold(a.Key, mi) || strings.EqualFold(a.Key, ms) {
			t.Errorf("plans a write to a service principal Graph does not let the tenant write: %+v", a)
		}
	}
	by := map[string]string{}
	for _, m := range p.Managed {
		by[strings.ToLower(m.Key)] = m.By
	}
	if by[mi] != "Azure" || by[ms] != "Microsoft" {
		t.Errorf("managed %+v", p.Managed)
	}
	if r := render(p); !strings.Contains(r, "Managed elsewhere") || !strings.Contains(r, "vm-backup") {
		t.Errorf("render:\n%s", r)
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v", res.Actions)
	}
	if _, ok := e.sim.Tenant().Get("servicePrincipal", mi); !ok {
		t.Error("the managed identity was deleted")
	}
}

func TestManagedServicePrincipalInSnapshotIsNotPatched(t *testing.T) {
	mi := func(tags ...string) *Object {
		return obj(t, "service-principals", sp1, map[string]any{"displayName": "vm", "appId": "0d0d0d0d-0000-4000-8000-000000000001",
			"servicePrincipalType": "ManagedIdentity", "accountEnabled": true, "tags": strs(tags...)})
	}
	p := compute(t, input([]*Object{mi("a")}, []*Object{mi("b")}, nil))
	if !p.Empty() || len(p.Managed) != 1 || p.Managed[0].By != "Azure" {
		t.Errorf("%s %+v", opList(p), p.Managed)
	}
}
