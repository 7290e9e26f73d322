package layout

// rolloutKinds are issue 13's feature rollout (staged rollout) policies,
// after every kind they name (groups). Kept apart from catalog.go so other
// additions do not collide.
//
// Graph serves /policies/featureRolloutPolicies to delegated callers only:
// every page (featurerolloutpolicies-list, featurerolloutpolicy-get,
// featurerolloutpolicies-post, featurerolloutpolicy-update,
// featurerolloutpolicy-delete, featurerolloutpolicy-post-appliesto,
// featurerolloutpolicy-delete-appliesto) says "Application: Not
// supported", and permissions.json lists DelegatedWork only. The kind is
// DelegatedOnly: an export with an app-only token skips it and keeps its
// files; a delegated sign-in (--auth device-code, browser, azure-cli)
// reads it. Its permissions are delegated scopes: read
// Policy.Read.HybridAuthentication (the list's least privileged; a GET of
// one policy needs Policy.ReadWrite.HybridAuthentication, which export
// never sends), write Policy.ReadWrite.HybridAuthentication.
//
// appliesTo (the groups the feature is rolled out to) has no GET of its
// own in v1.0: the list reads it with $expand=appliesTo (live/rollout.go),
// restore adds and removes it by $ref
// (POST {id}/appliesTo/$ref with a directoryObjects @odata.id, DELETE
// {id}/appliesTo/{groupId}/$ref), as group members are.
var rolloutKinds = []*Kind{
	{
		Name: "feature-rollout-policies", Title: "feature rollout (staged rollout) policies", Folder: "policies/feature-rollout",
		ODataType: "#microsoft.graph.featureRolloutPolicy", APIVersion: "v1.0", ListPath: "/policies/featureRolloutPolicies",
		NameProp: "displayName",
		Children: []Child{{Name: "appliesTo", Path: "appliesTo", Refs: true, Select: refList}},
		Refs:     []Ref{{Path: "appliesTo[].id", Kinds: []string{"groups"}}},
		Sets:     map[string]string{"appliesTo": "id"},
		ReadOnly: []string{"id"},
		DelegatedOnly: "Graph serves feature rollout policies to delegated callers only (\"Application: Not supported\"): " +
			"an export with an app-only token skips them and keeps their files; export or restore them signed in as an administrator " +
			"(--auth device-code, browser or azure-cli)",
		ReadPermissions: []string{"Policy.Read.HybridAuthentication"}, WritePermissions: []string{"Policy.ReadWrite.HybridAuthentication"},
	},
}

func init() {
	kinds = append(kinds, rolloutKinds...)
	for _, k := range rolloutKinds {
		byName[k.Name] = k
	}
}
