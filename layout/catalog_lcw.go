package layout

// lifecycleKinds are Microsoft Entra ID Governance's lifecycle workflows
// (issue 13, "Governance"), Graph v1.0 under
// /identityGovernance/lifecycleWorkflows: custom task extensions before the
// workflows whose tasks call them, and the tenant's lifecycle settings.
//
// Not kept (history, not configuration): runs, task and user processing
// results, reports, and a workflow's older versions (a workflow's file is
// its current version; version itself is Graph's counter, which a restore
// cannot set, so it is not written).
var lifecycleKinds = []*Kind{
	{
		// A custom task extension calls an Azure Logic App: its endpoint
		// (subscription, resource group, workflow name) and how Graph
		// authenticates to it (a Microsoft Entra token for a resource, or
		// a proof-of-possession token) are configuration, not secrets.
		Name: "custom-task-extensions", Title: "lifecycle workflow custom task extensions", Folder: "governance/lifecycle-workflows/custom-task-extensions",
		ODataType: "#microsoft.graph.identityGovernance.customTaskExtension", APIVersion: "v1.0", ListPath: "/identityGovernance/lifecycleWorkflows/customTaskExtensions",
		// callbackConfiguration.authorizedApps are the applications
		// allowed to resume a task's processing result: "unique
		// identifiers or appIds of the applications"
		// (identitygovernance-customtaskextensioncallbackconfiguration).
		Refs:            []Ref{{Path: "callbackConfiguration.authorizedApps[].id", Kinds: []string{"applications"}}},
		NameProp:        "displayName",
		Volatile:        []string{"lastModifiedDateTime"},
		ReadOnly:        []string{"id", "createdDateTime", "lastModifiedDateTime", "createdBy", "lastModifiedBy"},
		IDOnly:          lcwUsers,
		ReadPermissions: []string{"LifecycleWorkflows-CustomExt.Read.All"}, WritePermissions: []string{"LifecycleWorkflows-CustomExt.ReadWrite.All"},
	},
	{
		// A workflow with its tasks (read at /workflows/{id}/tasks: the list
		// returns none), kept in task order. Task ids are Graph's and
		// change with every new version: not kept, nor the category Graph
		// copies into each task. A task that runs a custom task extension
		// names it in its customTaskExtensionID argument, one that adds to
		// or removes from groups names them in groupID; a group-based scope
		// names its groups.
		Name: "lifecycle-workflows", Title: "lifecycle workflows", Folder: "governance/lifecycle-workflows/workflows",
		ODataType: "#microsoft.graph.identityGovernance.workflow", APIVersion: "v1.0", ListPath: "/identityGovernance/lifecycleWorkflows/workflows",
		NameProp: "displayName",
		Children: []Child{{Name: "tasks", Path: "tasks", Key: "executionSequence", Drop: []string{"id", "category"},
			SeededWithParent: true, RefsAreSettings: true}},
		Refs: []Ref{
			{Path: "tasks[].arguments[].value", Kinds: []string{"custom-task-extensions"}, Where: map[string]string{"name": "customTaskExtensionID"}},
			// groupID: "a valid group ID or comma-separated list of groups"
			// (learn:/graph/identitygovernance-lifecycleworkflows-task-arguments).
			{Path: "tasks[].arguments[].value", Kinds: []string{"groups"}, Where: map[string]string{"name": "groupID"}, Sep: ","},
			{Path: "executionConditions.scope.groups[].id", Kinds: []string{"groups"}},
		},
		// A deleted workflow waits 30 days in
		// /identityGovernance/lifecycleWorkflows/deletedItems/workflows,
		// restorable with its id and tasks (identitygovernance-workflow-restore).
		SoftDelete: "lifecycle-workflows",
		Volatile:   []string{"lastModifiedDateTime", "nextScheduleRunDateTime", "version"},
		ReadOnly:   []string{"id", "createdDateTime", "lastModifiedDateTime", "deletedDateTime", "nextScheduleRunDateTime", "version", "createdBy", "lastModifiedBy"},
		IDOnly:     lcwUsers,
		// The list takes LifecycleWorkflows-Workflow.ReadBasic.All, the
		// tasks and the deleted workflows LifecycleWorkflows-Workflow.Read.All
		// (permissions.json).
		ReadPermissions: []string{"LifecycleWorkflows-Workflow.Read.All"}, WritePermissions: []string{"LifecycleWorkflows-Workflow.ReadWrite.All"},
	},
	{
		Name: "lifecycle-workflow-settings", Title: "lifecycle workflow settings", Folder: "governance/lifecycle-workflows/settings",
		ODataType: "#microsoft.graph.identityGovernance.lifecycleManagementSettings", APIVersion: "v1.0", ListPath: "/identityGovernance/lifecycleWorkflows/settings",
		Singleton:       true,
		ReadOnly:        []string{"id"},
		ReadPermissions: lcwRead, WritePermissions: lcwWrite,
	},
}

// lcwRead and lcwWrite are the lifecycle settings' permissions, which
// also read (ReadWrite.All: write) workflows and custom task extensions:
// those kinds list Graph's least privileged ones for their paths
// (LifecycleWorkflows-Workflow.*, LifecycleWorkflows-CustomExt.*,
// permissions.json), so that an app backing up workflows alone is granted
// no more, and the sets of all kinds hold the one permission
// (permissions.go covers).
//
// lcwUsers are the users who created and last changed an extension or a
// workflow: navigations to user that Graph returns as {id}
// (identitygovernance-workflow-get), kept as such. As whole users their
// schema would hold Graph's user type and all it reaches (mail, drives,
// devices: 900 KB, a second to compile in every validating process).
var (
	lcwUsers = []string{"createdBy", "lastModifiedBy"}
	lcwRead  = []string{"LifecycleWorkflows.Read.All"}
	lcwWrite = []string{"LifecycleWorkflows.ReadWrite.All"}
)

func init() {
	kinds = append(kinds, lifecycleKinds...)
	for _, k := range lifecycleKinds {
		byName[k.Name] = k
	}
}
