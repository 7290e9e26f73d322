package drift

import (
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// manifestRepo holds only a manifest (nil: none, as snapshot.Repo says).
type manifestRepo struct{ files }

func (m manifestRepo) ReadFile(ctx context.Context, rev, p string) ([]byte, error) {
	if data, ok := m.files[p]; ok {
		return data, nil
	}
	return nil, snapshot.ErrNotFound
}

func TestReadManifest(t *testing.T) {
	ctx := context.Background()
	if _, err := ReadManifest(ctx, manifestRepo{files{}}, "main", commit, "./r"); err == nil || !strings.Contains(err.Error(), "main (0123456789ab) is not an entrasnap snapshot") {
		t.Errorf("a commit without a manifest: %v", err)
	}
	bad := manifestRepo{files{layout.ManifestPath: []byte("format: [\n")}}
	if _, err := ReadManifest(ctx, bad, "HEAD", commit, "./r"); err == nil || !strings.Contains(err.Error(), "run `entrasnap check --repo ./r`") {
		t.Errorf("an unreadable manifest: %v", err)
	}
}

// A baseline of another tenant is refused before anything is compared.
func TestCompareRefusesOtherTenant(t *testing.T) {
	in := driftCase(t)
	in.Live.TenantID, in.RepoDir = "other", "./r"
	rep, err := Compare(context.Background(), in)
	if rep != nil || err == nil || !strings.Contains(err.Error(), "./r holds snapshots of tenant t, but Graph answers for tenant other") {
		t.Errorf("Compare = %v, %v", rep, err)
	}
	in.Live.TenantID = "T" // case does not matter
	if _, err := Compare(context.Background(), in); err != nil {
		t.Errorf("same tenant in another case: %v", err)
	}
}
