package live

import (
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// Organizational contacts are read in pages of 999 (GET /contacts takes
// $top: orgcontact-list), not Graph's default 100: the large profile at
// 6,000 users holds 119 contacts (one per 50 users), one page.
func TestContactsAreReadInPagesOf999(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{Profile: "large", Seed: 3, Sizes: graphsim.Sizes{Users: 6000, Groups: 10, Apps: 1, CAPolicies: 1}})
	lv, _ := readKinds(t, sim, sim, "organizational-contacts")
	n := sim.Tenant().Count("orgContact")
	if n <= 100 {
		t.Fatalf("the tenant holds %d contacts: too few to tell a page of 100 from one of 999", n)
	}
	if got := len(lv.Files); got != n {
		t.Errorf("read %d contact files, graphsim holds %d", got, n)
	}
	reqs := 0
	for _, e := range sim.Stats().Endpoints {
		if e.Method == "GET" && e.Path == "/contacts" {
			reqs += e.Requests
		}
	}
	if reqs != 1 {
		t.Errorf("%d GET /contacts for %d contacts, want 1 page of 999", reqs, n)
	}
}
