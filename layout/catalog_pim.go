package layout

// pimKinds are the PIM kinds added for issue 13 ("PIM"), appended by init
// at the end of the catalog: after every kind they name (role definitions,
// users, groups). Kept apart from catalog.go so the catalog's other
// additions do not collide with them.
var pimKinds = []*Kind{
	{
		// PIM role settings: the role management policy of each Microsoft
		// Entra role at the tenant scope, with its rules. Graph keeps one
		// policy per role, made with the role and never created or deleted
		// by a caller (resources/unifiedrolemanagementpolicy); its id
		// (DirectoryRole_{tenant}_{guid}) differs in every tenant, so the
		// file is keyed by the role definition its policy assignment names
		// (policyroot-list-rolemanagementpolicyassignments) and restore
		// PATCHes each changed rule of the live policy of that role
		// (unifiedrolemanagementpolicyrule-update; importer/pim.go). live/pim.go
		// reads the policies with $expand=rules and their assignments, both
		// with the $filter Graph requires.
		Name: "role-management-policies", Title: "PIM role settings (role management policies)", Folder: "roles/settings",
		ODataType: "#microsoft.graph.unifiedRoleManagementPolicy", APIVersion: "v1.0",
		ListPath: "/policies/roleManagementPolicies", Key: "roleDefinitionId",
		Refs: []Ref{
			{Path: "roleDefinitionId", Kinds: []string{"role-definitions"}},
			{Path: "rules[].setting.approvalStages[].primaryApprovers[].userId", Kinds: []string{"users"}},
			{Path: "rules[].setting.approvalStages[].primaryApprovers[].groupId", Kinds: []string{"groups"}},
			{Path: "rules[].setting.approvalStages[].escalationApprovers[].userId", Kinds: []string{"users"}},
			{Path: "rules[].setting.approvalStages[].escalationApprovers[].groupId", Kinds: []string{"groups"}},
		},
		Sets: map[string]string{
			"rules": "id", "rules[].enabledRules": "", "rules[].notificationRecipients": "",
			"rules[].target.operations": "", "rules[].target.inheritableSettings": "", "rules[].target.enforcedSettings": "",
		},
		Volatile: []string{"lastModifiedDateTime", "lastModifiedBy"},
		ReadOnly: []string{"id", "roleDefinitionId", "displayName", "description", "isOrganizationDefault", "scopeId", "scopeType"},
		// policyroot-list-rolemanagementpolicies and -assignments,
		// unifiedrolemanagementpolicyrule-update (application permissions).
		ReadPermissions: []string{"RoleManagementPolicy.Read.Directory"}, WritePermissions: []string{"RoleManagementPolicy.ReadWrite.Directory"},
		RestoreNote: "update only: Graph makes one policy per role with the role and creates or deletes none on request " +
			"(resources/unifiedrolemanagementpolicy), so restore PATCHes each rule that differs from the snapshot on the live policy of the same role; " +
			"a role the same restore recreates gets them in the same run (the policy Graph makes with it is looked up, then each rule at REV written)",
	},
	{
		// Active role assignments with an end: made by an admin through
		// PIM (adminAssign with scheduleInfo.expiration afterDateTime or
		// afterDuration). One home per assignment: a time-bound assignment
		// is kept here with its schedule and left out of roles/assignments
		// (live/roles.go), so a restore makes it again only through a
		// schedule request with the same end, never as a standing
		// assignment; a permanent one is kept in roles/assignments, and a
		// PIM activation (assignmentType Activated) in neither (its
		// eligibility is kept). live/pim.go reads the list and keeps the
		// Assigned schedules with an end; importer/pim.go restores them
		// (an expired one is not restored, the plan says so).
		Name: "time-bound-role-assignments", Title: "PIM time-bound active role assignments", Folder: "roles/time-bound-assignments",
		ODataType: "#microsoft.graph.unifiedRoleAssignmentSchedule", APIVersion: "v1.0", ListPath: "/roleManagement/directory/roleAssignmentSchedules",
		OutlivesReferents: true, ConflictOnRepeat: true,
		NaturalKey: []string{"roleDefinitionId", "principalId", "directoryScopeId"},
		Refs: []Ref{
			{Path: "roleDefinitionId", Kinds: []string{"role-definitions"}, Strict: true},
			{Path: "principalId", Kinds: []string{"users", "groups", "service-principals"}},
			{Path: "directoryScopeId", Kinds: []string{"administrative-units"}, Prefix: "/administrativeUnits/"},
		},
		Volatile:        []string{"modifiedDateTime"},
		ReadOnly:        []string{"id", "createdDateTime", "modifiedDateTime", "status", "createdUsing", "memberType", "assignmentType", "appScopeId"},
		ReadPermissions: []string{"RoleAssignmentSchedule.Read.Directory"}, WritePermissions: []string{"RoleAssignmentSchedule.ReadWrite.Directory"},
	},
}

func init() {
	kinds = append(kinds, pimKinds...)
	for _, k := range pimKinds {
		byName[k.Name] = k
	}
}
