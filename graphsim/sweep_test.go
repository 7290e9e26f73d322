package graphsim

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim/builtin"
)

// The PIM for Groups end sweep (dropEndedGroupSchedules) runs before every
// request; it looks at the schedules whose end is due, not at every
// schedule: an export sends one schedules request per group (issue #12).
// Ended schedules still go at their time, with the membership they gave.
func TestGroupScheduleSweepVisitsOnlyWhatIsDue(t *testing.T) {
	s, users := gwServer(t)
	gid, now := securityGroup(t, s, "swept"), s.Clock().Now() // pgindex_test.go
	const n = 300
	for i := 0; i < n; i++ { // eligibilities, half ending in a day, half never
		exp := map[string]any{"type": "noExpiration"}
		if i%2 == 0 {
			exp = map[string]any{"type": "afterDateTime", "endDateTime": graphTime(now.Add(24 * time.Hour))}
		}
		if _, err := s.Tenant().Seed(pgEligKind, map[string]any{"groupId": gid, "principalId": fmt.Sprintf("00000000-0000-0000-0000-%012d", i+1),
			"accessId": "member", "memberType": "direct", "status": "Provisioned", "scheduleInfo": map[string]any{"startDateTime": graphTime(now), "expiration": exp}}); err != nil {
			t.Fatal(err)
		}
	}
	genJSON(t, s, "POST", pgRoot+"assignmentScheduleRequests", map[string]any{"action": "adminAssign", "accessId": "member", "groupId": gid, "principalId": users[0],
		"scheduleInfo": map[string]any{"startDateTime": graphTime(now), "expiration": map[string]any{"type": "afterDateTime", "endDateTime": graphTime(now.Add(time.Hour))}}}, 201)
	steps := func() uint64 { return s.tenant.groupSweepSteps.Swap(0) }
	steps()
	const reads = 20
	for i := 0; i < reads; i++ {
		listValue(t, s, pgRoot+"eligibilitySchedules"+pgGroupFilter(gid))
	}
	if v := steps(); v != 0 {
		t.Errorf("%d reads, nothing due: the sweep looked at %d schedules, want 0", reads, v)
	}
	s.Clock().Advance(time.Hour + time.Second)
	if m := listValue(t, s, "/v1.0/groups/"+gid+"/members"); len(m) != 0 {
		t.Errorf("members after the assignment's end: %v", m)
	}
	if v := steps(); v > 2 {
		t.Errorf("one schedule due: the sweep looked at %d schedules, want at most 2", v)
	}
	s.Clock().Advance(24 * time.Hour)
	if el := listValue(t, s, pgRoot+"eligibilitySchedules"+pgGroupFilter(gid)+"&$top=999"); len(el) != n/2 {
		t.Errorf("eligibilities after half of them ended: %d, want %d", len(el), n/2)
	}
	if v := steps(); v > n/2+2 {
		t.Errorf("%d schedules due: the sweep looked at %d, want at most %d", n/2, v, n/2+2)
	}
}

// Building N role assignments (POST roleAssignments, which first drops
// ended activations: dropExpired) looks at what has ended, not at every
// assignment each time (quadratic: issue #12); an ended time-bound
// assignment is still dropped, so it can be made again.
func TestRoleExpirySweepIsNotQuadratic(t *testing.T) {
	s, users := gwServer(t)
	const reqs = "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests"
	now := s.Clock().Now()
	timed := func(end time.Time) map[string]any {
		return map[string]any{"action": "adminAssign", "principalId": users[0], "roleDefinitionId": builtin.GlobalAdministratorRoleID, "directoryScopeId": "/",
			"justification": "x", "scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": graphTime(end)}}}
	}
	genJSON(t, s, "POST", reqs, timed(now.Add(time.Hour)), 201)
	steps := func() uint64 { return s.tenant.roleSweepSteps.Swap(0) }
	steps()
	const n = 150
	for i := 0; i < n; i++ {
		u := genJSON(t, s, "POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": fmt.Sprint("u", i), "mailNickname": fmt.Sprint("u", i),
			"userPrincipalName": fmt.Sprint("u", i, "@", s.Tenant().Domain()), "passwordProfile": map[string]any{"password": "P@ssw0rd!x"}}, 201)
		genJSON(t, s, "POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": u["id"],
			"roleDefinitionId": globalReaderRoleID, "directoryScopeId": "/"}, 201)
	}
	if v := steps(); v > n {
		t.Errorf("building %d assignments, nothing due: the sweep took %d steps, want at most %d", n, v, n)
	}
	s.Clock().Advance(time.Hour + time.Second)
	again := now.Add(3 * time.Hour)
	genJSON(t, s, "POST", reqs, timed(again), 201) // the ended one is gone: no RoleAssignmentExists
	if v := steps(); v > 3 {
		t.Errorf("one assignment ended: the sweep took %d steps, want at most 3", v)
	}
	inst := listValue(t, s, "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances?$filter="+url.QueryEscape("principalId eq '"+users[0]+"'"))
	if len(inst) != 1 || inst[0]["endDateTime"] != graphTime(again) {
		t.Errorf("instances of the assignment made again: %v", inst)
	}
}

// BenchmarkGroupSchedulesRead is the export's PIM for Groups read: one
// schedules request per group, in a tenant with many schedules, none due.
func BenchmarkGroupSchedulesRead(b *testing.B) {
	s, err := New(Options{Profile: "empty", Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	now := s.Clock().Now()
	const groups = 2000
	var gids []string
	for i := 0; i < groups; i++ {
		gid := fmt.Sprintf("10000000-0000-0000-0000-%012d", i+1)
		gids = append(gids, gid)
		for j := 0; j < 5; j++ {
			if _, err := s.Tenant().Seed(pgEligKind, map[string]any{"groupId": gid, "principalId": fmt.Sprintf("20000000-0000-0000-0000-%012d", j+1),
				"accessId": "member", "memberType": "direct", "status": "Provisioned", "scheduleInfo": map[string]any{"startDateTime": graphTime(now),
					"expiration": map[string]any{"type": "afterDateTime", "endDateTime": graphTime(now.Add(time.Duration(i+1) * time.Hour))}}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code, raw := genDo(b, s, "GET", pgRoot+"eligibilitySchedules"+pgGroupFilter(gids[i%groups]), nil); code != 200 {
			b.Fatalf("status %d: %s", code, raw)
		}
	}
}
