package exporter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// auditFixture is a demo tenant, the backup's client (every permission)
// and a second app that changes users.
type auditFixture struct {
	sim    *graphsim.Server
	backup *graph.Client
	second *graph.Client
	appID  string
	repo   *snapshot.Repo
}

func newAuditFixture(t *testing.T) *auditFixture {
	t.Helper()
	whenShortOnly(t, "users", "groups") // the changes attributed are users'
	sim := newSim(t, graphsim.Options{})
	srv := newServer(t, sim)
	backup := clientFor(t, sim, srv, "")
	tok := limitedToken(t, sim, backup, srv.URL, "User.ReadWrite.All")
	f := &auditFixture{sim: sim, backup: backup, second: clientFor(t, sim, srv, tok), repo: newRepo(t, false)}
	f.appID = sim.Tenant().FindBy("application", "displayName", "limited reader")
	if a, ok := sim.Tenant().Get("application", f.appID); ok {
		f.appID = a["appId"].(string)
	}
	return f
}

// export runs an export at graphsim's time (the snapshot's time and the
// audit log's agree).
func (f *auditFixture) export(t *testing.T, mutate func(*Options)) *Result {
	t.Helper()
	return mustExport(t, f.backup, f.repo, func(o *Options) {
		o.Now = f.sim.Clock().Now
		if mutate != nil {
			mutate(o)
		}
	})
}

func (f *auditFixture) patchUser(t *testing.T, c *graph.Client, i int, title string) map[string]any {
	t.Helper()
	u := f.sim.Tenant().List("user")[i]
	if _, err := c.Patch(context.Background(), "/v1.0/users/"+u["id"].(string), map[string]any{"jobTitle": title}); err != nil {
		t.Fatal(err)
	}
	return u
}

// changesAtHead reads every changes file at HEAD.
func changesAtHead(t *testing.T, r *snapshot.Repo) map[string][]layout.ChangeRecord {
	t.Helper()
	files, err := r.ReadAll(context.Background(), "HEAD", layout.ChangesDir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]layout.ChangeRecord{}
	for p, data := range files {
		recs, err := layout.DecodeChanges(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[p] = recs
	}
	return out
}

func TestExportStoresWhoChangedIt(t *testing.T) {
	f := newAuditFixture(t)
	first := f.export(t, nil)
	if first.ChangesFile != "" {
		t.Errorf("first snapshot kept audit records in %s: it has no change to attribute", first.ChangesFile)
	}
	f.sim.Clock().Advance(30 * time.Minute)
	u := f.patchUser(t, f.second, 7, "Chief Backup Officer")
	f.sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	res := f.export(t, nil)
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
	if res.ChangesFile == "" || res.Modified != 1 || res.Added != 0 {
		t.Fatalf("changes file %q, counts %d added %d modified: want a changes file, 0 added (it is bookkeeping), 1 modified", res.ChangesFile, res.Added, res.Modified)
	}
	all := changesAtHead(t, f.repo)
	recs := all[res.ChangesFile]
	if len(recs) != 1 {
		t.Fatalf("%s holds %d records, want 1: %+v", res.ChangesFile, len(recs), recs)
	}
	r := recs[0]
	if r.Activity != "Update user" || r.Actor.Type != "app" || r.Actor.Name != "limited reader" || r.Actor.AppID != f.appID {
		t.Errorf("record %+v: want Update user by the app limited reader (%s)", r, f.appID)
	}
	if !r.Names(u["id"].(string)) || r.Targets[0].Kind != "users" {
		t.Errorf("targets %+v: want the user %s of kind users", r.Targets, u["id"])
	}
	if ps := r.Targets[0].Properties; len(ps) != 1 || ps[0].Name != "jobTitle" || ps[0].New != `["Chief Backup Officer"]` {
		t.Errorf("properties %+v: want jobTitle only (not the summary entry)", ps)
	}
	tag := git(t, f.repo.Path(), "tag", "-l", "--format=%(contents)", res.Tag)
	if !strings.Contains(tag, "changed by app limited reader (appId "+f.appID+")") || !strings.Contains(tag, "Update user") {
		t.Errorf("tag message does not say who changed it:\n%s", tag)
	}

	// No change: no commit, and the kept records stay.
	f.sim.Clock().Advance(time.Minute)
	again := f.export(t, nil)
	if again.Changed {
		t.Errorf("an export with no change committed")
	}
	// A second change soon after: the window overlaps the previous one,
	// the first record is not kept twice.
	f.sim.Clock().Advance(time.Minute)
	f.patchUser(t, f.backup, 8, "Deputy")
	f.sim.Clock().Advance(graphsim.DefaultAuditLag)
	third := f.export(t, nil)
	all = changesAtHead(t, f.repo)
	if len(all) != 2 || len(all[res.ChangesFile]) != 1 {
		t.Fatalf("changes files at HEAD: %v, want the first kept and a second", all)
	}
	if got := all[third.ChangesFile]; len(got) != 1 || got[0].ID == r.ID || got[0].Actor.Name != "graphsim" {
		t.Errorf("second changes file %+v: want only the new record, by graphsim", got)
	}
	fsck(t, f.repo.Path())
}

func TestLateAuditRecordIsPickedUpNext(t *testing.T) {
	f := newAuditFixture(t)
	f.export(t, nil)
	f.sim.Clock().Advance(30 * time.Minute)
	late := f.patchUser(t, f.second, 3, "Late")
	f.sim.Clock().Advance(time.Minute) // the record is not in the log yet
	res := f.export(t, nil)
	if !res.Changed || res.ChangesFile != "" {
		t.Fatalf("export before the record arrived: changed %v, changes file %q", res.Changed, res.ChangesFile)
	}
	f.sim.Clock().Advance(3 * time.Minute)
	next := f.patchUser(t, f.second, 4, "Next")
	f.sim.Clock().Advance(graphsim.DefaultAuditLag)
	res = f.export(t, nil)
	recs := changesAtHead(t, f.repo)[res.ChangesFile]
	var named []string
	for _, r := range recs {
		for _, tg := range r.Targets {
			named = append(named, tg.ID)
		}
	}
	if len(recs) != 2 || !recs[0].Names(late["id"].(string)) || !recs[1].Names(next["id"].(string)) {
		t.Errorf("records %v: want the late one, then the new one", named)
	}
}

func TestExportWithoutAuditPermissionWarnsOnce(t *testing.T) {
	sim := newSim(t, graphsim.Options{})
	srv := newServer(t, sim)
	god := clientFor(t, sim, srv, "")
	users, _ := layout.Lookup("users")
	c := clientFor(t, sim, srv, limitedToken(t, sim, god, srv.URL, users.ReadPermissions...))
	r := newRepo(t, false)
	only := func(o *Options) { o.Kinds = []*layout.Kind{users}; o.Now = sim.Clock().Now }
	mustExport(t, c, r, only)
	sim.Clock().Advance(30 * time.Minute)
	for i := 0; i < 3; i++ {
		u := sim.Tenant().List("user")[i]
		if _, err := god.Patch(context.Background(), "/v1.0/users/"+u["id"].(string), map[string]any{"jobTitle": "x"}); err != nil {
			t.Fatal(err)
		}
	}
	sim.Clock().Advance(10 * time.Minute)
	res := mustExport(t, c, r, only)
	if !res.Changed || !res.Complete() || res.ChangesFile != "" {
		t.Fatalf("changed %v complete %v changes file %q: want a complete snapshot without records", res.Changed, res.Complete(), res.ChangesFile)
	}
	var audit []string
	for _, w := range res.Warnings {
		if w.Path == layout.ChangesDir {
			audit = append(audit, w.Message)
		}
	}
	if len(audit) != 1 || !strings.Contains(audit[0], "AuditLog.Read.All") {
		t.Errorf("audit warnings %q: want one naming AuditLog.Read.All", audit)
	}
}

func TestHostileActorNamesAreKeptExactlyAndPrintedSafely(t *testing.T) {
	f := newAuditFixture(t)
	hostile := "Evil\x1b[31m\u202eapp\r\nSpoofed: line\x00 \xff"
	spID := f.sim.Tenant().FindBy("servicePrincipal", "appId", f.appID)
	if _, err := f.backup.Patch(context.Background(), "/v1.0/servicePrincipals/"+spID, map[string]any{"displayName": strings.ToValidUTF8(hostile, "?")}); err != nil {
		t.Fatal(err)
	}
	f.export(t, nil)
	f.sim.Clock().Advance(30 * time.Minute)
	f.patchUser(t, f.second, 5, "Hostile\u202e title")
	f.sim.Clock().Advance(graphsim.DefaultAuditLag)
	res := f.export(t, nil)
	recs := changesAtHead(t, f.repo)[res.ChangesFile]
	if len(recs) != 1 || recs[0].Actor.Name != strings.ToValidUTF8(hostile, "?") {
		t.Fatalf("records %+v: want the actor's name exactly", recs)
	}
	tag := git(t, f.repo.Path(), "tag", "-l", "--format=%(contents)", res.Tag)
	for _, bad := range []string{"\x1b", "\u202e", "\r", "\nSpoofed", "\x00"} {
		if strings.Contains(tag, bad) {
			t.Errorf("tag message carries %q raw:\n%q", bad, tag)
		}
	}
	line := AttributionText(recs)
	if !strings.Contains(line, "changed by app Evil") || strings.Count(line, "\n") != 2 {
		t.Errorf("attribution %q: want one safe line", line)
	}
}

func TestTargetPropertiesKeepOnlyWhatFilesStore(t *testing.T) {
	kind := func(n string) *layout.Kind { k, _ := layout.Lookup(n); return k }
	names := func(ps []layout.ChangeProperty) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return strings.Join(out, ",")
	}
	p := func(ns ...string) []layout.ChangeProperty {
		var out []layout.ChangeProperty
		for _, n := range ns {
			out = append(out, layout.ChangeProperty{Name: n, Old: "[]", New: `["x"]`})
		}
		return out
	}
	for _, c := range []struct {
		kind     string
		props    []layout.ChangeProperty
		kept     string
		explains bool
	}{
		{"users", p("JobTitle", "passwordProfile", "Included Updated Properties", "LastDirSyncTime", "StrongAuthenticationMethod"), "JobTitle", true},
		{"users", p("LastDirSyncTime", "Included Updated Properties"), "", false}, // sync bookkeeping: not our change
		{"users", nil, "", true}, // add member, delete: no properties
		{"applications", p("displayName", "passwordCredentials", "KeyDescription", "keyCredentials", "web"), "displayName,web", true},
		{"applications", p("KeyDescription", "Included Updated Properties"), "", false},
		{"conditional-access-policies", p("ConditionalAccessPolicy"), "", true}, // Graph's whole-object entry
		{"groups", p("Group.ObjectID", "Group.DisplayName"), "", false},
	} {
		kept, explains := targetProperties(kind(c.kind), c.props)
		if names(kept) != c.kept || explains != c.explains {
			t.Errorf("%s %s: kept %q explains %v, want %q %v", c.kind, names(c.props), names(kept), explains, c.kept, c.explains)
		}
	}
}

// TestSecondSnapshotInTheSameSecondKeepsBothRecords: two snapshots taken
// in the same second name the same changes file; the second keeps the
// first's records with its own (it failed with "is in Files and in
// Carry" before). The second's record is a late one: a change the first
// snapshot holds whose record was not in the log yet.
func TestSecondSnapshotInTheSameSecondKeepsBothRecords(t *testing.T) {
	f := newAuditFixture(t)
	f.export(t, nil)
	f.sim.Clock().Advance(30 * time.Minute)
	a := f.patchUser(t, f.second, 5, "First")
	f.sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	late := f.patchUser(t, f.second, 6, "Late")
	at := f.sim.Clock().Now()
	sameSecond := func(o *Options) { o.Now = func() time.Time { return at } }
	first := f.export(t, sameSecond)
	if len(first.Attribution) != 1 || !first.Attribution[0].Names(a["id"].(string)) {
		t.Fatalf("the first snapshot attributes %+v: want the first change only (the late record is not in the log yet)", first.Attribution)
	}
	// A change after the snapshot's second (its record falls outside the
	// second export's window, which ends at that second).
	f.sim.Clock().Advance(time.Minute)
	f.patchUser(t, f.second, 7, "After")
	f.sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	second := f.export(t, sameSecond)
	if second.ChangesFile != first.ChangesFile {
		t.Fatalf("changes files %q and %q: want the same name (same second)", first.ChangesFile, second.ChangesFile)
	}
	recs := changesAtHead(t, f.repo)[second.ChangesFile]
	if len(recs) != 2 || !recs[0].Names(a["id"].(string)) || !recs[1].Names(late["id"].(string)) {
		t.Fatalf("%s holds %+v: want the first snapshot's record, then the late one", second.ChangesFile, recs)
	}
	if len(second.Attribution) != 1 || !second.Attribution[0].Names(late["id"].(string)) {
		t.Errorf("the second snapshot attributes %+v: want only the late record", second.Attribution)
	}
	fsck(t, f.repo.Path())
}
