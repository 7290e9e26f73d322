package exporter

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// The manifest records the permissions the exporting app held (its token's
// roles claim), so an evidence report can show the backup ran read-only;
// graphsim's opaque demo token records nothing.
func TestManifestRecordsTheExportersPermissions(t *testing.T) {
	whenShortOnly(t, "users", "groups") // the access comes from the token, whatever the kinds
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
		{jwt(`{"appid":"a","roles":["User.Read.All","Directory.Read.All","User.Read.All"]}`), "&{application [Directory.Read.All User.Read.All] [] token}"},
		{jwt(`{"appid":"a"}`), "&{application [] [] token}"},
		{jwt(`{"scp":"User.Read  Directory.Read.All","wids":["62e90394-69f5-4237-9190-012177145e10"]}`), "&{delegated [Directory.Read.All User.Read] [62e90394-69f5-4237-9190-012177145e10] token}"},
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
	whenShortOnly(t, "users", "groups") // the restore records groups
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

// With a token that is not a JWT (graphsim's OpaqueTokens), the manifest
// records the app's permissions as Graph lists its grants, and says so
// (source: graph), when the export knows the app (Options.ClientID); the
// same grants export again make no commit; without the client id nothing
// is recorded; an app Graph does not know is a warning naming it, and the
// export still commits. Also under realistic throttling and faults.
func TestManifestAccessFromGraphWhenTheTokenIsOpaque(t *testing.T) {
	// The manifest's access is read from Graph whatever the kinds.
	whenShortOnly(t, "users", "groups")
	for _, o := range []graphsim.Options{{OpaqueTokens: true}, {OpaqueTokens: true, Throttle: "realistic", FaultRate: 0.03}} {
		t.Run(o.Throttle, func(t *testing.T) {
			sim := newSim(t, o)
			srv := newServer(t, sim)
			// The test's own set-up (the app and its service principal)
			// meets no injected fault: a create sent again after a lost
			// answer could make two. The export's client meets them all.
			admin := newClient(t, sim, sim.Unfaulted(), sim.Token())
			set := layout.ExportPermissions(layout.Kinds())
			tok, appID := limitedApp(t, sim, admin, srv.URL, set...)
			if strings.Count(tok, ".") == 2 {
				t.Fatal("graphsim issued a JWT with OpaqueTokens set")
			}
			c := clientFor(t, sim, srv, tok)
			r := newRepo(t, false)
			mustExport(t, c, r, func(o *Options) { o.ClientID = appID })
			m := readManifest(t, r.Path())
			if m.Access == nil || m.Access.Type != "application" || m.Access.Source != layout.AccessFromGraph || fmt.Sprint(m.Access.Permissions) != fmt.Sprint(set) {
				t.Fatalf("manifest access = %+v, want application %v from graph", m.Access, set)
			}
			if man := git(t, r.Path(), "show", "HEAD:"+layout.ManifestPath); !strings.Contains(man, "  source: \"graph\"\n") {
				t.Errorf("the manifest's access does not say where the permissions came from")
			}
			head := git(t, r.Path(), "rev-parse", "HEAD")
			if again := mustExport(t, c, r, func(o *Options) { o.ClientID = appID }); again.Changed || git(t, r.Path(), "rev-parse", "HEAD") != head {
				t.Errorf("the same grants read again made a commit")
			}

			r2 := newRepo(t, false)
			mustExport(t, c, r2, nil)
			if m := readManifest(t, r2.Path()); m.Access != nil {
				t.Errorf("without a client id: access %+v, want none", m.Access)
			}
			r3 := newRepo(t, false)
			const unknown = "00000000-0000-4000-8000-0000000000ff"
			res3 := mustExport(t, c, r3, func(o *Options) { o.ClientID = unknown })
			found := false
			for _, w := range res3.Warnings {
				found = found || w.Path == layout.ManifestPath && strings.Contains(w.Message, unknown)
			}
			if m := readManifest(t, r3.Path()); m.Access != nil || !found {
				t.Errorf("an unknown app: access %+v, warnings %+v", m.Access, res3.Warnings)
			}
		})
	}
}
