package importer

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

const pgRequests = "/v1.0/identityGovernance/privilegedAccess/group/"

func (e *env) groupSchedules(kind, group string) []map[string]any {
	e.t.Helper()
	return e.list(pgRequests + kind + "?$filter=" + url.QueryEscape("groupId eq '"+group+"'"))
}

// PIM for Groups: the demo's eligibility and active (time-bound) membership
// are exported one file each; after both are removed, restore makes them
// again through schedule requests with the same end, and the member the
// active assignment made is not also added as a plain member by the
// group's restore (one home: the schedule). Under realistic throttling.
func TestRestorePIMForGroups(t *testing.T) {
	whenShortOnly(t, "group-assignment-schedules", "group-eligibility-schedules", "groups")
	e := newEnv(t, graphsim.Options{Throttle: "realistic"}, nil)
	objs := objectsByKind(e.snapshotObjects(e.first))
	if len(objs[groupAssignKind]) == 1 {
		// A hostile name on the schedules' group: the plan names it safely.
		e.do("PATCH", "/v1.0/groups/"+str(objs[groupAssignKind][0].Data["groupId"]), map[string]any{"displayName": hostileGroupName})
		e.first = e.baseline("hostile PIM group name")
		objs = objectsByKind(e.snapshotObjects(e.first))
	}
	if len(objs[groupEligKind]) != 1 || len(objs[groupAssignKind]) != 1 {
		t.Fatalf("PIM for Groups exported: %d eligibility, %d assignment schedules, want the demo's one of each", len(objs[groupEligKind]), len(objs[groupAssignKind]))
	}
	el, as := objs[groupEligKind][0], objs[groupAssignKind][0]
	if !strings.HasPrefix(el.Path, "pim-groups/eligibility/") || !strings.HasPrefix(as.Path, "pim-groups/assignments/") {
		t.Errorf("files %s, %s", el.Path, as.Path)
	}
	end, ok := scheduleEnd(as.Data)
	if !ok {
		t.Fatalf("no end in %s: %v", as.Path, as.Data)
	}
	group := str(as.Data["groupId"])
	inGroupFile := false
	for _, g := range objs["groups"] {
		if strings.EqualFold(g.Key, group) {
			for _, m := range asSlice(g.Data["members"]) {
				inGroupFile = inGroupFile || strings.EqualFold(str(m.(map[string]any)["id"]), str(as.Data["principalId"]))
			}
		}
	}
	if !inGroupFile {
		t.Fatalf("the active member %s is not in group %s's file (Graph lists it as a member)", as.Data["principalId"], group)
	}
	for _, o := range []*Object{el, as} {
		kind := "eligibilityScheduleRequests"
		if o == as {
			kind = "assignmentScheduleRequests"
		}
		e.do("POST", pgRequests+kind, map[string]any{"action": "adminRemove", "accessId": o.Data["accessId"], "groupId": o.Data["groupId"],
			"principalId": o.Data["principalId"], "justification": "incident"})
	}
	e.recordIncident()

	sel := []string{"groups", "pim-groups"}
	p := e.plan(e.first, sel, Options{})
	var assigns []Action
	for _, a := range p.Actions {
		if strings.Contains(a.Request.Path, "/groups/"+group+"/members") {
			t.Errorf("the active member is also added as a plain member: %s %s", a.Request.Method, a.Request.Path)
		}
		if a.Kind == groupEligKind || a.Kind == groupAssignKind {
			assigns = append(assigns, a)
		}
	}
	if len(assigns) != 2 {
		t.Fatalf("PIM for Groups restore: %+v\n%s", assigns, render(p))
	}
	for _, a := range assigns {
		b := string(a.Request.Body)
		if !strings.Contains(b, `"adminAssign"`) || !strings.HasPrefix(a.Request.Path, pgRequests) {
			t.Errorf("%s: %s %s", a.Kind, a.Request.Path, b)
		}
		if a.Kind == groupAssignKind && !strings.Contains(b, end.UTC().Format(time.RFC3339)) {
			t.Errorf("the active membership comes back without its end: %s", b)
		}
		if a.Kind == groupEligKind && !strings.Contains(b, "noExpiration") {
			t.Errorf("the permanent eligibility: %s", b)
		}
	}
	if !strings.Contains(render(p), "comes back through its schedule") {
		t.Errorf("the plan does not say why the member is left to its schedule:\n%s", render(p))
	}
	for _, bad := range []string{"\u202e", "\r", "\x1b"} {
		if strings.Contains(render(p), bad) {
			t.Errorf("the plan holds a raw %q from the group's name:\n%s", bad, render(p))
		}
	}
	if !strings.Contains(render(p), "Ops") {
		t.Errorf("the plan does not name the group:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	live := e.groupSchedules("assignmentSchedules", group)
	if len(live) != 1 {
		t.Fatalf("live assignment schedules after the restore: %v", live)
	}
	if got, ok := scheduleEnd(live[0]); !ok || !got.Equal(end) {
		t.Errorf("restored with end %v, want %v", got, end)
	}
	if n := len(e.groupSchedules("eligibilitySchedules", group)); n != 1 {
		t.Errorf("live eligibility schedules after the restore: %d", n)
	}
	e.mustBeEmpty(sel, Options{})

	// Ended: gone from the tenant with its membership, and not restored.
	later := end.Add(24 * time.Hour)
	e.sim.Clock().Advance(later.Sub(e.sim.Clock().Now()))
	e.now = later
	p = e.plan(e.first, []string{"pim-groups"}, Options{})
	if len(p.Actions) != 0 || !strings.Contains(render(p), "expired at "+end.UTC().Format(time.RFC3339)) {
		t.Errorf("an ended assignment:\n%s", render(p))
	}
}

const hostileGroupName = "Ops \u202eevil\r\nline\x1b[31m"

// Groups restored without their PIM for Groups schedules: a live member
// an active PIM assignment holds that is not in the group at REV is kept
// (only the schedule's adminRemove takes it away), and the plan says so
// for that group and member and names the selector that removes it; with
// pim-groups selected too the schedule's adminRemove is planned and
// applied. A token that cannot read the assignments gets a plan that says
// what it could not tell instead of a refusal.
func TestRestoreGroupsWithoutPIMSaysWhatPIMHolds(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	objs := objectsByKind(e.snapshotObjects(e.first))
	if len(objs[groupAssignKind]) != 1 {
		t.Fatalf("the demo's active PIM for Groups assignment: %d", len(objs[groupAssignKind]))
	}
	as := objs[groupAssignKind][0]
	group, member := str(as.Data["groupId"]), str(as.Data["principalId"])
	req := func(action string) map[string]any {
		b := map[string]any{"action": action, "accessId": "member", "groupId": group, "principalId": member, "justification": "test"}
		if action == "adminAssign" {
			end := e.sim.Clock().Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339)
			b["scheduleInfo"] = map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": end}}
		}
		return b
	}
	e.do("PATCH", "/v1.0/groups/"+group, map[string]any{"displayName": hostileGroupName})
	e.do("POST", pgRequests+"assignmentScheduleRequests", req("adminRemove"))
	// A later export reads PIM for Groups again where the directory audit
	// log names a change, once its record appears (live/pimgroups.go).
	e.sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	rev := e.baseline("the contractor's membership ended")
	e.do("POST", pgRequests+"assignmentScheduleRequests", req("adminAssign"))

	memberRemoval := func(p *Plan) bool {
		for _, a := range p.Actions {
			if strings.Contains(a.Request.Path, "/groups/"+group+"/members/"+member) {
				return true
			}
		}
		return false
	}
	p := e.plan(rev, []string{"groups"}, Options{})
	if memberRemoval(p) {
		t.Errorf("the PIM-held member is removed as a plain member:\n%s", render(p))
	}
	var kept []string
	for _, w := range p.Warnings {
		if strings.Contains(w, "is kept: a live PIM for Groups assignment holds it") {
			kept = append(kept, w)
		}
	}
	if len(kept) != 1 || !strings.Contains(kept[0], "pim-groups") || !strings.Contains(kept[0], "ends ") {
		t.Errorf("the plan does not say, once, that the PIM-held member is kept (%d):\n%s", len(kept), render(p))
	}
	if len(kept) == 1 && !strings.Contains(kept[0], "Ops") {
		t.Errorf("the warning does not name the group: %s", kept[0])
	}
	for _, bad := range []string{"\u202e", "\r", "\x1b"} {
		if strings.Contains(render(p), bad) {
			t.Errorf("the plan holds a raw %q from the group's name:\n%s", bad, render(p))
		}
	}

	// Without the permission to read the assignments: the plan says so.
	var perms []string
	for _, p := range layout.RestorePermissions(layout.Kinds()) {
		if !strings.HasPrefix(p, "PrivilegedAssignmentSchedule.") {
			perms = append(perms, p)
		}
	}
	full := e.c
	e.c = e.client(e.token(perms...))
	p = e.plan(rev, []string{"groups"}, Options{})
	if !strings.Contains(strings.Join(p.Warnings, "\n"), "the live PIM for Groups assignments could not be read") {
		t.Errorf("no warning that the assignments could not be read:\n%s", render(p))
	}
	e.c = full

	// With pim-groups: the schedule's adminRemove, applied.
	p = e.plan(rev, []string{"groups", "pim-groups"}, Options{})
	if memberRemoval(p) || strings.Contains(strings.Join(p.Warnings, "\n"), "is kept: a live PIM") {
		t.Errorf("with pim-groups:\n%s", render(p))
	}
	removes := 0
	for _, a := range p.Actions {
		if a.Kind == groupAssignKind && strings.Contains(string(a.Request.Body), `"adminRemove"`) {
			removes++
		}
	}
	if removes != 1 {
		t.Fatalf("adminRemove actions %d:\n%s", removes, render(p))
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	for _, m := range e.list("/v1.0/groups/" + group + "/members") {
		if strings.EqualFold(str(m["id"]), member) {
			t.Errorf("still a member after the restore: %s", member)
		}
	}
}

// A PIM for Groups schedule whose window changed since REV (the active
// membership extended, the permanent eligibility given an end) gets REV's
// back through one adminUpdate each: the schedules keep their ids and the
// active member is never removed from the group on the way (no "Remove
// member" in the audit log, still a member after). Under realistic
// throttling, faults and lag (not with -short).
func TestRestoreScheduleWindowsByAdminUpdate(t *testing.T) {
	whenShortOnly(t, "group-assignment-schedules", "group-eligibility-schedules")
	o := realisticSim()
	if testing.Short() {
		o = graphsim.Options{}
	}
	e := newEnv(t, o, nil)
	objs := objectsByKind(e.snapshotObjects(e.first))
	if len(objs[groupEligKind]) != 1 || len(objs[groupAssignKind]) != 1 {
		t.Fatalf("PIM for Groups exported: %d eligibility, %d assignment schedules, want the demo's one of each", len(objs[groupEligKind]), len(objs[groupAssignKind]))
	}
	el, as := objs[groupEligKind][0], objs[groupAssignKind][0]
	end, _ := scheduleEnd(as.Data)
	group, member := str(as.Data["groupId"]), str(as.Data["principalId"])
	ids := map[string]string{}
	for kind, o := range map[string]*Object{"eligibility": el, "assignment": as} {
		e.do("POST", pgRequests+kind+"ScheduleRequests", map[string]any{"action": "adminUpdate", "accessId": o.Data["accessId"], "groupId": o.Data["groupId"],
			"principalId": o.Data["principalId"], "justification": "since", "scheduleInfo": map[string]any{"expiration": map[string]any{
				"type": "afterDateTime", "endDateTime": end.Add(90 * 24 * time.Hour).UTC().Format(time.RFC3339)}}})
		for _, s := range e.groupSchedules(kind+"Schedules", group) {
			ids[kind] = str(s["id"])
		}
	}
	e.recordIncident()
	since := e.sim.Clock().Now()

	p := e.plan(e.first, []string{"pim-groups"}, Options{})
	if opList(p) != "update,update" {
		t.Fatalf("ops %s:\n%s", opList(p), render(p))
	}
	for _, a := range p.Actions {
		b := string(a.Request.Body)
		if !strings.Contains(b, `"adminUpdate"`) || (a.Kind == groupAssignKind) != strings.Contains(b, end.UTC().Format(time.RFC3339)) ||
			(a.Kind == groupEligKind) != strings.Contains(b, "noExpiration") {
			t.Errorf("%s: %s %s", a.Kind, a.Request.Path, b)
		}
	}
	// Under realisticSim a write may fail with 500 (5% of requests): the
	// restore is re-run as a person would, planned afresh.
	planned := p
	e.applyUntilComplete(t, func() *Plan {
		if q := planned; q != nil {
			planned = nil
			return q
		}
		return e.plan(e.first, []string{"pim-groups"}, Options{})
	})
	for kind, id := range ids {
		live := e.groupSchedules(kind+"Schedules", group)
		if len(live) != 1 || str(live[0]["id"]) != id {
			t.Errorf("%s schedules after the restore: %v, want the one with id %s kept", kind, live, id)
		}
	}
	member2 := false
	for _, m := range e.list("/v1.0/groups/" + group + "/members") {
		member2 = member2 || strings.EqualFold(str(m["id"]), member)
	}
	if !member2 {
		t.Errorf("%s is no longer a member of %s", member, group)
	}
	for _, a := range e.list("/v1.0/auditLogs/directoryAudits") {
		at, _ := time.Parse(time.RFC3339, str(a["activityDateTime"]))
		if !at.Before(since) && strings.HasPrefix(str(a["activityDisplayName"]), "Remove") {
			t.Errorf("the restore removed something: %v", a)
		}
	}
	e.mustBeEmpty([]string{"pim-groups"}, Options{})
}

// A user holding PIM for Groups schedules is deleted. For 7 days Graph
// keeps listing its schedules (graphsim roles.go, dropGonePrincipalsRoles;
// the observed clean-up of a deleted principal's PIM entries), so a restore
// then brings the user back from the recycle bin and sends no schedule
// request (the schedules, and the membership the active one gives, come
// back with the user); after the clean-up, the restore brings the user
// back and makes its schedule again with adminAssign. The daily export in
// between records the tenant as it is, and each second plan is empty.
func TestRestorePIMForGroupsOfADeletedPrincipal(t *testing.T) {
	whenShortOnly(t, "administrative-units", "applications", "group-eligibility-schedules", "groups", "users")
	e := newEnv(t, graphsim.Options{}, nil)
	objs := objectsByKind(e.snapshotObjects(e.first))
	if len(objs[groupEligKind]) != 1 || len(objs[groupAssignKind]) != 1 {
		t.Fatalf("the demo's PIM for Groups: %d eligibility, %d assignment schedules", len(objs[groupEligKind]), len(objs[groupAssignKind]))
	}
	upn := func(id string) string {
		for _, u := range objs["users"] {
			if strings.EqualFold(u.Key, id) {
				return str(u.Data["userPrincipalName"])
			}
		}
		t.Fatalf("user %s is not in the snapshot", id)
		return ""
	}
	for _, c := range []struct {
		name    string
		sched   *Object
		wait    time.Duration
		creates int
	}{
		{"the active member, a day later", objs[groupAssignKind][0], 24 * time.Hour, 0},
		{"the eligible member, after the clean-up", objs[groupEligKind][0], 8 * 24 * time.Hour, 1},
	} {
		uid, group := str(c.sched.Data["principalId"]), str(c.sched.Data["groupId"])
		e.do("DELETE", "/v1.0/users/"+uid, nil)
		e.sim.Clock().Advance(c.wait)
		e.now = e.sim.Clock().Now()
		e.recordIncident()
		listed := 0
		for _, list := range []string{"eligibilitySchedules", "assignmentSchedules"} {
			for _, s := range e.groupSchedules(list, group) {
				if strings.EqualFold(str(s["principalId"]), uid) {
					listed++
				}
			}
		}
		if want := 1 - c.creates; listed != want {
			t.Fatalf("%s: %d schedules of the deleted user listed, want %d", c.name, listed, want)
		}
		sel := []string{"users/" + upn(uid), "groups", "pim-groups"}
		p := e.plan(e.first, sel, Options{})
		ops, pim := map[string]int{}, 0
		for _, a := range p.Actions {
			ops[a.Kind+" "+string(a.Op)]++
			if a.Kind == groupEligKind || a.Kind == groupAssignKind {
				pim++
			}
		}
		if ops["users "+string(OpRestore)] != 1 || ops[c.sched.Kind.Name+" create"] != c.creates || pim != c.creates {
			t.Fatalf("%s: ops %v:\n%s", c.name, ops, render(p))
		}
		if res := e.apply(p); !res.Complete() {
			t.Fatalf("%s: %+v\n%+v\n%s", c.name, res.Actions, res.Differences, res.VerifyError)
		}
		if c.sched.Kind.Name == groupAssignKind {
			member := false
			for _, m := range e.list("/v1.0/groups/" + group + "/members?$select=id") {
				member = member || strings.EqualFold(str(m["id"]), uid)
			}
			if !member {
				t.Errorf("%s: the restored user is not a member of the group again", c.name)
			}
		}
		e.mustBeEmptyAt(e.first, sel)
	}
}
