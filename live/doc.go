// Package live reads the tenant into canonical files, one per object: the
// one reader that export, drift and restore all use, so they see the same
// requests and the same bytes. It writes nothing.
//
// Reading (read.go): collections are listed with the catalog's $select and,
// for directory collections, $top=999; singletons take one GET; the
// authentication methods policy's GET also yields the method configurations
// (one request for both kinds). Groups, with their members and owners,
// come from one /groups/delta round ($select of the stored properties plus
// members,owners; a group repeated across pages is merged; delta.go) rather
// than two requests per group. Other children are read per parent through
// JSON $batch, 20 GETs per envelope ($select=id for member and owner
// lists), with any child nextLink followed; service principals'
// oauth2PermissionGrants come from one top-level /oauth2PermissionGrants
// list grouped by clientId (its delta function when tracking, grants.go).
// A file's schema check is skipped when ReadOptions.Validated says its
// bytes were checked before under the same schemas (files.go).
//
// Incremental reads (delta.go): with ReadOptions.Delta, users and groups
// resume from a deltaLink and the previous snapshot's files: objects the
// round does not mention keep their file (unread), changed ones are their
// file overlaid with the round's properties and relationship changes,
// @removed ones are dropped; a 410 falls back to a full read of the kind
// (NoteProgress, KindResult.Note). ReadOptions.TrackDelta returns the
// links to resume from (Live.DeltaLinks). Applications, service principals
// and administrative units keep their full read (Graph tracks neither app
// owners, app role assignments nor unit members in their delta).
// Up to ReadOptions.Concurrency kinds are read at once; the graph.Client
// bounds the requests in flight and retries throttled and failed requests.
//
// Completeness per kind (invariant 2): a kind whose read or any child read
// fails after the client's retries is incomplete (KindResult says why; a
// 403 names the permissions to grant; a licence refusal makes it not
// licensed, licence.go) and has no files, never an empty kind.
//
// Before the long read, one GET /organization checks the credentials and
// Graph's reachability and yields the tenant id (ReadOptions.CheckTenant
// may refuse it at once); it is the organization's only read: the
// organization kind's file and the branding kinds' paths are made from its
// answer (it asks for the kind's list when that kind is read, else for
// $select=id).
//
// Files (files.go): layout.Path and layout.Clean give each file, a second
// pass removes secret-looking properties the catalog missed, schemas
// validates every object (problems are warnings naming file and property);
// two objects mapping to one path (or to paths equal but for case) are a
// CollisionError.
//
// Memory (issue 12): a collection is turned into files a page at a time
// (its children read per page), each page's objects released before the
// next page is decoded, and each file handed to ReadOptions.Sink at once; a
// delta round holds its objects' properties as JSON and their member and
// owner ids as 28-byte refs until the round ends; a resumed read reads a
// previous file only for an object the round changed (DeltaFrom.Read,
// Live.Kept). What grows with the tenant is each object's path and key.
package live
