package graphsim

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim/builtin"
)

const rmFilter = "?$filter=" + "scopeId%20eq%20'%2F'%20and%20scopeType%20eq%20'DirectoryRole'"

// rolePolicyOf finds the policy id of role through the policy assignments.
func rolePolicyOf(t *testing.T, e *coreEnv, role string) string {
	t.Helper()
	list := e.do("GET", "/v1.0/policies/roleManagementPolicyAssignments"+rmFilter+"&$top=999", nil).must(t, 200)
	for _, v := range list.body["value"].([]any) {
		m := v.(map[string]any)
		if strings.EqualFold(str(m["roleDefinitionId"]), role) {
			return str(m["policyId"])
		}
	}
	t.Fatalf("no policy assignment for role %s", role)
	return ""
}

// PIM role settings: one policy per role definition with Graph's default
// 17 rules, lists that require the scope filter, rules PATCHed one at a
// time with their @odata.type, never created or deleted.
func TestRoleManagementPolicies(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	coll := "/v1.0/policies/roleManagementPolicies"
	e.do("GET", coll, nil).must(t, 400)
	e.do("GET", "/v1.0/policies/roleManagementPolicyAssignments", nil).must(t, 400)
	roles := e.do("GET", "/v1.0/roleManagement/directory/roleDefinitions?$top=999", nil).must(t, 200)
	nRoles := len(roles.body["value"].([]any))
	list := e.do("GET", coll+rmFilter+"&$expand=rules", nil).must(t, 200)
	pols := list.body["value"].([]any)
	if len(pols) == 0 || list.body["@odata.nextLink"] == nil && len(pols) != nRoles {
		t.Fatalf("%d policies for %d role definitions", len(pols), nRoles)
	}
	first := pols[0].(map[string]any)
	if n := len(asSlice(first["rules"])); n != 17 {
		t.Errorf("a policy has %d rules, want Graph's 17", n)
	}
	for _, r := range asSlice(first["rules"]) {
		if str(r.(map[string]any)["@odata.type"]) == "" {
			t.Errorf("rule without @odata.type: %v", r)
		}
	}
	ga := rolePolicyOf(t, e, builtin.GlobalAdministratorRoleID)
	if !strings.HasPrefix(ga, "DirectoryRole_") {
		t.Errorf("policy id %q", ga)
	}
	rules := coll + "/" + url.PathEscape(ga) + "/rules"
	// The demo made Global Administrator's activation stricter.
	if r := e.do("GET", rules+"/Expiration_EndUser_Assignment", nil).must(t, 200); r.body["maximumDuration"] != "PT4H" {
		t.Errorf("demo setting: %v", r.body)
	}
	exp := map[string]any{"@odata.type": ruleExpiration, "id": "Expiration_EndUser_Assignment", "isExpirationRequired": true, "maximumDuration": "PT2H",
		"target": map[string]any{"caller": "EndUser", "operations": []any{"All"}, "level": "Assignment", "inheritableSettings": []any{}, "enforcedSettings": []any{}}}
	noType := map[string]any{"isExpirationRequired": true, "maximumDuration": "PT2H"}
	e.do("PATCH", rules+"/Expiration_EndUser_Assignment", noType).must(t, 400)
	wrong := map[string]any{"@odata.type": ruleEnablement, "enabledRules": []any{}}
	e.do("PATCH", rules+"/Expiration_EndUser_Assignment", wrong).must(t, 400)
	e.do("PATCH", rules+"/Expiration_Nobody", exp).must(t, 404)
	e.do("PATCH", rules+"/Expiration_EndUser_Assignment", map[string]any{"@odata.type": ruleExpiration, "maximumDuration": "eight hours"}).must(t, 400)
	e.do("PATCH", rules+"/Expiration_EndUser_Assignment", map[string]any{"@odata.type": ruleExpiration, "enabledRules": []any{}}).must(t, 400)
	lvl := map[string]any{"@odata.type": ruleExpiration, "target": map[string]any{"caller": "Admin", "operations": []any{"All"}, "level": "Assignment"}}
	e.do("PATCH", rules+"/Expiration_EndUser_Assignment", lvl).must(t, 400)
	if r := e.do("PATCH", rules+"/Expiration_EndUser_Assignment", exp).must(t, 200); r.body["maximumDuration"] != "PT2H" {
		t.Errorf("PATCH answered %v", r.body)
	}
	if r := e.do("GET", rules+"/Expiration_EndUser_Assignment", nil).must(t, 200); r.body["maximumDuration"] != "PT2H" {
		t.Errorf("after PATCH: %v", r.body)
	}
	e.do("PATCH", rules+"/Enablement_EndUser_Assignment", map[string]any{"@odata.type": ruleEnablement, "enabledRules": []any{"Fingerprint"}}).must(t, 400)
	e.do("PATCH", rules+"/Notification_Admin_Admin_Eligibility", map[string]any{"@odata.type": ruleNotification, "notificationLevel": "Loud"}).must(t, 400)
	e.do("PATCH", rules+"/Notification_Admin_Admin_Eligibility", map[string]any{"@odata.type": ruleNotification, "recipientType": "Approver"}).must(t, 400)
	approver := map[string]any{"@odata.type": "#microsoft.graph.singleUser", "userId": "00000000-0000-0000-0000-0000000000aa"}
	e.do("PATCH", rules+"/Approval_EndUser_Assignment", map[string]any{"@odata.type": ruleApproval, "setting": map[string]any{
		"isApprovalRequired": true, "approvalMode": "SingleStage", "approvalStages": []any{map[string]any{"primaryApprovers": []any{approver}}}}}).must(t, 400)
	e.do("PATCH", rules+"/AuthenticationContext_EndUser_Assignment", map[string]any{"@odata.type": ruleAuthContext, "isEnabled": true, "claimValue": "c99"}).must(t, 400)
	// Built in: no create, delete or PATCH of a policy.
	e.do("POST", coll, map[string]any{"displayName": "x"}).must(t, 405)
	e.do("DELETE", coll+"/"+url.PathEscape(ga), nil).must(t, 405)
	e.do("POST", rules, exp).must(t, 405)
	e.do("DELETE", rules+"/Expiration_EndUser_Assignment", nil).must(t, 405)
}

// A custom role gets its policy with the role and loses it with the role.
func TestRoleManagementPolicyFollowsItsRole(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	r := e.do("POST", "/v1.0/roleManagement/directory/roleDefinitions", map[string]any{"displayName": "PIM test role", "isEnabled": true,
		"rolePermissions": []any{map[string]any{"allowedResourceActions": []any{"microsoft.directory/applications/basic/update"}}}}).must(t, 201)
	id := str(r.body["id"])
	pid := rolePolicyOf(t, e, id)
	e.do("GET", "/v1.0/policies/roleManagementPolicies/"+url.PathEscape(pid), nil).must(t, 200)
	e.do("DELETE", "/v1.0/roleManagement/directory/roleDefinitions/"+id, nil).must(t, 204)
	e.do("GET", "/v1.0/policies/roleManagementPolicies/"+url.PathEscape(pid), nil).must(t, 404)
}

// Reading takes RoleManagementPolicy.Read.Directory, a rule PATCH
// RoleManagementPolicy.ReadWrite.Directory (application permissions).
func TestRoleManagementPolicyPermissions(t *testing.T) {
	e := newAuthzEnv(t)
	coll := "/v1.0/policies/roleManagementPolicies" + rmFilter
	e.want(e.token("a", "Policy.Read.All"), "GET", coll, nil, 403)
	e.want(e.token("b", "RoleManagementPolicy.Read.Directory"), "GET", coll, nil, 200)
	e.want(e.token("b2", "RoleManagementPolicy.Read.Directory"), "GET", "/v1.0/policies/roleManagementPolicyAssignments"+rmFilter, nil, 200)
	pid, _ := e.s.tenant.rolePolicyIDs(builtin.GlobalAdministratorRoleID)
	rule := "/v1.0/policies/roleManagementPolicies/" + url.PathEscape(pid) + "/rules/Expiration_Admin_Eligibility"
	body := map[string]any{"@odata.type": ruleExpiration, "isExpirationRequired": true, "maximumDuration": "P90D"}
	e.want(e.token("c", "RoleManagementPolicy.Read.Directory"), "PATCH", rule, body, 403)
	e.want(e.token("d", "RoleManagementPolicy.ReadWrite.Directory"), "PATCH", rule, body, 200)
}

// An adminAssign request with an end makes a time-bound assignment: listed
// in roleAssignments, as an Assigned instance with its end and in
// roleAssignmentSchedules with afterDateTime until the end, then gone. The
// role's settings govern it: with isExpirationRequired a permanent
// assignment and one longer than maximumDuration are refused; an end that
// has passed is refused.
func TestTimeBoundAssignmentSchedules(t *testing.T) {
	s, users := gwServer(t)
	const reqs = "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests"
	role := builtin.GlobalAdministratorRoleID
	now := s.Clock().Now()
	assign := func(principal string, exp map[string]any) map[string]any {
		return map[string]any{"action": "adminAssign", "principalId": principal, "roleDefinitionId": role, "directoryScopeId": "/",
			"justification": "project", "scheduleInfo": map[string]any{"expiration": exp}}
	}
	end := now.Add(72 * time.Hour).UTC().Format(time.RFC3339)
	wantError(t, s, "POST", reqs, assign(users[0], map[string]any{"type": "afterDateTime", "endDateTime": now.Add(-time.Hour).UTC().Format(time.RFC3339)}), 400, "not after")
	req := genJSON(t, s, "POST", reqs, assign(users[0], map[string]any{"type": "afterDateTime", "endDateTime": end}), 201)
	scheds := listValue(t, s, "/v1.0/roleManagement/directory/roleAssignmentSchedules")
	if len(scheds) != 1 || scheds[0]["id"] != req["targetScheduleId"] || scheds[0]["assignmentType"] != "Assigned" ||
		lookupPath(scheds[0], "scheduleInfo/expiration/endDateTime") != end || lookupPath(scheds[0], "scheduleInfo/expiration/type") != "afterDateTime" {
		t.Fatalf("schedules: %v (request %v)", scheds, req)
	}
	inst := listValue(t, s, "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances?$filter=principalId%20eq%20'"+users[0]+"'")
	if len(inst) != 1 || inst[0]["assignmentType"] != "Assigned" || inst[0]["endDateTime"] != end {
		t.Fatalf("instances: %v", inst)
	}
	// Settings that require an end, at most 30 days.
	s.tenant.mu.Lock()
	s.policyRule(role, "Expiration_Admin_Assignment")["isExpirationRequired"] = true
	s.policyRule(role, "Expiration_Admin_Assignment")["maximumDuration"] = "P30D"
	s.tenant.mu.Unlock()
	wantError(t, s, "POST", reqs, assign(users[1], map[string]any{"type": "noExpiration"}), 400, "ExpirationRule")
	wantError(t, s, "POST", reqs, assign(users[1], map[string]any{"type": "afterDuration", "duration": "P31D"}), 400, "ExpirationRule")
	genJSON(t, s, "POST", reqs, assign(users[1], map[string]any{"type": "afterDuration", "duration": "P30D"}), 201)
	s.Clock().Advance(72*time.Hour + time.Second)
	for _, p := range []string{"roleAssignments", "roleAssignmentScheduleInstances", "roleAssignmentSchedules"} {
		for _, o := range listValue(t, s, "/v1.0/roleManagement/directory/"+p) {
			if o["principalId"] == users[0] {
				t.Errorf("%s after the end: %v", p, o)
			}
		}
	}
}

// TestRolePoliciesExistFromTheStart: reading the PIM policies of a new
// tenant writes nothing to its change log, so a delta link taken before
// the read sees no change (the policies were once made by the first PIM
// request, which moved the log under other kinds' delta links: an export
// of a fresh tenant and one of a tenant with one new group disagreed).
func TestRolePoliciesExistFromTheStart(t *testing.T) {
	for _, profile := range []string{"empty", "demo"} {
		e := newCoreEnv(t, Options{Profile: profile, Seed: 1})
		e.s.tenant.mu.Lock()
		before := e.s.tenant.seq
		e.s.tenant.mu.Unlock()
		e.do("GET", "/v1.0/policies/roleManagementPolicies"+rmFilter+"&$expand=rules", nil).must(t, 200)
		e.do("GET", "/v1.0/policies/roleManagementPolicyAssignments"+rmFilter, nil).must(t, 200)
		e.s.tenant.mu.Lock()
		after := e.s.tenant.seq
		e.s.tenant.mu.Unlock()
		if after != before {
			t.Errorf("%s: reading the PIM policies moved the change log from %d to %d", profile, before, after)
		}
	}
}

// A custom role gets its PIM policy in the write that creates it and loses
// it in the one that deletes it: no later request on the policies writes
// anything (the policies were once made lazily by the next PIM request,
// under a write lock on every request, which moved the change log under
// other kinds' delta links).
func TestRolePolicyMadeAndDroppedWithItsRole(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	r := e.do("POST", "/v1.0/roleManagement/directory/roleDefinitions", map[string]any{"displayName": "Later role", "isEnabled": true,
		"rolePermissions": []any{map[string]any{"allowedResourceActions": []any{"microsoft.directory/applications/basic/update"}}}}).must(t, 201)
	id := str(r.body["id"])
	tn := e.s.tenant
	tn.mu.Lock()
	has, seq := tn.rolePolicyOf(id) != nil, tn.seq
	tn.mu.Unlock()
	if !has {
		t.Fatal("the new role has no PIM policy until a PIM request")
	}
	e.do("GET", "/v1.0/policies/roleManagementPolicies"+rmFilter+"&$expand=rules", nil).must(t, 200)
	e.do("GET", "/v1.0/policies/roleManagementPolicyAssignments"+rmFilter, nil).must(t, 200)
	tn.mu.Lock()
	after := tn.seq
	tn.mu.Unlock()
	if after != seq {
		t.Errorf("reading the PIM policies moved the change log from %d to %d", seq, after)
	}
	e.do("DELETE", "/v1.0/roleManagement/directory/roleDefinitions/"+id, nil).must(t, 204)
	tn.mu.Lock()
	has = tn.rolePolicyOf(id) != nil
	tn.mu.Unlock()
	if has {
		t.Error("the deleted role's PIM policy is still there")
	}
}
