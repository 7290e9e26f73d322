package graphsim

import (
	"net/http"
	"strings"
)

// Groups Graph does not write.
//
//   - Mail-enabled security groups and distribution lists (mailEnabled true,
//     groupTypes without "Unified") are "read-only through Microsoft Graph"
//     (learn:/graph/api/resources/groups-overview, table "Group types in
//     Microsoft Entra ID and Microsoft Graph"): no create, no update, no
//     delete, no member or owner writes; Exchange manages them. Create answers
//     400 "Cannot Create a mail-enabled security groups and or distribution
//     list." (the message Graph gives, recorded in pnp/cli-microsoft365#5476);
//     member writes answer 403 as learn:/graph/api/group-post-members lists
//     for unsupported group types. The message of the update, delete and
//     owner refusals is undocumented: graphsim uses the create's wording with
//     "Update" and the strict reading (refuse).
//   - Dynamic groups (groupTypes holds "DynamicMembership") and dynamic
//     administrative units (membershipType "Dynamic"): members follow the
//     membership rule; Graph neither adds nor removes them
//     (learn:/graph/api/group-post-members, learn:/graph/api/resources/administrativeunit).
//     The rule and the other properties are written as usual.
//   - Owners: "Once owners are assigned to a group, the last owner (a user
//     object) of the group cannot be removed" (learn:/graph/api/group-delete-owners),
//     for every group kind, not only Microsoft 365 groups.

const (
	msgExchangeCreate = "Cannot Create a mail-enabled security groups and or distribution list."
	msgExchangeUpdate = "Cannot Update a mail-enabled security groups and or distribution list."
	msgDynamicMembers = "Insufficient privileges to complete the operation. Members of a dynamic group cannot be changed."
	msgDynamicAU      = "Insufficient privileges to complete the operation. Members of an administrative unit with dynamic membership cannot be changed."
	msgLastOwner      = "The group must have at least one owner, hence this owner cannot be removed."
)

// exchangeManaged reports whether a group is a mail-enabled security group
// or a distribution list.
func exchangeManaged(obj map[string]any) bool {
	me, _ := obj["mailEnabled"].(bool)
	return me && !isUnified(obj)
}

// dynamicAU reports whether an administrative unit's members follow a rule.
func dynamicAU(obj map[string]any) bool {
	return strings.EqualFold(str(obj["membershipType"]), "Dynamic")
}

// groupCreatable refuses the creates Graph refuses: mail-enabled security
// groups and distribution lists.
func groupCreatable(body map[string]any) *apiError {
	if exchangeManaged(body) {
		return badRequest(msgExchangeCreate)
	}
	return nil
}

// patchGroup refuses updates of groups Exchange manages, then applies the
// rules of on-premises mastered groups.
func patchGroup(s *Server, r *record, body map[string]any) *apiError {
	if exchangeManaged(r.o()) {
		return badRequest(msgExchangeUpdate)
	}
	return patchSynced(s, r, body)
}

// checkLinkWrite refuses adding or removing a member or owner of an object
// whose relationships Graph does not write. Callers hold t.mu.
func checkLinkWrite(k *Kind, obj map[string]any, rel string) *apiError {
	switch k.Name {
	case "group":
		if exchangeManaged(obj) {
			return errf(http.StatusForbidden, "Authorization_RequestDenied", msgExchangeUpdate)
		}
		if rel == "members" && isDynamic(obj) {
			return badRequest(msgDynamicMembers)
		}
	case "administrativeUnit":
		if rel == "members" && dynamicAU(obj) {
			return badRequest(msgDynamicAU)
		}
	}
	return nil
}

// checkUnlink applies the rules of removing target from rel of r, beyond
// checkLinkWrite: a group keeps its last owner. Callers hold t.mu.
func checkUnlink(r *record, rel string) *apiError {
	if aerr := checkLinkWrite(r.kind, r.o(), rel); aerr != nil {
		return aerr
	}
	if r.kind.Name == "group" && rel == "owners" && r.links.list("owners").len() == 1 {
		return badRequest(msgLastOwner)
	}
	return nil
}

func init() {
	deleteHooks["group"] = func(s *Server, r *record) *apiError {
		if exchangeManaged(r.o()) {
			return badRequest(msgExchangeUpdate)
		}
		return nil
	}
	// A deleted group's PIM for Groups schedules go with it (pimgroups.go);
	// those whose principal it is (or a deleted user is) stay listed until
	// the clean-up of a deleted principal's PIM entries (roles.go,
	// dropGonePrincipalsRoles).
	afterDeleteHooks["group"] = func(s *Server, r *record) { s.dropGroupSchedulesOf(r) }
}
