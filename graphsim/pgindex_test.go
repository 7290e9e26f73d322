package graphsim

import (
	"fmt"
	"net/url"
	"testing"
)

// A PIM for Groups schedules list scoped to a group or a principal, and an
// adminAssign, look at that group's (or principal's) schedules, not at
// every schedule of the tenant: the export sends one schedules request per
// group (issue #12, the cost after the end sweeps).
func TestGroupScheduleListLooksAtItsGroupOnly(t *testing.T) {
	s, users := gwServer(t)
	g := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "scoped", "mailEnabled": false, "mailNickname": "scoped", "securityEnabled": true}, 201)
	gid := str(g["id"])
	now := s.Clock().Now()
	const others = 2000 // other groups' schedules, of other principals
	for i := 0; i < others; i++ {
		kind := pgEligKind
		if i%2 == 1 {
			kind = pgAssignKind
		}
		if _, err := s.Tenant().Seed(kind, map[string]any{"groupId": fmt.Sprintf("10000000-0000-0000-0000-%012d", i/4+1),
			"principalId": fmt.Sprintf("20000000-0000-0000-0000-%012d", i%7+1), "accessId": "member", "memberType": "direct",
			"status": "Provisioned", "scheduleInfo": map[string]any{"startDateTime": graphTime(now), "expiration": map[string]any{"type": "noExpiration"}}}); err != nil {
			t.Fatal(err)
		}
	}
	steps := func() uint64 { return s.tenant.groupScheduleSteps.Swap(0) }
	for i, u := range users {
		genJSON(t, s, "POST", pgRoot+"eligibilityScheduleRequests", map[string]any{"action": "adminAssign", "accessId": "member", "groupId": gid, "principalId": u,
			"scheduleInfo": map[string]any{"startDateTime": graphTime(now), "expiration": map[string]any{"type": "noExpiration"}}}, 201)
		if v := steps(); v > uint64(i) {
			t.Errorf("adminAssign %d of the group's: looked at %d schedules, want at most %d (the group's)", i+1, v, i)
		}
	}
	if el := listValue(t, s, pgRoot+"eligibilitySchedules"+pgGroupFilter(gid)); len(el) != len(users) {
		t.Errorf("the group's eligibilities: %d, want %d", len(el), len(users))
	}
	if v := steps(); v > uint64(len(users)) {
		t.Errorf("a list of one group's %d eligibilities looked at %d schedules", len(users), v)
	}
	byPrincipal := "?$filter=" + url.QueryEscape("principalId eq '"+users[0]+"' and accessId eq 'member'")
	if el := listValue(t, s, pgRoot+"eligibilitySchedules"+byPrincipal); len(el) != 1 {
		t.Errorf("the principal's eligibilities: %d, want 1", len(el))
	}
	if v := steps(); v > 1 {
		t.Errorf("a list of one principal's eligibility looked at %d schedules", v)
	}
	if as := listValue(t, s, pgRoot+"assignmentSchedules"+pgGroupFilter(gid)); len(as) != 0 {
		t.Errorf("the group's assignments: %v", as)
	}
	if v := steps(); v != 0 {
		t.Errorf("a list of a group without assignments looked at %d schedules", v)
	}
}
