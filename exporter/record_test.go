package exporter

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// Record is the post-restore snapshot: the kinds given only, with the
// extra files, past the mass-deletion guard a plain export stops at.
func TestRecordAfterRestore(t *testing.T) {
	whenShortOnly(t, "users", "groups") // Record reads users; groups are the kind it must not read
	sim := newSim(t, graphsim.Options{})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	mustExport(t, c, r, nil)
	ctx := context.Background()
	var reqs []graph.BatchRequest
	for i, u := range sim.Tenant().List("user") {
		if i >= 140 {
			break
		}
		reqs = append(reqs, graph.BatchRequest{Method: "DELETE", URL: "/v1.0/users/" + u["id"].(string)})
	}
	if _, err := c.Batch(ctx, reqs); err != nil {
		t.Fatal(err)
	}
	users, _ := layout.Lookup("users")
	o := Options{Client: c, Repo: r, Now: clock()}
	res, err := o.Record(ctx, []*layout.Kind{users}, "restored users", nil)
	if err != nil || !res.Changed || res.Deleted != 140 {
		t.Fatalf("Record past the guard: %+v, %v", res, err)
	}
	if msg := git(t, r.Path(), "log", "-1", "--format=%B"); !strings.HasPrefix(msg, "entrasnap snapshot: restored users") {
		t.Errorf("the recorded snapshot's message: %q", msg)
	}

	// Only the kinds given are read: a change elsewhere is not recorded.
	g := sim.Tenant().List("group")[0]
	if _, err := c.Patch(ctx, "/v1.0/groups/"+g["id"].(string), map[string]any{"description": "changed after the restore"}); err != nil {
		t.Fatal(err)
	}
	res, err = o.Record(ctx, []*layout.Kind{users}, "restored users", map[string][]byte{".entrasnap/idmap.yaml": []byte("a: b\n")})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if got := git(t, r.Path(), "show", res.Commit+":.entrasnap/idmap.yaml"); got != "a: b\n" {
		t.Errorf("idmap in the recorded snapshot: %q", got)
	}
	if out, err := runGit(r.Path(), "grep", "-c", "changed after the restore", res.Commit); err == nil {
		t.Errorf("the recorded snapshot read groups:\n%s", out)
	}
}

// WritePRBody: the first snapshot's summary, then what the next one
// changed, titled previous → new.
func TestWritePRBody(t *testing.T) {
	whenShortOnly(t, "users", "groups") // the change is a user's
	sim := newSim(t, graphsim.Options{})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	ctx := context.Background()
	body := filepath.Join(t.TempDir(), "body.md")
	first := mustExport(t, c, r, nil)
	if err := first.WritePRBody(ctx, r, body); err != nil {
		t.Fatal(err)
	}
	if md, _ := os.ReadFile(body); !strings.HasPrefix(string(md), "### entrasnap: first snapshot "+first.Tag) {
		t.Errorf("first body:\n%s", md)
	}
	u := sim.Tenant().List("user")[3]
	if _, err := c.Patch(ctx, "/v1.0/users/"+u["id"].(string), map[string]any{"jobTitle": "Chief Backup Officer"}); err != nil {
		t.Fatal(err)
	}
	second := mustExport(t, c, r, nil)
	if err := second.WritePRBody(ctx, r, body); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(body)
	if !strings.Contains(string(md), first.Tag+" → "+second.Tag) || !strings.Contains(string(md), "Chief Backup Officer") || len(md) > PRBodyMax {
		t.Errorf("second body (%d bytes):\n%s", len(md), md)
	}
}
