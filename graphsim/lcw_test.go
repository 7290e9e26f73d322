package graphsim

import (
	"reflect"
	"strings"
	"testing"
)

const lcwPath = "/v1.0/identityGovernance/lifecycleWorkflows/"

// Lifecycle workflows as Graph documents them: created with their tasks,
// the list without tasks (read below the workflow), PATCH of the four
// basic properties only, everything else by createNewVersion (version + 1,
// tasks replaced), tasks never created or deleted on their own, a task
// naming a custom task extension or group that exists, delete to the
// deleted items and restore from there with the same id, custom task
// extensions not deleted while a task names them, settings in range.
func TestLifecycleWorkflows(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	var cte string
	ctes := e.do("GET", lcwPath+"customTaskExtensions", nil).must(t, 200).body["value"].([]any)
	for _, c := range ctes {
		if m := c.(map[string]any); m["displayName"] == "Provision payroll account" {
			cte = str(m["id"])
		}
	}
	if len(ctes) != 2 || cte == "" {
		t.Fatalf("custom task extensions: %v", ctes)
	}
	list := e.do("GET", lcwPath+"workflows", nil).must(t, 200)
	if n := len(list.body["value"].([]any)); n != 2 || strings.Contains(list.raw, `"tasks"`) || strings.Contains(list.raw, "\\u0000") {
		t.Fatalf("workflows list (%d): %s", n, list.raw)
	}
	var onboard map[string]any
	for _, v := range list.body["value"].([]any) {
		if m := v.(map[string]any); m["category"] == "joiner" {
			onboard = m
		}
	}
	wid := str(onboard["id"])
	e.do("GET", lcwPath+"workflows?$expand=tasks", nil).must(t, 400) // $expand: createdBy and lastModifiedBy only
	if onboard["version"] != float64(1) || onboard["executionConditions"] == nil {
		t.Errorf("workflow: %v", onboard)
	}
	tasks := e.do("GET", lcwPath+"workflows/"+wid+"/tasks", nil).must(t, 200).body["value"].([]any)
	if len(tasks) != 3 || tasks[2].(map[string]any)["executionSequence"] != float64(3) {
		t.Fatalf("tasks: %v", tasks)
	}
	task0 := str(tasks[0].(map[string]any)["id"])

	// PATCH: the four basic properties only.
	e.do("PATCH", lcwPath+"workflows/"+wid, map[string]any{"description": "d", "isEnabled": true}).must(t, 204)
	e.do("PATCH", lcwPath+"workflows/"+wid, map[string]any{"category": "leaver"}).must(t, 400)
	e.do("PATCH", lcwPath+"workflows/"+wid, map[string]any{"executionConditions": onboard["executionConditions"]}).must(t, 400)
	e.do("PATCH", lcwPath+"workflows/"+wid, map[string]any{"isEnabled": false}).must(t, 400) // scheduling is on
	// Tasks: PATCH of name and description, no create, no delete.
	e.do("PATCH", lcwPath+"workflows/"+wid+"/tasks/"+task0, map[string]any{"displayName": "Enable the account"}).must(t, 204)
	e.do("PATCH", lcwPath+"workflows/"+wid+"/tasks/"+task0, map[string]any{"isEnabled": false}).must(t, 400)
	e.do("POST", lcwPath+"workflows/"+wid+"/tasks", map[string]any{"displayName": "x", "taskDefinitionId": "6fc52c9d-398b-4305-9763-15f42c1676fc"}).must(t, 405)
	e.do("DELETE", lcwPath+"workflows/"+wid+"/tasks/"+task0, nil).must(t, 405)

	// A new version.
	newTask := func(def string, args ...any) map[string]any {
		return map[string]any{"displayName": "t", "taskDefinitionId": def, "arguments": args}
	}
	version := map[string]any{"displayName": "Onboard v2", "category": "joiner", "isEnabled": true,
		"executionConditions": map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.onDemandExecutionOnly"},
		"tasks":               []any{newTask(CustomTaskDefinitionID, map[string]any{"name": "customTaskExtensionID", "value": "00000000-0000-0000-0000-00000000beef"})}}
	e.do("POST", lcwPath+"workflows/"+wid+"/createNewVersion", map[string]any{"workflow": version}).must(t, 400) // no such extension
	version["tasks"] = []any{newTask(CustomTaskDefinitionID, map[string]any{"name": "customTaskExtensionID", "value": cte})}
	version["category"] = "leaver"
	e.do("POST", lcwPath+"workflows/"+wid+"/createNewVersion", map[string]any{"workflow": version}).must(t, 400) // category kept
	version["category"] = "joiner"
	v2 := e.do("POST", lcwPath+"workflows/"+wid+"/createNewVersion", map[string]any{"workflow": version}).must(t, 200)
	if v2.body["version"] != float64(2) || v2.body["id"] != wid || v2.body["displayName"] != "Onboard v2" {
		t.Errorf("new version: %v", v2.body)
	}
	if tasks := e.do("GET", lcwPath+"workflows/"+wid+"/tasks", nil).must(t, 200).body["value"].([]any); len(tasks) != 1 || str(tasks[0].(map[string]any)["id"]) == task0 {
		t.Errorf("tasks after a new version: %v", tasks)
	}
	e.do("DELETE", lcwPath+"customTaskExtensions/"+cte, nil).must(t, 400) // a task names it

	// Create: tasks required, at most 25, executionConditions typed.
	w := map[string]any{"displayName": "New", "category": "mover",
		"executionConditions": map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.onDemandExecutionOnly"}}
	e.do("POST", lcwPath+"workflows", w).must(t, 400)
	var many []any
	for range 26 {
		many = append(many, newTask("6fc52c9d-398b-4305-9763-15f42c1676fc"))
	}
	w["tasks"] = many
	e.do("POST", lcwPath+"workflows", w).must(t, 400)
	w["tasks"] = many[:1]
	w["executionConditions"] = map[string]any{"scope": map[string]any{}}
	e.do("POST", lcwPath+"workflows", w).must(t, 400)
	w["executionConditions"] = map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.onDemandExecutionOnly"}
	created := str(e.do("POST", lcwPath+"workflows", w).must(t, 201).body["id"])

	// Delete, list the deleted items, restore with the same id and tasks.
	e.do("DELETE", lcwPath+"workflows/"+wid, nil).must(t, 204)
	e.do("GET", lcwPath+"workflows/"+wid, nil).must(t, 404)
	del := e.do("GET", lcwPath+"deletedItems/workflows", nil).must(t, 200).body["value"].([]any)
	if len(del) != 1 || str(del[0].(map[string]any)["id"]) != wid || del[0].(map[string]any)["deletedDateTime"] == nil {
		t.Fatalf("deleted workflows: %v", del)
	}
	e.do("POST", lcwPath+"deletedItems/workflows/"+wid+"/restore", nil).must(t, 200)
	if tasks := e.do("GET", lcwPath+"workflows/"+wid+"/tasks", nil).must(t, 200).body["value"].([]any); len(tasks) != 1 {
		t.Errorf("restored workflow's tasks: %v", tasks)
	}
	e.do("DELETE", lcwPath+"workflows/"+created, nil).must(t, 204)
	e.do("DELETE", lcwPath+"deletedItems/workflows/"+created, nil).must(t, 204)
	e.do("POST", lcwPath+"deletedItems/workflows/"+created+"/restore", nil).must(t, 404)

	// Custom task extensions and settings.
	e.do("POST", lcwPath+"customTaskExtensions", map[string]any{"displayName": "no endpoint"}).must(t, 400)
	e.do("PATCH", lcwPath+"settings", map[string]any{"workflowScheduleIntervalInHours": 25}).must(t, 400)
	e.do("PATCH", lcwPath+"settings", map[string]any{"workflowScheduleIntervalInHours": 6}).must(t, 204)
}

// Reading workflows and their tasks takes LifecycleWorkflows-Workflow.Read.All,
// custom task extensions LifecycleWorkflows-CustomExt.Read.All, the
// settings LifecycleWorkflows.Read.All; writes their ReadWrite.All.
func TestLifecycleWorkflowPermissions(t *testing.T) {
	e := newAuthzEnv(t)
	e.want(e.token("a", "EntitlementManagement.Read.All"), "GET", lcwPath+"workflows", nil, 403)
	e.want(e.token("b", "LifecycleWorkflows-Workflow.Read.All"), "GET", lcwPath+"workflows", nil, 200)
	e.want(e.token("c", "LifecycleWorkflows-CustomExt.Read.All"), "GET", lcwPath+"workflows", nil, 403)
	e.want(e.token("d", "LifecycleWorkflows-CustomExt.Read.All"), "GET", lcwPath+"customTaskExtensions", nil, 200)
	e.want(e.token("e", "LifecycleWorkflows-Workflow.Read.All"), "GET", lcwPath+"settings", nil, 403)
	e.want(e.token("f", "LifecycleWorkflows.Read.All"), "GET", lcwPath+"settings", nil, 200)
	e.want(e.token("g", "LifecycleWorkflows.Read.All"), "PATCH", lcwPath+"settings", map[string]any{"workflowScheduleIntervalInHours": 4}, 403)
	e.want(e.token("h", "LifecycleWorkflows.ReadWrite.All"), "PATCH", lcwPath+"settings", map[string]any{"workflowScheduleIntervalInHours": 4}, 204)
	e.want(e.token("i", "LifecycleWorkflows-Workflow.Read.All"), "POST", lcwPath+"customTaskExtensions", map[string]any{"displayName": "x"}, 403)
}

// The GET of one workflow returns its tasks inline, as the /tasks list
// gives them ("The tasks relationship is expanded by default":
// identitygovernance-workflow-get); a $select without tasks leaves them
// out; the list never holds them.
func TestLifecycleWorkflowGetExpandsTasks(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	for _, v := range e.do("GET", lcwPath+"workflows", nil).must(t, 200).body["value"].([]any) {
		wid := str(v.(map[string]any)["id"])
		if _, ok := v.(map[string]any)["tasks"]; ok {
			t.Errorf("the list holds %s's tasks", wid)
		}
		one := e.do("GET", lcwPath+"workflows/"+wid, nil).must(t, 200)
		list := e.do("GET", lcwPath+"workflows/"+wid+"/tasks", nil).must(t, 200).body["value"]
		if got := one.body["tasks"]; !reflect.DeepEqual(got, list) || len(list.([]any)) == 0 {
			t.Errorf("workflow %s: tasks %v, the /tasks list %v", wid, got, list)
		}
		if !strings.Contains(str(one.body["tasks@odata.context"]), "/tasks") {
			t.Errorf("workflow %s: tasks@odata.context %v", wid, one.body["tasks@odata.context"])
		}
		sel := e.do("GET", lcwPath+"workflows/"+wid+"?$select=id,displayName", nil).must(t, 200)
		if _, ok := sel.body["tasks"]; ok {
			t.Errorf("workflow %s with $select=id,displayName: %s", wid, sel.raw)
		}
	}
}

// A custom task extension's authorizedApps name applications by object id
// or appId; one naming none is refused (strict).
func TestCustomTaskExtensionAuthorizedAppsMustExist(t *testing.T) {
	e := newCoreEnv(t, Options{Profile: "demo", Seed: 1})
	app := e.do("POST", "/v1.0/applications", map[string]any{"displayName": "callback"}).must(t, 201).body
	cte := str(e.do("GET", lcwPath+"customTaskExtensions", nil).must(t, 200).body["value"].([]any)[0].(map[string]any)["id"])
	cb := func(id string) map[string]any {
		return map[string]any{"callbackConfiguration": map[string]any{"@odata.type": "#microsoft.graph.identityGovernance.customTaskExtensionCallbackConfiguration",
			"timeoutDuration": "PT20M", "authorizedApps": []any{map[string]any{"id": id}}}}
	}
	e.do("PATCH", lcwPath+"customTaskExtensions/"+cte, cb(str(app["id"]))).must(t, 204)
	e.do("PATCH", lcwPath+"customTaskExtensions/"+cte, cb(str(app["appId"]))).must(t, 204)
	e.do("PATCH", lcwPath+"customTaskExtensions/"+cte, cb("0c000000-0000-4000-8000-00000000dead")).must(t, 400)
}
