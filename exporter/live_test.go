package exporter

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// TestReadGivesTheFilesRunCommits: Read and Run agree byte for byte, and a
// kind that cannot be read is reported and absent, never empty.
func TestReadGivesTheFilesRunCommits(t *testing.T) {
	sim := newSim(t, graphsim.Options{})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, true)
	mustExport(t, c, r, nil)
	committed := tree(t, r, "HEAD")
	delete(committed, ManifestPath)

	live, err := Read(context.Background(), ReadOptions{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	if live.TenantID != sim.Tenant().ID() || len(live.Incomplete()) != 0 || live.Requests == 0 {
		t.Fatalf("tenant %q, incomplete %+v, requests %d", live.TenantID, live.Incomplete(), live.Requests)
	}
	if len(live.Files) != len(committed) {
		t.Errorf("Read gave %d files, Run committed %d", len(live.Files), len(committed))
	}
	for p, data := range committed {
		if !bytes.Equal(live.Files[p], data) {
			t.Errorf("%s differs between Read and Run", p)
		}
	}
	bad := newClient(t, sim, failPaths(sim, "/identity/conditionalAccess/namedLocations"), "")
	kinds, _ := layout.Select([]string{"conditional-access"})
	live, err = Read(context.Background(), ReadOptions{Client: bad, Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	inc := live.Incomplete()
	if len(inc) != 1 || inc[0].Kind != "named-locations" || !strings.Contains(inc[0].Reason, "500") {
		t.Fatalf("incomplete = %+v", inc)
	}
	for p := range live.Files {
		if strings.HasPrefix(p, "conditional-access/named-locations/") {
			t.Errorf("Read returned %s of a kind it could not read", p)
		}
		if !strings.HasPrefix(p, "conditional-access/policies/") {
			t.Errorf("Read returned %s of a kind not selected", p)
		}
	}
	if len(live.Kinds) != 2 {
		t.Errorf("kinds = %+v", live.Kinds)
	}
}
