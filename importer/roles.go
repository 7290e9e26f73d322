package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// Directory roles and PIM: what a restore must not write as it reads.
//
//   - An eligibility a principal holds through a group's eligibility
//     (memberType "Group" or "Inherited", learn.microsoft.com/graph/api/
//     resources/unifiedroleeligibilityschedule) comes back with the group's;
//     assigning it to the member directly would make a standing eligibility
//     nobody granted. It is never created and never removed.
//   - A schedule request answers with its own id; the object it makes is
//     the schedule its targetScheduleId names, which is what the id map
//     records (apply.go).

// roleManagedBy says who writes a role object the restore leaves alone.
func roleManagedBy(k *layout.Kind, data map[string]any) (by, reason string) {
	if k.Name == "role-eligibility-schedules" {
		if mt := str(data["memberType"]); mt != "" && !strings.EqualFold(mt, "Direct") {
			return "PIM", "eligible through a group's eligibility (memberType " + mt + "): it comes back with the group's, never as a direct eligibility"
		}
	}
	return "", ""
}

// ---- directory roles ----
//
// An administrative unit's scopedRoleMembers[].roleId is a directory role's
// object id (learn.microsoft.com/graph/api/resources/scopedrolemembership):
// the activated role of a template, with an id of its own in every tenant.
// The snapshot keeps the activated roles (kind directory-roles), so a
// roleId at REV is mapped through its roleTemplateId to the live tenant's
// directory role; a template not activated there is activated first (POST
// /directoryRoles {roleTemplateId}, directoryrole-post-directoryroles).

// snapshotDirectoryRole finds the directory role id names at REV.
func (pl *planner) snapshotDirectoryRole(id string) *Object {
	return pl.atREV()["directory-roles/"+strings.ToLower(id)]
}

// atREV indexes the directory roles at REV by lower key and the
// eligibilities by natural key ("kind/key"), the first of each found in
// Others, then Desired: built once, not searched per question.
func (pl *planner) atREV() map[string]*Object {
	if pl.rev != nil {
		return pl.rev
	}
	pl.rev = map[string]*Object{}
	for _, list := range [][]*Object{pl.in.Others, pl.in.Desired} {
		for _, o := range list {
			key := ""
			switch o.Kind.Name {
			case "directory-roles":
				key = o.Kind.Name + "/" + strings.ToLower(o.Key)
			case "role-eligibility-schedules", timeBoundKind, groupAssignKind: // timeBoundKind: pim.go; groupAssignKind: pimgroups.go
				key = o.Kind.Name + "/" + naturalKey(o.Kind, o.Data, o.Key)
			default:
				continue
			}
			if _, ok := pl.rev[key]; !ok {
				pl.rev[key] = o
			}
		}
	}
	return pl.rev
}

// templateOf is the role template a roleId at REV stands for: its directory
// role's roleTemplateId, or the id itself when it is a template the live
// tenant has activated (files written before directory roles were kept).
func (pl *planner) templateOf(id string) (tmpl, name string) {
	if o := pl.snapshotDirectoryRole(id); o != nil {
		return str(o.Data["roleTemplateId"]), displayName(o)
	}
	for _, o := range pl.in.Live["directory-roles"] {
		if strings.EqualFold(str(o.Data["roleTemplateId"]), id) {
			return id, displayName(o)
		}
	}
	return "", ""
}

// liveDirectoryRole maps a roleId at REV to the live directory role of the
// same template.
func (pl *planner) liveDirectoryRole(id string) (string, bool) {
	live := pl.in.Live["directory-roles"]
	if live == nil {
		return "", false
	}
	if o := live[strings.ToLower(id)]; o != nil {
		return o.Key, true
	}
	tmpl, _ := pl.templateOf(id)
	if tmpl == "" {
		return "", false
	}
	for _, o := range live {
		if strings.EqualFold(str(o.Data["roleTemplateId"]), tmpl) {
			return o.Key, true
		}
	}
	return "", false
}

// directoryRole returns the roleId to send for a (translated) roleId and
// the actions it waits for: the live role, or a placeholder for the role an
// activation this plan adds makes.
func (pl *planner) directoryRole(id string) (string, []string) {
	if n, ok := pl.liveDirectoryRole(id); ok {
		return n, nil
	}
	tmpl, name := pl.templateOf(id)
	if tmpl == "" {
		// Not a directory role of the snapshot: sent as it is, and Graph
		// answers if it names nothing (the plan warns below).
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("scoped role member role %s is not a directory role of the snapshot at %s: sent as it is", id, pl.in.Rev))
		return id, nil
	}
	holder := "{{new:" + id + "}}"
	if a, ok := pl.activating[strings.ToLower(tmpl)]; ok {
		return holder, []string{a}
	}
	k, _ := layout.Lookup("directory-roles")
	o := &Object{Kind: k, Key: id, Data: map[string]any{"id": id, "roleTemplateId": tmpl, "displayName": name}}
	if so := pl.snapshotDirectoryRole(id); so != nil {
		o = so
	}
	s := &objState{d: o, k: k, key: id, orig: id, mode: modeCreate, holder: holder}
	pl.names[strings.ToLower(holder)] = "activated " + name
	a := pl.add(s, Action{Op: OpCreate, Placeholder: holder,
		Request:  Request{Method: "POST", Path: "/v1.0/directoryRoles", Body: body(map[string]any{"roleTemplateId": tmpl})},
		Changes:  []Change{{Path: "roleTemplateId", Action: diff.Added, After: tmpl}},
		Warnings: []string{"the role " + name + " is not activated in this tenant: a scoped role member needs its directory role, activated from its template first"}})
	if pl.activating == nil {
		pl.activating = map[string]string{}
	}
	pl.activating[strings.ToLower(tmpl)] = a
	return holder, []string{a}
}

// activationOrder makes each role assignment this plan creates of a role
// the plan activates wait for the activation: Graph activates the directory
// role of a built-in role it assigns, so an assignment sent first (writes
// run in parallel) would turn the activation into a conflict (409).
func (pl *planner) activationOrder() {
	if len(pl.activating) == 0 {
		return
	}
	for i := range pl.p.Actions {
		a := &pl.p.Actions[i]
		if a.Op != OpCreate || a.Request.Method != "POST" || !assignsRole(a.Request.Path) {
			continue
		}
		var b struct {
			RoleDefinitionID string `json:"roleDefinitionId"`
		}
		if json.Unmarshal(a.Request.Body, &b) != nil {
			continue
		}
		if act, ok := pl.activating[strings.ToLower(b.RoleDefinitionID)]; ok && act != a.ID {
			a.DependsOn = uniq(append(slices.Clone(a.DependsOn), act))
		}
	}
}

// assignsRole says whether a POST to path makes a role assignment: directly
// or through a PIM request (adminAssign).
func assignsRole(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, "/rolemanagement/directory/roleassignments") || strings.HasSuffix(p, "/rolemanagement/directory/roleassignmentschedulerequests")
}

// activations are the role templates whose directory roles plan p
// activates (POST /directoryRoles {roleTemplateId}), lower-case.
func activations(p *Plan) map[string]bool {
	var out map[string]bool
	for _, a := range p.Actions {
		if a.Op != OpCreate || a.Kind != "directory-roles" || a.Request.Method != "POST" ||
			!strings.EqualFold(strings.TrimSuffix(a.Request.Path, "/"), "/v1.0/directoryRoles") {
			continue
		}
		var b struct {
			RoleTemplateID string `json:"roleTemplateId"`
		}
		if json.Unmarshal(a.Request.Body, &b) != nil || b.RoleTemplateID == "" {
			continue
		}
		if out == nil {
			out = map[string]bool{}
		}
		out[strings.ToLower(b.RoleTemplateID)] = true
	}
	return out
}

// asNotActivated leaves out of the tenant read to check plan p (checkPlan)
// the directory roles of the templates p activates: a role p activates was
// not active when p was made, and one activated since (an assignment of
// the built-in role activates it in Graph, an admin may too) changes
// nothing p does. Planned again as the tenant was, p still binds (it is
// not taken as edited), and its activation, refused by Graph as a
// conflict, takes the active role (activatedMeanwhile), which the scoped
// role members waiting for it then name. Verification reads the tenant as
// it is.
func asNotActivated(p *Plan, in *Input) {
	tmpls := activations(p)
	if len(tmpls) == 0 {
		return
	}
	for key, o := range in.Live["directory-roles"] {
		if tmpls[strings.ToLower(str(o.Data["roleTemplateId"]))] {
			delete(in.Live["directory-roles"], key)
		}
	}
}

// activatedMeanwhile answers the activation of a directory role (POST
// /directoryRoles) that Graph refused as a conflict (409, "a conflicting
// object ... is present"): the template was activated between planning and
// this write, by an assignment of the role (Graph activates the directory
// role of a built-in role it assigns: learn:/graph/api/directoryrole-list;
// this very plan may restore one, in parallel) or by an admin. It returns
// the active role's id (read back by roleTemplateId), which the scoped role
// members waiting for the activation then name; "" for any other failure.
func (r *runner) activatedMeanwhile(ctx context.Context, a *Action, path string, err error) string {
	ge := graph.AsError(err)
	if ge == nil || ge.Status != http.StatusConflict || a.Op != OpCreate || a.Kind != "directory-roles" || a.Placeholder == "" ||
		!strings.EqualFold(strings.TrimSuffix(path, "/"), "/v1.0/directoryRoles") {
		return ""
	}
	var b struct {
		RoleTemplateID string `json:"roleTemplateId"`
	}
	if json.Unmarshal(a.Request.Body, &b) != nil || b.RoleTemplateID == "" {
		return ""
	}
	// The activated roles are few and not paged (scope.go reads them so).
	roles, lerr := r.o.Client.ListObjects(ctx, "/v1.0/directoryRoles?$select=id,roleTemplateId")
	if lerr != nil {
		return ""
	}
	for _, o := range roles {
		if strings.EqualFold(str(o["roleTemplateId"]), b.RoleTemplateID) && str(o["id"]) != "" {
			return str(o["id"])
		}
	}
	return ""
}

// ---- PIM activations ----
//
// Graph lists an assignment made by a PIM activation in
// /roleManagement/directory/roleAssignments like a standing one, until it
// ends (resources/unifiedroleassignmentscheduleinstance, assignmentType
// "Activated"). The export leaves activations out (live/roles.go); a
// snapshot taken before it did, or by a token that could not tell, may hold
// one. A restore never makes such an assignment standing: an assignment at
// REV that is gone and that an eligibility at REV also grants (same role,
// principal and scope) is taken for an activation and not recreated; the
// eligibility is what comes back, and the plan says so.

// pimActivation says why the role assignment o at REV is not recreated, or "".
func (pl *planner) pimActivation(o *Object) string {
	if o.Kind.Name != "role-assignments" {
		return ""
	}
	if tb := pl.atREV()[timeBoundKind+"/"+naturalKey(o.Kind, o.Data, o.Key)]; tb != nil { // pim.go
		return "a time-bound assignment at REV (" + tb.Path + ") holds it: it comes back through its schedule with its end, never as a standing assignment (a snapshot taken without the PIM licence may hold it in both places)"
	}
	e := pl.atREV()["role-eligibility-schedules/"+naturalKey(o.Kind, o.Data, o.Key)]
	if e == nil {
		return ""
	}
	return "the principal was eligible for this role at REV (eligibility " + e.Key + "): an assignment next to an eligibility is taken for a PIM activation, which Graph lists as an assignment until it ends; it is not made a standing assignment (activate the eligibility in PIM, or assign the role by hand if it was standing)"
}

// ---- custom roles still assigned ----
//
// Graph does not delete a custom role definition that role assignments or
// eligibilities still name (graphsim/doc.go, "Directory roles and PIM";
// strict reading of unifiedroledefinition-delete). A custom role not at REV
// is deleted after the assignments of it this plan removes (deletes.go
// orders a delete after the writes to objects naming it); one that live
// assignments this plan does not remove still name is not deleted, and the
// plan says why.

// roleStillAssigned says why live role definition o, not at REV, is not
// deleted: live assignments this plan does not remove name it ("" when
// none do). matched holds the live objects kept (at REV).
func (pl *planner) roleStillAssigned(k *layout.Kind, o *Object, matched map[string]bool) string {
	if k.Name != "role-definitions" {
		return ""
	}
	// The kinds whose objects name a role definition are those a plan of
	// role definitions reads (layout.Kind.AdvisoryReads).
	n, unselected := 0, map[string]bool{}
	for _, kind := range k.AdvisoryReads {
		selected := slices.Contains(pl.in.Selection.Kinds, kind)
		for key, a := range pl.in.Live[kind] {
			if !strings.EqualFold(str(a.Data["roleDefinitionId"]), o.Key) {
				continue
			}
			if selected && !matched[kind+"/"+key] {
				continue // removed by this plan, before the role
			}
			n++
			if !selected {
				unselected[kind] = true
			}
		}
	}
	if n == 0 {
		return ""
	}
	hint := "remove them first"
	if len(unselected) > 0 {
		var sel []string
		for _, kind := range k.AdvisoryReads {
			if unselected[kind] {
				if lk, ok := layout.Lookup(kind); ok {
					sel = append(sel, lk.Folder)
				}
			}
		}
		hint = "restore " + strings.Join(sel, " and ") + " too to remove those not at REV, or remove them"
	}
	return fmt.Sprintf("%s %s was not in the snapshot at %s and is not deleted: %d live %s still name it, and Graph does not delete an assigned custom role; %s",
		k.Title, label(o), pl.in.Rev, n, layout.Plural(n, "assignment or eligibility", "assignments or eligibilities"), hint)
}

// ---- role assignments of a snapshot taken without PIM ----
//
// Graph's role assignment (resources/unifiedroleassignment) has no end: a
// time-bound assignment an admin made through PIM and a PIM activation are
// listed in /roleManagement/directory/roleAssignments like standing ones,
// and only PIM's schedules and schedule instances tell them apart and hold
// their end. On a tenant without Microsoft Entra ID P2 Graph refuses every
// PIM read (AadPremiumLicenseRequired), so a snapshot taken there holds
// such an assignment in roles/assignments only, with no end in any file.
// What becomes of time-bound assignments when P2 lapses is not documented
// (permanent ones stay, eligible ones are removed); graphsim keeps them,
// the reading under which a restore could escalate. Where an earlier snapshot taken
// with the licence held its end, the export carried that file forward
// (roles/time-bound-assignments at REV) and pimActivation keeps the
// assignment from being made standing. Otherwise nothing says whether it
// was standing: restore makes it as the file says, a standing assignment,
// and each such create carries a warning saying so and what to do.

// roleEndsUnknown says why the role assignments of the snapshot whose
// manifest is m may hold time-bound assignments or activations without
// their end, or "": the snapshot has no PIM time-bound assignments because
// the tenant was not licensed for PIM, or because the entrasnap that took
// it did not read them.
func roleEndsUnknown(m *layout.Manifest) string {
	if m == nil {
		return ""
	}
	mk, ok := m.Kinds[timeBoundKind]
	switch {
	case !ok:
		return "the snapshot holds no PIM time-bound assignments (" + timeBoundFolder() + " is not in its manifest)"
	case mk.NotLicensed != "":
		return "the tenant was not licensed for PIM when the snapshot was taken (needs " + mk.NotLicensed + "), so Graph did not say which assignments were time-bound"
	}
	return ""
}

// standingUnknown is the warning of a role assignment create when REV
// cannot tell whether it was standing (Input.RoleEndsUnknown).
func (pl *planner) standingUnknown(s *objState) []string {
	if s.k.Name != "role-assignments" || pl.in.RoleEndsUnknown == "" {
		return nil
	}
	return []string{"made as a standing (permanent) assignment, but it may have been time-bound or a PIM activation when the snapshot was taken: " +
		pl.in.RoleEndsUnknown + ", and Graph's role assignments carry no end. If it was time-bound, leave it out of this restore and assign it again " +
		"through PIM with its end (an earlier snapshot taken with the licence holds the end under " + timeBoundFolder() + ")"}
}

// timeBoundFolder is the folder of the time-bound assignments.
func timeBoundFolder() string {
	if k, ok := layout.Lookup(timeBoundKind); ok {
		return k.Folder
	}
	return timeBoundKind
}
