package graphsim

import (
	"fmt"
	"net/http"
	"strings"
)

// Lifecycle workflows, Graph v1.0 (graphsim/doc.go, "Lifecycle
// workflows"), all below /identityGovernance/lifecycleWorkflows:
//
//   - workflow (resources/identitygovernance-workflow,
//     identitygovernance-lifecycleworkflowscontainer-post-workflows): created
//     with displayName, category (joiner, leaver, mover), executionConditions
//     and its tasks (deep insert, the only way a task is made); "You can
//     create up to 50 workflows in a tenant"; isSchedulingEnabled "Cannot be
//     true for a disabled workflow"; version 1 on create. The list returns
//     the workflow's properties, never its tasks (a contained navigation,
//     read at /workflows/{id}/tasks; $expand of the list is documented for
//     createdBy and lastModifiedBy only: tasks → 400, strict). The GET of
//     one workflow returns its tasks inline: "The tasks relationship is
//     expanded by default" (identitygovernance-workflow-get, with
//     tasks@odata.context), unless a $select leaves tasks out.
//   - Update (identitygovernance-workflow-update): "Only the properties
//     listed in the request body table can be updated" - description,
//     displayName, isEnabled, isSchedulingEnabled; anything else → 400
//     (strict). Everything else changes through createNewVersion
//     (identitygovernance-workflow-createnewversion): POST {"workflow": {...}}
//     with the whole workflow (category, executionConditions, tasks); the
//     workflow keeps its id, version + 1, its tasks are replaced (new ids).
//     The version's category must stay the workflow's (strict: the
//     versioning page says a version changes tasks and execution
//     conditions).
//   - task (resources/identitygovernance-task): "A workflow can have up to
//     25 tasks"; displayName and taskDefinitionId required; executionSequence
//     is Graph's (the order sent, from 1). A task is never created or
//     deleted on its own (no create or delete documented: 405); a PATCH
//     (identitygovernance-task-update) changes displayName and description
//     only (anything else → 400, strict). A "Run a custom task extension"
//     task (definition 4262b724-...) names its extension in the argument
//     customTaskExtensionID, an "Add user to groups" or "Remove user from
//     selected groups" task its groups in groupID: an id that names nothing
//     → 400 (strict: the pages are silent).
//   - Delete (identitygovernance-workflow-delete): the workflow, its tasks
//     and versions go to /deletedItems/workflows, restorable "within 30
//     days" with POST .../deletedItems/workflows/{id}/restore
//     (identitygovernance-workflow-restore: 200 with the workflow, same id);
//     DELETE there deletes it for good (identitygovernance-deleteditemcontainer-delete).
//   - customTaskExtension (resources/identitygovernance-customtaskextension,
//     identitygovernance-lifecycleworkflowscontainer-post-customtaskextensions,
//     identitygovernance-customtaskextension-update): displayName,
//     endpointConfiguration and authenticationConfiguration required
//     (strict); displayName unique (strict); an extension a workflow task
//     names is not deleted (400, strict); callbackConfiguration.authorizedApps
//     are "unique identifiers or appIds of the applications"
//     (identitygovernance-customtaskextensioncallbackconfiguration): one
//     that names no application → 400 (strict).
//   - lifecycleManagementSettings (resources/identitygovernance-
//     lifecyclemanagementsettings, identitygovernance-lifecyclemanagementsettings-update):
//     a singleton every tenant has; workflowScheduleIntervalInHours "between
//     1 and 24" (default 3), emailSettings.
//   - Permissions (permissions.json): LifecycleWorkflows-Workflow.* for
//     workflows and their tasks, LifecycleWorkflows-CustomExt.* for custom
//     task extensions, LifecycleWorkflows.Read.All / ReadWrite.All for the
//     settings (and every path).

const (
	lcwWorkflowKind = "identityGovernance.workflow"
	lcwDeletedKind  = "lcwDeletedWorkflow"
	lcwCTEKind      = "identityGovernance.customTaskExtension"
	lcwSettingsKind = "identityGovernance.lifecycleManagementSettings"
	lcwRoot         = "identityGovernance/lifecycleWorkflows/"

	// CustomTaskDefinitionID is the built-in task definition "Run a custom
	// task extension" (lifecycle-workflow-tasks).
	CustomTaskDefinitionID = "4262b724-8dba-4fad-afc3-43fcbb497a0e"
	lcwMaxWorkflows        = 50
	lcwMaxTasks            = 25
)

var lcwKinds = [...]*Kind{
	{
		Name: lcwWorkflowKind, ODataType: "#microsoft.graph.identityGovernance.workflow",
		Paths: []string{lcwRoot + "workflows"}, Throttle: "directory", ReadCost: 1,
		ReadOnly: []string{"id", "createdDateTime", "lastModifiedDateTime", "version", "deletedDateTime",
			"nextScheduleRunDateTime", "createdBy", "lastModifiedBy"},
		Required:   []string{"displayName", "category", "executionConditions", "tasks"},
		Filterable: []string{"id", "displayName", "category", "isEnabled"},
	},
	{
		// The deleted workflows (identitygovernance-lifecycleworkflowscontainer-list-deleteditems).
		Name: lcwDeletedKind, ODataType: "#microsoft.graph.identityGovernance.workflow",
		Paths: []string{lcwRoot + "deletedItems/workflows"}, NoCreate: true, NoUpdate: true, Throttle: "directory", ReadCost: 1,
		Filterable: []string{"id", "displayName"},
	},
	{
		Name: lcwCTEKind, ODataType: "#microsoft.graph.identityGovernance.customTaskExtension",
		Paths: []string{lcwRoot + "customTaskExtensions"}, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"id", "createdDateTime", "lastModifiedDateTime", "createdBy", "lastModifiedBy"},
		Required:   []string{"displayName", "endpointConfiguration", "authenticationConfiguration"},
		Unique:     []string{"displayName"},
		Filterable: []string{"id", "displayName"},
	},
	{
		Name: lcwSettingsKind, ODataType: "#microsoft.graph.identityGovernance.lifecycleManagementSettings",
		Paths: []string{lcwRoot + "settings"}, Singleton: true, Throttle: "directory",
		ReadOnly: []string{"id"},
	},
}

const lcwTasks = "tasks"

var (
	lcwCategories = []string{"joiner", "leaver", "mover"}
	lcwPatchable  = []string{"description", "displayName", "isEnabled", "isSchedulingEnabled"}
	lcwTaskProps  = []string{"arguments", "category", "continueOnError", "description", "displayName", "executionSequence", "isEnabled", "taskDefinitionId"}
	guidRE        = lazyRE(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// groupTaskDefs name groups in their groupID argument (lifecycle-workflow-tasks).
	groupTaskDefs = []string{"22085229-5809-45e8-97fd-270d28d66910", "1953a66c-751c-45e5-8bfe-01462c70da3c"}
)

func init() {
	held[lcwWorkflowKind] = map[string]heldSpec{lcwTasks: {typ: "#microsoft.graph.identityGovernance.task",
		props: lcwTaskProps, update: true, noDelete: true, check: checkTaskPatch}}
	createHooks[lcwWorkflowKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		if n := len(s.tenant.colls[lcwWorkflowKind].live()); n >= lcwMaxWorkflows {
			return badRequest("A tenant can have at most %d workflows.", lcwMaxWorkflows)
		}
		if aerr := s.checkWorkflow(body, ""); aerr != nil {
			return aerr
		}
		if str(body["id"]) == "" {
			body["id"] = s.tenant.newID() // the one create would draw
		}
		tasks, aerr := s.newTasks(body, str(body["id"]), 1)
		if aerr != nil {
			return aerr
		}
		now := graphTime(s.tenant.now())
		body["createdDateTime"], body["lastModifiedDateTime"], body["version"] = now, now, 1
		body["deletedDateTime"], body["nextScheduleRunDateTime"] = nil, nil
		if _, ok := body["isEnabled"]; !ok {
			body["isEnabled"] = true
		}
		if _, ok := body["isSchedulingEnabled"]; !ok {
			body["isSchedulingEnabled"] = false
		}
		body[heldPrefix+lcwTasks] = tasks
		return nil
	}
	patchHooks[lcwWorkflowKind] = func(s *Server, r *record, body map[string]any) *apiError {
		for p := range body {
			if !contains(lcwPatchable, p) {
				return badRequest("Property '%s' of a workflow is not updated by PATCH; create a new version (createNewVersion).", p)
			}
		}
		merged := map[string]any{"isEnabled": r.get("isEnabled"), "isSchedulingEnabled": r.get("isSchedulingEnabled")}
		for p, v := range body {
			merged[p] = v
		}
		if merged["isSchedulingEnabled"] == true && merged["isEnabled"] != true {
			return badRequest("Scheduling cannot be enabled for a disabled workflow.")
		}
		body["lastModifiedDateTime"] = graphTime(s.tenant.now())
		return nil
	}
	deleteHooks[lcwWorkflowKind] = func(s *Server, r *record) *apiError {
		// To the deleted items: the same object, its tasks held with it.
		d := deepCopy(r.o()).(map[string]any)
		d["deletedDateTime"] = graphTime(s.tenant.now())
		s.tenant.insert(kindByName[lcwDeletedKind], d)
		return nil
	}
	actions[lcwWorkflowKind] = map[string]func(*Server, *request, *record) (*response, *apiError){"createNewVersion": createNewVersion}
	actions[lcwDeletedKind] = map[string]func(*Server, *request, *record) (*response, *apiError){"restore": restoreWorkflow}
	createHooks[lcwCTEKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		if aerr := checkExtension(body); aerr != nil {
			return aerr
		}
		if aerr := s.checkAuthorizedApps(body); aerr != nil {
			return aerr
		}
		now := graphTime(s.tenant.now())
		body["createdDateTime"], body["lastModifiedDateTime"] = now, now
		return nil
	}
	patchHooks[lcwCTEKind] = func(s *Server, r *record, body map[string]any) *apiError {
		if aerr := checkExtension(body); aerr != nil {
			return aerr
		}
		if aerr := s.checkAuthorizedApps(body); aerr != nil {
			return aerr
		}
		body["lastModifiedDateTime"] = graphTime(s.tenant.now())
		return nil
	}
	deleteHooks[lcwCTEKind] = func(s *Server, r *record) *apiError {
		for _, w := range s.tenant.colls[lcwWorkflowKind].live() {
			for _, t := range heldList(w, lcwTasks) {
				if strings.EqualFold(taskArg(t, "customTaskExtensionID"), r.key()) {
					return badRequest("The custom task extension '%s' is used by workflow '%s' and cannot be deleted.", r.key(), w.key())
				}
			}
		}
		return nil
	}
	patchHooks[lcwSettingsKind] = func(s *Server, r *record, body map[string]any) *apiError {
		if v, ok := body["workflowScheduleIntervalInHours"]; ok {
			if n, isInt := asInt(v); !isInt || n < 1 || n > 24 {
				return badRequest("Invalid value '%v' for property 'workflowScheduleIntervalInHours': between 1 and 24.", v)
			}
		}
		return nil
	}
}

// checkWorkflow validates what a create or new version sets. category is
// the workflow's when a new version is made ("" on create).
func (s *Server) checkWorkflow(body map[string]any, category string) *apiError {
	if aerr := oneOf(body, "category", lcwCategories); aerr != nil {
		return aerr
	}
	if category != "" && !strings.EqualFold(str(body["category"]), category) {
		return badRequest("The category of a workflow cannot be changed by a new version.")
	}
	if body["isSchedulingEnabled"] == true && body["isEnabled"] == false {
		return badRequest("Scheduling cannot be enabled for a disabled workflow.")
	}
	ec, _ := body["executionConditions"].(map[string]any)
	switch str(ec["@odata.type"]) {
	case "#microsoft.graph.identityGovernance.onDemandExecutionOnly":
	case "#microsoft.graph.identityGovernance.triggerAndScopeBasedConditions":
		scope, _ := ec["scope"].(map[string]any)
		trig, _ := ec["trigger"].(map[string]any)
		if scope == nil || trig == nil {
			return badRequest("A triggerAndScopeBasedConditions needs a scope and a trigger.")
		}
		for _, g := range asSlice(scope["groups"]) {
			m, _ := g.(map[string]any)
			if s.tenant.lookup(kindByName["group"], str(m["id"])) == nil {
				return badRequest("The group '%s' of the workflow's scope does not exist.", str(m["id"]))
			}
		}
		if str(trig["@odata.type"]) == "#microsoft.graph.identityGovernance.timeBasedAttributeTrigger" {
			if n, ok := asInt(trig["offsetInDays"]); !ok || n < -180 || n > 180 {
				return badRequest("offsetInDays of a time based trigger is between -180 and 180.")
			}
		}
	default:
		return badRequest("executionConditions needs an @odata.type: triggerAndScopeBasedConditions or onDemandExecutionOnly.")
	}
	return nil
}

// newTasks takes body's tasks out of it as stored: Graph's ids and
// executionSequence, each task's references checked. The ids derive from
// the workflow's and its version (drawing none from the tenant's sequence:
// the demo's later objects keep theirs).
func (s *Server) newTasks(body map[string]any, workflow string, version int) ([]any, *apiError) {
	list := asSlice(body[lcwTasks])
	delete(body, lcwTasks)
	if len(list) == 0 || len(list) > lcwMaxTasks {
		return nil, badRequest("A workflow has from 1 to %d tasks.", lcwMaxTasks)
	}
	out := make([]any, 0, len(list))
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, badRequest("Invalid task.")
		}
		t := map[string]any{}
		for p, v := range m {
			switch {
			case p == "@odata.type" || p == "id" || p == "executionSequence" || p == "category":
				// Graph's (the type is the only one there is)
			case contains(lcwTaskProps, p):
				t[p] = v
			default:
				return nil, badRequest("Property '%s' does not exist as a declared property or extension property.", p)
			}
		}
		if str(t["displayName"]) == "" || !guidRE.MatchString(str(t["taskDefinitionId"])) {
			return nil, badRequest("A task needs a displayName and a taskDefinitionId.")
		}
		if aerr := s.checkTaskRefs(t); aerr != nil {
			return nil, aerr
		}
		out = append(out, storeTask(t, s.tenant.name, workflow, str(body["category"]), version, i))
	}
	return out, nil
}

// storeTask gives task t (the i-th of version version of workflow) what
// Graph sets: its id, executionSequence, the workflow's category and the
// defaults of what the request left out.
func storeTask(t map[string]any, tenant, workflow, category string, version, i int) map[string]any {
	t["id"] = derivedID(fmt.Sprintf("%s/workflow/%s/v%d/task/%d", tenant, strings.ToLower(workflow), version, i+1))
	t["executionSequence"] = i + 1
	t["category"] = category
	if _, ok := t["isEnabled"]; !ok {
		t["isEnabled"] = true
	}
	if _, ok := t["continueOnError"]; !ok {
		t["continueOnError"] = false
	}
	if t["arguments"] == nil {
		t["arguments"] = []any{}
	}
	return t
}

// seedWorkflow stores the tasks of a workflow seeded from a file (a
// rehearsal tenant loaded from a snapshot, where they are the file's tasks
// list) as the workflow's own, as a create would; a workflow seeded with
// its tasks held already (the demo) is left as it is.
func seedWorkflow(k *Kind, obj map[string]any, tenant string) {
	list, ok := obj[lcwTasks].([]any)
	if k.Name != lcwWorkflowKind || !ok {
		return
	}
	delete(obj, lcwTasks)
	version, _ := asInt(obj["version"])
	if version < 1 {
		version = 1
		obj["version"] = 1
	}
	out := make([]any, 0, len(list))
	for _, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		t := map[string]any{}
		for p, v := range m {
			if contains(lcwTaskProps, p) && p != "executionSequence" && p != "category" {
				t[p] = v
			}
		}
		out = append(out, storeTask(t, tenant, str(obj["id"]), str(obj["category"]), version, len(out)))
	}
	obj[heldPrefix+lcwTasks] = out
}

// taskArg is the value of a task's argument name.
func taskArg(t any, name string) string {
	m, _ := t.(map[string]any)
	for _, a := range asSlice(m["arguments"]) {
		kv, _ := a.(map[string]any)
		if strings.EqualFold(str(kv["name"]), name) {
			return str(kv["value"])
		}
	}
	return ""
}

// checkTaskRefs refuses a task naming an extension or group that does not exist.
func (s *Server) checkTaskRefs(t map[string]any) *apiError {
	def := strings.ToLower(str(t["taskDefinitionId"]))
	if def == CustomTaskDefinitionID {
		id := taskArg(t, "customTaskExtensionID")
		if id == "" || s.tenant.lookup(kindByName[lcwCTEKind], id) == nil {
			return badRequest("The custom task extension '%s' of task '%s' does not exist.", id, str(t["displayName"]))
		}
	}
	if contains(groupTaskDefs, def) {
		for _, id := range strings.Split(taskArg(t, "groupID"), ",") {
			if id = strings.TrimSpace(id); id == "" || s.tenant.lookup(kindByName["group"], id) == nil {
				return badRequest("The group '%s' of task '%s' does not exist.", id, str(t["displayName"]))
			}
		}
	}
	return nil
}

// checkTaskPatch: a task is not created on its own, and a PATCH changes
// its displayName and description only (identitygovernance-task-update).
func checkTaskPatch(_ *record, _ []any, old, item map[string]any) *apiError {
	if old == nil {
		return methodNotAllowed()
	}
	for _, p := range lcwTaskProps {
		if p == "displayName" || p == "description" {
			continue
		}
		if !jsonEqual(old[p], item[p]) {
			return badRequest("Property '%s' of a task is changed by a new version of its workflow (createNewVersion).", p)
		}
	}
	return nil
}

// createNewVersion serves POST /workflows/{id}/createNewVersion.
func createNewVersion(s *Server, req *request, r *record) (*response, *apiError) {
	in, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	w, ok := in["workflow"].(map[string]any)
	if !ok || len(in) != 1 {
		return nil, badRequest("The parameter 'workflow' is required and is the only parameter of createNewVersion.")
	}
	delete(w, "@odata.type")
	for _, p := range []string{"id", "version", "createdDateTime", "lastModifiedDateTime", "deletedDateTime", "nextScheduleRunDateTime"} {
		delete(w, p) // Graph's: a version keeps the workflow's own
	}
	if aerr := validateDeclared(r.kind.ODataType, w); aerr != nil {
		return nil, aerr
	}
	for _, p := range []string{"displayName", "category", "executionConditions", "tasks"} {
		if v, ok := w[p]; !ok || v == nil {
			return nil, badRequest("A value is required for property '%s' of resource 'workflow'.", p)
		}
	}
	if aerr := s.checkWorkflow(w, str(r.get("category"))); aerr != nil {
		return nil, aerr
	}
	v, _ := asInt(r.get("version"))
	tasks, aerr := s.newTasks(w, r.key(), v+1)
	if aerr != nil {
		return nil, aerr
	}
	for p, val := range w {
		r.o()[p] = val
	}
	r.o()[heldPrefix+lcwTasks] = tasks
	r.o()["version"] = v + 1
	r.o()["lastModifiedDateTime"] = graphTime(s.tenant.now())
	s.tenant.logChange(change{Kind: r.kind.Name, ID: r.key(), Op: "upsert", Props: []string{"(createNewVersion)"}})
	out := s.view(r, nil, false)
	out["@odata.context"] = s.metadata(req, r.kind.Paths0()+"/$entity")
	return jsonResp(http.StatusOK, out), nil
}

// restoreWorkflow serves POST /deletedItems/workflows/{id}/restore: the
// workflow is back with its id and tasks.
func restoreWorkflow(s *Server, req *request, d *record) (*response, *apiError) {
	t := s.tenant
	if t.colls[lcwWorkflowKind].byKey[strings.ToLower(d.key())] != nil {
		return nil, errf(http.StatusConflict, "Conflict", "The workflow '%s' exists.", d.key())
	}
	s.remove(d)
	obj := d.o()
	obj["deletedDateTime"] = nil
	obj["lastModifiedDateTime"] = graphTime(t.now())
	r := t.insert(kindByName[lcwWorkflowKind], obj)
	out := s.view(r, nil, false)
	out["@odata.context"] = s.metadata(req, r.kind.Paths0()+"/$entity")
	return jsonResp(http.StatusOK, out), nil
}

// checkExtension validates a custom task extension's configuration: a
// Logic App endpoint names its subscription, resource group and workflow;
// Microsoft Entra token authentication (azureAdTokenAuthentication) names
// a resource (proof-of-possession tokens name none).
func checkExtension(body map[string]any) *apiError {
	if ep, ok := body["endpointConfiguration"].(map[string]any); ok {
		if str(ep["@odata.type"]) == "#microsoft.graph.logicAppTriggerEndpointConfiguration" {
			for _, p := range []string{"subscriptionId", "resourceGroupName", "logicAppWorkflowName"} {
				if str(ep[p]) == "" {
					return badRequest("A value is required for property '%s' of endpointConfiguration.", p)
				}
			}
		}
	} else if _, sent := body["endpointConfiguration"]; sent {
		return badRequest("Invalid value for property 'endpointConfiguration'.")
	}
	if ac, ok := body["authenticationConfiguration"].(map[string]any); ok {
		if str(ac["@odata.type"]) == "#microsoft.graph.azureAdTokenAuthentication" && str(ac["resourceId"]) == "" {
			return badRequest("A value is required for property 'resourceId' of authenticationConfiguration.")
		}
	} else if _, sent := body["authenticationConfiguration"]; sent {
		return badRequest("Invalid value for property 'authenticationConfiguration'.")
	}
	return nil
}

// seedLifecycleDefaults stores the lifecycle workflow settings every
// tenant has (identitygovernance-lifecyclemanagementsettings-get).
func (g *generator) seedLifecycleDefaults() {
	g.seed(lcwSettingsKind, map[string]any{"id": "settings", "workflowScheduleIntervalInHours": 3,
		"emailSettings": map[string]any{"senderDomain": "", "useCompanyBranding": false}})
}

// demoLifecycleWorkflows is what an HR-driven tenant runs: two custom
// task extensions calling Logic Apps, a joiner workflow for new hires in
// Sales (enable the account, add to the Finance group, call the payroll
// extension) and a disabled leaver workflow (disable, remove from groups,
// call the mailbox archiving extension).
func (g *generator) demoLifecycleWorkflows(gr demoGroupRefs) {
	if gr.finance == "" {
		return
	}
	id := func(name string) string { return derivedID(g.t.name + "/lifecycle/" + name) }
	cte := g.post(lcwCTEKind, map[string]any{"id": id("Provision payroll account"), "displayName": "Provision payroll account",
		"description": "Calls the payroll Logic App for a new hire",
		"endpointConfiguration": map[string]any{"@odata.type": "#microsoft.graph.logicAppTriggerEndpointConfiguration",
			"subscriptionId": "c500b67c-e9b7-4ad2-a90d-77d41385ae55", "resourceGroupName": "rg-hr-automation",
			"logicAppWorkflowName": "payroll-provision", "url": "https://prod-01.westeurope.logic.azure.com/workflows/payroll-provision"},
		"authenticationConfiguration": map[string]any{"@odata.type": "#microsoft.graph.azureAdPopTokenAuthentication"},
		"clientConfiguration":         map[string]any{"maximumRetries": 1, "timeoutInMilliseconds": 1000},
		"callbackConfiguration": map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.customTaskExtensionCallbackConfiguration",
			"timeoutDuration": "PT20M"}}, nil)
	if cte == "" {
		return
	}
	// A leaver extension: a Logic App archiving the leaver's mailbox,
	// called with a Microsoft Entra token for its app.
	archive := g.post(lcwCTEKind, map[string]any{"id": id("Archive leaver mailbox"), "displayName": "Archive leaver mailbox",
		"description": "Calls the mailbox archiving Logic App on a leaver's last day",
		"endpointConfiguration": map[string]any{"@odata.type": "#microsoft.graph.logicAppTriggerEndpointConfiguration",
			"subscriptionId": "c500b67c-e9b7-4ad2-a90d-77d41385ae55", "resourceGroupName": "rg-hr-automation",
			"logicAppWorkflowName": "mailbox-archive", "url": "https://prod-01.westeurope.logic.azure.com/workflows/mailbox-archive"},
		"authenticationConfiguration": map[string]any{"@odata.type": "#microsoft.graph.azureAdTokenAuthentication",
			"resourceId": "a5a0c4d2-2b8e-4c55-9c1e-3f0b7d6e8a91"},
		"clientConfiguration": map[string]any{"maximumRetries": 1, "timeoutInMilliseconds": 1000}}, nil)
	trigger := func(attr string, days int) map[string]any {
		return map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.timeBasedAttributeTrigger", "timeBasedAttribute": attr, "offsetInDays": days}
	}
	rule := func(r string) map[string]any {
		return map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.ruleBasedSubjectSet", "rule": r}
	}
	task := func(name, def string, args ...string) map[string]any {
		a := []any{}
		for i := 0; i+1 < len(args); i += 2 {
			a = append(a, map[string]any{"name": args[i], "value": args[i+1]})
		}
		return map[string]any{"displayName": name, "description": name, "taskDefinitionId": def, "isEnabled": true, "continueOnError": false, "arguments": a}
	}
	g.post(lcwWorkflowKind, map[string]any{"id": id("Onboard new hires in Sales"), "displayName": "Onboard new hires in Sales",
		"description": "First day of a Sales new hire", "category": "joiner", "isEnabled": true, "isSchedulingEnabled": true,
		"executionConditions": map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.triggerAndScopeBasedConditions",
			"scope": rule("(department eq 'Sales')"), "trigger": trigger("employeeHireDate", 0)},
		"tasks": []any{
			task("Enable user account", "6fc52c9d-398b-4305-9763-15f42c1676fc"),
			task("Add user to the Finance group", "22085229-5809-45e8-97fd-270d28d66910", "groupID", gr.finance),
			task("Provision payroll account", CustomTaskDefinitionID, "customTaskExtensionID", cte),
		}}, nil)
	g.post(lcwWorkflowKind, map[string]any{"id": id("Offboard leavers"), "displayName": "Offboard leavers",
		"description": "Last day of an employee: not enabled yet", "category": "leaver", "isEnabled": false, "isSchedulingEnabled": false,
		"executionConditions": map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.triggerAndScopeBasedConditions",
			"scope": rule("(employeeType eq 'Employee')"), "trigger": trigger("employeeLeaveDateTime", 0)},
		"tasks": []any{
			task("Disable user account", "1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950"),
			task("Remove user from all groups", "b3a31406-2a15-4c9a-b25b-a658fa5f07fc"),
			task("Archive mailbox", CustomTaskDefinitionID, "customTaskExtensionID", archive),
		}}, nil)
}

// workflowTasksInline puts workflow r's tasks in body, the answer to its
// GET: "The tasks relationship is expanded by default"
// (identitygovernance-workflow-get), as the /tasks list gives them; a
// $select without tasks leaves them out. Callers hold t.mu.
func (s *Server) workflowTasksInline(req *request, r *record, body map[string]any) {
	if sel := parseSelect(req.query); sel != nil && !contains(sel, lcwTasks) {
		return
	}
	items := []any{}
	for _, t := range asSlice(r.get(heldPrefix + lcwTasks)) {
		items = append(items, deepCopy(t))
	}
	body[lcwTasks+"@odata.context"] = s.metadata(req, lcwRoot+"workflows('"+r.key()+"')/"+lcwTasks)
	body[lcwTasks] = items
}

// checkAuthorizedApps refuses a callbackConfiguration whose authorizedApps
// name no application, by object id or appId. Callers hold t.mu.
func (s *Server) checkAuthorizedApps(body map[string]any) *apiError {
	cb, _ := body["callbackConfiguration"].(map[string]any)
	t := s.tenant
	for _, a := range asSlice(cb["authorizedApps"]) {
		m, _ := a.(map[string]any)
		id := str(m["id"])
		if id != "" && t.lookup(kindByName["application"], id) != nil {
			continue
		}
		if app := t.colls["application"].unique["appId"][strings.ToLower(id)]; id != "" && app != nil && t.visible(app) && !app.gone {
			continue
		}
		return badRequest("The application '%s' in callbackConfiguration.authorizedApps does not exist.", id)
	}
	return nil
}
