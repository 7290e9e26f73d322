package importer

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/graphsim/builtin"
	"github.com/entrasnap/entrasnap/layout"
)

const rmScope = "?$filter=scopeId%20eq%20'%2F'%20and%20scopeType%20eq%20'DirectoryRole'"

// rolePolicyRules is the rules path of the live policy of role.
func (e *env) rolePolicyRules(role string) string {
	e.t.Helper()
	for _, a := range e.list("/v1.0/policies/roleManagementPolicyAssignments" + rmScope + "&$top=999") {
		if strings.EqualFold(str(a["roleDefinitionId"]), role) {
			return "/v1.0/policies/roleManagementPolicies/" + url.PathEscape(str(a["policyId"])) + "/rules"
		}
	}
	e.t.Fatalf("no role management policy for role %s", role)
	return ""
}

// changeRoleSettings weakens Global Administrator's PIM settings as an
// attacker or a careless admin would: activation for 24 hours without MFA
// or approval.
func changeRoleSettings(e *env) {
	rules := e.rolePolicyRules(builtin.GlobalAdministratorRoleID)
	e.do("PATCH", rules+"/Expiration_EndUser_Assignment", map[string]any{"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
		"isExpirationRequired": true, "maximumDuration": "PT24H"})
	e.do("PATCH", rules+"/Enablement_EndUser_Assignment", map[string]any{"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
		"enabledRules": []any{}})
	e.do("PATCH", rules+"/Approval_EndUser_Assignment", map[string]any{"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
		"setting": map[string]any{"isApprovalRequired": false, "approvalMode": "SingleStage", "approvalStages": []any{map[string]any{
			"approvalStageTimeOutInDays": 1, "isApproverJustificationRequired": true, "escalationTimeInMinutes": 0, "isEscalationEnabled": false,
			"primaryApprovers": []any{}, "escalationApprovers": []any{}}}}})
}

// PIM role settings: exported one file per role (keyed by the role, not by
// the tenant's policy id), every role's; a role whose settings changed is
// restored to the snapshot by one PATCH per changed rule with its
// @odata.type, under realistic throttling; the plan neither creates nor
// deletes a policy.
func TestRestoreRoleSettings(t *testing.T) {
	whenShortOnly(t, "role-management-policies")
	e := newEnv(t, graphsim.Options{Throttle: "realistic"}, nil)
	objs := objectsByKind(e.snapshotObjects(e.first))[rolePolicies]
	var ga *Object
	for _, o := range objs {
		if strings.EqualFold(o.Key, builtin.GlobalAdministratorRoleID) {
			ga = o
		}
		if !strings.HasPrefix(o.Path, "roles/settings/") || strings.Contains(o.Path, "DirectoryRole_") {
			t.Errorf("file %s: want roles/settings/<role id>.yaml", o.Path)
		}
	}
	if ga == nil || len(objs) < 50 {
		t.Fatalf("%d role settings exported, Global Administrator's: %v", len(objs), ga != nil)
	}
	rules := e.rolePolicyRules(builtin.GlobalAdministratorRoleID)
	before := e.get(rules + "/Expiration_EndUser_Assignment")
	if before["maximumDuration"] != "PT4H" {
		t.Fatalf("demo setting: %v", before)
	}
	changeRoleSettings(e)
	e.recordIncident()

	sel := []string{"roles/settings"}
	p := e.plan(e.first, sel, Options{})
	var got []string
	for _, a := range p.Actions {
		if a.Op != OpUpdate || a.Request.Method != "PATCH" || !strings.HasPrefix(a.Request.Path, rules+"/") {
			t.Errorf("unexpected action %s %s %s", a.Op, a.Request.Method, a.Request.Path)
		}
		if !strings.Contains(string(a.Request.Body), "@odata.type") {
			t.Errorf("a rule PATCH without @odata.type: %s", a.Request.Body)
		}
		got = append(got, strings.TrimPrefix(a.Request.Path, rules+"/"))
	}
	if strings.Join(got, ",") != "Approval_EndUser_Assignment,Enablement_EndUser_Assignment,Expiration_EndUser_Assignment" {
		t.Fatalf("plan %v\n%s", got, render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	if after := e.get(rules + "/Expiration_EndUser_Assignment"); after["maximumDuration"] != "PT4H" {
		t.Errorf("after the restore: %v", after)
	}
	approval := e.get(rules + "/Approval_EndUser_Assignment")
	if set, _ := approval["setting"].(map[string]any); set["isApprovalRequired"] != true {
		t.Errorf("approval after the restore: %v", approval)
	}
	e.mustBeEmpty(sel, Options{})
}

// A policy is never created or deleted: a role's settings file whose role
// is gone is not written, and the plan says why.
func TestRoleSettingsOfAGoneRoleAreNotCreated(t *testing.T) {
	whenShortOnly(t, "role-assignments", "role-definitions", "role-management-policies")
	e := newEnv(t, graphsim.Options{}, nil)
	custom := e.customRole()
	e.deleteCustomRole(custom.Key)
	e.recordIncident()
	p := e.plan(e.first, []string{"roles/settings"}, Options{})
	if len(p.Actions) != 0 || !strings.Contains(render(p), "makes a role's PIM settings") {
		t.Errorf("the settings of a gone role:\n%s", render(p))
	}
}

// A time-bound active assignment has one home, roles/time-bound-assignments:
// the export keeps it there with its end and leaves it out of
// roles/assignments; a restore makes it again only through a schedule
// request (adminAssign) with the same end, never as a standing assignment;
// once its end has passed it is not restored and the plan says so.
func TestRestoreTimeBoundAssignment(t *testing.T) {
	whenShortOnly(t, "time-bound-role-assignments")
	e := newEnv(t, graphsim.Options{}, nil)
	objs := objectsByKind(e.snapshotObjects(e.first))
	if len(objs[timeBoundKind]) != 1 {
		t.Fatalf("time-bound assignments exported: %d, want the demo's one", len(objs[timeBoundKind]))
	}
	tb := objs[timeBoundKind][0]
	end, ok := scheduleEnd(tb.Data)
	if !ok {
		t.Fatalf("no end in %s: %v", tb.Path, tb.Data)
	}
	for _, o := range objs["role-assignments"] {
		if naturalKey(o.Kind, o.Data, o.Key) == naturalKey(tb.Kind, tb.Data, tb.Key) {
			t.Fatalf("the time-bound assignment is also in %s", o.Path)
		}
	}
	reqs := "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests"
	e.do("POST", reqs, map[string]any{"action": "adminRemove", "principalId": tb.Data["principalId"], "roleDefinitionId": tb.Data["roleDefinitionId"],
		"directoryScopeId": tb.Data["directoryScopeId"], "justification": "incident"})
	e.recordIncident()

	p := e.plan(e.first, []string{"roles"}, Options{})
	var creates []Action
	for _, a := range p.Actions {
		if strings.HasSuffix(a.Request.Path, "/roleAssignments") {
			t.Errorf("a standing assignment is made: %s %s", a.Request.Path, a.Request.Body)
		}
		if a.Kind == timeBoundKind {
			creates = append(creates, a)
		}
	}
	if len(creates) != 1 || creates[0].Request.Path != reqs || !strings.Contains(string(creates[0].Request.Body), `"adminAssign"`) ||
		!strings.Contains(string(creates[0].Request.Body), end.UTC().Format(time.RFC3339)) {
		t.Fatalf("the time-bound assignment's restore: %+v\n%s", creates, render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	var live []map[string]any
	for _, s := range e.list("/v1.0/roleManagement/directory/roleAssignmentSchedules") {
		if s["principalId"] == tb.Data["principalId"] && s["roleDefinitionId"] == tb.Data["roleDefinitionId"] {
			live = append(live, s)
		}
	}
	if len(live) != 1 {
		t.Fatalf("live schedules after the restore: %v", live)
	}
	if got, ok := scheduleEnd(live[0]); !ok || !got.Equal(end) {
		t.Errorf("restored with end %v, want %v", got, end)
	}
	e.mustBeEmpty([]string{"roles/time-bound-assignments"}, Options{})

	// Extended by someone since REV: given REV's end back by one adminUpdate
	// (the assignment is never removed in between).
	who := map[string]any{"principalId": tb.Data["principalId"], "roleDefinitionId": tb.Data["roleDefinitionId"], "directoryScopeId": tb.Data["directoryScopeId"], "justification": "extend"}
	e.do("POST", reqs, merge(who, map[string]any{"action": "adminRemove"}))
	e.do("POST", reqs, merge(who, map[string]any{"action": "adminAssign", "scheduleInfo": map[string]any{"expiration": map[string]any{
		"type": "afterDateTime", "endDateTime": end.Add(90 * 24 * time.Hour).UTC().Format(time.RFC3339)}}}))
	e.recordIncident()
	p = e.plan(e.first, []string{"roles/time-bound-assignments"}, Options{})
	if len(p.Actions) != 1 || !strings.Contains(string(p.Actions[0].Request.Body), `"adminUpdate"`) ||
		!strings.Contains(string(p.Actions[0].Request.Body), end.UTC().Format(time.RFC3339)) {
		t.Fatalf("an extended assignment:\n%s", render(p))
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	e.mustBeEmpty([]string{"roles/time-bound-assignments"}, Options{})

	// Ended: gone from the tenant, and not restored.
	later := end.Add(40 * 24 * time.Hour)
	e.sim.Clock().Advance(later.Sub(e.sim.Clock().Now()))
	e.now = later
	p = e.plan(e.first, []string{"roles/time-bound-assignments"}, Options{})
	if len(p.Actions) != 0 || !strings.Contains(render(p), "expired at "+end.UTC().Format(time.RFC3339)) {
		t.Errorf("an ended assignment:\n%s", render(p))
	}
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// A role assignment at REV that a time-bound assignment at REV also holds
// (a snapshot taken without the PIM licence, which cannot tell them apart)
// is never made a standing assignment: the time-bound one comes back with
// its end, and the plan says why the other is not written.
func TestRoleAssignmentHeldByATimeBoundOneIsNotMadeStanding(t *testing.T) {
	ra := obj(t, "role-assignments", "ra1", map[string]any{"roleDefinitionId": gA, "principalId": uA, "directoryScopeId": "/"})
	tb := obj(t, timeBoundKind, "tb1", map[string]any{"roleDefinitionId": gA, "principalId": uA, "directoryScopeId": "/", "assignmentType": "Assigned",
		"scheduleInfo": map[string]any{"startDateTime": "2026-03-01T00:00:00Z", "expiration": map[string]any{"type": "afterDateTime", "endDateTime": "2026-04-01T00:00:00Z"}}})
	p := compute(t, input([]*Object{ra, tb}, nil, nil))
	if len(p.Actions) != 1 || p.Actions[0].Kind != timeBoundKind || !strings.HasSuffix(p.Actions[0].Request.Path, "/roleAssignmentScheduleRequests") {
		t.Fatalf("plan:\n%s", render(p))
	}
	if !strings.Contains(render(p), "never as a standing assignment") {
		t.Errorf("the plan does not say why the role assignment is not made:\n%s", render(p))
	}
	b := bodyOf(t, p.Actions[0])
	if b["action"] != "adminAssign" || b["scheduleInfo"].(map[string]any)["expiration"].(map[string]any)["endDateTime"] != "2026-04-01T00:00:00Z" {
		t.Errorf("request %v", b)
	}
}

// A custom role the restore recreates gets its PIM settings at REV in the
// same run: the policy Graph makes with the role is looked up and each
// rule at REV written to it, so a second plan is empty (it used to start
// with Graph's defaults until a second restore). Under realistic
// throttling and replication lag.
func TestRecreatedRoleGetsItsSettingsInTheSameRun(t *testing.T) {
	whenShortOnly(t, "role-assignments", "role-definitions", "role-management-policies")
	e := newEnv(t, graphsim.Options{Throttle: "realistic", EventualConsistency: 2 * time.Second}, nil)
	custom := e.customRole()
	// Its settings at REV differ from Graph's defaults.
	rules := e.rolePolicyRules(custom.Key)
	e.do("PATCH", rules+"/Expiration_EndUser_Assignment", map[string]any{"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
		"isExpirationRequired": true, "maximumDuration": "PT2H"})
	rev := e.baseline("custom role settings")
	e.deleteCustomRole(custom.Key)
	e.recordIncident()
	sel := []string{"roles/definitions", "roles/settings"}
	p := e.plan(rev, sel, Options{})
	if strings.Contains(render(p), "makes a role's PIM settings") {
		t.Errorf("the recreated role's settings are left to a second plan:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	var newID string
	for _, a := range res.Actions {
		if a.Kind == "role-definitions" && a.NewID != "" {
			newID = a.NewID
		}
	}
	if newID == "" {
		t.Fatalf("no role created: %+v", res.Actions)
	}
	if got := e.get(e.rolePolicyRules(newID) + "/Expiration_EndUser_Assignment"); got["maximumDuration"] != "PT2H" || got["isExpirationRequired"] != true {
		t.Errorf("the recreated role's activation rule: %v", got)
	}
	e.mustBeEmptyAt(rev, sel)
}

// A custom role made after the snapshot, with a standing assignment and a
// PIM eligibility: Graph (graphsim, strictly) refuses to delete a role that
// is still assigned, so a restore of the role definitions alone does not
// delete it and says why, and a restore of roles with their assignments
// removes the assignment and the eligibility first, then the role, and the
// apply completes.
func TestRestoreDeletesAssignmentsBeforeTheirCustomRole(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	role := e.post("/v1.0/roleManagement/directory/roleDefinitions", map[string]any{"displayName": "After the snapshot \u202e\"role\"", "isEnabled": true,
		"rolePermissions": []any{map[string]any{"allowedResourceActions": []any{"microsoft.directory/users/standard/read"}}}})
	rid := str(role["id"])
	users := e.list("/v1.0/users?$top=5")
	e.post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": users[0]["id"], "roleDefinitionId": rid, "directoryScopeId": "/"})
	e.post("/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", map[string]any{"action": "adminAssign", "principalId": users[1]["id"],
		"roleDefinitionId": rid, "directoryScopeId": "/", "justification": "test", "scheduleInfo": map[string]any{"expiration": map[string]any{"type": "noExpiration"}}})

	// The role alone: not deleted while assigned, and the plan says why.
	p := e.plan(e.first, []string{"roles/definitions"}, Options{})
	for _, a := range p.Actions {
		if strings.Contains(a.Request.Path, rid) {
			t.Errorf("the assigned role is deleted without its assignments: %s %s", a.Request.Method, a.Request.Path)
		}
	}
	if w := strings.Join(p.Warnings, "\n"); !strings.Contains(w, "2 live assignments or eligibilities still name it") || !strings.Contains(w, "roles/assignments and roles/eligibility") {
		t.Errorf("the plan does not say why the role stays:\n%s", render(p))
	}
	for _, bad := range []string{"\u202e"} {
		if strings.Contains(render(p), bad) {
			t.Errorf("the plan holds a raw %q from the role's name", bad)
		}
	}

	sel := []string{"roles/definitions", "roles/assignments", "roles/eligibility"}
	p = e.plan(e.first, sel, Options{})
	if strings.Contains(strings.Join(p.Warnings, "\n"), "still name it") {
		t.Errorf("with its assignments selected the role is still kept:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s\n%s", res.Actions, res.Differences, res.VerifyError, render(p))
	}
	if _, err := e.c.Do(context.Background(), "GET", "/v1.0/roleManagement/directory/roleDefinitions/"+rid, nil); err == nil {
		t.Errorf("the custom role made after the snapshot is still there")
	}
}

// customRole is a custom role definition of the first snapshot.
func (e *env) customRole() *Object {
	e.t.Helper()
	for _, o := range objectsByKind(e.snapshotObjects(e.first))["role-definitions"] {
		if b, _ := o.Data["isBuiltIn"].(bool); !b {
			return o
		}
	}
	e.t.Fatal("the demo tenant has no custom role")
	return nil
}

// deleteCustomRole deletes custom role key as Graph lets one be deleted:
// its role assignments and eligibilities first (graphsim refuses to delete
// a role still assigned: TestCustomRoleWithAssignmentsIsNotDeleted).
func (e *env) deleteCustomRole(key string) {
	e.t.Helper()
	f := "?$filter=" + url.QueryEscape("roleDefinitionId eq '"+key+"'")
	for _, a := range e.list("/v1.0/roleManagement/directory/roleAssignments" + f) {
		e.do("DELETE", "/v1.0/roleManagement/directory/roleAssignments/"+url.PathEscape(str(a["id"])), nil)
	}
	for _, s := range e.list("/v1.0/roleManagement/directory/roleEligibilitySchedules" + f) {
		e.do("POST", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", map[string]any{"action": "adminRemove", "principalId": s["principalId"],
			"roleDefinitionId": key, "directoryScopeId": s["directoryScopeId"], "justification": "incident"})
	}
	k, _ := layout.Lookup("role-definitions")
	e.do("DELETE", itemPath(k, key), nil)
}

// A user deleted for more than 7 days has lost its role assignment, PIM
// eligibility and time-bound assignment to Graph's clean-up (graphsim
// roles.go, dropGonePrincipalsRoles); restoring the user from the recycle
// bin brings none of them back, so the plan restores the user and makes
// each again from the snapshot (the time-bound one with its end), and a
// second plan is empty. Under realistic throttling, faults and lag (not
// with -short).
func TestRestoreDeletedPrincipalsRolesAfterTheCleanUp(t *testing.T) {
	whenShortOnly(t, "group-eligibility-schedules", "groups", "role-assignments", "role-eligibility-schedules", "time-bound-role-assignments", "users")
	o := realisticSim()
	if testing.Short() {
		o = graphsim.Options{}
	}
	e := newEnv(t, o, nil)
	holders := map[string]bool{}
	for _, p := range []string{"roleAssignments", "roleEligibilitySchedules"} {
		for _, o := range e.list("/v1.0/roleManagement/directory/" + p) {
			holders[strings.ToLower(str(o["principalId"]))] = true
		}
	}
	var u map[string]any
	for _, x := range e.list("/v1.0/users?$select=id,userPrincipalName,onPremisesSyncEnabled,userType") {
		if x["onPremisesSyncEnabled"] != true && x["userType"] != "Guest" && !holders[strings.ToLower(str(x["id"]))] {
			u = x
			break
		}
	}
	uid := str(u["id"])
	end := e.sim.Clock().Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	who := func(role string) map[string]any {
		return map[string]any{"principalId": uid, "roleDefinitionId": role, "directoryScopeId": "/"}
	}
	const (
		admin  = "62e90394-69f5-4237-9190-012177145e10" // Global Administrator
		reader = "f2ef992c-3afb-46b9-b7cf-a126ee74c451" // Global Reader
	)
	e.post("/v1.0/roleManagement/directory/roleAssignments", who(directoryReadersRole))
	e.post("/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", merge(who(admin), map[string]any{"action": "adminAssign", "justification": "before"}))
	e.post("/v1.0/roleManagement/directory/roleAssignmentScheduleRequests", merge(who(reader), map[string]any{"action": "adminAssign", "justification": "before",
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": end.Format(time.RFC3339)}}}))
	e.sim.Clock().Advance(10 * time.Second)
	rev := e.baseline("the user's roles")
	held := func() int {
		n := 0
		for _, p := range []string{"roleAssignments", "roleEligibilitySchedules", "roleAssignmentSchedules"} {
			for _, o := range e.list("/v1.0/roleManagement/directory/" + p + "?$filter=" + url.QueryEscape("principalId eq '"+uid+"'")) {
				if strings.EqualFold(str(o["principalId"]), uid) {
					n++
				}
			}
		}
		return n
	}
	if n := held(); n < 4 {
		t.Fatalf("%d role entries of the user before the delete", n)
	}

	e.do("DELETE", "/v1.0/users/"+uid, nil)
	e.sim.Clock().Advance(8 * 24 * time.Hour)
	e.now = e.sim.Clock().Now()
	if n := held(); n != 0 {
		t.Fatalf("8 days after the delete: %d role entries still listed", n)
	}
	e.recordIncident()

	sel := []string{"users/" + str(u["userPrincipalName"]), "role-assignments", "role-eligibility-schedules", "time-bound-role-assignments"}
	p := e.plan(rev, sel, Options{})
	ops := map[string]int{}
	for _, a := range p.Actions {
		ops[a.Kind+" "+string(a.Op)]++
	}
	if ops["users "+string(OpRestore)] != 1 || ops["role-assignments create"] != 1 || ops["role-eligibility-schedules create"] != 1 || ops["time-bound-role-assignments create"] != 1 {
		t.Fatalf("ops %v:\n%s", ops, render(p))
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	if n := held(); n < 4 {
		t.Errorf("%d role entries of the user after the restore", n)
	}
	for _, s := range e.list("/v1.0/roleManagement/directory/roleAssignmentSchedules") {
		if strings.EqualFold(str(s["principalId"]), uid) {
			if got, ok := scheduleEnd(s); !ok || !got.Equal(end) {
				t.Errorf("the time-bound assignment came back with end %v, want %v", got, end)
			}
		}
	}
	e.mustBeEmptyAt(rev, sel)
}
