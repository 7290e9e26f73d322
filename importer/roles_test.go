package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
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
	whenShortOnly(t, "administrative-units", "role-assignments")
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
	whenShortOnly(t, "role-eligibility-schedules")
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
	whenShortOnly(t, "role-eligibility-schedules")
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
//
// A role assignment of the same template that the plan makes activates the
// role in Graph (graphsim too): it waits for the plan's activation, which
// would otherwise meet a conflict (409) when the assignment went first.
//
// A role activated between plan and apply by an assignment made outside
// the plan (an admin's): the plan's activation meets Graph's conflict, the
// apply takes the active role (activatedMeanwhile) and the scoped role
// member names it; the plan is not taken as tampered with.
func TestRestoreScopedRoleMemberMapsTheDirectoryRole(t *testing.T) {
	for _, tc := range []struct {
		name      string
		activated bool
		assigned  bool // the plan also restores an assignment of the role
		meanwhile bool // an assignment outside the plan activates the role between plan and apply
	}{{"role with another id", true, false, false}, {"role not activated", false, false, false},
		{"role activated by an assignment the plan restores", false, true, false},
		{"role activated between plan and apply", false, false, true}} {
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
			var assignment string
			if tc.assigned {
				for _, a := range e.list("/v1.0/roleManagement/directory/roleAssignments") {
					if a["roleDefinitionId"] == helpdeskTemplate && a["directoryScopeId"] == "/" {
						assignment = str(a["id"])
					}
				}
				if assignment == "" {
					t.Fatal("the demo has no assignment of Helpdesk Administrator")
				}
			}
			e.moveTenant(func(colls []any) {
				_, set := records(colls, "scopedRoleMembership")
				set(nil)
				if tc.assigned { // no assignment of the role: not activated, as in Graph
					for _, kind := range []string{"unifiedRoleAssignment", "unifiedRoleAssignmentScheduleInstance", "unifiedRoleAssignmentSchedule"} {
						recs, set := records(colls, kind)
						var keep []any
						for _, r := range recs {
							if r.(map[string]any)["obj"].(map[string]any)["roleDefinitionId"] != helpdeskTemplate {
								keep = append(keep, r)
							}
						}
						set(keep)
					}
				}
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
			sel := []string{au}
			if tc.assigned {
				sel = append(sel, assignment)
			}
			p := e.plan(e.first, sel, Options{})
			if tc.assigned {
				// Graph activates the role when the assignment is made:
				// the assignment waits for the plan's activation.
				var act, asg *Action
				for i, a := range p.Actions {
					switch a.Kind {
					case "directory-roles":
						act = &p.Actions[i]
					case "role-assignments":
						asg = &p.Actions[i]
					}
				}
				if act == nil || asg == nil || !slices.Contains(asg.DependsOn, act.ID) {
					t.Fatalf("the assignment does not wait for the activation:\n%s", render(p))
				}
			}
			if tc.meanwhile {
				if !strings.Contains(render(p), "/directoryRoles") {
					t.Fatalf("the plan does not activate the role:\n%s", render(p))
				}
				e.post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": member,
					"roleDefinitionId": helpdeskTemplate, "directoryScopeId": "/"})
				active := false
				for _, r := range e.list("/v1.0/directoryRoles") {
					active = active || r["roleTemplateId"] == helpdeskTemplate
				}
				if !active {
					t.Fatal("graphsim did not activate the role of a built-in role it assigned")
				}
			}
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
			if tc.meanwhile {
				var act *ActionResult
				for i, ar := range res.Actions {
					if ar.Kind == "directory-roles" {
						act = &res.Actions[i]
					}
				}
				if act == nil || act.Status != StatusAlready || !strings.EqualFold(act.NewID, str(live[0]["id"])) {
					t.Errorf("the activation: %+v, want already active as %v", act, live[0]["id"])
				}
			}
			if tc.assigned || tc.meanwhile {
				if got, _ := res.IDs.Resolve(roleAtRev); !strings.EqualFold(got, str(live[0]["id"])) {
					t.Errorf("the id map names %q for the role %s, want the activated role %v", got, roleAtRev, live[0]["id"])
				}
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

// An activation Graph refuses as a conflict (409) because the role became
// active after the plan was checked (an admin assigned it) takes the active
// role's id; any other failure, or another action's 409, does not.
func TestActivationOfAnActiveRoleTakesIt(t *testing.T) {
	e := newEnv(t, graphsim.Options{Profile: "empty", Seed: 5, Throttle: "realistic"}, nil)
	const tmpl = "fe930be7-5e62-47db-91af-98c3a49a38b1" // User Administrator
	act := &Action{Op: OpCreate, Kind: "directory-roles", Placeholder: "{{new:11111111-2222-4333-8444-555555555555}}",
		Request: Request{Method: "POST", Path: "/v1.0/directoryRoles", Body: body(map[string]any{"roleTemplateId": tmpl})}}
	r := &runner{o: ApplyOptions{Client: e.c}}
	conflict := &graph.Error{Status: http.StatusConflict, Code: "Request_BadRequest", Message: "A conflicting object with one or more of the specified property values is present in the directory."}
	ctx := context.Background()
	if id := r.activatedMeanwhile(ctx, act, act.Request.Path, conflict); id != "" {
		t.Fatalf("a role not active answered %q", id)
	}
	dr := e.post("/v1.0/directoryRoles", map[string]any{"roleTemplateId": tmpl})
	if id := r.activatedMeanwhile(ctx, act, act.Request.Path, conflict); !strings.EqualFold(id, str(dr["id"])) {
		t.Fatalf("the active role is %v, answered %q", dr["id"], id)
	}
	if id := r.activatedMeanwhile(ctx, act, act.Request.Path, &graph.Error{Status: http.StatusBadRequest}); id != "" {
		t.Errorf("a 400 answered %q", id)
	}
	other := *act
	other.Kind, other.Request.Path = "administrative-units", "/v1.0/directory/administrativeUnits"
	if id := r.activatedMeanwhile(ctx, &other, other.Request.Path, conflict); id != "" {
		t.Errorf("another kind's 409 answered %q", id)
	}
}
