package permgen

// Override adds permissions to one (method, normalized path) row, creating
// the row when permissions.json lacks it. Overrides only add: the one rule
// that removes permissions (no *.Read.* on a write) is in Build, and Build
// rejects an override that would break it.
type Override struct {
	Method string
	Path   string // normalized
	Perms  []string
	Reason string
}

// Alias gives Path (and every path below it) the rows of Source (and the
// paths below it), for a path graphsim serves that the json only lists under
// another name. Aliases add to whatever rows Path already has.
type Alias struct {
	Path   string // normalized
	Source string // normalized
	Reason string
}

// Aliases are applied after the json rules, before Overrides.
var Aliases = []Alias{
	{"/identity/conditionalaccess/authenticationstrength/policies", "/policies/authenticationstrengthpolicies",
		"beta path of authentication strengths that graphsim serves (graph-semantics.md §5); permissions.json@6cbd6bbd " +
			"only has .../policies/{id}/combinationconfigurations there; the v1.0 path's rows apply"},
}

// Per-type permission lists for /directory/deletedItems, whose paths do not
// name the type of the object (graph-semantics.md §3.1).
var (
	deletedReadUser  = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	deletedReadGroup = []string{"Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	deletedReadApp   = []string{"Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All"}
	deletedReadAU    = []string{"AdministrativeUnit.Read.All", "AdministrativeUnit.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}

	// Write permissions per type: user User.DeleteRestore.All (least) and
	// User.ReadWrite.All (also in the json's restore row); group
	// Group.ReadWrite.All; application and servicePrincipal
	// Application.ReadWrite.All and, for application permissions,
	// Application.ReadWrite.OwnedBy (least); administrativeUnit
	// AdministrativeUnit.ReadWrite.All.
	deletedWrite = []string{
		"User.DeleteRestore.All", "User.ReadWrite.All",
		"Group.ReadWrite.All",
		"Application.ReadWrite.All", "Application.ReadWrite.OwnedBy",
		"AdministrativeUnit.ReadWrite.All",
	}

	groupMemberWrite = []string{"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
	caWrite          = []string{"Policy.ReadWrite.ConditionalAccess"}
	caDeletedRead    = []string{"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"}
)

func union(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, p := range l {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// Overrides are applied in order after the json rows and the read-only rule.
var Overrides = []Override{
	// Group membership (graph-semantics.md §3.4, §5).
	{"POST", "/groups/{id}/members", groupMemberWrite,
		"permissions.json@6cbd6bbd has no application row for POST /groups/{id}/members/$ref (add member); " +
			"group-post-members lists GroupMember.ReadWrite.All (least), Group.ReadWrite.All, Directory.ReadWrite.All"},
	{"DELETE", "/groups/{id}/members/{id}", groupMemberWrite,
		"remove member accepts the same set as add (the json lists it today; kept so add and remove cannot drift apart)"},

	// Conditional Access writes (graph-semantics.md §5). The json flags
	// Policy.Read.All as least for these writes (and Application.Read.All for
	// policies); both are dropped by the read-only rule, so make sure the
	// documented write permission is there.
	{"POST", "/identity/conditionalaccess/policies", caWrite, "CA policy create needs Policy.ReadWrite.ConditionalAccess"},
	{"PATCH", "/identity/conditionalaccess/policies/{id}", caWrite, "CA policy update needs Policy.ReadWrite.ConditionalAccess"},
	{"DELETE", "/identity/conditionalaccess/policies/{id}", caWrite, "CA policy delete needs Policy.ReadWrite.ConditionalAccess"},
	{"POST", "/identity/conditionalaccess/namedlocations", caWrite, "named location create needs Policy.ReadWrite.ConditionalAccess"},
	{"PATCH", "/identity/conditionalaccess/namedlocations/{id}", caWrite, "named location update needs Policy.ReadWrite.ConditionalAccess"},
	{"DELETE", "/identity/conditionalaccess/namedlocations/{id}", caWrite, "named location delete needs Policy.ReadWrite.ConditionalAccess"},

	// Directory deleted items (graph-semantics.md §3.1). The json has only
	// POST /directory/deletedItems/{id}/restore (user and agent permissions)
	// and getUserOwnedObjects.
	{"GET", "/directory/deleteditems/microsoft.graph.user", deletedReadUser,
		"not in the json; directory-deleteditems-list: User.Read.All (least), plus the broader ones GET /users accepts"},
	{"GET", "/directory/deleteditems/microsoft.graph.group", deletedReadGroup,
		"not in the json; directory-deleteditems-list: Group.Read.All (least), plus broader"},
	{"GET", "/directory/deleteditems/microsoft.graph.application", deletedReadApp,
		"not in the json; directory-deleteditems-list: Application.Read.All (least), plus broader"},
	{"GET", "/directory/deleteditems/microsoft.graph.serviceprincipal", deletedReadApp,
		"not in the json; directory-deleteditems-list: Application.Read.All (least), plus broader"},
	{"GET", "/directory/deleteditems/microsoft.graph.administrativeunit", deletedReadAU,
		"not in the json; directory-deleteditems-list: AdministrativeUnit.Read.All (least), plus broader"},
	{"GET", "/directory/deleteditems/{id}", union(deletedReadUser, deletedReadGroup, deletedReadApp, deletedReadAU),
		"not in the json; directory-deleteditems-get is per type and the path does not name the type: accept the union"},
	{"POST", "/directory/deleteditems/{id}/restore", union(deletedWrite, []string{"Directory.ReadWrite.All"}),
		"the json row covers users (and agents) only; restore is per type (§3.1) and the path does not name the type: " +
			"accept the union, plus Directory.ReadWrite.All"},
	{"DELETE", "/directory/deleteditems/{id}", deletedWrite,
		"not in the json; permanent delete is per type like restore: accept the union. Directory.ReadWrite.All is left out: " +
			"it does not allow deleting users or groups (its description in the json)"},

	// Conditional Access deleted items (graph-semantics.md §3.2, §5, §9): in
	// the v1.0 schema, beta docs only, not in the json. ASSUMED permissions.
	{"GET", "/identity/conditionalaccess/deleteditems/policies", caDeletedRead, "not in the json; assumed like GET policies"},
	{"GET", "/identity/conditionalaccess/deleteditems/policies/{id}", caDeletedRead, "not in the json; assumed like GET policies"},
	{"GET", "/identity/conditionalaccess/deleteditems/namedlocations", caDeletedRead, "not in the json; assumed like GET namedLocations"},
	{"GET", "/identity/conditionalaccess/deleteditems/namedlocations/{id}", caDeletedRead, "not in the json; assumed like GET namedLocations"},
	{"POST", "/identity/conditionalaccess/deleteditems/policies/{id}/restore", caWrite, "not in the json; assumed"},
	{"DELETE", "/identity/conditionalaccess/deleteditems/policies/{id}", caWrite, "not in the json; assumed"},
	{"POST", "/identity/conditionalaccess/deleteditems/namedlocations/{id}/restore", caWrite, "not in the json; assumed"},
	{"DELETE", "/identity/conditionalaccess/deleteditems/namedlocations/{id}", caWrite, "not in the json; assumed"},

	// Delegated grants of one client (graph-semantics.md §5).
	{"GET", "/serviceprincipals/{id}/oauth2permissiongrants",
		[]string{"DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"},
		"graphsim serves it for backups of grants; the json lists these today, kept explicit so the row cannot disappear"},

	// PIM role settings (pim.go): permissions.json@6cbd6bbd lists
	// RoleManagementPolicy.* for delegated callers only, and no application
	// row for a rule PATCH; policyroot-list-rolemanagementpolicies,
	// policyroot-list-rolemanagementpolicyassignments and
	// unifiedrolemanagementpolicyrule-update list them for applications too.
	{"GET", "/policies/rolemanagementpolicies", rmRead, "policyroot-list-rolemanagementpolicies: Application RoleManagementPolicy.Read.Directory (least)"},
	{"GET", "/policies/rolemanagementpolicies/{id}", rmRead, "unifiedrolemanagementpolicy-get: Application RoleManagementPolicy.Read.Directory (least)"},
	{"GET", "/policies/rolemanagementpolicies/{id}/rules", rmRead, "unifiedrolemanagementpolicy-list-rules: Application RoleManagementPolicy.Read.Directory (least)"},
	{"GET", "/policies/rolemanagementpolicies/{id}/rules/{id}", rmRead, "unifiedrolemanagementpolicyrule-get: Application RoleManagementPolicy.Read.Directory (least)"},
	{"GET", "/policies/rolemanagementpolicyassignments", rmRead, "policyroot-list-rolemanagementpolicyassignments: Application RoleManagementPolicy.Read.Directory (least)"},
	{"GET", "/policies/rolemanagementpolicyassignments/{id}", rmRead, "unifiedrolemanagementpolicyassignment-get: Application RoleManagementPolicy.Read.Directory (least)"},
	{"PATCH", "/policies/rolemanagementpolicies/{id}/rules/{id}", []string{"RoleManagementPolicy.ReadWrite.Directory", "RoleManagement.ReadWrite.Directory"},
		"unifiedrolemanagementpolicyrule-update: Application RoleManagementPolicy.ReadWrite.Directory, RoleManagement.ReadWrite.Directory"},

	// Entitlement management catalog resources and access package
	// resource role scopes (graphsim/emresources.go): permissions.json@6cbd6bbd
	// lists only the beta names (accessPackageResourceRequests,
	// accessPackageResourceRoleScopes); the v1.0 pages
	// entitlementmanagement-post-resourcerequests, accesspackagecatalog-list-resources,
	// accesspackage-post-resourcerolescopes and accesspackage-delete-resourcerolescopes
	// list EntitlementManagement.Read.All (reads) and ReadWrite.All (writes).
	{"POST", "/identitygovernance/entitlementmanagement/resourcerequests", emWrite, "entitlementmanagement-post-resourcerequests: Application EntitlementManagement.ReadWrite.All"},
	{"GET", "/identitygovernance/entitlementmanagement/catalogs/{id}/resources", emRead, "accesspackagecatalog-list-resources: Application EntitlementManagement.Read.All"},
	{"GET", "/identitygovernance/entitlementmanagement/catalogs/{id}/resources/{id}", emRead, "as the list (accessPackageResource)"},
	{"GET", "/identitygovernance/entitlementmanagement/accesspackages/{id}/resourcerolescopes", emRead, "accesspackage-list-resourcerolescopes: Application EntitlementManagement.Read.All"},
	{"POST", "/identitygovernance/entitlementmanagement/accesspackages/{id}/resourcerolescopes", emWrite, "accesspackage-post-resourcerolescopes: Application EntitlementManagement.ReadWrite.All"},
	{"DELETE", "/identitygovernance/entitlementmanagement/accesspackages/{id}/resourcerolescopes/{id}", emWrite, "accesspackage-delete-resourcerolescopes: Application EntitlementManagement.ReadWrite.All"},
}

var (
	emRead  = []string{"EntitlementManagement.Read.All", "EntitlementManagement.ReadWrite.All"}
	emWrite = []string{"EntitlementManagement.ReadWrite.All"}
)

var rmRead = []string{"RoleManagementPolicy.Read.Directory", "RoleManagementPolicy.ReadWrite.Directory"}
