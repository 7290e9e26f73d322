package check

import (
	"sort"
	"strings"
	"testing"
)

// Identity governance references resolve: an access package's catalog, an
// assignment policy's access package and the users, groups and connected
// organizations its subject sets name, a connected organization's
// sponsors, and the users and groups an access review's query strings
// name ("/groups/{id}/transitiveMembers"). Each one naming nothing is
// reported at its property; the ones that resolve are not.
func TestGovernanceReferencesResolve(t *testing.T) {
	r := newCheckRepo(t)
	const (
		user, group, cat, pkg = "0b000000-0000-4000-8000-0000000000a1", "0b000000-0000-4000-8000-0000000000b1", "0b000000-0000-4000-8000-0000000000c1", "0b000000-0000-4000-8000-0000000000d1"
		org, gone             = "0b000000-0000-4000-8000-0000000000e1", "0b000000-0000-4000-8000-00000000dead"
	)
	files, add := objectFiles(t)
	add("users", map[string]any{"id": user, "userPrincipalName": "a@contoso.com", "displayName": "A"})
	add("groups", map[string]any{"id": group, "displayName": "Finance"})
	add("access-package-catalogs", map[string]any{"id": cat, "displayName": "Catalog \u202e", "catalogType": "userManaged"})
	add("access-packages", map[string]any{"id": pkg, "displayName": "Package", "catalog": map[string]any{"id": cat}})
	po := add("connected-organizations", map[string]any{"id": org, "displayName": "Fabrikam",
		"internalSponsors": []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": user}},
		"externalSponsors": []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": gone}}})
	subject := func(typ, prop, id string) map[string]any {
		return map[string]any{"@odata.type": "#microsoft.graph." + typ, prop: id}
	}
	ppol := add("access-package-assignment-policies", map[string]any{"id": "0b000000-0000-4000-8000-0000000000f1", "displayName": "Policy",
		"accessPackage":          map[string]any{"id": pkg},
		"specificAllowedTargets": []any{subject("connectedOrganizationMembers", "connectedOrganizationId", org), subject("groupMembers", "groupId", gone)},
		"requestApprovalSettings": map[string]any{"stages": []any{map[string]any{
			"primaryApprovers":         []any{subject("singleUser", "userId", user), subject("requestorManager", "managerLevel", "")},
			"fallbackPrimaryApprovers": []any{subject("singleUser", "userId", gone)}}}}})
	pr := add("access-review-definitions", map[string]any{"id": "0b000000-0000-4000-8000-0000000000f2", "displayName": "Review",
		"scope":     map[string]any{"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/groups/" + group + "/transitiveMembers", "queryType": "MicrosoftGraph"},
		"reviewers": []any{map[string]any{"query": "/users/" + gone, "queryType": "MicrosoftGraph"}, map[string]any{"query": "/groups/" + group + "/owners", "queryType": "MicrosoftGraph"}}})
	rep := checkSnapshot(t, r, files, "snapshot/1")
	got := dangling(rep, func(is Issue) string { return is.File + " " + is.Property + " " + strings.Fields(is.Message)[0] })
	sort.Strings(got)
	want := []string{
		po + " externalSponsors[0].id " + gone,
		ppol + " requestApprovalSettings.stages[0].fallbackPrimaryApprovers[0].userId " + gone,
		ppol + " specificAllowedTargets[1].groupId " + gone,
		pr + " reviewers[0].query " + gone,
	}
	sort.Strings(want)
	sameLines(t, "unresolved references", got, want, rep)
}

// A catalog's resources and an access package's resource role scopes name
// groups and service principals by originId (a group role by Member_{id}
// or Owner_{id}), each checked where the originSystem says so; a site's
// URL and an application role's id name no object. One that names nothing
// is a warning: Graph keeps it while its object is in deleted items.
func TestCatalogResourceReferencesResolve(t *testing.T) {
	r := newCheckRepo(t)
	const (
		group, sp, cat, pkg = "0b000000-0000-4000-8000-0000000001b1", "0b000000-0000-4000-8000-0000000001b2", "0b000000-0000-4000-8000-0000000001c1", "0b000000-0000-4000-8000-0000000001d1"
		gone, goneSP        = "0b000000-0000-4000-8000-00000000dea1", "0b000000-0000-4000-8000-00000000dea2"
		appRole             = "0b000000-0000-4000-8000-0000000001e1"
	)
	files, add := objectFiles(t)
	add("groups", map[string]any{"id": group, "displayName": "Finance"})
	add("service-principals", map[string]any{"id": sp, "appId": "0b000000-0000-4000-8000-0000000001f1", "displayName": "HR"})
	res := func(system, origin string) map[string]any {
		return map[string]any{"id": "r-" + origin, "originSystem": system, "originId": origin, "displayName": "x\u202e"}
	}
	pc := add("access-package-catalogs", map[string]any{"id": cat, "displayName": "Catalog", "catalogType": "userManaged",
		"resources": []any{res("AadGroup", group), res("AadApplication", goneSP), res("SharePointOnline", "https://contoso.sharepoint.com/sites/x"), res("AadGroup", gone)}})
	rs := func(id, system, role, scope string) map[string]any {
		return map[string]any{"id": id, "role": map[string]any{"originSystem": system, "originId": role}, "scope": map[string]any{"originSystem": system, "originId": scope}}
	}
	pp := add("access-packages", map[string]any{"id": pkg, "displayName": "Package", "catalog": map[string]any{"id": cat},
		"resourceRoleScopes": []any{rs("a", "AadGroup", "Member_"+group, group), rs("b", "AadGroup", "Owner_"+gone, gone),
			rs("c", "AadApplication", appRole, sp), rs("d", "SharePointOnline", "4", "https://contoso.sharepoint.com/sites/x")}})
	rep := checkSnapshot(t, r, files, "snapshot/1")
	// Graph keeps a resource or role scope while its group or service
	// principal is in deleted items: a warning that says so, not an error.
	got := dangling(rep, func(is Issue) string {
		if is.Severity != SevWarning || !strings.Contains(is.Message, "in deleted items") {
			return "not a deleted-items warning: " + is.File + " " + is.Property + ": " + is.Message
		}
		return is.File + " " + is.Property
	})
	sort.Strings(got)
	want := []string{
		pc + " resources[1].originId",
		pc + " resources[3].originId",
		pp + " resourceRoleScopes[1].role.originId",
		pp + " resourceRoleScopes[1].scope.originId",
	}
	sort.Strings(want)
	sameLines(t, "unresolved references", got, want, rep)
}
