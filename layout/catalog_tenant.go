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
	{
		// Custom security attribute sets: the id is the set's name, the
		// administrator's (directory-post-attributesets). Graph has no
		// DELETE of a set: restore creates and updates, never deletes.
		Name: "attribute-sets", Title: "custom security attribute sets", Folder: "custom-security-attributes/sets",
		ODataType: "#microsoft.graph.attributeSet", APIVersion: "v1.0", ListPath: "/directory/attributeSets",
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"CustomSecAttributeDefinition.Read.All"}, WritePermissions: []string{"CustomSecAttributeDefinition.ReadWrite.All"},
	},
	{
		// Custom security attribute definitions, id {attributeSet}_{name}
		// (Graph's). attributeSet, isCollection, isSearchable, name and type
		// cannot be changed once created. Graph deletes neither a
		// definition nor a predefined value (allowedValues): they are
		// deactivated (status Deprecated, isActive false), which is what a
		// restore does to ones not at REV (importer/customsec.go).
		Name: "custom-security-attributes", Title: "custom security attribute definitions", Folder: "custom-security-attributes/definitions",
		ODataType: "#microsoft.graph.customSecurityAttributeDefinition", APIVersion: "v1.0", ListPath: "/directory/customSecurityAttributeDefinitions",
		Children:        []Child{{Name: "allowedValues", Path: "allowedValues", Key: "id"}},
		Refs:            []Ref{{Path: "attributeSet", Kinds: []string{"attribute-sets"}}},
		Sets:            map[string]string{"allowedValues": "id"},
		ReadOnly:        []string{"id", "attributeSet", "isCollection", "isSearchable", "name", "type"},
		ReadPermissions: []string{"CustomSecAttributeDefinition.Read.All"}, WritePermissions: []string{"CustomSecAttributeDefinition.ReadWrite.All"},
	},
	{
		// Identity providers for B2B guests: Microsoft's built-in ones
		// (read only) and social ones (Google, Facebook). A social
		// provider's clientSecret is write-only (Graph reads it as "****"):
		// never stored, so a restore that needs it says what to re-enter
		// (importer/identityproviders.go).
		Name: "identity-providers", Title: "identity providers", Folder: "external-identities/identity-providers",
		ODataType: "#microsoft.graph.identityProviderBase", APIVersion: "v1.0", ListPath: "/identity/identityProviders",
		NameProp: "displayName",
		Secret:   []string{"clientSecret"},
		ReadOnly: []string{"id", "identityProviderType"},
		BuiltIn: func(o map[string]any) bool {
			return o["@odata.type"] == "#microsoft.graph.builtInIdentityProvider"
		},
		ReadPermissions: []string{"IdentityProvider.Read.All"}, WritePermissions: []string{"IdentityProvider.ReadWrite.All"},
	},
	{
		// Organizational contacts (mail contacts), kept so group members
		// that are contacts resolve (check) and their details survive.
		// Graph reads them only (resources/orgcontact: no create, update
		// or delete in v1.0).
		Name: "organizational-contacts", Title: "organizational contacts", Folder: "contacts",
		ODataType: "#microsoft.graph.orgContact", APIVersion: "v1.0", ListPath: "/contacts",
		NameProp:        "displayName",
		Sets:            map[string]string{"proxyAddresses": ""},
		Volatile:        append([]string{"onPremisesLastSyncDateTime", "onPremisesProvisioningErrors", "serviceProvisioningErrors"}, dirVolatile...),
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"OrgContact.Read.All"},
		ExportOnly: "Graph does not create, change or delete organizational contacts (resources/orgcontact: read only); " +
			"they come from Exchange Online or directory synchronization: recreate one there (New-MailContact) from its file's " +
			"displayName, mail and proxyAddresses, then add it back to its groups",
	},
}
