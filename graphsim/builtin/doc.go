// Package builtin holds the objects every fresh Microsoft Entra tenant has,
// shaped as Microsoft Graph v1.0 returns them, for graphsim to seed a new
// tenant with:
//
//   - the built-in directory role definitions (RoleDefinitions, RoleDefinition);
//   - the Microsoft Graph service principal with one app role per Graph
//     application permission and a few delegated scopes
//     (MicrosoftGraphServicePrincipal, AppRoleID, AppRoleSources,
//     GraphApplicationPermissions), plus three more first-party service
//     principals (FirstPartyServicePrincipals);
//   - the tenant-wide singletons (PolicyDefaults: authorizationPolicy,
//     security defaults, cross-tenant access policy and its default
//     configuration, authentication methods policy with its method
//     configurations, organization, initial domain), the built-in
//     authentication strengths and the group setting templates.
//
// The data is embedded JSON under data/; accessors return fresh deep copies
// that callers may mutate. Service principals carry no "id": object ids are
// tenant-specific and the emulator assigns them. Like the rest of graphsim,
// the data comes from Graph's own metadata, Microsoft documentation and real
// Graph responses published in public repositories, never from entrasnap's
// catalog.
//
// Sources (repo:path@commit; "index id" is a stored file read through the
// project's search index when its repository could not be identified or fetched):
//
//   - Role definitions: jlaundry/aadinfo:info/roles.graph.json@0b99bbc3, a
//     scheduled dump of GET /beta/roleManagement/directory/roleDefinitions from
//     a real tenant, reduced to v1.0 properties. Names and template ids agree
//     with MicrosoftDocs/entra-docs:docs/identity/role-based-access-control/permissions-reference.md@00fe95d6
//     ("Microsoft Entra built-in roles"); the shape follows
//     microsoftgraph/microsoft-graph-docs-contrib:api-reference/v1.0/api/unifiedroledefinition-get.md@04f6cea9.
//   - Graph app role ids: microsoftgraph/microsoft-graph-devx-content@6cbd6bbd
//     permissions/permissions-descriptions.json and permissions/new/provisioningInfo.json,
//     and merill/graph-permissions-explorer@ff30a7f2 site/permission/<name>.html.
//     Two agreeing sources win; otherwise merill's page (generated from the
//     live service principal), then devx. AppRoleSources records which
//     sources agree for each role. Names, displayName and description come
//     from shared/graph-metadata/permissions.json (Application scheme).
//   - Delegated scopes: devx permissions-descriptions.json delegatedScopesList.
//   - Graph servicePrincipalNames and signInAudience: a Graph service
//     principal dump in a CLI for Microsoft 365 test stub (index id 205176055).
//   - Policies: docs-contrib api-reference/v1.0/api/authorizationpolicy-get.md@082d7a8f,
//     identitysecuritydefaultsenforcementpolicy-get.md@119be27d,
//     crosstenantaccesspolicyconfigurationdefault-get.md@0011ef80, organization-get.md@073a3963,
//     domain-get.md@09a02445; learn.microsoft.com renders of
//     authenticationmethodspolicy-get (index id 71159946963) and
//     authenticationstrengthroot-list-policies (index id 71523287880); default
//     values from Cloud-Architekt/AzureAD-Attack-Defense:config/AadSecConfig.json@e61003f1
//     (EIDSCA "DefaultValue" per setting); the newer cross-tenant default
//     properties from a real beta response (index id 53340081666) and the
//     redemption-order reset values in Entra's cross-tenant access overview
//     (index id 71582989219).
//   - Group setting templates: a GET /v1.0/groupSettingTemplates response in
//     CLI for Microsoft 365 tests (index ids 122732295, 13763872576); Consent
//     Policy Settings from Entra's "configure user consent" docs (index id 3059488759).
//
// README.md lists every synthetic id (UUIDv5 of the name, see SyntheticID)
// and every value chosen where the sources disagree or are silent.
package builtin
