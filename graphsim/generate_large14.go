package graphsim

import (
	"fmt"
	"strconv"
)

// largeCoverage14 gives the large profile the kinds added after
// largeCoverage (generate_large13.go), at counts scaled by its users and
// groups: PIM for Groups eligibility and active assignment schedules,
// lifecycle workflows with their tasks, custom task extensions, lifecycle
// workflow settings other than the defaults and feature rollout policies
// with their groups (branding's customCSS comes with demoBranding, which
// largeCoverage calls). Like largeCoverage it runs last, derives its ids
// from names and draws nothing from the random source, so every earlier
// object keeps its id and the same seed gives the same tenant.
//
// Where the proportions come from (Graph's documented limits where there
// is one; otherwise our assumption, said as such):
//   - PIM for Groups governs the privileged-access groups (admin groups,
//     groups that hold roles or access to sensitive apps), a small share
//     of a tenant's groups: one security group in 100 here, an assumption.
//     Each has two eligible members (on-call engineers) and one group in
//     four also a contractor's active membership ending within 60 days,
//     as the demo's security operations group has.
//   - Lifecycle workflows are made per HR population and event (joiners and
//     leavers of a department, then of a department in a country), not per
//     user: 4 plus one per 1,000 users (rounded), at most the 50 Graph allows in a
//     tenant (identitygovernance-lifecycleworkflowscontainer-post-workflows,
//     lcwMaxWorkflows); 3 or 4 tasks each (Graph allows 25).
//   - Custom task extensions call the HR systems' Logic Apps: one per two
//     departments that have workflows, a handful whatever the size (Graph
//     allows 100: learn:/entra/id-governance/governance-service-limits).
//   - The workflow settings run workflows every hour instead of the
//     default 3 (1 to 24 allowed) and send mail with the company branding.
//   - Feature rollout: Graph has one policy per feature and at most 10
//     groups per feature, assigned groups only, no dynamic or nested
//     (resources/featurerolloutpolicy); an organization moving off
//     federation stages password hash sync and seamless SSO to pilot groups
//     (2 plus one per 500 groups, at most 10) and keeps a disabled policy
//     for email as an alternate login id.
func (g *generator) largeCoverage14(users, security []string) {
	if len(users) < 10 || len(security) < 4 || g.err != nil {
		return
	}
	id := func(name string) string { return derivedID(g.t.name + "/large14/" + name) }
	at := func(xs []string, i int) string { return xs[i%len(xs)] }

	// PIM for Groups. Principals: enabled members of no role in the group
	// (PIM refuses to assign a direct member), found by walking the users
	// from a fixed offset, none twice in one group (PIM refuses a second
	// eligibility of the same principal: a small tenant whose groups hold
	// nearly every user has few candidates, and the walk came back to the
	// one it had just taken).
	next := 0
	principal := func(grp *record, taken ...string) string {
		for range len(users) {
			u := users[next%len(users)]
			next += 37
			if grp.links.list("members").containsFold(u) || grp.links.list("owners").containsFold(u) || containsFold(taken, u) {
				continue
			}
			if r := g.record("user", u); r == nil || r.get("accountEnabled") == false || str(r.get("userType")) == "Guest" {
				continue
			}
			return u
		}
		return ""
	}
	for i, n := 0, 0; i < len(security) && g.err == nil; i += 100 {
		grp := g.record("group", security[i])
		if grp == nil || pimGroupAllowed(grp) != "" {
			continue
		}
		n++
		gid := security[i]
		var eligible []string
		for e := range 2 {
			if p := principal(grp, eligible...); p != "" {
				eligible = append(eligible, p)
				g.post(pgEligReqKind, map[string]any{"id": id(fmt.Sprintf("pim-group/%s/eligible/%d", gid, e)), "action": "adminAssign", "accessId": "member",
					"groupId": gid, "principalId": p, "justification": "On-call rotation: activate for incidents"}, nil)
			}
		}
		if n%4 == 1 {
			if p := principal(grp, eligible...); p != "" { // the contractor is not one of the on-call engineers
				g.post(pgAssignReqKind, map[string]any{"id": id("pim-group/" + gid + "/active"), "action": "adminAssign", "accessId": "member",
					"groupId": gid, "principalId": p, "justification": "Contractor until the project ends",
					"scheduleInfo": map[string]any{"expiration": map[string]any{"type": "afterDateTime",
						"endDateTime": graphTime(g.t.now().AddDate(0, 0, 14+(n*7)%47))}}}, nil)
			}
		}
	}

	// Lifecycle workflows and their custom task extensions.
	if !g.largeWorkflows(largeWorkflowCount(len(users)), security) {
		return
	}
	if r := g.record(lcwSettingsKind, "settings"); r != nil {
		r.o()["workflowScheduleIntervalInHours"] = 1
		r.o()["emailSettings"] = map[string]any{"senderDomain": "", "useCompanyBranding": true}
	}

	// Feature rollout policies: the pilot groups are assigned security
	// groups (dynamic ones are not in security).
	nPilot := min(2+len(security)/500, 10)
	phs := g.post(rolloutKindName, map[string]any{"id": id("rollout/phs"), "displayName": "PHS staged rollout",
		"description": "Cloud sign-in pilot before the federation cut-over", "feature": "passwordHashSync", "isEnabled": true}, nil)
	sso := g.post(rolloutKindName, map[string]any{"id": id("rollout/sso"), "displayName": "Seamless SSO staged rollout",
		"description": "Seamless SSO for the cloud sign-in pilot", "feature": "seamlessSso", "isEnabled": true}, nil)
	g.post(rolloutKindName, map[string]any{"id": id("rollout/email"), "displayName": "Email as an alternate login id",
		"description": "Prepared, not enabled", "feature": "emailAsAlternateId", "isEnabled": false}, nil)
	for i := range nPilot {
		grp := at(security, 11*i+5)
		g.link(rolloutKindName, phs, "appliesTo", grp, false)
		g.link(rolloutKindName, sso, "appliesTo", grp, false)
	}
}

// largeWorkflowCount is how many lifecycle workflows the large profile
// makes for a tenant of users users: 4 plus one per 1,000 users (rounded),
// at most the lcwMaxWorkflows Graph allows in a tenant and at most a
// joiner and a leaver workflow per HR population (largeWorkflowPopulations).
func largeWorkflowCount(users int) int {
	return min(4+(users+500)/1000, lcwMaxWorkflows, 2*len(largeWorkflowPopulations()))
}

// lcwPopulation is an HR population a joiner and a leaver workflow are
// made for: its scope rule and its name in the workflows' names.
type lcwPopulation struct{ scope, where string }

// largeWorkflowPopulations lists the HR populations of the large profile's
// lifecycle workflows, each once: every department, then every department
// in every country that has an office. A country is listed once however
// many offices it has (two offices in one country made the same
// population twice, so the same derived workflow id: the 100,000-user
// profile failed with "identityGovernance.workflow ... exists").
func largeWorkflowPopulations() []lcwPopulation {
	var countries []string
	for _, o := range offices {
		if !contains(countries, o.Country) {
			countries = append(countries, o.Country)
		}
	}
	pops := make([]lcwPopulation, 0, len(departments)*(1+len(countries)))
	for _, d := range departments {
		pops = append(pops, lcwPopulation{"(department eq '" + d.Name + "')", d.Name})
	}
	for _, c := range countries {
		for _, d := range departments {
			pops = append(pops, lcwPopulation{"(department eq '" + d.Name + "') and (country eq '" + c + "')", d.Name + " in " + c})
		}
	}
	return pops
}

// largeWorkflows makes nWF lifecycle workflows (a joiner and a leaver one
// per population, in the order of largeWorkflowPopulations) and the custom
// task extensions their tasks call; the task groups are taken from
// security. It reports whether the generator may go on (false once a
// create failed: g.err says why).
func (g *generator) largeWorkflows(nWF int, security []string) bool {
	id := func(name string) string { return derivedID(g.t.name + "/large14/" + name) }
	at := func(xs []string, i int) string { return xs[i%len(xs)] }
	pops := largeWorkflowPopulations()
	nWF = min(nWF, 2*len(pops))
	pairs := (nWF + 1) / 2
	nCTE := max(2, (min(pairs, len(departments))+1)/2)
	ctes := make([]string, 0, nCTE)
	for i := range nCTE {
		sys := departments[i%len(departments)].Name
		name := fmt.Sprintf("Sync %s HR system %d", sys, i+1)
		auth := map[string]any{"@odata.type": "#microsoft.graph.azureAdPopTokenAuthentication"}
		if i%2 == 1 {
			auth = map[string]any{"@odata.type": "#microsoft.graph.azureAdTokenAuthentication", "resourceId": derivedID(g.t.name + "/large14/cte-app/" + strconv.Itoa(i))}
		}
		wf := fmt.Sprintf("hr-sync-%02d", i+1)
		c := g.post(lcwCTEKind, map[string]any{"id": id("cte/" + name), "displayName": name,
			"description": "Calls the " + sys + " HR system's Logic App",
			"endpointConfiguration": map[string]any{"@odata.type": "#microsoft.graph.logicAppTriggerEndpointConfiguration",
				"subscriptionId": "c500b67c-e9b7-4ad2-a90d-77d41385ae55", "resourceGroupName": "rg-hr-automation",
				"logicAppWorkflowName": wf, "url": "https://prod-01.westeurope.logic.azure.com/workflows/" + wf},
			"authenticationConfiguration": auth,
			"clientConfiguration":         map[string]any{"maximumRetries": 1, "timeoutInMilliseconds": 1000}}, nil)
		if c == "" {
			return false
		}
		ctes = append(ctes, c)
	}
	task := func(name, def string, args ...string) map[string]any {
		a := []any{}
		for i := 0; i+1 < len(args); i += 2 {
			a = append(a, map[string]any{"name": args[i], "value": args[i+1]})
		}
		return map[string]any{"displayName": name, "description": name, "taskDefinitionId": def, "isEnabled": true, "continueOnError": false, "arguments": a}
	}
	for w := range nWF {
		p := w / 2
		scope, where := pops[p].scope, pops[p].where
		grp := at(security, 3*p+1)
		cte := at(ctes, p)
		cond := func(attr string) map[string]any {
			return map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.triggerAndScopeBasedConditions",
				"scope":   map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.ruleBasedSubjectSet", "rule": scope},
				"trigger": map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.timeBasedAttributeTrigger", "timeBasedAttribute": attr, "offsetInDays": 0}}
		}
		var body map[string]any
		if w%2 == 0 {
			name := "Onboard new hires: " + where
			tasks := []any{task("Enable user account", "6fc52c9d-398b-4305-9763-15f42c1676fc"),
				task("Add user to the department's group", "22085229-5809-45e8-97fd-270d28d66910", "groupID", grp),
				task("Send welcome email to new hire", "70b29d51-b59a-4773-9280-8841dfd3f2ea")}
			if p%2 == 0 {
				tasks = append(tasks, task("Create the HR system's account", CustomTaskDefinitionID, "customTaskExtensionID", cte))
			}
			body = map[string]any{"id": id("workflow/" + name), "displayName": name, "description": "First day of a new hire: " + where,
				"category": "joiner", "isEnabled": true, "isSchedulingEnabled": true, "executionConditions": cond("employeeHireDate"), "tasks": tasks}
		} else {
			name := "Offboard leavers: " + where
			tasks := []any{task("Disable user account", "1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950"),
				task("Remove user from the department's group", "1953a66c-751c-45e5-8bfe-01462c70da3c", "groupID", grp),
				task("Remove user from all groups", "b3a31406-2a15-4c9a-b25b-a658fa5f07fc")}
			if p%2 == 1 {
				tasks = append(tasks, task("Close the HR system's account", CustomTaskDefinitionID, "customTaskExtensionID", cte))
			}
			enabled := p%3 != 2 // some leaver workflows are still being tested
			body = map[string]any{"id": id("workflow/" + name), "displayName": name, "description": "Last day of an employee: " + where,
				"category": "leaver", "isEnabled": enabled, "isSchedulingEnabled": enabled, "executionConditions": cond("employeeLeaveDateTime"), "tasks": tasks}
		}
		if g.post(lcwWorkflowKind, body, nil) == "" {
			return false
		}
	}
	return g.err == nil
}
