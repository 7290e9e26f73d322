package drift

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Run reads the tenant only after the baseline and the watch list are
// known good: a watch list naming what the baseline lacks is a
// *WatchError naming its file, a commit without a manifest is refused, and neither reads
// Graph. A good baseline is compared with what Read returned.
func TestRunChecksBaselineAndWatchBeforeReading(t *testing.T) {
	ctx := context.Background()
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "repo"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	groups, _ := layout.Lookup("groups")
	g := map[string]any{"id": "9a000000-0000-4000-8000-000000000001", "displayName": "Finance"}
	p, _ := layout.Path(groups, g)
	man := &layout.Manifest{TenantID: "t", Kinds: map[string]layout.ManifestKind{"groups": {Complete: true, Objects: 1}}}
	if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: map[string][]byte{p: layout.Canonical(groups, g)}, Message: "no manifest"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: map[string][]byte{p: layout.Canonical(groups, g), layout.ManifestPath: man.Encode()}, Message: "baseline"}); err != nil {
		t.Fatal(err)
	}
	reads := 0
	changed := map[string]any{"id": g["id"], "displayName": "Finance", "description": "changed"}
	o := Options{Repo: r, RepoDir: "./r", Baseline: "HEAD", Read: func(context.Context, []string) (*live.Live, error) {
		reads++
		return &live.Live{TenantID: "t", Files: map[string][]byte{p: layout.Canonical(groups, changed)},
			Kinds: []live.KindResult{{Kind: "groups", Complete: true}}}, nil
	}}

	w, err := ParseWatch([]byte("objects: [\"groups/No Such Group\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	bad := o
	bad.Watch, bad.WatchFile = w, "w.yaml"
	var we *WatchError
	if _, err := Run(ctx, bad); !errors.As(err, &we) || reads != 0 || !strings.HasPrefix(err.Error(), `w.yaml: objects: `) {
		t.Errorf("a watch list naming a missing group: %v (reads %d)", err, reads)
	}
	old := o
	old.Baseline = "HEAD~1"
	if _, err := Run(ctx, old); err == nil || !strings.Contains(err.Error(), "is not an entrasnap snapshot") || reads != 0 {
		t.Errorf("a baseline without a manifest: %v (reads %d)", err, reads)
	}
	rep, err := Run(ctx, o)
	if err != nil || reads != 1 || rep.Critical.Empty() || rep.Commit == "" {
		t.Fatalf("Run = %+v, %v (reads %d)", rep, err, reads)
	}
}
