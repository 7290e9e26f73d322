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
// Conditional Access recycle bin and replication lag (issue 10, points 1 and 12):
//
//	| Graph rule | documentation page | test |
//	|---|---|---|
//	| CA deletedItems (list, get, restore, purge of policies and named locations) exists under /beta only; /v1.0 answers 400 "Resource not found for the segment" | learn.microsoft.com/graph/api/conditionalaccesspolicy-restore?view=graph-rest-beta; …/resources/conditionalaccesspolicy?view=graph-rest-beta | TestCARecycleBinBetaOnlyAndNotAppOnly |
//	| CA deletedItems: "Application: Not supported" → an app-only token gets 403 AccessDenied (CA service's missing-scopes body; exact body undocumented, strict reading); Options.CARecycleBinAppOnly models a future Graph | same pages, Permissions table | TestCARecycleBinBetaOnlyAndNotAppOnly |
//	| A reference write naming an object created less than the replication lag ago: 400 Request_BadRequest "One or more added object references do not exist for the following modified properties: '<rel>'."; a missing object stays 404 | learn.microsoft.com/graph/api/group-post-members (Errors: 400 when not yet replicated, 404 when the object does not exist) | TestCoreEventualConsistency |
//	| A reference write on a group not yet replicated: 400 "The source resource object or one of the objects being referenced don't exist." | learn.microsoft.com/graph/api/group-post-members | TestCoreEventualConsistency |
//
// Sub-packages: builtin (objects every tenant has), perms (permission table
// generated from Graph's permission map), csdl (declared properties generated
// from Graph's CSDL).
package graphsim
