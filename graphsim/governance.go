package graphsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Microsoft Entra ID Governance, Graph v1.0 (graphsim/doc.go, "Identity
// governance"):
//
//   - accessPackageCatalog (resources/accesspackagecatalog,
//     entitlementmanagement-post-catalogs, accesspackagecatalog-update,
//     accesspackagecatalog-delete): displayName required; catalogType is
//     Graph's (userManaged for a created catalog; the built-in "General"
//     catalog is serviceDefault and is neither changed nor deleted:
//     strict); state published or unpublished. A catalog that still holds
//     access packages is not deleted (400, strict: the page is silent).
//   - accessPackage (resources/accesspackage, entitlementmanagement-post-
//     accesspackages, accesspackage-update, accesspackage-delete): created
//     with displayName and catalog {id} (an existing catalog); catalog is a
//     navigation property: returned only with $expand=catalog, never moved
//     by PATCH (moveToCatalog is the documented way; not modelled: 400).
//     "You cannot delete an access package if it has any
//     accessPackageAssignment" (accesspackage-delete); one that still has
//     assignment policies is not deleted either (400, strict).
//   - accessPackageAssignmentPolicy (resources/accesspackageassignmentpolicy,
//     entitlementmanagement-post-assignmentpolicies,
//     accesspackageassignmentpolicy-update): created with displayName and
//     accessPackage {id}; accessPackage and catalog are navigation
//     properties (returned with $expand). Updated by PUT only, with
//     accessPackage {id} and displayName required (accesspackageassignment
//     policy-update); the PUT replaces the policy (a property it leaves out
//     is cleared); PATCH is refused (405, strict: only PUT is documented);
//     a PUT naming another access package is refused (400, strict). A
//     subject set naming a user, group or connected organization that does
//     not exist is refused (400, strict).
//   - connectedOrganization (resources/connectedorganization,
//     entitlementmanagement-post-connectedorganizations,
//     connectedorganization-update, -post-internalsponsors,
//     -post-externalsponsors): displayName and identitySources required on
//     create; identitySources cannot be changed by PATCH (400, strict: the
//     update page lists displayName, description and state only); state
//     configured or proposed; sponsors are $ref lists of users and groups.
//   - entitlementManagementSettings (resources/entitlementmanagementsettings,
//     entitlementmanagementsettings-update): a singleton every tenant has;
//     PATCH of externalUserLifecycleAction (none, blockSignIn,
//     blockSignInAndDelete) and durationUntilExternalUserDeletedAfterBlocked.
//   - accessReviewScheduleDefinition (resources/accessreviewschedule
//     definition, accessreviewset-post-definitions,
//     accessreviewscheduledefinition-update): created with displayName,
//     scope and settings (strict); status, createdBy and the times are
//     Graph's. Updated by PUT only (PATCH 405, strict); a PUT replaces
//     the definition, so it carries scope and instanceEnumerationScope
//     unchanged (the update page's example sends them; missing or changed
//     → 400, strict). A query naming "/users/{id}" or
//     "/groups/{id}..." of an object that does not exist is refused (400,
//     strict). Instances and decisions are not modelled.
//   - Permissions: EntitlementManagement.Read.All / ReadWrite.All and
//     AccessReview.Read.All / ReadWrite.All (permissions.json).

const (
	emCatalogKind  = "accessPackageCatalog"
	emPackageKind  = "accessPackage"
	emPolicyKind   = "accessPackageAssignmentPolicy"
	emConnOrgKind  = "connectedOrganization"
	emSettingsKind = "entitlementManagementSettings"
	arDefKind      = "accessReviewScheduleDefinition"

	// navPrefix holds a navigation property's target id inside the stored
	// object (never returned: a held property, hooks_appheld.go).
	navPrefix = heldPrefix + "nav:"
	// assignmentsProp counts an access package's assignments (seeded: the
	// assignments themselves are history, not modelled).
	assignmentsProp = heldPrefix + "assignments"
	// GeneralCatalogID is the built-in "General" catalog's id in every tenant.
	GeneralCatalogID = "d1f6c5b4-1c2a-4c3e-9a7b-0e5f0a6b7c01"
)

const emRoot = "identityGovernance/entitlementManagement/"

// governanceKinds are listed in kinds.go's catalog.
var governanceKinds = [...]*Kind{
	{
		Name: emCatalogKind, ODataType: "#microsoft.graph.accessPackageCatalog",
		Paths: []string{emRoot + "catalogs"}, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"id", "createdDateTime", "modifiedDateTime", "catalogType"},
		Required:   []string{"displayName"},
		Filterable: []string{"id", "displayName", "catalogType", "state"},
	},
	{
		Name: emPackageKind, ODataType: "#microsoft.graph.accessPackage",
		Paths: []string{emRoot + "accessPackages"}, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"id", "createdDateTime", "modifiedDateTime"},
		Required:   []string{"displayName", "catalog"},
		Filterable: []string{"id", "displayName"},
	},
	{
		Name: emPolicyKind, ODataType: "#microsoft.graph.accessPackageAssignmentPolicy",
		Paths: []string{emRoot + "assignmentPolicies"}, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"id", "createdDateTime", "modifiedDateTime", "catalog"},
		Required:   []string{"displayName", "accessPackage"},
		Filterable: []string{"id", "displayName"},
	},
	{
		Name: emConnOrgKind, ODataType: "#microsoft.graph.connectedOrganization",
		Paths: []string{emRoot + "connectedOrganizations"}, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"id", "createdDateTime", "modifiedDateTime"},
		CreateOnly: []string{"identitySources"},
		Required:   []string{"displayName", "identitySources"},
		Filterable: []string{"id", "displayName"},
		Links:      map[string][]string{"internalSponsors": {"user", "group"}, "externalSponsors": {"user", "group"}},
	},
	{
		Name: emSettingsKind, ODataType: "#microsoft.graph.entitlementManagementSettings",
		Paths: []string{emRoot + "settings"}, Singleton: true, Throttle: "directory",
		ReadOnly: []string{"id"},
	},
	{
		Name: arDefKind, ODataType: "#microsoft.graph.accessReviewScheduleDefinition",
		Paths: []string{"identityGovernance/accessReviews/definitions"}, Throttle: "directory", ReadCost: 1,
		ReadOnly:   []string{"id", "createdDateTime", "lastModifiedDateTime", "createdBy", "status"},
		CreateOnly: []string{"scope", "instanceEnumerationScope"},
		Required:   []string{"displayName", "scope", "settings"},
		Filterable: []string{"id", "displayName", "status"},
	},
}

// navs are the navigation properties of each kind that a write names by
// {id} and a read returns only with $expand, with the kind they name.
var navs = map[string]map[string]string{
	emPackageKind: {"catalog": emCatalogKind},
	emPolicyKind:  {"accessPackage": emPackageKind, "catalog": emCatalogKind},
}

// navName is the navigation property of kind k that e names.
func navName(k *Kind, e string) (string, bool) {
	for n := range navs[k.Name] {
		if strings.EqualFold(n, e) {
			return n, true
		}
	}
	return "", false
}

// navTarget is the record r's navigation property n names, nil if none.
// Callers hold t.mu.
func (s *Server) navTarget(r *record, n string) *record {
	id := str(r.get(navPrefix + n))
	if id == "" {
		return nil
	}
	return s.tenant.lookup(kindByName[navs[r.kind.Name][n]], id)
}

// takeNav moves body[n] ({id} of an existing object of the kind n names)
// into the stored navigation property.
func (s *Server) takeNav(k *Kind, body map[string]any, n string) (*record, *apiError) {
	m, _ := body[n].(map[string]any)
	id := str(m["id"])
	if id == "" {
		return nil, badRequest("A value is required for property 'id' of '%s'.", n)
	}
	target := s.tenant.lookup(kindByName[navs[k.Name][n]], id)
	if target == nil {
		return nil, errf(http.StatusNotFound, "ResourceNotFound", "The %s '%s' was not found.", n, id)
	}
	delete(body, n)
	body[navPrefix+n] = target.key()
	return target, nil
}

// seedNavs stores the navigation properties of an object seeded as a file
// holds it ({id}), as a create would.
func seedNavs(k *Kind, obj map[string]any) {
	for n := range navs[k.Name] {
		if m, ok := obj[n].(map[string]any); ok {
			obj[navPrefix+n] = str(m["id"])
			delete(obj, n)
		}
	}
}

var (
	catalogStates  = []string{"published", "unpublished"}
	connOrgStates  = []string{"configured", "proposed"}
	lifecycleActs  = []string{"none", "blockSignIn", "blockSignInAndDelete"}
	govDuration    = lazyRE(`^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$`)
	queryUserOrGrp = lazyRE(`(?i)^(?:/v1\.0|/beta)?/(users|groups)/([^/?]+)`)
)

func oneOf(body map[string]any, prop string, allowed []string) *apiError {
	if v, ok := body[prop]; ok && v != nil && !contains(allowed, str(v)) {
		return badRequest("Invalid value '%v' for property '%s': %s.", v, prop, strings.Join(allowed, ", "))
	}
	return nil
}

func (s *Server) stampGov(body map[string]any, modified string) {
	now := graphTime(s.tenant.now())
	body["createdDateTime"] = now
	body[modified] = now
}

// checkSubjects refuses subject sets naming objects that do not exist.
func (s *Server) checkSubjects(v any) *apiError {
	switch x := v.(type) {
	case map[string]any:
		for prop, kind := range map[string]string{"userId": "user", "groupId": "group", "connectedOrganizationId": emConnOrgKind} {
			if id := str(x[prop]); id != "" {
				if r := s.tenant.lookup(kindByName[kind], id); r == nil {
					return badRequest("The subject '%s' of %s does not exist.", id, prop)
				}
			}
		}
		for _, e := range x {
			if aerr := s.checkSubjects(e); aerr != nil {
				return aerr
			}
		}
	case []any:
		for _, e := range x {
			if aerr := s.checkSubjects(e); aerr != nil {
				return aerr
			}
		}
	}
	return nil
}

// checkQueries refuses access review queries naming a user or group that
// does not exist.
func (s *Server) checkQueries(v any) *apiError {
	switch x := v.(type) {
	case map[string]any:
		for p, e := range x {
			if q, ok := e.(string); ok && strings.HasSuffix(p, "query") {
				if m := queryUserOrGrp.FindStringSubmatch(q); m != nil {
					kind := "user"
					if strings.EqualFold(m[1], "groups") {
						kind = "group"
					}
					if s.tenant.lookup(kindByName[kind], m[2]) == nil {
						return badRequest("The query '%s' names no %s of this tenant.", q, kind)
					}
				}
				continue
			}
			if aerr := s.checkQueries(e); aerr != nil {
				return aerr
			}
		}
	case []any:
		for _, e := range x {
			if aerr := s.checkQueries(e); aerr != nil {
				return aerr
			}
		}
	}
	return nil
}

// referencing lists the live records of kind whose navigation n names id.
func (s *Server) referencing(kind, n, id string) []*record {
	var out []*record
	for _, r := range s.tenant.colls[kind].live() {
		if !r.gone && strings.EqualFold(str(r.get(navPrefix+n)), id) {
			out = append(out, r)
		}
	}
	return out
}

func init() {
	createHooks[emCatalogKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		if aerr := oneOf(body, "state", catalogStates); aerr != nil {
			return aerr
		}
		s.stampGov(body, "modifiedDateTime")
		body["catalogType"] = "userManaged"
		if _, ok := body["state"]; !ok {
			body["state"] = "published"
		}
		if _, ok := body["isExternallyVisible"]; !ok {
			body["isExternallyVisible"] = false
		}
		return nil
	}
	patchHooks[emCatalogKind] = func(s *Server, r *record, body map[string]any) *apiError {
		if str(r.get("catalogType")) != "userManaged" {
			return badRequest("The catalog '%s' is built in and cannot be modified.", r.key())
		}
		return oneOf(body, "state", catalogStates)
	}
	deleteHooks[emCatalogKind] = func(s *Server, r *record) *apiError {
		if str(r.get("catalogType")) != "userManaged" {
			return badRequest("The catalog '%s' is built in and cannot be deleted.", r.key())
		}
		if len(s.referencing(emPackageKind, "catalog", r.key())) > 0 {
			return badRequest("The catalog '%s' cannot be deleted because it contains access packages.", r.key())
		}
		return nil
	}
	createHooks[emPackageKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		if _, aerr := s.takeNav(kindByName[emPackageKind], body, "catalog"); aerr != nil {
			return aerr
		}
		s.stampGov(body, "modifiedDateTime")
		if _, ok := body["isHidden"]; !ok {
			body["isHidden"] = false
		}
		return nil
	}
	patchHooks[emPackageKind] = func(s *Server, r *record, body map[string]any) *apiError {
		if _, ok := body["catalog"]; ok {
			return badRequest("The catalog of an access package cannot be changed by an update; use moveToCatalog.")
		}
		return nil
	}
	deleteHooks[emPackageKind] = func(s *Server, r *record) *apiError {
		if n, _ := asInt(r.get(assignmentsProp)); n > 0 {
			return badRequest("The access package '%s' cannot be deleted because it has %d assignments. Remove the assignments first.", r.key(), n)
		}
		if len(s.referencing(emPolicyKind, "accessPackage", r.key())) > 0 {
			return badRequest("The access package '%s' cannot be deleted because it has assignment policies.", r.key())
		}
		return nil
	}
	createHooks[emPolicyKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		if aerr := s.checkPolicy(body); aerr != nil {
			return aerr
		}
		pkg, aerr := s.takeNav(kindByName[emPolicyKind], body, "accessPackage")
		if aerr != nil {
			return aerr
		}
		body[navPrefix+"catalog"] = pkg.get(navPrefix + "catalog")
		s.stampGov(body, "modifiedDateTime")
		return nil
	}
	patchHooks[emPolicyKind] = func(*Server, *record, map[string]any) *apiError {
		return methodNotAllowed() // PUT only (accesspackageassignmentpolicy-update)
	}
	createHooks[emConnOrgKind] = func(s *Server, _ *request, body map[string]any, _ *record) *apiError {
		if aerr := oneOf(body, "state", connOrgStates); aerr != nil {
			return aerr
		}
		if len(asSlice(body["identitySources"])) == 0 {
			return badRequest("A connected organization needs at least one identity source.")
		}
		s.stampGov(body, "modifiedDateTime")
		if _, ok := body["state"]; !ok {
			body["state"] = "configured"
		}
		return nil
	}
	patchHooks[emConnOrgKind] = func(s *Server, r *record, body map[string]any) *apiError {
		return oneOf(body, "state", connOrgStates)
	}
	patchHooks[emSettingsKind] = func(s *Server, r *record, body map[string]any) *apiError {
		if aerr := oneOf(body, "externalUserLifecycleAction", lifecycleActs); aerr != nil {
			return aerr
		}
		if v, ok := body["durationUntilExternalUserDeletedAfterBlocked"]; ok && !govDuration.MatchString(str(v)) {
			return badRequest("Invalid value '%v' for property 'durationUntilExternalUserDeletedAfterBlocked': an ISO 8601 duration.", v)
		}
		return nil
	}
	createHooks[arDefKind] = func(s *Server, req *request, body map[string]any, _ *record) *apiError {
		if aerr := s.checkQueries(body); aerr != nil {
			return aerr
		}
		s.stampGov(body, "lastModifiedDateTime")
		body["status"] = "NotStarted"
		body["createdBy"] = map[string]any{"id": "00000000-0000-0000-0000-000000000000", "displayName": "entrasnap", "userPrincipalName": ""}
		return nil
	}
	patchHooks[arDefKind] = func(*Server, *record, map[string]any) *apiError {
		return methodNotAllowed() // PUT only (accessreviewscheduledefinition-update)
	}
	putHooks[emPolicyKind] = func(s *Server, r *record, body map[string]any) *apiError {
		m, _ := body["accessPackage"].(map[string]any)
		if id := str(m["id"]); id == "" {
			return badRequest("A value is required for property 'accessPackage' of resource 'accessPackageAssignmentPolicy'.")
		} else if !strings.EqualFold(id, str(r.get(navPrefix+"accessPackage"))) {
			return badRequest("The access package of an assignment policy cannot be changed.")
		}
		delete(body, "accessPackage")
		if aerr := s.checkPolicy(body); aerr != nil {
			return aerr
		}
		for _, p := range []string{navPrefix + "accessPackage", navPrefix + "catalog"} {
			body[p] = r.get(p)
		}
		return nil
	}
	putHooks[arDefKind] = func(s *Server, r *record, body map[string]any) *apiError {
		// A PUT replaces the definition: it carries scope (and
		// instanceEnumerationScope where the definition has one) as they
		// are (accessreviewscheduledefinition-update's example; strict:
		// missing or changed → 400).
		for _, p := range []string{"scope", "instanceEnumerationScope"} {
			cur, has := r.prop(p)
			if !has || cur == nil {
				if v, ok := body[p]; ok && v != nil {
					return badRequest("Property '%s' of an access review definition cannot be updated.", p)
				}
				continue
			}
			v, ok := body[p]
			if !ok || v == nil {
				return badRequest("A value is required for property '%s' of resource 'accessReviewScheduleDefinition'.", p)
			}
			if !jsonEqual(v, cur) {
				return badRequest("Property '%s' of an access review definition cannot be updated.", p)
			}
		}
		return s.checkQueries(body)
	}
}

// checkPolicy validates what a policy's create or PUT names.
func (s *Server) checkPolicy(body map[string]any) *apiError {
	if aerr := oneOf(body, "allowedTargetScope", []string{"notSpecified", "specificDirectoryUsers", "specificConnectedOrganizationUsers",
		"specificDirectoryServicePrincipals", "allMemberUsers", "allDirectoryUsers", "allDirectoryServicePrincipals",
		"allConfiguredConnectedOrganizationUsers", "allExternalUsers"}); aerr != nil {
		return aerr
	}
	return s.checkSubjects(body)
}

// putHooks are the kinds Graph updates (replaces) by PUT of one entity,
// with their checks; PUT of other entities is refused (405).
var putHooks = map[string]func(s *Server, r *record, body map[string]any) *apiError{}

// putEntity replaces r by the PUT body: the properties it leaves out are
// cleared, Graph's read-only ones kept. Callers hold t.mu.
func (s *Server) putEntity(req *request, r *record) (*response, *apiError) {
	k := r.kind
	body, aerr := decodeBody(req.body)
	if aerr != nil {
		return nil, aerr
	}
	if typ := str(body["@odata.type"]); typ != "" && typ != k.ODataType {
		return nil, badRequest("Invalid @odata.type '%s' for this object.", typ)
	}
	delete(body, "@odata.type")
	for _, p := range k.ReadOnly { // Graph's own, kept (strict: refused when sent)
		if _, ok := body[p]; ok && p != "id" {
			return nil, badRequest(msgReadOnly, p)
		}
	}
	if id, ok := body["id"]; ok && !strings.EqualFold(str(id), r.key()) {
		return nil, badRequest(msgReadOnly, "id")
	}
	delete(body, "id")
	if aerr := validateDeclared(k.ODataType, body); aerr != nil {
		return nil, aerr
	}
	for _, p := range k.Required {
		if v, ok := body[p]; (!ok || v == nil) && p != "accessPackage" {
			return nil, badRequest("A value is required for property '%s' of resource '%s'.", p, resourceName(k))
		}
	}
	if aerr := putHooks[k.Name](s, r, body); aerr != nil {
		return nil, aerr
	}
	for _, p := range k.ReadOnly {
		if v, ok := r.prop(p); ok {
			body[p] = v
		}
	}
	body["id"] = r.get("id")
	for p, v := range r.o() {
		if isHeldProp(p) {
			if _, set := body[p]; !set {
				body[p] = v
			}
		}
	}
	for _, p := range []string{"modifiedDateTime", "lastModifiedDateTime"} {
		if _, ok := r.prop(p); ok {
			body[p] = graphTime(s.tenant.now())
		}
	}
	r.setObj(body)
	s.tenant.logChange(change{Kind: k.Name, ID: r.key(), Op: "upsert", Props: []string{"(put)"}})
	if k.Name == emPolicyKind { // accesspackageassignmentpolicy-update: 200 with the policy
		out := s.view(r, nil, false)
		out["@odata.context"] = s.metadata(req, k.Paths0()+"/$entity")
		return jsonResp(http.StatusOK, out), nil
	}
	return noContent(), nil // accessreviewscheduledefinition-update: 204
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// seedGovernanceDefaults stores what every tenant has: the entitlement
// management settings (entitlementmanagementsettings-get: external users
// blocked and deleted 30 days later) and the built-in "General" catalog.
func (g *generator) seedGovernanceDefaults() {
	g.seed(emSettingsKind, map[string]any{"id": "settings",
		"externalUserLifecycleAction": "blockSignInAndDelete", "durationUntilExternalUserDeletedAfterBlocked": "P30D"})
	now := graphTime(g.now)
	g.seed(emCatalogKind, map[string]any{"id": GeneralCatalogID, "displayName": "General",
		"description": "Built-in catalog.", "catalogType": "serviceDefault", "state": "published",
		"isExternallyVisible": true, "createdDateTime": now, "modifiedDateTime": now})
}

// demoGovernance is an identity governance set-up a mid-size company
// runs: a draft catalog and a catalog with two access packages (one with assignments, so
// Graph will not delete it), each with an assignment policy naming
// approvers, reviewers and allowed requestors, a connected partner
// organization with sponsors, and a quarterly access review of the
// Finance group.
func (g *generator) demoGovernance(people []*person, gr demoGroupRefs) {
	var staff, guests []string
	for _, p := range people {
		switch {
		case p.id == "" || p.disabled || p.synced:
		case p.guest:
			guests = append(guests, p.id)
		default:
			staff = append(staff, p.id)
		}
	}
	if len(staff) < 3 || gr.finance == "" {
		return
	}
	approver, fallback, sponsor := staff[0], staff[1], staff[2]
	// Ids derived from the tenant and the object's name, not drawn from the
	// tenant's sequence: objects created after generation keep their ids.
	id := func(name string) string { return derivedID(g.t.name + "/governance/" + name) }
	catalog := g.post(emCatalogKind, map[string]any{"id": id("Finance and partner access"), "displayName": "Finance and partner access",
		"description": "Access packages the Finance team and partners request", "isExternallyVisible": true, "state": "published"}, nil)
	// A draft catalog not published yet, with no access package.
	g.post(emCatalogKind, map[string]any{"id": id("Contractor onboarding"), "displayName": "Contractor onboarding",
		"description": "Draft: access for contractors, not published yet", "isExternallyVisible": false, "state": "unpublished"}, nil)
	org := g.post(emConnOrgKind, map[string]any{"id": id("Fabrikam"), "displayName": "Fabrikam", "description": "Audit partner",
		"identitySources": []any{map[string]any{"@odata.type": "#microsoft.graph.azureActiveDirectoryTenant",
			"tenantId": "3f4e9c1a-7b2d-4e8f-9a6c-5d1b2e3f4a5b", "displayName": "Fabrikam"}},
		"state": "configured"}, nil)
	g.link(emConnOrgKind, org, "internalSponsors", sponsor, false)
	if len(guests) > 0 {
		g.link(emConnOrgKind, org, "externalSponsors", guests[0], false)
	}
	finance := g.post(emPackageKind, map[string]any{"id": id("Finance tools"), "displayName": "Finance tools", "description": "Finance applications and shared sites",
		"isHidden": false, "catalog": map[string]any{"id": catalog}}, nil)
	if r := g.record(emPackageKind, finance); r != nil {
		r.o()[assignmentsProp] = 3 // delivered assignments: Graph refuses to delete the package
	}
	partner := g.post(emPackageKind, map[string]any{"id": id("Audit partner workspace"), "displayName": "Audit partner workspace", "description": "Workspace for Fabrikam's auditors",
		"isHidden": true, "catalog": map[string]any{"id": catalog}}, nil)
	user := func(id string) map[string]any {
		return map[string]any{"@odata.type": "#microsoft.graph.singleUser", "userId": id}
	}
	stage := func(days string) map[string]any {
		return map[string]any{"durationBeforeAutomaticDenial": days, "isApproverJustificationRequired": true, "isEscalationEnabled": false,
			"durationBeforeEscalation": "PT0S", "primaryApprovers": []any{user(approver)}, "fallbackPrimaryApprovers": []any{user(fallback)},
			"escalationApprovers": []any{}, "fallbackEscalationApprovers": []any{}}
	}
	g.post(emPolicyKind, map[string]any{"id": id("Finance staff request"), "displayName": "Finance staff request", "description": "Finance group members request, their manager approves",
		"allowedTargetScope":     "specificDirectoryUsers",
		"specificAllowedTargets": []any{map[string]any{"@odata.type": "#microsoft.graph.groupMembers", "groupId": gr.finance, "description": "Finance"}},
		"expiration":             map[string]any{"type": "afterDuration", "duration": "P365D"},
		"requestorSettings": map[string]any{"enableTargetsToSelfAddAccess": true, "enableTargetsToSelfUpdateAccess": true,
			"enableTargetsToSelfRemoveAccess": true, "allowCustomAssignmentSchedule": false, "enableOnBehalfRequestorsToAddAccess": false,
			"enableOnBehalfRequestorsToUpdateAccess": false, "enableOnBehalfRequestorsToRemoveAccess": false, "onBehalfRequestors": []any{}},
		"requestApprovalSettings": map[string]any{"isApprovalRequiredForAdd": true, "isApprovalRequiredForUpdate": false,
			"isRequestorJustificationRequired": true, "stages": []any{stage("P2D")}},
		"reviewSettings": map[string]any{"isEnabled": true, "expirationBehavior": "removeAccess", "isRecommendationEnabled": true,
			"isReviewerJustificationRequired": true, "isSelfReview": false,
			"schedule": map[string]any{"startDateTime": "2026-01-05T08:00:00Z", "expiration": map[string]any{"type": "afterDuration", "duration": "P14D"},
				"recurrence": map[string]any{"pattern": map[string]any{"type": "absoluteMonthly", "interval": 3, "dayOfMonth": 5},
					"range": map[string]any{"type": "noEnd", "startDate": "2026-01-05"}}},
			"primaryReviewers":  []any{map[string]any{"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": 1}},
			"fallbackReviewers": []any{user(fallback)}},
		"accessPackage": map[string]any{"id": finance}}, nil)
	g.post(emPolicyKind, map[string]any{"id": id("Fabrikam auditors request"), "displayName": "Fabrikam auditors request", "description": "Fabrikam users request; the sponsor approves",
		"allowedTargetScope": "specificConnectedOrganizationUsers",
		"specificAllowedTargets": []any{map[string]any{"@odata.type": "#microsoft.graph.connectedOrganizationMembers",
			"connectedOrganizationId": org, "description": "Fabrikam"}},
		"expiration": map[string]any{"type": "afterDuration", "duration": "P90D"},
		"requestorSettings": map[string]any{"enableTargetsToSelfAddAccess": true, "enableTargetsToSelfUpdateAccess": false,
			"enableTargetsToSelfRemoveAccess": true, "allowCustomAssignmentSchedule": false, "enableOnBehalfRequestorsToAddAccess": false,
			"enableOnBehalfRequestorsToUpdateAccess": false, "enableOnBehalfRequestorsToRemoveAccess": false, "onBehalfRequestors": []any{}},
		"requestApprovalSettings": map[string]any{"isApprovalRequiredForAdd": true, "isApprovalRequiredForUpdate": false,
			"isRequestorJustificationRequired": true, "stages": []any{stage("P3D")}},
		"accessPackage": map[string]any{"id": partner}}, nil)
	g.post(arDefKind, map[string]any{"id": id("Quarterly review of Finance members"), "displayName": "Quarterly review of Finance members",
		"descriptionForAdmins": "Finance group members are reviewed every quarter", "descriptionForReviewers": "Confirm who still needs Finance access",
		"scope":             map[string]any{"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/groups/" + gr.finance + "/transitiveMembers", "queryType": "MicrosoftGraph"},
		"reviewers":         []any{map[string]any{"query": "/users/" + approver, "queryType": "MicrosoftGraph"}},
		"fallbackReviewers": []any{map[string]any{"query": "/users/" + fallback, "queryType": "MicrosoftGraph"}},
		"settings": map[string]any{"mailNotificationsEnabled": true, "reminderNotificationsEnabled": true, "justificationRequiredOnApproval": true,
			"defaultDecisionEnabled": true, "defaultDecision": "Deny", "instanceDurationInDays": 14, "autoApplyDecisionsEnabled": true,
			"recommendationsEnabled": true, "decisionHistoriesForReviewersEnabled": false,
			"recurrence": map[string]any{"pattern": map[string]any{"type": "absoluteMonthly", "interval": 3, "dayOfMonth": 1},
				"range": map[string]any{"type": "noEnd", "startDate": "2026-01-01"}}}}, nil)
}

// SeedAssignments gives access package id n delivered assignments (the
// assignments themselves are not modelled): Graph then refuses to delete
// the package.
func (t *Tenant) SeedAssignments(id string, n int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.colls[emPackageKind].byKey[strings.ToLower(id)]
	if r == nil {
		return fmt.Errorf("graphsim: no access package %s", id)
	}
	r.o()[assignmentsProp] = n
	return nil
}
