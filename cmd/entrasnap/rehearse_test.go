package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/rehearse"
)

// A tenant loaded from a snapshot exports back to the same files: the
// rehearsal tenant is the snapshot's tenant.
func TestGraphsimFromRepoRoundTrip(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	if code, _, errOut := runCLI(t, "export", "--repo", repo, "--graph-url", u, "--access-token", sim.Token()); code != exitOK {
		t.Fatalf("export: %d %s", code, errOut)
	}
	r, err := openRepo(repo)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rehearsal, n, err := rehearse.Load(context.Background(), r, "HEAD", graphsim.Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if n < 300 || rehearsal.TenantID() != sim.TenantID() {
		t.Fatalf("loaded %d objects, tenant %s (want %s)", n, rehearsal.TenantID(), sim.TenantID())
	}
	srv := serveSim(t, rehearsal, rehearsal)
	repo2 := filepath.Join(t.TempDir(), "again")
	if code, _, errOut := runCLI(t, "export", "--repo", repo2, "--graph-url", srv.URL, "--access-token", rehearsal.Token()); code != exitOK {
		t.Fatalf("export of the rehearsal tenant: %d %s", code, errOut)
	}
	// The delta state (.entrasnap/state.yaml) holds Graph's tokens and the
	// time of the read: not tenant state.
	noState := func(tree string) string {
		var keep []string
		for _, l := range strings.Split(tree, "\n") {
			if !strings.HasSuffix(l, "\t.entrasnap/state.yaml") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	a := noState(exportTestGit(t, repo, "ls-tree", "-r", "HEAD"))
	b := noState(exportTestGit(t, repo2, "ls-tree", "-r", "HEAD"))
	if a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := range al {
			if i >= len(bl) || al[i] != bl[i] {
				t.Fatalf("trees differ from line %d:\n%s\n%s", i, al[i], bl[min(i, len(bl)-1)])
			}
		}
		t.Fatalf("trees differ in length: %d vs %d", len(al), len(bl))
	}
	// A restore rehearsed on it: break a CA policy, restore it from the snapshot.
	p := rehearsal.Tenant().List("conditionalAccessPolicy")[0]
	histDo(t, &histFixture{sim: rehearsal, url: srv.URL}, "PATCH", "/v1.0/identity/conditionalAccess/policies/"+p["id"].(string), map[string]any{"displayName": "tampered"})
	code, out, errOut := runCLI(t, "restore", "--repo", repo2, "--at", "HEAD", "--graph-url", srv.URL, "--access-token", rehearsal.Token(), "--yes", p["id"].(string))
	if code != exitOK || !strings.Contains(out, "tampered") {
		t.Fatalf("rehearsed restore: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "graphsim", "--from-repo", repo, "--profile", "demo"); code != exitUsage {
		t.Errorf("--from-repo with --profile: %d %s", code, errOut)
	}
}
