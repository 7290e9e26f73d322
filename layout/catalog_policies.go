package layout

import "strings"

// policyKinds are the policies under /policies added for issue 13
// ("Policies"), after every kind they name (users). Kept apart from
// catalog.go so the catalog's other additions do not collide with them.
//
// Group lifecycle (expiration) policies are in catalog_tenant.go, export-only:
// the only application permission that writes them is
// Directory.ReadWrite.All (grouplifecyclepolicy-post-grouplifecyclepolicies),
// which would grant the restore app nearly everything.
//
// Policy assignments (an application's or service principal's
// tokenLifetimePolicies, tokenIssuancePolicies, claimsMappingPolicies,
// homeRealmDiscoveryPolicies and appManagementPolicies) are stored in the
// policy's file as its appliesTo reference list: read once per policy
// (GET /policies/{kind}/{id}/appliesTo, a few policies) instead of five
// reads per application and service principal (thousands). Graph writes
// them only on the application's or service principal's side ($ref), which
// restore does (importer/assign.go).
var policyKinds = []*Kind{
	{
		Name: "token-issuance-policies", Title: "token issuance policies", Folder: "policies/token-issuance",
		ODataType: "#microsoft.graph.tokenIssuancePolicy", APIVersion: "v1.0", ListPath: "/policies/tokenIssuancePolicies",
		NameProp: "displayName", Volatile: dirVolatile,
		Children: appliesToChildren, Refs: appliesToRefs, Sets: appliesToSets,
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.ApplicationConfiguration", "Application.ReadWrite.All"},
	},
	{
		Name: "home-realm-discovery-policies", Title: "home realm discovery policies", Folder: "policies/home-realm-discovery",
		ODataType: "#microsoft.graph.homeRealmDiscoveryPolicy", APIVersion: "v1.0", ListPath: "/policies/homeRealmDiscoveryPolicies",
		NameProp: "displayName", Volatile: dirVolatile,
		Children: appliesToChildren, Refs: appliesToRefs, Sets: appliesToSets,
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.ApplicationConfiguration", "Application.ReadWrite.All"},
	},
	{
		Name: "activity-based-timeout-policies", Title: "activity-based timeout policies", Folder: "policies/activity-based-timeout",
		ODataType: "#microsoft.graph.activityBasedTimeoutPolicy", APIVersion: "v1.0", ListPath: "/policies/activityBasedTimeoutPolicies",
		NameProp: "displayName", Volatile: dirVolatile,
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.ApplicationConfiguration"},
	},
	{
		// The id is the admin's choice, kept on restore; Microsoft's
		// policies are the ones whose id starts with "microsoft-". The
		// condition sets have ids of Graph's and no update: a changed set
		// is removed and added again.
		Name: "permission-grant-policies", Title: "permission grant (app consent) policies", Folder: "policies/permission-grant",
		ODataType: "#microsoft.graph.permissionGrantPolicy", APIVersion: "v1.0", ListPath: "/policies/permissionGrantPolicies",
		NameProp: "displayName",
		Children: []Child{
			{Name: "includes", Path: "includes", Key: "id", SeededWithParent: true},
			{Name: "excludes", Path: "excludes", Key: "id", SeededWithParent: true},
		},
		Sets: map[string]string{
			"includes": "id", "excludes": "id",
			"includes[].permissions": "", "includes[].clientApplicationIds": "", "includes[].clientApplicationTenantIds": "", "includes[].clientApplicationPublisherIds": "",
			"excludes[].permissions": "", "excludes[].clientApplicationIds": "", "excludes[].clientApplicationTenantIds": "", "excludes[].clientApplicationPublisherIds": "",
		},
		Volatile: dirVolatile,
		ReadOnly: []string{"id"},
		BuiltIn: func(o map[string]any) bool {
			id, _ := o["id"].(string)
			return len(id) >= 10 && strings.EqualFold(id[:10], "microsoft-")
		},
		ReadPermissions: []string{"Policy.Read.PermissionGrant"}, WritePermissions: []string{"Policy.ReadWrite.PermissionGrant"},
	},
	{
		// Written whole by PUT (adminconsentrequestpolicy-update); version
		// is Graph's update counter.
		Name: "admin-consent-request-policy", Title: "admin consent request policy", Folder: "policies/admin-consent-request",
		ODataType: "#microsoft.graph.adminConsentRequestPolicy", APIVersion: "v1.0", ListPath: "/policies/adminConsentRequestPolicy",
		Singleton:       true,
		Refs:            []Ref{{Path: "reviewers[].query", Kinds: []string{"users"}, Prefix: "/users/"}},
		Sets:            map[string]string{"reviewers": "query"},
		Volatile:        []string{"version"},
		ReadOnly:        []string{"id", "version"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.ConsentRequest"},
	},
	{
		Name: "app-management-policies", Title: "app management policies", Folder: "policies/app-management",
		ODataType: "#microsoft.graph.appManagementPolicy", APIVersion: "v1.0", ListPath: "/policies/appManagementPolicies",
		NameProp: "displayName",
		Children: appliesToChildren, Refs: appliesToRefs,
		Sets: map[string]string{
			"restrictions.passwordCredentials": "restrictionType", "restrictions.keyCredentials": "restrictionType",
			"appliesTo": "id",
		},
		Volatile:        dirVolatile,
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.ApplicationConfiguration", "Application.Read.All"},
	},
	{
		Name: "tenant-app-management-policy", Title: "default app management policy", Folder: "policies/app-management-default",
		ODataType: "#microsoft.graph.tenantAppManagementPolicy", APIVersion: "v1.0", ListPath: "/policies/defaultAppManagementPolicy",
		Singleton: true,
		Sets: map[string]string{
			"applicationRestrictions.passwordCredentials": "restrictionType", "applicationRestrictions.keyCredentials": "restrictionType",
			"servicePrincipalRestrictions.passwordCredentials": "restrictionType", "servicePrincipalRestrictions.keyCredentials": "restrictionType",
		},
		Volatile:        dirVolatile,
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.ApplicationConfiguration"},
	},
	{
		// authenticationflowspolicy-update writes selfServiceSignUp only.
		Name: "authentication-flows-policy", Title: "authentication flows policy", Folder: "policies/authentication-flows",
		ODataType: "#microsoft.graph.authenticationFlowsPolicy", APIVersion: "v1.0", ListPath: "/policies/authenticationFlowsPolicy",
		Singleton:       true,
		ReadOnly:        []string{"id", "displayName", "description"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.AuthenticationFlows"},
	},
	{
		// Written whole by PUT (deviceregistrationpolicy-update);
		// isAdminConfigurable is Microsoft's.
		Name: "device-registration-policy", Title: "device registration policy", Folder: "policies/device-registration",
		ODataType: "#microsoft.graph.deviceRegistrationPolicy", APIVersion: "v1.0", ListPath: "/policies/deviceRegistrationPolicy",
		Singleton:       true,
		ReadOnly:        []string{"id", "displayName", "description", "azureADRegistration.isAdminConfigurable", "azureADJoin.isAdminConfigurable"},
		ReadPermissions: []string{"Policy.Read.DeviceConfiguration"}, WritePermissions: []string{"Policy.ReadWrite.DeviceConfiguration"},
	},
}

// The appliesTo reference list of the policies applications and service
// principals are assigned (token lifetime, token issuance, claims mapping,
// home realm discovery, app management): {id, @odata.type} per application
// or service principal. Reading it needs Application.Read.All besides the
// policy's permission (tokenlifetimepolicy-list-appliesto: "Policy.Read.All
// and Application.Read.All").
var (
	appliesToChildren = []Child{{Name: "appliesTo", Path: "appliesTo", Refs: true, Select: refList,
		ReadPermissions: []string{"Application.Read.All"}, AssignedOnTarget: true}}
	appliesToRefs = []Ref{{Path: "appliesTo[].id", Kinds: []string{"applications", "service-principals"}}}
	appliesToSets = map[string]string{"appliesTo": "id"}
)
