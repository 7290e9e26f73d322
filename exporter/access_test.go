package exporter

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// The manifest records the permissions the exporting app held (its token's
// roles claim), so an evidence report can show the backup ran read-only;
// graphsim's opaque demo token records nothing.
func TestManifestRecordsTheExportersPermissions(t *testing.T) {
	sim := newSim(t, graphsim.Options{})
	srv := newServer(t, sim)
	admin := clientFor(t, sim, srv, sim.Token())
	set := layout.ExportPermissions(layout.Kinds())
	r := newRepo(t, false)
	mustExport(t, clientFor(t, sim, srv, limitedToken(t, sim, admin, srv.URL, set...)), r, nil)
	m := readManifest(t, r.Path())
	if m.Access == nil || m.Access.Type != "application" || fmt.Sprint(m.Access.Permissions) != fmt.Sprint(set) {
		t.Fatalf("manifest access = %+v, want application %v", m.Access, set)
	}

	r2 := newRepo(t, false)
	mustExport(t, admin, r2, nil)
	if m := readManifest(t, r2.Path()); m.Access != nil {
		t.Errorf("an opaque token recorded access %+v", m.Access)
	}
}

func readManifest(t *testing.T, path string) *layout.Manifest {
	t.Helper()
	data := []byte(git(t, path, "show", "HEAD:"+layout.ManifestPath))
	m, err := layout.DecodeManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAccessOfClaims(t *testing.T) {
	jwt := func(payload string) string {
		return "e30." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
	}
	for _, c := range []struct{ token, want string }{
		{jwt(`{"appid":"a","roles":["User.Read.All","Directory.Read.All","User.Read.All"]}`), "&{application [Directory.Read.All User.Read.All] []}"},
		{jwt(`{"appid":"a"}`), "&{application [] []}"},
		{jwt(`{"scp":"User.Read  Directory.Read.All","wids":["62e90394-69f5-4237-9190-012177145e10"]}`), "&{delegated [Directory.Read.All User.Read] [62e90394-69f5-4237-9190-012177145e10]}"},
		{jwt(`{"sub":"x"}`), "<nil>"},
		{"graphsim.opaque", "<nil>"},
		{"a.!!.c", "<nil>"},
	} {
		if got := fmt.Sprint(accessOf(c.token)); got != c.want {
			t.Errorf("accessOf(%s) = %s, want %s", c.token, got, c.want)
		}
	}
}

// The snapshot a restore records keeps the backup app's access in its
// manifest: the restore's own token, allowed to write, is not what the
// backups run with, and the evidence report must not say the backup app
// can write because a restore ran.
func TestPostRestoreSnapshotKeepsTheBackupAppsAccess(t *testing.T) {
	sim := newSim(t, graphsim.Options{})
	srv := newServer(t, sim)
	admin := clientFor(t, sim, srv, sim.Token())
	set := layout.ExportPermissions(layout.Kinds())
	r := newRepo(t, false)
	mustExport(t, clientFor(t, sim, srv, limitedToken(t, sim, admin, srv.URL, set...)), r, nil)

	g := firstOf(t, admin, "/v1.0/groups?$top=1")
	if _, err := admin.Patch(context.Background(), "/v1.0/groups/"+g, map[string]any{"description": "restored"}); err != nil {
		t.Fatal(err)
	}
	writer := clientFor(t, sim, srv, limitedToken(t, sim, admin, srv.URL, append(append([]string{}, set...), "Group.ReadWrite.All")...))
	groups, _ := layout.Select([]string{"groups"})
	res, err := Options{Client: writer, Repo: r, Now: sim.Clock().Now}.Record(context.Background(), groups, "restore", nil)
	if err != nil || !res.Changed {
		t.Fatalf("Record: changed %v, %v", res != nil && res.Changed, err)
	}
	m := readManifest(t, r.Path())
	if m.Access == nil || fmt.Sprint(m.Access.Permissions) != fmt.Sprint(set) {
		t.Fatalf("the post-restore manifest's access = %+v, want the backup app's %v", m.Access, set)
	}
}

func firstOf(t *testing.T, c *graph.Client, path string) string {
	t.Helper()
	resp, err := c.Get(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Value []struct{ ID string } }
	if err := json.Unmarshal(resp, &v); err != nil || len(v.Value) == 0 {
		t.Fatalf("%s: %s (%v)", path, resp, err)
	}
	return v.Value[0].ID
}
