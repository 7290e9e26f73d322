package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
)

// auScopedAssignment finds the demo's role assignment scoped to an
// administrative unit and the unit's id.
func (e *env) auScopedAssignment() (map[string]any, string) {
	e.t.Helper()
	for _, a := range e.list("/v1.0/roleManagement/directory/roleAssignments") {
		if au, ok := strings.CutPrefix(str(a["directoryScopeId"]), "/administrativeUnits/"); ok {
			return a, au
		}
	}
	e.t.Fatal("the demo tenant has no role assignment scoped to an administrative unit")
	return nil, ""
}

// An administrative unit that scopes a role assignment is deleted and
// purged with the assignment: restoring both recreates the unit, and the
// assignment's directoryScopeId names the new unit (the plan shows it).
func TestRestoreAssignmentScopedToRecreatedUnit(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ra, au := e.auScopedAssignment()
	e.do("DELETE", "/v1.0/roleManagement/directory/roleAssignments/"+str(ra["id"]), nil)
	e.do("DELETE", "/v1.0/directory/administrativeUnits/"+au, nil)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+au, nil)
	e.recordIncident()
	sel := []string{au, str(ra["id"])}
	p := e.plan(e.first, sel, Options{})
	if opList(p) == "" || !strings.Contains(render(p), "/administrativeUnits/{{new:") {
		t.Fatalf("the plan does not scope the assignment to the new unit:\n%s", render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v", res.Actions, res.Differences)
	}
	newAU, ok := res.IDs.Resolve(au)
	if !ok || strings.EqualFold(newAU, au) {
		t.Fatalf("id map %+v", res.IDs)
	}
	var scopes []string
	for _, a := range e.list("/v1.0/roleManagement/directory/roleAssignments") {
		if a["principalId"] == ra["principalId"] && a["roleDefinitionId"] == ra["roleDefinitionId"] {
			scopes = append(scopes, str(a["directoryScopeId"]))
		}
	}
	if len(scopes) != 1 || scopes[0] != "/administrativeUnits/"+newAU {
		t.Fatalf("restored assignment scopes %v, want [/administrativeUnits/%s]", scopes, newAU)
	}
	e.mustBeEmpty(sel, Options{})
}

// A removed PIM eligibility is assigned again through a schedule request:
// the id map records the new *schedule's* id (what the export keys the
// file by), not the request's, which Graph answers with a different id.
func TestRestoreEligibilityIDMapNamesTheSchedule(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	var el map[string]any
	for _, s := range e.list("/v1.0/roleManagement/directory/roleEligibilitySchedules") {
		if s["memberType"] == "Direct" {
			el = s
			break
		}
	}
	if el == nil {
		t.Fatal("the demo tenant has no direct PIM eligibility")
	}
	e.do("POST", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", map[string]any{"action": "adminRemove",
		"principalId": el["principalId"], "roleDefinitionId": el["roleDefinitionId"], "directoryScopeId": el["directoryScopeId"], "justification": "incident"})
	e.recordIncident()
	sel := []string{str(el["id"])}
	res := e.apply(e.plan(e.first, sel, Options{}))
	if !res.Complete() {
		t.Fatalf("%+v\n%+v", res.Actions, res.Differences)
	}
	var back string
	for _, s := range e.list("/v1.0/roleManagement/directory/roleEligibilitySchedules") {
		if s["principalId"] == el["principalId"] && s["roleDefinitionId"] == el["roleDefinitionId"] {
			back = str(s["id"])
		}
	}
	var last map[string]any
	for _, r := range e.list("/v1.0/roleManagement/directory/roleEligibilityScheduleRequests") {
		if back != "" && r["targetScheduleId"] == back && r["action"] == "adminAssign" {
			last = r
		}
	}
	if last == nil || str(last["id"]) == back {
		t.Fatalf("graphsim: request %v for schedule %s (a request's id is not its schedule's)", last, back)
	}
	if got, ok := res.IDs.Resolve(str(el["id"])); !ok || got != back {
		t.Fatalf("id map: %s → %q, want the new schedule %s (the request was %s)", el["id"], got, back, last["id"])
	}
	e.mustBeEmpty(sel, Options{})
}

// A group's eligibility is removed (its members' inherited rows go with
// it): the restore assigns the group's again and never makes the members'
// inherited rows direct eligibilities; the plan says why.
func TestRestoreGroupEligibilityNotItsMembersRows(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	var group map[string]any
	inherited := 0
	for _, s := range e.list("/v1.0/roleManagement/directory/roleEligibilitySchedules") {
		switch s["memberType"] {
		case "Group":
			inherited++
		case "Direct":
			if e.get("/v1.0/directoryObjects/" + str(s["principalId"]))["@odata.type"] == "#microsoft.graph.group" {
				group = s
			}
		}
	}
	if group == nil || inherited == 0 {
		t.Fatalf("the demo tenant has no group eligibility with inherited rows (%d)", inherited)
	}
	e.do("POST", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", map[string]any{"action": "adminRemove",
		"principalId": group["principalId"], "roleDefinitionId": group["roleDefinitionId"], "directoryScopeId": "/", "justification": "incident"})
	e.recordIncident()
	sel := []string{"role-eligibility-schedules"}
	p := e.plan(e.first, sel, Options{})
	if opList(p) != "create" || len(p.Managed) != inherited || !strings.Contains(render(p), "eligible through a group's eligibility") {
		t.Fatalf("ops %s, %d managed, want create and %d:\n%s", opList(p), len(p.Managed), inherited, render(p))
	}
	if b := bodyOf(t, p.Actions[0]); b["principalId"] != group["principalId"] {
		t.Fatalf("create %v", b)
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v", res.Actions, res.Differences)
	}
	for _, s := range e.list("/v1.0/roleManagement/directory/roleEligibilitySchedules") {
		if s["memberType"] == "Direct" && s["principalId"] != group["principalId"] && s["roleDefinitionId"] == group["roleDefinitionId"] {
			t.Errorf("a member was made directly eligible: %v", s)
		}
	}
}

const helpdeskTemplate = "729827e3-9c14-49f7-bb1b-9608f156bbb8"

// moveTenant restarts e on a copy of its tenant changed by edit (the saved
// state's collections), as another tenant with the same objects would be.
func (e *env) moveTenant(edit func(colls []any)) {
	e.t.Helper()
	var buf bytes.Buffer
	if err := e.sim.Tenant().Save(&buf); err != nil {
		e.t.Fatal(err)
	}
	// The members in their saved order (the loader checks it), collections edited.
	d := json.NewDecoder(&buf)
	d.UseNumber()
	var out bytes.Buffer
	out.WriteString("{")
	if _, err := d.Token(); err != nil {
		e.t.Fatal(err)
	}
	for i := 0; d.More(); i++ {
		key, _ := d.Token()
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			e.t.Fatal(err)
		}
		if key == "collections" {
			var colls []any
			dd := json.NewDecoder(bytes.NewReader(raw))
			dd.UseNumber()
			if err := dd.Decode(&colls); err != nil {
				e.t.Fatal(err)
			}
			edit(colls)
			raw, _ = json.Marshal(colls)
		}
		k, _ := json.Marshal(key)
		if i > 0 {
			out.WriteString(",")
		}
		out.Write(k)
		out.WriteString(":")
		out.Write(raw)
	}
	out.WriteString("}")
	e.sim, e.srv = startSim(e.t, graphsim.Options{State: &out}, nil)
	e.c = e.client(e.sim.Token())
}

// records returns the saved records of kind and a setter for them.
func records(colls []any, kind string) ([]any, func([]any)) {
	for _, c := range colls {
		m := c.(map[string]any)
		if m["kind"] == kind {
			recs, _ := m["records"].([]any)
			return recs, func(r []any) { m["records"] = r }
		}
	}
	return nil, func([]any) {}
}

// An administrative unit's scoped role member names a directory role by
// the role's object id, which is the tenant's own: restored into a tenant
// where the template's directory role has another id, or is not activated
// at all, the member names the live role (activated first when needed).
func TestRestoreScopedRoleMemberMapsTheDirectoryRole(t *testing.T) {
	for _, tc := range []struct {
		name      string
		activated bool
	}{{"role with another id", true}, {"role not activated", false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, graphsim.Options{}, nil)
			var au, roleAtRev, member string
			for _, u := range e.list("/v1.0/directory/administrativeUnits") {
				for _, m := range e.list("/v1.0/directory/administrativeUnits/" + str(u["id"]) + "/scopedRoleMembers") {
					au, roleAtRev, member = str(u["id"]), str(m["roleId"]), str(dig(m, "roleMemberInfo", "id"))
				}
			}
			if au == "" || strings.EqualFold(roleAtRev, helpdeskTemplate) {
				t.Fatalf("the demo has no scoped role member naming a directory role (%q)", roleAtRev)
			}
			const otherID = "0d5c2b1a-9e8f-4a7b-8c6d-5e4f3a2b1c0d"
			e.moveTenant(func(colls []any) {
				_, set := records(colls, "scopedRoleMembership")
				set(nil)
				recs, set := records(colls, "directoryRole")
				var keep []any
				for _, r := range recs {
					obj := r.(map[string]any)["obj"].(map[string]any)
					if obj["roleTemplateId"] == helpdeskTemplate {
						if !tc.activated {
							continue
						}
						obj["id"] = otherID
					}
					keep = append(keep, r)
				}
				set(keep)
			})
			p := e.plan(e.first, []string{au}, Options{})
			res := e.apply(p)
			if !res.Complete() {
				t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, render(p))
			}
			var live []map[string]any
			for _, r := range e.list("/v1.0/directoryRoles") {
				if r["roleTemplateId"] == helpdeskTemplate {
					live = append(live, r)
				}
			}
			got := e.list("/v1.0/directory/administrativeUnits/" + au + "/scopedRoleMembers")
			if len(live) != 1 || len(got) != 1 || got[0]["roleId"] != live[0]["id"] || dig(got[0], "roleMemberInfo", "id") != member {
				t.Fatalf("scoped role members %v, helpdesk directory roles %v\n%s", got, live, render(p))
			}
			if tc.activated && live[0]["id"] != otherID {
				t.Errorf("the live role was activated again: %v", live)
			}
			if !tc.activated && !strings.Contains(render(p), "/directoryRoles") {
				t.Errorf("the plan does not show the activation:\n%s", render(p))
			}
		})
	}
}

// A PIM activation is not a standing assignment: the export leaves it out
// of roles/assignments (it is listed there by Graph until it ends), a
// whole-kind restore neither deletes it while active nor makes it again
// once it ended.
func TestActivatedAssignmentIsNotBackedUpNorRestoredAsStanding(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	var el map[string]any
	for _, s := range e.list("/v1.0/roleManagement/directory/roleEligibilitySchedules") {
		if s["memberType"] == "Direct" && e.get("/v1.0/directoryObjects/" + str(s["principalId"]))["@odata.type"] == "#microsoft.graph.user" {
			el = s
			break
		}
	}
	if el == nil {
		t.Fatal("the demo tenant has no user eligible for a role")
	}
	req := e.post("/v1.0/roleManagement/directory/roleAssignmentScheduleRequests", map[string]any{"action": "selfActivate",
		"principalId": el["principalId"], "roleDefinitionId": el["roleDefinitionId"], "directoryScopeId": el["directoryScopeId"],
		"justification": "on call", "scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "PT8H"}}})
	activated := str(req["targetScheduleId"])
	if e.get("/v1.0/roleManagement/directory/roleAssignments/" + activated)["id"] != activated {
		t.Fatal("graphsim does not list the activation among the role assignments")
	}
	during := e.snapshot("during the activation")
	files, err := e.repo.ReadAll(context.Background(), during, "roles/assignments")
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range files {
		if strings.Contains(string(b), activated) {
			t.Fatalf("the activation was backed up as a role assignment: %s", p)
		}
	}
	sel := []string{"role-assignments"}
	if p := e.plan(e.first, sel, Options{}); !p.Empty() {
		t.Errorf("whole-kind plan while the activation is active:\n%s", render(p))
	}
	e.sim.Clock().Advance(9 * time.Hour)
	if p := e.plan(during, sel, Options{}); !p.Empty() {
		t.Errorf("whole-kind plan after the activation ended:\n%s", render(p))
	}
}

// A snapshot that holds an activation as a role assignment (taken before
// the export left them out): the restore takes an assignment that an
// eligibility at REV also grants for an activation and does not make it a
// standing assignment; the plan says why.
func TestRestoreNeverMakesAnActivationStanding(t *testing.T) {
	const gA, uA = "62e90394-69f5-4237-9190-012177145e10", "0f7b8c4e-5a6d-4e3f-9a1b-2c3d4e5f6a7b"
	ra := obj(t, "role-assignments", "act1", map[string]any{"roleDefinitionId": gA, "principalId": uA, "directoryScopeId": "/"})
	el := obj(t, "role-eligibility-schedules", "el1", map[string]any{"roleDefinitionId": gA, "principalId": uA, "directoryScopeId": "/",
		"memberType": "Direct", "status": "Provisioned"})
	p := compute(t, input([]*Object{ra}, nil, func(in *Input) {
		in.Others = []*Object{el}
		in.Live["role-eligibility-schedules"] = map[string]*Object{"el1": el}
	}))
	if len(p.Actions) != 0 || len(p.Managed) != 1 || !strings.Contains(p.Managed[0].Reason, "PIM activation") {
		t.Fatalf("plan:\n%s", render(p))
	}
}
