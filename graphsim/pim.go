package graphsim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/graphsim/builtin"
)

// PIM role settings: role management policies and their assignments for
// Microsoft Entra roles (graphsim/doc.go, "PIM role settings").
//
//   - Every role definition, built-in or custom, has one policy at the
//     tenant scope, made by Graph with the role: GET
//     /policies/roleManagementPolicies and /policies/roleManagementPolicyAssignments
//     list them (policyroot-list-rolemanagementpolicies,
//     policyroot-list-rolemanagementpolicyassignments); the assignment names
//     the policy (policyId) and the role (roleDefinitionId). Graph documents
//     no create or delete of either for Entra roles (resources/
//     unifiedrolemanagementpolicy: "the policies are built in"): POST and
//     DELETE → 405; PATCH of a policy is documented for PIM for Groups only
//     (405 here, strict).
//   - The lists require $filter=scopeId eq '/' and scopeType eq 'DirectoryRole'
//     (the documented request; strict: a list without both is refused, 400).
//   - Ids as Graph shows them: DirectoryRole_{tenantId}_{policy guid} for a
//     policy and DirectoryRole_{tenantId}_{policy guid}_{roleDefinitionId}
//     for its assignment (unifiedrolemanagementpolicyrule-update example);
//     graphsim derives the guid from the role (derivedID: no draw on the
//     tenant's random sequence).
//   - rules are Graph's default set of 17 rules (identity-governance-pim-rules-overview):
//     three expiration rules, three enablement rules, one approval rule, one
//     authentication context rule and nine notification rules, each with its
//     @odata.type and target. $expand=rules returns them with the policy;
//     GET .../rules[/{id}] lists or reads them.
//   - PATCH .../rules/{id} (unifiedrolemanagementpolicyrule-update): "The
//     @odata.type property with a value of the specific rule type must be
//     included in the body" (400 without it or with another type); an
//     unknown rule id → 404; only the properties the page lists for the
//     rule's type may be sent (400 otherwise); target may be sent but its
//     caller and level are the rule's (strict: a rule is never turned into
//     another); values are checked (durations, levels, recipient types,
//     enabled rules, approval stages: one or two, approvers that exist).
//     200 with the rule.
//   - Permissions (policyroot-list-rolemanagementpolicies,
//     unifiedrolemanagementpolicyrule-update): RoleManagementPolicy.Read.Directory
//     to read, RoleManagementPolicy.ReadWrite.Directory (or
//     RoleManagement.ReadWrite.Directory) to update a rule; application
//     permissions included (graphsim/perms overrides: permissions.json lists
//     RoleManagementPolicy.* as delegated only).

const (
	rmPolicyKind = "unifiedRoleManagementPolicy"
	rmAssignKind = "unifiedRoleManagementPolicyAssignment"
	rmRules      = "rules"
	rmScopeType  = "DirectoryRole"
)

var rmPolicyKindDef = &Kind{
	Name: rmPolicyKind, ODataType: "#microsoft.graph.unifiedRoleManagementPolicy",
	Paths: []string{"policies/roleManagementPolicies"}, Throttle: "directory", ReadCost: 1,
	NoCreate: true, NoDelete: true, NoUpdate: true,
	ReadOnly:   []string{"id"},
	Filterable: []string{"id", "scopeId", "scopeType"},
}

var rmAssignKindDef = &Kind{
	Name: rmAssignKind, ODataType: "#microsoft.graph.unifiedRoleManagementPolicyAssignment",
	Paths: []string{"policies/roleManagementPolicyAssignments"}, Throttle: "directory", ReadCost: 1,
	NoCreate: true, NoDelete: true, NoUpdate: true,
	ReadOnly:   []string{"id"},
	Filterable: []string{"id", "scopeId", "scopeType", "policyId", "roleDefinitionId"},
}

const (
	ruleExpiration   = "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule"
	ruleEnablement   = "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule"
	ruleApproval     = "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule"
	ruleAuthContext  = "#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule"
	ruleNotification = "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule"
)

// ruleProps are, per rule type, the properties a PATCH may send besides
// @odata.type and id (unifiedrolemanagementpolicyrule-update's table).
var ruleProps = map[string][]string{
	ruleExpiration:   {"isExpirationRequired", "maximumDuration", "target"},
	ruleEnablement:   {"enabledRules", "target"},
	ruleApproval:     {"setting", "target"},
	ruleAuthContext:  {"isEnabled", "claimValue", "target"},
	ruleNotification: {"notificationType", "recipientType", "notificationLevel", "isDefaultRecipientsEnabled", "notificationRecipients", "target"},
}

func init() {
	// rules are kept in the policy (hooks_appheld.go's storage, so $expand
	// and saved state carry them); pim.go serves them (policyRuleOp).
	held[rmPolicyKind] = map[string]heldSpec{rmRules: {typ: "#microsoft.graph.unifiedRoleManagementPolicyRule", update: true, noDelete: true}}
	// A role's policy is made and dropped with the role, in the same write
	// (no request on the policies makes one later: that moved the change
	// log under other kinds' delta links).
	afterCreateHooks["unifiedRoleDefinition"] = func(s *Server, r *record) {
		if s.tenant.rolePolicyOf(r.key()) == nil {
			s.tenant.addRolePolicy(r.key(), "", nil)
		}
	}
	afterDeleteHooks["unifiedRoleDefinition"] = func(s *Server, r *record) { s.dropRolePolicy(r.key()) }
}

// seededRole gives a role definition seeded into a running tenant (a
// rehearsal, internal/rehearse) its policy, as Graph makes it with the
// role. While the generator builds the tenant no policy exists yet: New
// makes them all at once (server.go). Callers hold t.mu for writing.
func (t *Tenant) seededRole(r *record) {
	if r.kind.Name == "unifiedRoleDefinition" && len(t.colls[rmAssignKind].byKey) > 0 && t.rolePolicyOf(r.key()) == nil {
		t.addRolePolicy(r.key(), "", nil)
	}
}

// rolePolicyOf is role's policy assignment, nil when it has none. Callers hold t.mu.
func (t *Tenant) rolePolicyOf(role string) *record {
	for _, a := range t.colls[rmAssignKind].byKey {
		if strings.EqualFold(str(a.get("roleDefinitionId")), role) {
			return a
		}
	}
	return nil
}

// dropRolePolicy removes role's policy and its assignment. Callers hold
// t.mu for writing.
func (s *Server) dropRolePolicy(role string) {
	t := s.tenant
	a := t.rolePolicyOf(role)
	if a == nil {
		return
	}
	if p := t.colls[rmPolicyKind].byKey[strings.ToLower(str(a.get("policyId")))]; p != nil {
		s.remove(p)
	}
	s.remove(a)
}

func ruleTarget(caller, level string) map[string]any {
	return map[string]any{"caller": caller, "operations": []any{"all"}, "level": level,
		"inheritableSettings": []any{}, "enforcedSettings": []any{}}
}

// defaultRules is Graph's default rule set of a directory role's policy.
func defaultRules() []any {
	rules := []any{
		map[string]any{"@odata.type": ruleExpiration, "id": "Expiration_Admin_Eligibility", "isExpirationRequired": false, "maximumDuration": "P365D", "target": ruleTarget("Admin", "Eligibility")},
		map[string]any{"@odata.type": ruleExpiration, "id": "Expiration_Admin_Assignment", "isExpirationRequired": false, "maximumDuration": "P180D", "target": ruleTarget("Admin", "Assignment")},
		map[string]any{"@odata.type": ruleExpiration, "id": "Expiration_EndUser_Assignment", "isExpirationRequired": true, "maximumDuration": "PT8H", "target": ruleTarget("EndUser", "Assignment")},
		map[string]any{"@odata.type": ruleEnablement, "id": "Enablement_Admin_Eligibility", "enabledRules": []any{}, "target": ruleTarget("Admin", "Eligibility")},
		map[string]any{"@odata.type": ruleEnablement, "id": "Enablement_Admin_Assignment", "enabledRules": []any{"Justification"}, "target": ruleTarget("Admin", "Assignment")},
		map[string]any{"@odata.type": ruleEnablement, "id": "Enablement_EndUser_Assignment", "enabledRules": []any{"MultiFactorAuthentication", "Justification"}, "target": ruleTarget("EndUser", "Assignment")},
		map[string]any{"@odata.type": ruleApproval, "id": "Approval_EndUser_Assignment", "target": ruleTarget("EndUser", "Assignment"),
			"setting": map[string]any{"isApprovalRequired": false, "isApprovalRequiredForExtension": false, "isRequestorJustificationRequired": true,
				"approvalMode": "SingleStage", "approvalStages": []any{map[string]any{
					"approvalStageTimeOutInDays": 1, "isApproverJustificationRequired": true, "escalationTimeInMinutes": 0,
					"isEscalationEnabled": false, "primaryApprovers": []any{}, "escalationApprovers": []any{}}}}},
		map[string]any{"@odata.type": ruleAuthContext, "id": "AuthenticationContext_EndUser_Assignment", "isEnabled": false, "claimValue": nil, "target": ruleTarget("EndUser", "Assignment")},
	}
	for _, n := range []struct{ recipient, caller, level string }{
		{"Admin", "Admin", "Eligibility"}, {"Requestor", "Admin", "Eligibility"}, {"Approver", "Admin", "Eligibility"},
		{"Admin", "Admin", "Assignment"}, {"Requestor", "Admin", "Assignment"}, {"Approver", "Admin", "Assignment"},
		{"Admin", "EndUser", "Assignment"}, {"Requestor", "EndUser", "Assignment"}, {"Approver", "EndUser", "Assignment"},
	} {
		rules = append(rules, map[string]any{"@odata.type": ruleNotification, "id": "Notification_" + n.recipient + "_" + n.caller + "_" + n.level,
			"notificationType": "Email", "recipientType": n.recipient, "notificationLevel": "All", "isDefaultRecipientsEnabled": true,
			"notificationRecipients": []any{}, "target": ruleTarget(n.caller, n.level)})
	}
	return rules
}

// rolePolicyIDs are the ids of role's policy and policy assignment.
func (t *Tenant) rolePolicyIDs(role string) (policy, assignment string) {
	policy = rmScopeType + "_" + t.id + "_" + derivedID("roleManagementPolicy|"+t.id+"|"+strings.ToLower(role))
	return policy, policy + "_" + role
}

// syncRolePolicies gives every role definition its policy and assignment
// (Graph makes them with the role) and drops those of deleted roles.
// Callers hold t.mu for writing.
func (s *Server) syncRolePolicies() {
	t := s.tenant
	have := map[string]*record{}
	for _, a := range t.colls[rmAssignKind].byKey {
		have[strings.ToLower(str(a.get("roleDefinitionId")))] = a
	}
	var roles []*record
	for _, r := range t.colls["unifiedRoleDefinition"].byKey {
		if !r.gone {
			roles = append(roles, r)
		}
	}
	sort.Slice(roles, func(i, j int) bool { return roles[i].key() < roles[j].key() })
	for _, r := range roles {
		if have[strings.ToLower(r.key())] != nil {
			delete(have, strings.ToLower(r.key()))
			continue
		}
		t.addRolePolicy(r.key(), "", nil)
	}
	for _, a := range have { // roles gone: their policies go with them
		if p := t.colls[rmPolicyKind].byKey[strings.ToLower(str(a.get("policyId")))]; p != nil {
			s.remove(p)
		}
		s.remove(a)
	}
}

// addRolePolicy stores role's policy (id and rules given, or Graph's) and
// its assignment. Callers hold t.mu for writing.
func (t *Tenant) addRolePolicy(role, id string, rules []any) {
	pid, aid := t.rolePolicyIDs(role)
	if id != "" {
		pid, aid = id, id+"_"+role
	}
	if rules == nil {
		rules = defaultRules()
	}
	r := t.insert(rmPolicyKindDef, map[string]any{"id": pid, "displayName": rmScopeType, "description": rmScopeType,
		"isOrganizationDefault": false, "scopeId": "/", "scopeType": rmScopeType,
		"lastModifiedDateTime": nil, "lastModifiedBy": nil, heldPrefix + rmRules: rules})
	r.visibleAt = time.Time{} // made with the role
	t.insert(rmAssignKindDef, map[string]any{"id": aid, "policyId": pid, "scopeId": "/", "scopeType": rmScopeType, "roleDefinitionId": role})
}

// SeedRolePolicy gives role the policy id with rules, as a snapshot holds
// it (a rehearsal tenant, internal/rehearse): any policy role has is replaced.
func (s *Server) SeedRolePolicy(role, id string, rules []any) error {
	t := s.tenant
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lookup(kindByName["unifiedRoleDefinition"], role) == nil {
		return fmt.Errorf("graphsim: no role definition %s for its role management policy", role)
	}
	s.dropRolePolicy(role)
	rs, _ := deepCopy(rules).([]any) // none given: Graph's defaults
	t.addRolePolicy(role, id, rs)
	s.syncRolePolicies()
	return nil
}

// pimPreflight runs before a request on the policies: a list names the
// scope Graph requires. (Every role has its policy: made with the role,
// dropped with it, by the after-write hooks; nothing is written here.)
func (s *Server) pimPreflight(req *request, rt *route) *apiError {
	if rt.kind == nil || (rt.kind.Name != rmPolicyKind && rt.kind.Name != rmAssignKind) {
		return nil
	}
	if req.method == http.MethodGet && rt.key == "" {
		f := strings.ToLower(req.query.Get("$filter"))
		if !strings.Contains(f, "scopeid") || !strings.Contains(f, "scopetype") {
			return badRequest("The filter on scopeId and scopeType is required: $filter=scopeId eq '/' and scopeType eq 'DirectoryRole'.")
		}
	}
	return nil
}

// policyRuleOp serves /policies/roleManagementPolicies/{id}/rules[/{id}].
func (s *Server) policyRuleOp(req *request, rt *route) (*response, *apiError) {
	t := s.tenant
	defer t.lockFor(req.method)()
	p := s.find(rt)
	if p == nil {
		return nil, notFound(rt.key)
	}
	store := heldPrefix + rmRules
	list := asSlice(p.get(store))
	ctx := rt.kind.Paths0() + "('" + p.key() + "')/" + rmRules
	switch {
	case req.method == http.MethodGet:
		return s.containedGet(req, ctx, list, rt.relKey)
	case req.method == http.MethodPatch && rt.relKey != "":
		i, m := findContainedExact(list, rt.relKey)
		if m == nil {
			return nil, notFound(rt.relKey)
		}
		body, aerr := decodeBody(req.body)
		if aerr != nil {
			return nil, aerr
		}
		merged, aerr := s.patchRule(m, body)
		if aerr != nil {
			return nil, aerr
		}
		list[i] = merged
		p.o()["lastModifiedDateTime"] = graphTime(t.now())
		t.logChange(change{Kind: rmPolicyKind, ID: p.key(), Op: "upsert", Props: []string{rmRules}})
		out := deepCopy(merged).(map[string]any)
		out["@odata.context"] = s.metadata(req, ctx+"/$entity")
		return jsonResp(http.StatusOK, out), nil
	}
	return nil, methodNotAllowed() // rules are neither created nor deleted
}

// patchRule checks a rule PATCH body against rule m and returns the rule
// as it becomes. Callers hold t.mu for writing.
func (s *Server) patchRule(m, body map[string]any) (map[string]any, *apiError) {
	typ := str(m["@odata.type"])
	got, ok := body["@odata.type"].(string)
	if !ok || got == "" {
		return nil, badRequest("The @odata.type of the rule is required: '%s'.", typ)
	}
	if !strings.EqualFold(strings.TrimPrefix(got, "#"), strings.TrimPrefix(typ, "#")) {
		return nil, badRequest("Invalid @odata.type '%s' for rule '%s': the rule is a '%s'.", got, str(m["id"]), typ)
	}
	if id, ok := body["id"]; ok && str(id) != str(m["id"]) {
		return nil, badRequest("The id '%v' in the body does not match the rule '%s'.", id, str(m["id"]))
	}
	for p := range body {
		if p != "@odata.type" && p != "id" && !contains(ruleProps[typ], p) {
			return nil, badRequest("Property '%s' does not exist on type '%s' or cannot be updated.", p, strings.TrimPrefix(typ, "#"))
		}
	}
	merged := deepCopy(m).(map[string]any)
	for k, v := range body {
		if k != "@odata.type" {
			merged[k] = deepCopy(v)
		}
	}
	if tgt, ok := merged["target"].(map[string]any); ok {
		// Graph takes enum members in any case ("All" in the update page's
		// example) and answers them as declared ("all").
		for i, op := range asSlice(tgt["operations"]) {
			for _, name := range ruleOperations {
				if strings.EqualFold(str(op), name) {
					tgt["operations"].([]any)[i] = name
				}
			}
		}
	}
	if aerr := validateDeclared(typ, withoutType(merged)); aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkRule(m, merged); aerr != nil {
		return nil, aerr
	}
	return merged, nil
}

func withoutType(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != "@odata.type" {
			out[k] = v
		}
	}
	return out
}

var (
	// ruleOperations are unifiedRoleManagementPolicyRuleTargetOperations' members (v1.0 CSDL).
	ruleOperations     = []string{"all", "activate", "deactivate", "assign", "update", "remove", "extend", "renew"}
	notificationLevels = []string{"None", "Critical", "All"}
	enableableRules    = []string{"MultiFactorAuthentication", "Justification", "Ticketing"}
	approvalModes      = []string{"SingleStage", "Serial", "Parallel", "NoApproval"}
)

// checkRule validates rule r (as it becomes) against old.
func (s *Server) checkRule(old, r map[string]any) *apiError {
	id := str(r["id"])
	tgt, ok := r["target"].(map[string]any)
	if !ok {
		return badRequest("Rule '%s': target is required.", id)
	}
	ot, _ := old["target"].(map[string]any)
	for _, p := range []string{"caller", "level"} {
		if !strings.EqualFold(str(tgt[p]), str(ot[p])) {
			return badRequest("Rule '%s': target.%s is '%v' and cannot be changed.", id, p, ot[p])
		}
	}
	switch str(r["@odata.type"]) {
	case ruleExpiration:
		req, _ := r["isExpirationRequired"].(bool)
		d := str(r["maximumDuration"])
		if dur, ok := isoDuration(d); d != "" && (!ok || dur <= 0) {
			return badRequest("Rule '%s': invalid maximumDuration '%s' (an ISO 8601 duration such as PT8H or P365D).", id, d)
		} else if req && d == "" {
			return badRequest("Rule '%s': maximumDuration is required when isExpirationRequired is true.", id)
		}
	case ruleEnablement:
		for _, e := range asSlice(r["enabledRules"]) {
			if !contains(enableableRules, str(e)) {
				return badRequest("Rule '%s': '%v' is not a rule that can be enabled (%s).", id, e, strings.Join(enableableRules, ", "))
			}
		}
	case ruleNotification:
		if !contains(notificationLevels, str(r["notificationLevel"])) {
			return badRequest("Rule '%s': invalid notificationLevel '%v' (%s).", id, r["notificationLevel"], strings.Join(notificationLevels, ", "))
		}
		if str(r["notificationType"]) != "Email" {
			return badRequest("Rule '%s': notificationType can only be 'Email'.", id)
		}
		if !strings.EqualFold(str(r["recipientType"]), str(old["recipientType"])) {
			return badRequest("Rule '%s': recipientType is '%v' and cannot be changed.", id, old["recipientType"])
		}
	case ruleAuthContext:
		if on, _ := r["isEnabled"].(bool); on {
			c := str(r["claimValue"])
			if c == "" || s.tenant.lookup(kindByName["authenticationContextClassReference"], c) == nil {
				return badRequest("Rule '%s': claimValue '%s' is not an authentication context of this tenant.", id, c)
			}
		}
	case ruleApproval:
		set, _ := r["setting"].(map[string]any)
		if set == nil {
			return badRequest("Rule '%s': setting is required.", id)
		}
		if !contains(approvalModes, str(set["approvalMode"])) {
			return badRequest("Rule '%s': invalid approvalMode '%v' (%s).", id, set["approvalMode"], strings.Join(approvalModes, ", "))
		}
		stages := asSlice(set["approvalStages"])
		if len(stages) > 2 {
			return badRequest("Rule '%s': at most two approval stages.", id)
		}
		required, _ := set["isApprovalRequired"].(bool)
		for _, st := range stages {
			sm, _ := st.(map[string]any)
			if required && len(asSlice(sm["primaryApprovers"])) == 0 {
				return badRequest("Rule '%s': an approval stage needs at least one primary approver when approval is required.", id)
			}
			for _, list := range []string{"primaryApprovers", "escalationApprovers"} {
				for _, a := range asSlice(sm[list]) {
					if aerr := s.checkApprover(id, a); aerr != nil {
						return aerr
					}
				}
			}
		}
	}
	return nil
}

// checkApprover checks a subjectSet of an approval stage: a single user or
// a group's members that exist in the tenant.
func (s *Server) checkApprover(rule string, a any) *apiError {
	m, _ := a.(map[string]any)
	var kind, id string
	switch str(m["@odata.type"]) {
	case "#microsoft.graph.singleUser":
		kind, id = "user", str(m["userId"])
	case "#microsoft.graph.groupMembers":
		kind, id = "group", str(m["groupId"])
	default:
		return badRequest("Rule '%s': an approver is a #microsoft.graph.singleUser or #microsoft.graph.groupMembers, not '%v'.", rule, m["@odata.type"])
	}
	r := s.tenant.dirObject(id)
	if r == nil || r.kind.Name != kind || r.gone {
		return badRequest("Rule '%s': approver %s '%s' does not exist.", rule, kind, id)
	}
	return nil
}

// demoRoleSettings: the tenant's PIM settings for Global Administrator are
// stricter than Graph's defaults, as an admin would make them: activation
// for at most 4 hours with MFA, justification and a ticket, and approval by
// a named approver.
func (g *generator) demoRoleSettings(globalAdmin, approver string) {
	if g.err != nil {
		return
	}
	t := g.t
	t.mu.Lock()
	defer t.mu.Unlock()
	g.s.syncRolePolicies()
	pid, _ := t.rolePolicyIDs(globalAdmin)
	p := t.colls[rmPolicyKind].byKey[strings.ToLower(pid)]
	if p == nil {
		g.fail("demo role settings: no policy for role %s", globalAdmin)
		return
	}
	for _, it := range heldList(p, rmRules) {
		r := it.(map[string]any)
		switch str(r["id"]) {
		case "Expiration_EndUser_Assignment":
			r["maximumDuration"] = "PT4H"
		case "Enablement_EndUser_Assignment":
			r["enabledRules"] = []any{"MultiFactorAuthentication", "Justification", "Ticketing"}
		case "Approval_EndUser_Assignment":
			set := r["setting"].(map[string]any)
			set["isApprovalRequired"] = true
			st := asSlice(set["approvalStages"])[0].(map[string]any)
			st["primaryApprovers"] = []any{map[string]any{"@odata.type": "#microsoft.graph.singleUser", "userId": approver, "description": nil}}
		}
	}
}

// demoPIM: PIM settings and schedules of the demo tenant (pim.go).
func (g *generator) demoPIM(people []*person) {
	approver := reviewerOf(people)
	g.demoRoleSettings(builtin.GlobalAdministratorRoleID, approver)
	// A contractor's time-bound Global Reader assignment for an audit,
	// ending in 30 days (adminAssign with an end; the request's id given,
	// none drawn from the tenant's sequence).
	for _, p := range people {
		if p.guest || p.synced || p.disabled || p.id == approver {
			continue
		}
		g.post("unifiedRoleAssignmentScheduleRequest", map[string]any{"id": derivedID("demo|time-bound-assignment"),
			"action": "adminAssign", "principalId": p.id, "roleDefinitionId": globalReaderRoleID, "directoryScopeId": "/",
			"justification": "External audit, until the report is delivered",
			"scheduleInfo":  map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": graphTime(g.t.now().AddDate(0, 0, 30))}}}, nil)
		return
	}
}

// globalReaderRoleID is the built-in Global Reader role (its template id).
const globalReaderRoleID = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"

// ---- active assignment schedules ----
//
// learn.microsoft.com/graph/api/resources/unifiedroleassignmentschedule:
// GET /roleManagement/directory/roleAssignmentSchedules lists the schedules
// of active assignments made through PIM requests (rbacapplication-list-
// roleassignmentschedules): assignmentType Assigned (adminAssign) or
// Activated (selfActivate), with scheduleInfo (startDateTime, expiration
// noExpiration, afterDateTime or afterDuration). An adminAssign request
// with an end makes a time-bound assignment: listed in roleAssignments and
// as an Assigned instance with endDateTime until its end, then gone
// (graphsim's clock). graphsim lists no schedule for an assignment made by
// POST roleAssignments (simplified).
//
// adminAssign follows the role's policy (unifiedroleassignmentschedulerequest-post-
// roleassignmentschedulerequests, RoleAssignmentRequestPolicyValidationFailed;
// identity-governance-pim-rules-overview): Expiration_Admin_Assignment with
// isExpirationRequired refuses a request without an end, and one longer
// than its maximumDuration; an end that has passed is refused (strict).

const assignScheduleKind = "unifiedRoleAssignmentSchedule"

// adminAssignEnd reads an adminAssign request's end (zero: permanent) and
// checks it against role's policy. Callers hold t.mu for writing.
func (s *Server) adminAssignEnd(role string, v any, now time.Time) (time.Time, *apiError) {
	info, _ := v.(map[string]any)
	exp, _ := lookupPath(info, "expiration").(map[string]any)
	start := now
	if st, err := time.Parse(time.RFC3339, str(lookupPath(info, "startDateTime"))); err == nil && st.After(now) {
		start = st
	}
	var end time.Time
	switch typ := str(exp["type"]); typ {
	case "", "noExpiration":
	case "afterDuration":
		d, ok := isoDuration(str(exp["duration"]))
		if !ok || d <= 0 {
			return time.Time{}, badRequest("Invalid value specified for property 'duration' of resource 'ExpirationPattern'.")
		}
		end = start.Add(d)
	case "afterDateTime":
		e, err := time.Parse(time.RFC3339, str(exp["endDateTime"]))
		if err != nil {
			return time.Time{}, badRequest("Invalid value specified for property 'endDateTime' of resource 'ExpirationPattern'.")
		}
		if !e.After(start) {
			return time.Time{}, badRequest("RoleAssignmentRequestPolicyValidationFailed: the expiration %s is not after the start of the assignment.", graphTime(e))
		}
		end = e
	default:
		return time.Time{}, badRequest("Invalid value specified for property 'type' of resource 'ExpirationPattern': '%s'.", typ)
	}
	if aerr := s.adminExpirationRule(role, start, end); aerr != nil {
		return time.Time{}, aerr
	}
	return end, nil
}

// adminExpirationRule checks an active assignment's window (start, end;
// zero end: permanent) against the role's Expiration_Admin_Assignment
// rule. Callers hold t.mu.
func (s *Server) adminExpirationRule(role string, start, end time.Time) *apiError {
	rule := s.policyRule(role, "Expiration_Admin_Assignment")
	if required, _ := rule["isExpirationRequired"].(bool); required {
		if end.IsZero() {
			return badRequest("RoleAssignmentRequestPolicyValidationFailed: ExpirationRule: the role's settings allow no permanent active assignment.")
		}
		if max, ok := isoDuration(str(rule["maximumDuration"])); ok && end.Sub(start) > max {
			return badRequest("RoleAssignmentRequestPolicyValidationFailed: ExpirationRule: the assignment is longer than the role's maximum of %s.", str(rule["maximumDuration"]))
		}
	}
	return nil
}

// policyRule is rule id of role's policy, nil when there is none. Callers hold t.mu.
func (s *Server) policyRule(role, id string) map[string]any {
	t := s.tenant
	for _, a := range t.colls[rmAssignKind].byKey {
		if !strings.EqualFold(str(a.get("roleDefinitionId")), role) {
			continue
		}
		if p := t.colls[rmPolicyKind].byKey[strings.ToLower(str(a.get("policyId")))]; p != nil {
			_, m := findContainedExact(heldList(p, rmRules), id)
			return m
		}
	}
	return nil
}

// addAssignmentSchedule records the schedule of the assignment a request
// made. Callers hold t.mu for writing.
func (s *Server) addAssignmentSchedule(a, req map[string]any, start, end time.Time, activated bool) {
	t := s.tenant
	k := kindByName[assignScheduleKind]
	if r := t.colls[k.Name].byKey[strings.ToLower(str(a["id"]))]; r != nil {
		t.detach(r)
	}
	exp := map[string]any{"type": "noExpiration", "endDateTime": nil, "duration": nil}
	if !end.IsZero() {
		exp = map[string]any{"type": "afterDateTime", "endDateTime": graphTime(end), "duration": nil}
	}
	typ := "Assigned"
	if activated {
		typ = "Activated"
	}
	t.insert(k, map[string]any{
		"id": a["id"], "principalId": a["principalId"], "roleDefinitionId": a["roleDefinitionId"],
		"directoryScopeId": a["directoryScopeId"], "appScopeId": nil,
		"createdDateTime": graphTime(start), "modifiedDateTime": nil, "createdUsing": req["id"], "status": "Provisioned",
		"memberType": "Direct", "assignmentType": typ,
		"scheduleInfo": map[string]any{"startDateTime": graphTime(start), "recurrence": nil, "expiration": exp},
	})
}
