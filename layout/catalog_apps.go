package layout

// Children of applications and service principals added for issue 13
// ("Applications and service principals"), kept apart from catalog.go and
// attached by init. Each is a collection Graph serves only below its parent
// (not a property of the parent), stored in the parent's file like owners:
// a parent holds few (at most 20 credentials, 100 extension properties) and
// they change with it.
//
//   - federatedIdentityCredentials of an application (resources/
//     federatedidentitycredential): keyed by name (unique within the app and
//     immutable), so a recreated app's credentials match by name; id is
//     Graph's and kept.
//   - extensionProperties of an application (resources/extensionproperty):
//     keyed by name, extension_{appId without dashes}_{name}; a recreated
//     app has a new appId, so its extension properties get new names
//     (importer/appchildren.go). appDisplayName is the parent's displayName
//     (derived: dropped); isSyncedFromOnPremises is Graph's.
//   - delegatedPermissionClassifications of a service principal (resources/
//     delegatedpermissionclassification): keyed by permissionId, one per
//     delegated permission; permissionName is the permission's value.
var (
	applicationChildren = []Child{
		{Name: "federatedIdentityCredentials", Path: "federatedIdentityCredentials", Key: "name"},
		{Name: "extensionProperties", Path: "extensionProperties", Key: "name", Drop: []string{"appDisplayName", "deletedDateTime"}},
	}
	applicationSets = map[string]string{
		"federatedIdentityCredentials": "name", "federatedIdentityCredentials[].audiences": "",
		"extensionProperties": "name", "extensionProperties[].targetObjects": "",
	}
	servicePrincipalChildren = []Child{
		{Name: "delegatedPermissionClassifications", Path: "delegatedPermissionClassifications", Key: "permissionId"},
	}
	servicePrincipalSets = map[string]string{"delegatedPermissionClassifications": "permissionId"}
	// servicePrincipalWrite: serviceprincipal-post-delegatedpermissionclassifications
	// takes Policy.ReadWrite.PermissionGrant (Application.ReadWrite.All does not).
	servicePrincipalWrite = []string{"Policy.ReadWrite.PermissionGrant"}
)

func init() {
	app, sp := byName["applications"], byName["service-principals"]
	app.Children = append(app.Children, applicationChildren...)
	for p, k := range applicationSets {
		app.Sets[p] = k
	}
	sp.Children = append(sp.Children, servicePrincipalChildren...)
	for p, k := range servicePrincipalSets {
		sp.Sets[p] = k
	}
	sp.WritePermissions = append(sp.WritePermissions, servicePrincipalWrite...)
}
