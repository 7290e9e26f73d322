package importer

import (
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/schemas"
)

// Restore facts per kind that the layout catalog does not hold: what can be
// set only on create, how objects are matched, which paths write them, and
// the permissions each write needs (graph-semantics.md §3, §4, §5).

// createOnly are read-only properties (never PATCHed) that a create sends.
// A partner configuration is created for its tenantId and a directory
// setting from its templateId: Graph answers 400 to a create without them
// (learn:/graph/api/crosstenantaccesspolicy-post-partners,
// learn:/graph/api/group-post-settings).
var createOnly = map[string][]string{
	"groups":                       {"isAssignableToRole", "resourceBehaviorOptions", "resourceProvisioningOptions"},
	"administrative-units":         {"isMemberManagementRestricted"},
	"service-principals":           {"appId"},
	"domains":                      {"id"},
	"cross-tenant-access-partners": {"tenantId"},
	"group-settings":               {"templateId"},
	"permission-grant-policies":    {"id"}, // permissiongrantpolicy-post-permissiongrantpolicies: the id is the caller's
}

// cloudMastered are the properties of a synced (on-premises mastered)
// object that may still be written in the cloud.
var cloudMastered = map[string][]string{
	"users":  {"usageLocation"},
	"groups": {},
}

// noCreate are kinds whose objects cannot be created by restore.
var noCreate = map[string]string{
	"organization":                         "the organization cannot be created",
	"domains":                              "a domain must be added and verified by its owner",
	"authentication-method-configurations": "method configurations are built in; only their settings can be restored",
	"directory-roles":                      "a directory role is activated from its template when a scoped role member needs it (roles.go)",
	// resources/onpremisesdirectorysynchronization: read and update only.
	"on-premises-sync": "Graph keeps one on-premises synchronization object per tenant and creates none: only its settings can be restored",
}

// noDelete are kinds whose objects restore never deletes.
var noDelete = map[string]bool{
	"organization": true, "domains": true, "authentication-method-configurations": true, "directory-roles": true,
	"on-premises-sync": true,
}

// viaAction are properties Graph does not PATCH: a bound action of the
// object writes them (POST {item}/{action} with {prop: value}).
// authenticationstrengthpolicy-update: allowedCombinations only through
// updateAllowedCombinations (a PATCH of it is answered 405).
var viaAction = map[string]map[string]string{
	"authentication-strengths": {"allowedCombinations": "updateAllowedCombinations"},
}

// idOnly are nested objects Graph returns whole but takes on a write as a
// reference: only their id is sent (conditionalaccessroot-post-policies
// writes grantControls.authenticationStrength as {"id": ...}; the whole
// strength read back is refused with error 1007).
var idOnly = map[string][]string{
	"conditional-access-policies": {"grantControls.authenticationStrength"},
}

// updatable lists, for kinds whose update page names the only properties a
// PATCH sets, those properties; restore sends no other (organization-update).
var updatable = map[string][]string{
	"organization": {"marketingNotificationEmails", "onPremisesSyncEnabled", "privacyProfile",
		"securityComplianceNotificationMails", "securityComplianceNotificationPhones", "technicalNotificationMails"},
}

// notUpdatable reports whether a PATCH of kind k never sends top.
func notUpdatable(k *layout.Kind, top string) bool {
	list, ok := updatable[k.Name]
	return ok && !slices.Contains(list, top)
}

// noUpdate are kinds Graph does not PATCH (the PIM schedules change their
// window through a schedule request: pim.go, updateWindow).
var noUpdate = map[string]bool{"role-assignments": true, "role-eligibility-schedules": true}

// scheduled are kinds Graph writes only through schedule requests (POST to
// createPath with an action: adminAssign, adminRemove), with the properties
// naming the schedule (unifiedroleeligibilityschedulerequest-post-...).
var scheduled = map[string][]string{"role-eligibility-schedules": {"principalId", "roleDefinitionId", "directoryScopeId"}}

// scheduleRequest is the body of a schedule request of kind k for the
// schedule data names.
func scheduleRequest(k *layout.Kind, action string, data map[string]any) map[string]any {
	b := map[string]any{"action": action, "justification": "entrasnap restore"}
	for _, p := range scheduled[k.Name] {
		b[p] = data[p]
	}
	return b
}

// childWrite is how restore writes the items of a child collection that
// holds objects, not references (a reference is added with POST
// {collection}/$ref and removed with DELETE {collection}/{id}/$ref).
type childWrite struct {
	// target is the property naming what an item grants or links to
	// ("principalId"; dotted when nested).
	target string
	// root, when set, is the collection the items are written in instead
	// of the parent's (delegated grants: oauth2permissiongrant-post).
	root string
	// body is what adds item m to parent, ref being its target as the
	// request names it, with the actions it waits for besides the target's.
	body func(pl *planner, parent, ref string, m map[string]any) (map[string]any, []string)
}

// childWrites are, by "kind/child", the child collections restore writes.
var childWrites = map[string]childWrite{
	"service-principals/appRoleAssignedTo": {target: "principalId", // serviceprincipal-post-approleassignedto
		body: func(_ *planner, parent, ref string, m map[string]any) (map[string]any, []string) {
			return map[string]any{"principalId": ref, "resourceId": parent, "appRoleId": m["appRoleId"]}, nil
		}},
	"service-principals/oauth2PermissionGrants": {target: "resourceId", root: "/v1.0/oauth2PermissionGrants",
		body: func(pl *planner, parent, _ string, m map[string]any) (map[string]any, []string) {
			res, deps := pl.ref([]string{"service-principals"}, str(m["resourceId"]))
			var principal any
			if p := str(m["principalId"]); p != "" {
				pr, pdeps := pl.ref([]string{"users"}, p)
				principal, deps = pr, append(deps, pdeps...)
			}
			return map[string]any{"clientId": parent, "consentType": m["consentType"], "principalId": principal, "resourceId": res, "scope": m["scope"]}, deps
		}},
	"administrative-units/scopedRoleMembers": {target: "roleMemberInfo.id", // administrativeunit-post-scopedrolemembers
		body: func(pl *planner, _, ref string, m map[string]any) (map[string]any, []string) {
			role, deps := pl.directoryRole(str(m["roleId"])) // roles.go: activated first if it must be
			return map[string]any{"roleId": role, "roleMemberInfo": map[string]any{"id": ref}}, deps
		}},
}

// childPath is the collection the items of child ch of parent are written in.
func childPath(k *layout.Kind, ch layout.Child, parent string) string {
	if w := childWrites[k.Name+"/"+ch.Name]; w.root != "" {
		return w.root
	}
	return childColl(k, ch, parent)
}

// childTarget is what an item of child ch grants or links to.
func childTarget(k *layout.Kind, ch layout.Child, m map[string]any) string {
	if w, ok := childWrites[k.Name+"/"+ch.Name]; ok {
		return str(dig(m, strings.Split(w.target, ".")...))
	}
	return str(m["id"])
}

// upsertCreate are kinds Graph creates by a PATCH of the item with the key
// the caller chose, not by a POST (authenticationcontextclassreference-update:
// "Create an authenticationContextClassReference object, if the ID has not
// been used"); their key stays the snapshot's.
var upsertCreate = map[string]bool{"authentication-contexts": true}

// createRequest is the method and path that create an object of kind k
// with the given key.
func createRequest(k *layout.Kind, key string) (method, path string) {
	if upsertCreate[k.Name] {
		return "PATCH", itemPath(k, key)
	}
	return "POST", createPath(k)
}

// remapped are the kinds whose objects get a new key from Graph when created.
func remapped(k *layout.Kind) bool {
	if upsertCreate[k.Name] {
		return false
	}
	switch k.Name {
	case "domains", "cross-tenant-access-partners", "permission-grant-policies", brandingKind,
		userFlows: // external.go: B2X_1_{name}, the name the create sends
		return false
	}
	if isCSA(k) || isUFC(k) { // csavalues.go, userflowconnections.go: keyed by the user's (flow's) id
		return false
	}
	return !k.Singleton
}

// naturalKey identifies objects Graph may give a new id when they are
// written again: by the kind's layout.Kind.NaturalKey (role assignments
// and eligibilities by role, principal and scope; PIM for Groups
// schedules by group, principal and access). Other kinds use their key.
func naturalKey(k *layout.Kind, data map[string]any, key string) string {
	if len(k.NaturalKey) > 0 {
		return naturalKeyOf(k.NaturalKey, data)
	}
	if k.Name == cbaKind { // cba.go: one per tenant, a new id on every create
		return "configuration"
	}
	return strings.ToLower(key)
}

// naturalKeyOf joins the values of props in data, lower-cased.
func naturalKeyOf(props []string, data map[string]any) string {
	vals := make([]string, len(props))
	for i, p := range props {
		vals[i] = str(data[p])
	}
	return strings.ToLower(strings.Join(vals, "|"))
}

// childKey identifies a child object by what it means, not by its id
// (Graph gives a re-added assignment a new id).
func childKey(kind string, ch layout.Child, item map[string]any) string {
	if key, ok := appHeldKey(kind, ch, item); ok { // appchildren.go
		return key
	}
	switch kind + "/" + ch.Name {
	case "service-principals/appRoleAssignedTo":
		return strings.ToLower(str(item["principalId"]) + "|" + str(item["appRoleId"]))
	case "service-principals/oauth2PermissionGrants":
		return strings.ToLower(str(item["resourceId"]) + "|" + str(item["consentType"]) + "|" + str(item["principalId"]))
	case "authentication-strengths/combinationConfigurations":
		// Graph gives a recreated configuration a new id: one configuration
		// per type and set of combinations.
		var c []string
		for _, x := range asSlice(item["appliesToCombinations"]) {
			c = append(c, strings.ReplaceAll(str(x), " ", ""))
		}
		sort.Strings(c)
		return strings.ToLower(str(item["@odata.type"]) + "|" + strings.Join(c, ";"))
	case "administrative-units/scopedRoleMembers":
		info, _ := item["roleMemberInfo"].(map[string]any)
		return strings.ToLower(str(item["roleId"]) + "|" + str(info["id"]))
	case "permission-grant-policies/includes", "permission-grant-policies/excludes":
		return conditionSetKey(item) // policies.go: a recreated set has a new id
	}
	return strings.ToLower(str(item["id"]))
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func itemPath(k *layout.Kind, key string) string {
	if k.PerObject != "" { // mfa.go: the object's own entity below it
		return "/" + k.APIVersion + k.ListPath + "/" + url.PathEscape(key) + "/" + k.PerObject
	}
	if k.Singleton {
		return "/" + k.APIVersion + k.ListPath
	}
	if isHolder(key) { // a placeholder apply fills with an id (placeholder.go)
		return "/" + k.APIVersion + k.ListPath + "/" + key
	}
	return "/" + k.APIVersion + k.ListPath + "/" + url.PathEscape(key)
}

func createPath(k *layout.Kind) string {
	if k.Name == "role-eligibility-schedules" {
		return "/" + k.APIVersion + "/roleManagement/directory/roleEligibilityScheduleRequests"
	}
	if k.Name == timeBoundKind { // pim.go
		return "/" + k.APIVersion + "/roleManagement/directory/roleAssignmentScheduleRequests"
	}
	if isGroupSchedule(k) { // pimgroups.go
		return groupScheduleRequestPath(k)
	}
	return "/" + k.APIVersion + k.ListPath
}

// restorePath is where an object in a recycle bin is restored.
func restorePath(k *layout.Kind, id string) string {
	switch k.SoftDelete {
	case "directory":
		return "/v1.0/directory/deletedItems/" + url.PathEscape(id) + "/restore"
	case "conditional-access":
		// Documented for beta only (conditionalaccesspolicy-restore).
		return "/beta/identity/conditionalAccess/deletedItems/" + caBin(k) + "/" + url.PathEscape(id) + "/restore"
	case lcwBin: // lcw.go
		return "/v1.0" + lcwBinPath + "/" + url.PathEscape(id) + "/restore"
	}
	return ""
}

// binListPath lists a kind's recycle bin.
func binListPath(k *layout.Kind) string {
	switch k.SoftDelete {
	case "directory":
		// 999 a page, the most Graph gives (directory-deleteditems-list:
		// "supports returning up to 999 objects per page using $top"):
		// each page costs a resource unit and a round trip.
		p := "/v1.0/directory/deletedItems/" + strings.TrimPrefix(k.ODataType, "#") + "?$top=999"
		if len(k.Select) > 0 {
			p += "&$select=" + strings.Join(append(append([]string(nil), k.Select...), "deletedDateTime"), ",")
		}
		return p
	case "conditional-access":
		return "/beta/identity/conditionalAccess/deletedItems/" + caBin(k)
	case lcwBin: // lcw.go
		return "/v1.0" + lcwBinPath
	}
	return ""
}

func caBin(k *layout.Kind) string {
	if k.Name == "named-locations" {
		return "namedLocations"
	}
	return "policies"
}

// readOnly reports whether restore never sends the property at path on a
// PATCH: the catalog's read-only properties and the schema's.
func readOnly(k *layout.Kind, sch *schemas.Schema, path string) bool {
	top, _, _ := strings.Cut(path, ".")
	top = strings.TrimSuffix(top, "[]")
	return slices.Contains(k.ReadOnly, top) || slices.Contains(k.ReadOnly, path) || sch != nil && sch.ReadOnly(path)
}

func isCreateOnly(k *layout.Kind, prop string) bool { return slices.Contains(createOnly[k.Name], prop) }

func isChild(k *layout.Kind, prop string) bool {
	return slices.ContainsFunc(k.Children, func(c layout.Child) bool { return c.Name == prop })
}

// synced reports whether an object is mastered on premises.
func synced(data map[string]any) bool {
	b, _ := data["onPremisesSyncEnabled"].(bool)
	return b
}

// permissionsFor are the application permissions an action needs; each
// entry is satisfied by any one of its "|"-separated alternatives (the
// least privileged first).
func permissionsFor(k *layout.Kind, op Op, rel string) []string {
	switch k.Name {
	case "users":
		if op == OpRestore { // directory-deleteditems-restore, per type
			return []string{"User.DeleteRestore.All|User.ReadWrite.All"}
		}
		if rel == "assignedLicenses" { // user-assignlicense (assignlicence.go)
			return []string{"LicenseAssignment.ReadWrite.All|User.ReadWrite.All|Directory.ReadWrite.All"}
		}
		return []string{"User.ReadWrite.All|Directory.ReadWrite.All"}
	case "groups":
		if op == OpRestore {
			return []string{"Group.ReadWrite.All"}
		}
		if rel == "assignedLicenses" { // group-assignlicense (assignlicence.go)
			return []string{"LicenseAssignment.ReadWrite.All|Group.ReadWrite.All|Directory.ReadWrite.All"}
		}
		if rel != "" {
			return []string{"GroupMember.ReadWrite.All|Group.ReadWrite.All|Directory.ReadWrite.All"}
		}
		return []string{"Group.ReadWrite.All|Directory.ReadWrite.All"}
	case "named-locations", "conditional-access-policies":
		// Graph needs Policy.Read.All as well (conditionalaccessroot-post-policies,
		// namedlocation-update, ...), and Application.Read.All for a policy.
		if k.SoftDelete == "conditional-access" && op == OpRestore {
			return []string{"Policy.ReadWrite.ConditionalAccess"}
		}
		if k.Name == "conditional-access-policies" {
			return []string{"Policy.ReadWrite.ConditionalAccess", "Policy.Read.All", "Application.Read.All|Application.ReadWrite.All"}
		}
		return []string{"Policy.ReadWrite.ConditionalAccess", "Policy.Read.All"}
	case "authentication-strengths":
		return []string{"Policy.ReadWrite.ConditionalAccess"}
	case "applications":
		return []string{"Application.ReadWrite.All|Application.ReadWrite.OwnedBy"}
	case "service-principals":
		switch rel {
		case "appRoleAssignedTo":
			return []string{"AppRoleAssignment.ReadWrite.All|Application.ReadWrite.All"}
		case "oauth2PermissionGrants":
			return []string{"DelegatedPermissionGrant.ReadWrite.All|Directory.ReadWrite.All"}
		case "delegatedPermissionClassifications": // serviceprincipal-post-delegatedpermissionclassifications
			return []string{"Policy.ReadWrite.PermissionGrant"}
		}
		return []string{"Application.ReadWrite.All|Application.ReadWrite.OwnedBy"}
	case "administrative-units":
		if rel == "scopedRoleMembers" {
			return []string{"RoleManagement.ReadWrite.Directory"}
		}
		if op == OpRestore {
			return []string{"AdministrativeUnit.ReadWrite.All"}
		}
		return []string{"AdministrativeUnit.ReadWrite.All|Directory.ReadWrite.All"}
	case "role-definitions", "role-assignments":
		return []string{"RoleManagement.ReadWrite.Directory"}
	case "role-eligibility-schedules":
		return []string{"RoleEligibilitySchedule.ReadWrite.Directory|RoleManagement.ReadWrite.Directory"}
	case timeBoundKind: // pim.go; rbacapplication-post-roleassignmentschedulerequests
		return []string{"RoleAssignmentSchedule.ReadWrite.Directory|RoleManagement.ReadWrite.Directory"}
	case rolePolicies: // pim.go; unifiedrolemanagementpolicyrule-update
		return []string{"RoleManagementPolicy.ReadWrite.Directory|RoleManagement.ReadWrite.Directory"}
	case brandingKind: // branding.go; permissions.json lists both for every write restore sends
		return []string{"OrganizationalBranding.ReadWrite.All|Organization.ReadWrite.All"}
	}
	if _, ok := assignNav[k.Name]; ok { // assign.go
		if rel == appliesTo {
			return assignmentPermissions(k)
		}
		return []string{"Policy.ReadWrite.ApplicationConfiguration"}
	}
	var out []string
	for _, p := range k.WritePermissions {
		if !strings.Contains(p, ".Read.") {
			out = append(out, strings.Join(layout.GrantedBy(p), "|")) // or a broader one (layout covers)
		}
	}
	return out
}

// ---- values ----

// stripReadOnly removes the read-only parts of a value sent whole.
func stripReadOnly(k *layout.Kind, sch *schemas.Schema, path string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for key, e := range x {
			p := path + "." + key
			if key != "@odata.type" && readOnly(k, sch, p) {
				delete(x, key)
				continue
			}
			x[key] = stripReadOnly(k, sch, p, e)
		}
	case []any:
		for i, e := range x {
			x[i] = stripReadOnly(k, sch, path+"[]", e)
		}
	}
	return v
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func sortAny(a []any) {
	sort.SliceStable(a, func(i, j int) bool { return strings.ToLower(str(a[i])) < strings.ToLower(str(a[j])) })
}

func uniq(s []string) []string {
	if len(s) < 2 {
		return s
	}
	seen := map[string]bool{}
	out := s[:0:0]
	for _, x := range s {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
