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
// Each rule graphsim enforces beyond the generic ones, with the page it
// comes from and the test that holds it. Where the page is silent graphsim
// takes the strict reading and the row says so.
//
// Create bodies and groups Graph does not write (issue 10, points 4 and 8; groupwrites.go):
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| a partner configuration is created for its tenantId: POST without it is 400 | learn:/graph/api/crosstenantaccesspolicy-post-partners | TestCreateWithoutItsKeyIsRefused |
//	| a group setting is created from a template: POST without templateId is 400 | learn:/graph/api/group-post-settings | TestCreateWithoutItsKeyIsRefused |
//	| mail-enabled security groups and distribution lists are read-only: POST 400 "Cannot Create a mail-enabled security groups and or distribution list." | learn:/graph/api/resources/groups-overview (message: pnp/cli-microsoft365#5476) | TestMailEnabledSecurityGroupsAndDistributionListsAreReadOnly |
//	| ... their members and owners: POST/DELETE $ref 403 | learn:/graph/api/group-post-members (403 for unsupported group types) | TestMailEnabledSecurityGroupsAndDistributionListsAreReadOnly |
//	| ... PATCH and DELETE: 400 (undocumented status and message: strict reading) | learn:/graph/api/resources/groups-overview ("read-only through Microsoft Graph") | TestMailEnabledSecurityGroupsAndDistributionListsAreReadOnly |
//	| members of a dynamic group are neither added nor removed (400); its rule and owners are written | learn:/graph/api/group-post-members, learn:/graph/api/resources/group (membershipRule) | TestDynamicMembershipIsNotWritten |
//	| members of a dynamic administrative unit (membershipType Dynamic) are neither added nor removed (400; message is graphsim's) | learn:/graph/api/resources/administrativeunit | TestDynamicMembershipIsNotWritten |
//	| the last owner of any group cannot be removed (400) | learn:/graph/api/group-delete-owners | TestLastOwnerOfAnyGroupStays, conformance TestGroupsMembershipAndOwners |
//
// Sub-packages: builtin (objects every tenant has), perms (permission table
// generated from Graph's permission map), csdl (declared properties generated
// from Graph's CSDL).
package graphsim
