package importer

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore of PIM role settings (layout/catalog_pim.go). Graph keeps one
// role management policy per Microsoft Entra role, made with the role: it
// creates and deletes none on request (resources/unifiedrolemanagementpolicy),
// so restore never creates or deletes a policy. A policy is written one
// rule at a time: PATCH /policies/roleManagementPolicies/{live policy
// id}/rules/{rule id} with the rule as it was at REV, its @odata.type
// included as Graph requires (unifiedrolemanagementpolicyrule-update). The
// policy id is the live tenant's (the file is keyed by the role); rules
// that are the same are not sent; a rule at REV that the live policy does
// not have is not written (Graph adds no rules) and the plan says so.

const rolePolicies = "role-management-policies"

func init() {
	noCreate[rolePolicies] = "Graph makes a role's PIM settings (its role management policy) with the role and creates or deletes none on request: " +
		"a role this restore creates starts with Graph's default settings; plan the restore again once the role exists to set them as at REV"
	noDelete[rolePolicies] = true
}

// updateRolePolicy plans the rule PATCHes that bring the live policy
// current back to want (the file at REV).
func (pl *planner) updateRolePolicy(s *objState, current *Object, want map[string]any, warns []string, dep string) {
	k := s.k
	pl.mapRefs(k, want)
	policy := str(current.Data["id"])
	byID := func(v any) (map[string]map[string]any, []string) {
		m := map[string]map[string]any{}
		var ids []string
		for _, it := range asSlice(v) {
			if r, ok := it.(map[string]any); ok && str(r["id"]) != "" {
				if _, dup := m[str(r["id"])]; !dup {
					ids = append(ids, str(r["id"]))
				}
				m[str(r["id"])] = r
			}
		}
		return m, ids
	}
	have, _ := byID(current.Data["rules"])
	wantBy, _ := byID(want["rules"])
	var deps []string
	if dep != "" {
		deps = append(deps, dep)
	}
	for _, id := range sortedKeys(wantBy) {
		wr := wantBy[id]
		lr := have[id]
		if lr == nil {
			warns = append(warns, fmt.Sprintf("rule %s at REV is not in the tenant's policy and is not written: Graph adds no rules to a role management policy", layout.Safe(id)))
			continue
		}
		from := &Object{Path: s.d.Path, Kind: k, Key: s.key, Data: map[string]any{"rules": []any{lr}}}
		to := &Object{Path: s.d.Path, Kind: k, Key: s.key, Data: map[string]any{"rules": []any{wr}}}
		res := diff.Compare(diff.Snapshot{from.Path: from}, diff.Snapshot{to.Path: to}, nil)
		var changes []Change
		for _, c := range res.Changes {
			for _, pc := range c.Props {
				changes = append(changes, changeOf(pc))
			}
		}
		if len(changes) == 0 {
			continue
		}
		b := layout.Copy(wr).(map[string]any)
		if str(b["@odata.type"]) == "" {
			b["@odata.type"] = lr["@odata.type"] // Graph requires it; a hand-edited file may leave it out
		}
		rdeps := append(append([]string(nil), deps...), pl.depsOf(k, map[string]any{"rules": []any{b}})...)
		pl.add(s, Action{Op: OpUpdate, Relationship: "rules", Target: id,
			Request: Request{Method: "PATCH", Path: "/" + k.APIVersion + k.ListPath + "/" + url.PathEscape(policy) + "/rules/" + url.PathEscape(id), Body: body(b)},
			Changes: changes, DependsOn: rdeps})
	}
	if len(warns) > 0 {
		pl.note(s, warns)
	}
}

// isRolePolicy reports whether k is the PIM role settings kind.
func isRolePolicy(k *layout.Kind) bool { return strings.EqualFold(k.Name, rolePolicies) }
