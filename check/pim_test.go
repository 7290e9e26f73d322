package check

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/snapshot"
)

// A role settings file names its role (roleDefinitionId, the file's key)
// and the approvers of its approval rule: each resolves against the
// snapshot's role definitions, users and groups, and one that names nothing
// is a dangling reference at its property path.
func TestRoleSettingsReferencesResolve(t *testing.T) {
	ctx := context.Background()
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "backup"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
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
	writeSnapshot(t, r, map[string][]byte{pr: rd, pu: u, pp: p, pq: q}, "snapshot/1")
	rep, err := Repo(ctx, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, is := range rep.Snapshots[0].Issues {
		if strings.Contains(is.Message, "names no object") {
			got = append(got, strings.TrimPrefix(is.File, "roles/settings/")+" "+is.Property)
		}
	}
	want := []string{
		role + ".yaml rules[0].setting.approvalStages[0].primaryApprovers[1].userId",
		gone + ".yaml roleDefinitionId",
		gone + ".yaml rules[0].setting.approvalStages[0].primaryApprovers[1].userId",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dangling references:\n%s\nwant:\n%s\n(report %+v)", strings.Join(got, "\n"), strings.Join(want, "\n"), rep.Snapshots[0].Issues)
	}
}
