package importer

import (
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// Groups whose membership Graph does not write (graph-semantics.md §3.4;
// learn:/graph/api/group-post-members, group-post-groups,
// administrativeunit-post-members): restore shows them as managed elsewhere
// instead of planning writes Graph refuses.

// exchangeManaged reports whether a group is a mail-enabled security group
// or a distribution list: mail-enabled and not a Microsoft 365 group.
// Graph creates neither and writes neither's membership; Exchange does.
func exchangeManaged(data map[string]any) bool {
	me, _ := data["mailEnabled"].(bool)
	return me && !hasGroupType(data, "Unified")
}

// dynamicMembership reports whether members follow a rule: a group whose
// groupTypes holds DynamicMembership, or an administrative unit whose
// membershipType is Dynamic.
func dynamicMembership(data map[string]any) bool {
	return hasGroupType(data, "DynamicMembership") || strings.EqualFold(str(data["membershipType"]), "Dynamic")
}

func hasGroupType(data map[string]any, t string) bool {
	for _, g := range asSlice(data["groupTypes"]) {
		if strings.EqualFold(str(g), t) {
			return true
		}
	}
	return false
}

// membershipManaged reports whether the relationship ch of s is one Graph
// does not write, so the plan neither compares nor writes it; where the
// snapshot and the tenant differ there, the plan's warnings say who manages
// it: members and owners of a group Exchange manages, members of a dynamic
// group or administrative unit.
func (pl *planner) membershipManaged(s *objState, current *Object, ch layout.Child) bool {
	if !ch.Refs {
		return false
	}
	either := func(f func(map[string]any) bool) bool {
		return f(s.d.Data) || (current != nil && f(current.Data))
	}
	var who string
	switch {
	case s.k.Name == "groups" && either(exchangeManaged):
		who = "it is a mail-enabled security group or distribution list: its " + ch.Name + " are managed by Exchange (Graph does not write them)"
	case (s.k.Name == "groups" || s.k.Name == "administrative-units") && ch.Name == "members" && either(dynamicMembership):
		who = "it has dynamic membership: its members are managed by the membership rule (Graph neither adds nor removes them)"
	default:
		return false
	}
	var have any
	if current != nil {
		have = current.Data[ch.Name]
	}
	switch {
	case current == nil && len(asSlice(s.d.Data[ch.Name])) > 0:
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s are not added back: %s", s.k.Title, label(s.d), ch.Name, who))
	case current != nil && !sameRefs(s.d.Data[ch.Name], have):
		pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s differ from REV, but %s; they were left as they are", s.k.Title, label(s.d), ch.Name, who))
	}
	return true
}

// sameRefs reports whether two reference lists ({id} objects) name the same ids.
func sameRefs(a, b any) bool {
	ids := func(v any) map[string]bool {
		m := map[string]bool{}
		for _, it := range asSlice(v) {
			if o, ok := it.(map[string]any); ok {
				m[strings.ToLower(str(o["id"]))] = true
			}
		}
		return m
	}
	x, y := ids(a), ids(b)
	if len(x) != len(y) {
		return false
	}
	for id := range x {
		if !y[id] {
			return false
		}
	}
	return true
}

// cannotCreate says why Graph will not create a gone object, or "".
func cannotCreate(k *layout.Kind, data map[string]any) string {
	if k.Singleton {
		return "a singleton cannot be created"
	}
	if why, ok := noCreate[k.Name]; ok {
		return why
	}
	if why := brandingCannotCreate(k, data); why != "" { // branding.go
		return why
	}
	if why := agreementCannotCreate(k, data); why != "" { // termsofuse.go
		return why
	}
	if k.Name == "groups" && exchangeManaged(data) {
		return "a mail-enabled security group or distribution list is managed by Exchange and cannot be created through Graph: recreate it in Exchange"
	}
	return guestCannotCreate(k, data) // guests.go
}

// exchangeReadOnly is the note for differences in a group Exchange manages.
func exchangeReadOnly(props []string) string {
	return fmt.Sprintf("%s differ from REV, but a mail-enabled security group or distribution list is managed by Exchange and read-only in Graph: change it in Exchange", strings.Join(props, ", "))
}

// keptOwner returns the key of the owner a plan must not remove because
// Graph keeps the last owner of a group (learn:/graph/api/group-delete-owners):
// every live owner is to go and none is added. "" when there is none.
func keptOwner(k *layout.Kind, ch layout.Child, have map[string]map[string]any, want map[string]map[string]any, adds []string) string {
	if k.Name != "groups" || ch.Name != "owners" || len(adds) > 0 || len(have) == 0 {
		return ""
	}
	keys := sortedKeys(have)
	for _, ck := range keys {
		if _, ok := want[ck]; ok {
			return "" // an owner stays
		}
	}
	return keys[len(keys)-1]
}
