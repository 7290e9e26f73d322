package check

import (
	"slices"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// Which references check refuses when they name nothing comes from the
// catalog's flags (layout.Ref.Strict, layout.Child.RefsAreSettings): child
// relationships Graph keeps consistent and a role assignment's role
// definition, not a workflow task's arguments or an assignment's principal.
func TestStrictReferencesFromTheCatalog(t *testing.T) {
	want := [][2]string{
		{"users", "manager[].id"},
		{"users", "sponsors[].id"},
		{"groups", "members[].id"},
		{"groups", "owners[].id"},
		{"applications", "owners[].id"},
		{"service-principals", "owners[].id"},
		{"service-principals", "appRoleAssignedTo[].principalId"},
		{"service-principals", "oauth2PermissionGrants[].resourceId"},
		{"service-principals", "oauth2PermissionGrants[].principalId"},
		{"administrative-units", "members[].id"},
		{"administrative-units", "scopedRoleMembers[].roleMemberInfo.id"},
		{"administrative-units", "scopedRoleMembers[].roleId"},
		{"role-assignments", "roleDefinitionId"},
		{"role-eligibility-schedules", "roleDefinitionId"},
		{"token-lifetime-policies", "appliesTo[].id"},
		{"claims-mapping-policies", "appliesTo[].id"},
		{"token-issuance-policies", "appliesTo[].id"},
		{"home-realm-discovery-policies", "appliesTo[].id"},
		{"app-management-policies", "appliesTo[].id"},
		{"user-flows", "userAttributeAssignments[].id"},
		{"user-flow-connections", "userFlowIdentityProviders[].id"}, // a flow lists only providers the tenant has
		{"connected-organizations", "internalSponsors[].id"},
		{"connected-organizations", "externalSponsors[].id"},
		{"time-bound-role-assignments", "roleDefinitionId"},
		{"feature-rollout-policies", "appliesTo[].id"},
	}
	var got [][2]string
	for _, k := range layout.Kinds() {
		for _, r := range k.Refs {
			if strictRef(k, r) {
				got = append(got, [2]string{k.Name, r.Path})
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("strict references:\n got %q\nwant %q", got, want)
	}
	for _, k := range layout.Kinds() {
		if !k.OutlivesReferents {
			continue
		}
		// A kind Graph keeps listing after its referents go keeps at
		// least its strict reference: the rest are warnings.
		if !slices.ContainsFunc(k.Refs, func(r layout.Ref) bool { return r.Strict }) {
			t.Errorf("%s outlives its referents but has no strict reference", k.Name)
		}
	}
}
