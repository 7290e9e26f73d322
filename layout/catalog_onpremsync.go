package layout

// onPremSyncKinds are issue 13's on-premises directory synchronization
// settings (resources/onpremisesdirectorysynchronization): one object per
// tenant, its id the tenant's, holding accidental deletion prevention
// (configuration.accidentalDeletionPrevention) and the synchronization
// features (features: password hash sync, writeback, soft and hard match
// blocks, ...). Kept apart from catalog.go so other additions do not
// collide.
//
// Graph serves it to delegated callers only: onpremisesdirectorysynchronization-get
// and -update say "Application: Not supported", delegated
// OnPremDirectorySynchronization.Read.All (least privileged read) and
// OnPremDirectorySynchronization.ReadWrite.All (update), "Global
// Administrator is the only role supported"; permissions.json lists
// DelegatedWork only. The kind is DelegatedOnly, as feature rollout
// policies (catalog_rollout.go): an app-only export skips it and keeps its
// file; a delegated sign-in reads and restores it. "Only the read and
// update operations are supported on this resource; create and delete
// aren't supported" (the resource page): restore PATCHes it, never creates
// or deletes it (importer/rules.go).
var onPremSyncKinds = []*Kind{
	{
		Name: "on-premises-sync", Title: "on-premises directory synchronization settings", Folder: "tenant/on-premises-sync",
		ODataType: "#microsoft.graph.onPremisesDirectorySynchronization", APIVersion: "v1.0", ListPath: "/directory/onPremisesSynchronization",
		ReadOnly: []string{"id"},
		DelegatedOnly: "Graph serves the on-premises synchronization settings to delegated callers only (\"Application: Not supported\"; " +
			"Global Administrator is the only role): an export with an app-only token skips them and keeps their file; export or restore them " +
			"signed in as a Global Administrator (--auth device-code, browser or azure-cli)",
		RestoreNote:     "update only: Graph keeps one per tenant and creates or deletes none (resources/onpremisesdirectorysynchronization)",
		ReadPermissions: []string{"OnPremDirectorySynchronization.Read.All"}, WritePermissions: []string{"OnPremDirectorySynchronization.ReadWrite.All"},
	},
}

func init() {
	kinds = append(kinds, onPremSyncKinds...)
	for _, k := range onPremSyncKinds {
		byName[k.Name] = k
	}
}
