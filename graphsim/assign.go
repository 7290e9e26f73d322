package graphsim

import (
	"net/http"
	"sort"
	"strings"
)

// Policy assignments of applications and service principals (issue 13):
// the token lifetime, token issuance, claims mapping, home realm discovery
// and app management policies an application or service principal has.
//
// Graph writes an assignment on the application's or service principal's
// side only, as a $ref of a navigation collection, and reads it from either
// side (v1.0):
//
//   - applications: tokenLifetimePolicies (application-post-tokenlifetimepolicies:
//     "can assign only one tokenLifetimePolicy per application"),
//     tokenIssuancePolicies (application-post-tokenissuancepolicies) and
//     appManagementPolicies (appmanagementpolicy-post-appliesto: "Only one
//     policy object can be assigned to an application or service principal").
//   - service principals: tokenLifetimePolicies
//     (serviceprincipal-post-tokenlifetimepolicies: one per service
//     principal), claimsMappingPolicies (serviceprincipal-post-claimsmappingpolicies)
//     and homeRealmDiscoveryPolicies (serviceprincipal-post-homerealmdiscoverypolicies).
//     v1.0 has no write of a service principal's appManagementPolicies or
//     tokenIssuancePolicies (no $ref in the v1.0 CSDL's request builders nor
//     a row in permissions.json): graphsim does not serve them.
//   - GET /policies/{kind}/{id}/appliesTo lists the applications and service
//     principals a policy is assigned to (tokenlifetimepolicy-list-appliesto,
//     claimsmappingpolicy-list-appliesto, ...); it is read-only (no $ref
//     write on the policy's side in v1.0).
//
// One policy of a kind per object: documented for token lifetime and app
// management policies; graphsim applies it to token issuance, claims
// mapping and home realm discovery policies too (strict reading). A second
// one is refused with 400 (the text is graphsim's: Graph's is not
// documented); adding the same one again is the usual "already exist" 400.
//
// Permissions (application): the writes need an application permission and
// a policy permission together (application-post-tokenlifetimepolicies:
// "Application.ReadWrite.OwnedBy and Policy.Read.All", ...; an app
// management policy: "Application.Read.All and
// Policy.ReadWrite.ApplicationConfiguration"); appliesTo needs
// "Policy.Read.All and Application.Read.All" (or Directory.Read.All).
// permissions.json lists the app management policy's DELETE without the
// policy's id (/applications/{id}/appManagementPolicies); the documented
// request (appmanagementpolicy-delete-appliesto) is
// DELETE /applications/{id}/appManagementPolicies/{policyId}/$ref and is
// looked up as that row (permPath).

// policyLinks are, per kind, the assignment relationships and the policy
// kind each holds.
var policyLinks = map[string]map[string]string{
	"application": {
		"tokenLifetimePolicies": "tokenLifetimePolicy",
		"tokenIssuancePolicies": "tokenIssuancePolicy",
		"appManagementPolicies": "appManagementPolicy",
	},
	"servicePrincipal": {
		"tokenLifetimePolicies":      "tokenLifetimePolicy",
		"claimsMappingPolicies":      "claimsMappingPolicy",
		"homeRealmDiscoveryPolicies": "homeRealmDiscoveryPolicy",
	},
}

// assignedPolicyKinds are the policy kinds with appliesTo.
var assignedPolicyKinds = map[string]bool{
	"tokenLifetimePolicy": true, "tokenIssuancePolicy": true, "appManagementPolicy": true,
	"claimsMappingPolicy": true, "homeRealmDiscoveryPolicy": true,
}

func init() {
	for kn, rels := range policyLinks {
		k := kindByName[kn]
		if k.Links == nil {
			k.Links = map[string][]string{}
		}
		for rel, pk := range rels {
			k.Links[rel] = []string{pk}
		}
	}
}

// isPolicyLink reports whether rel of kind k is a policy assignment.
func isPolicyLink(k *Kind, rel string) bool {
	_, ok := policyLinks[k.Name][rel]
	return ok
}

// routeAppliesTo routes {policy}/appliesTo.
func routeAppliesTo(k *Kind, rt *route, rest []string, tmpl string) (*route, bool) {
	if !assignedPolicyKinds[k.Name] || len(rest) != 1 || !strings.EqualFold(rest[0], "appliesTo") {
		return nil, false
	}
	rt.rel, rt.special, rt.template = "appliesTo", "appliesTo", tmpl+"/appliesTo"
	return rt, true
}

// appliesTo lists the applications and service principals the policy is
// assigned to, in the order they were created.
func (s *Server) appliesTo(req *request, rt *route) (*response, *apiError) {
	if req.method != http.MethodGet {
		return nil, methodNotAllowed()
	}
	t := s.tenant
	t.mu.RLock()
	defer t.mu.RUnlock()
	p := s.find(rt)
	if p == nil {
		return nil, notFound(rt.key)
	}
	id := p.key()
	var recs []*record
	for _, kn := range []string{"application", "servicePrincipal"} {
		for rel, pk := range policyLinks[kn] {
			if pk != p.kind.Name {
				continue
			}
			for _, r := range t.colls[kn].live() {
				if !r.gone && r.links.list(rel).containsFold(id) {
					recs = append(recs, r)
				}
			}
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].seq < recs[j].seq })
	return s.page(req, listSpec{recs: recs, context: "directoryObjects", withType: true})
}

// checkPolicyLimit refuses a second policy of a kind on r. Callers hold t.mu.
func (s *Server) checkPolicyLimit(r *record, rel string) *apiError {
	if !isPolicyLink(r.kind, rel) {
		return nil
	}
	for _, id := range r.links.list(rel).all() {
		if s.tenant.dirObject(id) != nil {
			return badRequest("The %s already has a policy of type %s assigned; only one can be assigned.", r.kind.Name, policyLinks[r.kind.Name][rel])
		}
	}
	return nil
}

// assignmentRequired are the permissions a policy assignment call needs
// beyond the table's row (see above); nil for other calls.
func assignmentRequired(req *request, rt *route) [][]string {
	if rt.kind == nil {
		return nil
	}
	if rt.special == "appliesTo" {
		policy := []string{"Policy.Read.All", "Policy.ReadWrite.ApplicationConfiguration"}
		app := []string{"Application.Read.All", "Application.ReadWrite.All"}
		if rt.kind.Name != "appManagementPolicy" { // appmanagementpolicy-list-appliesto lists no Directory.Read.All
			policy = append(policy, "Directory.Read.All", "Directory.ReadWrite.All")
			app = append(app, "Directory.Read.All", "Directory.ReadWrite.All")
		}
		return [][]string{policy, app}
	}
	if rt.special != "" || !isPolicyLink(rt.kind, rt.rel) || req.method == http.MethodGet {
		return nil
	}
	if rt.rel == "appManagementPolicies" {
		return [][]string{{"Application.Read.All", "Application.ReadWrite.All"}, {"Policy.ReadWrite.ApplicationConfiguration"}}
	}
	return [][]string{{"Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"}, {"Policy.Read.All", "Policy.ReadWrite.ApplicationConfiguration"}}
}

// permPath is the path whose permission-table row covers a call: the
// documented DELETE of an app management policy assignment is looked up as
// permissions.json's row without the policy's id.
func permPath(method, path string) string {
	if p, ok := userFlowPermPath(method, path); ok { // external.go
		return p
	}
	if method != http.MethodDelete {
		return path
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	// applications/{id}/appManagementPolicies/{policyId}/$ref
	if len(segs) == 5 && strings.EqualFold(segs[0], "applications") && strings.EqualFold(segs[2], "appManagementPolicies") && segs[4] == "$ref" {
		return "/" + strings.Join(segs[:3], "/")
	}
	return path
}

// demoPolicyAssignments gives the demo tenant's policies their
// applications and service principals: the token lifetime policy an
// application and a service principal, the claims mapping policy the HR
// portal's service principal, the token issuance policy its application,
// the home realm discovery policy a service principal, the app management
// policy every other line-of-business application.
func (g *generator) demoPolicyAssignments(apps []app) {
	if len(apps) < 2 || g.err != nil {
		return
	}
	first := func(kind string) string {
		for _, r := range g.t.colls[kind].live() {
			if !r.gone {
				return r.key()
			}
		}
		return ""
	}
	hr := apps[0]
	for _, a := range apps {
		if strings.Contains(a.name, "HR Portal") {
			hr = a
		}
	}
	other := apps[1]
	if other.id == hr.id {
		other = apps[0]
	}
	tl := first("tokenLifetimePolicy")
	g.link("application", other.id, "tokenLifetimePolicies", tl, false)
	g.link("servicePrincipal", hr.spID, "tokenLifetimePolicies", tl, false)
	g.link("servicePrincipal", hr.spID, "claimsMappingPolicies", first("claimsMappingPolicy"), false)
	g.link("application", hr.id, "tokenIssuancePolicies", first("tokenIssuancePolicy"), false)
	g.link("servicePrincipal", other.spID, "homeRealmDiscoveryPolicies", first("homeRealmDiscoveryPolicy"), false)
	amp := first("appManagementPolicy")
	for i, a := range apps {
		if i%2 == 0 {
			g.link("application", a.id, "appManagementPolicies", amp, false)
		}
	}
}

// largePolicyAssignments gives the large tenant a token lifetime policy
// assigned to every tenth line-of-business application's service principal
// and an app management policy assigned to every fifth application: a few
// policies, many assignments (what the export reads per policy).
func (g *generator) largePolicyAssignments(apps []app) {
	if len(apps) == 0 || g.err != nil {
		return
	}
	tl := g.post("tokenLifetimePolicy", map[string]any{
		"displayName":           "Line-of-business APIs: 4-hour access tokens",
		"definition":            strList(`{"TokenLifetimePolicy":{"Version":1,"AccessTokenLifetime":"04:00:00"}}`),
		"isOrganizationDefault": false,
	}, nil)
	amp := g.post("appManagementPolicy", map[string]any{
		"displayName": "Line-of-business apps: secrets of at most 180 days", "isEnabled": true,
		"restrictions": map[string]any{"passwordCredentials": []any{map[string]any{"restrictionType": "passwordLifetime",
			"state": "enabled", "maxLifetime": "P180D", "restrictForAppsCreatedAfterDateTime": "2024-01-01T00:00:00Z"}}, "keyCredentials": []any{}},
	}, nil)
	for i, a := range apps {
		if i%10 == 0 {
			g.link("servicePrincipal", a.spID, "tokenLifetimePolicies", tl, false)
		}
		if i%5 == 0 {
			g.link("application", a.id, "appManagementPolicies", amp, false)
		}
	}
}
