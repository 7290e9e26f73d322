package exporter

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// TestReadGivesTheFilesRunCommits: Read and Run agree byte for byte, and a
// kind that cannot be read is reported and absent, never empty.
func TestReadGivesTheFilesRunCommits(t *testing.T) {
	sim := newSim(t, graphsim.Options{})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, true)
	mustExport(t, c, r, nil)
	committed := tree(t, r, "HEAD")
	delete(committed, layout.ManifestPath)
	delete(committed, StatePath) // Run's delta state (state.go)

	lv, err := live.Read(context.Background(), live.ReadOptions{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	if lv.TenantID != sim.Tenant().ID() || len(lv.Incomplete()) != 0 || lv.Requests == 0 {
		t.Fatalf("tenant %q, incomplete %+v, requests %d", lv.TenantID, lv.Incomplete(), lv.Requests)
	}
	if len(lv.Files) != len(committed) {
		t.Errorf("Read gave %d files, Run committed %d", len(lv.Files), len(committed))
	}
	for p, data := range committed {
		if !bytes.Equal(lv.Files[p], data) {
			t.Errorf("%s differs between Read and Run", p)
		}
	}
	bad := newClient(t, sim, failPaths(sim, "/identity/conditionalAccess/namedLocations"), "")
	kinds, _ := layout.Select([]string{"named-locations", "conditional-access-policies"})
	lv, err = live.Read(context.Background(), live.ReadOptions{Client: bad, Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	inc := lv.Incomplete()
	if len(inc) != 1 || inc[0].Kind != "named-locations" || !strings.Contains(inc[0].Reason, "500") {
		t.Fatalf("incomplete = %+v", inc)
	}
	for p := range lv.Files {
		if strings.HasPrefix(p, "conditional-access/named-locations/") {
			t.Errorf("Read returned %s of a kind it could not read", p)
		}
		if !strings.HasPrefix(p, "conditional-access/policies/") {
			t.Errorf("Read returned %s of a kind not selected", p)
		}
	}
	if len(lv.Kinds) != 2 {
		t.Errorf("kinds = %+v", lv.Kinds)
	}
}
