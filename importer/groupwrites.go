package importer

import "strings"

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
