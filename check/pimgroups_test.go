package check

import (
	"context"
	"strings"
	"testing"
)

// A PIM for Groups schedule names its group and its principal: each
// resolves against the snapshot's groups and users, and one that names
// nothing is a dangling reference at its property path (a hostile group
// name does not disturb the report).
func TestGroupScheduleReferencesResolve(t *testing.T) {
	ctx := context.Background()
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
	writeSnapshot(t, r, map[string][]byte{pg: g, pu: u, pe: e, pa: a}, "snapshot/1")
	rep, err := Repo(ctx, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, is := range rep.Snapshots[0].Issues {
		if strings.Contains(is.Message, "names no object") {
			got = append(got, is.File+" "+is.Property)
		}
	}
	want := []string{pa + " groupId", pa + " principalId"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dangling references:\n%s\nwant:\n%s\n(report %+v)", strings.Join(got, "\n"), strings.Join(want, "\n"), rep.Snapshots[0].Issues)
	}
}
