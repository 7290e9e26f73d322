package layout

// externalKinds are the External Identities kinds of issue 13 besides
// identity providers (catalog_tenant.go): custom user flow attributes,
// API connectors (opt-in: read only with a write permission),
// custom authentication extensions and self-service sign-up user flows,
// which name the attributes; and the external identities policy (beta). Kept apart
// from catalog.go and appended by init at the end of the catalog: every
// kind they name comes before them.
var externalKinds = []*Kind{
	{
		// resources/identityuserflowattribute: Microsoft's built-in
		// attributes (city, email, ...) are not configuration: only custom
		// ones are read ($filter, "Supports $filter (eq, ne)"). The id is
		// Graph's, extension_{b2c-extensions-app appId without dashes}_{displayName}
		// (identityuserflowattribute-post); dataType "can't be modified
		// after ... created"; identityuserflowattribute-update: "Only the
		// description property can be updated".
		Name: "user-flow-attributes", Title: "user flow attributes (custom)", Folder: "external-identities/user-flow-attributes",
		ODataType: "#microsoft.graph.identityUserFlowAttribute", APIVersion: "v1.0", ListPath: "/identity/userFlowAttributes",
		Filter:          "userFlowAttributeType eq 'custom'",
		DerivedTypes:    []string{"#microsoft.graph.identityCustomUserFlowAttribute"},
		NameProp:        "displayName",
		ReadOnly:        []string{"id", "displayName", "dataType", "userFlowAttributeType"},
		ReadPermissions: []string{"IdentityUserFlow.Read.All"}, WritePermissions: []string{"IdentityUserFlow.ReadWrite.All"},
	},
	{
		// resources/identityapiconnector. The authentication secrets are
		// write-only: a basic authentication password reads back as
		// "******" and a certificate as its public clientCertificateAuthentication
		// (identityapiconnector-create, resources/clientcertificateauthentication):
		// never stored (Secret drops them wherever they appear). A PATCH of
		// authenticationConfiguration needs them, so restore never sends it
		// (ReadOnly) and a connector gone from the tenant is not created
		// (Graph requires authenticationConfiguration on POST):
		// importer/external.go says what to re-enter.
		//
		// Graph has no read-only permission for API connectors: listing
		// them takes APIConnectors.ReadWrite.All, delegated and application
		// alike, "Higher privileged permissions: Not available"
		// (learn.microsoft.com/graph/api/identityapiconnector-list,
		// identityapiconnector-get; permissions.json lists no
		// APIConnectors.Read.All). An export app holding it is no longer
		// read-only, so the kind is OptIn and ReadNeedsWrite: the export
		// set (ExportPermissions) leaves its permission out and `entrasnap
		// kinds --permissions` lists it apart.
		Name: "api-connectors", Title: "API connectors", Folder: "external-identities/api-connectors",
		ODataType: "#microsoft.graph.identityApiConnector", APIVersion: "v1.0", ListPath: "/identity/apiConnectors",
		NameProp: "displayName",
		Secret:   []string{"authenticationConfiguration.password", "authenticationConfiguration.pkcs12Value"},
		Sets:     map[string]string{"authenticationConfiguration.certificateList": "thumbprint"},
		ReadOnly: []string{"id", "authenticationConfiguration"},
		OptIn: "Graph reads API connectors only with APIConnectors.ReadWrite.All (there is no read-only permission): " +
			"grant it to the export app and name the kind, e.g. `entrasnap export --kinds api-connectors`, only if you accept a backup app " +
			"that can change them; a daily export carries the last read forward. Connector passwords and certificates are never stored",
		ReadNeedsWrite:  "Graph has no read-only permission for API connectors (identityapiconnector-list: APIConnectors.ReadWrite.All only)",
		ReadPermissions: []string{"APIConnectors.ReadWrite.All"}, WritePermissions: []string{"APIConnectors.ReadWrite.All"},
	},
	{
		// resources/customauthenticationextension (abstract: each object is
		// one of its derived types, kept in @odata.type and never changed by
		// a PATCH). No secret: authenticationConfiguration names the app
		// whose token the API receives (azureAdTokenAuthentication.resourceId).
		Name: "custom-authentication-extensions", Title: "custom authentication extensions", Folder: "external-identities/custom-authentication-extensions",
		ODataType: "#microsoft.graph.customAuthenticationExtension", APIVersion: "v1.0", ListPath: "/identity/customAuthenticationExtensions",
		DerivedTypes: []string{"#microsoft.graph.onTokenIssuanceStartCustomExtension", "#microsoft.graph.onAttributeCollectionStartCustomExtension",
			"#microsoft.graph.onAttributeCollectionSubmitCustomExtension", "#microsoft.graph.onOtpSendCustomExtension",
			"#microsoft.graph.onPasswordSubmitCustomExtension", "#microsoft.graph.onVerifiedIdClaimValidationCustomExtension"},
		NameProp:        "displayName",
		Sets:            map[string]string{"claimsForTokenConfiguration": "claimIdInApiResponse"},
		ReadOnly:        []string{"id"},
		ReadPermissions: []string{"CustomAuthenticationExtension.Read.All"}, WritePermissions: []string{"CustomAuthenticationExtension.ReadWrite.All"},
	},
	{
		// resources/b2xidentityuserflow: self-service sign-up user flows.
		// The id is the name the admin chose with B2X_1_ before it
		// (identitycontainer-post-b2xuserflows takes the name without it);
		// userFlowType (always signUpOrSignIn) and userFlowTypeVersion
		// (always 1) cannot change; Graph has no PATCH of a user flow.
		// userAttributeAssignments, the attributes collected at sign-up, are
		// kept with it, each with the id of its attribute (built-in ones have
		// ids without extension_ and are not backed up), and written through
		// their own path. The flow's identity providers and API connectors
		// are not in this file: Graph lists them only with a write
		// permission (IdentityUserFlow.ReadWrite.All:
		// b2xidentityuserflow-list-userflowidentityproviders,
		// b2xidentityuserflow-get-apiconnectorconfiguration), which the
		// default export never holds, so they are the opt-in kind
		// user-flow-connections below; a restore that creates a flow without
		// it says to add them. API connectors themselves are the opt-in kind
		// above. apiConnectorConfiguration reads as {} on the flow.
		Name: "user-flows", Title: "self-service sign-up user flows", Folder: "external-identities/user-flows",
		ODataType: "#microsoft.graph.b2xIdentityUserFlow", APIVersion: "v1.0", ListPath: "/identity/b2xUserFlows",
		Children: []Child{
			{Name: "userAttributeAssignments", Path: "userAttributeAssignments", Key: "id", SeededWithParent: true},
		},
		Refs: []Ref{
			{Path: "userAttributeAssignments[].id", Kinds: []string{"user-flow-attributes"}, Prefix: "extension_", PrefixInID: true},
		},
		Sets:            map[string]string{"userAttributeAssignments": "id", "userAttributeAssignments[].userAttributeValues": "value"},
		ReadOnly:        []string{"id", "userFlowType", "userFlowTypeVersion", "apiConnectorConfiguration"},
		ReadPermissions: []string{"IdentityUserFlow.Read.All"}, WritePermissions: []string{"IdentityUserFlow.ReadWrite.All"},
	},
	{
		// A user flow's identity providers and the API connector of each
		// of its steps, one file per user flow named by its id. Opt-in and
		// ReadNeedsWrite like api-connectors: Graph reads both only with
		// IdentityUserFlow.ReadWrite.All, "Higher privileged permissions:
		// Not available", delegated and application alike
		// (learn.microsoft.com/graph/api/b2xidentityuserflow-list-userflowidentityproviders,
		// b2xidentityuserflow-get-apiconnectorconfiguration), so the
		// default kind user-flows, read with IdentityUserFlow.Read.All,
		// cannot hold them. userFlowIdentityProviders are references
		// ({id, @odata.type}) to identity-providers (built-in ones
		// included: EmailPassword-OAUTH, Google-OAUTH, ...);
		// apiConnectorConfiguration keeps the id of the connector of
		// postAttributeCollection and postFederationSignup, read with
		// $expand (the flow itself always reads it as {}), null for a step
		// without one. Restore (importer/userflowconnections.go) adds and
		// removes providers by $ref (b2xidentityuserflow-post-identityproviders,
		// -delete-identityproviders) and sets or clears each step by PUT
		// {flow}/apiConnectorConfiguration/{step}/$ref
		// (b2xidentityuserflow-put-apiconnectorconfiguration), after the
		// flow, the providers and the connectors (the catalog order).
		Name: UserFlowConnections, Title: "user flow identity providers and API connectors", Folder: "external-identities/user-flow-connections",
		// The file's type is entrasnap's (schemas/internal/gen/facts.go).
		ODataType: "#microsoft.graph.userFlowConnections", APIVersion: "v1.0", ListPath: "/identity/b2xUserFlows",
		Select: []string{"id"},
		Children: []Child{
			{Name: "userFlowIdentityProviders", Path: "userFlowIdentityProviders", Refs: true},
		},
		Refs: []Ref{
			{Path: "id", Kinds: []string{"user-flows"}},
			{Path: "userFlowIdentityProviders[].id", Kinds: []string{"identity-providers"}},
			{Path: "apiConnectorConfiguration.postAttributeCollection.id", Kinds: []string{"api-connectors"}},
			{Path: "apiConnectorConfiguration.postFederationSignup.id", Kinds: []string{"api-connectors"}},
		},
		IDOnly:   []string{"apiConnectorConfiguration.postAttributeCollection", "apiConnectorConfiguration.postFederationSignup"},
		Sets:     map[string]string{"userFlowIdentityProviders": "id"},
		ReadOnly: []string{"id"},
		OptIn: "Graph reads a user flow's identity providers and API connectors only with IdentityUserFlow.ReadWrite.All " +
			"(there is no read-only permission): grant it to the export app and name the kind, e.g. " +
			"`entrasnap export --kinds user-flows,user-flow-connections,api-connectors`, only if you accept a backup app that can change user flows; " +
			"a daily export carries the last read forward",
		// A restore reads the providers and connectors live, to leave out
		// one gone from the tenant and find a connector entered again.
		AdvisoryReads:   []string{"identity-providers", "api-connectors"},
		ReadNeedsWrite:  "Graph has no read-only permission for a user flow's identity providers and API connectors (b2xidentityuserflow-list-userflowidentityproviders, -get-apiconnectorconfiguration: IdentityUserFlow.ReadWrite.All only)",
		ReadPermissions: []string{"IdentityUserFlow.ReadWrite.All"}, WritePermissions: []string{"IdentityUserFlow.ReadWrite.All"},
	},
	{
		// Beta only: Graph has the external identities policy (whether
		// external users may leave the tenant themselves) under /beta and
		// not in v1.0 (resources/externalidentitiespolicy; no v1.0 page or
		// CSDL entry). Read from beta; the file stays as it is if the kind
		// moves to v1.0. PATCHed (externalidentitiespolicy-update); its name
		// and description are Graph's.
		Name: "external-identities-policy", Title: "external identities policy (beta)", Folder: "policies/external-identities",
		ODataType: "#microsoft.graph.externalIdentitiesPolicy", APIVersion: "beta", ListPath: "/policies/externalIdentitiesPolicy",
		Singleton:       true,
		Volatile:        []string{"deletedDateTime"},
		ReadOnly:        []string{"id", "displayName", "description"},
		ReadPermissions: []string{"Policy.Read.All"}, WritePermissions: []string{"Policy.ReadWrite.ExternalIdentities"},
	},
}

// UserFlowConnections is the kind of a user flow's identity providers and
// API connectors.
const UserFlowConnections = "user-flow-connections"

// UserFlowSteps are the steps of a user flow that call an API connector
// (resources/userflowapiconnectorconfiguration).
var UserFlowSteps = []string{"postAttributeCollection", "postFederationSignup"}

// identityProviderTypes are the @odata.type values of identity providers a
// user flow's userFlowIdentityProviders name (resources/identityproviderbase).
var identityProviderTypes = []string{"#microsoft.graph.socialIdentityProvider", "#microsoft.graph.builtInIdentityProvider",
	"#microsoft.graph.appleManagedIdentityProvider", "#microsoft.graph.internalDomainFederation"}

func init() {
	kinds = append(kinds, externalKinds...)
	for _, k := range externalKinds {
		byName[k.Name] = k
	}
	// A partner's cross-tenant user synchronization policy
	// (resources/crosstenantidentitysyncpolicypartner), one per partner at
	// {partner}/identitySynchronization, is kept in the partner's file
	// (null: none; live/external.go) and written by PUT or DELETE of that
	// path, never with the partner (importer/external.go).
	if p := byName["cross-tenant-access-partners"]; p != nil {
		p.ReadOnly = append(p.ReadOnly, "identitySynchronization")
	}
	if idp := byName["identity-providers"]; idp != nil {
		idp.DerivedTypes = append(idp.DerivedTypes, identityProviderTypes...)
	}
}
