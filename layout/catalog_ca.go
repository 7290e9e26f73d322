package layout

import "slices"

// caKinds are what Conditional Access policies name besides users, groups,
// roles, applications, named locations and authentication strengths. They
// are kept apart from the main catalog (catalog.go) and placed, by init,
// right before conditional-access-policies: what a policy references is
// exported and restored before the policy.
var caKinds = []*Kind{
	{
		// learn:/graph/api/resources/authenticationcontextclassreference:
		// the id (c1..c25) is chosen by the admin and is what policies and
		// apps (the acrs claim) name, so a restore writes it again as it was:
		// PATCH {id} creates or updates (authenticationcontextclassreference-update).
		Name: "authentication-contexts", Title: "authentication contexts", Folder: "conditional-access/authentication-contexts",
		ODataType: "#microsoft.graph.authenticationContextClassReference", APIVersion: "v1.0",
		ListPath: "/identity/conditionalAccess/authenticationContextClassReferences",
		NameProp: "displayName",
		ReadOnly: []string{"id"},
		// permissions.json: Policy.Read.All does not read them; DELETE
		// takes only AuthenticationContext.ReadWrite.All.
		ReadPermissions: []string{"AuthenticationContext.Read.All"}, WritePermissions: []string{"AuthenticationContext.ReadWrite.All"},
	},
}

// caRefs are the references of Conditional Access policies to caKinds.
var caRefs = []Ref{
	{Path: "conditions.applications.includeAuthenticationContextClassReferences", Kinds: []string{"authentication-contexts"}},
}

func init() {
	at := slices.IndexFunc(kinds, func(k *Kind) bool { return k.Name == "conditional-access-policies" })
	kinds = slices.Insert(kinds, at, caKinds...)
	for _, k := range caKinds {
		byName[k.Name] = k
	}
	ca := byName["conditional-access-policies"]
	ca.Refs = append(ca.Refs, caRefs...)
}
