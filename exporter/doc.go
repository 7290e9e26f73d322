// Package exporter turns a tenant into a snapshot: it reads every selected
// kind from Graph, writes each object as one canonical YAML file, and commits
// the tree with an annotated tag.
//
// Reading is package live's (live.Read): the same requests and canonical
// files that drift and restore compare.
//
// Completeness (invariant 2): a kind live reports incomplete has its files
// carried forward from the previous snapshot (snapshot.Snapshot.Carry),
// never recorded as deletions, and the manifest, the commit and the tag say
// which kinds and why. Kinds not selected, and files that belong to no kind
// read (a README, CI files), are carried too.
//
// A repository holding another tenant's snapshots is refused before the
// long read (live's preflight yields the tenant id).
//
// Guards, checked after the whole read and before anything is written: the
// mass-deletion guard refuses a snapshot in which a kind lost more than 20%
// of its objects (DefaultShrinkRatio), or all of them, unless AllowShrink; two
// objects mapping to one path (or to paths equal but for case) are refused.
//
// Writing: the files live prepared, and the manifest .entrasnap/snapshot.yaml
// (layout.Manifest) records format, tenant id, each kind's count and
// completeness and the access the export ran with (access.go: the token's
// roles or scopes, for the evidence report), with no timestamp, so the same
// tenant state gives
// the same tree and an unchanged tenant makes no commit (the head is tagged
// instead). The repository lock is held for the whole run.
//
// Delta state (state.go): users, groups, applications, service principals
// and administrative units (live.DeltaKinds) resume from the deltaLinks in
// .entrasnap/state.yaml (committed with the snapshot): live applies the
// changes since to the kind's files in the previous snapshot. A kind is
// read in full with Options.Full, when its last full read is
// Options.FullEvery old (default 7 days, recorded in the state), when its
// state is missing or unusable, when it was incomplete (or absent) in the
// previous snapshot, when its files are not those the link was made for (a
// fingerprint of paths and blob ids: edited by hand) or the stored
// properties changed, or when Graph no longer knows the link (410). A kind
// read incompletely loses its state. A kind's link moves when its files
// changed, it was read in full, or the link is 3 days old; otherwise the
// old link stays and a day without changes makes no commit. The state file
// is bookkeeping: it is not counted as a changed file.
package exporter
