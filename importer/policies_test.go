package importer

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

const (
	grantPolicies = "/v1.0/policies/permissionGrantPolicies"
	adminConsent  = "/v1.0/policies/adminConsentRequestPolicy"
	// hostileName has a bidi override, CR LF, a control character and
	// quotes: it must reach Graph and come back byte for byte.
	hostileName = "Consent \u202eycilop\u202c\r\n\x07\"low\" risk: 'ok'?"
)

// baseline is snapshot (strength_test.go): an export of the tenant as it
// is now; it returns the snapshot's tag.
func (e *env) baseline(msg string) string {
	e.t.Helper()
	return e.snapshot(msg)
}

// setKeys are a permission grant policy's condition sets of one side, by
// conditions (not by their ids, which Graph gives).
func setKeys(p map[string]any, rel string) string {
	var out []string
	for _, it := range asSlice(p[rel]) {
		if m, ok := it.(map[string]any); ok {
			out = append(out, conditionSetKey(m))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// A permission grant policy whose name was changed and whose condition
// sets were replaced, and another one deleted, come back from the
// snapshot: the changed one by PATCH of its name and the add and removal
// of condition sets (no PATCH of a set, which Graph does not serve), the
// deleted one created with its own id and then its sets. The hostile name
// survives exactly; a second plan is empty.
func TestRestorePermissionGrantPolicies(t *testing.T) {
	whenShortOnly(t, "permission-grant-policies")
	e := newEnv(t, graphsim.Options{}, nil)
	e.do("POST", grantPolicies, map[string]any{"id": "hostile-policy", "displayName": hostileName, "description": "line1\nline2"})
	e.do("POST", grantPolicies+"/hostile-policy/includes", map[string]any{"permissionType": "delegated",
		"clientApplicationIds": []any{"11111111-1111-4111-8111-111111111111", "00000000-aaaa-4aaa-8aaa-000000000000"}})
	e.do("POST", grantPolicies+"/hostile-policy/excludes", map[string]any{"permissionType": "application", "permissionClassification": "high"})
	base := e.baseline("with the hostile policy")
	e.first = base // the snapshot restored from
	want := map[string]map[string]any{}
	for _, id := range []string{"hostile-policy", "verified-publisher-low-risk"} {
		want[id] = e.get(grantPolicies + "/" + id)
	}
	if len(asSlice(want["verified-publisher-low-risk"]["includes"])) == 0 || len(asSlice(want["verified-publisher-low-risk"]["excludes"])) == 0 {
		t.Fatalf("the demo policy has no condition sets: %v", want["verified-publisher-low-risk"])
	}

	// The incident.
	inc := asSlice(want["hostile-policy"]["includes"])[0].(map[string]any)
	e.do("DELETE", grantPolicies+"/hostile-policy/includes/"+str(inc["id"]), nil)
	e.do("POST", grantPolicies+"/hostile-policy/includes", map[string]any{"permissionType": "delegated", "permissionClassification": "all"})
	e.do("PATCH", grantPolicies+"/hostile-policy", map[string]any{"displayName": "plain"})
	e.do("DELETE", grantPolicies+"/verified-publisher-low-risk", nil)
	e.recordIncident()

	sel := []string{"policies/permission-grant"}
	p := e.plan(base, sel, Options{})
	ops := map[string]int{}
	// The deleted policy's condition sets wait for its create, and for
	// nothing else: the runner starts an action once what it depends on
	// ended, so a set that waited on another action (the renumbering of a
	// DependsOn list shared by two actions once made both wait on the
	// other policy's removal) raced the create and met a 404.
	createID := ""
	for _, a := range p.Actions {
		if a.Op == OpCreate {
			createID = a.ID
		}
	}
	for _, a := range p.Actions {
		if a.Op == OpAddChild && a.Key == "verified-publisher-low-risk" && fmt.Sprint(a.DependsOn) != fmt.Sprint([]string{createID}) {
			t.Errorf("action %s (%s %s) depends on %v, want [%s] (the create)", a.ID, a.Op, a.Request.Path, a.DependsOn, createID)
		}
	}
	for _, a := range p.Actions {
		ops[string(a.Op)+" "+a.Request.Method]++
		if a.Request.Method == "PATCH" && strings.Contains(a.Request.Path, "/includes") {
			t.Errorf("a condition set is PATCHed: %s", a.Request.Path)
		}
		if a.Op == OpCreate {
			if b := bodyOf(t, a); b["id"] != "verified-publisher-low-risk" || b["includes"] != nil || b["excludes"] != nil {
				t.Errorf("create body %v: want the policy's own id and no condition sets", b)
			}
		}
	}
	wantOps := map[string]int{"update PATCH": 1, "remove-child DELETE": 1, "add-child POST": 3, "create POST": 1}
	if fmt.Sprint(ops) != fmt.Sprint(wantOps) {
		t.Fatalf("ops %v, want %v\n%s", ops, wantOps, render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	e.checkRecorded(res, "policies/permission-grant")
	for id, w := range want {
		got := e.get(grantPolicies + "/" + id)
		if got["displayName"] != w["displayName"] || got["description"] != w["description"] {
			t.Errorf("%s: name %q description %q, want %q %q", id, got["displayName"], got["description"], w["displayName"], w["description"])
		}
		for _, rel := range []string{"includes", "excludes"} {
			if setKeys(got, rel) != setKeys(w, rel) {
				t.Errorf("%s %s:\n%s\nwant\n%s", id, rel, setKeys(got, rel), setKeys(w, rel))
			}
		}
	}
	if e.get(grantPolicies + "/hostile-policy")["displayName"] != hostileName {
		t.Errorf("the hostile name did not survive")
	}
	e.mustBeEmptyAt(base, sel)
}

// The built-in permission grant policies are Microsoft's: a snapshot
// holds them, a restore never writes them.
func TestBuiltInPermissionGrantPoliciesAreNotWritten(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	p := e.plan(e.first, []string{"policies/permission-grant"}, Options{})
	if !p.Empty() {
		t.Fatalf("plan on an unchanged tenant:\n%s", render(p))
	}
	e.do("DELETE", grantPolicies+"/verified-publisher-low-risk", nil)
	p = e.plan(e.first, []string{"policies/permission-grant"}, Options{})
	for _, a := range p.Actions {
		if strings.Contains(a.Request.Path, "microsoft-") || strings.Contains(string(a.Request.Body), `"microsoft-`) {
			t.Errorf("a built-in policy is written: %s %s %s", a.Op, a.Request.Path, a.Request.Body)
		}
	}
	if len(p.Actions) == 0 {
		t.Fatalf("the deleted custom policy is not restored:\n%s", render(p))
	}
}

// The admin consent request policy is a singleton Graph writes whole with
// PUT: the restore sends every writable property (the unchanged ones too)
// and never PATCHes it; a reviewer that was purged and recreated is named
// by its new id.
func TestRestoreAdminConsentRequestPolicyByPut(t *testing.T) {
	whenShortOnly(t, "admin-consent-request-policy", "groups", "users")
	e := newEnv(t, graphsim.Options{}, nil)
	before := e.get(adminConsent)
	revs := asSlice(before["reviewers"])
	if before["isEnabled"] != true || len(revs) != 1 {
		t.Fatalf("demo admin consent request policy: %v", before)
	}
	reviewer := strings.TrimPrefix(str(revs[0].(map[string]any)["query"]), "/users/")
	upn := str(e.get("/v1.0/users/" + reviewer)["userPrincipalName"])
	e.do("PUT", adminConsent, map[string]any{"isEnabled": false, "notifyReviewers": false, "remindersEnabled": true,
		"requestDurationInDays": 30, "reviewers": []any{}})
	// The reviewer is gone for good.
	e.do("DELETE", "/v1.0/users/"+reviewer, nil)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+reviewer, nil)
	e.recordIncident()

	p := e.plan(e.first, []string{"policies/admin-consent-request.yaml", "users/" + upn}, Options{})
	var put *Action
	for i, a := range p.Actions {
		if a.Kind == "admin-consent-request-policy" {
			if a.Request.Method != "PUT" || put != nil {
				t.Fatalf("admin consent request policy written by %s (want one PUT):\n%s", a.Request.Method, render(p))
			}
			put = &p.Actions[i]
		}
	}
	if put == nil {
		t.Fatalf("no write of the admin consent request policy:\n%s", render(p))
	}
	b := bodyOf(t, *put)
	for _, prop := range []string{"isEnabled", "notifyReviewers", "remindersEnabled", "requestDurationInDays", "reviewers"} {
		if _, ok := b[prop]; !ok {
			t.Errorf("PUT body lacks %s: %v", prop, b)
		}
	}
	if _, ok := b["version"]; ok {
		t.Errorf("PUT body sends the read-only version: %v", b)
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	newID, ok := res.IDs.Resolve(reviewer)
	if !ok || strings.EqualFold(newID, reviewer) {
		t.Fatalf("the reviewer was not recreated with a new id: %q %v", newID, ok)
	}
	after := e.get(adminConsent)
	for _, prop := range []string{"isEnabled", "notifyReviewers", "remindersEnabled", "requestDurationInDays"} {
		if fmt.Sprint(after[prop]) != fmt.Sprint(before[prop]) {
			t.Errorf("%s = %v, want %v", prop, after[prop], before[prop])
		}
	}
	if got := fmt.Sprint(after["reviewers"]); !strings.Contains(got, "/users/"+newID) {
		t.Errorf("reviewers %s, want the recreated user %s", got, newID)
	}
}

// Token issuance, home realm discovery and activity-based timeout policies
// come back after a delete (created again, new ids) and a change (PATCH).
func TestRestoreSTSPolicies(t *testing.T) {
	whenShortOnly(t, "token-issuance-policies", "home-realm-discovery-policies", "activity-based-timeout-policies")
	e := newEnv(t, graphsim.Options{}, nil)
	sel := []string{"policies/token-issuance", "policies/home-realm-discovery", "policies/activity-based-timeout"}
	colls := []string{"tokenIssuancePolicies", "homeRealmDiscoveryPolicies", "activityBasedTimeoutPolicies"}
	for _, coll := range colls {
		l := e.list("/v1.0/policies/" + coll)
		if len(l) == 0 {
			t.Fatalf("the demo tenant has no %s", coll)
		}
		e.do("PATCH", "/v1.0/policies/"+coll+"/"+str(l[0]["id"]), map[string]any{"displayName": hostileName + coll})
	}
	e.first = e.baseline("hostile names")
	for i, coll := range colls {
		l := e.list("/v1.0/policies/" + coll)
		if i == 1 {
			e.do("PATCH", "/v1.0/policies/"+coll+"/"+str(l[0]["id"]), map[string]any{"definition": []any{`{"HomeRealmDiscoveryPolicy":{"AccelerateToFederatedDomain":false}}`}})
			continue
		}
		e.do("DELETE", "/v1.0/policies/"+coll+"/"+str(l[0]["id"]), nil)
	}
	e.recordIncident()
	p := e.plan(e.first, sel, Options{})
	// The recreated token issuance policy is assigned again to the
	// application it applied to (assign.go).
	ops := strings.Replace(opList(p), "create,add-link", "create", 1)
	if ops != "create,update,create" && ops != "create,create,update" && ops != "update,create,create" || !strings.Contains(render(p), "tokenIssuancePolicies/$ref") {
		t.Fatalf("plan:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	for _, coll := range colls {
		l := e.list("/v1.0/policies/" + coll)
		if len(l) != 1 || l[0]["displayName"] != hostileName+coll {
			t.Errorf("%s after the restore: %v", coll, l)
		}
	}
	e.mustBeEmpty(sel, Options{})
}

// changeNewPolicySingletons changes each policy singleton of
// catalog_policies.go as an administrator would, each to a value the demo
// tenant does not have.
func changeNewPolicySingletons(e *env) {
	e.t.Helper()
	e.do("PUT", adminConsent, map[string]any{"isEnabled": false, "notifyReviewers": false, "remindersEnabled": false,
		"requestDurationInDays": 30, "reviewers": []any{}})
	e.do("PATCH", "/v1.0/policies/defaultAppManagementPolicy", map[string]any{"isEnabled": false})
	e.do("PATCH", "/v1.0/policies/authenticationFlowsPolicy", map[string]any{"selfServiceSignUp": map[string]any{"isEnabled": true}})
	all := map[string]any{"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}
	e.do("PUT", "/v1.0/policies/deviceRegistrationPolicy", map[string]any{"userDeviceQuota": 500, "multiFactorAuthConfiguration": "notRequired",
		"azureADRegistration": map[string]any{"allowedToRegister": all},
		"azureADJoin":         map[string]any{"allowedToJoin": all, "localAdmins": map[string]any{"enableGlobalAdmins": true, "registeringUsers": all}},
		"localAdminPassword":  map[string]any{"isEnabled": false}})
}

// The policy singletons come back from the snapshot: the default app
// management and authentication flows policies by PATCH of what changed,
// the admin consent request and device registration policies by one PUT
// each (never a PATCH, which Graph does not serve) without their read-only
// parts (version, isAdminConfigurable); a second plan is empty.
func TestRestorePolicySingletons(t *testing.T) {
	whenShortOnly(t, "admin-consent-request-policy", "tenant-app-management-policy", "authentication-flows-policy", "device-registration-policy")
	e := newEnv(t, graphsim.Options{}, nil)
	paths := map[string]string{"admin-consent-request-policy": adminConsent,
		"tenant-app-management-policy": "/v1.0/policies/defaultAppManagementPolicy",
		"authentication-flows-policy":  "/v1.0/policies/authenticationFlowsPolicy",
		"device-registration-policy":   "/v1.0/policies/deviceRegistrationPolicy"}
	before := map[string]map[string]any{}
	for k, p := range paths {
		before[k] = e.get(p)
	}
	changeNewPolicySingletons(e)
	e.recordIncident()
	sel := []string{"policies/admin-consent-request.yaml", "policies/app-management-default.yaml", "policies/authentication-flows.yaml", "policies/device-registration.yaml"}
	p := e.plan(e.first, sel, Options{})
	methods := map[string]string{}
	for _, a := range p.Actions {
		methods[a.Kind] += a.Request.Method
		if a.Kind == "device-registration-policy" && strings.Contains(string(a.Request.Body), "isAdminConfigurable") {
			t.Errorf("the device registration policy's PUT sends isAdminConfigurable: %s", a.Request.Body)
		}
	}
	want := map[string]string{"admin-consent-request-policy": "PUT", "tenant-app-management-policy": "PATCH",
		"authentication-flows-policy": "PATCH", "device-registration-policy": "PUT"}
	if fmt.Sprint(methods) != fmt.Sprint(want) {
		t.Fatalf("writes %v, want %v\n%s", methods, want, render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	for k, path := range paths {
		got := e.get(path)
		delete(got, "version")
		delete(before[k], "version")
		delete(got, "@odata.context")
		delete(before[k], "@odata.context")
		if fmt.Sprint(got) != fmt.Sprint(before[k]) {
			t.Errorf("%s after the restore:\n%v\nwant\n%v", k, got, before[k])
		}
	}
	e.mustBeEmpty(sel, Options{})
}

// An app management policy whose restrictions were loosened is PATCHed
// back, a deleted one created again.
func TestRestoreAppManagementPolicies(t *testing.T) {
	whenShortOnly(t, "app-management-policies")
	e := newEnv(t, graphsim.Options{}, nil)
	amp := e.list("/v1.0/policies/appManagementPolicies")
	if len(amp) != 1 {
		t.Fatalf("demo tenant: %d app management policies", len(amp))
	}
	e.do("POST", "/v1.0/policies/appManagementPolicies", map[string]any{"displayName": hostileName, "isEnabled": false})
	e.first = e.baseline("a second app management policy")
	l := e.list("/v1.0/policies/appManagementPolicies")
	var other string
	for _, x := range l {
		if x["displayName"] == hostileName {
			other = str(x["id"])
		}
	}
	e.do("PATCH", "/v1.0/policies/appManagementPolicies/"+str(amp[0]["id"]), map[string]any{"isEnabled": false,
		"restrictions": map[string]any{"passwordCredentials": []any{}, "keyCredentials": []any{}}})
	e.do("DELETE", "/v1.0/policies/appManagementPolicies/"+other, nil)
	e.recordIncident()
	sel := []string{"policies/app-management"}
	p := e.plan(e.first, sel, Options{})
	if ops := opList(p); ops != "update,create" && ops != "create,update" {
		t.Fatalf("plan:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	got := e.get("/v1.0/policies/appManagementPolicies/" + str(amp[0]["id"]))
	if fmt.Sprint(got["restrictions"]) != fmt.Sprint(amp[0]["restrictions"]) || got["isEnabled"] != true {
		t.Errorf("app management policy after the restore: %v", got)
	}
	names := 0
	for _, x := range e.list("/v1.0/policies/appManagementPolicies") {
		if x["displayName"] == hostileName {
			names++
		}
	}
	if names != 1 {
		t.Errorf("the recreated policy's hostile name: %d matches", names)
	}
	e.mustBeEmpty(sel, Options{})
}
