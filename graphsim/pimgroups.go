package graphsim

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// PIM for Groups: eligibility and assignment schedules of group membership
// and ownership (graphsim/doc.go, "PIM for Groups").
//
//   - GET /identityGovernance/privilegedAccess/group/eligibilitySchedules
//     and .../assignmentSchedules list the schedules
//     (privilegedaccessgroup-list-eligibilityschedules,
//     privilegedaccessgroup-list-assignmentschedules). The documented
//     requests carry $filter=groupId eq '{groupId}' or principalId eq
//     '{principalId}'; strict reading: a list without a filter on groupId or
//     principalId is refused (400). A schedule is read by id (GET .../{id});
//     none is created, updated or deleted directly (405).
//   - A schedule (resources/privilegedaccessgroupeligibilityschedule,
//     resources/privilegedaccessgroupassignmentschedule): id, groupId,
//     principalId, accessId (member or owner), memberType (direct),
//     scheduleInfo (startDateTime, expiration noExpiration or
//     afterDateTime), status, createdUsing (the request), createdDateTime,
//     modifiedDateTime; an assignment schedule also has assignmentType
//     (assigned; activated for a selfActivate, which graphsim does not
//     serve).
//   - POST .../eligibilityScheduleRequests and .../assignmentScheduleRequests
//     (privilegedaccessgroup-post-eligibilityschedulerequests,
//     privilegedaccessgroup-post-assignmentschedulerequests) with action
//     adminAssign or adminRemove, accessId, groupId, principalId and (for
//     adminAssign) scheduleInfo: 201 with the request, targetScheduleId
//     naming the schedule. adminAssign of a schedule that exists → 400
//     (…Exists), adminRemove of none → 400 (…DoesNotExist); an end that has
//     passed → 400. adminUpdate ("for administrators to change existing
//     eligible assignments", resources/privilegedaccessgroupeligibilityschedulerequest)
//     gives an existing schedule the request's scheduleInfo, keeping its id
//     and the membership an active one gave (none → 400; strict reading:
//     roles.go, adminUpdateInfo). Other actions → 400.
//   - An active assignment makes the principal a member (accessId member) or
//     an owner (owner) of the group; adminRemove takes it away again, and so
//     does the end of the schedule, at its time on graphsim's clock: every
//     request (any route, batch items included) first drops the schedules
//     whose end has passed, so a read of the group's members after the end
//     no longer lists the principal.
//   - Deleting a group drops its schedules, and the membership or
//     ownership an active one gave, with it. Graph documents that PIM
//     removes a deleted group from its list (up to 24 hours later:
//     learn.microsoft.com/entra/id-governance/privileged-identity-management/groups-discover-groups)
//     and says nothing of schedules coming back when a Microsoft 365 group
//     is restored from the recycle bin: strict reading, they are gone at
//     once and a restored group comes back without them (and without the
//     members and owners they made); a restore makes them again.
//   - Deleting a principal (a user, or a group that is a principal of
//     another group's schedule) leaves its schedules listed for
//     principalCleanup (7 days), then they are gone for good, with the
//     membership or ownership an active one gave (logged as an unlink: a
//     delta of the group reports it removed), as a deleted principal's
//     directory role entries (roles.go, dropGonePrincipalsRoles). Graph
//     documents nothing for PIM for Groups (its pages, the PIM for Groups
//     concept and discovery pages, searched 2026-12: only a deleted group
//     is said to leave PIM); what is observed is that a deleted principal's
//     PIM entries stay listed up to 7 days, then a clean-up job removes
//     them (Microsoft365DSC/Microsoft365DSC#5445, a maintainer, of PIM
//     entries in general). graphsim follows the observation rather than
//     dropping them at once (which hid what a restore and an export meet:
//     schedules that name a principal in the recycle bin). While in the bin
//     the principal is in no list (its membership shows again if it is
//     restored before the clean-up, with its schedules); restored after it,
//     it comes back without them (a restore of the PIM for Groups kinds
//     makes them again).
//   - Which groups: PIM for Groups manages security and Microsoft 365
//     groups, not dynamic groups nor groups synchronized from on-premises
//     (learn.microsoft.com/entra/id-governance/privileged-identity-management/concept-pim-for-groups):
//     a request for such a group → 400; only a user or a group may be the
//     principal (strict: a group principal of an owner schedule → 400).
//   - Permissions (permissions.json): PrivilegedEligibilitySchedule.Read.AzureADGroup
//     and PrivilegedAssignmentSchedule.Read.AzureADGroup to read,
//     *.ReadWrite.AzureADGroup to request; *.Remove.AzureADGroup grants the
//     POST for adminRemove only (authz.go, alsoRequired).
//   - PIM needs Microsoft Entra ID P2 (licence.go, pimPrefixes).

const (
	pgEligKind        = "privilegedAccessGroupEligibilitySchedule"
	pgAssignKind      = "privilegedAccessGroupAssignmentSchedule"
	pgEligReqKind     = "privilegedAccessGroupEligibilityScheduleRequest"
	pgAssignReqKind   = "privilegedAccessGroupAssignmentScheduleRequest"
	pgPathRoot        = "identityGovernance/privilegedAccess/group/"
	pgFilterRequired  = "The filter on groupId or principalId is required: $filter=groupId eq '{groupId}' or $filter=principalId eq '{principalId}'."
	pgRequestReadOnly = "id,status,createdDateTime,completedDateTime,approvalId,targetScheduleId,createdBy"
)

var pgKinds = []*Kind{
	{
		Name: pgEligKind, ODataType: "#microsoft.graph.privilegedAccessGroupEligibilitySchedule",
		Paths: []string{pgPathRoot + "eligibilitySchedules"}, Throttle: "directory", ReadCost: 1,
		NoCreate: true, NoUpdate: true, NoDelete: true,
		Filterable: []string{"id", "groupId", "principalId", "accessId", "memberType", "status"},
	},
	{
		Name: pgAssignKind, ODataType: "#microsoft.graph.privilegedAccessGroupAssignmentSchedule",
		Paths: []string{pgPathRoot + "assignmentSchedules"}, Throttle: "directory", ReadCost: 1,
		NoCreate: true, NoUpdate: true, NoDelete: true,
		Filterable: []string{"id", "groupId", "principalId", "accessId", "memberType", "assignmentType", "status"},
	},
	{
		Name: pgEligReqKind, ODataType: "#microsoft.graph.privilegedAccessGroupEligibilityScheduleRequest",
		Paths: []string{pgPathRoot + "eligibilityScheduleRequests"}, Throttle: "directory", ReadCost: 1,
		NoUpdate: true, NoDelete: true,
		ReadOnly:   strings.Split(pgRequestReadOnly, ","),
		Required:   []string{"action", "accessId", "groupId", "principalId"},
		Filterable: []string{"id", "groupId", "principalId", "status", "action"},
	},
	{
		Name: pgAssignReqKind, ODataType: "#microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest",
		Paths: []string{pgPathRoot + "assignmentScheduleRequests"}, Throttle: "directory", ReadCost: 1,
		NoUpdate: true, NoDelete: true,
		ReadOnly:   strings.Split(pgRequestReadOnly, ","),
		Required:   []string{"action", "accessId", "groupId", "principalId"},
		Filterable: []string{"id", "groupId", "principalId", "status", "action"},
	},
}

func init() {
	createHooks[pgEligReqKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		return s.groupScheduleRequest(kindByName[pgEligKind], body)
	}
	createHooks[pgAssignReqKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		return s.groupScheduleRequest(kindByName[pgAssignKind], body)
	}
}

// isGroupSchedule says whether k is one of the two schedule lists.
func isGroupSchedule(k *Kind) bool {
	return k != nil && (k.Name == pgEligKind || k.Name == pgAssignKind)
}

// pimGroupsPreflight runs before a request on PIM for Groups: schedules
// whose end has passed are gone (with the membership they gave), and a
// list of schedules names the group or the principal as Graph requires.
func (s *Server) pimGroupsPreflight(req *request, rt *route) *apiError {
	if rt.kind == nil || !strings.HasPrefix(rt.kind.Name, "privilegedAccessGroup") {
		return nil
	}
	if isGroupSchedule(rt.kind) && req.method == http.MethodGet && rt.key == "" {
		expr := req.query.Get("$filter")
		if strings.TrimSpace(expr) == "" {
			return badRequest(pgFilterRequired)
		}
		f, aerr := parseFilter(expr, filterCtx{kind: rt.kind})
		if aerr != nil {
			return aerr
		}
		if !scopesToOne(f) {
			return badRequest(pgFilterRequired)
		}
	}
	return nil
}

// scopesToOne says whether a schedules list's filter scopes it to one
// group or one principal, as the list pages require: "This method requires
// the $filter (eq) query parameter to scope the request to a principalId or
// a groupId" (learn:/graph/api/privilegedaccessgroup-list-eligibilityschedules,
// -assignmentschedules, Query parameters), and groupId and principalId
// support $filter (eq) only (resources/privilegedaccessgroupeligibilityschedule).
// So the filter is groupId eq '...' or principalId eq '...', alone or and-ed
// with other clauses; a disjunction of groups (or, or the in operator, which
// the pages do not document) is refused: strict reading, one list per group.
func scopesToOne(f filter) bool {
	switch f := f.(type) {
	case cmpF:
		p := strings.ToLower(f.prop)
		_, isStr := f.val.(string)
		return f.op == "eq" && isStr && (p == "groupid" || p == "principalid")
	case andF:
		for _, part := range f {
			if scopesToOne(part) {
				return true
			}
		}
	}
	return false
}

// groupScheduleEnd is when a schedule ends (zero: never).
func groupScheduleEnd(obj map[string]any) time.Time {
	end, _ := time.Parse(time.RFC3339, str(lookupPath(obj, "scheduleInfo/expiration/endDateTime")))
	return end
}

// dropEndedGroupSchedules removes the schedules whose end has passed; an
// ended assignment takes its membership or ownership with it. handle runs
// it before every request (server.go), so an end takes effect at its time
// whatever is read next. Only a real end changes anything: the common case
// is one look at the earliest end (Tenant.groupEnds, endqueue.go) under the
// read lock, and a due end looks at the schedules due and no other (issue
// #12: the export sends one schedules request per group).
func (s *Server) dropEndedGroupSchedules() {
	t := s.tenant
	t.mu.RLock()
	due := t.groupEnds.due(t.now())
	t.mu.RUnlock()
	if !due {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, r := range t.groupEnds.popDue(now) {
		t.groupSweepSteps.Add(1)
		if r.gone || t.colls[r.kind.Name].byKey[strings.ToLower(r.key())] != r {
			continue // removed already (adminRemove, its group's deletion)
		}
		if e := groupScheduleEnd(r.view()); e.IsZero() || now.Before(e) {
			continue // adminUpdate moved its end, queued again (updateSchedule)
		}
		if r.kind.Name == pgAssignKind {
			s.unlinkGroupAccess(r.o())
		}
		s.remove(r)
	}
}

// pimGroupAllowed says why group g cannot be governed by PIM, or "".
func pimGroupAllowed(g *record) string {
	// view, not o: a read must leave a packed group packed (compact.go);
	// PIMGovernableGroups asks this of every group.
	o := g.view()
	switch {
	case isDynamic(o):
		return "dynamic membership groups cannot be managed in PIM for Groups"
	case synced(o):
		return "groups synchronized from on-premises cannot be managed in PIM for Groups"
	}
	sec, _ := o["securityEnabled"].(bool)
	if !sec && !isUnified(o) {
		return "only security groups and Microsoft 365 groups can be managed in PIM for Groups"
	}
	return ""
}

// accessRel is the group relationship an accessId names.
func accessRel(accessID string) string {
	switch accessID {
	case "member":
		return "members"
	case "owner":
		return "owners"
	}
	return ""
}

// groupScheduleRequest serves adminAssign, adminUpdate and adminRemove of
// a schedule of kind sk. Callers hold t.mu for writing.
func (s *Server) groupScheduleRequest(sk *Kind, body map[string]any) *apiError {
	t := s.tenant
	access := str(body["accessId"])
	rel := accessRel(access)
	if rel == "" {
		return badRequest("Invalid value specified for property 'accessId' of resource '%s': '%s' (member or owner).", strings.TrimPrefix(sk.ODataType, "#microsoft.graph."), access)
	}
	g := t.lookup(kindByName["group"], str(body["groupId"]))
	if g == nil {
		return notFound(str(body["groupId"]))
	}
	if why := pimGroupAllowed(g); why != "" {
		return badRequest("The group '%s' is not supported: %s.", g.key(), why)
	}
	p := t.dirObject(str(body["principalId"]))
	if p == nil {
		return notFound(str(body["principalId"]))
	}
	if p.kind.Name != "user" && (p.kind.Name != "group" || rel == "owners") {
		return badRequest("The principal '%s' cannot hold %s access to a group in PIM for Groups.", p.key(), access)
	}
	now := t.now()
	body["groupId"], body["principalId"] = g.key(), p.key()
	body["createdDateTime"], body["completedDateTime"] = graphTime(now), graphTime(now)
	body["approvalId"] = nil
	body["createdBy"] = map[string]any{"application": nil, "device": nil, "user": nil}
	var existing *record
	of, ok := t.candidates(sk.Name, "groupId", g.key()) // pgindex.go
	if !ok {
		of = t.colls[sk.Name].live()
	}
	for _, r := range of {
		t.groupScheduleSteps.Add(1)
		if !r.gone && strings.EqualFold(str(r.get("groupId")), g.key()) && strings.EqualFold(str(r.get("principalId")), p.key()) && str(r.get("accessId")) == access {
			existing = r
		}
	}
	switch action := str(body["action"]); action {
	case "adminAssign":
		if existing != nil {
			return badRequest("RoleAssignmentExists: The Role assignment already exists.")
		}
		info, aerr := groupScheduleInfo(body["scheduleInfo"], now)
		if aerr != nil {
			return aerr
		}
		if sk.Name == pgAssignKind && g.links.list(rel).containsFold(p.key()) {
			// Strict reading: an active assignment makes the principal a
			// member or owner; one who already is cannot be assigned.
			return badRequest("RoleAssignmentExists: The principal is already a direct %s of the group.", access)
		}
		if !t.visible(g) || !t.visible(p) {
			return notFound(p.key())
		}
		if str(body["id"]) == "" {
			body["id"] = t.newID()
		}
		// The schedule's id is derived from the request's: one draw on the
		// tenant's sequence per request, none when the caller gave the id
		// (the demo tenant).
		id := derivedID("pim-group-schedule|" + str(body["id"]))
		sched := map[string]any{
			"id": id, "groupId": g.key(), "principalId": p.key(), "accessId": access, "memberType": "direct",
			"createdUsing": nil, "createdDateTime": graphTime(now), "modifiedDateTime": nil,
			"status": "Provisioned", "scheduleInfo": info,
		}
		if sk.Name == pgAssignKind {
			sched["assignmentType"] = "assigned"
			t.linksOf(g).add(rel, strings.ToLower(p.key()))
			t.logChange(change{Kind: "group", ID: g.key(), Op: "link", Rel: rel, Target: strings.ToLower(p.key())})
		}
		r := t.insert(sk, sched)
		body["targetScheduleId"] = r.key()
		body["status"] = "Provisioned"
	case "adminRemove":
		if existing == nil {
			return badRequest("RoleAssignmentDoesNotExist: The Role assignment does not exist.")
		}
		body["targetScheduleId"] = existing.key()
		if sk.Name == pgAssignKind {
			s.unlinkGroupAccess(existing.o())
		}
		s.remove(existing)
		body["status"] = "Revoked"
	case "adminUpdate": // roles.go, adminUpdateInfo: the membership an active one gave stays
		info, aerr := adminUpdateInfo(existing, body, now)
		if aerr != nil {
			return aerr
		}
		t.updateSchedule(existing, info)
		body["targetScheduleId"] = existing.key()
		body["status"] = "Provisioned"
	default:
		return badRequest("Invalid value specified for property 'action': graphsim supports adminAssign, adminUpdate and adminRemove, not '%s'.", action)
	}
	return nil
}

// groupScheduleInfo reads an adminAssign's scheduleInfo: noExpiration (or
// none), afterDateTime with an end after the start, or afterDuration.
func groupScheduleInfo(v any, now time.Time) (map[string]any, *apiError) {
	info, _ := v.(map[string]any)
	start := now
	if st, err := time.Parse(time.RFC3339, str(info["startDateTime"])); err == nil && st.After(now) {
		start = st
	}
	exp, _ := info["expiration"].(map[string]any)
	out := map[string]any{"type": "noExpiration", "endDateTime": nil, "duration": nil}
	switch typ := str(exp["type"]); typ {
	case "", "noExpiration":
	case "afterDateTime":
		e, err := time.Parse(time.RFC3339, str(exp["endDateTime"]))
		if err != nil {
			return nil, badRequest("Invalid value specified for property 'endDateTime' of resource 'ExpirationPattern'.")
		}
		if !e.After(start) {
			return nil, badRequest("ExpirationRule: the expiration %s is not after the start of the schedule.", graphTime(e))
		}
		out = map[string]any{"type": "afterDateTime", "endDateTime": graphTime(e), "duration": nil}
	case "afterDuration":
		d, ok := isoDuration(str(exp["duration"]))
		if !ok || d <= 0 {
			return nil, badRequest("Invalid value specified for property 'duration' of resource 'ExpirationPattern'.")
		}
		out = map[string]any{"type": "afterDateTime", "endDateTime": graphTime(start.Add(d)), "duration": nil}
	default:
		return nil, badRequest("Invalid value specified for property 'type' of resource 'ExpirationPattern': '%s'.", typ)
	}
	return map[string]any{"startDateTime": graphTime(start), "recurrence": nil, "expiration": out}, nil
}

// dropGroupSchedulesOf removes the schedules of group g, which is being
// deleted, and the memberships and ownerships its active ones gave (taken
// from g itself: g may already be out of the live index). Callers hold
// t.mu for writing.
func (s *Server) dropGroupSchedulesOf(g *record) {
	t := s.tenant
	var gone []*record
	for _, name := range []string{pgEligKind, pgAssignKind} {
		of, ok := t.candidates(name, "groupId", g.key()) // pgindex.go
		if !ok {
			of = t.colls[name].live()
		}
		for _, r := range of {
			if !r.gone && strings.EqualFold(str(r.get("groupId")), g.key()) {
				gone = append(gone, r)
			}
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].key() < gone[j].key() })
	for _, r := range gone {
		if rel := accessRel(str(r.get("accessId"))); r.kind.Name == pgAssignKind && rel != "" {
			if i := g.links.list(rel).indexFold(str(r.get("principalId"))); i >= 0 {
				g.links.removeAt(rel, i)
			}
		}
		s.remove(r)
	}
}

// unlinkGroupAccess takes away the membership or ownership an assignment
// schedule gave. Callers hold t.mu for writing.
func (s *Server) unlinkGroupAccess(sched map[string]any) {
	t := s.tenant
	g := t.colls["group"].byKey[strings.ToLower(str(sched["groupId"]))]
	rel := accessRel(str(sched["accessId"]))
	if g == nil || rel == "" {
		return
	}
	if i := g.links.list(rel).indexFold(str(sched["principalId"])); i >= 0 {
		g.links.removeAt(rel, i)
		t.logChange(change{Kind: "group", ID: g.key(), Op: "unlink", Rel: rel, Target: strings.ToLower(str(sched["principalId"]))})
	}
}

// demoPIMGroups: the security operations group is governed by PIM for
// Groups: one engineer is eligible for its membership (permanently) and a
// contractor holds an active membership for 14 days (ids derived, none
// drawn from the tenant's sequence).
func (g *generator) demoPIMGroups(people []*person, gr demoGroupRefs) {
	if g.err != nil || gr.secops == "" {
		return
	}
	t := g.t // the generator runs alone: no lock (as demoPIM)
	grp := t.colls["group"].byKey[strings.ToLower(gr.secops)]
	if grp == nil {
		return
	}
	var picked []string
	for _, p := range people {
		if p.guest || p.synced || p.disabled || grp.links.list("members").containsFold(p.id) || grp.links.list("owners").containsFold(p.id) {
			continue
		}
		if picked = append(picked, p.id); len(picked) == 2 {
			break
		}
	}
	if len(picked) < 2 {
		return
	}
	g.post(pgEligReqKind, map[string]any{"id": derivedID("demo|pim-group-eligibility"), "action": "adminAssign", "accessId": "member",
		"groupId": gr.secops, "principalId": picked[0], "justification": "On-call rotation: activate for incidents"}, nil)
	g.post(pgAssignReqKind, map[string]any{"id": derivedID("demo|pim-group-assignment"), "action": "adminAssign", "accessId": "member",
		"groupId": gr.secops, "principalId": picked[1], "justification": "Incident response contractor",
		"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": graphTime(t.now().AddDate(0, 0, 14))}}}, nil)
}

// PIMGovernableGroups is the number of live groups PIM for Groups can
// govern (pimGroupAllowed): what a full read of the schedules lists one by
// one, per kind (entrasnap bench's floor counts it).
func (t *Tenant) PIMGovernableGroups() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := 0
	for _, r := range t.colls["group"].byKey {
		if !r.gone && pimGroupAllowed(r) == "" {
			n++
		}
	}
	return n
}
