// Package exporter turns a tenant into a snapshot: it reads every selected
// kind from Graph, writes each object as one canonical YAML file, and commits
// the tree with an annotated tag.
//
// Reading (read.go): collections are listed with the catalog's $select and,
// for directory collections, $top=999; singletons take one GET; the
// authentication methods policy's GET also yields the method configurations
// (one request for both kinds). Children are read per parent through JSON
// $batch, 20 GETs per envelope ($select=id for member and owner lists), with
// any child nextLink followed; service principals' oauth2PermissionGrants
// come from one top-level /oauth2PermissionGrants list grouped by clientId.
// Up to Options.Concurrency kinds are read at once; the graph.Client bounds
// the requests in flight and retries throttled and failed requests.
//
// Completeness (invariant 2): a kind whose read or any child read fails
// after the client's retries is incomplete. Its files are carried forward
// from the previous snapshot (snapshot.Snapshot.Carry), never recorded as
// deletions, and the manifest, the commit and the tag say which kinds and
// why; a 403 names the permissions to grant. Kinds not selected, and files
// that belong to no kind read (a README, CI files), are carried too.
//
// Before the long read, one GET /organization?$select=id checks the
// credentials and Graph's reachability and yields the tenant id, so a
// repository holding another tenant's snapshots is refused at once.
//
// Guards, checked after the whole read and before anything is written: the
// mass-deletion guard refuses a snapshot in which a kind lost more than half
// of its objects and more than ten (or all of them) unless AllowShrink; two
// objects mapping to one path (or to paths equal but for case) are refused.
//
// Writing: layout.Path and layout.Clean give each file, a second pass
// removes secret-looking properties the catalog missed, schemas validates
// every object (problems are warnings naming file and property), and the
// manifest .entrasnap/snapshot.yaml records format, tenant id and each kind's
// count and completeness, with no timestamp, so the same tenant state gives
// the same tree and an unchanged tenant makes no commit (the head is tagged
// instead). The repository lock is held for the whole run.
//
// Read (live.go) runs the same preflight, reads and file preparation and
// returns the files Run would write, with no repository, lock or commit:
// drift compares them with a snapshot.
package exporter
