package graphsim

import (
	"strings"
	"testing"

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
