package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/internal/rehearse"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// backup exports a graphsim tenant of profile into a new repository.
func backup(t *testing.T, profile string, prep func(*graph.Client, *graphsim.Server)) (*snapshot.Repo, *graphsim.Server, *graph.Client, *exporter.Result) {
	t.Helper()
	sim := simtest.New(t, graphsim.Options{Profile: profile})
	srv := simtest.Serve(t, sim)
	c := simtest.Client(t, sim, srv, "")
	if prep != nil {
		prep(c, sim)
	}
	repo := simtest.Repo(t, false)
	res, err := exporter.Run(context.Background(), exporter.Options{Client: c, Repo: repo, AllowShrink: true, Now: func() time.Time { return sim.Clock().Now() }})
	if err != nil {
		t.Fatal(err)
	}
	return repo, sim, c, res
}

func testOptions(repo *snapshot.Repo, seen **graphsim.Server) Options {
	return Options{Repo: repo, Throttle: "off", Tool: "entrasnap test", Freeze: true,
		Now: func() time.Time { return simtest.Now.Add(48 * time.Hour) },
		Client: func(url, token string, sleep Sleep) (*graph.Client, error) {
			return graph.New(graph.Config{BaseURL: url, AccessToken: token, Sleep: sleep})
		},
		Tenant: func(s *graphsim.Server) { *seen = s }}
}

func TestRehearsal(t *testing.T) {
	ctx := context.Background()
	// The policy the first scenario deletes (the enabled one of lowest id)
	// has a hostile name.
	const hostile = "CA \x1b[31mred\u202egnp.exe\r\nsecond line"
	repo, sim, client, first := backup(t, "demo", func(c *graph.Client, sim *graphsim.Server) {
		ps := sim.Tenant().List("conditionalAccessPolicy")
		sort.Slice(ps, func(i, j int) bool { return ps[i]["id"].(string) < ps[j]["id"].(string) })
		for _, p := range ps {
			if p["state"] == "enabled" {
				if _, err := c.Patch(context.Background(), "/v1.0/identity/conditionalAccess/policies/"+p["id"].(string), map[string]any{"displayName": hostile}); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
		t.Fatal("no enabled policy")
	})
	var tenant *graphsim.Server
	rec, err := Run(ctx, testOptions(repo, &tenant))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Snapshot != first.Tag || rec.Commit != first.Commit || rec.Throttle != "off" || rec.Tool != "entrasnap test" ||
		!rec.StartedAt.Equal(simtest.Now.Add(48*time.Hour)) || rec.FinishedAt.Before(rec.StartedAt) {
		t.Errorf("record %+v (snapshot %s %s)", rec, first.Tag, first.Commit)
	}
	want := map[string]struct {
		objects int
		detail  string
	}{
		"ca-policy-deleted":         {1, "deleted; restored with 1 action (1 create), verified, 1 recreated under new ids"},
		"group-membership-wiped":    {1, "members; restored with"},
		"app-redirect-uris-changed": {1, "now redirects sign-ins (web) to " + phishingURI + "; restored with 1 action (1 update), verified"},
		"sp-permissions-changed":    {1, "removed, delegated grant"},
		"named-location-deleted":    {1, "deleted; restored with 1 action (1 create), verified"},
		"user-attributes-corrupted": {50, "department and job title of 50 users overwritten; restored with 50 actions (50 update), verified"},
	}
	if len(rec.Scenarios) != 6 || rec.Passed != 6 || rec.Failed != 0 || rec.Skipped != 0 {
		t.Fatalf("scenarios %+v", rec.Scenarios)
	}
	for i, s := range rec.Scenarios {
		w := want[s.Name]
		if s.Name != layout.RehearsalScenarios[i] || s.Result != layout.RehearsalPass || s.Objects != w.objects || !strings.Contains(s.Detail, w.detail) || s.RestoreSeconds < 0 {
			t.Errorf("scenario %d: %+v, want %d objects and %q", i, s, w.objects, w.detail)
		}
	}
	var table bytes.Buffer
	if err := WriteTable(&table, rec); err != nil {
		t.Fatal(err)
	}
	if d := rec.Scenarios[0].Detail; !strings.Contains(d, `"CA \x1b[31mred\u202egnp.exe\r\nsecond line"`) || strings.ContainsAny(d+table.String(), "\x1b\u202e\r") ||
		strings.Count(table.String(), "\n") != 9 {
		t.Errorf("a hostile name reached the record or the table as it is:\n%q\n%s", d, table.String())
	}
	// The incidents were made through Graph: the rehearsal tenant's audit
	// log has them, by the app that made them.
	activities := map[string]int{}
	for next := "/v1.0/auditLogs/directoryAudits"; next != ""; {
		req := httptest.NewRequest("GET", next, nil)
		req.Header.Set("Authorization", "Bearer "+tenant.Token())
		rr := httptest.NewRecorder()
		tenant.ServeHTTP(rr, req)
		var page struct {
			Value []map[string]any
			Next  string `json:"@odata.nextLink"`
		}
		if rr.Code != http.StatusOK || json.Unmarshal(rr.Body.Bytes(), &page) != nil {
			t.Fatalf("audit log: %d %s", rr.Code, rr.Body)
		}
		for _, a := range page.Value {
			activities[a["activityDisplayName"].(string)]++
		}
		next = page.Next
	}
	for _, a := range []string{"Delete conditional access policy", "Remove member from group", "Update application", "Update user", "Delete named location"} {
		if activities[a] == 0 {
			t.Errorf("no audit record %q among %v", a, activities)
		}
	}
	// The restores recorded no snapshot: the repository is as it was.
	if h, _ := repo.Resolve(ctx, "HEAD"); h.String() != first.Commit {
		t.Fatalf("the rehearsal moved HEAD to %s", h)
	}

	// The record: a commit of its own, no tag, everything else kept.
	path, res, err := Commit(ctx, repo, rec, CommitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if path != layout.RehearsalPath(rec.StartedAt) || res.Tag != "" || !res.Changed || len(res.Changes) != 1 || res.Changes[0].Path != path {
		t.Fatalf("commit: %s %+v", path, res)
	}
	// A second record of the same second is refused, nothing written.
	if _, _, err := Commit(ctx, repo, rec, CommitOptions{}); err == nil || !strings.Contains(err.Error(), "same second") {
		t.Errorf("a second record at the same time: %v", err)
	}
	log, _ := repo.Log(ctx, "HEAD", 1)
	if !strings.HasPrefix(log[0].Message, "rehearsal: 6 of 6 passed at "+first.Tag+"\n") {
		t.Errorf("message %q", log[0].Message)
	}
	recs, bad, err := rehearse.ReadAll(ctx, repo, "HEAD")
	if err != nil || len(bad) > 0 || len(recs) != 1 || recs[0].Passed != 6 || recs[0].Scenarios[5].Objects != 50 {
		t.Fatalf("read back: %+v %v %v", recs, bad, err)
	}
	rep, err := check.Repo(ctx, repo, check.Options{All: true})
	if err != nil || rep.Errors > 0 || !rep.OK {
		t.Fatalf("check after the record: %v %+v", err, rep)
	}

	// The next export keeps the record (it belongs to no kind).
	if _, err := client.Patch(ctx, "/v1.0/users/"+sim.Tenant().List("user")[0]["id"].(string), map[string]any{"department": "Moved"}); err != nil {
		t.Fatal(err)
	}
	next, err := exporter.Run(ctx, exporter.Options{Client: client, Repo: repo, Now: func() time.Time { return sim.Clock().Now().Add(time.Hour) }})
	if err != nil || !next.Changed {
		t.Fatalf("export after the record: %v %+v", err, next)
	}
	if recs, _, _ := rehearse.ReadAll(ctx, repo, next.Tag); len(recs) != 1 || recs[0].Path != path {
		t.Errorf("the export dropped the record: %+v", recs)
	}

	// The restores read the rehearsed commit through one
	// importer.SnapshotCache: decoded once, each read a copy of its own
	// that equals a fresh decoding, whatever the reader did to the last.
	files, err := repo.ReadAll(ctx, first.Commit, "")
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := diff.LoadFiles(files)
	var cache importer.SnapshotCache
	for i := range 3 {
		got, skipped, err := cache.Objects(ctx, repo, first.Commit)
		if err != nil || len(skipped) > 0 || len(got) != len(fresh) || len(got) < 100 {
			t.Fatalf("read %d: %d objects (%d fresh), skipped %v, %v", i, len(got), len(fresh), skipped, err)
		}
		for p, o := range got {
			if !reflect.DeepEqual(o, fresh[p]) {
				t.Fatalf("read %d: %s differs from a fresh decoding:\n%+v\n%+v", i, p, o.Data, fresh[p].Data)
			}
			// What a plan or apply may do to its objects.
			o.Data["displayName"] = "changed"
			for _, v := range o.Data {
				if m, ok := v.(map[string]any); ok {
					m["changed"] = true
				}
				if l, ok := v.([]any); ok && len(l) > 0 {
					l[0] = "changed"
				}
			}
			o.Key = "changed"
		}
	}
	// Another commit is decoded, not served from the first's objects: the
	// user the next export saw moved is moved there.
	moved := sim.Tenant().List("user")[0]["id"]
	got, _, err := cache.Objects(ctx, repo, next.Commit)
	found := false
	for _, o := range got {
		if o.Kind.Name == "users" && o.Data["id"] == moved {
			found = o.Data["department"] == "Moved"
		}
	}
	if err != nil || !found {
		t.Errorf("the next export's commit does not have user %v moved (%v)", moved, err)
	}
}

// A scenario whose objects the snapshot does not have is skipped, and says
// why; a scenario that cannot be done fails.
func TestRehearsalSkipsAndFails(t *testing.T) {
	ctx := context.Background()
	repo, _, _, _ := backup(t, "empty", nil)
	var tenant *graphsim.Server
	o := testOptions(repo, &tenant)
	rec, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]layout.RehearsalScenario{}
	for _, s := range rec.Scenarios {
		byName[s.Name] = s
	}
	if s := byName["ca-policy-deleted"]; s.Result != layout.RehearsalSkipped || s.Detail != "no Conditional Access policy in the snapshot" {
		t.Errorf("ca-policy-deleted on an empty tenant: %+v", s)
	}
	if rec.Skipped == 0 || rec.Failed != 0 || rec.Passed+rec.Skipped != len(rec.Scenarios) {
		t.Errorf("counts %d %d %d: %+v", rec.Passed, rec.Failed, rec.Skipped, rec.Scenarios)
	}
	if !strings.Contains(Message(rec), " skipped)") {
		t.Errorf("message %q", Message(rec))
	}

	// Without a P1 licence Graph refuses Conditional Access writes.
	repo, _, _, _ = backup(t, "demo", nil)
	o = testOptions(repo, &tenant)
	o.Licence, o.Scenarios = graphsim.LicenceFree, []string{"ca-policy-deleted", "app-redirect-uris-changed"}
	rec, err = Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	// A detached HEAD has no branch to record on: refused, nothing written.
	h, _ := repo.Resolve(ctx, "HEAD")
	if err := os.WriteFile(filepath.Join(repo.GitDir(), "HEAD"), []byte(h.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Commit(ctx, repo, rec, CommitOptions{}); err == nil || !strings.Contains(err.Error(), "detached") || !strings.Contains(err.Error(), "--no-record") {
		t.Errorf("detached HEAD: %v", err)
	}
	if len(rec.Scenarios) != 2 || rec.Failed != 1 || rec.Passed != 1 || rec.Scenarios[0].Result != layout.RehearsalFail ||
		!strings.Contains(rec.Scenarios[0].Detail, "403") {
		t.Errorf("unlicensed: %+v", rec.Scenarios)
	}
}

func TestParseScenarios(t *testing.T) {
	if l, err := ParseScenarios(""); l != nil || err != nil {
		t.Errorf("empty: %v %v", l, err)
	}
	if l, err := ParseScenarios(" named-location-deleted,ca-policy-deleted,named-location-deleted "); err != nil || strings.Join(l, " ") != "named-location-deleted ca-policy-deleted" {
		t.Errorf("list: %v %v", l, err)
	}
	if _, err := ParseScenarios("ca-policy-deleted,drop-\x1b[31mtables"); err == nil || strings.Contains(err.Error(), "\x1b") || !strings.Contains(err.Error(), "user-attributes-corrupted") {
		t.Errorf("unknown: %v", err)
	}
	// The names are those of the record format.
	var names []string
	for _, s := range scenarios {
		names = append(names, s.name)
	}
	if strings.Join(names, ",") != strings.Join(layout.RehearsalScenarios, ",") {
		t.Errorf("scenarios %v, format %v", names, layout.RehearsalScenarios)
	}
}

// A rehearsal restores into graphsim loaded from the snapshot: the ids of
// the real tenant that an interrupted restore left in the repository (its
// journal) or that a restore recorded (the id map) name no object there and
// must not steer its plan; and a rehearsal neither reads nor writes the
// journal (TestRehearsal: nor the repository).
func TestRehearsalIgnoresTheRealTenantsIDs(t *testing.T) {
	ctx := context.Background()
	names := []string{"Ada \u200f\"quoted\"\n🙂", "Bob ../../etc ‮", strings.Repeat("Cy ", 80)}
	repo, _, _, first := backup(t, "empty", func(c *graph.Client, sim *graphsim.Server) {
		for i, n := range names {
			nick := fmt.Sprintf("u%d", i)
			if _, err := c.Post(context.Background(), "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": n, "mailNickname": nick,
				"userPrincipalName": nick + "@" + sim.Tenant().Domain(), "department": "Ops", "jobTitle": "Engineer",
				"passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-d" + nick}}); err != nil {
				t.Fatal(err)
			}
		}
		sim.Clock().Advance(time.Minute) // past the replication lag: the export sees them
	})
	files, err := repo.ReadAll(ctx, first.Commit, "users")
	if err != nil {
		t.Fatal(err)
	}
	// The journal of a restore of the real tenant, killed before its
	// snapshot: each user recreated there under another id.
	var journal []map[string]any
	for p := range files {
		old := strings.TrimSuffix(filepath.Base(p), ".yaml")
		old = old[strings.LastIndex(old, ".")+1:] // <slug>.<id>.yaml
		journal = append(journal, map[string]any{"kind": "users", "old": old, "name": "x", "restore": "r (abc)",
			"at": "2026-03-01T00:00:00Z", "new": "0badc0de-0000-4000-8000-" + fmt.Sprintf("%012d", len(journal))})
	}
	n := len(journal) // the empty tenant's admin, and names
	if n != len(names)+1 {
		t.Fatalf("the snapshot has %d users files, want %d: %v", n, len(names)+1, files)
	}
	data, _ := json.Marshal(journal)
	if err := repo.WriteState(importer.JournalFile, data); err != nil {
		t.Fatal(err)
	}
	rehearsal := func(what string) {
		t.Helper()
		var tenant *graphsim.Server
		o := testOptions(repo, &tenant)
		o.Throttle, o.Scenarios = "realistic", []string{"user-attributes-corrupted"}
		rec, err := Run(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("restored with %d actions (%d update), verified", n, n)
		if len(rec.Scenarios) != 1 || rec.Passed != 1 || !strings.Contains(rec.Scenarios[0].Detail, want) {
			t.Fatalf("%s: %+v, want %q", what, rec.Scenarios, want)
		}
	}
	rehearsal("with the journal of an interrupted restore")
	if got, err := repo.ReadState(importer.JournalFile); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the rehearsal changed the journal: %v\n%s", err, got)
	}
	// The journal recorded into the id map at HEAD (as the next restore
	// does): the rehearsal of the snapshot still maps nothing.
	rec, err := importer.RecordJournal(ctx, repo, importer.IDCommit{Author: snapshot.Signature{Name: "t", Email: "t@example.com", When: simtest.Now},
		Committer: snapshot.Signature{Name: "t", Email: "t@example.com", When: simtest.Now}})
	if err != nil || rec == nil || rec.Commit == "" || rec.IDs.Len() != n {
		t.Fatalf("recording the journal: %+v %v", rec, err)
	}
	rehearsal("with the id map of a restore")
}
