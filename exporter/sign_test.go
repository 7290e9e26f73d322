package exporter

import (
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Options.Signer signs the snapshot commit and tag, on HEAD's branch and
// on a new --branch; real git verifies both.
func TestSignedExportVerifiesWithGit(t *testing.T) {
	whenShortOnly(t, "users", "groups") // signing does not depend on the kinds; the change is a user's
	keys := t.TempDir()
	priv, pub := gitcheck.SSHKey(t, keys, "ci", "ed25519", "")
	signer, err := snapshot.LoadSigner(priv, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	allowed := gitcheck.AllowedSigners(t, keys, "backup@example.com "+pub)
	who := snapshot.Signature{Name: "Backup", Email: "backup@example.com"}
	sim := newSim(t, graphsim.Options{})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	now := clock()
	first := mustExport(t, c, r, func(o *Options) { o.Now = now; o.Signer = signer; o.Author = who })
	u := sim.Tenant().List("user")[3]
	if _, err := c.Patch(context.Background(), "/v1.0/users/"+u["id"].(string), map[string]any{"jobTitle": "Signed"}); err != nil {
		t.Fatal(err)
	}
	second := mustExport(t, c, r, func(o *Options) { o.Now = now; o.Signer = signer; o.Author = who; o.Branch = "review/signed" })
	if !second.Changed || second.Tag == "" {
		t.Fatalf("second export: changed %v tag %q", second.Changed, second.Tag)
	}
	for _, v := range [][2]string{{"verify-commit", first.Commit}, {"verify-tag", first.Tag}, {"verify-commit", "review/signed"}, {"verify-tag", second.Tag}} {
		if out, ok := gitcheck.Verify(t, r.Path(), allowed, v[0], v[1]); !ok || !strings.Contains(out, "Good \"git\" signature for backup@example.com") {
			t.Fatalf("git %s %s refused:\n%s", v[0], v[1], out)
		}
	}
	fsck(t, r.Path())
}
