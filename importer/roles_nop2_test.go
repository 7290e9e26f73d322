package importer

import (
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// demoTimeBound is the demo tenant's time-bound active role assignment as
// graphsim holds it (its schedule: Graph refuses the read without P2):
// its id (the role assignment's), principal, role and end.
func demoTimeBound(t *testing.T, sim *graphsim.Server) (id, principal, role string, end time.Time) {
	t.Helper()
	for _, s := range sim.Tenant().List("unifiedRoleAssignmentSchedule") {
		if s["assignmentType"] != "Assigned" {
			continue
		}
		if e, ok := scheduleEnd(s); ok {
			return str(s["id"]), str(s["principalId"]), str(s["roleDefinitionId"]), e
		}
	}
	t.Fatal("the demo tenant has no time-bound role assignment")
	return
}

// A snapshot taken on a tenant without P2 (its licence lapsed; PIM reads
// are refused) holds the time-bound assignment in roles/assignments, with
// no end in any file, and no file under roles/time-bound-assignments.
// Nothing tells it from a standing assignment, so a restore of it would
// make it permanent: the plan's create carries a warning that says why it
// may have been time-bound and what to do, and so does every role
// assignment that snapshot recreates.
func TestRoleAssignmentFromASnapshotWithoutPIMWarns(t *testing.T) {
	e := newEnv(t, graphsim.Options{Licence: graphsim.LicenceP1}, nil)
	id, principal, role, _ := demoTimeBound(t, e.sim)
	var held *Object
	for _, o := range e.snapshotObjects(e.first) {
		if o.Kind.Name == timeBoundKind {
			t.Errorf("a time-bound assignment file in a snapshot taken without PIM: %s", o.Path)
		}
		if o.Kind.Name == "role-assignments" && strings.EqualFold(str(o.Data["principalId"]), principal) && strings.EqualFold(str(o.Data["roleDefinitionId"]), role) {
			held = o
		}
	}
	if held == nil {
		t.Fatal("the time-bound assignment is in no role assignment file (the premise: without P2 the export cannot tell it from a standing one)")
	}
	if _, ok := held.Data["scheduleInfo"]; ok {
		t.Fatalf("%s holds an end: %v", held.Path, held.Data)
	}
	e.do("DELETE", "/v1.0/roleManagement/directory/roleAssignments/"+id, nil)

	p := e.plan(e.first, []string{"roles/assignments"}, Options{})
	var create *Action
	for i, a := range p.Actions {
		if a.Kind == "role-assignments" && strings.Contains(string(a.Request.Body), principal) {
			create = &p.Actions[i]
		}
	}
	if create == nil || create.Op != OpCreate {
		t.Fatalf("no create of the deleted assignment:\n%s", render(p))
	}
	warned := false
	for _, w := range create.Warnings {
		if strings.Contains(w, "may have been time-bound") && strings.Contains(w, "not licensed for PIM") && strings.Contains(w, "needs Microsoft Entra ID P2") &&
			strings.Contains(w, "through PIM with its end") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("the create does not warn that the assignment may have been time-bound: %q", create.Warnings)
	}
	if out := render(p); !strings.Contains(out, "may have been time-bound or a PIM activation") {
		t.Errorf("the rendered plan does not show the warning:\n%s", out)
	}

	// A snapshot taken with the licence holds no such doubt: its role
	// assignments are the standing ones.
	if w := roleEndsUnknown(nil); w != "" {
		t.Errorf("no manifest: %q", w)
	}
}

// The same assignment when an earlier snapshot was taken with P2: the
// export without the licence carries the time-bound file forward, so REV
// holds the end. The role assignment is never made standing (the plan
// lists it with the reason); the time-bound kind is not licensed in the
// tenant now and waits; once P2 is back, the restore makes it again
// through PIM with the end the earlier snapshot read.
func TestTimeBoundEndFromAnEarlierSnapshotAfterP2Lapsed(t *testing.T) {
	whenShortOnly(t, "role-assignments")
	e := newEnv(t, graphsim.Options{Throttle: "realistic", EventualConsistency: 2 * time.Second}, nil)
	id, principal, role, end := demoTimeBound(t, e.sim)
	if err := e.sim.SetLicence(graphsim.LicenceP1); err != nil {
		t.Fatal(err)
	}
	e.recordIncident() // the snapshot without P2: REV below
	var inAssignments, carried bool
	for _, o := range e.snapshotObjects("HEAD") {
		same := strings.EqualFold(str(o.Data["principalId"]), principal) && strings.EqualFold(str(o.Data["roleDefinitionId"]), role)
		inAssignments = inAssignments || (same && o.Kind.Name == "role-assignments")
		carried = carried || (same && o.Kind.Name == timeBoundKind)
	}
	if !inAssignments || !carried {
		t.Fatalf("the snapshot without P2: in roles/assignments %v, carried under roles/time-bound-assignments %v", inAssignments, carried)
	}
	e.do("DELETE", "/v1.0/roleManagement/directory/roleAssignments/"+id, nil)

	p := e.plan("HEAD", []string{"roles"}, Options{})
	for _, a := range p.Actions {
		if strings.HasSuffix(a.Request.Path, "/roleAssignments") && strings.Contains(string(a.Request.Body), principal) {
			t.Errorf("the time-bound assignment is made standing: %s", a.Request.Body)
		}
	}
	managed := false
	for _, m := range p.Managed {
		managed = managed || (m.Kind == "role-assignments" && strings.Contains(m.Reason, "time-bound assignment at REV"))
	}
	notLicensed := false
	for _, n := range p.NotLicensed {
		notLicensed = notLicensed || n.Kind == timeBoundKind
	}
	if !managed || !notLicensed {
		t.Fatalf("the plan without P2: managed %v, time-bound kind not licensed %v\n%s", managed, notLicensed, render(p))
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}

	if err := e.sim.SetLicence(graphsim.LicenceP2); err != nil {
		t.Fatal(err)
	}
	p = e.plan("HEAD", []string{"roles"}, Options{})
	var assign *Action
	for i, a := range p.Actions {
		if strings.HasSuffix(a.Request.Path, "/roleAssignments") && strings.Contains(string(a.Request.Body), principal) {
			t.Errorf("the time-bound assignment is made standing: %s", a.Request.Body)
		}
		if a.Kind == timeBoundKind && strings.Contains(string(a.Request.Body), principal) {
			assign = &p.Actions[i]
		}
	}
	if assign == nil || !strings.Contains(string(assign.Request.Body), `"adminAssign"`) || !strings.Contains(string(assign.Request.Body), end.UTC().Format(time.RFC3339)) {
		t.Fatalf("with P2 back, the time-bound assignment's restore:\n%s", render(p))
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	found := false
	for _, s := range e.list("/v1.0/roleManagement/directory/roleAssignmentSchedules") {
		if strings.EqualFold(str(s["principalId"]), principal) && strings.EqualFold(str(s["roleDefinitionId"]), role) {
			got, ok := scheduleEnd(s)
			if !ok || !got.Equal(end) {
				t.Errorf("restored with end %v (%v), want %v", got, ok, end)
			}
			found = true
		}
	}
	if !found {
		t.Error("the time-bound assignment was not restored")
	}
}

// Which snapshots cannot tell a standing role assignment from a time-bound
// one (roleEndsUnknown), and that only a create of a role assignment from
// such a snapshot carries the warning: not one of a snapshot that read the
// PIM kinds, not an assignment that is live.
func TestRoleEndsUnknown(t *testing.T) {
	for _, c := range []struct {
		name string
		m    *layout.Manifest
		want string
	}{
		{"read with P2", &layout.Manifest{Kinds: map[string]layout.ManifestKind{timeBoundKind: {Complete: true}}}, ""},
		{"not licensed", &layout.Manifest{Kinds: map[string]layout.ManifestKind{timeBoundKind: {NotLicensed: "Microsoft Entra ID P2"}}}, "not licensed for PIM"},
		{"older snapshot", &layout.Manifest{Kinds: map[string]layout.ManifestKind{"role-assignments": {Complete: true}}}, "is not in its manifest"},
	} {
		got := roleEndsUnknown(c.m)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}

	ra := func(key, principal string) *Object {
		return obj(t, "role-assignments", key, map[string]any{"roleDefinitionId": gA, "principalId": principal, "directoryScopeId": "/"})
	}
	gone, kept := ra("ra1", uA), ra("ra2", "22222222-0000-4000-8000-000000000002")
	for _, unknown := range []string{"", "the tenant was not licensed for PIM"} {
		p := compute(t, input([]*Object{gone, kept}, []*Object{ra("ra2", "22222222-0000-4000-8000-000000000002")}, func(in *Input) { in.RoleEndsUnknown = unknown }))
		if len(p.Actions) != 1 || p.Actions[0].Op != OpCreate {
			t.Fatalf("plan:\n%s", render(p))
		}
		warned := strings.Contains(strings.Join(p.Actions[0].Warnings, "\n"), "may have been time-bound")
		if warned != (unknown != "") {
			t.Errorf("RoleEndsUnknown %q: the create warns %v: %q", unknown, warned, p.Actions[0].Warnings)
		}
	}
}
