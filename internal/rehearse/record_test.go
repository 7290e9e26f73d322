package rehearse

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

func TestReadAll(t *testing.T) {
	ctx := context.Background()
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "repo"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: map[string][]byte{layout.ManifestPath: []byte("format: 1\n")}}); err != nil {
		t.Fatal(err)
	}
	if recs, bad, err := ReadAll(ctx, r, "HEAD"); err != nil || len(recs) != 0 || len(bad) != 0 {
		t.Fatalf("no records: %v %v %v", recs, bad, err)
	}
	t0 := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	rec := Record{StartedAt: t0, FinishedAt: t0.Add(time.Minute), Commit: strings.Repeat("0", 40), Tool: "entrasnap dev", Throttle: "off",
		Scenarios: []layout.RehearsalScenario{{Name: "ca-policy-deleted", Result: layout.RehearsalPass, Objects: 1, RestoreSeconds: 1.5}}}
	rec.Count()
	if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: map[string][]byte{
		layout.ManifestPath:              []byte("format: 1\n"),
		layout.RehearsalPath(t0):         rec.Encode(),
		layout.RehearsalsDir + "/x.yaml": []byte("version: [\n"),
	}}); err != nil {
		t.Fatal(err)
	}
	recs, bad, err := ReadAll(ctx, r, "HEAD")
	if err != nil || len(recs) != 1 || recs[0].Passed != 1 || recs[0].Scenarios[0].RestoreSeconds != 1.5 || recs[0].Path != layout.RehearsalPath(t0) {
		t.Fatalf("records %+v, %v", recs, err)
	}
	if len(bad) != 1 || !strings.Contains(bad[0].Error(), layout.RehearsalsDir+"/x.yaml") {
		t.Errorf("bad %v", bad)
	}
	if _, _, err := ReadAll(ctx, r, "no-such-rev"); err == nil {
		t.Error("an unknown revision is no error")
	}
}
