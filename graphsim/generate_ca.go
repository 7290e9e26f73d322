package graphsim

// demoAuthContexts adds what Conditional Access policies name besides
// users, groups, roles and locations: authentication contexts
// (authcontext.go). Their ids are the admin's (c1, c2): no random draw, so
// the rest of the demo tenant stays as it was. It returns the template of
// the policy that requires c1, which takes the place of the demo's last
// policy (same random draws, same count).
func (g *generator) demoAuthContexts() *caTemplate {
	g.post(authContextKind.Name, map[string]any{
		"id": "c1", "displayName": "Sensitive actions",
		"description": "Step-up for payroll and privileged operations: phishing-resistant MFA from a compliant device.",
		"isAvailable": true,
	}, nil)
	g.post(authContextKind.Name, map[string]any{
		"id": "c2", "displayName": "Confidential documents",
		"description": "Labelled SharePoint sites and files.",
		"isAvailable": false,
	}, nil)
	return &caTemplate{"Step-up for sensitive actions", "enabled", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		apps := caApps()
		apps["includeAuthenticationContextClassReferences"] = strList("c1")
		return caConditions(caUsers([]string{"All"}, nil, nil, r.breakGlass), apps), caGrant("OR", "mfa"), nil
	}}
}
