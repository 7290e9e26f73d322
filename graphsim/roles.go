package graphsim

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Directory roles and PIM beyond the generic rules (graphsim/doc.go,
// "Directory roles and PIM").

// inheritEligibility lists, next to a group's eligibility, one row per
// member of the group with memberType "Group": the members are eligible
// through the group, not on their own
// (learn.microsoft.com/graph/api/resources/unifiedroleeligibilityschedule,
// memberType "Inherited, Direct, or Group"). Which rows Graph lists is not
// documented; graphsim takes the reading that lists them, which a restore
// must not assign again as direct eligibilities. Members added to the group
// later get no row (simplified). Callers hold t.mu.
func (s *Server) inheritEligibility(sched, principal *record) {
	if sched == nil || principal == nil || principal.kind.Name != "group" {
		return
	}
	t := s.tenant
	k := kindByName["unifiedRoleEligibilitySchedule"]
	for _, m := range principal.links.list("members").all() {
		mr := t.dirObject(m)
		if mr == nil || mr.kind.Name != "user" {
			continue
		}
		row := deepCopy(sched.o()).(map[string]any)
		row["id"] = derivedID("eligibility|" + sched.key() + "|" + mr.key())
		row["principalId"] = mr.key()
		row["memberType"] = "Group"
		row["createdUsing"] = sched.key()
		t.insert(k, row)
	}
}

// inheritedRows are the eligibility rows the members of a group inherit
// through the group's eligibility id (inheritEligibility).
func (t *Tenant) inheritedRows(id string) []*record {
	var rows []*record
	for _, r := range t.colls["unifiedRoleEligibilitySchedule"].byKey {
		if str(r.get("memberType")) != "Direct" && strings.EqualFold(str(r.get("createdUsing")), id) {
			rows = append(rows, r)
		}
	}
	return rows
}

// dropInherited removes the rows inherited through the eligibility id.
func (s *Server) dropInherited(id string) {
	for _, r := range s.tenant.inheritedRows(id) {
		s.remove(r)
	}
}

// adminUpdateInfo checks an adminUpdate schedule request (body) of the
// schedule existing and reads its scheduleInfo. A request's action
// adminUpdate is "for administrators to change existing role
// eligibilities" (resources/unifiedroleeligibilityschedulerequest; the
// assignment and PIM for Groups requests say the same of theirs); Graph
// documents nothing else of it, so graphsim takes the strict reading: the
// schedule must exist (400, as adminRemove's), the request must give
// scheduleInfo (400 without), read as adminAssign's (an end not after the
// start → 400; no start or a past one: now). Callers hold t.mu.
func adminUpdateInfo(existing *record, body map[string]any, now time.Time) (map[string]any, *apiError) {
	if existing == nil {
		return nil, badRequest("RoleAssignmentDoesNotExist: The Role assignment does not exist.")
	}
	if _, ok := body["scheduleInfo"].(map[string]any); !ok {
		return nil, badRequest("The request's scheduleInfo is required for action adminUpdate.")
	}
	return groupScheduleInfo(body["scheduleInfo"], now)
}

// scheduleWindow is the start and end (zero: none) of a scheduleInfo that
// groupScheduleInfo read.
func scheduleWindow(info map[string]any) (start, end time.Time) {
	start, _ = time.Parse(time.RFC3339, str(info["startDateTime"]))
	end, _ = time.Parse(time.RFC3339, str(lookupPath(info, "expiration/endDateTime")))
	return start, end
}

// updateSchedule gives schedule r the scheduleInfo an adminUpdate set,
// keeping its id. Callers hold t.mu for writing.
func (t *Tenant) updateSchedule(r *record, info map[string]any) {
	r.o()["scheduleInfo"] = info
	r.o()["modifiedDateTime"] = graphTime(t.now())
	t.noteEnd(r) // endqueue.go: a PIM for Groups schedule's new end
	t.logChange(change{Kind: r.kind.Name, ID: r.key(), Op: "upsert", Props: []string{"scheduleInfo", "modifiedDateTime"}})
}

// ---- the role entries of a deleted principal ----
//
// What becomes of a principal's role assignments and PIM entries when it is
// deleted is not documented. Observed (Microsoft365DSC/Microsoft365DSC#5445,
// a maintainer: "If a role assignment exists for a given principal and this
// principal gets deleted, the permissions are automatically revoked. The
// PIM entry in Entra ID will continue to show up to up to 7 days after the
// deletion of the principal, then a cleanup job will remove it"): graphsim
// keeps listing the role assignments (with their PIM instance and
// schedule) and role eligibility schedules (with the rows inherited through
// a group's) of a user, group or service principal in the recycle bin for
// principalCleanup after its deletion; then they are gone for good, and a
// principal restored from the bin later comes back without them (a restore
// makes them again from the snapshot). Restored sooner, it keeps them
// (simplified: nothing tells revoked access apart); purged from the bin
// before the clean-up ran, its entries stay listed (simplified). PIM for
// Groups schedules whose principal it is go by the same clean-up
// (pimgroups.go), each active one with the membership or ownership it gave.

// principalCleanup is how long a deleted principal's role entries stay listed.
const principalCleanup = 7 * 24 * time.Hour

// cleansUp says whether a deleted object of kind k takes its role entries
// with it principalCleanup later (dropGonePrincipalsRoles).
func cleansUp(k *Kind) bool {
	return k.Name == "user" || k.Name == "group" || k.Name == "servicePrincipal"
}

// roleSweepAt brings Tenant.roleSweep forward to the clean-up of principal
// r, deleted just now (remove; t.mu held): an unset roleSweep already has
// dropGonePrincipalsRoles look through the bin at the next request.
func (t *Tenant) roleSweepAt(r *record) {
	if due := r.deletedAt.Add(principalCleanup); cleansUp(r.kind) && !t.roleSweep.IsZero() && due.Before(t.roleSweep) {
		t.roleSweep = due
	}
}

// dropGonePrincipalsRoles removes the role entries of the principals
// deleted principalCleanup ago or more. handle runs it before every request
// (server.go), as dropEndedGroupSchedules; the common case is one look at
// Tenant.roleSweep under the read lock: the bin and the role entries are
// looked through only once it is due (a principal entering the bin brings
// it forward: roleSweepAt), or after Seed made a role entry (its principal
// may be in the bin already; through Graph a role entry names a live
// principal).
func (s *Server) dropGonePrincipalsRoles() {
	t := s.tenant
	t.mu.RLock()
	quiet := !t.roleSweep.IsZero() && t.now().Before(t.roleSweep)
	t.mu.RUnlock()
	if quiet {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	cutoff := t.now().Add(-principalCleanup)
	next := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // nothing pending
	gone := map[string]bool{}
	for id, r := range t.bin {
		if !cleansUp(r.kind) {
			continue
		}
		if !r.deletedAt.After(cutoff) {
			gone[id] = true
		} else if due := r.deletedAt.Add(principalCleanup); due.Before(next) {
			next = due
		}
	}
	t.roleSweep = next // what follows removes only
	if len(gone) == 0 {
		return
	}
	var due []*record
	for _, name := range []string{"unifiedRoleAssignment", "unifiedRoleEligibilitySchedule", pgEligKind, pgAssignKind} {
		for _, r := range t.ofPrincipals(name, gone) {
			if gone[strings.ToLower(str(r.get("principalId")))] {
				due = append(due, r)
			}
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].key() < due[j].key() })
	for _, r := range due {
		if t.colls[r.kind.Name].byKey[strings.ToLower(r.key())] != r {
			continue // an inherited row its group's eligibility took with it
		}
		switch r.kind.Name {
		case "unifiedRoleAssignment":
			s.dropInstance(r.key())
		case "unifiedRoleEligibilitySchedule":
			s.dropInherited(r.key())
		case pgAssignKind: // pimgroups.go: the membership or ownership it gave goes too
			s.unlinkGroupAccess(r.o())
		}
		s.remove(r)
	}
}

// ---- directory roles ----
//
// learn.microsoft.com/graph/api/resources/directoryrole: a directory role
// is activated from a role template (POST /directoryRoles {roleTemplateId},
// directoryrole-post-directoryroles); its id is its own, different in every
// tenant, and roleTemplateId names the template (the built-in role
// definition's id). resources/scopedrolemembership: roleId is "the directory
// role that the member is in", so a scoped role member names the activated
// role's object id, never the template.

func createDirectoryRole(s *Server, _ *request, body map[string]any, _ *record) *apiError {
	return s.tenant.directoryRoleBody(body)
}

// directoryRoleBody checks the activation of body's roleTemplateId and
// fills in what Graph sets. Callers hold t.mu.
func (t *Tenant) directoryRoleBody(body map[string]any) *apiError {
	tmpl := str(body["roleTemplateId"])
	def := t.findRole(tmpl)
	if def == nil || !strings.EqualFold(str(def.get("templateId")), tmpl) {
		return notFound(tmpl)
	}
	if b, _ := def.get("isBuiltIn").(bool); !b {
		// Strict reading: only built-in templates are directory roles.
		return badRequest("Role template '%s' is not a built-in directory role template.", tmpl)
	}
	if t.directoryRoleFor(tmpl) != nil {
		return conflict()
	}
	body["id"] = t.directoryRoleID(tmpl)
	body["roleTemplateId"] = str(def.get("templateId"))
	body["displayName"] = def.get("displayName")
	body["description"] = def.get("description")
	return nil
}

func conflict() *apiError {
	return errf(409, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory.")
}

// directoryRoleID derives the object id of the activated template from the
// tenant id (a different id in every tenant, as in Graph) without drawing on
// the tenant's random sequence, so activating a role moves no other id.
func (t *Tenant) directoryRoleID(tmpl string) string {
	return derivedID("directoryRole|" + t.id + "|" + strings.ToLower(tmpl))
}

// derivedID is a GUID made from seed, not from the tenant's random
// sequence: objects graphsim adds beside another (an inherited eligibility
// row, a directory role) leave every later generated id as it was.
func derivedID(seed string) string {
	h := sha256.Sum256([]byte(seed))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// directoryRoleFor finds the activated role of a template. Callers hold t.mu.
func (t *Tenant) directoryRoleFor(tmpl string) *record {
	for _, r := range t.colls["directoryRole"].byKey {
		if strings.EqualFold(str(r.get("roleTemplateId")), tmpl) {
			return r
		}
	}
	return nil
}

// activateRole activates a built-in role template (as POST /directoryRoles
// would) and returns the directory role's id. Callers hold t.mu.
func (s *Server) activateRole(tmpl string) string { return s.tenant.activateRole(tmpl) }

// activateRole activates a built-in role template, "" when tmpl is not one
// (a custom role has no directory role). Callers hold t.mu for writing.
func (t *Tenant) activateRole(tmpl string) string {
	if r := t.directoryRoleFor(tmpl); r != nil {
		return r.key()
	}
	body := map[string]any{"roleTemplateId": tmpl}
	if t.directoryRoleBody(body) != nil {
		return ""
	}
	body["deletedDateTime"] = nil
	return t.insert(kindByName["directoryRole"], body).key()
}

// activateAssignedRole activates the directory role of the built-in role a
// new role assignment (def, its unifiedRoleDefinition) grants, at any
// directory scope, as Graph does: learn:/graph/api/directoryrole-list ("Not
// all built-in roles are initially activated"; an assignment made in the
// admin center activates the role on the admin's behalf), and a role
// assigned through /roleManagement/directory/roleAssignments is listed by
// GET /directoryRoles afterwards. The activation is logged as a change of
// its own, so the audit log holds "Add role from template" (the activity
// learn:/entra/identity/monitoring-health/reference-audit-activities lists
// under RoleManagement) next to "Add member to role". It returns the
// directory role's id, "" for a custom role. Callers hold t.mu for writing.
func (t *Tenant) activateAssignedRole(def *record) string {
	if def == nil {
		return ""
	}
	if b, _ := def.get("isBuiltIn").(bool); !b {
		return ""
	}
	return t.activateRole(str(def.get("templateId")))
}

// checkScopedRoleID refuses a scoped role member whose roleId is not an
// activated directory role: a role definition or template id is 400
// (graphsim's message; Graph's is not documented), an unknown id 404.
func (s *Server) checkScopedRoleID(id string) *apiError {
	if s.tenant.lookup(kindByName["directoryRole"], id) != nil {
		return nil
	}
	if s.findRole(id) != nil {
		return badRequest("Invalid roleId '%s': a scoped role member names an activated directory role (GET /directoryRoles; activate one with POST /directoryRoles {roleTemplateId}), not a role definition or template.", id)
	}
	return notFound(id)
}

// ---- active assignments: standing and activated ----
//
// learn.microsoft.com/graph/api/resources/unifiedroleassignmentscheduleinstance:
// every active assignment is an instance, assignmentType "Assigned" (a
// standing assignment) or "Activated" (a PIM activation of an eligibility,
// rbacapplication-post-roleassignmentschedulerequests action selfActivate,
// with an end); an activated assignment is listed in
// /roleManagement/directory/roleAssignments too, until it ends. graphsim
// keeps one instance per assignment, with the assignment's id
// (roleAssignmentOriginId names it as well), and hides both once endDateTime
// has passed on its clock.

// addInstance records the instance of assignment a. Callers hold t.mu.
func (s *Server) addInstance(a map[string]any, assignmentType string, start, end time.Time) {
	t := s.tenant
	k := kindByName["unifiedRoleAssignmentScheduleInstance"]
	id := str(a["id"])
	if r := t.colls[k.Name].byKey[strings.ToLower(id)]; r != nil {
		t.detach(r)
	}
	var endV any
	if !end.IsZero() {
		endV = graphTime(end)
	}
	t.insert(k, map[string]any{
		"id": id, "principalId": a["principalId"], "roleDefinitionId": a["roleDefinitionId"],
		"directoryScopeId": a["directoryScopeId"], "appScopeId": nil,
		"startDateTime": graphTime(start), "endDateTime": endV,
		"assignmentType": assignmentType, "memberType": "Direct",
		"roleAssignmentOriginId": id, "roleAssignmentScheduleId": id,
	})
}

// dropInstance removes the instance of a deleted assignment.
func (s *Server) dropInstance(id string) {
	t := s.tenant
	if r := t.colls["unifiedRoleAssignmentScheduleInstance"].byKey[strings.ToLower(id)]; r != nil {
		s.remove(r)
	}
	if r := t.colls[assignScheduleKind].byKey[strings.ToLower(id)]; r != nil { // pim.go
		s.remove(r)
	}
}

// expired says whether r is an activated assignment (or its instance)
// whose end has passed.
func (t *Tenant) expired(r *record) bool {
	if !kindExpires(r.kind.Name) {
		return false
	}
	inst := r
	if r.kind.Name != "unifiedRoleAssignmentScheduleInstance" {
		inst = t.colls["unifiedRoleAssignmentScheduleInstance"].byKey[strings.ToLower(r.key())]
		if inst == nil {
			return false
		}
	}
	end, err := time.Parse(time.RFC3339, str(inst.get("endDateTime")))
	return err == nil && !t.now().Before(end)
}

// kindExpires tells whether records of the kind named so can expire
// (Tenant.expired): the others are never expired, whatever the time
// (pagememo.go relies on it).
func kindExpires(name string) bool {
	switch name {
	case "unifiedRoleAssignmentScheduleInstance", "unifiedRoleAssignment", assignScheduleKind:
		return true
	}
	return false
}

// dropExpired removes ended activations for good, so the same assignment
// can be made again: the assignment, its schedule and its instance, once
// the instance's endDateTime has passed (Tenant.expired). It looks only at
// the instances whose end is due (Tenant.roleEnds, endqueue.go), not at
// every assignment: it runs before each assignment is made, and a sweep of
// them all made building a tenant quadratic (issue #12). Callers hold t.mu
// for writing.
func (s *Server) dropExpired() {
	t := s.tenant
	now := t.now()
	if !t.roleEnds.due(now) {
		return
	}
	var assignments, schedules, instances []*record
	for _, inst := range t.roleEnds.popDue(now) {
		t.roleSweepSteps.Add(1)
		key := strings.ToLower(inst.key())
		if inst.gone || t.colls[inst.kind.Name].byKey[key] != inst || !t.expired(inst) {
			continue // removed, or replaced by a new instance with an end of its own
		}
		if r := t.colls["unifiedRoleAssignment"].byKey[key]; r != nil {
			assignments = append(assignments, r)
		}
		if r := t.colls[assignScheduleKind].byKey[key]; r != nil {
			schedules = append(schedules, r)
		}
		instances = append(instances, inst)
	}
	for _, group := range [][]*record{assignments, schedules, instances} {
		for _, r := range group {
			s.remove(r)
		}
	}
}

// createAssignmentRequest serves POST roleAssignmentScheduleRequests:
// adminAssign (a standing assignment), selfActivate (an eligible principal's
// time-bound activation), adminUpdate (a new window for an assignment,
// adminUpdateInfo), adminRemove and selfDeactivate.
func createAssignmentRequest(s *Server, req *request, body map[string]any, _ *record) *apiError {
	t := s.tenant
	s.dropExpired()
	role := s.findRole(str(body["roleDefinitionId"]))
	if role == nil {
		return notFound(str(body["roleDefinitionId"]))
	}
	scope := str(body["directoryScopeId"])
	if scope == "" {
		scope = "/"
		body["directoryScopeId"] = scope
	}
	if aerr := s.checkAttributeSetScope(role, scope); aerr != nil { // user_csa.go
		return aerr
	}
	now := t.now()
	body["createdDateTime"], body["completedDateTime"] = graphTime(now), graphTime(now)
	body["approvalId"] = nil
	body["createdBy"] = map[string]any{"application": nil, "device": nil, "user": nil}
	var existing *record
	for _, a := range t.colls["unifiedRoleAssignment"].byKey {
		if strings.EqualFold(str(a.get("principalId")), str(body["principalId"])) && strings.EqualFold(str(a.get("roleDefinitionId")), role.key()) &&
			str(a.get("directoryScopeId")) == scope {
			existing = a
		}
	}
	a := map[string]any{"principalId": body["principalId"], "roleDefinitionId": role.key(), "directoryScopeId": scope}
	switch action := str(body["action"]); action {
	case "adminAssign", "selfActivate":
		if existing != nil {
			return badRequest("RoleAssignmentExists: The Role assignment already exists.")
		}
		var end time.Time
		if action == "adminAssign" { // pim.go: standing, or time-bound with an end
			var aerr *apiError
			if end, aerr = s.adminAssignEnd(role.key(), body["scheduleInfo"], now); aerr != nil {
				return aerr
			}
		}
		if action == "selfActivate" {
			if !s.eligible(str(body["principalId"]), role.key(), scope) {
				return badRequest("RoleAssignmentRequestPolicyValidationFailed: The principal is not eligible for the role at this scope.")
			}
			var aerr *apiError
			if end, aerr = activationEnd(body["scheduleInfo"], now); aerr != nil {
				return aerr
			}
		}
		if aerr := createRoleAssignment(s, req, a, nil); aerr != nil {
			return aerr
		}
		t.insert(kindByName["unifiedRoleAssignment"], a)
		if action == "selfActivate" {
			s.addInstance(a, "Activated", now, end)
		} else if !end.IsZero() {
			s.addInstance(a, "Assigned", now, end)
		}
		if str(body["id"]) == "" {
			// The request's id, drawn here rather than after this hook
			// (write.go) so that the schedule's createdUsing names it.
			body["id"] = t.newID()
		}
		s.addAssignmentSchedule(a, body, now, end, action == "selfActivate") // pim.go
		body["targetScheduleId"] = a["id"]
		body["status"] = "Provisioned"
	case "adminRemove", "selfDeactivate":
		if existing == nil {
			return badRequest("RoleAssignmentDoesNotExist: The Role assignment does not exist.")
		}
		body["targetScheduleId"] = existing.key()
		s.dropInstance(existing.key())
		s.remove(existing)
		body["status"] = "Revoked"
	case "adminUpdate":
		if existing != nil {
			if inst := t.colls["unifiedRoleAssignmentScheduleInstance"].byKey[strings.ToLower(existing.key())]; inst != nil && str(inst.get("assignmentType")) == "Activated" {
				// Strict reading: an activation is its principal's (selfExtend, selfDeactivate).
				return badRequest("RoleAssignmentRequestPolicyValidationFailed: an activated assignment is not changed by adminUpdate.")
			}
		}
		// The request's scheduleInfo is read once (adminUpdateInfo), and
		// the schedule keeps its id, createdDateTime and createdUsing (the
		// adminAssign that made it): an update changes its window and
		// modifiedDateTime only, as for an eligibility (updateSchedule).
		info, aerr := adminUpdateInfo(existing, body, now)
		if aerr != nil {
			return aerr
		}
		start, end := scheduleWindow(info)
		if aerr := s.adminExpirationRule(role.key(), start, end); aerr != nil { // pim.go: the role's settings hold
			return aerr
		}
		s.addInstance(existing.o(), "Assigned", start, end)
		if r := t.colls[assignScheduleKind].byKey[strings.ToLower(existing.key())]; r != nil {
			t.updateSchedule(r, info)
		} else {
			s.addAssignmentSchedule(existing.o(), body, now, end, false)
		}
		body["targetScheduleId"] = existing.key()
		body["status"] = "Provisioned"
	default:
		return badRequest("Invalid value specified for property 'action': graphsim supports adminAssign, adminUpdate, adminRemove, selfActivate and selfDeactivate.")
	}
	return nil
}

// eligible says whether principal holds an eligibility (its own or through
// a group) for role at scope. Callers hold t.mu.
func (s *Server) eligible(principal, role, scope string) bool {
	for _, r := range s.tenant.colls["unifiedRoleEligibilitySchedule"].byKey {
		if strings.EqualFold(str(r.get("principalId")), principal) && strings.EqualFold(str(r.get("roleDefinitionId")), role) &&
			str(r.get("directoryScopeId")) == scope && s.tenant.visible(r) {
			return true
		}
	}
	return false
}

// activationEnd reads an activation's end: afterDuration (ISO 8601,
// PnDTnHnM) or afterDateTime. An activation without an end is refused
// (strict reading: PIM activations are time-bound).
func activationEnd(v any, now time.Time) (time.Time, *apiError) {
	info, _ := v.(map[string]any)
	exp, _ := lookupPath(info, "expiration").(map[string]any)
	start := now
	if st, err := time.Parse(time.RFC3339, str(lookupPath(info, "startDateTime"))); err == nil && st.After(now) {
		start = st
	}
	switch str(exp["type"]) {
	case "afterDuration":
		if d, ok := isoDuration(str(exp["duration"])); ok && d > 0 {
			return start.Add(d), nil
		}
	case "afterDateTime":
		if end, err := time.Parse(time.RFC3339, str(exp["endDateTime"])); err == nil && end.After(start) {
			return end, nil
		}
	}
	return time.Time{}, badRequest("ExpirationRule: an activation needs scheduleInfo.expiration afterDuration (duration) or afterDateTime (endDateTime).")
}

// isoDuration parses the ISO 8601 durations PIM uses: P[nD][T[nH][nM][nS]].
func isoDuration(v string) (time.Duration, bool) {
	rest, ok := strings.CutPrefix(v, "P")
	if !ok || rest == "" {
		return 0, false
	}
	var d time.Duration
	inTime := false
	num := 0
	digits := false
	for _, c := range rest {
		switch {
		case c >= '0' && c <= '9':
			num, digits = num*10+int(c-'0'), true
			if num > 1_000_000 {
				return 0, false
			}
		case c == 'T' && !inTime && !digits:
			inTime = true
		case digits && !inTime && c == 'D':
			d += time.Duration(num) * 24 * time.Hour
			num, digits = 0, false
		case digits && inTime && (c == 'H' || c == 'M' || c == 'S'):
			unit := map[rune]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}[c]
			d += time.Duration(num) * unit
			num, digits = 0, false
		default:
			return 0, false
		}
	}
	return d, !digits
}
