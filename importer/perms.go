package importer

import (
	"encoding/json"
	"strings"
)

// actionPermissions are the application permissions an action needs: the
// kind's (permissionsFor) and those Graph asks for because of what this
// action writes or whom it names (layout/permissions.go lists the sets to
// grant; graphsim enforces each rule, graphsim/authz.go):
//   - a user's employeeLeaveDateTime: User-LifeCycleInfo.ReadWrite.All;
//     its identities: User.ManageIdentities.All (user-update);
//   - a role-assignable group (isAssignableToRole): RoleManagement.ReadWrite.Directory
//     to create it, change it or its members and owners (group-post-groups,
//     group-post-members);
//   - a service principal added as a group member: Application.ReadWrite.All
//     (group-post-members).
func actionPermissions(s *objState, a *Action) []string {
	out := permissionsFor(s.k, a.Op, a.Relationship)
	add := func(p string) {
		for _, x := range out {
			if x == p {
				return
			}
		}
		out = append(out, p)
	}
	switch s.k.Name {
	case "users":
		if a.Op == OpCreate || a.Op == OpUpdate {
			var b map[string]json.RawMessage
			_ = json.Unmarshal(a.Request.Body, &b)
			if _, ok := b["employeeLeaveDateTime"]; ok {
				add("User-LifeCycleInfo.ReadWrite.All")
			}
			if _, ok := b["identities"]; ok {
				add("User.ManageIdentities.All")
			}
		}
	case "groups":
		roleAssignable := s.d != nil && s.d.Data["isAssignableToRole"] == true || s.live != nil && s.live.Data["isAssignableToRole"] == true
		if roleAssignable && a.Op != OpRestore {
			add("RoleManagement.ReadWrite.Directory")
		}
		if a.Op == OpAddLink && a.Relationship == "members" {
			for _, c := range a.Changes {
				for _, m := range c.Added {
					if mm, ok := m.(map[string]any); ok && strings.EqualFold(strings.TrimPrefix(str(mm["@odata.type"]), "#"), "microsoft.graph.servicePrincipal") {
						add("Application.ReadWrite.All")
					}
				}
			}
		}
	}
	return out
}
