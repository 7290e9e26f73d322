package importer

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Planning with plain values: no Graph, no git.

const (
	gA   = "aaaaaaaa-0000-4000-8000-000000000001"
	gB   = "bbbbbbbb-0000-4000-8000-000000000002"
	uA   = "11111111-0000-4000-8000-000000000001"
	uB   = "22222222-0000-4000-8000-000000000002"
	uC   = "33333333-0000-4000-8000-000000000003"
	pA   = "cccccccc-0000-4000-8000-000000000001"
	pB   = "cccccccc-0000-4000-8000-000000000002"
	locA = "dddddddd-0000-4000-8000-000000000001"
	locB = "dddddddd-0000-4000-8000-000000000002"
	app1 = "eeeeeeee-0000-4000-8000-000000000001"
	sp1  = "ffffffff-0000-4000-8000-000000000001"
	sp2  = "ffffffff-0000-4000-8000-000000000002"
)

// obj builds an object as it is read from a file (canonical form).
func obj(t *testing.T, kind, key string, data map[string]any) *Object {
	t.Helper()
	k, ok := layout.Lookup(kind)
	if !ok {
		t.Fatalf("no kind %s", kind)
	}
	if !k.Singleton {
		data[k.KeyProp()] = key
	} else {
		key = k.Name
	}
	clean, err := layout.Decode(layout.Canonical(k, data))
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.Path(k, data)
	if err != nil {
		t.Fatal(err)
	}
	return &Object{Path: p, Kind: k, Key: key, Data: clean}
}

func refs(ids ...string) []any {
	out := []any{}
	for _, id := range ids {
		out = append(out, map[string]any{"@odata.type": "#microsoft.graph.user", "id": id})
	}
	return out
}

func strs(s ...string) []any {
	out := []any{}
	for _, x := range s {
		out = append(out, x)
	}
	return out
}

// input makes an Input whose live kinds are those of desired and live.
func input(desired []*Object, live []*Object, mutate func(*Input)) *Input {
	in := &Input{TenantID: "t", Rev: "snapshot/1", Commit: "c0ffee", Selectors: []string{"test"}, Desired: desired,
		Live: map[string]map[string]*Object{}, Deleted: map[string]*Object{}, Refs: map[string]RefState{},
		Now: time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC)}
	for _, o := range append(append([]*Object(nil), desired...), live...) {
		if in.Live[o.Kind.Name] == nil {
			in.Live[o.Kind.Name] = map[string]*Object{}
		}
	}
	for _, o := range live {
		in.Live[o.Kind.Name][strings.ToLower(o.Key)] = o
	}
	if mutate != nil {
		mutate(in)
	}
	return in
}

func compute(t *testing.T, in *Input) *Plan {
	t.Helper()
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func bodyOf(t *testing.T, a Action) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.Request.Body, &m); err != nil {
		t.Fatalf("body of %s: %v", a.ID, err)
	}
	return m
}

func keysOf(m map[string]any) string {
	return strings.Join(sortedKeys(m), ",")
}

func group(t *testing.T, id, name string, members ...string) *Object {
	return obj(t, "groups", id, map[string]any{"displayName": name, "mailNickname": strings.ToLower(strings.ReplaceAll(name, " ", "")),
		"securityEnabled": true, "mailEnabled": false, "groupTypes": strs(), "description": "d",
		"createdDateTime": "2024-01-01T00:00:00Z", "securityIdentifier": "S-1", "isAssignableToRole": false,
		"members": refs(members...), "owners": refs()})
}

func policy(t *testing.T, id, name, state string, excludeGroups []any, locations []any) *Object {
	return obj(t, "conditional-access-policies", id, map[string]any{"displayName": name, "state": state,
		"createdDateTime": "2024-01-01T00:00:00Z",
		"conditions": map[string]any{
			"users":        map[string]any{"includeUsers": strs("All"), "excludeUsers": strs(), "excludeGroups": excludeGroups},
			"applications": map[string]any{"includeApplications": strs("All")},
			"locations":    map[string]any{"includeLocations": locations, "excludeLocations": strs()},
		},
		"grantControls": map[string]any{"operator": "OR", "builtInControls": strs("mfa")}})
}

func TestUpdateSendsChangedWritablePropertiesWhole(t *testing.T) {
	want := obj(t, "applications", app1, map[string]any{"displayName": "HR", "appId": "9a", "createdDateTime": "2024-01-01T00:00:00Z",
		"publisherDomain": "contoso.com", "signInAudience": "AzureADMyOrg",
		"web": map[string]any{"homePageUrl": "https://hr", "redirectUris": strs("https://hr/a", "https://hr/b")}})
	live := obj(t, "applications", app1, map[string]any{"displayName": "HR", "appId": "9a", "createdDateTime": "2025-01-01T00:00:00Z",
		"publisherDomain": "evil.example", "signInAudience": "AzureADMyOrg",
		"web": map[string]any{"homePageUrl": "https://hr", "redirectUris": strs("https://evil/cb")}})
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if len(p.Actions) != 1 || p.Actions[0].Op != OpUpdate || p.Actions[0].Request.Method != "PATCH" {
		t.Fatalf("actions %+v", p.Actions)
	}
	b := bodyOf(t, p.Actions[0])
	if keysOf(b) != "web" {
		t.Errorf("PATCH sends %s, want web only (read-only publisherDomain and createdDateTime never)", keysOf(b))
	}
	if web := b["web"].(map[string]any); web["homePageUrl"] != "https://hr" || len(asSlice(web["redirectUris"])) != 2 {
		t.Errorf("web not sent whole: %v", web)
	}
	var buf bytes.Buffer
	_ = p.Render(&buf, RenderOptions{})
	for _, s := range []string{`web.redirectUris: + "https://hr/a"`, `web.redirectUris: - "https://evil/cb"`, "~ update HR", "Plan: 1 to update."} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("render lacks %q:\n%s", s, buf.String())
		}
	}
	if p.Live["applications/"+app1] != fingerprint(live.Data) {
		t.Errorf("fingerprints %v", p.Live)
	}
}

func TestUnchangedTenantPlansNothing(t *testing.T) {
	g := group(t, gA, "Finance", uA)
	p := compute(t, input([]*Object{g}, []*Object{group(t, gA, "Finance", uA)}, nil))
	if !p.Empty() || p.Summary() != "nothing to do" {
		t.Errorf("plan %+v", p.Actions)
	}
}

func TestCreateOnlyAndSyncedPropertiesAreNotPatched(t *testing.T) {
	g := group(t, gA, "Admins")
	g.Data["isAssignableToRole"] = true
	p := compute(t, input([]*Object{g}, []*Object{group(t, gA, "Admins")}, nil))
	if !p.Empty() || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "isAssignableToRole") {
		t.Errorf("create-only: %+v %v", p.Actions, p.Warnings)
	}

	u := obj(t, "users", uA, map[string]any{"userPrincipalName": "a@contoso.com", "displayName": "A", "usageLocation": "FR", "jobTitle": "CFO", "onPremisesSyncEnabled": true})
	lu := obj(t, "users", uA, map[string]any{"userPrincipalName": "a@contoso.com", "displayName": "A", "usageLocation": "DE", "jobTitle": "Clerk", "onPremisesSyncEnabled": true})
	p = compute(t, input([]*Object{u}, []*Object{lu}, nil))
	if len(p.Actions) != 1 || keysOf(bodyOf(t, p.Actions[0])) != "usageLocation" {
		t.Fatalf("synced user: %+v", p.Actions)
	}
	if w := strings.Join(p.Actions[0].Warnings, " "); !strings.Contains(w, "jobTitle") || !strings.Contains(w, "on-premises") {
		t.Errorf("warnings %q", w)
	}
}

func TestConditionalAccessStateSafety(t *testing.T) {
	pol := func(state string) *Object { return policy(t, pA, "Require MFA", state, strs(), strs()) }
	// Gone: created in report-only, or as it was with --ca-state as-is.
	for _, tc := range []struct {
		opt  CAState
		want string
	}{{"", caReportOnly}, {CAStateAsIs, "enabled"}} {
		p := compute(t, input([]*Object{pol("enabled")}, nil, func(in *Input) { in.Options.CAState = tc.opt }))
		if len(p.Actions) != 1 || p.Actions[0].Op != OpCreate {
			t.Fatalf("%+v", p.Actions)
		}
		b := bodyOf(t, p.Actions[0])
		if b["state"] != tc.want || b["id"] != nil || b["createdDateTime"] != nil {
			t.Errorf("--ca-state %q: body %v", tc.opt, b)
		}
		if (tc.opt == "") != strings.Contains(strings.Join(p.Actions[0].Warnings, " "), "report-only") {
			t.Errorf("--ca-state %q: warnings %v", tc.opt, p.Actions[0].Warnings)
		}
	}
	// Disabled now, enabled at REV: re-enabled in report-only.
	p := compute(t, input([]*Object{pol("enabled")}, []*Object{pol("disabled")}, nil))
	if b := bodyOf(t, p.Actions[0]); b["state"] != caReportOnly {
		t.Errorf("re-enable: %v", b)
	}
	// Enabled now and at REV: the state is not touched.
	live := pol("enabled")
	live.Data["displayName"] = "renamed"
	p = compute(t, input([]*Object{pol("enabled")}, []*Object{live}, nil))
	if b := bodyOf(t, p.Actions[0]); keysOf(b) != "displayName" {
		t.Errorf("rename: %v", b)
	}
	// In report-only now: nothing to do, said once.
	p = compute(t, input([]*Object{pol("enabled")}, []*Object{pol(caReportOnly)}, nil))
	if !p.Empty() || len(p.Warnings) != 1 {
		t.Errorf("report-only kept: %+v %v", p.Actions, p.Warnings)
	}
}

func TestBreakGlassIsNeverRemovedFromExclusions(t *testing.T) {
	want := policy(t, pA, "Require MFA", "enabled", strs(), strs())
	live := policy(t, pA, "Require MFA", "enabled", strs(gB), strs())
	live.Data["conditions"].(map[string]any)["users"].(map[string]any)["excludeUsers"] = strs(uC)
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if b := bodyOf(t, p.Actions[0]); len(asSlice(dig(b, "conditions", "users", "excludeUsers"))) != 0 {
		t.Fatalf("without break-glass: %v", b)
	}
	p = compute(t, input([]*Object{want}, []*Object{live}, func(in *Input) { in.BreakGlass = map[string]bool{uC: true} }))
	b := bodyOf(t, p.Actions[0])
	if ex := asSlice(dig(b, "conditions", "users", "excludeUsers")); len(ex) != 1 || ex[0] != uC {
		t.Errorf("break-glass user dropped: %v", b)
	}
	if ex := asSlice(dig(b, "conditions", "users", "excludeGroups")); len(ex) != 0 {
		t.Errorf("non-break-glass group kept: %v", ex)
	}
	if !strings.Contains(strings.Join(p.Actions[0].Warnings, " "), "break-glass") {
		t.Errorf("no warning: %v", p.Actions[0].Warnings)
	}
}

func TestGoneObjectIsCreatedAndReferencesRemapped(t *testing.T) {
	g := group(t, gA, "Break glass", uA)
	pol := policy(t, pA, "Require MFA", "enabled", strs(gA), strs())
	other := policy(t, pB, "Other", "enabled", strs(gA), strs())
	other.Data["conditions"].(map[string]any)["users"].(map[string]any)["includeGroups"] = strs(gA) // named twice: one object
	in := input([]*Object{g, pol}, []*Object{pol}, func(in *Input) {
		in.Others = []*Object{other}
		in.Options.CAState = CAStateAsIs
	})
	in.Live["groups"] = map[string]*Object{}
	p := compute(t, in)
	if opList(p) != "create,add-link,update" {
		t.Fatalf("ops %s\n%s", opList(p), render(p))
	}
	create, link, upd := p.Actions[0], p.Actions[1], p.Actions[2]
	b := bodyOf(t, create)
	if create.Placeholder != "{{new:"+gA+"}}" || b["id"] != nil || b["members"] != nil || b["securityIdentifier"] != nil || b["isAssignableToRole"] != false {
		t.Errorf("create %s body %v", create.Placeholder, b)
	}
	if !strings.Contains(link.Request.Path, create.Placeholder) || link.DependsOn[0] != create.ID {
		t.Errorf("member add %+v", link)
	}
	if ex := asSlice(dig(bodyOf(t, upd), "conditions", "users", "excludeGroups")); len(ex) != 1 || ex[0] != create.Placeholder || upd.DependsOn[0] != create.ID {
		t.Errorf("policy not remapped: %+v", upd)
	}
	if len(p.References) != 2 || p.References[0].Key != pB || p.References[1].Key != pB || !strings.Contains(strings.Join(create.Warnings, " "), "1 object not being restored") {
		t.Errorf("reference from a policy not restored: %+v %v", p.References, create.Warnings)
	}
	if p.Live["groups/"+gA] != fpAbsent {
		t.Errorf("fingerprint %v", p.Live)
	}

	// With the id map of that restore, the snapshot and the tenant agree.
	newG := group(t, gB, "Break glass", uA)
	newPol := policy(t, pA, "Require MFA", "enabled", strs(gB), strs())
	ids := NewIDMap()
	ids.Add("groups", gA, gB, "")
	p = compute(t, input([]*Object{g, pol}, []*Object{newG, newPol}, func(in *Input) { in.IDMap = ids; in.Options.CAState = CAStateAsIs }))
	if !p.Empty() {
		t.Errorf("second plan:\n%s", render(p))
	}
}

func TestRecycleBinRestoreThenPatch(t *testing.T) {
	g := group(t, gA, "Finance", uA)
	bin := group(t, gA, "Finance")
	bin.Data["description"] = "changed before it was deleted"
	delete(bin.Data, "members")
	delete(bin.Data, "owners")
	in := input([]*Object{g}, nil, func(in *Input) { in.Deleted[gA] = bin })
	p := compute(t, in)
	if opList(p) != "restore-from-deleted,update,add-link" {
		t.Fatalf("%s\n%s", opList(p), render(p))
	}
	if p.Actions[0].Request.Path != "/v1.0/directory/deletedItems/"+gA+"/restore" || p.Actions[1].DependsOn[0] != "1" || !p.Actions[2].Ensure {
		t.Errorf("%+v", p.Actions)
	}
	if !strings.HasPrefix(p.Live["groups/"+gA], "deleted:sha256:") {
		t.Errorf("fingerprint %v", p.Live)
	}
}

func TestMembershipAddsRemovalsAndNoRemove(t *testing.T) {
	want := group(t, gA, "Finance", uA, uB)
	live := group(t, gA, "Finance", uB, uC)
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if opList(p) != "add-link,remove-link" || !p.Actions[1].Removal || p.Actions[1].Request.Path != "/v1.0/groups/"+gA+"/members/"+uC+"/$ref" {
		t.Fatalf("%+v", p.Actions)
	}
	if b := bodyOf(t, p.Actions[0]); b["@odata.id"] != "{{graph}}/v1.0/directoryObjects/"+uA {
		t.Errorf("add body %v", b)
	}
	p = compute(t, input([]*Object{want}, []*Object{live}, func(in *Input) { in.Options.NoRemove = true }))
	if opList(p) != "add-link" || len(p.Kept) != 1 || p.Kept[0].Target != uC {
		t.Errorf("--no-remove: %+v %+v", p.Actions, p.Kept)
	}
	// A member that no longer exists is not added back, and the plan says so.
	p = compute(t, input([]*Object{want}, []*Object{live}, func(in *Input) { in.Refs[uA] = RefGone }))
	if opList(p) != "remove-link" || !strings.Contains(strings.Join(p.Warnings, " "), "no longer exists") {
		t.Errorf("gone member: %+v %v", p.Actions, p.Warnings)
	}
}

func TestWholeKindDeletesWhatWasNotThere(t *testing.T) {
	loc := obj(t, "named-locations", locA, map[string]any{"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "HQ"})
	extraLoc := obj(t, "named-locations", locB, map[string]any{"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "New"})
	pol := policy(t, pA, "P", "enabled", strs(), strs(locA))
	extraPol := policy(t, pB, "Uses new", "enabled", strs(), strs(locB))
	in := input([]*Object{loc, pol}, []*Object{loc, extraLoc, pol, extraPol}, func(in *Input) {
		in.Selection.Kinds = []string{"named-locations", "conditional-access-policies"}
	})
	p := compute(t, in)
	if opList(p) != "delete,delete" || p.Actions[0].Key != pB || p.Actions[1].Key != locB {
		t.Fatalf("%s\n%s", opList(p), render(p))
	}
	if !contains(p.Actions[1].DependsOn, p.Actions[0].ID) {
		t.Errorf("the location is deleted before the policy naming it: %+v", p.Actions[1])
	}
	if len(p.Live) != 4 {
		t.Errorf("fingerprints %v", p.Live)
	}
	in.Options.NoRemove = true
	p = compute(t, in)
	if !p.Empty() || len(p.Kept) != 2 {
		t.Errorf("--no-remove: %+v %+v", p.Actions, p.Kept)
	}
}

func TestNamedLocationsComeBackBeforePolicies(t *testing.T) {
	loc := obj(t, "named-locations", locA, map[string]any{"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "HQ"})
	pol := policy(t, pA, "P", "disabled", strs(), strs(locA))
	in := input([]*Object{pol, loc}, nil, func(in *Input) {
		in.Deleted[locA] = loc
		in.Deleted[pA] = pol
	})
	p := compute(t, in)
	if opList(p) != "restore-from-deleted,restore-from-deleted" || p.Actions[0].Kind != "named-locations" || !contains(p.Actions[1].DependsOn, "1") {
		t.Errorf("%s %+v", opList(p), p.Actions)
	}
}

func TestBuiltInAndCredentials(t *testing.T) {
	role := obj(t, "role-definitions", gA, map[string]any{"displayName": "Global Administrator", "isBuiltIn": true, "description": "x"})
	liveRole := obj(t, "role-definitions", gA, map[string]any{"displayName": "Global Administrator", "isBuiltIn": true, "description": "y"})
	app := obj(t, "applications", app1, map[string]any{"displayName": "HR", "appId": "9a",
		"passwordCredentials": []any{map[string]any{"keyId": "k1", "displayName": "ci", "endDateTime": "2027-01-01T00:00:00Z"}}})
	liveApp := obj(t, "applications", app1, map[string]any{"displayName": "HR", "appId": "9a", "passwordCredentials": []any{}})
	p := compute(t, input([]*Object{role, app}, []*Object{liveRole, liveApp}, nil))
	if !p.Empty() || p.BuiltIn != 1 {
		t.Errorf("built-in written: %+v", p.Actions)
	}
	if len(p.Credentials) != 1 || p.Credentials[0].KeyID != "k1" || p.Credentials[0].Type != "client secret" {
		t.Errorf("credentials %+v", p.Credentials)
	}
	var buf bytes.Buffer
	_ = p.Render(&buf, RenderOptions{})
	if !strings.Contains(buf.String(), "Credentials to re-issue") || !strings.Contains(buf.String(), `client secret "ci"`) {
		t.Errorf("render:\n%s", buf.String())
	}
}

func TestAssignmentsGrantsAndRolesMatchByMeaning(t *testing.T) {
	sp := func(scope string, assigned ...string) *Object {
		var at []any
		for i, pr := range assigned {
			at = append(at, map[string]any{"id": "assign" + pr + string(rune('a'+i)), "principalId": pr, "appRoleId": "role1", "principalType": "User", "createdDateTime": "2024"})
		}
		return obj(t, "service-principals", sp1, map[string]any{"displayName": "HR", "appId": "9a", "appRoleAssignedTo": at,
			"oauth2PermissionGrants": []any{map[string]any{"id": "grant1", "consentType": "AllPrincipals", "principalId": nil, "resourceId": sp2, "scope": scope}}})
	}
	want := sp("openid profile", uA, uB)
	live := sp("openid profile Directory.ReadWrite.All", uB, uC)
	live.Data["appRoleAssignedTo"].([]any)[0].(map[string]any)["id"] = "a-new-id"
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if opList(p) != "add-child,update,remove-child" {
		t.Fatalf("%s\n%s", opList(p), render(p))
	}
	if b := bodyOf(t, p.Actions[0]); b["principalId"] != uA || b["resourceId"] != sp1 || b["appRoleId"] != "role1" {
		t.Errorf("add %v", b)
	}
	if p.Actions[1].Request.Path != "/v1.0/oauth2PermissionGrants/grant1" || keysOf(bodyOf(t, p.Actions[1])) != "scope" {
		t.Errorf("grant update %+v", p.Actions[1])
	}
	if !strings.HasPrefix(p.Actions[2].Request.Path, "/v1.0/servicePrincipals/"+sp1+"/appRoleAssignedTo/") || !p.Actions[2].Removal {
		t.Errorf("remove %+v", p.Actions[2])
	}

	ra := func(id string) *Object {
		return obj(t, "role-assignments", id, map[string]any{"roleDefinitionId": gA, "principalId": uA, "directoryScopeId": "/", "principalOrganizationId": "t", "resourceScope": "/"})
	}
	p = compute(t, input([]*Object{ra("old-id")}, []*Object{ra("new-id")}, nil))
	if !p.Empty() {
		t.Errorf("role assignment with a new id: %+v", p.Actions)
	}
	// (an eligibility for another role: one for the same role would make the
	// assignment look like its PIM activation, roles.go)
	el := obj(t, "role-eligibility-schedules", "el1", map[string]any{"roleDefinitionId": gB, "principalId": uA, "directoryScopeId": "/", "status": "Provisioned",
		"scheduleInfo": map[string]any{"startDateTime": "2026-01-01T00:00:00Z"}})
	p = compute(t, input([]*Object{ra("old-id"), el}, nil, nil))
	if opList(p) != "create,create" {
		t.Fatalf("%s", opList(p))
	}
	if b := bodyOf(t, p.Actions[0]); p.Actions[0].Request.Path != "/v1.0/roleManagement/directory/roleAssignments" || keysOf(b) != "directoryScopeId,principalId,roleDefinitionId" {
		t.Errorf("role assignment create %s %v", p.Actions[0].Request.Path, b)
	}
	if b := bodyOf(t, p.Actions[1]); p.Actions[1].Request.Path != "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests" || b["action"] != "adminAssign" || b["scheduleInfo"] == nil {
		t.Errorf("eligibility create %s %v", p.Actions[1].Request.Path, b)
	}
	other := obj(t, "role-eligibility-schedules", "el2", map[string]any{"roleDefinitionId": gB, "principalId": uB, "directoryScopeId": "/"})
	p = compute(t, input(nil, []*Object{other}, func(in *Input) { in.Selection.Kinds = []string{"role-eligibility-schedules"} }))
	if opList(p) != "delete" || bodyOf(t, p.Actions[0])["action"] != "adminRemove" || p.Actions[0].Request.Method != "POST" {
		t.Errorf("eligibility removal %+v", p.Actions)
	}
}

func TestPlanRoundTripsAsJSON(t *testing.T) {
	want := group(t, gA, "Finance", uA)
	live := group(t, gA, "Finance")
	p := compute(t, input([]*Object{want}, []*Object{live, obj(t, "users", uA, map[string]any{"displayName": "Ann", "userPrincipalName": "ann@contoso.com"})}, nil))
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := q.Encode()
	if !bytes.Equal(data, again) {
		t.Errorf("round trip differs:\n%s\n%s", data, again)
	}
	var a, b bytes.Buffer
	_ = p.Render(&a, RenderOptions{})
	_ = q.Render(&b, RenderOptions{})
	if a.String() != b.String() || !strings.Contains(a.String(), "Ann (11111111…)") {
		t.Errorf("render from JSON differs or lacks names:\n%s\n%s", a.String(), b.String())
	}
	var v map[string]any
	_ = json.Unmarshal(data, &v)
	v["format"] = FormatFiles + 1 // the newest format known is that of plans from files
	newer, _ := json.Marshal(v)
	if _, err := Decode(newer); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("newer format: %v", err)
	}
	v["format"] = FormatFiles // a plan from files without its files source
	odd, _ := json.Marshal(v)
	if _, err := Decode(odd); !errors.Is(err, ErrNotAPlan) {
		t.Errorf("format %d without files: %v", FormatFiles, err)
	}
	if _, err := Decode([]byte(`{"hello":1}`)); !errors.Is(err, ErrNotAPlan) {
		t.Errorf("not a plan: %v", err)
	}
}

func TestIDMap(t *testing.T) {
	m := NewIDMap()
	m.Add("groups", gA, gB, "snapshot/1 (abc)")
	m.Add("groups", gB, "cafe0000-0000-4000-8000-000000000000", "snapshot/2 (def)")
	m.AddAppID("old-app", "new-app")
	if n, ok := m.Resolve(strings.ToUpper(gA)); !ok || n != "cafe0000-0000-4000-8000-000000000000" {
		t.Errorf("resolve chain: %s %v", n, ok)
	}
	if n, ok := m.Resolve(uA); ok || n != uA {
		t.Errorf("resolve unknown: %s %v", n, ok)
	}
	back, err := DecodeIDMap(m.Encode())
	if err != nil || back.Len() != 3 || back.IDs[gA].Restore != "snapshot/1 (abc)" || back.AppIDs["old-app"] != "new-app" {
		t.Errorf("round trip: %v %+v", err, back)
	}
	if !bytes.Equal(back.Encode(), m.Encode()) {
		t.Error("encoding is not stable")
	}
}

func jwt(claims map[string]any) string {
	b, _ := json.Marshal(claims)
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(b) + ".sig"
}

func TestPermissionCheck(t *testing.T) {
	p := &Plan{Actions: []Action{
		{ID: "1", Permissions: []string{"Policy.ReadWrite.ConditionalAccess"}},
		{ID: "2", Permissions: []string{"GroupMember.ReadWrite.All|Group.ReadWrite.All|Directory.ReadWrite.All"}},
	}}
	if err := CheckPermissions(p, "opaque-token"); err != nil {
		t.Errorf("opaque token checked: %v", err)
	}
	err := CheckPermissions(p, jwt(map[string]any{"appid": "x", "roles": []string{"Policy.Read.All", "Group.Read.All"}}))
	var pe *PermissionError
	if !errors.As(err, &pe) || strings.Join(pe.Missing, ",") != "GroupMember.ReadWrite.All,Policy.ReadWrite.ConditionalAccess" {
		t.Errorf("read-only token: %v", err)
	}
	if err := CheckPermissions(p, jwt(map[string]any{"appid": "x", "roles": []string{"Policy.ReadWrite.ConditionalAccess", "Directory.ReadWrite.All"}})); err != nil {
		t.Errorf("enough permissions: %v", err)
	}
	if err := CheckPermissions(p, jwt(map[string]any{"appid": "x"})); !errors.As(err, &pe) || len(pe.Missing) != 2 {
		t.Errorf("token without roles: %v", err)
	}
}

func TestResolveSelectors(t *testing.T) {
	g := group(t, gA, "Finance", uA)
	g2 := group(t, gB, "Finance", uA)
	pol := policy(t, pA, "Require MFA", "enabled", strs(), strs())
	u := obj(t, "users", uA, map[string]any{"displayName": "Ann", "userPrincipalName": "ann@contoso.com"})
	snap := diff.Snapshot{g.Path: g, g2.Path: g2, pol.Path: pol, u.Path: u}
	cases := []struct {
		sel   []string
		kinds string
		paths []string
		err   string
	}{
		{sel: []string{pA}, paths: []string{pol.Path}},
		{sel: []string{pol.Path}, paths: []string{pol.Path}},
		{sel: []string{"conditional-access-policies/require mfa"}, paths: []string{pol.Path}},
		{sel: []string{"conditional-access/policies/Require MFA"}, paths: []string{pol.Path}},
		{sel: []string{"users/ann@contoso.com"}, paths: []string{u.Path}},
		{sel: []string{"conditional-access"}, kinds: "named-locations,authentication-contexts,conditional-access-policies"},
		{sel: []string{"groups", gA}, kinds: "groups"},
		{sel: []string{"groups/Finance"}, err: "names 2 objects"},
		{sel: []string{"groups/Nobody"}, err: `no groups named "Nobody"`},
		{sel: []string{"no-such-thing"}, err: "no object with this id"},
		{sel: nil, err: "selects nothing"},
	}
	for _, tc := range cases {
		sel, err := ResolveSelectors(snap, tc.sel, false)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.sel, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(sel.Kinds, ",") != tc.kinds || strings.Join(sel.Paths, ",") != strings.Join(tc.paths, ",") {
			t.Errorf("%v: %+v %v", tc.sel, sel, err)
		}
	}
	// --all: every kind but the opt-in ones the snapshot holds no file of
	// (per-user MFA: planning it reads every user's state for nothing).
	held := map[string]bool{}
	for _, o := range snap {
		held[o.Kind.Name] = true
	}
	var want []string
	for _, k := range layout.Kinds() {
		if k.OptIn == "" || held[k.Name] {
			want = append(want, k.Name)
		}
	}
	sel, err := ResolveSelectors(snap, nil, true)
	if err != nil || strings.Join(sel.Kinds, ",") != strings.Join(want, ",") || len(want) == len(layout.Kinds()) {
		t.Errorf("--all: %+v %v, want %v (no opt-in kind)", sel, err, want)
	}
}

func TestRecreatedApplicationServicePrincipalAndAppIDReferences(t *testing.T) {
	app := obj(t, "applications", app1, map[string]any{"displayName": "HR", "appId": "9a000000-0000-4000-8000-000000000001",
		"web": map[string]any{"redirectUris": strs("https://hr/cb")}, "publisherDomain": "contoso.com", "owners": refs(uA)})
	sp := obj(t, "service-principals", sp1, map[string]any{"displayName": "HR", "appId": "9a000000-0000-4000-8000-000000000001",
		"appOwnerOrganizationId": "t", "accountEnabled": true, "tags": strs(), "owners": refs()})
	pol := policy(t, pA, "HR needs MFA", "disabled", strs(), strs())
	pol.Data["conditions"].(map[string]any)["applications"].(map[string]any)["includeApplications"] = strs("9a000000-0000-4000-8000-000000000001")
	in := input([]*Object{app, sp, pol}, []*Object{pol}, nil)
	in.Live["applications"], in.Live["service-principals"] = map[string]*Object{}, map[string]*Object{}
	p := compute(t, in)
	if opList(p) != "create,add-link,update,create" {
		t.Fatalf("%s\n%s", opList(p), render(p))
	}
	appCreate, polUpdate, spCreate := p.Actions[0], p.Actions[2], p.Actions[3]
	if b := bodyOf(t, appCreate); b["appId"] != nil || b["publisherDomain"] != nil || b["web"] == nil || appCreate.AppIDPlaceholder == "" {
		t.Errorf("app create %v %q", b, appCreate.AppIDPlaceholder)
	}
	if b := bodyOf(t, spCreate); b["appId"] != appCreate.AppIDPlaceholder || !contains(spCreate.DependsOn, appCreate.ID) || b["appOwnerOrganizationId"] != nil {
		t.Errorf("service principal create %v deps %v", b, spCreate.DependsOn)
	}
	inc := asSlice(dig(bodyOf(t, polUpdate), "conditions", "applications", "includeApplications"))
	if len(inc) != 1 || inc[0] != appCreate.AppIDPlaceholder || !contains(polUpdate.DependsOn, appCreate.ID) {
		t.Errorf("policy not remapped to the new appId: %v %v", inc, polUpdate.DependsOn)
	}
	if !strings.Contains(strings.Join(appCreate.Warnings, " "), "new application (client) id") {
		t.Errorf("warnings %v", appCreate.Warnings)
	}
}

func TestEligibilityExpirationIsRestoredByAdminUpdate(t *testing.T) {
	el := func(id, end string) *Object {
		return obj(t, "role-eligibility-schedules", id, map[string]any{"roleDefinitionId": gA, "principalId": uA, "directoryScopeId": "/", "status": "Provisioned",
			"scheduleInfo": map[string]any{"startDateTime": "2026-01-01T00:00:00Z", "expiration": map[string]any{"type": "afterDateTime", "endDateTime": end}}})
	}
	sel := func(in *Input) { in.Selection.Kinds = []string{"role-eligibility-schedules"} }
	// Same expiration (another id, another start): nothing to do.
	if p := compute(t, input([]*Object{el("el1", "2027-01-01T00:00:00Z")}, []*Object{el("el9", "2027-01-01T00:00:00Z")}, sel)); !p.Empty() {
		t.Errorf("unchanged eligibility planned: %s", render(p))
	}
	// Shortened since the snapshot: one adminUpdate with the snapshot's
	// expiration, naming the live eligibility (no remove, no assign).
	p := compute(t, input([]*Object{el("el1", "2027-01-01T00:00:00Z")}, []*Object{el("el9", "2026-02-01T00:00:00Z")}, sel))
	if opList(p) != "update" {
		t.Fatalf("ops %s:\n%s", opList(p), render(p))
	}
	up := bodyOf(t, p.Actions[0])
	if up["action"] != "adminUpdate" || up["principalId"] != uA || p.Actions[0].Request.Method != "POST" ||
		p.Actions[0].Request.Path != "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests" {
		t.Fatalf("action %v %s", up, p.Actions[0].Request.Path)
	}
	si, _ := up["scheduleInfo"].(map[string]any)
	exp, _ := si["expiration"].(map[string]any)
	if exp["endDateTime"] != "2027-01-01T00:00:00Z" || si["startDateTime"] != nil {
		t.Errorf("adminUpdate scheduleInfo %v", si)
	}
	// A file without scheduleInfo says nothing of the window: the live one
	// is left (never made permanent), and the plan says so.
	bare := el("el1", "2027-01-01T00:00:00Z")
	delete(bare.Data, "scheduleInfo")
	p = compute(t, input([]*Object{bare}, []*Object{el("el9", "2026-02-01T00:00:00Z")}, sel))
	if len(p.Actions) != 0 || !strings.Contains(render(p), "no scheduleInfo: the live window, ending 2026-02-01T00:00:00Z, is left") {
		t.Errorf("a file without scheduleInfo:\n%s", render(p))
	}
}

// An appId that a live application and its service principal both answer
// to is named by the application in every run (the service principal's
// aliases yield, layout.Kind.AliasFallback), whatever the order in which
// Go walks the maps of live objects.
func TestAliasNamesDoNotDependOnMapOrder(t *testing.T) {
	const appID = "9a000000-0000-4000-8000-000000000001"
	for i := 0; i < 30; i++ {
		app := obj(t, "applications", app1, map[string]any{"displayName": "Payroll app", "appId": appID, "owners": refs()})
		sp := obj(t, "service-principals", sp1, map[string]any{"displayName": "Payroll enterprise app", "appId": appID,
			"appOwnerOrganizationId": "t", "accountEnabled": true, "tags": strs(), "owners": refs()})
		pol := policy(t, pA, "Payroll needs MFA", "disabled", strs(), strs())
		pol.Data["conditions"].(map[string]any)["applications"].(map[string]any)["includeApplications"] = strs(appID)
		live := policy(t, pA, "Payroll needs MFA", "disabled", strs(), strs())
		live.Data["conditions"].(map[string]any)["applications"].(map[string]any)["includeApplications"] = strs("None")
		p := compute(t, input([]*Object{pol}, []*Object{live, sp, app}, nil))
		if got := p.Names[appID]; got != "Payroll app" {
			t.Fatalf("run %d: %s is named %q, want the application's name %q\n%s", i, appID, got, "Payroll app", render(p))
		}
	}
}

// The post-restore snapshot reads again the kinds the plan writes and the
// kinds of objects not restored that name a recreated object by its old
// id: Graph dropped their link to the purged object, and a carried file
// would still hold it.
func TestRecordKindsReadAgainWhatNamesARecreatedObject(t *testing.T) {
	p := &Plan{Actions: []Action{{Kind: "groups"}, {Kind: "groups"}},
		References: []Reference{{Kind: "feature-rollout-policies", OldID: gA}, {Kind: "conditional-access-policies", OldID: gA}}}
	var got []string
	for _, k := range p.RecordKinds() {
		got = append(got, k.Name)
	}
	if want := "groups,conditional-access-policies,feature-rollout-policies"; strings.Join(got, ",") != want {
		t.Errorf("record kinds %v, want %s (catalog order)", got, want)
	}
}
