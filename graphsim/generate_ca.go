package graphsim

import "time"

// demoCAReferences adds what Conditional Access policies name besides
// users, groups, roles and locations: authentication contexts
// (authcontext.go) and a policy that requires one. It runs last in demo so
// that the ids drawn before it stay as they were.
func (g *generator) demoCAReferences(refs caRefs) {
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
	apps := caApps()
	apps["includeAuthenticationContextClassReferences"] = strList("c1")
	g.postAt("conditionalAccessPolicy", map[string]any{
		"displayName":     "CA100: Step-up for sensitive actions",
		"state":           "enabled",
		"conditions":      caConditions(caUsers([]string{"All"}, nil, nil, refs.breakGlass), apps),
		"grantControls":   caGrant("OR", "mfa"),
		"sessionControls": nil,
	}, g.now.Add(-45*24*time.Hour))
}
