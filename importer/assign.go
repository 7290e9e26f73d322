package importer

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Policy assignments (issue 13). A policy's file lists the applications and
// service principals it applies to (appliesTo, read per policy); Graph
// writes an assignment only on the application's or service principal's
// side, as a reference (v1.0):
//
//	POST   /applications/{id}/tokenLifetimePolicies/$ref  {"@odata.id": ".../policies/tokenLifetimePolicies/{policy}"}
//	DELETE /applications/{id}/tokenLifetimePolicies/{policy}/$ref
//
// (application-post-tokenlifetimepolicies, serviceprincipal-post-claimsmappingpolicies,
// appmanagementpolicy-post-appliesto, ...). Each writes with an application
// permission and a policy permission together. An application or service
// principal holds one policy of a kind (documented for token lifetime and
// app management policies; graphsim applies it to every kind), so a plan
// that moves one from policy A to policy B removes it from A before adding
// it to B (assignmentOrder). A recreated application, service principal or
// policy is named by its new id (the id map and placeholders, as any
// reference).

// assignNav is, per policy kind, the navigation property through which
// each kind of object is given the policy in v1.0. A kind missing here
// cannot be given that policy through v1.0 (a service principal's app
// management and token issuance policies: no $ref in v1.0).
var assignNav = map[string]map[string]string{
	"token-lifetime-policies":       {"applications": "tokenLifetimePolicies", "service-principals": "tokenLifetimePolicies"},
	"token-issuance-policies":       {"applications": "tokenIssuancePolicies"},
	"claims-mapping-policies":       {"service-principals": "claimsMappingPolicies"},
	"home-realm-discovery-policies": {"service-principals": "homeRealmDiscoveryPolicies"},
	"app-management-policies":       {"applications": "appManagementPolicies"},
}

const appliesTo = "appliesTo"

// isAssignment reports whether child ch of k is a policy's appliesTo,
// written on the objects it names (layout.Child.AssignedOnTarget).
func isAssignment(k *layout.Kind, ch layout.Child) bool {
	return ch.AssignedOnTarget
}

// isAppliesToRef reports whether r is a policy's appliesTo reference
// (object ids of applications and service principals, not appIds).
func isAppliesToRef(k *layout.Kind, r layout.Ref) bool {
	_, ok := assignNav[k.Name]
	return ok && r.Path == appliesTo+"[].id"
}

// assignmentPermissions are the permissions an assignment write of a
// policy of kind k needs: an application permission and a policy
// permission (least privileged first).
func assignmentPermissions(k *layout.Kind) []string {
	if k.Name == "app-management-policies" { // appmanagementpolicy-post-appliesto
		return []string{"Application.Read.All|Application.ReadWrite.All", "Policy.ReadWrite.ApplicationConfiguration"}
	}
	return []string{"Application.ReadWrite.All|Application.ReadWrite.OwnedBy", "Policy.ReadWrite.ApplicationConfiguration|Policy.Read.All"}
}

// assignTargetKind is the kind of the object an appliesTo item names, from
// its @odata.type.
func assignTargetKind(m map[string]any) string {
	switch strings.ToLower(strings.TrimPrefix(str(m["@odata.type"]), "#")) {
	case "microsoft.graph.application":
		return "applications"
	case "microsoft.graph.serviceprincipal":
		return "service-principals"
	}
	return ""
}

// assignmentColl is the reference collection of object id (of kind tk) that
// holds policies of kind k.
func assignmentColl(k *layout.Kind, tk, id string) (string, bool) {
	nav, ok := assignNav[k.Name][tk]
	t, found := layout.Lookup(tk)
	if !ok || !found {
		return "", false
	}
	if !isHolder(id) {
		id = url.PathEscape(id)
	}
	return "/" + t.APIVersion + t.ListPath + "/" + id + "/" + nav, true
}

// addAssignment plans giving the object m names the policy s (parent is
// the policy's id or placeholder).
func (pl *planner) addAssignment(s *objState, ch layout.Child, parent string, m map[string]any, parentDeps []string, ensure bool) string {
	k := s.k
	target := str(m["id"])
	tk := assignTargetKind(m)
	coll, ok := assignmentColl(k, tk, "x")
	if tk == "" {
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s %s has no @odata.type (an application or a service principal) and was not added: export again, or add the type to the file", k.Title, label(s.d), ch.Name, pl.memberLabel(m, target)))
		return ""
	}
	if !ok {
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s %s cannot be given this policy through Graph v1.0 and was not added", k.Title, label(s.d), ch.Name, pl.memberLabel(m, target)))
		return ""
	}
	if pl.targetMissing(s, ch, m, target) {
		return ""
	}
	ref, deps := pl.ref([]string{tk}, target)
	// An object restored from the recycle bin may come back with the
	// policy (Graph does not document it): "already exists" is then done.
	if pl.restoring[strings.ToLower(target)] != nil {
		ensure = true
	}
	coll, _ = assignmentColl(k, tk, ref)
	a := Action{Op: OpAddLink, Relationship: ch.Name, Target: target, Ensure: ensure,
		DependsOn:   append(deps, parentDeps...),
		Permissions: assignmentPermissions(k),
		Request: Request{Method: "POST", Path: coll + "/$ref",
			Body: body(map[string]any{"@odata.id": "{{graph}}/" + k.APIVersion + k.ListPath + "/" + parent})},
		Changes: []Change{{Path: ch.Name, Action: diff.Changed, Added: []any{m}, RefKinds: refKindsOf(k, ch.Name)}}}
	return pl.add(s, a)
}

// removeAssignment plans taking the policy s from the object m names.
func (pl *planner) removeAssignment(s *objState, ch layout.Child, parent string, m map[string]any, deps []string) {
	k := s.k
	target := str(m["id"])
	coll, ok := assignmentColl(k, assignTargetKind(m), target)
	if !ok {
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s %s cannot be taken from this policy through Graph v1.0 and was kept", k.Title, label(s.d), ch.Name, pl.memberLabel(m, target)))
		return
	}
	pl.add(s, Action{Op: OpRemoveLink, Relationship: ch.Name, Target: target, Removal: true, DependsOn: deps,
		Permissions: assignmentPermissions(k),
		Request:     Request{Method: "DELETE", Path: coll + "/" + url.PathEscape(parent) + "/$ref"},
		Changes:     []Change{{Path: ch.Name, Action: diff.Changed, Removed: []any{m}, RefKinds: refKindsOf(k, ch.Name)}}})
}

// assignmentOrder makes every assignment added to an object wait for the
// removals of policies of the same kind from that object: Graph holds one
// policy of a kind per application or service principal.
func (pl *planner) assignmentOrder() {
	removals := map[string][]string{} // lower-case collection path → removal action ids
	for _, a := range pl.p.Actions {
		if a.Op == OpDelete && assignNav[a.Kind] != nil {
			// A deleted policy no longer holds its objects' place.
			k, _ := layout.Lookup(a.Kind)
			if o := pl.in.Live[a.Kind][strings.ToLower(a.Key)]; o != nil && k != nil {
				for _, it := range asSlice(o.Data[appliesTo]) {
					m, _ := it.(map[string]any)
					if coll, ok := assignmentColl(k, assignTargetKind(m), str(m["id"])); ok {
						removals[strings.ToLower(coll)] = append(removals[strings.ToLower(coll)], a.ID)
					}
				}
			}
			continue
		}
		if a.Op != OpRemoveLink || a.Relationship != appliesTo || assignNav[a.Kind] == nil {
			continue
		}
		p := strings.TrimSuffix(a.Request.Path, "/$ref")
		if i := strings.LastIndexByte(p, '/'); i > 0 {
			removals[strings.ToLower(p[:i])] = append(removals[strings.ToLower(p[:i])], a.ID)
		}
	}
	if len(removals) == 0 {
		return
	}
	for i := range pl.p.Actions {
		a := &pl.p.Actions[i]
		if a.Op != OpAddLink || a.Relationship != appliesTo || assignNav[a.Kind] == nil {
			continue
		}
		if r := removals[strings.ToLower(strings.TrimSuffix(a.Request.Path, "/$ref"))]; len(r) > 0 {
			a.DependsOn = uniq(append(a.DependsOn, r...))
		}
	}
}
