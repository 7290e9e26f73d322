package main

import "bytes"

// What Graph v1.0 sends that its CSDL does not say. Each entry is a payload
// fact (Graph's docs examples; graphsim, built independently from them,
// answers the same), so that files of real objects validate.
var (
	// graphExtraProps are properties Graph returns although the CSDL's
	// type does not declare them. Clients never set them.
	graphExtraProps = map[string][]Prop{
		// POST and GET answers carry the creation time.
		"microsoft.graph.administrativeUnit": {{Name: "createdDateTime", Type: "Edm.DateTimeOffset", Nullable: true, Computed: true}},
		// A legacy property v1.0 still returns next to directoryScopeId.
		"microsoft.graph.unifiedRoleAssignment": {{Name: "resourceScope", Type: "Edm.String", Nullable: true, Computed: true}},
	}
	// betaTypes are types of kinds Graph has in beta only, which the v1.0
	// CSDL lacks, as Graph's beta documentation describes them. A per-user
	// MFA state file (layout kind per-user-mfa) holds the user's id and the
	// state of resources/strongauthenticationrequirements (beta).
	betaTypes = []*Type{
		{QName: "microsoft.graph.perUserMfaState", Kind: kindEnum, Members: []string{"disabled", "enforced", "enabled", "unknownFutureValue"}},
		{QName: "microsoft.graph.strongAuthenticationRequirements", Kind: kindEntity, Props: []Prop{
			{Name: "id", Type: "Edm.String", Computed: true},
			{Name: "perUserMfaState", Type: "microsoft.graph.perUserMfaState", Nullable: true},
		}},
	}
	// fileTypes are the types of files that hold part of a Graph object,
	// named for entrasnap (not Graph types): a user's custom security
	// attribute values file (layout kind user-security-attributes) holds
	// the user's id and its customSecurityAttributes (resources/user), an
	// open type whose attribute sets hold the values and their
	// @odata.type annotations (resources/customsecurityattributevalue).
	fileTypes = []*Type{
		{QName: "microsoft.graph.userSecurityAttributeValues", Kind: kindEntity, Props: []Prop{
			{Name: "id", Type: "Edm.String", Computed: true},
			{Name: "customSecurityAttributes", Type: "microsoft.graph.customSecurityAttributeValue", Nullable: true},
		}},
		// The same for a service principal (service-principal-security-attributes).
		{QName: "microsoft.graph.servicePrincipalSecurityAttributeValues", Kind: kindEntity, Props: []Prop{
			{Name: "id", Type: "Edm.String", Computed: true},
			{Name: "customSecurityAttributes", Type: "microsoft.graph.customSecurityAttributeValue", Nullable: true},
		}},
		// A user flow's identity providers and API connectors
		// (user-flow-connections): the flow's id, its
		// userFlowIdentityProviders as references and the connector of
		// each step (resources/b2xidentityuserflow,
		// resources/userflowapiconnectorconfiguration).
		{QName: "microsoft.graph.userFlowConnections", Kind: kindEntity, Props: []Prop{
			{Name: "id", Type: "Edm.String", Computed: true},
			{Name: "apiConnectorConfiguration", Type: "microsoft.graph.userFlowApiConnectorConfiguration", Nullable: true},
		}},
	}
	// graphInlineNavs are navigation properties Graph returns inline
	// without an AutoExpand annotation or a catalog entry naming them.
	graphInlineNavs = map[string][]string{
		"microsoft.graph.fido2AuthenticationMethodConfiguration": {"passkeyProfiles"},
	}
)

// Load parses Graph's CSDL and adds the payload facts above.
func Load(csdl []byte) (*Model, error) {
	m, err := Parse(bytes.NewReader(csdl))
	if err != nil {
		return nil, err
	}
	if err := addBeta(m); err != nil { // beta.go
		return nil, err
	}
	for _, t := range append(append([]*Type(nil), betaTypes...), fileTypes...) {
		if m.Types[t.QName] == nil {
			c := *t
			m.Types[t.QName] = &c
		}
	}
	for q, props := range graphExtraProps {
		t := m.Types[q]
		if t == nil {
			continue
		}
	next:
		for _, p := range props {
			for _, have := range m.props(t) {
				if have.Name == p.Name {
					continue next
				}
			}
			t.Props = append(t.Props, p)
		}
	}
	for q, names := range graphInlineNavs {
		if t := m.Types[q]; t != nil {
			for i := range t.Navs {
				for _, n := range names {
					if t.Navs[i].Name == n {
						t.Navs[i].AutoExpand = true
					}
				}
			}
		}
	}
	return m, nil
}
