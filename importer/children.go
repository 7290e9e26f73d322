package importer

import (
	"cmp"
	"fmt"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// children plans the relationships stored in the object's file: current is
// the live object (nil when the object is restored or created); ensure
// marks adds that may find the relationship there already.
func (pl *planner) children(s *objState, current *Object, ensure bool) {
	k := s.k
	if isUFC(k) { // userflowconnections.go plans them with the steps' connectors
		return
	}
	parent := cmp.Or(s.holder, s.key) // a placeholder only when s is created
	var parentDeps []string
	if s.main != "" {
		parentDeps = []string{s.main}
	}
	pl.licences(s, current, parentDeps) // assignlicence.go
	// external.go: a cross-tenant partner's user synchronization policy.
	pl.identitySync(s, current, parent, parentDeps)
	for _, ch := range k.Children {
		want, ok := s.d.Data[ch.Name]
		if !ok {
			continue // the file has no opinion
		}
		if ch.Refs && k.Name == "groups" && (synced(s.d.Data) || (current != nil && synced(current.Data))) {
			if ch.Name == "members" {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("group %s is synced from on-premises: its members and owners are managed there and were not compared", label(s.d)))
			}
			continue
		}
		if pl.membershipManaged(s, current, ch) {
			continue
		}
		if isWorkflowTasks(k, ch) { // lcw.go: written with the workflow
			continue
		}
		if isEMChild(k.Name, ch) { // emresources.go
			pl.emChildren(s, ch, parent, current, want, parentDeps, ensure)
			continue
		}
		if isAllowedValues(k.Name, ch) { // customsec.go
			pl.allowedValues(s, ch, parent, current, want, parentDeps)
			continue
		}
		have := map[string]map[string]any{}
		if current != nil {
			for _, it := range asSlice(current.Data[ch.Name]) {
				if m, ok := it.(map[string]any); ok {
					have[childKey(k.Name, ch, m)] = m
				}
			}
		}
		wantBy := map[string]map[string]any{}
		var wantKeys []string
		for _, it := range asSlice(want) {
			if m, ok := it.(map[string]any); ok {
				ck := childKey(k.Name, ch, m)
				wantBy[ck] = m
				wantKeys = append(wantKeys, ck)
			}
		}
		sort.Strings(wantKeys)
		if isManager(k, ch) { // manager.go
			var ms []map[string]any
			for _, ck := range wantKeys {
				ms = append(ms, wantBy[ck])
			}
			pl.manager(s, ch, parent, have, ms, parentDeps, ensure)
			continue
		}
		if isAppHeld(k.Name, ch) { // appchildren.go
			pl.appHeldChildren(s, ch, parent, have, wantBy, wantKeys, parentDeps, ensure)
			continue
		}
		if isUserFlowChild(k.Name, ch) { // external.go
			pl.userFlowChildren(s, ch, parent, have, wantBy, wantKeys, parentDeps, ensure)
			continue
		}
		var adds []string
		for _, ck := range wantKeys {
			m := wantBy[ck]
			if k.Name == "authentication-strengths" && ch.Name == "combinationConfigurations" {
				if id := pl.combinationChild(s, ch, parent, have[ck], m, parentDeps); id != "" {
					adds = append(adds, id)
				}
				continue
			}
			if isConditionSet(k.Name, ch) { // policies.go
				if _, ok := have[ck]; !ok {
					adds = append(adds, pl.conditionSetChild(s, ch, parent, nil, m, parentDeps))
				}
				continue
			}
			if old, ok := have[ck]; ok {
				if k.Name == "service-principals" && ch.Name == "oauth2PermissionGrants" && normScope(str(old["scope"])) != normScope(str(m["scope"])) {
					pl.add(s, Action{Op: OpUpdate, Relationship: ch.Name, Target: str(old["id"]),
						Request:   Request{Method: "PATCH", Path: childPath(k, ch, parent) + "/" + str(old["id"]), Body: body(map[string]any{"scope": m["scope"]})},
						Changes:   []Change{{Path: "oauth2PermissionGrants[resourceId=" + str(m["resourceId"]) + "].scope", Action: diff.Replaced, Before: old["scope"], After: m["scope"]}},
						DependsOn: parentDeps})
				}
				continue
			}
			if id := pl.addChild(s, ch, parent, m, parentDeps, ensure); id != "" {
				adds = append(adds, id)
			}
		}
		keep := keptOwner(k, ch, have, wantBy, adds)
		for _, ck := range sortedKeys(have) {
			if _, ok := wantBy[ck]; ok {
				continue
			}
			m := have[ck]
			if ck == keep && !pl.in.Options.NoRemove {
				pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: owner %s was not removed: Graph keeps the last owner of a group; add the owner it should have, then remove this one", k.Title, label(s.d), pl.refName(childTarget(k, ch, m))))
				continue
			}
			target := str(m["id"])
			if pl.pimHeldLive(s, ch.Name, target) { // pimgroups.go: the schedule's adminRemove takes it away
				pl.pimHeldKept(s, ch.Name, target)
				continue
			}
			if k.Name == "authentication-strengths" && ch.Name == "combinationConfigurations" && !pl.in.Options.NoRemove {
				pl.combinationChild(s, ch, parent, m, nil, parentDeps)
				continue
			}
			if isConditionSet(k.Name, ch) && !pl.in.Options.NoRemove {
				pl.conditionSetChild(s, ch, parent, m, nil, append(parentDeps, adds...))
				continue
			}
			if pl.in.Options.NoRemove {
				pl.p.Kept = append(pl.p.Kept, Kept{Kind: k.Name, Key: s.d.Key, Name: displayName(s.d), Relationship: ch.Name, Target: childTarget(k, ch, m)})
				continue
			}
			if isAssignment(k, ch) { // assign.go
				pl.removeAssignment(s, ch, parent, m, parentDeps)
				continue
			}
			a := Action{Relationship: ch.Name, Target: childTarget(k, ch, m), Removal: true, DependsOn: parentDeps}
			if ch.Name == "owners" {
				a.DependsOn = append(a.DependsOn, adds...) // never leave an object without owners on the way
			}
			a.Op, a.Request = OpRemoveChild, Request{Method: "DELETE", Path: childPath(k, ch, parent) + "/" + target}
			if ch.Refs {
				a.Op, a.Request.Path = OpRemoveLink, a.Request.Path+"/$ref"
			}
			a.Changes = []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{m}, RefKinds: refKindsOf(k, ch.Name)}}
			pl.add(s, a)
		}
	}
}

func normScope(s string) string {
	f := strings.Fields(s)
	sort.Strings(f)
	return strings.Join(f, " ")
}

// addChild plans adding one relationship, unless its target is gone.
func (pl *planner) addChild(s *objState, ch layout.Child, parent string, m map[string]any, parentDeps []string, ensure bool) string {
	k := s.k
	if isAssignment(k, ch) { // assign.go
		return pl.addAssignment(s, ch, parent, m, parentDeps, ensure)
	}
	target := childTarget(k, ch, m)
	kinds := refKindsOf(k, ch.Name)
	if why := pl.pimHeldLink(s, ch.Name, target); why != "" { // pimgroups.go: the schedule is its home
		pl.p.Warnings = append(pl.p.Warnings, why)
		return ""
	}
	if pl.targetMissing(s, ch, m, target) {
		return ""
	}
	ref, deps := pl.ref(kinds, target)
	deps = append(deps, parentDeps...)
	if ch.Refs && pl.restoring[strings.ToLower(target)] != nil {
		// A member or owner restored from the recycle bin comes back with
		// its memberships and ownerships ("you can fully restore the item":
		// directory-deleteditems-restore; graphsim keeps them): "already
		// exist" is then done, as for a policy (assign.go).
		ensure = true
	}
	a := Action{Relationship: ch.Name, Target: target, Ensure: ensure, DependsOn: deps,
		Changes: []Change{{Path: ch.Name, Action: diff.Changed, Added: []any{m}, RefKinds: kinds}}}
	w, ok := childWrites[k.Name+"/"+ch.Name]
	switch {
	case ch.Refs:
		a.Op = OpAddLink
		a.Request = Request{Method: "POST", Path: childPath(k, ch, parent) + "/$ref",
			Body: body(map[string]any{"@odata.id": "{{graph}}/v1.0/directoryObjects/" + ref})}
	case ok:
		b, more := w.body(pl, parent, ref, m)
		a.Op, a.Request = OpAddChild, Request{Method: "POST", Path: childPath(k, ch, parent), Body: body(b)}
		a.DependsOn = append(a.DependsOn, more...)
	default:
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: restoring %s is not supported", k.Title, label(s.d), ch.Name))
		return ""
	}
	a.DependsOn = uniq(a.DependsOn)
	return pl.add(s, a)
}

// targetMissing warns, and reports true, when a link's target at REV is
// in the recycle bin or gone from the tenant, so the link is not added
// back (members, owners and policy assignments alike).
func (pl *planner) targetMissing(s *objState, ch layout.Child, m map[string]any, target string) bool {
	k := s.k
	switch pl.refState(target) {
	case RefDeleted:
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s %s is in the recycle bin and was not added back: add it to the selection to restore it", k.Title, label(s.d), ch.Name, pl.refName(target)))
		return true
	case RefGone:
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s %s no longer exists and was not added back", k.Title, label(s.d), ch.Name, pl.memberLabel(m, target)))
		return true
	}
	return false
}
