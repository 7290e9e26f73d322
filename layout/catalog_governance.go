package layout

// governanceKinds are the Microsoft Entra ID Governance kinds added for
// issue 13 ("Governance"), all Graph v1.0 under /identityGovernance, after
// every kind they name (users, groups). Appended to the catalog by init, so
// the catalog's other additions do not collide with them. In dependency
// order: a catalog before its access packages, a connected organization
// and an access package before the assignment policies naming them.
//
// Not kept (history or state, not configuration): access package
// assignments and assignment requests, access review instances and
// decisions.
//
// A catalog's resources (the groups, applications and SharePoint Online
// sites its access packages may grant) are a child of the catalog, read at
// catalogs/{id}/resources and written through resourceRequests; an access
// package's resource role scopes (the roles it grants) a child of the
// package, read with its GET's $expand (Child.Expand). Both name the
// group or service principal by originId (a group's roles by
// Member_{id} / Owner_{id}), so a recreated group or application is
// remapped; an application role's originId is the app role's id, not an
// object. Roles and scopes of a resource are Graph's (derived from the
// object), not kept.
var governanceKinds = []*Kind{
	{
		// The built-in "General" catalog (catalogType serviceDefault) and
		// catalogs entitlement management made (serviceManaged) are
		// Microsoft's: kept, never written.
		Name: "access-package-catalogs", Title: "access package catalogs", Folder: "governance/entitlement/catalogs",
		ODataType: "#microsoft.graph.accessPackageCatalog", APIVersion: "v1.0", ListPath: "/identityGovernance/entitlementManagement/catalogs",
		NameProp: "displayName",
		Volatile: []string{"modifiedDateTime"},
		ReadOnly: []string{"id", "createdDateTime", "modifiedDateTime", "catalogType"},
		BuiltIn: func(o map[string]any) bool {
			t, _ := o["catalogType"].(string)
			return t != "" && t != "userManaged"
		},
		// resources: added by a resourceRequest adminAdd, which an
		// application also needs Group.ReadWrite.All for (a group) or
		// Application.ReadWrite.All (an application: entitlementmanagement-
		// post-resourcerequests); a site takes Sites.FullControl.All, not in
		// this set (the plan lists it on such an action).
		Children: []Child{{Name: "resources", Path: "resources", Key: "originId", Drop: []string{"createdDateTime", "modifiedDateTime"}, KeptWhileReferentDeleted: true, SeededWithParent: true}},
		Refs: []Ref{
			{Path: "resources[].originId", Kinds: []string{"groups"}, Where: map[string]string{"originSystem": "AadGroup"}},
			{Path: "resources[].originId", Kinds: []string{"service-principals"}, Where: map[string]string{"originSystem": "AadApplication"}},
		},
		Sets:            map[string]string{"resources": "originId"},
		ReadPermissions: []string{"EntitlementManagement.Read.All"}, WritePermissions: []string{"EntitlementManagement.ReadWrite.All", "Group.ReadWrite.All", "Application.ReadWrite.All"},
	},
	{
		// Connected organizations: identitySources are set on create only
		// (connectedorganization-update writes displayName, description and
		// state); the sponsors are $ref lists of users and groups.
		Name: "connected-organizations", Title: "connected organizations", Folder: "governance/entitlement/connected-organizations",
		ODataType: "#microsoft.graph.connectedOrganization", APIVersion: "v1.0", ListPath: "/identityGovernance/entitlementManagement/connectedOrganizations",
		NameProp: "displayName",
		Children: []Child{
			{Name: "internalSponsors", Path: "internalSponsors", Refs: true, Select: refList},
			{Name: "externalSponsors", Path: "externalSponsors", Refs: true, Select: refList},
		},
		Refs: []Ref{
			{Path: "internalSponsors[].id", Kinds: []string{"users", "groups"}},
			{Path: "externalSponsors[].id", Kinds: []string{"users", "groups"}},
		},
		Sets:            map[string]string{"internalSponsors": "id", "externalSponsors": "id"},
		Volatile:        []string{"modifiedDateTime"},
		ReadOnly:        []string{"id", "createdDateTime", "modifiedDateTime"},
		ReadPermissions: []string{"EntitlementManagement.Read.All"}, WritePermissions: []string{"EntitlementManagement.ReadWrite.All"},
	},
	{
		// An access package names its catalog (read with $expand=catalog,
		// kept as {id}); the catalog is given on create and not moved by
		// an update.
		Name: "access-packages", Title: "access packages", Folder: "governance/entitlement/access-packages",
		ODataType: "#microsoft.graph.accessPackage", APIVersion: "v1.0", ListPath: "/identityGovernance/entitlementManagement/accessPackages",
		NameProp: "displayName", Expand: []string{"catalog"}, IDOnly: []string{"catalog"},
		// resourceRoleScopes: the roles the package grants, each a role
		// and a scope of a resource of its catalog.
		Children: []Child{{Name: "resourceRoleScopes", Path: "resourceRoleScopes", Expand: "resourceRoleScopes($expand=role,scope)", KeptWhileReferentDeleted: true, SeededWithParent: true,
			Key: "id", Drop: []string{"createdDateTime"}}},
		Refs: []Ref{
			{Path: "catalog.id", Kinds: []string{"access-package-catalogs"}},
			{Path: "resourceRoleScopes[].scope.originId", Kinds: []string{"groups"}, Where: map[string]string{"originSystem": "AadGroup"}},
			{Path: "resourceRoleScopes[].scope.originId", Kinds: []string{"service-principals"}, Where: map[string]string{"originSystem": "AadApplication"}},
			{Path: "resourceRoleScopes[].role.originId", Kinds: []string{"groups"}, Prefix: "Member_", Where: map[string]string{"originSystem": "AadGroup"}},
			{Path: "resourceRoleScopes[].role.originId", Kinds: []string{"groups"}, Prefix: "Owner_", Where: map[string]string{"originSystem": "AadGroup"}},
		},
		Sets:            map[string]string{"resourceRoleScopes": "id"},
		Volatile:        []string{"modifiedDateTime"},
		ReadOnly:        []string{"id", "createdDateTime", "modifiedDateTime"},
		ReadPermissions: []string{"EntitlementManagement.Read.All"}, WritePermissions: []string{"EntitlementManagement.ReadWrite.All"},
	},
	{
		// Assignment policies name their access package (read with
		// $expand=accessPackage, kept as {id}) and, in subject sets, the
		// users, groups and connected organizations that may request,
		// approve and review. Written whole by PUT.
		Name: "access-package-assignment-policies", Title: "access package assignment policies", Folder: "governance/entitlement/assignment-policies",
		ODataType: "#microsoft.graph.accessPackageAssignmentPolicy", APIVersion: "v1.0", ListPath: "/identityGovernance/entitlementManagement/assignmentPolicies",
		NameProp: "displayName", Expand: []string{"accessPackage"}, IDOnly: []string{"accessPackage"},
		Refs: append([]Ref{{Path: "accessPackage.id", Kinds: []string{"access-packages"}}},
			subjectSetRefs("specificAllowedTargets[]", "requestorSettings.onBehalfRequestors[]",
				"requestApprovalSettings.stages[].primaryApprovers[]", "requestApprovalSettings.stages[].fallbackPrimaryApprovers[]",
				"requestApprovalSettings.stages[].escalationApprovers[]", "requestApprovalSettings.stages[].fallbackEscalationApprovers[]",
				"reviewSettings.primaryReviewers[]", "reviewSettings.fallbackReviewers[]")...),
		Volatile:        []string{"modifiedDateTime"},
		ReadOnly:        []string{"id", "createdDateTime", "modifiedDateTime"},
		ReadPermissions: []string{"EntitlementManagement.Read.All"}, WritePermissions: []string{"EntitlementManagement.ReadWrite.All"},
	},
	{
		Name: "entitlement-management-settings", Title: "entitlement management settings", Folder: "governance/entitlement/settings",
		ODataType: "#microsoft.graph.entitlementManagementSettings", APIVersion: "v1.0", ListPath: "/identityGovernance/entitlementManagement/settings",
		Singleton:       true,
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"EntitlementManagement.Read.All"}, WritePermissions: []string{"EntitlementManagement.ReadWrite.All"},
	},
	{
		// Access review definitions (the schedule; instances and decisions
		// are history, not kept). scope and reviewers name groups and
		// users in query strings ("/groups/{id}/transitiveMembers",
		// "/users/{id}"). Written whole by PUT; status is Graph's.
		Name: "access-review-definitions", Title: "access review definitions", Folder: "governance/access-reviews",
		ODataType: "#microsoft.graph.accessReviewScheduleDefinition", APIVersion: "v1.0", ListPath: "/identityGovernance/accessReviews/definitions",
		NameProp: "displayName",
		Refs: append(queryRefs("scope.query", "instanceEnumerationScope.query", "scope.principalScopes[].query", "scope.resourceScopes[].query"),
			queryRefs("reviewers[].query", "fallbackReviewers[].query", "additionalNotificationRecipients[].notificationRecipientScope.query")...),
		Sets:            map[string]string{"reviewers": "query", "fallbackReviewers": "query"},
		Volatile:        []string{"status", "lastModifiedDateTime"},
		ReadOnly:        []string{"id", "createdDateTime", "lastModifiedDateTime", "createdBy", "status"},
		ReadPermissions: []string{"AccessReview.Read.All"}, WritePermissions: []string{"AccessReview.ReadWrite.All"},
	},
}

// subjectSetRefs are the references of subject sets at each path: a
// singleUser's userId, a groupMembers' groupId, a
// connectedOrganizationMembers' connectedOrganizationId.
func subjectSetRefs(paths ...string) []Ref {
	var out []Ref
	for _, p := range paths {
		out = append(out,
			Ref{Path: p + ".userId", Kinds: []string{"users"}},
			Ref{Path: p + ".groupId", Kinds: []string{"groups"}},
			Ref{Path: p + ".connectedOrganizationId", Kinds: []string{"connected-organizations"}})
	}
	return out
}

// queryRefs are the users and groups an access review query names at each
// path: "/users/{id}", "/groups/{id}/..." (with or without "/v1.0").
func queryRefs(paths ...string) []Ref {
	var out []Ref
	for _, p := range paths {
		out = append(out,
			Ref{Path: p, Kinds: []string{"users"}, Prefix: "/users/", Tail: true},
			Ref{Path: p, Kinds: []string{"groups"}, Prefix: "/groups/", Tail: true},
			Ref{Path: p, Kinds: []string{"users"}, Prefix: "/v1.0/users/", Tail: true},
			Ref{Path: p, Kinds: []string{"groups"}, Prefix: "/v1.0/groups/", Tail: true})
	}
	return out
}

func init() {
	kinds = append(kinds, governanceKinds...)
	for _, k := range governanceKinds {
		byName[k.Name] = k
	}
}
