// Package layout is the catalog of the object kinds entrasnap backs up and
// the mapping between a Graph object and its file in the repository.
//
// For each kind it records where Graph keeps it (API version, list path,
// key, the properties to $select), its children (members, owners, app role
// assignments, grants), the references it holds to other objects, which
// arrays are sets, which fields are volatile and which are secret. Adding a
// kind is one Kind value here plus its schema in package schemas.
//
// It also owns the canonical form of a file: Canonical turns Graph's JSON into
// byte-stable YAML (keys sorted, sets sorted, volatile fields, secrets and
// @odata annotations other than @odata.type removed, numbers and strings as
// Graph sent them), and Decode reads it back strictly.
//
// The package is pure: no I/O, no Graph, no git.
package layout
