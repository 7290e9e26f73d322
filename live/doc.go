// Package live reads the tenant into canonical files, one per object: the
// one reader that export, drift and restore all use, so they see the same
// requests and the same bytes. It writes nothing.
//
// Reading (read.go): collections are listed with the catalog's $select and,
// for directory collections, $top=999; singletons take one GET; the
// authentication methods policy's GET also yields the method configurations
// (one request for both kinds). Children are read per parent through JSON
// $batch, 20 GETs per envelope ($select=id for member and owner lists), with
// any child nextLink followed; service principals' oauth2PermissionGrants
// come from one top-level /oauth2PermissionGrants list grouped by clientId.
// Up to ReadOptions.Concurrency kinds are read at once; the graph.Client
// bounds the requests in flight and retries throttled and failed requests.
//
// Completeness per kind (invariant 2): a kind whose read or any child read
// fails after the client's retries is incomplete (KindResult says why; a
// 403 names the permissions to grant; a licence refusal makes it not
// licensed, licence.go) and has no files, never an empty kind.
//
// Before the long read, one GET /organization?$select=id checks the
// credentials and Graph's reachability and yields the tenant id
// (ReadOptions.CheckTenant may refuse it at once).
//
// Files (files.go): layout.Path and layout.Clean give each file, a second
// pass removes secret-looking properties the catalog missed, schemas
// validates every object (problems are warnings naming file and property);
// two objects mapping to one path (or to paths equal but for case) are a
// CollisionError.
package live
