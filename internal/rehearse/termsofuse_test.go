package rehearse

import (
	"context"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// A snapshot whose agreement files Graph returned without their bytes
// (fileData {notReturned: true}) loads into a rehearsal tenant that
// answers those files with "fileData": null, as the real tenant did, so
// the rehearsal tenant's export equals the snapshot: no commit.
func TestLoadAgreementFilesWithoutBytes(t *testing.T) {
	ctx := context.Background()
	k, _ := layout.Lookup("terms-of-use")
	sim := simtest.New(t, graphsim.Options{TermsOfUseFileDataNull: true})
	c := simtest.Client(t, sim, simtest.Serve(t, sim), "")
	repo := simtest.Repo(t, false)
	kinds := []*layout.Kind{k}
	first, err := exporter.Run(ctx, exporter.Options{Client: c, Repo: repo, Kinds: kinds, Now: func() time.Time { return sim.Clock().Now() }})
	if err != nil || !first.Complete() {
		t.Fatalf("export: %v %+v", err, first)
	}
	rh, _, err := Load(ctx, repo, "HEAD", graphsim.Options{Seed: 1, Now: simtest.Now})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	rc := simtest.Client(t, rh, simtest.Serve(t, rh), "")
	again, err := exporter.Run(ctx, exporter.Options{Client: rc, Repo: repo, Kinds: kinds, Now: func() time.Time { return rh.Clock().Now() }})
	if err != nil || !again.Complete() {
		t.Fatalf("rehearsal export: %v %+v", err, again)
	}
	if again.Changed {
		t.Errorf("the rehearsal tenant's export changed the snapshot: %+v", again)
	}
}
