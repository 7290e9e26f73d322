// Package importer restores objects of a snapshot to the live tenant:
// desired (the object files at a revision) × live (the tenant as Graph
// shows it) → a plan → apply → verify → a post-restore snapshot.
//
// # The plan
//
// A Plan (plan.go) is a value: versioned (FormatVersion), serializable to
// JSON, naming the tenant, the repository, the source commit, the selectors
// and options it was made with, the time, the actions, and a fingerprint
// of every live object it looked at. Each Action carries its operation
// (create, restore-from-deleted, update, delete, add-link, remove-link,
// add-child, remove-child), the exact Graph request (method, path, body),
// the property changes with before and after values for review, the
// actions it depends on, and warnings. Text (Render) and JSON are two
// renderings of the same value; names are carried in the plan so a saved
// plan renders without the repository.
//
// # Planning
//
// Load (state.go) reads what planning needs: the selected files at REV and
// the rest of that revision (for references and names), the id map
// (.entrasnap/idmap.yaml at the branch head), the live objects of the kinds
// involved through live.Read (the same requests and canonical form as
// an export, so live and desired compare like two snapshots), the recycle
// bins where a selected object is missing, and whether objects referenced
// from outside the selection exist. Compute (compute.go) is pure: it turns
// that Input into a Plan (one file per step: classify, refs, effective,
// update, create, children, deletes, order; per-kind facts and request
// builders in rules.go), following the rules of issue 5:
//
//   - an object that exists is PATCHed with the writable top-level
//     properties that differ, each sent whole (collections and complex
//     values such as web, spa and publicClient); read-only properties (the
//     catalog's and the schema's) and create-only ones are never sent;
//   - an object in a recycle bin (directory or Conditional Access) is
//     restored there, keeping its id, then PATCHed to the snapshot state;
//   - an object gone for good is created without its read-only properties;
//     every reference to its old id in the plan becomes a placeholder
//     "{{new:<old id>}}" (and "{{newAppId:<old appId>}}" for an
//     application's appId) that apply fills in, and references from objects
//     not being restored are reported;
//   - relationships (members, owners, app role assignments, delegated
//     grants, scoped role members) and role assignments and PIM
//     eligibilities are brought to their state at REV: what is missing is
//     added, what was not there is removed (removals are marked, and left
//     out with Options.NoRemove); directory roles and PIM (roles.go): a
//     scoped role member's roleId goes through its role template to the
//     live directory role (activated first when needed), eligibilities
//     held through a group and assignments an eligibility at REV also
//     grants (PIM activations) are never written;
//   - Conditional Access policies that would be created or re-enabled are
//     written in report-only state unless Options.CAState is "as-is";
//     break-glass accounts and groups are never removed from CA
//     exclusions; synced objects get only cloud-mastered properties;
//     credentials are listed for re-issue; built-in objects are not written.
//
// # Apply
//
// Load reads the manifest at REV (tenant.go): an unknown or unreadable one
// is refused (ManifestError); the snapshot's tenant must be the live one
// (/organization, else the token's tid claim), or CrossTenantError; kinds
// the manifest marks incomplete or lacks are never the cause of a delete.
//
// Apply (apply.go) refuses a write where either tenant is unknown
// (Input.CheckTenant), a plan of another tenant, a plan whose live
// fingerprints changed (StaleError names the objects), a plan whose actions
// differ from those planned again from its snapshot, selection and options
// (TamperedError: a saved plan binds its requests), and, when the
// token is a JWT with a roles claim, a token without the write
// permissions the plan needs (PermissionError). It then runs the actions in
// dependency order, independent ones in parallel within a small bound,
// retrying not-found answers of actions that follow a create or restore for
// a bounded time (Graph is eventually consistent); a failed action skips
// its dependents and lets independent ones run. Verification reads the
// tenant again and plans again: whatever is still to do is a difference.
// Finally ApplyOptions.Record (the caller: the CLI exports) records the
// post-restore state as a snapshot commit whose message names the restore,
// with the id map of recreated objects.
//
// The package imports graph, layout, schemas, snapshot, diff (rendering
// property changes the way diffs do), history and live (reading the live
// tenant); not exporter.
package importer
