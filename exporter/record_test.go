package exporter

import (
	"context"
	"os"
	"path/filepath"
	"sort"
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

// The snapshot after a restore (Record) resumes users from the delta state
// the last export kept: Graph's round gives the restored users and what
// others changed meanwhile, not every user again, and the files are a full
// export's of the same tenant state byte for byte, with the changes someone
// else made during the restore, the one delta does not track (a sponsor)
// included.
func TestRecordAfterRestoreReadsOnlyTheChanges(t *testing.T) {
	whenShortOnly(t, "users")
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 900, Groups: 10, MembersPerGroup: 5}})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	mustExport(t, c, r, nil)
	var ids []string
	for _, u := range sim.Tenant().List("user") {
		if u["userType"] == "Member" {
			ids = append(ids, u["id"].(string))
		}
	}
	sort.Strings(ids)
	restored, others := ids[:60], ids[60:]
	ch := &changer{t: t, c: c, sim: sim}
	for _, id := range restored {
		ch.do("DELETE", "/v1.0/users/"+id, nil)
	}
	for _, id := range restored {
		ch.do("POST", "/v1.0/directory/deletedItems/"+id+"/restore", nil)
	}
	// Someone else, during the restore.
	ch.do("PATCH", "/v1.0/users/"+others[0], map[string]any{"jobTitle": "Edited during the restore"})
	ch.newUser()
	ch.do("POST", "/v1.0/users/"+others[1]+"/sponsors/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + others[2]})

	users, _ := layout.Lookup("users")
	sim.ResetStats()
	res, err := Options{Client: c, Repo: r, Now: clock()}.Record(context.Background(), []*layout.Kind{users}, "restored users", nil)
	if err != nil || !res.Changed {
		t.Fatalf("Record: %+v, %v", res, err)
	}
	if k := kindResult(res, "users"); k.Read != "delta" {
		t.Errorf("users read %q (%s), want delta", k.Read, k.Note)
	}
	recorded := usersReads(sim)
	full := newRepo(t, true)
	sim.ResetStats()
	mustExport(t, c, full, func(o *Options) { o.Kinds = []*layout.Kind{users} })
	whole := usersReads(sim)
	if recorded["GET /users/delta"] >= whole["GET /users/delta"] || recorded["units"] >= whole["units"] || recorded["one user"] > 0 {
		t.Errorf("the snapshot after the restore read %v; a full read of the users reads %v", recorded, whole)
	}
	got, want := tree(t, r, res.Commit), tree(t, full, "HEAD")
	for _, files := range []map[string][]byte{got, want} {
		for p := range files {
			if k, _, err := layout.Locate(p); err != nil || k != users {
				delete(files, p)
			}
		}
	}
	sameTree(t, "after the restore", got, want)
}

// usersReads counts sim's requests for users by path: the delta round,
// the list ($expand of sponsors), the count, and "one user" for those of
// one user; "units" are their resource units.
func usersReads(sim *graphsim.Server) map[string]int {
	out := map[string]int{}
	for _, e := range sim.Stats().Endpoints {
		if e.Method != "GET" || !strings.HasPrefix(e.Path, "/users") {
			continue
		}
		switch e.Path {
		case "/users/delta", "/users", "/users/$count":
			out["GET "+e.Path] += e.Requests
		default:
			out["one user"] += e.Requests
		}
		out["units"] += e.ResourceUnits
	}
	return out
}
