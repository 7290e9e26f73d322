// Package graphsim is an in-memory Microsoft Entra tenant that speaks Microsoft
// Graph over HTTP: the test double for every entrasnap test, the engine of
// `entrasnap demo`, and a place for users to rehearse restores.
//
// It is built from Graph's own metadata and documentation
// (shared/reference/graph-semantics.md), never from entrasnap's catalog, so a
// wrong path or property on the product side cannot be wrong here too.
//
// What it owns:
//   - Tenant: the state (objects per kind, relationships, recycle bins, the
//     change log that delta reads), with a movable Clock.
//   - Server: an http.Handler that routes Graph v1.0 and beta paths to that
//     state with Graph's paging, $select, $filter, $count, $batch, delta,
//     soft delete and restore, error JSON, permissions and throttling.
//   - The generators for the empty, demo and large tenants, and JSON save/load.
//
// # Graph rule → documentation page → test
//
// Each rule graphsim enforces beyond the generic ones, the page it comes
// from, and the test that holds it. Helpers add their rows under their
// topic's heading.
//
// ## Apps and service principals (hooks_apps.go)
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| An enabled app role or OAuth2 permission scope of an application cannot be changed (other than isEnabled) or removed: 400 CannotDeleteOrUpdateEnabledEntitlement | learn:/graph/api/resources/approle, resources/permissionscope (isEnabled) | TestAppEnabledEntitlementsMustBeDisabledFirst |
//	| identifierUris api://{guid}, api://{x}/{guid}: the GUID must be the application's own appId (strict reading), else 400 HostNameNotOnVerifiedDomain | learn:/entra/identity-platform/identifier-uri-restrictions | TestAppIdentifierURIMustNameItsOwnAppID |
//	| Managed identities and Microsoft first-party service principals (appOwnerOrganizationId in MicrosoftOwnerTenants) cannot be PATCHed, deleted or given owners: 403 Authorization_RequestDenied (strict reading for Microsoft's); app role assignments naming them stay writable | learn:/graph/api/resources/serviceprincipal; learn:/troubleshoot/entra/entra-id/governance/verify-first-party-apps-sign-in; learn:/graph/api/serviceprincipal-post-approleassignedto | TestMicrosoftAndManagedIdentityServicePrincipalsAreNotWritable |
//
// Sub-packages: builtin (objects every tenant has), perms (permission table
// generated from Graph's permission map), csdl (declared properties generated
// from Graph's CSDL).
package graphsim
