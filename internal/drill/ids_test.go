package drill

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/internal/rehearse"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/internal/simtest/simexport"
	"github.com/entrasnap/entrasnap/layout"
)

// A rehearsal's restores run one after the other on the same tenant, and
// the ids its earlier restores gave recreated objects are its own id map
// (run.ids), which its plans read and its applies read again when they
// check the plan (importer.ApplyOptions.IDs): a group purged and
// recreated under a new id by one restore, then renamed, is found by the
// next restore under that id and renamed back (an apply that checked the
// plan without the rehearsal's map would find no group, plan its create
// and refuse the plan as edited). The repository is not written.
func TestRehearsalAppliesWithItsOwnIDMap(t *testing.T) {
	ctx := context.Background()
	const name = "Ops \"quoted\" \u202egnp.exe\n../../x 🚀"
	tn := simexport.New(t, graphsim.Options{Profile: "empty"})
	sim, c, repo := tn.Sim, tn.Client, tn.Repo
	resp, err := c.Post(ctx, "/v1.0/groups", map[string]any{"displayName": name, "mailEnabled": false, "mailNickname": "ops", "securityEnabled": true})
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ ID string }
	if err := json.Unmarshal(resp.Body, &g); err != nil || g.ID == "" {
		t.Fatalf("group: %s %v", resp.Body, err)
	}
	group := g.ID
	sim.Clock().Advance(time.Minute) // past the replication lag: the export sees it
	// The groups alone (every kind of even an empty tenant takes seconds).
	kinds, err := layout.Select([]string{"organization", "groups"})
	if err != nil {
		t.Fatal(err)
	}
	first := tn.Export(kinds...)
	rsim, _, err := rehearse.Load(ctx, repo, first.Commit, graphsim.Options{Throttle: "realistic", AuditLag: -1, Seed: 1, Now: simtest.Now.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := rsim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sleep := func(ctx context.Context, d time.Duration) error { rsim.Clock().Advance(d); return ctx.Err() }
	rc, err := graph.New(graph.Config{BaseURL: ln.URL, AccessToken: rsim.Token(), Sleep: sleep})
	if err != nil {
		t.Fatal(err)
	}
	var seen *graphsim.Server
	r := &run{o: testOptions(repo, &seen), commit: first.Commit, client: rc, sim: rsim, sleep: sleep, ids: importer.NewIDMap()}

	for _, p := range []string{"/v1.0/groups/" + group, "/v1.0/directory/deletedItems/" + group} {
		if _, err := rc.Delete(ctx, p); err != nil {
			t.Fatalf("DELETE %s: %v", p, err)
		}
	}
	note, err := r.restore(ctx, []string{group})
	if err != nil || !strings.Contains(note, "1 recreated under new ids") {
		t.Fatalf("restoring the purged group: %q %v", note, err)
	}
	recreated, ok := r.ids.Resolve(group)
	if !ok || strings.EqualFold(recreated, group) {
		t.Fatalf("the rehearsal's id map: %+v", r.ids)
	}
	if _, err := rc.Patch(ctx, "/v1.0/groups/"+recreated, map[string]any{"displayName": "renamed"}); err != nil {
		t.Fatal(err)
	}
	note, err = r.restore(ctx, []string{group})
	if err != nil || !strings.Contains(note, "restored with 1 action (1 update), verified") {
		t.Fatalf("restoring the recreated group's name: %q %v", note, err)
	}
	got, err := rc.Get(ctx, "/v1.0/groups/"+recreated+"?$select=displayName")
	if err != nil || !strings.Contains(string(got), `"displayName":`+mustJSON(t, name)) {
		t.Errorf("the recreated group after the second restore: %s %v", got, err)
	}
	if head, err := repo.Resolve(ctx, "HEAD"); err != nil || head.String() != first.Commit {
		t.Errorf("the rehearsal moved HEAD to %v (%v), want %s", head, err, first.Commit)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
