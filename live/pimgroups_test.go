package live

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// TestPIMGroupsLaterRunTrustsTheLogOnlyWhenItNamesTheGroup: a later run
// of PIM for Groups keeps the files of the groups the audit log does not
// name (equal to a full read when nothing changed); a PIM record of
// category GroupManagement whose targets name no group (here a user only)
// cannot tell which group changed: the kind is read in full, said so.
func TestPIMGroupsLaterRunTrustsTheLogOnlyWhenItNamesTheGroup(t *testing.T) {
	sim, c := deltaSim(t, graphsim.Sizes{Users: 30, Groups: 6})
	k, _ := layout.Lookup("group-eligibility-schedules")
	kinds := []*layout.Kind{k}
	full, res := readWith(t, &reader{c: c, progress: NoProgress{}, track: true}, kinds)
	if len(full) == 0 || res[0].Read != "full" {
		t.Fatalf("full read: %d files, read %q", len(full), res[0].Read)
	}
	var user string
	for _, u := range sim.Tenant().List("user") {
		user = u["id"].(string)
		break
	}
	from := func() map[string]DeltaFrom {
		return map[string]DeltaFrom{k.Name: {Files: full, Since: sim.Clock().Now().Add(-time.Hour), Now: sim.Clock().Now()}}
	}
	got, res := readWith(t, &reader{c: c, progress: NoProgress{}, track: true, delta: from()}, kinds)
	if res[0].Read != "delta" || res[0].Requests > 3 {
		t.Errorf("later run: read %q (%s) with %d requests, want delta with at most 3", res[0].Read, res[0].Note, res[0].Requests)
	}
	if fmt.Sprint(keys(got)) != fmt.Sprint(keys(full)) {
		t.Errorf("later run: files %q, want %q", keys(got), keys(full))
	}
	for p, b := range full {
		if string(got[p]) != string(b) {
			t.Errorf("later run: %s differs", p)
		}
	}

	// The log answers a PIM record that names only a user.
	inject := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/auditLogs/directoryAudits") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"value":[{"id":"rec1","category":"GroupManagement","loggedByService":"PIM","result":"success",`+
				`"activityDisplayName":"Add member to role in PIM completed (timebound)","activityDateTime":"`+sim.Clock().Now().Format(time.RFC3339)+`",`+
				`"targetResources":[{"id":"`+user+`","type":"User"}]}]}`)
			return
		}
		sim.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(inject)
	t.Cleanup(srv.Close)
	ic, err := graph.New(graph.Config{BaseURL: srv.URL, AccessToken: sim.Token(), HTTPClient: srv.Client(),
		Sleep: func(ctx context.Context, d time.Duration) error { sim.Clock().Advance(d); return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	got, res = readWith(t, &reader{c: ic, progress: NoProgress{}, track: true, delta: from()}, kinds)
	if res[0].Read != "full" || !strings.Contains(res[0].Note, "names no group") {
		t.Errorf("with a record naming no group: read %q, note %q; want full, naming why", res[0].Read, res[0].Note)
	}
	if fmt.Sprint(keys(got)) != fmt.Sprint(keys(full)) {
		t.Errorf("with a record naming no group: files %q, want %q", keys(got), keys(full))
	}
}

// TestPIMGroupsKindsShareOneGroupsList: the two PIM for Groups kinds list
// the groups once per read, a full read and a later one alike (one page
// here instead of two); each kind still counts the page among the
// requests it needed, and the later run gives the full read's files.
func TestPIMGroupsKindsShareOneGroupsList(t *testing.T) {
	sim, c := deltaSim(t, graphsim.Sizes{Users: 30, Groups: 6})
	kinds := simtest.Kinds(t, AuditKinds()...)
	groupLists := func() int { return simRequests(sim, "GET", "/groups") }
	sim.ResetStats()
	full, res := readWith(t, &reader{c: c, progress: NoProgress{}, track: true}, kinds)
	if n := groupLists(); n != 1 {
		t.Errorf("full read of both kinds: %d lists of the groups, want 1", n)
	}
	for _, r := range res {
		if r.Read != "full" || r.Requests < 2 {
			t.Errorf("full read: %s read %q with %d requests (the groups list and the schedules)", r.Kind, r.Read, r.Requests)
		}
	}
	// The schedules are asked for a slice of the groups at a time (one
	// Batch call holds every answer until its last envelope is answered:
	// issue 12, peak memory); the files are the same.
	governable := sim.Tenant().PIMGovernableGroups()
	if governable < 3 {
		t.Fatalf("%d groups PIM for Groups can govern: the test does not cover a second slice", governable)
	}
	batches := func() int { return simRequests(sim, "POST", "/$batch") }
	func() {
		defer func(n int) { pimBatchGroups = n }(pimBatchGroups)
		pimBatchGroups = 2
		sim.ResetStats()
		sliced, _ := readWith(t, &reader{c: c, progress: NoProgress{}, track: true}, kinds)
		if want := 2 * ((governable + 1) / 2); batches() < want {
			t.Errorf("%d groups asked for 2 at a time: %d $batch envelopes for both kinds, want at least %d", governable, batches(), want)
		}
		simtest.SameFiles(t, "schedules read 2 groups at a time", sliced, full)
	}()
	from := map[string]DeltaFrom{}
	for _, k := range kinds {
		files := map[string][]byte{}
		for p, b := range full {
			if fk, _, err := layout.Locate(p); err == nil && fk == k {
				files[p] = b
			}
		}
		if len(files) == 0 {
			t.Fatalf("the full read made no %s file", k.Name)
		}
		from[k.Name] = DeltaFrom{Files: files, Since: sim.Clock().Now().Add(-time.Hour), Now: sim.Clock().Now()}
	}
	sim.ResetStats()
	got, res := readWith(t, &reader{c: c, progress: NoProgress{}, track: true, delta: from}, kinds)
	if n := groupLists(); n != 1 {
		t.Errorf("later run of both kinds: %d lists of the groups, want 1", n)
	}
	for _, r := range res {
		if r.Read != "delta" || r.Requests < 1 {
			t.Errorf("later run: %s read %q (%s) with %d requests", r.Kind, r.Read, r.Note, r.Requests)
		}
	}
	if fmt.Sprint(keys(got)) != fmt.Sprint(keys(full)) {
		t.Fatalf("later run: files %q, want %q", keys(got), keys(full))
	}
	for p, b := range full {
		if string(got[p]) != string(b) {
			t.Errorf("later run: %s differs", p)
		}
	}
}

// TestPIMGroupsTakeTheGroupsFromTheGroupsRead: read with the groups kind,
// PIM for Groups lists no groups of its own: the groups kind's full read
// (its delta round) gives every group with what says whether PIM governs
// it, and the schedules read are those of a read without the groups kind.
// A later run whose groups round resumes gives only the changed groups:
// PIM for Groups then lists them itself, once for both kinds, as it does
// when the groups read fails.
func TestPIMGroupsTakeTheGroupsFromTheGroupsRead(t *testing.T) {
	sim, c := deltaSim(t, graphsim.Sizes{Users: 30, Groups: 6})
	if sim.Tenant().PIMGovernableGroups() == 0 {
		t.Fatal("no group PIM for Groups can govern: the test covers nothing")
	}
	pim := simtest.Kinds(t, AuditKinds()...)
	groupLists := func() int { return simRequests(sim, "GET", "/groups") }
	alone, err := Read(context.Background(), ReadOptions{Client: c, Kinds: pim})
	if err != nil {
		t.Fatal(err)
	}
	kinds := append(simtest.Kinds(t, "groups"), pim...)
	sim.ResetStats()
	// One kind at a time: the PIM kinds wait for the groups read without
	// holding the slot it needs.
	first, err := Read(context.Background(), ReadOptions{Client: c, Kinds: kinds, TrackDelta: true, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if n := groupLists(); n != 0 {
		t.Errorf("read with the groups kind: %d lists of the groups, want none (the groups' delta round gives them)", n)
	}
	pimFiles := func(files map[string][]byte) map[string][]byte {
		out := map[string][]byte{}
		for p, b := range files {
			if k, _, err := layout.Locate(p); err == nil && auditKinds[k.Name] {
				out[p] = b
			}
		}
		return out
	}
	for _, r := range first.Kinds {
		if !r.Complete {
			t.Fatalf("%s incomplete: %v", r.Kind, r.Err)
		}
	}
	if len(pimFiles(alone.Files)) == 0 {
		t.Fatal("no PIM for Groups schedule: the test covers nothing")
	}
	simtest.SameFiles(t, "schedules read with the groups kind", pimFiles(first.Files), pimFiles(alone.Files))

	from := map[string]DeltaFrom{}
	for _, k := range kinds {
		files := map[string][]byte{}
		for p, b := range first.Files {
			if fk, _, err := layout.Locate(p); err == nil && fk == k {
				files[p] = b
			}
		}
		from[k.Name] = DeltaFrom{Link: first.DeltaLinks[k.Name], Files: files, Since: sim.Clock().Now().Add(-time.Hour), Now: sim.Clock().Now()}
	}
	sim.ResetStats()
	// The groups round resuming returns only the changed groups, so the
	// PIM kinds list the groups themselves, without waiting for that round:
	// its first request is held until their list is asked (at most 30 s).
	listed := make(chan struct{})
	var listOnce sync.Once
	var waited atomic.Bool
	srv := simtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/groups"):
			listOnce.Do(func() { close(listed) })
		case strings.HasSuffix(r.URL.Path, "/groups/delta"):
			select {
			case <-listed:
			case <-time.After(30 * time.Second):
				waited.Store(true)
			}
		}
		sim.ServeHTTP(w, r)
	}))
	later, err := Read(context.Background(), ReadOptions{Client: simtest.Client(t, sim, srv, sim.Token()), Kinds: kinds, Delta: from, TrackDelta: true})
	if err != nil {
		t.Fatal(err)
	}
	if waited.Load() {
		t.Error("later run: the PIM kinds waited for the groups round that resumes before listing the groups")
	}
	for _, r := range later.Kinds {
		if !r.Complete || r.Read != "delta" {
			t.Errorf("later run: %s complete %v, read %q (%s)", r.Kind, r.Complete, r.Read, r.Note)
		}
	}
	if n := groupLists(); n != 1 {
		t.Errorf("later run, the groups round resuming: %d lists of the groups, want 1", n)
	}
	simtest.SameFiles(t, "later run", later.Files, first.Files)

	// The groups round refused: the groups kind fails, the PIM kinds list
	// the groups themselves and are complete.
	srv = simtest.Serve(t, simtest.Denying(sim, "/groups/delta"))
	sim.ResetStats()
	refused, err := Read(context.Background(), ReadOptions{Client: simtest.Client(t, sim, srv, sim.Token()), Kinds: kinds, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refused.Kinds {
		if r.Complete == (r.Kind == "groups") {
			t.Errorf("groups round refused: %s complete %v (%v)", r.Kind, r.Complete, r.Err)
		}
	}
	if n := groupLists(); n != 1 {
		t.Errorf("groups round refused: %d lists of the groups, want 1", n)
	}
	simtest.SameFiles(t, "schedules with the groups round refused", pimFiles(refused.Files), pimFiles(alone.Files))
}

// simRequests is how many requests sim answered for method and path (an
// endpoint template, without the version).
func simRequests(sim *graphsim.Server, method, path string) int {
	n := 0
	for _, e := range sim.Stats().Endpoints {
		if e.Method == method && e.Path == path {
			n += e.Requests
		}
	}
	return n
}

// TestPIMGroupsSchedulesAreReadDuringTheGroupsRound: beside the groups
// kind's full read, PIM for Groups reads a group's schedules as soon as the
// groups round shows the group (issue 12, row b1: the schedules' units are
// spread over the run instead of asked for after the round). The round's
// last page is held until the schedules of a group are asked for, and then
// shows that group again, made dynamic (PIM cannot govern it): its
// schedules, read early, are dropped, as a read after the round would not
// have read them; the other files are those of a read without the groups
// kind.
func TestPIMGroupsSchedulesAreReadDuringTheGroupsRound(t *testing.T) {
	sim, c := deltaSim(t, graphsim.Sizes{Users: 30, Groups: 6})
	pim := simtest.Kinds(t, AuditKinds()...)
	alone, err := Read(context.Background(), ReadOptions{Client: c, Kinds: pim})
	if err != nil {
		t.Fatal(err)
	}
	groupOf := func(b []byte) string {
		obj, err := layout.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := obj["groupId"].(string)
		return strings.ToLower(g)
	}
	x := ""
	for _, b := range alone.Files {
		if g := groupOf(b); g != "" && (x == "" || g < x) {
			x = g
		}
	}
	if x == "" {
		t.Fatal("no PIM for Groups schedule: the test covers nothing")
	}
	want := map[string][]byte{}
	for p, b := range alone.Files {
		if groupOf(b) != x {
			want[p] = b
		}
	}
	if len(want) == len(alone.Files) {
		t.Fatalf("no schedule is group %s's: the test covers nothing", x)
	}

	defer func(n int) { pimStreamGroups = n }(pimStreamGroups)
	pimStreamGroups = 1
	asked := make(chan struct{})
	var askedOnce sync.Once
	var waited atomic.Bool
	var pages atomic.Int64
	srv := simtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/$batch") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(body)))
			if s := strings.ToLower(string(body)); strings.Contains(s, "schedules") && strings.Contains(s, x) {
				askedOnce.Do(func() { close(asked) })
			}
		}
		if !strings.HasSuffix(r.URL.Path, "/groups/delta") {
			sim.ServeHTTP(w, r)
			return
		}
		pages.Add(1)
		r.Header.Set("Prefer", "odata.maxpagesize=3")
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		var page map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil || page["@odata.deltaLink"] == nil {
			for h, v := range rec.Header() {
				w.Header()[h] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		select {
		case <-asked:
		case <-time.After(20 * time.Second):
			waited.Store(true)
		}
		items, _ := page["value"].([]any)
		page["value"] = append(items, map[string]any{"id": x, "groupTypes": []any{"DynamicMembership"}})
		b, _ := json.Marshal(page)
		for h, v := range rec.Header() {
			w.Header()[h] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(b)
	}))
	kinds := append(simtest.Kinds(t, "groups"), pim...)
	got, err := Read(context.Background(), ReadOptions{Client: simtest.Client(t, sim, srv, sim.Token()), Kinds: kinds, TrackDelta: true, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got.Kinds {
		if !r.Complete {
			t.Fatalf("%s incomplete: %v", r.Kind, r.Err)
		}
	}
	if n := pages.Load(); n < 2 {
		t.Fatalf("the groups round took %d page(s): the test covers nothing", n)
	}
	if waited.Load() {
		t.Error("the schedules of a group were asked for only after the groups round ended")
	}
	pimFiles := map[string][]byte{}
	for p, b := range got.Files {
		if k, _, err := layout.Locate(p); err == nil && auditKinds[k.Name] {
			pimFiles[p] = b
		}
	}
	simtest.SameFiles(t, "schedules read during the groups round, one group made dynamic on its last page", pimFiles, want)
}

// TestPIMGroupListKeepsTheLastVersion: a group listed twice (a delta round
// shows a group again on a later page with its later state) is taken as
// listed last, as the groups kind's writer keeps it.
func TestPIMGroupListKeepsTheLastVersion(t *testing.T) {
	const id = "00000000-0000-0000-0000-0000000000a1"
	sec := map[string]any{"id": id, "securityEnabled": true, "groupTypes": []any{}}
	dyn := map[string]any{"id": id, "securityEnabled": true, "groupTypes": []any{"DynamicMembership"}}
	for _, c := range []struct {
		name     string
		versions []map[string]any
		governed bool
	}{
		{"made dynamic", []map[string]any{sec, dyn}, false},
		{"made static", []map[string]any{dyn, sec}, true},
		{"static twice", []map[string]any{sec, sec}, true},
	} {
		var l pimGroupList
		for _, g := range c.versions {
			if err := l.add(g); err != nil {
				t.Fatal(err)
			}
		}
		l.sorted()
		if got := len(l.groups) == 1; got != c.governed || len(l.groups) > 1 {
			t.Errorf("%s: governed groups %q, want governed %v", c.name, l.groups, c.governed)
		}
		if !l.listed[id] {
			t.Errorf("%s: the group is not listed", c.name)
		}
		if _, ok := l.created[id]; ok != c.governed {
			t.Errorf("%s: created noted %v, want %v", c.name, ok, c.governed)
		}
	}
}

// TestGonePrincipals: a principal a previous schedule file names is gone
// when it is neither a user of the previous snapshot nor a listed group;
// without the users kind in the run, or without previous users files,
// none is (every principal would look gone).
func TestGonePrincipals(t *testing.T) {
	uk, _ := layout.Lookup("users")
	user, group, other := "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333"
	userFile, err := layout.Path(uk, map[string]any{"id": strings.ToUpper(user), "userPrincipalName": "a@example.com", "displayName": "A"})
	if err != nil {
		t.Fatal(err)
	}
	paths := func(k *layout.Kind) []string {
		if k == uk {
			return []string{userFile, "users/not-a-file.txt"}
		}
		return nil
	}
	listed := map[string]bool{group: true}
	gone := (&reader{readsUsers: true, previousPaths: paths}).gonePrincipals(listed)
	for p, want := range map[string]bool{user: false, group: false, other: true, "": false} {
		if got := gone(p); got != want {
			t.Errorf("gone(%q) = %v, want %v (users file %s)", p, got, want, userFile)
		}
	}
	for what, r := range map[string]*reader{
		"users not read": {readsUsers: false, previousPaths: paths},
		"no users files": {readsUsers: true, previousPaths: func(*layout.Kind) []string { return nil }},
		"no previous":    {readsUsers: true},
	} {
		if r.gonePrincipals(listed)(other) {
			t.Errorf("%s: a principal is taken as gone", what)
		}
	}
}

// TestGroupCensusLooksAtEachGroupOnce: the groups round shows each group to
// the PIM kinds' census as its item arrives; the groups writer, given the
// round's merged groups, does not show them again (it did: each group was
// looked at twice, the second time found noted). Groups from a plain list
// (a read without delta rounds: perParent) are shown by the writer.
func TestGroupCensusLooksAtEachGroupOnce(t *testing.T) {
	sim, c := deltaSim(t, graphsim.Sizes{Users: 30, Groups: 6})
	governable, groups := sim.Tenant().PIMGovernableGroups(), sim.Tenant().Count("group")
	if governable == 0 {
		t.Fatal("no group PIM for Groups can govern: the test covers nothing")
	}
	kinds := append(simtest.Kinds(t, "groups"), simtest.Kinds(t, AuditKinds()...)...)
	for what, rd := range map[string]*reader{
		"delta round": {c: c, progress: NoProgress{}, track: true},
		"plain list":  {c: c, progress: NoProgress{}, perParent: true},
	} {
		readWith(t, rd, kinds)
		cs := rd.census
		if cs == nil {
			t.Fatalf("%s: no census of the groups", what)
		}
		// The round may show a group in more than one item (its members in
		// a later one, which says nothing PIM reads): not a second look.
		if cs.looked < groups || cs.again != 0 || len(cs.early) != governable {
			t.Errorf("%s: the census looked at %d objects (%d groups), %d of them noted already, and noted %d; want none again and %d (the governable ones)",
				what, cs.looked, groups, cs.again, len(cs.early), governable)
		}
	}
}
