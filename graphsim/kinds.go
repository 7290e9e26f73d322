package graphsim

import "strings"

// Kind describes one kind of object graphsim stores, as Graph exposes it. The
// facts come from graph-semantics.md (§2 paging, §3 restore, §4 read-only
// properties, §5 paths) and Graph's CSDL (graphsim/csdl).
type Kind struct {
	Name       string   // short name, also the key in saved state: "user"
	ODataType  string   // "#microsoft.graph.user"
	Paths      []string // collection paths under the version root, first is canonical
	Singleton  bool     // Paths name one object (GET/PATCH only)
	KeyProp    string   // property that is the key in the URL; "" = "id"
	Directory  bool     // a directoryObject: in /directoryObjects and member lists
	SoftDelete string   // "directory", "ca" or "" (DELETE is final)
	Delta      bool     // /{path}/delta is served
	Throttle   string   // "directory", "ca" or "" (no throttling model)
	ReadCost   int      // base resource units of a list GET (graph-semantics.md §1.1)
	NoCreate   bool     // POST is not allowed
	NoDelete   bool     // DELETE is not allowed
	NoUpdate   bool     // PATCH is not allowed
	Upsert     bool     // PATCH of an unused key creates the object (authcontext.go)
	ReadOnly   []string // properties that POST ignores/rejects and PATCH rejects
	CreateOnly []string // settable on POST, rejected on PATCH
	WriteOnly  []string // accepted, never returned (passwordProfile)
	Required   []string // required on POST
	Unique     []string // properties unique within the kind (case-insensitive)
	// DefaultSelect is the property set a list or get returns without $select
	// (users and groups); nil means every property.
	DefaultSelect []string
	// Filterable names the properties $filter accepts (eq, and startswith for strings).
	Filterable []string
	// Links are the directoryObject-valued navigation collections with $ref
	// semantics (members, owners), with the kinds each may hold.
	Links map[string][]string
	// MaxTop is the largest $top; 0 means 999.
	MaxTop int
}

func (k *Kind) key() string {
	if k.KeyProp == "" {
		return "id"
	}
	return k.KeyProp
}

func (k *Kind) isReadOnly(p string) bool   { return contains(k.ReadOnly, p) }
func (k *Kind) isCreateOnly(p string) bool { return contains(k.CreateOnly, p) }
func (k *Kind) isWriteOnly(p string) bool  { return contains(k.WriteOnly, p) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

var dirReadOnly = []string{"id", "deletedDateTime"}

// kinds is the catalog. Order matters only for listing in stats and docs.
var kinds = []*Kind{
	{
		Name: "user", ODataType: "#microsoft.graph.user", Paths: []string{"users"},
		Directory: true, SoftDelete: "directory", Delta: true, Throttle: "directory", ReadCost: 2,
		ReadOnly: append([]string{"createdDateTime", "creationType", "externalUserState",
			"externalUserStateChangeDateTime", "lastPasswordChangeDateTime", "assignedPlans", "provisionedPlans",
			"licenseAssignmentStates", "assignedLicenses", "imAddresses", "proxyAddresses",
			"onPremisesDistinguishedName", "onPremisesDomainName", "onPremisesLastSyncDateTime",
			"onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled",
			"onPremisesUserPrincipalName", "onPremisesProvisioningErrors", "refreshTokensValidFromDateTime",
			"signInSessionsValidFromDateTime", "securityIdentifier", "signInActivity",
			"serviceProvisioningErrors", "isManagementRestricted"}, dirReadOnly...),
		WriteOnly: []string{"passwordProfile"},
		Required:  []string{"accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile"},
		Unique:    []string{"userPrincipalName"},
		DefaultSelect: []string{"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail",
			"mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"},
		Filterable: []string{"id", "displayName", "userPrincipalName", "mail", "givenName", "surname",
			"department", "jobTitle", "accountEnabled", "userType", "mailNickname", "employeeId"},
	},
	{
		Name: "group", ODataType: "#microsoft.graph.group", Paths: []string{"groups"},
		Directory: true, SoftDelete: "directory", Delta: true, Throttle: "directory", ReadCost: 1,
		ReadOnly: append([]string{"createdDateTime", "expirationDateTime", "renewedDateTime", "mail",
			"proxyAddresses", "securityIdentifier", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled",
			"onPremisesLastSyncDateTime", "onPremisesDomainName", "onPremisesNetBiosName",
			"onPremisesSamAccountName", "onPremisesProvisioningErrors", "assignedLicenses",
			"licenseProcessingState", "isManagementRestricted", "serviceProvisioningErrors"}, dirReadOnly...),
		CreateOnly: []string{"isAssignableToRole", "resourceBehaviorOptions", "uniqueName"},
		Required:   []string{"displayName", "mailEnabled", "mailNickname", "securityEnabled"},
		Unique:     []string{"mailNickname"},
		DefaultSelect: []string{"id", "deletedDateTime", "classification", "createdDateTime", "creationOptions",
			"description", "displayName", "expirationDateTime", "groupTypes", "isAssignableToRole", "mail",
			"mailEnabled", "mailNickname", "membershipRule", "membershipRuleProcessingState",
			"onPremisesDomainName", "onPremisesLastSyncDateTime", "onPremisesNetBiosName",
			"onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled",
			"preferredDataLocation", "preferredLanguage", "proxyAddresses", "renewedDateTime",
			"resourceBehaviorOptions", "resourceProvisioningOptions", "securityEnabled", "securityIdentifier",
			"theme", "visibility", "onPremisesProvisioningErrors", "serviceProvisioningErrors"},
		Filterable: []string{"id", "displayName", "mailNickname", "mail", "securityEnabled", "mailEnabled",
			"isAssignableToRole", "groupTypes"},
		Links: map[string][]string{
			"members": {"user", "group", "servicePrincipal", "device", "orgContact"}, // devices and contacts: guests.go
			"owners":  {"user", "servicePrincipal"},
		},
	},
	{
		Name: "application", ODataType: "#microsoft.graph.application", Paths: []string{"applications"},
		Directory: true, SoftDelete: "directory", Delta: true, Throttle: "directory", ReadCost: 2,
		ReadOnly: append([]string{"appId", "applicationTemplateId", "createdByAppId", "createdDateTime",
			"publisherDomain", "disabledByMicrosoftStatus", "certification", "passwordCredentials",
			"verifiedPublisher"}, dirReadOnly...), // verifiedPublisher: setVerifiedPublisher only (readonly.go)
		Required:   []string{"displayName"},
		Unique:     []string{"appId"},
		Filterable: []string{"id", "displayName", "appId", "identifierUris", "signInAudience", "publisherDomain"},
		Links:      map[string][]string{"owners": {"user", "servicePrincipal"}},
	},
	{
		Name: "servicePrincipal", ODataType: "#microsoft.graph.servicePrincipal", Paths: []string{"servicePrincipals"},
		Directory: true, SoftDelete: "directory", Delta: true, Throttle: "directory", ReadCost: 1,
		CreateOnly: []string{"appId"},
		ReadOnly: append([]string{"appOwnerOrganizationId", "applicationTemplateId", "createdByAppId",
			"signInAudience", "servicePrincipalType", "resourceSpecificApplicationPermissions", "appDisplayName",
			"appDescription", "servicePrincipalNames", "passwordCredentials", "appRoles",
			"oauth2PermissionScopes", "verifiedPublisher"}, dirReadOnly...),
		Required:   []string{"appId"},
		Unique:     []string{"appId"},
		Filterable: []string{"id", "displayName", "appId", "servicePrincipalType", "accountEnabled", "servicePrincipalNames"},
		Links:      map[string][]string{"owners": {"user", "servicePrincipal"}},
	},
	{
		Name: "appRoleAssignment", ODataType: "#microsoft.graph.appRoleAssignment",
		Throttle: "directory", ReadCost: 2, NoUpdate: true,
		ReadOnly: []string{"id", "createdDateTime", "deletedDateTime", "principalDisplayName", "principalType",
			"resourceDisplayName"},
		Required:   []string{"principalId", "resourceId", "appRoleId"},
		Filterable: []string{"id", "principalId", "resourceId", "appRoleId"},
	},
	{
		Name: "oAuth2PermissionGrant", ODataType: "#microsoft.graph.oAuth2PermissionGrant",
		Paths: []string{"oauth2PermissionGrants"}, Delta: true, Throttle: "directory", ReadCost: 2,
		ReadOnly:   []string{"id"},
		CreateOnly: []string{"clientId", "consentType", "principalId", "resourceId"},
		Required:   []string{"clientId", "consentType", "resourceId", "scope"},
		Filterable: []string{"id", "clientId", "resourceId", "principalId", "consentType"},
	},
	{
		Name: "conditionalAccessPolicy", ODataType: "#microsoft.graph.conditionalAccessPolicy",
		Paths: []string{"identity/conditionalAccess/policies"}, SoftDelete: "ca", Throttle: "ca",
		ReadOnly:   []string{"id", "createdDateTime", "modifiedDateTime", "deletedDateTime", "templateId"},
		Required:   []string{"displayName", "state", "conditions"},
		Filterable: []string{"id", "displayName", "state"},
	},
	{
		Name: "namedLocation", ODataType: "#microsoft.graph.namedLocation",
		Paths: []string{"identity/conditionalAccess/namedLocations"}, SoftDelete: "ca", Throttle: "ca",
		ReadOnly:   []string{"id", "createdDateTime", "modifiedDateTime", "deletedDateTime"},
		Required:   []string{"displayName"},
		Filterable: []string{"id", "displayName"},
	},
	{
		Name: "authenticationStrengthPolicy", ODataType: "#microsoft.graph.authenticationStrengthPolicy",
		Paths: []string{"policies/authenticationStrengthPolicies", "identity/conditionalAccess/authenticationStrength/policies"},
		// The directory budget under /policies, Conditional Access's below
		// /identity/conditionalAccess (throttleScope; doc.go, Authentication strengths).
		Throttle: "directory", ReadCost: 1,
		ReadOnly: []string{"id", "createdDateTime", "modifiedDateTime", "policyType", "requirementsSatisfied",
			"combinationConfigurations"},
		Required:   []string{"displayName", "allowedCombinations"},
		Filterable: []string{"id", "displayName", "policyType"},
	},
	{
		Name: "authenticationMethodsPolicy", ODataType: "#microsoft.graph.authenticationMethodsPolicy",
		Paths: []string{"policies/authenticationMethodsPolicy"}, Singleton: true, Throttle: "directory",
		ReadOnly: []string{"id", "lastModifiedDateTime", "policyVersion", "authenticationMethodConfigurations"},
	},
	{
		Name: "authenticationMethodConfiguration", ODataType: "#microsoft.graph.authenticationMethodConfiguration",
		Paths:    []string{"policies/authenticationMethodsPolicy/authenticationMethodConfigurations"},
		Throttle: "directory", ReadCost: 1, NoCreate: true, NoDelete: true,
		ReadOnly: []string{"id"},
	},
	{
		Name: "administrativeUnit", ODataType: "#microsoft.graph.administrativeUnit",
		Paths:     []string{"directory/administrativeUnits", "administrativeUnits"},
		Directory: true, SoftDelete: "directory", Delta: true, Throttle: "directory", ReadCost: 1,
		ReadOnly:   dirReadOnly,
		CreateOnly: []string{"isMemberManagementRestricted"},
		Required:   []string{"displayName"},
		Filterable: []string{"id", "displayName"},
		Links:      map[string][]string{"members": {"user", "group", "device"}},
	},
	{
		Name: "scopedRoleMembership", ODataType: "#microsoft.graph.scopedRoleMembership",
		Throttle: "directory", ReadCost: 1, NoUpdate: true,
		ReadOnly: []string{"id", "administrativeUnitId"},
		Required: []string{"roleId", "roleMemberInfo"},
	},
	{
		Name: "unifiedRoleDefinition", ODataType: "#microsoft.graph.unifiedRoleDefinition",
		Paths: []string{"roleManagement/directory/roleDefinitions"}, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"id", "isBuiltIn", "inheritsPermissionsFrom"},
		Required:   []string{"displayName", "rolePermissions", "isEnabled"},
		Unique:     []string{"displayName"},
		Filterable: []string{"id", "displayName", "isBuiltIn", "templateId"},
	},
	{
		// Activated directory roles (roles.go): their own object id per
		// tenant, made by POST {roleTemplateId}; never updated or deleted.
		Name: "directoryRole", ODataType: "#microsoft.graph.directoryRole", Paths: []string{"directoryRoles"},
		Directory: true, Delta: true, Throttle: "directory", ReadCost: 1, NoUpdate: true, NoDelete: true,
		ReadOnly:   append([]string{"displayName", "description"}, dirReadOnly...),
		Required:   []string{"roleTemplateId"},
		Filterable: []string{"id", "roleTemplateId", "displayName"},
	},
	{
		Name: "unifiedRoleAssignment", ODataType: "#microsoft.graph.unifiedRoleAssignment",
		Paths: []string{"roleManagement/directory/roleAssignments"}, NoUpdate: true, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"id", "resourceScope", "principalOrganizationId"},
		Required:   []string{"roleDefinitionId", "principalId"},
		Filterable: []string{"id", "roleDefinitionId", "principalId", "directoryScopeId"},
	},
	{
		// PIM assignment requests (roles.go): adminAssign makes a standing
		// assignment, selfActivate a time-bound one of an eligible principal.
		Name: "unifiedRoleAssignmentScheduleRequest", ODataType: "#microsoft.graph.unifiedRoleAssignmentScheduleRequest",
		Paths: []string{"roleManagement/directory/roleAssignmentScheduleRequests"}, Throttle: "directory", ReadCost: 1,
		NoUpdate: true, NoDelete: true,
		ReadOnly:   []string{"id", "status", "createdDateTime", "completedDateTime", "approvalId", "targetScheduleId", "createdBy"},
		Required:   []string{"action", "principalId", "roleDefinitionId"},
		Filterable: []string{"id", "principalId", "roleDefinitionId", "status", "action"},
	},
	{
		// The active assignments, standing (assignmentType Assigned) and
		// activated (Activated, gone at endDateTime); id = the assignment's.
		Name: "unifiedRoleAssignmentScheduleInstance", ODataType: "#microsoft.graph.unifiedRoleAssignmentScheduleInstance",
		Paths: []string{"roleManagement/directory/roleAssignmentScheduleInstances"}, Throttle: "directory", ReadCost: 1,
		NoCreate: true, NoUpdate: true, NoDelete: true,
		Filterable: []string{"id", "principalId", "roleDefinitionId", "directoryScopeId", "assignmentType", "memberType", "roleAssignmentOriginId"},
	},
	{
		// Active assignment schedules made by schedule requests (pim.go):
		// adminAssign (standing or time-bound) and selfActivate; id = the
		// assignment's; gone at their end on graphsim's clock.
		Name: "unifiedRoleAssignmentSchedule", ODataType: "#microsoft.graph.unifiedRoleAssignmentSchedule",
		Paths: []string{"roleManagement/directory/roleAssignmentSchedules"}, Throttle: "directory", ReadCost: 1,
		NoCreate: true, NoUpdate: true, NoDelete: true,
		Filterable: []string{"id", "roleDefinitionId", "principalId", "directoryScopeId", "assignmentType"},
	},
	{
		Name: "unifiedRoleEligibilitySchedule", ODataType: "#microsoft.graph.unifiedRoleEligibilitySchedule",
		Paths: []string{"roleManagement/directory/roleEligibilitySchedules"}, Throttle: "directory", ReadCost: 1,
		NoCreate: true, NoUpdate: true, NoDelete: true,
		Filterable: []string{"id", "roleDefinitionId", "principalId", "directoryScopeId"},
	},
	{
		Name: "unifiedRoleEligibilityScheduleRequest", ODataType: "#microsoft.graph.unifiedRoleEligibilityScheduleRequest",
		Paths: []string{"roleManagement/directory/roleEligibilityScheduleRequests"}, Throttle: "directory", ReadCost: 1,
		NoUpdate: true, NoDelete: true,
		ReadOnly:   []string{"id", "status", "createdDateTime", "completedDateTime", "approvalId", "targetScheduleId", "createdBy"},
		Required:   []string{"action", "principalId", "roleDefinitionId"},
		Filterable: []string{"id", "principalId", "roleDefinitionId", "status"},
	},
	{
		Name: "authorizationPolicy", ODataType: "#microsoft.graph.authorizationPolicy",
		Paths: []string{"policies/authorizationPolicy"}, Singleton: true, Throttle: "directory",
		ReadOnly: []string{"id"},
	},
	{
		Name: "identitySecurityDefaultsEnforcementPolicy", ODataType: "#microsoft.graph.identitySecurityDefaultsEnforcementPolicy",
		Paths: []string{"policies/identitySecurityDefaultsEnforcementPolicy"}, Singleton: true, Throttle: "directory",
		ReadOnly: []string{"id"},
	},
	{
		Name: "crossTenantAccessPolicy", ODataType: "#microsoft.graph.crossTenantAccessPolicy",
		Paths: []string{"policies/crossTenantAccessPolicy"}, Singleton: true, Throttle: "directory",
		ReadOnly: []string{"id", "definition", "isOrganizationDefault", "templates"},
	},
	{
		Name: "crossTenantAccessPolicyConfigurationDefault", ODataType: "#microsoft.graph.crossTenantAccessPolicyConfigurationDefault",
		Paths: []string{"policies/crossTenantAccessPolicy/default"}, Singleton: true, Throttle: "directory",
		ReadOnly: []string{"id", "isServiceDefault"},
	},
	{
		Name: "crossTenantAccessPolicyConfigurationPartner", ODataType: "#microsoft.graph.crossTenantAccessPolicyConfigurationPartner",
		Paths: []string{"policies/crossTenantAccessPolicy/partners"}, KeyProp: "tenantId", Throttle: "directory",
		ReadOnly:   []string{"isServiceProvider", "isInMultiTenantOrganization"},
		CreateOnly: []string{"tenantId"},
		Required:   []string{"tenantId"},
		Filterable: []string{"tenantId"},
	},
	{
		Name: "tokenLifetimePolicy", ODataType: "#microsoft.graph.tokenLifetimePolicy",
		Paths: []string{"policies/tokenLifetimePolicies"}, Directory: true, Throttle: "directory", ReadCost: 1,
		ReadOnly: dirReadOnly, Required: []string{"displayName", "definition"},
		Filterable: []string{"id", "displayName"},
	},
	{
		Name: "claimsMappingPolicy", ODataType: "#microsoft.graph.claimsMappingPolicy",
		Paths: []string{"policies/claimsMappingPolicies"}, Directory: true, Throttle: "directory", ReadCost: 1,
		ReadOnly: dirReadOnly, Required: []string{"displayName", "definition"},
		Filterable: []string{"id", "displayName"},
	},
	{
		Name: "groupSetting", ODataType: "#microsoft.graph.groupSetting",
		Paths: []string{"groupSettings"}, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"id", "displayName"},
		CreateOnly: []string{"templateId"},
		Required:   []string{"templateId", "values"},
		Filterable: []string{"id", "displayName", "templateId"},
	},
	{
		Name: "groupSettingTemplate", ODataType: "#microsoft.graph.groupSettingTemplate",
		Paths: []string{"groupSettingTemplates"}, Directory: true, Throttle: "directory", ReadCost: 1,
		NoCreate: true, NoUpdate: true, NoDelete: true,
		Filterable: []string{"id", "displayName"},
	},
	{
		Name: "organization", ODataType: "#microsoft.graph.organization",
		Paths: []string{"organization"}, Directory: true, Throttle: "directory", ReadCost: 1,
		NoCreate: true, NoDelete: true,
		ReadOnly: append([]string{"assignedPlans", "provisionedPlans", "createdDateTime", "verifiedDomains",
			"tenantType", "onPremisesLastSyncDateTime", "onPremisesSyncEnabled", "countryLetterCode",
			"displayName", "city", "country", "postalCode", "state", "street"}, dirReadOnly...),
	},
	deviceKind,
	orgContactKind,
	skuKind, // licences.go
	authContextKind,
	stsPolicyKinds[0], stsPolicyKinds[1], stsPolicyKinds[2], // policies.go
	permissionGrantPolicyKind,
	adminConsentRequestPolicyKind,
	appManagementPolicyKind, tenantAppManagementPolicyKind, authenticationFlowsPolicyKind,
	deviceRegistrationPolicyKind, groupLifecyclePolicyKind,
	attributeSetKindDef, csaDefKindDef, // customsec.go
	identityProviderKind,             // identityproviders.go
	rmPolicyKindDef, rmAssignKindDef, // pim.go
	// governance.go
	governanceKinds[0], governanceKinds[1], governanceKinds[2], governanceKinds[3], governanceKinds[4], governanceKinds[5],
	externalKinds[0], externalKinds[1], externalKinds[2], externalKinds[3], externalKinds[4], // external.go
	brandingKind, // branding.go
	cbaKind,      // cba.go
	// lcw.go
	lcwKinds[0], lcwKinds[1], lcwKinds[2], lcwKinds[3],
	rolloutKind,    // rollout.go
	agreementKind,  // termsofuse.go
	onPremSyncKind, // onpremsync.go
	{
		Name: "domain", ODataType: "#microsoft.graph.domain",
		Paths: []string{"domains"}, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"isInitial", "isRoot", "isVerified", "isAdminManaged", "model", "state", "manufacturer"},
		CreateOnly: []string{"id"},
		Required:   []string{"id"},
		Filterable: []string{"id", "isDefault", "isVerified"},
	},
	pgKinds[0], pgKinds[1], pgKinds[2], pgKinds[3], // pimgroups.go
}

var kindByName = func() map[string]*Kind {
	m := map[string]*Kind{}
	for _, k := range kinds {
		m[k.Name] = k
	}
	return m
}()

// KindNames lists the kinds graphsim stores, in catalog order.
func KindNames() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.Name
	}
	return out
}

// kindForType finds the kind of an "@odata.type" value, including derived
// types (ipNamedLocation → namedLocation, fido2AuthenticationMethodConfiguration
// → authenticationMethodConfiguration).
func kindForType(odataType string) *Kind {
	t := strings.TrimPrefix(odataType, "#")
	t = strings.TrimPrefix(t, "microsoft.graph.")
	if k, ok := kindByName[t]; ok {
		return k
	}
	switch {
	case strings.HasSuffix(t, "NamedLocation"):
		return kindByName["namedLocation"]
	case strings.HasSuffix(t, "AuthenticationMethodConfiguration"):
		return kindByName["authenticationMethodConfiguration"]
	case strings.HasSuffix(t, "IdentityProvider"): // identityproviders.go
		return kindByName[idpKind]
	case strings.HasSuffix(t, "UserFlowAttribute"): // external.go
		return kindByName[ufaKind]
	case strings.HasSuffix(t, "CustomExtension") && t != "customCalloutExtension":
		return kindByName[caeKind]
	}
	return nil
}
