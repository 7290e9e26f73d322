package check

import (
	"testing"
)

// A PIM for Groups schedule names its group and its principal: each
// resolves against the snapshot's groups and users, and one that names
// nothing is a dangling reference at its property path (a hostile group
// name does not disturb the report).
func TestGroupScheduleReferencesResolve(t *testing.T) {
	r := newCheckRepo(t)
	const group, user, gone = "0d000000-0000-4000-8000-0000000000a1", "0d000000-0000-4000-8000-0000000000b1", "0d000000-0000-4000-8000-0000000000c1"
	pg, g := objectFile(t, kind(t, "groups"), map[string]any{"id": group, "displayName": "Ops \u202e\r\n\x00", "mailNickname": "ops",
		"mailEnabled": false, "securityEnabled": true, "groupTypes": []any{}, "members": []any{}, "owners": []any{}})
	pu, u := objectFile(t, kind(t, "users"), map[string]any{"id": user, "userPrincipalName": "oncall@example.com", "displayName": "On call"})
	sched := func(id, groupID, principal string) map[string]any {
		return map[string]any{"id": id, "groupId": groupID, "principalId": principal, "accessId": "member", "memberType": "direct", "status": "Provisioned",
			"scheduleInfo": map[string]any{"startDateTime": "2026-12-06T08:00:00Z", "expiration": map[string]any{"type": "noExpiration"}}}
	}
	pe, e := objectFile(t, kind(t, "group-eligibility-schedules"), sched("0d000000-0000-4000-8000-0000000000e1", group, user))
	pa, a := objectFile(t, kind(t, "group-assignment-schedules"), sched("0d000000-0000-4000-8000-0000000000e2", gone, gone))
	rep := checkSnapshot(t, r, map[string][]byte{pg: g, pu: u, pe: e, pa: a}, "snapshot/1")
	got := dangling(rep, func(is Issue) string { return is.File + " " + is.Property })
	want := []string{pa + " groupId", pa + " principalId"}
	sameLines(t, "dangling references", got, want, rep)
}
