package graphsim

// Feature rollout (staged rollout) policies (graphsim/doc.go, "Feature
// rollout policies"):
//
//   - GET/POST /policies/featureRolloutPolicies, GET/PATCH/DELETE .../{id}
//     (featurerolloutpolicies-list, featurerolloutpolicies-post,
//     featurerolloutpolicy-get, featurerolloutpolicy-update,
//     featurerolloutpolicy-delete). displayName, feature and isEnabled are
//     required on create; feature is one of stagedFeatureName
//     (resources/featurerolloutpolicy, the v1.0 CSDL).
//   - appliesTo: POST .../{id}/appliesTo/$ref with a directoryObjects
//     @odata.id, DELETE .../{id}/appliesTo/{objectId}/$ref
//     (featurerolloutpolicy-post-appliesto,
//     featurerolloutpolicy-delete-appliesto); read with $expand=appliesTo
//     (featurerolloutpolicy-get example 2). v1.0 documents no GET of
//     appliesTo on its own: permissions.json has no row for it, so any
//     token but graphsim's own is refused it.
//   - Every page: "Application: Not supported". permissions.json lists
//     DelegatedWork only (Policy.Read.HybridAuthentication for the list,
//     Policy.ReadWrite.HybridAuthentication for the rest): an app-only
//     token gets 403 Authorization_RequestDenied whatever it holds (the
//     permission table has no application row: identity.go authorize).
//   - Strict readings where the pages are silent: feature cannot be
//     changed by an update (the update page lists no property as
//     required and Graph's portal has one policy per feature: PATCH of
//     feature → 400); a tenant holds one policy per feature (a second →
//     400, Unique); appliesTo holds groups only (staged rollout is scoped
//     to groups: learn:/entra/identity/hybrid/connect/how-to-connect-staged-rollout);
//     $expand=appliesTo returns at most 20 groups per policy, as for
//     directory relationships (expand.go, known issue 13635).

const rolloutKindName = "featureRolloutPolicy"

var rolloutKind = &Kind{
	Name: rolloutKindName, ODataType: "#microsoft.graph.featureRolloutPolicy",
	Paths: []string{"policies/featureRolloutPolicies"}, Throttle: "directory", ReadCost: 1,
	ReadOnly:   []string{"id"},
	CreateOnly: []string{"feature"},
	Required:   []string{"displayName", "feature", "isEnabled"},
	Unique:     []string{"feature"},
	Filterable: []string{"id", "displayName", "feature"},
	Links:      map[string][]string{"appliesTo": {"group"}},
}

// stagedFeatures are stagedFeatureName's members (v1.0 CSDL).
var stagedFeatures = []string{"passthroughAuthentication", "seamlessSso", "passwordHashSync", "emailAsAlternateId",
	"unknownFutureValue", "certificateBasedAuthentication", "multiFactorAuthentication"}

func init() {
	createHooks[rolloutKindName] = func(_ *Server, _ *request, body map[string]any, _ *record) *apiError {
		if aerr := oneOf(body, "feature", stagedFeatures); aerr != nil {
			return aerr
		}
		if _, ok := body["isAppliedToOrganization"]; !ok {
			body["isAppliedToOrganization"] = false
		}
		if _, ok := body["description"]; !ok {
			body["description"] = nil
		}
		return nil
	}
}

// demoRollout stages cloud authentication for the pilot group, as an
// organization moving off federation does: password hash sync enabled for
// the pilot and finance groups, seamless SSO prepared but disabled. Given
// ids only: the tenant's id sequence (and so every later object's id) is
// unchanged.
func (g *generator) demoRollout(pilot, finance string) {
	phs := g.post(rolloutKindName, map[string]any{"id": "5e1f0c2a-7b3d-4e8f-9a60-3c2d1b0a9f01", "displayName": "PHS staged rollout", "description": "Cloud sign-in pilot before the federation cut-over",
		"feature": "passwordHashSync", "isEnabled": true}, nil)
	g.link(rolloutKindName, phs, "appliesTo", pilot, false)
	g.link(rolloutKindName, phs, "appliesTo", finance, false)
	g.post(rolloutKindName, map[string]any{"id": "5e1f0c2a-7b3d-4e8f-9a60-3c2d1b0a9f02", "displayName": "Seamless SSO", "feature": "seamlessSso", "isEnabled": false}, nil)
}
