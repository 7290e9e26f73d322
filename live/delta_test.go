package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

func deltaSim(t *testing.T, sizes graphsim.Sizes) (*graphsim.Server, *graph.Client) {
	t.Helper()
	sim := simtest.New(t, graphsim.Options{Sizes: sizes})
	return sim, simtest.Client(t, sim, simtest.Serve(t, sim), "")
}

// readWith reads kinds with rd and returns the files and results.
func readWith(t *testing.T, rd *reader, kinds []*layout.Kind) (map[string][]byte, []KindResult) {
	t.Helper()
	reads, err := rd.readAll(context.Background(), kinds, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, res, err := results(reads)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.Complete {
			t.Fatalf("%s incomplete: %v", r.Kind, r.Err)
		}
	}
	return b.files, res
}

// readOnce reads kinds one at a time with rd and returns the first kind's
// read (its delta link, the users with sponsors, the files carried), what
// the reads built and their results, complete or not.
func readOnce(t *testing.T, rd *reader, kinds []*layout.Kind) (*kindRead, *builder, []KindResult) {
	t.Helper()
	reads, err := rd.readAll(context.Background(), kinds, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, res, err := results(reads)
	if err != nil {
		t.Fatal(err)
	}
	return reads[0], b, res
}

// TestGroupsDeltaReadEqualsPerGroupRead: groups read through one
// /groups/delta round (members and owners as members@delta / owners@delta,
// large groups repeated in slices across pages and merged) give the same
// files, byte for byte, as the per-group member and owner reads, on a
// tenant whose groups hold more members than one page of either (1,100 >
// 999 per member page, > 20 per delta slice), and with far fewer requests.
func TestGroupsDeltaReadEqualsPerGroupRead(t *testing.T) {
	_, c := deltaSim(t, graphsim.Sizes{Users: 1200, Groups: 12, MembersPerGroup: 1100})
	groups, _ := layout.Lookup("groups")
	kinds := []*layout.Kind{groups}

	old, oldRes := readWith(t, &reader{c: c, progress: NoProgress{}, perParent: true}, kinds)
	s0 := c.Stats()
	got, res := readWith(t, &reader{c: c, progress: NoProgress{}}, kinds)
	units := c.Stats().ResourceUnits - s0.ResourceUnits
	simtest.SameFiles(t, "delta read vs per-group read", got, old)
	big := 0
	for _, data := range got {
		if n := bytes.Count(data, []byte("\n    id: ")) + bytes.Count(data, []byte("\n  - id: ")); n > 999 {
			big++
		}
	}
	if big == 0 {
		t.Fatalf("no group holds more than 999 members: the test does not cover paging")
	}
	if res[0].Read != "full" || res[0].Requests >= oldRes[0].Requests {
		t.Errorf("delta read: mode %q, %d requests (%d units); per-group read: %d requests", res[0].Read, res[0].Requests, units, oldRes[0].Requests)
	}
	t.Logf("groups: per-group read %d requests, delta read %d requests (%d units)", oldRes[0].Requests, res[0].Requests, units)
}

// TestResumeAppliesChangesLikeAFullRead: a later round applied to the
// previous files gives the files of a full read of the changed tenant,
// users' managers and sponsors included (a sponsor added to, and every
// sponsor removed from, a user the round does not report: users.go).
func TestResumeAppliesChangesLikeAFullRead(t *testing.T) {
	sim, c := deltaSim(t, graphsim.Sizes{Users: 60, Groups: 10, MembersPerGroup: 30})
	users, _ := layout.Lookup("users")
	groups, _ := layout.Lookup("groups")
	kinds := []*layout.Kind{users, groups}
	all, _ := readWith(t, &reader{c: c, progress: NoProgress{}}, []*layout.Kind{users})
	var ids []string
	for p := range all {
		_, key, _ := layout.Locate(p)
		ids = append(ids, key)
	}
	sort.Strings(ids)
	ref := func(id string) string {
		return `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/` + id + `"}`
	}
	// Before the first read: the last users have a sponsor and a manager.
	mustDo(t, c, "POST", "/v1.0/users/"+ids[59]+"/sponsors/$ref", ref(ids[58]))
	mustDo(t, c, "PUT", "/v1.0/users/"+ids[57]+"/manager/$ref", ref(ids[58]))
	rd := &reader{c: c, progress: NoProgress{}, track: true}
	reads, err := rd.readAll(context.Background(), kinds, 2)
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{}
	var held []string
	for _, kr := range reads {
		links[kr.kind.Name] = kr.deltaLink
		if kr.kind == users {
			held = kr.held
		}
	}
	if !slices.Contains(held, ids[59]) {
		t.Fatalf("users with sponsors: %v, want %s among them", held, ids[59])
	}
	b, _, err := results(reads)
	if err != nil {
		t.Fatal(err)
	}
	first := b.files
	if links["users"] == "" || links["groups"] == "" {
		t.Fatalf("links = %v", links)
	}

	// Changes: a rename, an edit, a membership removal and addition, a
	// deleted user (leaves its groups), a deleted group.
	tn := sim.Tenant()
	var userIDs, groupIDs []string
	for p := range first {
		if k, key, err := layout.Locate(p); err == nil {
			if k == users {
				userIDs = append(userIDs, key)
			} else {
				groupIDs = append(groupIDs, key)
			}
		}
	}
	sort.Strings(userIDs)
	sort.Strings(groupIDs)
	mustDo(t, c, "PATCH", "/v1.0/users/"+userIDs[0], `{"userPrincipalName":"renamed@`+tn.Domain()+`","jobTitle":"Boss"}`)
	mustDo(t, c, "PATCH", "/v1.0/groups/"+groupIDs[0], `{"description":"changed"}`)
	mustDo(t, c, "DELETE", "/v1.0/users/"+userIDs[1], "")
	mustDo(t, c, "DELETE", "/v1.0/groups/"+groupIDs[1], "")
	// Sponsors added to a user and taken from another (delta reports
	// neither), a manager replaced and one set.
	grp := groupIDs[2]
	mustDo(t, c, "POST", "/v1.0/users/"+userIDs[3]+"/sponsors/$ref", ref(grp))
	mustDo(t, c, "POST", "/v1.0/users/"+userIDs[3]+"/sponsors/$ref", ref(userIDs[4]))
	mustDo(t, c, "DELETE", "/v1.0/users/"+ids[59]+"/sponsors/"+ids[58]+"/$ref", "")
	mustDo(t, c, "PUT", "/v1.0/users/"+ids[57]+"/manager/$ref", ref(userIDs[4]))
	mustDo(t, c, "PUT", "/v1.0/users/"+userIDs[5]+"/manager/$ref", ref(userIDs[4]))

	files := func(k *layout.Kind) map[string][]byte {
		out := map[string][]byte{}
		for p, d := range first {
			if fk, _, _ := layout.Locate(p); fk == k {
				out[p] = d
			}
		}
		return out
	}
	s0 := c.Stats()
	inc, res := readWith(t, &reader{c: c, progress: NoProgress{}, track: true, delta: map[string]DeltaFrom{
		"users":  {Link: links["users"], Files: files(users), Held: held},
		"groups": {Link: links["groups"], Files: files(groups)},
	}}, kinds)
	reqs := c.Stats().Requests - s0.Requests
	full, _ := readWith(t, &reader{c: c, progress: NoProgress{}}, kinds)
	simtest.SameFiles(t, "resumed vs full", inc, full)
	changed := 0
	for p := range full {
		if !bytes.Equal(full[p], first[p]) {
			changed++
		}
	}
	if changed < 7 || len(full) != len(first)-2 {
		t.Errorf("the changes changed %d files, %d → %d files: the test does not exercise them", changed, len(first), len(full))
	}
	for _, r := range res {
		if r.Read != "delta" {
			t.Errorf("%s read %q, want delta", r.Kind, r.Read)
		}
	}
	if reqs > 5 {
		t.Errorf("the resumed read sent %d requests, want one round per kind and one page of users with their sponsors", reqs)
	}
}

// TestResumeFallsBackOnGone: a deltaLink Graph no longer knows (expired)
// makes the kind read in full, with a note; a link to another path is
// refused the same way without being sent.
func TestResumeFallsBackOnGone(t *testing.T) {
	sim, c := deltaSim(t, graphsim.Sizes{Users: 20, Groups: 8})
	groups, _ := layout.Lookup("groups")
	kinds := []*layout.Kind{groups}
	rd := &reader{c: c, progress: NoProgress{}, track: true}
	reads, err := rd.readAll(context.Background(), kinds, 1)
	if err != nil {
		t.Fatal(err)
	}
	link := reads[0].deltaLink
	full, _ := readWith(t, &reader{c: c, progress: NoProgress{}}, kinds)
	sim.Clock().Advance(8 * 24 * time.Hour) // past the 7-day token lifetime
	notes := &noteRecorder{}
	got, res := readWith(t, &reader{c: c, progress: notes, track: true, delta: map[string]DeltaFrom{
		"groups": {Link: link, Files: map[string][]byte{}},
	}}, kinds)
	simtest.SameFiles(t, "after 410", got, full)
	if res[0].Read != "full" || !strings.Contains(res[0].Note, "410") || len(notes.notes) != 1 {
		t.Errorf("read %q, note %q, progress notes %v", res[0].Read, res[0].Note, notes.notes)
	}
	for _, bad := range []string{"https://evil.example/v1.0/groups/delta?$deltatoken=x", "/v1.0/users/delta?$deltatoken=x",
		"/v1.0/groups/delta?$deltatoken=x&access_token=y", "/v1.0/groups/delta?$select=id"} {
		if err := CheckDeltaLink("groups", bad); !errors.Is(err, ErrBadDeltaLink) {
			t.Errorf("CheckDeltaLink(%q) = %v", bad, err)
		}
	}
}

type noteRecorder struct {
	NoProgress
	notes []string
}

func (n *noteRecorder) KindNote(kind, note string) { n.notes = append(n.notes, kind+": "+note) }

func mustDo(t *testing.T, c *graph.Client, method, path, body string) {
	t.Helper()
	var b any
	if body != "" {
		b = json.RawMessage(body)
	}
	if _, err := c.Do(context.Background(), method, path, b); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
}

// TestAppsSPsAUsDeltaReadEqualsListRead: applications, service principals
// and administrative units read through their delta functions (properties)
// plus their children read in full give the files of the list read, byte
// for byte, on a tenant whose apps have owners, assignments and grants and
// whose units have members (the demo profile).
func TestAppsSPsAUsDeltaReadEqualsListRead(t *testing.T) {
	sim, c := deltaSim(t, graphsim.Sizes{Users: 40, Groups: 8, Apps: 12})
	// An app with more owners than Graph's $expand shows (20): read on its own.
	tn := sim.Tenant()
	big, err := tn.Seed("application", map[string]any{"displayName": "Many owners", "appId": "77777777-7777-4777-8777-777777777777"})
	if err != nil {
		t.Fatal(err)
	}
	owners := 0
	for _, u := range tn.List("user") {
		if owners < 25 {
			if err := tn.SeedLink("application", big, "owners", u["id"].(string)); err != nil {
				t.Fatal(err)
			}
			owners++
		}
	}
	kinds := simtest.Kinds(t, "applications", "service-principals", "administrative-units")
	old, oldRes := readWith(t, &reader{c: c, progress: NoProgress{}, perParent: true}, kinds)
	got, res := readWith(t, &reader{c: c, progress: NoProgress{}, track: true}, kinds)
	simtest.SameFiles(t, "delta read vs list read", got, old)
	for i, r := range res {
		if r.Read != "full" || r.Objects == 0 {
			t.Errorf("%s: read %q, %d objects", r.Kind, r.Read, r.Objects)
		}
		t.Logf("%s: list read %d requests, delta read %d", r.Kind, oldRes[i].Requests, r.Requests)
	}
	found := false
	for p, data := range got {
		if strings.Contains(p, big) {
			found = bytes.Count(data, []byte("\n  - \"@odata.type\"")) == 25
		}
	}
	if !found {
		t.Errorf("the app with 25 owners is missing or does not list them all")
	}
	withChildren := 0
	for _, data := range old {
		if bytes.Contains(data, []byte("\nowners:\n  - ")) || bytes.Contains(data, []byte("\nmembers:\n  - ")) ||
			bytes.Contains(data, []byte("\nappRoleAssignedTo:\n  - ")) {
			withChildren++
		}
	}
	if withChildren == 0 {
		t.Fatal("no object has owners, members or assignments: the test does not cover children")
	}
}

// TestResumeUsersWithoutHeldReadsInFull: users cannot resume from a state
// that does not list the users with sponsors (delta does not report
// sponsors, users.go): the kind is read in full, and the note says why.
func TestResumeUsersWithoutHeldReadsInFull(t *testing.T) {
	_, c := deltaSim(t, graphsim.Sizes{Users: 20, Groups: 2})
	users, _ := layout.Lookup("users")
	kinds := []*layout.Kind{users}
	first, b, _ := readOnce(t, &reader{c: c, progress: NoProgress{}, track: true}, kinds)
	if first.held == nil {
		t.Fatal("a full read of users gives no list of the users with sponsors")
	}
	for _, held := range [][]string{nil, {}} {
		got, res := readWith(t, &reader{c: c, progress: NoProgress{}, track: true, delta: map[string]DeltaFrom{
			"users": {Link: first.deltaLink, Files: b.files, Held: held},
		}}, kinds)
		simtest.SameFiles(t, "resumed", got, b.files)
		want := "delta"
		if held == nil {
			want = "full"
		}
		if res[0].Read != want || want == "full" && !strings.Contains(res[0].Note, "sponsors") {
			t.Errorf("Held %v: read %q, note %q, want %s", held, res[0].Read, res[0].Note, want)
		}
	}
}

// TestDirectoryRolesReadInOneRequest: directory-roles is read with one
// list request, which a delta round of GET /directoryRoles/delta
// (graphsim serves it: TestDeltaDirectoryRoles) would not undercut: a
// round without changes is one request too, plus a deltaLink to keep. So
// the kind is read in full every run (not one of DeltaKinds).
func TestDirectoryRolesReadInOneRequest(t *testing.T) {
	_, c := deltaSim(t, graphsim.Sizes{Users: 10, Groups: 2})
	k, _ := layout.Lookup("directory-roles")
	files, res := readWith(t, &reader{c: c, progress: NoProgress{}, track: true}, []*layout.Kind{k})
	if len(files) < 2 || res[0].Requests != 1 || slices.Contains(DeltaKinds(), k.Name) {
		t.Errorf("directory-roles: %d files with %d requests (delta kind: %v); want the activated roles with one request",
			len(files), res[0].Requests, slices.Contains(DeltaKinds(), k.Name))
	}
}
