package check

import (
	"strings"
	"testing"
)

// A role settings file names its role (roleDefinitionId, the file's key)
// and the approvers of its approval rule: each resolves against the
// snapshot's role definitions, users and groups, and one that names nothing
// is a dangling reference at its property path.
func TestRoleSettingsReferencesResolve(t *testing.T) {
	r := newCheckRepo(t)
	const role, user, gone = "0b000000-0000-4000-8000-0000000000a1", "0b000000-0000-4000-8000-0000000000b1", "0b000000-0000-4000-8000-0000000000c1"
	pr, rd := objectFile(t, kind(t, "role-definitions"), map[string]any{"id": role, "displayName": "Role \u202e", "isBuiltIn": false,
		"isEnabled": true, "rolePermissions": []any{}})
	pu, u := objectFile(t, kind(t, "users"), map[string]any{"id": user, "userPrincipalName": "approver@example.com", "displayName": "Approver"})
	stage := map[string]any{"primaryApprovers": []any{
		map[string]any{"@odata.type": "#microsoft.graph.singleUser", "userId": user},
		map[string]any{"@odata.type": "#microsoft.graph.singleUser", "userId": gone},
	}}
	settings := func(roleID string) map[string]any {
		return map[string]any{"id": "DirectoryRole_t_p" + roleID[len(roleID)-2:], "roleDefinitionId": roleID, "scopeId": "/", "scopeType": "DirectoryRole",
			"rules": []any{map[string]any{"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule", "id": "Approval_EndUser_Assignment",
				"setting": map[string]any{"isApprovalRequired": true, "approvalMode": "SingleStage", "approvalStages": []any{stage}}}}}
	}
	pp, p := objectFile(t, kind(t, "role-management-policies"), settings(role))
	pq, q := objectFile(t, kind(t, "role-management-policies"), settings(gone))
	rep := checkSnapshot(t, r, map[string][]byte{pr: rd, pu: u, pp: p, pq: q}, "snapshot/1")
	got := dangling(rep, func(is Issue) string { return strings.TrimPrefix(is.File, "roles/settings/") + " " + is.Property })
	want := []string{
		role + ".yaml rules[0].setting.approvalStages[0].primaryApprovers[1].userId",
		gone + ".yaml roleDefinitionId",
		gone + ".yaml rules[0].setting.approvalStages[0].primaryApprovers[1].userId",
	}
	sameLines(t, "dangling references", got, want, rep)
}

// A time-bound assignment's principal and role resolve like a standing
// assignment's: a principal gone from the snapshot is a dangling reference.
func TestTimeBoundAssignmentReferencesResolve(t *testing.T) {
	r := newCheckRepo(t)
	const role, gone = "0c000000-0000-4000-8000-0000000000a1", "0c000000-0000-4000-8000-0000000000c1"
	pr, rd := objectFile(t, kind(t, "role-definitions"), map[string]any{"id": role, "displayName": "Reader", "isBuiltIn": false,
		"isEnabled": true, "rolePermissions": []any{}})
	pa, a := objectFile(t, kind(t, "time-bound-role-assignments"), map[string]any{"id": "tb-1", "principalId": gone, "roleDefinitionId": role,
		"directoryScopeId": "/", "assignmentType": "Assigned", "memberType": "Direct", "status": "Provisioned",
		"scheduleInfo": map[string]any{"startDateTime": "2026-12-06T08:00:00Z", "expiration": map[string]any{"type": "afterDateTime", "endDateTime": "2027-01-05T08:00:00Z"}}})
	pu, u := objectFile(t, kind(t, "users"), map[string]any{"id": "0c000000-0000-4000-8000-0000000000b1", "userPrincipalName": "someone@example.com", "displayName": "Someone"})
	pg, g := objectFile(t, kind(t, "groups"), map[string]any{"id": "0c000000-0000-4000-8000-0000000000d1", "displayName": "G", "mailNickname": "g",
		"mailEnabled": false, "securityEnabled": true, "groupTypes": []any{}, "members": []any{}, "owners": []any{}})
	ps, sp := objectFile(t, kind(t, "service-principals"), map[string]any{"id": "0c000000-0000-4000-8000-0000000000e1", "appId": "0c000000-0000-4000-8000-0000000000f1", "displayName": "SP"})
	rep := checkSnapshot(t, r, map[string][]byte{pr: rd, pa: a, pu: u, pg: g, ps: sp}, "snapshot/1")
	got := dangling(rep, func(is Issue) string { return is.File + " " + is.Property })
	if strings.Join(got, ",") != pa+" principalId" || !strings.Contains(rep.Snapshots[0].Issues[0].Message, "Graph keeps listing a role assignment") {
		t.Errorf("dangling references %v, want the principal of %s (report %+v)", got, pa, rep.Snapshots[0].Issues)
	}
}
