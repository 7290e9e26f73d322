package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
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
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, p := range emPermissions(a) { // emresources.go
		add(p)
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

// ---- sensitive attributes of administrators ----

// sensitiveUserProps are the user properties that user-update ("Who can
// perform sensitive actions") lets only some administrators change when
// the user is an administrator.
var sensitiveUserProps = []string{"businessPhones", "mobilePhone", "otherMails", "passwordProfile", "accountEnabled"}

// privilegedRoles are built-in directory roles (template ids) Microsoft
// labels PRIVILEGED (learn:/entra/identity/role-based-access-control/privileged-roles-permissions):
// a user holding one is an administrator for that rule.
var privilegedRoles = map[string]string{
	"62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
	"e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
	"7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
	"194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
	"fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
	"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
	"158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
	"c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
	"729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
	"966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
	"29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
	"f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
	"3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
	"b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
	"8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
	"9360feb5-f418-4baa-8175-e2a00bac4301": "Directory Writers",
	"8329153b-31d0-4727-b945-745eb3bc5f31": "Domain Name Administrator",
	"be2f45a1-457d-42af-a067-6ec1fa63bc45": "External Identity Provider Administrator",
	"e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8": "Partner Tier2 Support",
}

// sensitiveActorRoles may change those properties of any administrator
// (the strict reading of the page's table for an app-only caller: its
// service principal holds the role).
var sensitiveActorRoles = map[string]bool{
	"62e90394-69f5-4237-9190-012177145e10": true, // Global Administrator
	"7be44c8a-adaf-4e2a-84d6-ab2649e08a13": true, // Privileged Authentication Administrator
}

// DirectoryRoleError: the plan changes sensitive properties of
// administrators and the app does not hold a role that may.
type DirectoryRoleError struct {
	Users []string // "name (id)" of the administrators
}

func (e *DirectoryRoleError) Error() string {
	return fmt.Sprintf("this plan changes %s of administrators (%s), which Graph lets only a caller holding the Privileged Authentication Administrator (or Global Administrator) directory role do (user-update, \"Who can perform sensitive actions\"); nothing was written: assign that role to the service principal of the restoring app, or leave these users out of the selection",
		strings.Join(sensitiveUserProps, ", "), strings.Join(e.Users, ", "))
}

// sensitiveTargets are the user updates of p that change a sensitive property.
func sensitiveTargets(p *Plan) []*Action {
	var out []*Action
	for i := range p.Actions {
		a := &p.Actions[i]
		if a.Kind != "users" || a.Op != OpUpdate {
			continue
		}
		var b map[string]json.RawMessage
		_ = json.Unmarshal(a.Request.Body, &b)
		for _, prop := range sensitiveUserProps {
			if _, ok := b[prop]; ok {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// checkSensitiveAdmins refuses a plan that changes sensitive properties of
// a user holding a privileged directory role (directly or through a
// role-assignable group) unless the caller (the token's oid) holds
// Privileged Authentication Administrator or Global Administrator. It
// reads the role assignments only when the plan has such an update and
// the token names its caller.
func checkSensitiveAdmins(ctx context.Context, p *Plan, o ApplyOptions) error {
	targets := sensitiveTargets(p)
	if len(targets) == 0 || o.Client == nil {
		return nil
	}
	caller := graph.TokenClaim(o.Token, "oid")
	if caller == "" {
		return nil
	}
	assignments, err := o.Client.ListObjects(ctx, "/v1.0/roleManagement/directory/roleAssignments?$select=principalId,roleDefinitionId")
	if err != nil {
		return fmt.Errorf("reading the directory role assignments, to tell whether this plan changes sensitive properties of administrators: %w", err)
	}
	members := map[string][]string{} // principal → itself and, for a group, its members
	expand := func(id string) []string {
		if m, ok := members[id]; ok {
			return m
		}
		m := []string{id}
		if ms, err := o.Client.ListObjects(ctx, "/v1.0/groups/"+id+"/members?$select=id"); err == nil {
			for _, x := range ms {
				m = append(m, strings.ToLower(str(x["id"])))
			}
		}
		members[id] = m
		return m
	}
	admins, actors := map[string]bool{}, map[string]bool{}
	for _, as := range assignments {
		role := strings.ToLower(str(as["roleDefinitionId"]))
		_, priv := privilegedRoles[role]
		if !priv {
			continue
		}
		for _, id := range expand(strings.ToLower(str(as["principalId"]))) {
			admins[id] = true
			if sensitiveActorRoles[role] {
				actors[id] = true
			}
		}
	}
	if actors[strings.ToLower(caller)] {
		return nil
	}
	var users []string
	for _, a := range targets {
		key := a.LiveKey
		if key == "" {
			key = a.Key
		}
		if admins[strings.ToLower(key)] {
			users = append(users, fmt.Sprintf("%s (%s)", a.Name, key))
		}
	}
	if len(users) == 0 {
		return nil
	}
	return &DirectoryRoleError{Users: users}
}
