package exporter

import (
	"encoding/base64"
	"fmt"
	"testing"

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
