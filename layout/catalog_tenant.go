package layout

// tenantKinds are the tenant-wide and external-identity kinds added for
// issue 13 ("Tenant", "External identities", "Policies": group lifecycle,
// feature rollout), after every kind they name (groups). Kept apart from
// catalog.go so the catalog's other additions do not collide with them.
var tenantKinds = []*Kind{
	{
		// A tenant holds at most one expiration policy. Graph writes it
		// (create, update, delete, addGroup, removeGroup) only with
		// Directory.ReadWrite.All, for delegated and application callers
		// alike (grouplifecyclepolicy-post-grouplifecyclepolicies,
		// grouplifecyclepolicy-update, grouplifecyclepolicy-addgroup): a
		// restore app holding it could write nearly the whole directory, so
		// the kind is export-only and says so.
		Name: "group-lifecycle-policies", Title: "group lifecycle (expiration) policies", Folder: "policies/group-lifecycle",
		ODataType: "#microsoft.graph.groupLifecyclePolicy", APIVersion: "v1.0", ListPath: "/groupLifecyclePolicies",
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"Directory.Read.All"},
		ExportOnly: "Graph writes group lifecycle policies only with Directory.ReadWrite.All (grouplifecyclepolicy-post-grouplifecyclepolicies), " +
			"which would let the restore app write nearly the whole directory; set the policy again in the Entra admin center " +
			"(Groups > Expiration) from the file's groupLifetimeInDays, managedGroupTypes and alternateNotificationEmails",
	},
}
