package graphsim

import (
	"sort"
	"strings"
)

// GET /directoryRoles/delta (learn:/graph/api/directoryrole-delta, v1.0):
// the activated directory roles through the generic delta machinery
// (delta.go): rounds, pages ($skiptoken, Prefer: odata.maxpagesize), a
// $deltatoken ending each round, 410 for a token older than 7 days or
// not this tenant's, $select of properties (id always returned) and
// $filter=id eq '…' or id eq '…' (the only $filter the page documents), and
// replication lag (a later round leaves out changes younger than the lag,
// replicatedUpto). $deltatoken=latest is documented for users and groups
// only: refused 400 here (strict, as for grants).
//
// members@delta: the page's example response shows a directory role with
// members@delta, one entry removed ("@removed": {"reason": "deleted"}), so
// graphsim tracks members: by default and when $select names members; an
// initial round (and a role activated since: shown in full) lists every
// member, a later round the members added and removed since. The members of
// a directory role are the principals a role assignment of its template
// holds over the whole directory (directoryScopeId "/": resources/
// directoryrole, "the users that are members of this directory role"; a
// role-assignable group is a member itself, its members are not); a role
// assignment made or removed (POST/DELETE roleAssignments, a PIM
// adminAssign or activation and its end) is a member added or removed in
// the change log. Which of them Graph reports in a later round is not
// documented: every one is the strict reading (a client must apply them).
// An activation that ends (PIM) leaves the members when graphsim drops it
// (the next write that checks for ended activations, roles.go
// dropExpired), not at its end: a round between the two still lists the
// member (simplified).
// A template not activated has no directoryRole object and no round shows
// it, whatever its assignments.

// deltaLinksOf lists the targets of relationship rel of r that a delta
// round shows: the stored links, or for a directory role its members
// (above), deleted principals included (the caller filters the live ones).
// Callers hold t.mu.
func (t *Tenant) deltaLinksOf(r *record, rel string) []string {
	if r.kind.Name != "directoryRole" || rel != "members" {
		return r.links.list(rel).strings()
	}
	tmpl := str(r.get("roleTemplateId"))
	var out []string
	seen := map[string]bool{}
	for _, a := range t.colls["unifiedRoleAssignment"].live() {
		// Not t.visible: an initial round is one view with its token,
		// assignments not replicated yet included (delta.go), or the token,
		// already past the member added, would lose it.
		if a.gone || t.expired(a) || str(a.get("directoryScopeId")) != "/" || !strings.EqualFold(str(a.get("roleDefinitionId")), tmpl) {
			continue
		}
		p := strings.ToLower(str(a.get("principalId")))
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// roleMemberChanged logs a member added to (op "link") or removed from
// ("unlink") the activated directory role of role assignment a, when a
// holds a built-in role over the whole directory and the role is
// activated. Callers hold t.mu for writing.
func (t *Tenant) roleMemberChanged(a map[string]any, op string) {
	if str(a["directoryScopeId"]) != "/" || str(a["principalId"]) == "" {
		return
	}
	tmpl := str(a["roleDefinitionId"])
	for _, r := range t.colls["directoryRole"].byKey {
		if !r.gone && strings.EqualFold(str(r.get("roleTemplateId")), tmpl) {
			t.logChange(change{Kind: "directoryRole", ID: r.key(), Op: op, Rel: "members", Target: strings.ToLower(str(a["principalId"]))})
			return
		}
	}
}
