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
// Sub-packages: builtin (objects every tenant has), perms (permission table
// generated from Graph's permission map), csdl (declared properties generated
// from Graph's CSDL).
package graphsim
