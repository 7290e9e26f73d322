package graphsim

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

const pgRoot = "/v1.0/identityGovernance/privilegedAccess/group/"

func pgGroupFilter(group string) string {
	return "?$filter=" + url.QueryEscape("groupId eq '"+group+"'")
}

// PIM for Groups: lists need a filter on groupId or principalId; adminAssign
// and adminRemove of eligibility and assignment schedules; an active
// member assignment makes the principal a member until its end, then the
// membership goes; dynamic groups are refused.
func TestPIMForGroupsSchedules(t *testing.T) {
	s, users := gwServer(t)
	governable := s.Tenant().PIMGovernableGroups()
	g := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "PIM group", "mailEnabled": false, "mailNickname": "pimg", "securityEnabled": true}, 201)
	gid := str(g["id"])
	dyn := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "dyn", "mailEnabled": false, "mailNickname": "dyn", "securityEnabled": true,
		"groupTypes": []any{"DynamicMembership"}, "membershipRule": `(user.department -eq "Sales")`, "membershipRuleProcessingState": "On"}, 201)
	wantError(t, s, "GET", pgRoot+"eligibilitySchedules", nil, 400, "groupId")
	wantError(t, s, "GET", pgRoot+"assignmentSchedules", nil, 400, "groupId")
	if n := s.Tenant().PIMGovernableGroups(); n != governable+1 {
		t.Errorf("PIMGovernableGroups = %d after a security group and a dynamic one, want %d", n, governable+1)
	}
	now := s.Clock().Now()
	end := now.Add(48 * time.Hour).UTC().Format(time.RFC3339)
	req := func(action, access, group, principal string, exp map[string]any) map[string]any {
		b := map[string]any{"action": action, "accessId": access, "groupId": group, "principalId": principal, "justification": "test"}
		if exp != nil {
			b["scheduleInfo"] = map[string]any{"startDateTime": now.UTC().Format(time.RFC3339), "expiration": exp}
		}
		return b
	}
	timed := map[string]any{"type": "afterDateTime", "endDateTime": end}
	wantError(t, s, "POST", pgRoot+"eligibilityScheduleRequests", req("adminAssign", "member", str(dyn["id"]), users[0], nil), 400, "dynamic")
	wantError(t, s, "POST", pgRoot+"eligibilityScheduleRequests", req("adminAssign", "admin", gid, users[0], nil), 400, "accessId")
	wantError(t, s, "POST", pgRoot+"eligibilityScheduleRequests", req("adminAssign", "member", gid, users[0],
		map[string]any{"type": "afterDateTime", "endDateTime": now.Add(-time.Hour).UTC().Format(time.RFC3339)}), 400, "not after")
	r := genJSON(t, s, "POST", pgRoot+"eligibilityScheduleRequests", req("adminAssign", "member", gid, users[0], nil), 201)
	wantError(t, s, "POST", pgRoot+"eligibilityScheduleRequests", req("adminAssign", "member", gid, users[0], nil), 400, "Exists")
	el := listValue(t, s, pgRoot+"eligibilitySchedules"+pgGroupFilter(gid))
	if len(el) != 1 || el[0]["id"] != r["targetScheduleId"] || el[0]["accessId"] != "member" || lookupPath(el[0], "scheduleInfo/expiration/type") != "noExpiration" {
		t.Fatalf("eligibility schedules: %v (request %v)", el, r)
	}
	genJSON(t, s, "POST", pgRoot+"assignmentScheduleRequests", req("adminAssign", "member", gid, users[1], timed), 201)
	genJSON(t, s, "POST", pgRoot+"assignmentScheduleRequests", req("adminAssign", "owner", gid, users[2], nil), 201)
	as := listValue(t, s, pgRoot+"assignmentSchedules?$filter="+url.QueryEscape("principalId eq '"+users[1]+"'"))
	if len(as) != 1 || as[0]["assignmentType"] != "assigned" || lookupPath(as[0], "scheduleInfo/expiration/endDateTime") != end {
		t.Fatalf("assignment schedules: %v", as)
	}
	// The filter scopes the list to one group or one principal, alone or
	// and-ed with other clauses; several groups in one list (or) are
	// refused, as is a filter that names no group or principal.
	both := "groupId eq '" + gid + "' and principalId eq '" + users[1] + "'"
	if l := listValue(t, s, pgRoot+"assignmentSchedules?$filter="+url.QueryEscape(both)); len(l) != 1 || l[0]["principalId"] != users[1] {
		t.Errorf("a group and a principal: %v", l)
	}
	for _, f := range []string{
		"groupId eq '" + gid + "' or groupId eq '" + str(dyn["id"]) + "'",
		"(groupId eq '" + gid + "' or principalId eq '" + users[0] + "') and accessId eq 'member'",
		"accessId eq 'member'",
		"groupId ge '" + gid + "'",
	} {
		wantError(t, s, "GET", pgRoot+"eligibilitySchedules?$filter="+url.QueryEscape(f), nil, 400, "groupId")
	}
	members := listValue(t, s, "/v1.0/groups/"+gid+"/members")
	owners := listValue(t, s, "/v1.0/groups/"+gid+"/owners")
	if len(members) != 1 || members[0]["id"] != users[1] || len(owners) != 1 || owners[0]["id"] != users[2] {
		t.Fatalf("an active assignment makes a member or owner: members %v, owners %v", members, owners)
	}
	// A direct member cannot also be assigned.
	wantError(t, s, "POST", pgRoot+"assignmentScheduleRequests", req("adminAssign", "member", gid, users[1], nil), 400, "Exists")
	genJSON(t, s, "POST", pgRoot+"assignmentScheduleRequests", req("adminRemove", "owner", gid, users[2], nil), 201)
	wantError(t, s, "POST", pgRoot+"assignmentScheduleRequests", req("adminRemove", "owner", gid, users[2], nil), 400, "DoesNotExist")
	if o := listValue(t, s, "/v1.0/groups/"+gid+"/owners"); len(o) != 0 {
		t.Errorf("owners after adminRemove: %v", o)
	}
	s.Clock().Advance(48*time.Hour + time.Second)
	if as := listValue(t, s, pgRoot+"assignmentSchedules"+pgGroupFilter(gid)); len(as) != 0 {
		t.Errorf("assignment schedules after their end: %v", as)
	}
	if m := listValue(t, s, "/v1.0/groups/"+gid+"/members"); len(m) != 0 {
		t.Errorf("members after the assignment's end: %v", m)
	}
	if el := listValue(t, s, pgRoot+"eligibilitySchedules"+pgGroupFilter(gid)); len(el) != 1 {
		t.Errorf("a permanent eligibility stays: %v", el)
	}
}

// Reading takes PrivilegedEligibilitySchedule.Read.AzureADGroup or
// PrivilegedAssignmentSchedule.Read.AzureADGroup, a request the ReadWrite
// permission; the Remove permission grants adminRemove only.
func TestPIMForGroupsPermissions(t *testing.T) {
	e := newAuthzEnv(t)
	f := pgGroupFilter("00000000-0000-0000-0000-000000000001")
	e.want(e.token("a", "Group.Read.All"), "GET", pgRoot+"eligibilitySchedules"+f, nil, 403)
	e.want(e.token("b", "PrivilegedEligibilitySchedule.Read.AzureADGroup"), "GET", pgRoot+"eligibilitySchedules"+f, nil, 200)
	e.want(e.token("c", "PrivilegedEligibilitySchedule.Read.AzureADGroup"), "GET", pgRoot+"assignmentSchedules"+f, nil, 403)
	e.want(e.token("d", "PrivilegedAssignmentSchedule.Read.AzureADGroup"), "GET", pgRoot+"assignmentSchedules"+f, nil, 200)
	body := map[string]any{"action": "adminAssign", "accessId": "member", "groupId": "00000000-0000-0000-0000-000000000001", "principalId": "00000000-0000-0000-0000-000000000002"}
	e.want(e.token("e", "PrivilegedAssignmentSchedule.Read.AzureADGroup"), "POST", pgRoot+"assignmentScheduleRequests", body, 403)
	e.want(e.token("f", "PrivilegedAssignmentSchedule.Remove.AzureADGroup"), "POST", pgRoot+"assignmentScheduleRequests", body, 403)
	e.want(e.token("g", "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"), "POST", pgRoot+"assignmentScheduleRequests", body, 404)
	body["action"] = "adminRemove"
	e.want(e.token("h", "PrivilegedAssignmentSchedule.Remove.AzureADGroup"), "POST", pgRoot+"assignmentScheduleRequests", body, 404)
}

// A schedule's end takes effect at its time, whatever is read next (here
// the group's members, no PIM for Groups request between), and deleting a
// group drops its schedules with the memberships and ownerships they gave:
// restored from the recycle bin, the Microsoft 365 group comes back without
// them (pimgroups.go, strict reading; groups-discover-groups).
func TestPIMForGroupsEndsAtTimeAndGoWithTheGroup(t *testing.T) {
	s, users := gwServer(t)
	now := s.Clock().Now()
	sched := func(action, access, group, principal string, end time.Duration) map[string]any {
		b := map[string]any{"action": action, "accessId": access, "groupId": group, "principalId": principal, "justification": "test"}
		if end > 0 {
			b["scheduleInfo"] = map[string]any{"startDateTime": now.UTC().Format(time.RFC3339),
				"expiration": map[string]any{"type": "afterDateTime", "endDateTime": now.Add(end).UTC().Format(time.RFC3339)}}
		}
		return b
	}
	ids := func(path string) []string {
		var out []string
		for _, v := range listValue(t, s, path) {
			out = append(out, str(v["id"]))
		}
		return out
	}

	// The end, with no PIM for Groups request in between.
	sec := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "timed", "mailEnabled": false, "mailNickname": "timed", "securityEnabled": true}, 201)
	sid := str(sec["id"])
	genJSON(t, s, "POST", pgRoot+"assignmentScheduleRequests", sched("adminAssign", "member", sid, users[0], time.Hour), 201)
	if m := ids("/v1.0/groups/" + sid + "/members"); len(m) != 1 || m[0] != users[0] {
		t.Fatalf("members during the assignment: %v", m)
	}
	s.Clock().Advance(time.Hour + time.Second)
	if m := ids("/v1.0/groups/" + sid + "/members"); len(m) != 0 {
		t.Errorf("members read after the assignment's end (no PIM request in between): %v", m)
	}

	// The group's deletion, and its restore.
	now = s.Clock().Now()
	m365 := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "team", "mailEnabled": true, "mailNickname": "team", "securityEnabled": false,
		"groupTypes": []any{"Unified"}, "owners@odata.bind": []any{"https://graph.microsoft.com/v1.0/users/" + users[2]}}, 201)
	gid := str(m365["id"])
	genJSON(t, s, "POST", pgRoot+"eligibilityScheduleRequests", sched("adminAssign", "member", gid, users[0], 0), 201)
	genJSON(t, s, "POST", pgRoot+"assignmentScheduleRequests", sched("adminAssign", "member", gid, users[1], 48*time.Hour), 201)
	genJSON(t, s, "POST", pgRoot+"assignmentScheduleRequests", sched("adminAssign", "owner", gid, users[0], 0), 201)
	if m := ids("/v1.0/groups/" + gid + "/members"); len(m) != 1 || m[0] != users[1] {
		t.Fatalf("members: %v", m)
	}
	genDo(t, s, "DELETE", "/v1.0/groups/"+gid, nil)
	for _, list := range []string{"eligibilitySchedules", "assignmentSchedules"} {
		if l := listValue(t, s, pgRoot+list+pgGroupFilter(gid)); len(l) != 0 {
			t.Errorf("%s of the deleted group: %v", list, l)
		}
		for _, u := range users[:2] {
			if l := listValue(t, s, pgRoot+list+"?$filter="+url.QueryEscape("principalId eq '"+u+"'")); len(l) != 0 {
				t.Errorf("%s of %s after the group's deletion: %v", list, u, l)
			}
		}
	}
	genJSON(t, s, "POST", "/v1.0/directory/deletedItems/"+gid+"/restore", nil, 200)
	if m := ids("/v1.0/groups/" + gid + "/members"); len(m) != 0 {
		t.Errorf("the restored group's members (its PIM assignment is gone): %v", m)
	}
	if o := ids("/v1.0/groups/" + gid + "/owners"); len(o) != 1 || o[0] != users[2] {
		t.Errorf("the restored group's owners: %v, want only the standing owner %s", o, users[2])
	}
	for _, list := range []string{"eligibilitySchedules", "assignmentSchedules"} {
		if l := listValue(t, s, pgRoot+list+pgGroupFilter(gid)); len(l) != 0 {
			t.Errorf("%s of the restored group: %v", list, l)
		}
	}
	// PIM assigns again to the restored group.
	genJSON(t, s, "POST", pgRoot+"assignmentScheduleRequests", sched("adminAssign", "member", gid, users[1], 48*time.Hour), 201)
}

// Deleting a principal leaves its PIM for Groups schedules listed for 7
// days (the observed clean-up of a deleted principal's PIM entries, as for
// directory roles): restored from the recycle bin sooner, the principal is
// a member and owner again through them; 7 days after its delete they are
// gone, with the membership and ownership the active ones gave, each logged
// as an unlink in the change log (what a group's delta reports), and a
// principal restored after that comes back without them; another
// principal's schedules stay (pimgroups.go).
func TestPIMForGroupsGoWithTheirPrincipal(t *testing.T) {
	s, users := gwServer(t)
	g := genJSON(t, s, "POST", "/v1.0/groups", map[string]any{"displayName": "pim \"ops\" \u202e🚀", "mailEnabled": false, "mailNickname": "pimops", "securityEnabled": true}, 201)
	gid := str(g["id"])
	req := func(kind, access, principal string) {
		genJSON(t, s, "POST", pgRoot+kind+"ScheduleRequests", map[string]any{"action": "adminAssign", "accessId": access, "groupId": gid,
			"principalId": principal, "justification": "test"}, 201)
	}
	gone, back, kept := users[0], users[2], users[1]
	for _, p := range []string{gone, back} {
		req("assignment", "member", p)
		req("assignment", "owner", p)
		req("eligibility", "member", p)
	}
	req("assignment", "member", kept)
	ids := func(path string) []string {
		var out []string
		for _, v := range listValue(t, s, path) {
			out = append(out, str(v["id"]))
		}
		return out
	}
	held := func(p string) int {
		n := 0
		for _, list := range []string{"eligibilitySchedules", "assignmentSchedules"} {
			n += len(listValue(t, s, pgRoot+list+"?$filter="+url.QueryEscape("principalId eq '"+p+"'")))
		}
		return n
	}
	if m, o := ids("/v1.0/groups/"+gid+"/members"), ids("/v1.0/groups/"+gid+"/owners"); len(m) != 3 || !contains(o, gone) || !contains(o, back) {
		t.Fatalf("before: members %v owners %v", m, o)
	}
	tn := s.Tenant()
	tn.mu.RLock()
	from := len(tn.changes)
	tn.mu.RUnlock()
	genDo(t, s, "DELETE", "/v1.0/users/"+gone, nil)
	genDo(t, s, "DELETE", "/v1.0/users/"+back, nil)

	s.Clock().Advance(6 * 24 * time.Hour)
	if n := held(gone); n != 3 {
		t.Errorf("6 days after the delete: %d schedules of the deleted user listed, want 3", n)
	}
	if m := ids("/v1.0/groups/" + gid + "/members"); contains(m, gone) || contains(m, back) {
		t.Errorf("members in the recycle bin are listed: %v", m)
	}
	genJSON(t, s, "POST", "/v1.0/directory/deletedItems/"+back+"/restore", nil, 200)
	s.Clock().Advance(24*time.Hour - time.Minute)
	if m, o := ids("/v1.0/groups/"+gid+"/members"), ids("/v1.0/groups/"+gid+"/owners"); !contains(m, back) || !contains(o, back) || held(back) != 3 {
		t.Errorf("restored before the clean-up: members %v owners %v, %d schedules (want its 3, and its access)", m, o, held(back))
	}
	s.Clock().Advance(time.Minute)
	if n := held(gone); n != 0 {
		t.Errorf("7 days after the delete: %d schedules of the deleted user listed, want none", n)
	}
	if n := held(kept); n != 1 {
		t.Errorf("the other principal's schedules: %d", n)
	}
	if n := held(back); n != 3 {
		t.Errorf("the principal restored before the clean-up: %d schedules, want 3", n)
	}
	tn.mu.RLock()
	unlinked := map[string]bool{}
	for _, c := range tn.changes[from:] {
		if c.Kind == "group" && c.ID == gid && c.Op == "unlink" && strings.EqualFold(c.Target, gone) {
			unlinked[c.Rel] = true
		}
	}
	tn.mu.RUnlock()
	if !unlinked["members"] || !unlinked["owners"] {
		t.Errorf("unlinks logged for the deleted user at the clean-up: %v, want members and owners", unlinked)
	}
	genJSON(t, s, "POST", "/v1.0/directory/deletedItems/"+gone+"/restore", nil, 200)
	s.Clock().Advance(time.Minute)
	if m, o := ids("/v1.0/groups/"+gid+"/members"), ids("/v1.0/groups/"+gid+"/owners"); contains(m, gone) || contains(o, gone) || !contains(m, kept) {
		t.Errorf("after the user's restore: members %v owners %v (the PIM access is gone, the other member stays)", m, o)
	}
}
