package rehearse

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// A rehearsal tenant never gives a created object an id that the
// repository mentions, even outside the objects' files: the id map of a
// restore names ids the real tenant had (the demo's rehearsal recreated a
// named location under the id that the id map said had been replaced by
// the very id being restored, and verification followed the circle to an
// id that no longer existed).
func TestLoadedTenantNeverReusesIDsTheRepositoryMentions(t *testing.T) {
	ctx := context.Background()
	sim := simtest.New(t, graphsim.Options{Profile: "empty"})
	srv := simtest.Serve(t, sim)
	c := simtest.Client(t, sim, srv, "")
	repo := simtest.Repo(t, false)
	if _, err := exporter.Run(ctx, exporter.Options{Client: c, Repo: repo, AllowShrink: true, Now: func() time.Time { return sim.Clock().Now() }}); err != nil {
		t.Fatal(err)
	}
	// The ids a rehearsal tenant of this snapshot gives its first named locations.
	created := func() []string {
		t.Helper()
		rh, _, err := Load(ctx, repo, "HEAD", graphsim.Options{Seed: 1, Now: simtest.Now})
		if err != nil {
			t.Fatal(err)
		}
		rsrv := simtest.Serve(t, rh)
		rc := simtest.Client(t, rh, rsrv, "")
		var ids []string
		for _, name := range []string{"one", "two", "three"} {
			resp, err := rc.Post(ctx, "/v1.0/identity/conditionalAccess/namedLocations", map[string]any{
				"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": name, "countriesAndRegions": []any{"FR"}})
			if err != nil {
				t.Fatal(err)
			}
			var obj struct{ ID string }
			if err := json.Unmarshal(resp.Body, &obj); err != nil || obj.ID == "" {
				t.Fatalf("created %s: %v", resp.Body, err)
			}
			ids = append(ids, obj.ID)
		}
		return ids
	}
	first := created()
	// The repository now mentions those ids (in upper case) in its id map.
	var idmap strings.Builder
	idmap.WriteString("ids:\n")
	for i, id := range first {
		idmap.WriteString("  \"" + strings.ToUpper(id) + "\":\n    kind: \"named-locations\"\n    id: \"0000000" + string(rune('1'+i)) + "-0000-4000-8000-000000000000\"\n")
	}
	dir := repo.Path()
	if err := os.MkdirAll(filepath.Join(dir, ".entrasnap"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".entrasnap", "idmap.yaml"), []byte(idmap.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", ".entrasnap/idmap.yaml"}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "idmap"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	second := created()
	for _, id := range second {
		for _, old := range first {
			if strings.EqualFold(id, old) {
				t.Errorf("a named location created in the rehearsal tenant got %s, which the repository's id map mentions", id)
			}
		}
	}
}
