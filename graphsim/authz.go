package graphsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/entrasnap/entrasnap/graphsim/builtin"
	"github.com/entrasnap/entrasnap/graphsim/perms"
)

// Authorization beyond the permission table (perms answers "any one of
// these grants the call"): the requirements Graph documents that depend on
// a second permission, on the object the call names, or on the properties
// it reads or writes. Each rule cites its page; graphsim/doc.go has a row
// per rule. They apply to app-only tokens (graphsim's own token holds every
// permission and every role).
//
//   - AND-requirements. conditionalaccessroot-post-policies,
//     conditionalaccesspolicy-update, conditionalaccesspolicy-delete:
//     Policy.Read.All and Policy.ReadWrite.ConditionalAccess, and the
//     delegated column's Application.Read.All (strict: required of apps too);
//     conditionalaccessroot-post-namedlocations, namedlocation-update,
//     namedlocation-delete: Policy.Read.All and
//     Policy.ReadWrite.ConditionalAccess.
//   - group-post-members: a service principal as a member also needs
//     Application.ReadWrite.All; a role-assignable group (isAssignableToRole)
//     also needs RoleManagement.ReadWrite.Directory (group-post-groups for
//     its creation; strict reading for its update, deletion and owners).
//   - group-list-members, administrativeunit-list-members: the members of a
//     group or unit whose visibility is HiddenMembership are read only with
//     Member.Read.Hidden in addition.
//   - directory-deleteditems-get/-restore/-delete: the permission depends on
//     the type of the deleted object (perms.DeletedItem).
//   - resources/user, user-update: employeeLeaveDateTime is read with
//     User-LifeCycleInfo.Read.All (or .ReadWrite.All) and written with
//     User-LifeCycleInfo.ReadWrite.All; identities is written with
//     User.ManageIdentities.All. Without the read permission Graph answers
//     the $select with employeeLeaveDateTime null (Microsoft Q&A 1280030:
//     "otherwise the property will return null"), not with a 403: graphsim
//     does the same (nullUnreadable), the harsher answer for a backup,
//     which cannot tell it from an unset date. A write without the
//     permission is refused (403).
//   - user-update "Who can perform sensitive actions": businessPhones,
//     mobilePhone, otherMails, passwordProfile and accountEnabled of a user
//     who holds a privileged directory role are changed only by a caller
//     holding Privileged Authentication Administrator (or Global
//     Administrator); for an app-only caller, its service principal must
//     hold the role (strict reading of the page's table).

// sensitiveUserProps are the properties user-update lists as sensitive.
var sensitiveUserProps = []string{"businessPhones", "mobilePhone", "otherMails", "passwordProfile", "accountEnabled"}

// privilegedRoleNames are the built-in directory roles Microsoft labels
// PRIVILEGED (learn:/entra/identity/role-based-access-control/privileged-roles-permissions)
// that matter here; a user holding one is an administrator for the
// sensitive-actions rule.
var privilegedRoleNames = []string{
	"Global Administrator", "Privileged Role Administrator", "Privileged Authentication Administrator",
	"Security Administrator", "User Administrator", "Application Administrator",
	"Cloud Application Administrator", "Authentication Administrator", "Helpdesk Administrator",
	"Password Administrator", "Exchange Administrator", "SharePoint Administrator", "Intune Administrator",
	"Conditional Access Administrator", "Hybrid Identity Administrator", "Directory Writers",
	"Domain Name Administrator", "External Identity Provider Administrator", "Partner Tier2 Support",
}

// sensitiveActorRoleNames may change the sensitive attributes of any administrator.
var sensitiveActorRoleNames = []string{"Global Administrator", "Privileged Authentication Administrator"}

// privilegedRoles and sensitiveActorRoles are built on first use: reading
// the built-in role definitions decodes embedded JSON (about 3 MB of
// allocations), which no entrasnap command that does not run graphsim
// should pay at start-up.
var (
	privilegedRoles     = sync.OnceValue(func() map[string]bool { return roleIDs(privilegedRoleNames) })
	sensitiveActorRoles = sync.OnceValue(func() map[string]bool { return roleIDs(sensitiveActorRoleNames) })
)

func roleIDs(names []string) map[string]bool {
	out := map[string]bool{}
	for _, d := range builtin.RoleDefinitions() {
		if containsFold(names, str(d["displayName"])) {
			out[strings.ToLower(str(d["id"]))] = true
			if t := str(d["templateId"]); t != "" {
				out[strings.ToLower(t)] = true
			}
		}
	}
	return out
}

// authorizeObject checks the requirements of this file once the table has
// granted the call.
func (s *Server) authorizeObject(req *request, rt *route) *apiError {
	p := req.principal
	if p == nil || p.all || rt == nil {
		return nil
	}
	t := s.tenant
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, anyOf := range s.alsoRequired(req, rt) {
		if !p.has(anyOf) {
			return denied()
		}
	}
	if s.sensitiveAdminWrite(req, rt) && !s.holdsRole(p, sensitiveActorRoles()) {
		return denied()
	}
	if has, only := csaBody(req, rt); has { // user_csa.go
		if aerr := s.csaWriteDenied(req); aerr != nil {
			return aerr
		}
		if only {
			return nil // the Attribute Assignment Administrator role is the user's role check
		}
	}
	if p.userID != "" {
		return s.authorizeUser(req, rt) // delegated.go: the signed-in user's roles and their scopes
	}
	return nil
}

// alsoRequired lists the further permissions the call needs, each entry
// satisfied by any one of its permissions. Callers hold t.mu.
func (s *Server) alsoRequired(req *request, rt *route) [][]string {
	t := s.tenant
	var need [][]string
	write := req.method != http.MethodGet
	body := func() map[string]any {
		var m map[string]any
		_ = json.Unmarshal(req.body, &m)
		return m
	}
	if rt.special == "dirDeleted" && rt.key != "" {
		if r := t.bin[strings.ToLower(rt.key)]; r != nil {
			if anyOf, ok := perms.DeletedItem(strings.TrimPrefix(r.kind.ODataType, "#microsoft.graph."), write); ok {
				need = append(need, anyOf)
			}
		}
		return need
	}
	if rt.special == "emResourceRequests" && write && str(body()["requestType"]) == "adminAdd" { // emresources.go
		res, _ := body()["resource"].(map[string]any)
		switch str(res["originSystem"]) {
		case "AadGroup": // entitlementmanagement-post-resourcerequests: "also be assigned the Group.ReadWrite.All permission"
			need = append(need, []string{"Group.ReadWrite.All"})
		case "AadApplication":
			need = append(need, []string{"Application.ReadWrite.All"})
		case "SharePointOnline":
			need = append(need, []string{"Sites.FullControl.All"})
		}
	}
	need = append(need, assignmentRequired(req, rt)...) // assign.go
	if rt.special != "" || rt.kind == nil {
		return need
	}
	switch rt.kind.Name {
	case "conditionalAccessPolicy", "namedLocation":
		if write && rt.rel == "" {
			need = append(need, []string{"Policy.Read.All"})
			if rt.kind.Name == "conditionalAccessPolicy" {
				need = append(need, []string{"Application.Read.All", "Application.ReadWrite.All"})
			}
		}
	case "user":
		if !write && rt.rel == "" && strings.EqualFold(strings.TrimSpace(req.query.Get("$expand")), "sponsors") {
			need = append(need, sponsorsRead) // manager.go: as GET .../sponsors
		}
		if write && rt.rel == "" && (req.method == http.MethodPost || req.method == http.MethodPatch) {
			b := body()
			if _, ok := b["employeeLeaveDateTime"]; ok {
				need = append(need, []string{"User-LifeCycleInfo.ReadWrite.All"})
			}
			if _, ok := b["identities"]; ok {
				need = append(need, []string{"User.ManageIdentities.All"})
			}
		}
	case "group", "administrativeUnit":
		var r *record
		if rt.key != "" {
			r = s.find(rt)
		}
		if !write && rt.rel == "members" && r != nil && strings.EqualFold(str(r.get("visibility")), "HiddenMembership") {
			need = append(need, []string{"Member.Read.Hidden"})
		}
		if rt.kind.Name != "group" || !write {
			break
		}
		b := body()
		roleAssignable := r != nil && r.get("isAssignableToRole") == true ||
			rt.key == "" && req.method == http.MethodPost && b["isAssignableToRole"] == true
		if roleAssignable {
			need = append(need, []string{"RoleManagement.ReadWrite.Directory"})
		}
		// Members added: through $ref or members@odata.bind.
		var added []string
		if rt.rel == "members" && rt.ref && req.method == http.MethodPost {
			added = append(added, idFromRef(str(b["@odata.id"])))
		}
		if rt.rel == "" {
			for _, ref := range asSlice(b["members@odata.bind"]) {
				added = append(added, idFromRef(str(ref)))
			}
		}
		for _, id := range added {
			if m := t.dirObject(id); m != nil && m.kind.Name == "servicePrincipal" {
				need = append(need, []string{"Application.ReadWrite.All"})
				break
			}
		}
	case pgEligReqKind, pgAssignReqKind: // pimgroups.go: *.Remove.AzureADGroup grants adminRemove only
		if req.method == http.MethodPost && rt.key == "" && str(body()["action"]) != "adminRemove" {
			perm := "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup"
			if rt.kind.Name == pgAssignReqKind {
				perm = "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"
			}
			need = append(need, []string{perm})
		}
	}
	return need
}

// sensitiveAdminWrite reports whether the call changes a sensitive property
// of a user holding a privileged directory role. Callers hold t.mu.
func (s *Server) sensitiveAdminWrite(req *request, rt *route) bool {
	if rt.kind == nil || rt.kind.Name != "user" || rt.key == "" || rt.rel != "" || rt.special != "" || req.method != http.MethodPatch {
		return false
	}
	var b map[string]any
	_ = json.Unmarshal(req.body, &b)
	touches := false
	for _, p := range sensitiveUserProps {
		_, ok := b[p]
		touches = touches || ok
	}
	if !touches {
		return false
	}
	u := s.find(rt)
	return u != nil && s.holdsRoleID(u.key(), privilegedRoles())
}

// holdsRole reports whether the caller's service principal holds one of
// the roles. Callers hold t.mu.
func (s *Server) holdsRole(p *principal, roles map[string]bool) bool {
	if p.userID != "" { // delegated: the signed-in user must hold it
		return s.holdsRoleID(p.userID, roles)
	}
	sp := s.tenant.spByAppID(p.appID)
	return sp != nil && s.holdsRoleID(sp.key(), roles)
}

// holdsRoleID reports whether the directory object id holds one of the
// roles through an active assignment, directly or through a role-assignable
// group it is a member of. Callers hold t.mu.
func (s *Server) holdsRoleID(id string, roles map[string]bool) bool {
	t := s.tenant
	coll := t.colls["unifiedRoleAssignment"]
	if coll == nil {
		return false
	}
	for _, a := range coll.live() {
		if a.gone || !roles[strings.ToLower(str(a.get("roleDefinitionId")))] {
			continue
		}
		pid := str(a.get("principalId"))
		if strings.EqualFold(pid, id) {
			return true
		}
		if g := t.dirObject(pid); g != nil && g.kind.Name == "group" && g.links.list("members").containsFold(id) {
			return true
		}
	}
	return false
}

// lifeCycleRead grants reading employeeLeaveDateTime.
var lifeCycleRead = []string{"User-LifeCycleInfo.Read.All", "User-LifeCycleInfo.ReadWrite.All"}

// nullUnreadable sets employeeLeaveDateTime to null in a user answer when
// the caller may not read it, as Graph does.
func (s *Server) nullUnreadable(req *request, rt *route, resp *response) {
	p := req.principal
	if p == nil || p.all || rt == nil || rt.kind == nil || rt.kind.Name != "user" || rt.rel != "" ||
		req.method != http.MethodGet || resp == nil || resp.status != http.StatusOK || p.has(lifeCycleRead) {
		return
	}
	body, ok := resp.body.(map[string]any)
	if !ok {
		return
	}
	blank := func(o map[string]any) {
		if _, ok := o["employeeLeaveDateTime"]; ok {
			o["employeeLeaveDateTime"] = nil
		}
	}
	if items, ok := body["value"].([]any); ok {
		for _, it := range items {
			if o, ok := it.(map[string]any); ok {
				blank(o)
			}
		}
		return
	}
	blank(body)
}

// PrivilegedRoleNames are the directory roles graphsim treats as
// privileged for the sensitive-actions rule (for tests that check a
// product against it).
func PrivilegedRoleNames() []string { return append([]string(nil), privilegedRoleNames...) }
