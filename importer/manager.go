package importer

import (
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// A user's manager (issue 13) is single-valued: Graph sets or replaces it
// with PUT /users/{id}/manager/$ref {"@odata.id": ".../users/{managerId}"}
// (learn:/graph/api/user-post-manager) and removes it with DELETE
// /users/{id}/manager/$ref, which names no id (user-delete-manager). The
// file holds it as a list of at most one reference. So a changed manager
// is one PUT (never a DELETE of the old one, which would remove the new
// one too), a manager the file no longer holds is one DELETE, and a
// manager that is a user being restored or recreated waits for it and is
// named by its new id.

func isManager(k *layout.Kind, ch layout.Child) bool {
	return k.Name == "users" && ch.Name == "manager"
}

// manager plans the user's manager from want (the file's list) and have
// (the live user's, by child key).
func (pl *planner) manager(s *objState, ch layout.Child, parent string, have map[string]map[string]any, want []map[string]any, parentDeps []string, ensure bool) {
	k := s.k
	if len(want) > 1 {
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: the file names %d managers; a user has at most one: its manager was not restored (keep one entry under manager)", k.Title, label(s.d), len(want)))
		return
	}
	var old map[string]any
	for _, m := range have {
		old = m
	}
	if len(want) == 0 {
		if old == nil {
			return
		}
		if pl.in.Options.NoRemove {
			pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: ch.Name, Target: str(old["id"])})
			return
		}
		pl.add(s, Action{Op: OpRemoveLink, Relationship: ch.Name, Target: str(old["id"]), Removal: true, DependsOn: parentDeps,
			Request: Request{Method: "DELETE", Path: childPath(k, ch, parent) + "/$ref"},
			Changes: []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{old}, RefKinds: refKindsOf(k, ch.Name)}}})
		return
	}
	m := want[0]
	target := str(m["id"])
	if old != nil && strings.EqualFold(str(old["id"]), target) {
		return
	}
	if pl.targetMissing(s, ch, m, target) {
		return
	}
	kinds := refKindsOf(k, ch.Name)
	ref, deps := pl.ref(kinds, target)
	ch1 := Change{Path: ch.Name, Action: diff.Changed, Added: []any{m}, RefKinds: kinds}
	if old != nil {
		ch1.Removed = []any{old}
	}
	pl.add(s, Action{Op: OpAddLink, Relationship: ch.Name, Target: target, Ensure: ensure, DependsOn: uniq(append(deps, parentDeps...)),
		Request: Request{Method: "PUT", Path: childPath(k, ch, parent) + "/$ref",
			Body: body(map[string]any{"@odata.id": "{{graph}}/v1.0/users/" + ref})},
		Changes: []Change{ch1}})
}
