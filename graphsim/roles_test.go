package graphsim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim/builtin"
)

const pathEligibility = "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests"

func listValue(t *testing.T, s *Server, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, v := range asSlice(genJSON(t, s, "GET", path, nil, 200)["value"]) {
		out = append(out, v.(map[string]any))
	}
	return out
}

// A request's id is not its schedule's; a group's eligibility lists its
// members as eligible through the group (memberType Group), rows a caller
// cannot remove on their own; removing the group's eligibility removes them.
func TestEligibilityRequestsSchedulesAndGroupRows(t *testing.T) {
	s, users := gwServer(t)
	g := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "PIM admins", "mailNickname": "pim", "mailEnabled": false,
		"securityEnabled": true, "isAssignableToRole": true, "groupTypes": []any{}}, 201)
	gid := str(g["id"])
	for _, u := range users[:2] {
		genDo(t, s, "POST", "/v1.0/groups/"+gid+"/members/$ref", ref(u))
	}
	req := genJSON(t, s, "POST", pathEligibility, map[string]any{"action": "adminAssign", "justification": "x",
		"principalId": gid, "roleDefinitionId": builtin.GlobalAdministratorRoleID, "directoryScopeId": "/"}, 201)
	if str(req["targetScheduleId"]) == "" || strings.EqualFold(str(req["id"]), str(req["targetScheduleId"])) {
		t.Fatalf("request %v: its id must differ from its schedule's", req)
	}
	rows := listValue(t, s, "/v1.0/roleManagement/directory/roleEligibilitySchedules")
	byType := map[string][]string{}
	for _, r := range rows {
		byType[str(r["memberType"])] = append(byType[str(r["memberType"])], str(r["principalId"]))
		if r["memberType"] == "Group" && r["createdUsing"] != req["targetScheduleId"] {
			t.Errorf("inherited row %v does not name the group's schedule", r)
		}
	}
	if len(byType["Direct"]) != 1 || byType["Direct"][0] != gid || len(byType["Group"]) != 2 {
		t.Fatalf("schedules by memberType %v", byType)
	}
	wantError(t, s, "POST", pathEligibility, map[string]any{"action": "adminRemove", "principalId": users[0],
		"roleDefinitionId": builtin.GlobalAdministratorRoleID, "directoryScopeId": "/"}, 400, "RoleAssignmentDoesNotExist")
	// A direct eligibility of a member, next to the inherited one, is its own.
	genJSON(t, s, "POST", pathEligibility, map[string]any{"action": "adminAssign", "principalId": users[0],
		"roleDefinitionId": builtin.GlobalAdministratorRoleID, "directoryScopeId": "/"}, 201)
	genJSON(t, s, "POST", pathEligibility, map[string]any{"action": "adminRemove", "principalId": gid,
		"roleDefinitionId": builtin.GlobalAdministratorRoleID, "directoryScopeId": "/"}, 201)
	rows = listValue(t, s, "/v1.0/roleManagement/directory/roleEligibilitySchedules")
	if len(rows) != 1 || rows[0]["principalId"] != users[0] || rows[0]["memberType"] != "Direct" {
		t.Fatalf("after removing the group's eligibility: %v", rows)
	}
}

// Directory roles are activated from a template with their own id; a
// scoped role member names that id, never the template.
func TestDirectoryRolesAndScopedRoleMembers(t *testing.T) {
	s, users := gwServer(t)
	const helpdesk = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
	au := genJSON(t, s, "POST", "/v1.0/directory/administrativeUnits", map[string]any{"displayName": "Unit"}, 201)
	scoped := "/v1.0/directory/administrativeUnits/" + str(au["id"]) + "/scopedRoleMembers"
	member := map[string]any{"id": users[0]}
	wantError(t, s, "POST", scoped, map[string]any{"roleId": helpdesk, "roleMemberInfo": member}, 400, "not a role definition or template")
	wantError(t, s, "POST", scoped, map[string]any{"roleId": "deadbeef-0000-4000-8000-000000000000", "roleMemberInfo": member}, 404, "")

	roles := listValue(t, s, "/v1.0/directoryRoles")
	if len(roles) != 1 || roles[0]["roleTemplateId"] != builtin.GlobalAdministratorRoleID || roles[0]["id"] == builtin.GlobalAdministratorRoleID {
		t.Fatalf("activated roles of a new tenant: %v", roles)
	}
	dr := genJSON(t, s, "POST", "/v1.0/directoryRoles", map[string]any{"roleTemplateId": helpdesk}, 201)
	if dr["id"] == helpdesk || dr["roleTemplateId"] != helpdesk || dr["displayName"] != "Helpdesk Administrator" {
		t.Fatalf("activated role %v", dr)
	}
	wantError(t, s, "POST", "/v1.0/directoryRoles", map[string]any{"roleTemplateId": helpdesk}, 409, "conflicting object")
	custom := genJSON(t, s, "POST", "/v1.0/roleManagement/directory/roleDefinitions", map[string]any{"displayName": "Custom", "isEnabled": true,
		"rolePermissions": []any{map[string]any{"allowedResourceActions": []any{"microsoft.directory/users/standard/read"}}}}, 201)
	wantError(t, s, "POST", "/v1.0/directoryRoles", map[string]any{"roleTemplateId": custom["templateId"]}, 400, "not a built-in")
	m := genJSON(t, s, "POST", scoped, map[string]any{"roleId": dr["id"], "roleMemberInfo": member}, 201)
	if m["roleId"] != dr["id"] {
		t.Fatalf("scoped role member %v", m)
	}
	// Another tenant activates the same template under another id.
	s2, err := New(Options{Profile: "empty", Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if dr2 := genJSON(t, s2, "POST", "/v1.0/directoryRoles", map[string]any{"roleTemplateId": helpdesk}, 201); dr2["id"] == dr["id"] {
		t.Errorf("two tenants share the directory role id %v", dr["id"])
	}
}

// An eligible principal's activation (selfActivate, time-bound) is listed in
// roleAssignments and as an Activated instance until its end on graphsim's
// clock; a standing assignment is an Assigned instance. A principal that is
// not eligible cannot activate, nor without an end.
func TestActivatedAssignmentsListedUntilTheyEnd(t *testing.T) {
	s, users := gwServer(t)
	const reqs = "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests"
	role := builtin.GlobalAdministratorRoleID
	activate := func(principal string, exp map[string]any) map[string]any {
		return map[string]any{"action": "selfActivate", "principalId": principal, "roleDefinitionId": role, "directoryScopeId": "/",
			"justification": "incident", "scheduleInfo": map[string]any{"expiration": exp}}
	}
	eightHours := map[string]any{"type": "afterDuration", "duration": "PT8H"}
	wantError(t, s, "POST", reqs, activate(users[0], eightHours), 400, "not eligible")
	genJSON(t, s, "POST", pathEligibility, map[string]any{"action": "adminAssign", "principalId": users[0], "roleDefinitionId": role, "directoryScopeId": "/"}, 201)
	wantError(t, s, "POST", reqs, activate(users[0], map[string]any{"type": "noExpiration"}), 400, "ExpirationRule")
	req := genJSON(t, s, "POST", reqs, activate(users[0], eightHours), 201)
	genJSON(t, s, "POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": users[1], "roleDefinitionId": role, "directoryScopeId": "/"}, 201)

	byPrincipal := func() (map[string]string, map[string]string) {
		ras, inst := map[string]string{}, map[string]string{}
		for _, a := range listValue(t, s, "/v1.0/roleManagement/directory/roleAssignments") {
			ras[str(a["principalId"])] = str(a["id"])
		}
		for _, i := range listValue(t, s, "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances") {
			inst[str(i["principalId"])] = str(i["assignmentType"]) + "|" + str(i["roleAssignmentOriginId"])
		}
		return ras, inst
	}
	ras, inst := byPrincipal()
	if ras[users[0]] == "" || inst[users[0]] != "Activated|"+ras[users[0]] || req["targetScheduleId"] != ras[users[0]] {
		t.Fatalf("activation: assignments %v, instances %v, request %v", ras, inst, req)
	}
	if ras[users[1]] == "" || inst[users[1]] != "Assigned|"+ras[users[1]] {
		t.Fatalf("standing assignment: assignments %v, instances %v", ras, inst)
	}
	filtered := listValue(t, s, "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances?$filter=assignmentType%20eq%20'Activated'")
	if len(filtered) != 1 || filtered[0]["principalId"] != users[0] {
		t.Fatalf("$filter=assignmentType eq 'Activated': %v", filtered)
	}
	s.Clock().Advance(8*time.Hour + time.Second)
	ras, inst = byPrincipal()
	if ras[users[0]] != "" || inst[users[0]] != "" || ras[users[1]] == "" {
		t.Fatalf("after the end: assignments %v, instances %v", ras, inst)
	}
	genJSON(t, s, "POST", reqs, activate(users[0], map[string]any{"type": "afterDuration", "duration": "PT1H"}), 201) // again
}

// A custom role definition that is still assigned (standing assignment or
// PIM eligibility) is not deleted (strict reading of
// unifiedroledefinition-delete): no assignment is left naming a role that
// is gone. Once its assignments are removed, it is deleted.
func TestCustomRoleWithAssignmentsIsNotDeleted(t *testing.T) {
	s, users := gwServer(t)
	role := genJSON(t, s, "POST", "/v1.0/roleManagement/directory/roleDefinitions", map[string]any{"displayName": "Custom \u202e\"reader\"", "isEnabled": true,
		"rolePermissions": []any{map[string]any{"allowedResourceActions": []any{"microsoft.directory/users/standard/read"}}}}, 201)
	rid := str(role["id"])
	a := genJSON(t, s, "POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": users[0], "roleDefinitionId": rid, "directoryScopeId": "/"}, 201)
	genJSON(t, s, "POST", pathEligibility, map[string]any{"action": "adminAssign", "principalId": users[1], "roleDefinitionId": rid, "directoryScopeId": "/",
		"justification": "test", "scheduleInfo": map[string]any{"expiration": map[string]any{"type": "noExpiration"}}}, 201)
	wantError(t, s, "DELETE", "/v1.0/roleManagement/directory/roleDefinitions/"+rid, nil, 400, "Remove them first")
	genDo(t, s, "DELETE", "/v1.0/roleManagement/directory/roleAssignments/"+str(a["id"]), nil)
	wantError(t, s, "DELETE", "/v1.0/roleManagement/directory/roleDefinitions/"+rid, nil, 400, "1 role assignments or eligibilities")
	genJSON(t, s, "POST", pathEligibility, map[string]any{"action": "adminRemove", "principalId": users[1], "roleDefinitionId": rid, "directoryScopeId": "/"}, 201)
	if code, raw := genDo(t, s, "DELETE", "/v1.0/roleManagement/directory/roleDefinitions/"+rid, nil); code != 204 {
		t.Fatalf("delete of the unassigned role: %d %s", code, raw)
	}
	if code, _ := genDo(t, s, "GET", "/v1.0/roleManagement/directory/roleDefinitions/"+rid, nil); code != 404 {
		t.Errorf("the deleted role is still read: %d", code)
	}
}

// Assigning a built-in role through /roleManagement/directory/roleAssignments
// activates its directory role, as Graph does (an assignment at any scope,
// a PIM adminAssign and a seeded assignment alike), with the audit record
// "Add role from template" beside "Add member to role"; a custom role has
// no directory role, and activating the role again is 409.
func TestRoleAssignmentActivatesItsDirectoryRole(t *testing.T) {
	s, users := gwServer(t)
	const (
		userAdmin = "fe930be7-5e62-47db-91af-98c3a49a38b1"
		helpdesk  = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
		secReader = "5d6b6bb7-de71-4623-b4af-96380a352509"
	)
	activated := func() map[string]string {
		out := map[string]string{}
		for _, r := range listValue(t, s, "/v1.0/directoryRoles") {
			out[str(r["roleTemplateId"])] = str(r["id"])
		}
		return out
	}
	if got := activated(); got[userAdmin] != "" || got[helpdesk] != "" || got[secReader] != "" {
		t.Fatalf("roles activated before any assignment: %v", got)
	}
	au := genJSON(t, s, "POST", "/v1.0/directory/administrativeUnits", map[string]any{"displayName": "Unit"}, 201)
	genJSON(t, s, "POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": users[0],
		"roleDefinitionId": userAdmin, "directoryScopeId": "/administrativeUnits/" + str(au["id"])}, 201)
	got := activated()
	if got[userAdmin] == "" || strings.EqualFold(got[userAdmin], userAdmin) {
		t.Fatalf("an assignment of User Administrator did not activate its role (own id): %v", got)
	}
	if got[helpdesk] != "" {
		t.Fatalf("an unassigned role was activated: %v", got)
	}
	wantError(t, s, "POST", "/v1.0/directoryRoles", map[string]any{"roleTemplateId": userAdmin}, 409, "conflicting object")
	// A second assignment of the same role leaves the one directory role.
	genJSON(t, s, "POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": users[1],
		"roleDefinitionId": userAdmin, "directoryScopeId": "/"}, 201)
	if again := activated(); again[userAdmin] != got[userAdmin] || len(again) != len(got) {
		t.Fatalf("a second assignment changed the directory roles: %v, then %v", got, again)
	}
	// PIM's adminAssign makes an assignment too.
	genJSON(t, s, "POST", "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests", map[string]any{"action": "adminAssign",
		"principalId": users[2], "roleDefinitionId": helpdesk, "directoryScopeId": "/", "justification": "x"}, 201)
	if activated()[helpdesk] == "" {
		t.Fatal("a PIM adminAssign did not activate Helpdesk Administrator")
	}
	// A custom role is not a directory role.
	custom := genJSON(t, s, "POST", "/v1.0/roleManagement/directory/roleDefinitions", map[string]any{"displayName": "Custom", "isEnabled": true,
		"rolePermissions": []any{map[string]any{"allowedResourceActions": []any{"microsoft.directory/users/standard/read"}}}}, 201)
	before := len(activated())
	genJSON(t, s, "POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": users[0],
		"roleDefinitionId": custom["id"], "directoryScopeId": "/"}, 201)
	if n := len(activated()); n != before {
		t.Fatalf("a custom role's assignment changed the directory roles: %d, then %d", before, n)
	}
	// A seeded assignment leaves the tenant as an assignment made over HTTP would.
	if _, err := s.Tenant().Seed("unifiedRoleAssignment", map[string]any{"principalId": users[1], "roleDefinitionId": secReader, "directoryScopeId": "/"}); err != nil {
		t.Fatal(err)
	}
	if activated()[secReader] == "" {
		t.Fatal("a seeded assignment of Security Reader did not activate its role")
	}
	// The audit log says so: one activation per role, in the request that assigned it.
	s.Clock().Advance(DefaultAuditLag + time.Minute)
	recs := listValue(t, s, "/v1.0/auditLogs/directoryAudits?$filter="+strings.ReplaceAll("activityDisplayName eq 'Add role from template'", " ", "%20"))
	byRole := map[string]map[string]any{}
	for _, r := range recs {
		tr := asSlice(r["targetResources"])
		if len(tr) != 1 || r["category"] != "RoleManagement" {
			t.Fatalf("activation record %v", r)
		}
		byRole[str(tr[0].(map[string]any)["id"])] = r
	}
	ua := byRole[got[userAdmin]]
	if ua == nil || byRole[activated()[helpdesk]] == nil || len(byRole) != 2 {
		t.Fatalf("activation records %v (want User Administrator's and Helpdesk Administrator's)", recs)
	}
	assigned := false
	for _, r := range listValue(t, s, "/v1.0/auditLogs/directoryAudits?$filter="+strings.ReplaceAll("activityDisplayName eq 'Add member to role'", " ", "%20")) {
		assigned = assigned || r["correlationId"] == ua["correlationId"]
	}
	if !assigned {
		t.Errorf("the activation %v is not in the request that assigned the role", ua)
	}
}

// adminUpdate gives an existing schedule a new window, keeping its id:
// a role eligibility (and the rows inherited through a group's), a
// time-bound active role assignment (its instance ends at the new end; the
// role's settings hold; an activation is refused) and a PIM for Groups
// schedule (the membership an active one gave stays; an audit record names
// the group). None to update, no scheduleInfo, or an end not after the
// start → 400.
func TestAdminUpdateOfSchedules(t *testing.T) {
	s, users := gwServer(t)
	const assignReqs = "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests"
	role := builtin.GlobalAdministratorRoleID
	now := s.Clock().Now()
	at := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }
	until := func(end string) map[string]any {
		return map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": end}}
	}
	roleReq := func(action, principal string, info map[string]any) map[string]any {
		b := map[string]any{"action": action, "principalId": principal, "roleDefinitionId": role, "directoryScopeId": "/", "justification": "x"}
		if info != nil {
			b["scheduleInfo"] = info
		}
		return b
	}
	// Role eligibility of a group: the group's schedule and its members' rows.
	g := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "PIM admins", "mailNickname": "pim", "mailEnabled": false,
		"securityEnabled": true, "isAssignableToRole": true, "groupTypes": []any{}}, 201)
	gid := str(g["id"])
	genDo(t, s, "POST", "/v1.0/groups/"+gid+"/members/$ref", ref(users[0]))
	made := genJSON(t, s, "POST", pathEligibility, roleReq("adminAssign", gid, until(at(24*time.Hour))), 201)
	wantError(t, s, "POST", pathEligibility, roleReq("adminUpdate", users[1], until(at(48*time.Hour))), 400, "RoleAssignmentDoesNotExist")
	wantError(t, s, "POST", pathEligibility, roleReq("adminUpdate", gid, nil), 400, "scheduleInfo")
	wantError(t, s, "POST", pathEligibility, roleReq("adminUpdate", gid, until(at(-time.Hour))), 400, "not after")
	upd := genJSON(t, s, "POST", pathEligibility, roleReq("adminUpdate", gid, until(at(48*time.Hour))), 201)
	if upd["targetScheduleId"] != made["targetScheduleId"] {
		t.Errorf("adminUpdate names schedule %v, adminAssign made %v", upd["targetScheduleId"], made["targetScheduleId"])
	}
	for _, r := range listValue(t, s, "/v1.0/roleManagement/directory/roleEligibilitySchedules") {
		if lookupPath(r, "scheduleInfo/expiration/endDateTime") != at(48*time.Hour) || r["modifiedDateTime"] == nil {
			t.Errorf("eligibility row %v (%s) after adminUpdate: %v", r["principalId"], r["memberType"], r["scheduleInfo"])
		}
	}
	// A time-bound active assignment.
	assigned := genJSON(t, s, "POST", assignReqs, roleReq("adminAssign", users[1], until(at(72*time.Hour))), 201)
	before := listValue(t, s, "/v1.0/roleManagement/directory/roleAssignmentSchedules")
	if len(before) != 1 || before[0]["createdUsing"] != assigned["id"] {
		t.Fatalf("the adminAssign's schedule: %v (request %v)", before, assigned["id"])
	}
	wantError(t, s, "POST", assignReqs, roleReq("adminUpdate", users[2], until(at(24*time.Hour))), 400, "RoleAssignmentDoesNotExist")
	s.Clock().Advance(time.Hour)
	genJSON(t, s, "POST", assignReqs, roleReq("adminUpdate", users[1], until(at(24*time.Hour))), 201)
	// The schedule is the adminAssign's still: Graph keeps its creation
	// (createdDateTime, createdUsing); only its window and modifiedDateTime change.
	if after := listValue(t, s, "/v1.0/roleManagement/directory/roleAssignmentSchedules"); len(after) != 1 || after[0]["id"] != before[0]["id"] ||
		after[0]["createdDateTime"] != before[0]["createdDateTime"] || after[0]["createdUsing"] != before[0]["createdUsing"] ||
		after[0]["modifiedDateTime"] != s.Clock().Now().UTC().Format(time.RFC3339) {
		t.Errorf("the assignment schedule after adminUpdate: %v\nbefore: %v", after, before)
	}
	inst := listValue(t, s, "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances?$filter=principalId%20eq%20'"+users[1]+"'")
	sched := listValue(t, s, "/v1.0/roleManagement/directory/roleAssignmentSchedules")
	if len(inst) != 1 || inst[0]["endDateTime"] != at(24*time.Hour) || len(sched) != 1 || lookupPath(sched[0], "scheduleInfo/expiration/endDateTime") != at(24*time.Hour) {
		t.Fatalf("after adminUpdate: instances %v, schedules %v", inst, sched)
	}
	s.tenant.mu.Lock()
	s.policyRule(role, "Expiration_Admin_Assignment")["isExpirationRequired"] = true
	s.policyRule(role, "Expiration_Admin_Assignment")["maximumDuration"] = "P30D"
	s.tenant.mu.Unlock()
	wantError(t, s, "POST", assignReqs, roleReq("adminUpdate", users[1], map[string]any{"expiration": map[string]any{"type": "noExpiration"}}), 400, "ExpirationRule")
	// PIM for Groups: an active member assignment keeps its membership.
	pg := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "PIM group", "mailEnabled": false, "mailNickname": "pimg", "securityEnabled": true}, 201)
	pgid := str(pg["id"])
	pgReq := func(action string, info map[string]any) map[string]any {
		b := map[string]any{"action": action, "accessId": "member", "groupId": pgid, "principalId": users[2], "justification": "x"}
		if info != nil {
			b["scheduleInfo"] = info
		}
		return b
	}
	wantError(t, s, "POST", pgRoot+"assignmentScheduleRequests", pgReq("adminUpdate", until(at(24*time.Hour))), 400, "RoleAssignmentDoesNotExist")
	genJSON(t, s, "POST", pgRoot+"assignmentScheduleRequests", pgReq("adminAssign", until(at(24*time.Hour))), 201)
	wantError(t, s, "POST", pgRoot+"assignmentScheduleRequests", pgReq("adminUpdate", nil), 400, "scheduleInfo")
	genJSON(t, s, "POST", pgRoot+"assignmentScheduleRequests", pgReq("adminUpdate", map[string]any{"expiration": map[string]any{"type": "noExpiration"}}), 201)
	as := listValue(t, s, pgRoot+"assignmentSchedules"+pgGroupFilter(pgid))
	members := listValue(t, s, "/v1.0/groups/"+pgid+"/members")
	if len(as) != 1 || lookupPath(as[0], "scheduleInfo/expiration/type") != "noExpiration" || len(members) != 1 || members[0]["id"] != users[2] {
		t.Fatalf("after adminUpdate: schedules %v, members %v", as, members)
	}
	s.Clock().Advance(25 * time.Hour) // the old end: nothing ends now
	if members := listValue(t, s, "/v1.0/groups/"+pgid+"/members"); len(members) != 1 {
		t.Errorf("members after the old end: %v", members)
	}
	var logged bool
	for _, a := range listValue(t, s, "/v1.0/auditLogs/directoryAudits") {
		if a["activityDisplayName"] == "Process role update request" && strings.Contains(fmt.Sprint(a["targetResources"]), pgid) {
			logged = true
		}
	}
	if !logged {
		t.Error("no audit record of the adminUpdate names the group")
	}
}

// A deleted principal's role assignments (with their PIM instance and
// schedule) and role eligibility stay listed for 7 days, then a clean-up
// removes them: a user restored from the recycle bin later comes back
// without them; one restored sooner keeps them.
func TestDeletedPrincipalsRoleEntriesCleanedUpAfterSevenDays(t *testing.T) {
	s, users := gwServer(t)
	const assignReqs = "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests"
	role := builtin.GlobalAdministratorRoleID
	end := s.Clock().Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	for _, u := range users[:2] {
		genJSON(t, s, "POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": u, "roleDefinitionId": builtin.DirectoryReadersRoleID, "directoryScopeId": "/"}, 201)
		genJSON(t, s, "POST", pathEligibility, map[string]any{"action": "adminAssign", "principalId": u, "roleDefinitionId": role, "directoryScopeId": "/"}, 201)
		genJSON(t, s, "POST", assignReqs, map[string]any{"action": "adminAssign", "principalId": u, "roleDefinitionId": globalReaderRoleID, "directoryScopeId": "/",
			"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": end}}}, 201)
	}
	held := func(u string) int {
		n := 0
		for _, p := range []string{"roleAssignments", "roleAssignmentScheduleInstances", "roleAssignmentSchedules", "roleEligibilitySchedules"} {
			for _, o := range listValue(t, s, "/v1.0/roleManagement/directory/"+p) {
				if o["principalId"] == u {
					n++
				}
			}
		}
		return n
	}
	want := held(users[0])
	if want < 6 {
		t.Fatalf("%d role entries of the user before the delete", want)
	}
	for _, u := range users[:2] {
		genDo(t, s, "DELETE", "/v1.0/users/"+u, nil)
	}
	s.Clock().Advance(6 * 24 * time.Hour)
	if n := held(users[0]); n != want {
		t.Errorf("6 days after the delete: %d role entries listed, want %d", n, want)
	}
	genJSON(t, s, "POST", "/v1.0/directory/deletedItems/"+users[1]+"/restore", map[string]any{}, 200)
	s.Clock().Advance(24*time.Hour - time.Second)
	if n := held(users[0]); n != want {
		t.Errorf("a second short of 7 days after the delete: %d role entries listed, want %d", n, want)
	}
	s.Clock().Advance(time.Second)
	if n := held(users[0]); n != 0 {
		t.Errorf("7 days after the delete: %d role entries listed, want none", n)
	}
	genJSON(t, s, "POST", "/v1.0/directory/deletedItems/"+users[0]+"/restore", map[string]any{}, 200)
	if n := held(users[0]); n != 0 {
		t.Errorf("restored after the clean-up: %d role entries, want none", n)
	}
	if n := held(users[1]); n != want {
		t.Errorf("restored before the clean-up: %d role entries, want %d", n, want)
	}
	// A role entry made for a principal past its clean-up is removed
	// before the next request (the clean-up looks again after any).
	genDo(t, s, "DELETE", "/v1.0/users/"+users[1], nil)
	s.Clock().Advance(principalCleanup)
	if n := held(users[1]); n != 0 {
		t.Fatalf("7 days after the second delete: %d role entries listed, want none", n)
	}
	if _, err := s.Tenant().Seed("unifiedRoleAssignment", map[string]any{"principalId": users[1], "roleDefinitionId": builtin.DirectoryReadersRoleID, "directoryScopeId": "/"}); err != nil {
		t.Fatal(err)
	}
	if n := held(users[1]); n != 0 {
		t.Errorf("an assignment of a principal past its clean-up: %d role entries listed, want none", n)
	}
}

// BenchmarkDropGonePrincipalsRoles is the clean-up's cost on each request
// with 1,000 principals in the recycle bin, half of them deleted more than
// 7 days ago, and 2,000 role assignments of live principals.
func BenchmarkDropGonePrincipalsRoles(b *testing.B) {
	s, err := New(Options{Profile: "empty", Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	t := s.Tenant()
	for i := range 3000 {
		id, err := t.Seed("user", map[string]any{"displayName": fmt.Sprint("u", i), "userPrincipalName": fmt.Sprintf("u%d@%s", i, t.Domain())})
		if err != nil {
			b.Fatal(err)
		}
		if i >= 1000 {
			if _, err := t.Seed("unifiedRoleAssignment", map[string]any{"principalId": id, "roleDefinitionId": builtin.DirectoryReadersRoleID, "directoryScopeId": "/"}); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if code, body := genDo(b, s, "DELETE", "/v1.0/users/"+id, nil); code != 204 {
			b.Fatalf("DELETE user: %d %s", code, body)
		}
		if i == 499 {
			s.Clock().Advance(principalCleanup + time.Hour)
		}
	}
	s.dropGonePrincipalsRoles()
	b.ResetTimer()
	for range b.N {
		s.dropGonePrincipalsRoles()
	}
}

// TestRoleSweepIsDueOnlyWhenAPrincipalIsDue: after the clean-up looked,
// deleting an object that is not a principal (an application) leaves the
// next look where it was, and deleting a user brings it forward to that
// user's clean-up, not to the next request (every soft delete used to make
// the next request look through the whole bin).
func TestRoleSweepIsDueOnlyWhenAPrincipalIsDue(t *testing.T) {
	s, users := gwServer(t)
	tn := s.Tenant()
	app := genJSON(t, s, "POST", "/v1.0/applications", map[string]any{"displayName": "app \u202e"}, 201)
	genDo(t, s, "DELETE", "/v1.0/users/"+users[0], nil)
	s.Clock().Advance(time.Hour)
	s.dropGonePrincipalsRoles()
	first := tn.roleSweep
	if want := tn.bin[strings.ToLower(users[0])].deletedAt.Add(principalCleanup); !first.Equal(want) {
		t.Fatalf("next look at %v, want the deleted user's clean-up at %v", first, want)
	}
	genDo(t, s, "DELETE", "/v1.0/applications/"+str(app["id"]), nil)
	if !tn.roleSweep.Equal(first) {
		t.Errorf("after an application's delete the next look is at %v, want %v", tn.roleSweep, first)
	}
	s.Clock().Advance(time.Hour)
	genDo(t, s, "DELETE", "/v1.0/users/"+users[1], nil)
	if !tn.roleSweep.Equal(first) {
		t.Errorf("a later principal's delete moved the next look to %v, want %v (the earlier one's)", tn.roleSweep, first)
	}
}
