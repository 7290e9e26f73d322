package bench

import (
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/graphsim"
)

// PIMGovernableGroups is the key of ComputeFloor's counts for the groups
// PIM for Groups can govern (security and Microsoft 365 groups, neither
// dynamic nor synchronized from on-premises); the other keys are graphsim
// kind names.
const PIMGovernableGroups = "pimGovernableGroup"

// MaxPage is the largest page Graph documents for directory lists and
// delta rounds ($top=999, Prefer: odata.maxpagesize=999; graph-semantics.md §2.1).
const MaxPage = 999

// FloorLine is one read of the floor: a collection read in maximum pages,
// or a relationship read once per parent object.
type FloorLine struct {
	Read     string `json:"read"`     // the request, e.g. "GET /users?$select=…&$top=999"
	Objects  int    `json:"objects"`  // objects (or parents) it covers
	Requests int    `json:"requests"` // pages, or one per parent
	UnitCost int    `json:"unitCost"` // resource units per request
	Units    int    `json:"units"`    // Requests × UnitCost
	Why      string `json:"why,omitempty"`
}

// Floor is the least a complete export can cost in Graph's directory
// resource units: every collection read in maximum pages at Graph's
// documented cost, computed from the tenant's counts.
type Floor struct {
	Lines    []FloorLine `json:"lines"`
	Requests int         `json:"requests"`
	Units    int         `json:"units"`
}

// Pages is the number of requests a list of n objects takes in pages of
// size: at least one (an empty list is still one answer).
func Pages(n, size int) int {
	if n <= 0 || size <= 0 {
		return 1
	}
	return (n + size - 1) / size
}

// UnitCost is a directory request's resource units as Graph documents them
// (learn:/graph/throttling-limits, graph-semantics.md §1.1): the
// endpoint's base cost, $select −1, $expand +1, $top below 20 −1, never
// below 1.
func UnitCost(base int, selected, expanded, smallTop bool) int {
	c := base
	if selected {
		c--
	}
	if expanded {
		c++
	}
	if smallTop {
		c--
	}
	return max(c, 1)
}

// ComputeFloor builds the floor for a tenant from its object counts, keyed
// by graphsim kind name ("user", "group", "application",
// "servicePrincipal", "administrativeUnit", "domain", ...). The reads are
// the cheapest complete pattern Graph documents for what entrasnap stores:
//
//   - users, applications, service principals, administrative units and the
//     small directory collections: one list in pages of 999 with $select
//     (GET users and GET applications cost 2, $select −1; anything else 1);
//   - groups with their members and owners: /groups/delta with
//     $select=…,members,owners in pages of 999 (1 unit a page; the
//     relationship comes as members@delta in the same pages; the floor
//     assumes no group is split across pages);
//   - application and service principal owners, a service principal's
//     appRoleAssignedTo: the list again with $select=id&$expand=… in pages
//     of 100 (base cost, $select −1, $expand +1). $expand shows at most 20
//     related objects (known issue 13635); the floor assumes no object has
//     20 or more (one that does is read on its own);
//   - a user's sponsors, an application's federated identity credentials
//     and extension properties, a service principal's delegated permission
//     classifications: the list with $select=id&$expand=… in pages of 100
//     likewise (relationships no $select gives; a full read needs them);
//   - an administrative unit's members and scoped role members: one
//     request per parent (1 unit with $select), as entrasnap reads them
//     (units are few), and a $batch item costs what the request costs;
//   - the delegated permission grants: one list of the whole tenant in
//     pages of 999 at GET oauth2PermissionGrants' cost, 2 (no $select);
//   - what token lifetime and app management policies apply to: one
//     request per policy;
//   - the other collections graphsim charges to the budget (contacts, user
//     flows, role management policies, ...): one list each in pages of 999;
//   - a cross-tenant partner's user synchronization policy: one request
//     per partner, 1 unit (a contained navigation: no $expand documented);
//   - singletons (organization, policies): one request each, 1 unit;
//   - PIM for Groups: each kind's schedules, one list per group PIM can
//     govern (counts[PIMGovernableGroups]). Graph requires the list to be
//     scoped to one group or one principal ("This method requires the
//     $filter (eq) query parameter to scope the request to a principalId or
//     a groupId", learn:/graph/api/privilegedaccessgroup-list-eligibilityschedules
//     and -assignmentschedules; groupId and principalId support eq only,
//     learn:/graph/api/resources/privilegedaccessgroupeligibilityschedule),
//     the schedule instances likewise, and no group navigation, delta or
//     $expand lists them: nothing cheaper than one request per group is
//     documented (a principal per request is more: users and groups). A
//     $batch item costs what the request costs. These resources are not
//     among those Graph lists under the identity and access limits
//     (learn:/graph/throttling-limits), and no other limit names them;
//     graphsim charges them to the directory budget at 1 unit each (any
//     other GET, no $select), the strict reading, and the floor counts
//     what graphsim charges;
//   - role management, entitlement management, access reviews and
//     lifecycle workflows: their lists, one request per parent where a
//     child has no documented $expand, and their two singletons, at 1 unit
//     (graphsim charges them to the directory budget, the strict reading
//     where Graph documents no limit of their own: graphsim/doc.go);
//   - authentication strength policies (under /policies), the
//     authentication methods policy (its method configurations inline),
//     the branding localizations and the certificate-based authentication
//     configuration: one list or GET each at 1 unit (graphsim charges them
//     to the directory budget, the strict reading: graphsim/doc.go); the
//     branding's images are not counted (one request per image set, which
//     the floor does not know), so the floor stays below what is needed;
//     feature rollout policies are delegated-only and not in an app's read;
//     API connectors and user flows' connections are opt-in (Graph reads
//     them only with a write permission) and not in a default export, so
//     the floor counts no read of them, though the large profile has them;
//   - Conditional Access reads, a strength's combinationConfigurations
//     included (read below /identity/conditionalAccess), are outside the
//     directory resource-unit budget (graphsim and Graph charge them to
//     Conditional Access's): 0.
func ComputeFloor(counts map[string]int) Floor {
	var f Floor
	add := func(read string, objects, requests, cost int, why string) {
		f.Lines = append(f.Lines, FloorLine{Read: read, Objects: objects, Requests: requests, UnitCost: cost, Units: requests * cost, Why: why})
	}
	list := func(path, kind string, base int) {
		n := counts[kind]
		add("GET "+path+"?$select=…&$top=999", n, Pages(n, MaxPage), UnitCost(base, true, false, false), "")
	}
	expand := func(path, kind, rel string, base int) {
		if n := counts[kind]; n > 0 {
			add("GET "+path+"?$select=id&$expand="+rel+"&$top=100", n, Pages(n, 100), UnitCost(base, true, true, false), rel+": at most 20 shown per object")
		}
	}
	perParent := func(path, kind string) {
		if n := counts[kind]; n > 0 {
			add("GET "+path+"?$select=…", n, n, UnitCost(1, true, false, false), "one request per parent")
		}
	}
	list("/users", "user", 2)
	// A user's sponsors are a relationship: no $select of the list gives
	// them. The users list again with $select=id&$expand=sponsors, 100 a
	// page (GET users costs 2, $select −1, $expand +1): what a full read
	// needs, whatever tracks changes later.
	expand("/users", "user", "sponsors", 2)
	n := counts["group"]
	add("GET /groups/delta?$select=…,members,owners", n, Pages(n, MaxPage), UnitCost(1, true, false, false), "members and owners in the same pages")
	list("/applications", "application", 2)
	expand("/applications", "application", "owners", 2)
	// An application's federated identity credentials and extension
	// properties: its list with $expand, as its owners.
	expand("/applications", "application", "federatedIdentityCredentials", 2)
	expand("/applications", "application", "extensionProperties", 2)
	// The service principals' delegated grants, from the whole tenant's
	// list: GET oauth2PermissionGrants costs 2 (learn:/graph/throttling-limits,
	// graph-semantics.md §1.1), pages of 999; no $select is counted, as the
	// list's page documents none.
	ng := counts["oAuth2PermissionGrant"]
	add("GET /oauth2PermissionGrants?$top=999", ng, Pages(ng, MaxPage), UnitCost(2, false, false, false), "service principals' delegated grants, whole tenant")
	list("/servicePrincipals", "servicePrincipal", 1)
	expand("/servicePrincipals", "servicePrincipal", "owners", 1)
	expand("/servicePrincipals", "servicePrincipal", "appRoleAssignedTo", 1)
	expand("/servicePrincipals", "servicePrincipal", "delegatedPermissionClassifications", 1)
	list("/directory/administrativeUnits", "administrativeUnit", 1)
	perParent("/directory/administrativeUnits/{id}/members", "administrativeUnit")
	perParent("/directory/administrativeUnits/{id}/scopedRoleMembers", "administrativeUnit")
	list("/domains", "domain", 1)
	list("/directoryRoles", "directoryRole", 1)
	list("/policies/tokenLifetimePolicies", "tokenLifetimePolicy", 1)
	list("/policies/claimsMappingPolicies", "claimsMappingPolicy", 1)
	list("/groupSettings", "groupSetting", 1)
	list("/policies/tokenIssuancePolicies", "tokenIssuancePolicy", 1)
	list("/policies/homeRealmDiscoveryPolicies", "homeRealmDiscoveryPolicy", 1)
	list("/policies/activityBasedTimeoutPolicies", "activityBasedTimeoutPolicy", 1)
	list("/policies/permissionGrantPolicies", "permissionGrantPolicy", 1)
	// The policies' targets: one read per policy (Graph documents no
	// $expand of appliesTo on these lists).
	perParent("/policies/tokenLifetimePolicies/{id}/appliesTo", "tokenLifetimePolicy")
	perParent("/policies/appManagementPolicies/{id}/appliesTo", "appManagementPolicy")
	perParent("/policies/permissionGrantPolicies/{id}/includes", "permissionGrantPolicy")
	perParent("/policies/permissionGrantPolicies/{id}/excludes", "permissionGrantPolicy")
	list("/policies/appManagementPolicies", "appManagementPolicy", 1)
	list("/policies/crossTenantAccessPolicy/partners", "crossTenantAccessPolicyConfigurationPartner", 1)
	// A partner's cross-tenant user synchronization policy is a contained
	// navigation its GET does not return and no $expand of the list is
	// documented (crosstenantidentitysyncpolicypartner-get): one read per
	// partner, 404 for one without a policy, and graphsim charges both.
	if n := counts["crossTenantAccessPolicyConfigurationPartner"]; n > 0 {
		add("GET /policies/crossTenantAccessPolicy/partners/{id}/identitySynchronization", n, n, UnitCost(1, false, false, false), "one request per partner: a contained navigation (404 when none)")
	}
	// Collections that draw on the same budget and that a full read lists
	// (one page each at these tenants' sizes; graphsim charges them, the
	// strict reading where Graph's list of covered resources is silent).
	list("/contacts", "orgContact", 1)
	list("/groupLifecyclePolicies", "groupLifecyclePolicy", 1)
	list("/directory/attributeSets", "attributeSet", 1)
	list("/directory/customSecurityAttributeDefinitions", "customSecurityAttributeDefinition", 1)
	list("/identity/identityProviders", "identityProviderBase", 1)
	list("/identity/userFlowAttributes", "identityUserFlowAttribute", 1)
	list("/identity/customAuthenticationExtensions", "customAuthenticationExtension", 1)
	list("/identity/b2xUserFlows", "b2xIdentityUserFlow", 1)
	list("/policies/roleManagementPolicies", "unifiedRoleManagementPolicy", 1)
	list("/policies/roleManagementPolicyAssignments", "unifiedRoleManagementPolicyAssignment", 1)
	for _, s := range []string{"/policies/externalIdentitiesPolicy", "/organization", "/policies/authorizationPolicy", "/policies/identitySecurityDefaultsEnforcementPolicy",
		"/policies/crossTenantAccessPolicy", "/policies/crossTenantAccessPolicy/default", "/policies/adminConsentRequestPolicy",
		"/policies/defaultAppManagementPolicy", "/policies/authenticationFlowsPolicy", "/policies/deviceRegistrationPolicy"} {
		add("GET "+s, 1, 1, 1, "singleton")
	}
	if n := counts[PIMGovernableGroups]; n > 0 {
		for _, path := range []string{"/identityGovernance/privilegedAccess/group/eligibilitySchedules", "/identityGovernance/privilegedAccess/group/assignmentSchedules"} {
			add("GET "+path+"?$filter=groupId eq '{id}'", n, n, UnitCost(1, false, false, false), "one request per group PIM can govern: Graph requires the groupId (or principalId) filter")
		}
	}
	// Role management, entitlement management, access reviews and
	// lifecycle workflows: graphsim charges them to the directory budget at
	// 1 unit a request (Graph documents no limit of their own: the strict
	// reading, as for PIM for Groups). One list each; the activations are
	// one filtered list of the schedule instances; a catalog's resources,
	// a connected organization's two sponsor lists and a workflow's tasks
	// one request per parent (no $expand of them is documented); an access
	// package's role scopes its GET with $expand (1 unit, +1).
	list("/roleManagement/directory/roleDefinitions", "unifiedRoleDefinition", 1)
	list("/roleManagement/directory/roleAssignments", "unifiedRoleAssignment", 1)
	list("/roleManagement/directory/roleEligibilitySchedules", "unifiedRoleEligibilitySchedule", 1)
	list("/roleManagement/directory/roleAssignmentSchedules", "unifiedRoleAssignmentSchedule", 1)
	add("GET /roleManagement/directory/roleAssignmentScheduleInstances?$filter=assignmentType eq 'Activated'", 0, 1, 1, "the activations, left out of the assignments")
	list("/identityGovernance/entitlementManagement/catalogs", "accessPackageCatalog", 1)
	perParent("/identityGovernance/entitlementManagement/catalogs/{id}/resources", "accessPackageCatalog")
	list("/identityGovernance/entitlementManagement/accessPackages", "accessPackage", 1)
	if n := counts["accessPackage"]; n > 0 {
		add("GET /identityGovernance/entitlementManagement/accessPackages/{id}?$expand=resourceRoleScopes($expand=role,scope)", n, n, UnitCost(1, false, true, false), "one request per package: the list expands catalog only")
	}
	list("/identityGovernance/entitlementManagement/assignmentPolicies", "accessPackageAssignmentPolicy", 1)
	list("/identityGovernance/entitlementManagement/connectedOrganizations", "connectedOrganization", 1)
	perParent("/identityGovernance/entitlementManagement/connectedOrganizations/{id}/internalSponsors", "connectedOrganization")
	perParent("/identityGovernance/entitlementManagement/connectedOrganizations/{id}/externalSponsors", "connectedOrganization")
	list("/identityGovernance/accessReviews/definitions", "accessReviewScheduleDefinition", 1)
	list("/identityGovernance/lifecycleWorkflows/customTaskExtensions", "identityGovernance.customTaskExtension", 1)
	list("/identityGovernance/lifecycleWorkflows/workflows", "identityGovernance.workflow", 1)
	perParent("/identityGovernance/lifecycleWorkflows/workflows/{id}/tasks", "identityGovernance.workflow")
	for _, s := range []string{"/identityGovernance/entitlementManagement/settings", "/identityGovernance/lifecycleWorkflows/settings"} {
		add("GET "+s, 1, 1, 1, "singleton")
	}
	// Authentication policies, branding and certificate-based
	// authentication: the directory budget at 1 unit (graphsim/doc.go).
	list("/policies/authenticationStrengthPolicies", "authenticationStrengthPolicy", 1)
	add("GET /policies/authenticationMethodsPolicy", 1, 1, 1, "singleton, its method configurations inline")
	list("/organization/{id}/branding/localizations", "organizationalBrandingLocalization", 1)
	list("/organization/{id}/certificateBasedAuthConfiguration", "certificateBasedAuthConfiguration", 1)
	for _, s := range []string{"/identity/conditionalAccess/policies", "/identity/conditionalAccess/namedLocations",
		"/identity/conditionalAccess/authenticationStrength/policies/{id}/combinationConfigurations"} {
		add("GET "+s, 0, 0, 0, "outside the directory resource-unit budget")
	}
	sort.SliceStable(f.Lines, func(i, j int) bool { return f.Lines[i].Units > f.Lines[j].Units })
	for _, l := range f.Lines {
		f.Requests += l.Requests
		f.Units += l.Units
	}
	return f
}

// ReadRate is the directory read budget per second for an app in a tenant
// of users users: 3,500 (<50), 5,000 (50–500) or 8,000 (>500) resource
// units per 10 s (graph-semantics.md §1.1).
func ReadRate(users int) float64 {
	switch {
	case users < 50:
		return 350
	case users <= 500:
		return 500
	default:
		return 800
	}
}

// WriteRate is the write budget per second of one app in one tenant:
// 3,000 writes per 2 min 30 s (graph-semantics.md §1.1); the tenant-wide
// 18,000 per 5 min is higher.
const WriteRate = 3000.0 / 150

// CARate is Conditional Access's budget: 1 request per second per tenant
// (graph-semantics.md §1.2).
const CARate = 1.0

// BudgetBound is the least time a run can take under Graph's budgets:
// the longest of its resource units at the read rate, its writes at the
// write rate and its Conditional Access requests at theirs, in seconds.
func BudgetBound(users int, units, writes, caRequests int64) float64 {
	return max(float64(units)/ReadRate(users), float64(writes)/WriteRate, float64(caRequests)/CARate)
}

// Spend is what one path cost in a run next to what the floor counts for
// it: the requests and resource units graphsim recorded for the path (all
// methods, $batch items counted one by one) and the floor's lines for the
// same path (a list and its $expand read are two lines of one path).
type Spend struct {
	Path          string `json:"path"`
	Requests      int    `json:"requests"`
	Units         int    `json:"units"`
	FloorRequests int    `json:"floorRequests"`
	FloorUnits    int    `json:"floorUnits"`
}

// Breakdown sets a run's per-endpoint stats beside the floor, one Spend per
// path either of them has (the $batch envelopes, which cost nothing of
// their own, left out), the largest excess over the floor first.
func Breakdown(endpoints []graphsim.EndpointStats, f Floor) []Spend {
	by := map[string]*Spend{}
	get := func(path string) *Spend {
		s := by[path]
		if s == nil {
			s = &Spend{Path: path}
			by[path] = s
		}
		return s
	}
	var patterns []string // floor paths with {id} segments
	for _, l := range f.Lines {
		path, _, _ := strings.Cut(strings.TrimPrefix(l.Read, "GET "), "?")
		if strings.HasSuffix(path, "/*") || l.Requests == 0 {
			continue // outside the budget: nothing to set beside
		}
		s := get(path)
		s.FloorRequests += l.Requests
		s.FloorUnits += l.Units
		if strings.Contains(path, "{id}") {
			patterns = append(patterns, path)
		}
	}
	for _, e := range endpoints {
		if e.Path == "/$batch" {
			continue
		}
		path := e.Path
		for _, p := range patterns {
			if samePattern(p, path) {
				path = p // graphsim keeps ids that do not look like one (microsoft-user-default-low)
				break
			}
		}
		s := get(path)
		s.Requests += e.Requests
		s.Units += e.ResourceUnits
	}
	out := make([]Spend, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := out[i].Units-out[i].FloorUnits, out[j].Units-out[j].FloorUnits
		if di != dj {
			return di > dj
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// samePattern tells whether path matches pattern, whose {id} segments
// match any one segment.
func samePattern(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] != xs[i] && ps[i] != "{id}" {
			return false
		}
	}
	return true
}
