package exporter

import (
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// TestServicePrincipalWithSecurityAttributesResumes: a service principal
// holding custom security attribute values, edited between runs, comes
// back from the later delta round (no $select) as from the first round:
// without its customSecurityAttributes, which Graph returns only when
// $select names them, so the incremental snapshot equals a full export.
func TestServicePrincipalWithSecurityAttributesResumes(t *testing.T) {
	whenShortOnly(t, "service-principals")
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 20, Groups: 4, Apps: 10}})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	mustExport(t, c, r, nil)
	tn := sim.Tenant()
	sp := ""
	for _, s := range tn.List("servicePrincipal") {
		if o, _ := s["appOwnerOrganizationId"].(string); o == tn.ID() && sp == "" && s["customSecurityAttributes"] != nil {
			sp = s["id"].(string)
		}
	}
	if sp == "" {
		t.Fatal("no service principal of the tenant's own with custom security attribute values")
	}
	ch := &changer{t: t, c: c, sim: sim}
	ch.do("PATCH", "/v1.0/servicePrincipals/"+sp, map[string]any{"notes": "edited \u202e\r\n"})
	deltaExport(t, c, r, "after the edit", []string{"service-principals"}, nil)
	full := newRepo(t, true)
	mustExport(t, c, full, nil)
	sameTree(t, "after the edit", tree(t, r, "HEAD"), tree(t, full, "HEAD"))
}
