package exporter

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// An export of the large profile (at 400 users) writes its organizational
// contacts, cross-tenant access partners (with the user synchronization
// policy of the one that has it), identity providers and, opted in, API
// connectors and the user flows' connections: one file per object
// graphsim holds, and the groups that hold contacts name them as members.
func TestExportLargeProfileContactsPartnersProvidersAndConnectors(t *testing.T) {
	sim := newSim(t, graphsim.Options{Profile: "large", Seed: 3, Sizes: graphsim.Sizes{Users: 400, Groups: 20, Apps: 2, CAPolicies: 1}})
	kinds, err := layout.Select([]string{"organizational-contacts", "cross-tenant-access-partners", "identity-providers",
		"api-connectors", "user-flows", layout.UserFlowConnections, "groups"})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	res := mustExport(t, c, r, func(o *Options) { o.Kinds = kinds })
	if !res.Complete() {
		t.Fatalf("incomplete: %+v", res.Incomplete())
	}
	tn := sim.Tenant()
	want := map[string]int{
		"organizational-contacts":      tn.Count("orgContact"),
		"cross-tenant-access-partners": tn.Count("crossTenantAccessPolicyConfigurationPartner"),
		"identity-providers":           tn.Count("identityProviderBase"),
		"api-connectors":               tn.Count("identityApiConnector"),
		layout.UserFlowConnections:     tn.Count("b2xIdentityUserFlow"),
	}
	got := map[string]int{}
	synced, groupsWithContacts := 0, 0
	contacts := map[string]bool{}
	for _, o := range tn.List("orgContact") {
		contacts[o["id"].(string)] = true
	}
	for p, data := range tree(t, r, "HEAD") {
		k, _, err := layout.Locate(p)
		if err != nil {
			continue
		}
		got[k.Name]++
		text := string(data)
		switch k.Name {
		case "cross-tenant-access-partners":
			if strings.Contains(text, "isSyncAllowed: true") {
				synced++
			}
		case "groups":
			for id := range contacts {
				if strings.Contains(text, id) {
					groupsWithContacts++
					break
				}
			}
		}
	}
	for kind, n := range want {
		if n == 0 || got[kind] != n {
			t.Errorf("%s: %d files, graphsim holds %d (want at least one)", kind, got[kind], n)
		}
	}
	if synced != 1 {
		t.Errorf("%d partner files with a user synchronization policy, want 1", synced)
	}
	if groupsWithContacts == 0 {
		t.Errorf("no group file names a contact as a member")
	}
}
