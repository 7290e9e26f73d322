package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

// changer scripts tenant changes through Graph.
type changer struct {
	t   *testing.T
	c   *graph.Client
	sim *graphsim.Server
	n   int
}

func (ch *changer) do(method, path string, body map[string]any) map[string]any {
	ch.t.Helper()
	var b any
	if body != nil {
		b = body
	}
	resp, err := ch.c.Do(context.Background(), method, path, b)
	if err != nil {
		ch.t.Fatalf("%s %s: %v", method, path, err)
	}
	var out map[string]any
	_ = json.Unmarshal(resp.Body, &out)
	return out
}

func (ch *changer) newUser() string {
	ch.n++
	nick := fmt.Sprintf("delta%d", ch.n)
	u := ch.do("POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "Delta " + nick,
		"mailNickname": nick, "userPrincipalName": nick + "@" + ch.sim.Tenant().Domain(),
		"passwordProfile": map[string]any{"password": "Xy!" + nick + "-8Ab#", "forceChangePasswordNextSignIn": true}})
	return u["id"].(string)
}

func (ch *changer) newGroup(members, owners []string) string {
	ch.n++
	nick := fmt.Sprintf("deltagroup%d", ch.n)
	body := map[string]any{"displayName": "Delta group " + nick, "mailEnabled": false, "mailNickname": nick,
		"securityEnabled": true, "groupTypes": []any{}}
	g := ch.do("POST", "/v1.0/groups", body)
	id := g["id"].(string)
	for _, o := range owners {
		ch.link(id, "owners", o)
	}
	for _, m := range members {
		ch.link(id, "members", m)
	}
	return id
}

func (ch *changer) link(group, rel, id string) {
	ch.t.Helper()
	ch.do("POST", "/v1.0/groups/"+group+"/"+rel+"/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id})
}

func (ch *changer) unlink(group, rel, id string) {
	ch.t.Helper()
	ch.do("DELETE", "/v1.0/groups/"+group+"/"+rel+"/"+id+"/$ref", nil)
}

// plainGroups are groups whose members and owners Graph lets us write.
func plainGroups(sim *graphsim.Server) []map[string]any {
	var out []map[string]any
	for _, g := range sim.Tenant().List("group") {
		if g["membershipRule"] == nil && g["mailEnabled"] != true && len(sim.Tenant().Links("group", g["id"].(string), "members")) >= 2 {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["id"].(string) < out[j]["id"].(string) })
	return out
}

// sameTree checks that two snapshots hold the same files, byte for byte,
// but for the delta state (Graph's tokens, not tenant state).
func sameTree(t *testing.T, what string, inc, full map[string][]byte) {
	t.Helper()
	delete(inc, StatePath)
	delete(full, StatePath)
	// Audit records are kept by the snapshots that saw the changes: a new
	// repository has none (attribution.go).
	for _, files := range []map[string][]byte{inc, full} {
		for p := range files {
			if _, ok := layout.ChangesTime(p); ok {
				delete(files, p)
			}
		}
	}
	simtest.SameFiles(t, what, inc, full)
}

// deltaExport exports (mustExport with mutate) a day after the first
// export: the export must be complete and have read each of kinds by delta.
func deltaExport(t *testing.T, c *graph.Client, r *snapshot.Repo, day string, kinds []string, mutate func(*Options)) *Result {
	t.Helper()
	res := mustExport(t, c, r, mutate)
	if !res.Complete() {
		t.Fatalf("%s: incomplete %+v", day, res.Incomplete())
	}
	for _, k := range kinds {
		if r := kindResult(res, k); r.Read != "delta" {
			t.Errorf("%s: %s read %q (%s), want delta", day, k, r.Read, r.Note)
		}
	}
	return res
}

func kindResult(res *Result, kind string) live.KindResult {
	for _, k := range res.Kinds {
		if k.Kind == kind {
			return k
		}
	}
	return live.KindResult{}
}

// TestIncrementalExportEqualsFullExport is THE test of the incremental
// export: after scripted changes (creates, edits, soft deletes, restores
// from the recycle bin, purges, membership churn, owner changes, renames),
// the snapshot an incremental export commits (users and groups resumed
// from the delta state and applied to the previous files) holds exactly
// the files a full export of the same tenant state commits into a fresh
// repository. Then: a day without changes costs one request per delta kind
// and makes no commit; the state resumes from a fresh clone; --full reads
// in full; an expired token (410) falls back to a full read, said so.
func TestIncrementalExportEqualsFullExport(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	whenShortOnly(t, "users", "groups", "group-eligibility-schedules", "group-assignment-schedules") // the kinds resumed here
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 200, Groups: 30, MembersPerGroup: 40}})
	c := newClient(t, sim, nil, "")
	inc := newRepo(t, false)
	first := mustExport(t, c, inc, nil)
	for _, k := range []string{"users", "groups"} {
		if r := kindResult(first, k); r.Read != "full" || r.Note != "full read: no delta state yet" {
			t.Errorf("first export, %s: read %q, note %q", k, r.Read, r.Note)
		}
	}
	st, _, err := readState(context.Background(), inc, mustPrevious(t, inc))
	if err != nil || st == nil || st.Kinds["users"].DeltaLink == "" || st.Kinds["groups"].DeltaLink == "" || st.FullEvery != DefaultFullEvery {
		t.Fatalf("state after the first export: %+v, %v", st, err)
	}
	stateFile := tree(t, inc, "HEAD")[StatePath]
	if bytes.Contains(stateFile, []byte(sim.Token())) || bytes.Contains(bytes.ToLower(stateFile), []byte("bearer")) || bytes.Contains(stateFile, []byte("http")) {
		t.Errorf("the state file holds a token or a host:\n%s", stateFile)
	}

	ch := &changer{t: t, c: c, sim: sim}
	compare := func(day string) *Result {
		t.Helper()
		// Sponsor changes are seen through the directory audit log, whose
		// records appear after its latency (live/users.go).
		sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
		// On graphsim's clock: a PIM for Groups schedule that ended by
		// then is read again (live/pimgroups.go).
		simNow := func(o *Options) { o.Now = sim.Clock().Now }
		// (A few PIM schedules go at once: more than the guard's share.)
		res := deltaExport(t, c, inc, day, append([]string{"users", "groups"}, live.AuditKinds()...), func(o *Options) { o.Now, o.AllowShrink = sim.Clock().Now, true })
		full := newRepo(t, true)
		mustExport(t, c, full, simNow)
		sameTree(t, day, tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
		return res
	}

	// Day 1.
	groups := plainGroups(sim)
	if len(groups) < 3 {
		t.Fatalf("only %d plain groups", len(groups))
	}
	var users []string
	for _, u := range sim.Tenant().List("user") {
		if u["userType"] == "Member" && !strings.Contains(fmt.Sprint(u["userPrincipalName"]), "admin") {
			users = append(users, u["id"].(string))
		}
	}
	sort.Strings(users)
	u1 := ch.newUser()
	g1 := ch.newGroup([]string{u1, users[0], users[1]}, []string{users[2]})
	ch.do("PATCH", "/v1.0/users/"+users[3], map[string]any{"jobTitle": "Delta tester", "department": "Backups"})
	ch.do("PATCH", "/v1.0/users/"+users[4], map[string]any{"userPrincipalName": "renamed4@" + sim.Tenant().Domain()})
	ch.do("PATCH", "/v1.0/groups/"+groups[0]["id"].(string), map[string]any{"displayName": "Renamed group", "description": "now described"})
	gx := groups[1]["id"].(string)
	members := sim.Tenant().Links("group", gx, "members")
	ch.unlink(gx, "members", members[0])
	ch.link(gx, "members", users[5])
	ch.link(gx, "owners", users[6])
	for _, o := range sim.Tenant().Links("group", gx, "owners") {
		if !strings.EqualFold(o, users[6]) {
			ch.unlink(gx, "owners", o)
		}
	}
	// Sponsors (delta does not report them): a member gets a group and a
	// user as sponsors, a guest loses all of its own.
	var guest string
	for _, u := range sim.Tenant().List("user") {
		if id := u["id"].(string); u["userType"] == "Guest" && len(sim.Tenant().Links("user", id, "sponsors")) > 0 {
			guest = id
			break
		}
	}
	if guest == "" {
		t.Fatal("no guest with sponsors")
	}
	dirRef := func(id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}
	}
	ch.do("POST", "/v1.0/users/"+users[11]+"/sponsors/$ref", dirRef(groups[0]["id"].(string)))
	ch.do("POST", "/v1.0/users/"+users[11]+"/sponsors/$ref", dirRef(users[12]))
	for _, s := range sim.Tenant().Links("user", guest, "sponsors") {
		ch.do("DELETE", "/v1.0/users/"+guest+"/sponsors/"+s+"/$ref", nil)
	}
	// A user in several groups is soft-deleted (leaves them); a group too.
	uDel := members[1]
	ch.do("DELETE", "/v1.0/users/"+uDel, nil)
	gDel := groups[2]["id"].(string)
	ch.do("DELETE", "/v1.0/groups/"+gDel, nil)
	// PIM for Groups (read again only for the groups the audit log names,
	// live/pimgroups.go): an eligibility and a time-bound active membership
	// on one group, an eligible ownership on another.
	var pimGroups []string
	for _, g := range groups[3:] {
		if g["onPremisesSyncEnabled"] != true && g["securityEnabled"] == true {
			pimGroups = append(pimGroups, g["id"].(string))
		}
	}
	if len(pimGroups) < 2 {
		t.Fatalf("only %d groups PIM can govern", len(pimGroups))
	}
	pim := func(list, action, group, principal, access string, end time.Time) {
		t.Helper()
		body := map[string]any{"action": action, "accessId": access, "groupId": group, "principalId": principal, "justification": "delta test"}
		if !end.IsZero() {
			body["scheduleInfo"] = map[string]any{"startDateTime": sim.Clock().Now().Format(time.RFC3339),
				"expiration": map[string]any{"type": "afterDateTime", "endDateTime": end.UTC().Format(time.RFC3339)}}
		}
		ch.do("POST", "/v1.0/identityGovernance/privilegedAccess/group/"+list+"ScheduleRequests", body)
	}
	ends := sim.Clock().Now().Add(36 * time.Hour)
	pim("eligibility", "adminAssign", pimGroups[0], users[14], "member", time.Time{})
	pim("assignment", "adminAssign", pimGroups[0], users[15], "member", ends)
	pim("eligibility", "adminAssign", pimGroups[1], users[16], "owner", time.Time{})
	day1 := compare("day 1")
	if day1.Modified == 0 || day1.Deleted == 0 || day1.Added == 0 {
		t.Errorf("day 1 changed %d/%d/%d files: the changes did not show", day1.Added, day1.Modified, day1.Deleted)
	}

	// Day 2: the user comes back from the recycle bin (and into its
	// groups), the group is purged, churn on the new group, a user created
	// and deleted within the day.
	ch.do("POST", "/v1.0/directory/deletedItems/"+uDel+"/restore", nil)
	ch.do("DELETE", "/v1.0/directory/deletedItems/"+gDel, nil)
	ch.unlink(g1, "members", u1)
	ch.link(g1, "members", users[7])
	ch.link(g1, "owners", users[8])
	ch.unlink(g1, "owners", users[2])
	u2 := ch.newUser()
	ch.link(g1, "members", u2)
	ch.do("DELETE", "/v1.0/users/"+u2, nil)
	ch.do("PATCH", "/v1.0/users/"+u1, map[string]any{"displayName": "Delta renamed", "jobTitle": nil})
	// Sponsors: the new user gets one, the member loses its user sponsor,
	// and a user sponsoring guests is soft-deleted (it leaves their lists
	// with no record naming them).
	ch.do("POST", "/v1.0/users/"+u1+"/sponsors/$ref", dirRef(users[13]))
	ch.do("DELETE", "/v1.0/users/"+users[11]+"/sponsors/"+users[12]+"/$ref", nil)
	var sponsor string
	for _, u := range sim.Tenant().List("user") {
		if sp := sim.Tenant().Links("user", u["id"].(string), "sponsors"); u["userType"] == "Guest" && len(sp) > 0 {
			if _, isUser := sim.Tenant().Get("user", sp[0]); isUser {
				sponsor = sp[0]
				break
			}
		}
	}
	if sponsor == "" {
		t.Fatal("no guest sponsored by a user")
	}
	ch.do("DELETE", "/v1.0/users/"+sponsor, nil)
	// PIM for Groups: the eligibility is removed, the group with the
	// eligible owner is deleted (its schedules go with it), and a group
	// with a hostile name is created with an eligibility.
	pim("eligibility", "adminRemove", pimGroups[0], users[14], "member", time.Time{})
	ch.do("DELETE", "/v1.0/groups/"+pimGroups[1], nil)
	ch.n++
	hostile := ch.do("POST", "/v1.0/groups", map[string]any{"displayName": "PIM \"quoted\"\n../\u202eevil\U0001F600 " + strings.Repeat("long ", 40),
		"mailEnabled": false, "mailNickname": fmt.Sprintf("pimgroup%d", ch.n), "securityEnabled": true, "groupTypes": []any{}})
	pim("eligibility", "adminAssign", hostile["id"].(string), users[17], "member", time.Time{})
	compare("day 2")

	// Day 3: the sponsor comes back from the recycle bin, into its guests'
	// lists (no record names them either); the time-bound membership has
	// ended (no record says so: its end in the previous file does).
	ch.do("POST", "/v1.0/directory/deletedItems/"+sponsor+"/restore", nil)
	sim.Clock().Advance(ends.Sub(sim.Clock().Now()) + time.Minute)
	day3 := compare("day 3")
	if r := kindResult(day3, "group-assignment-schedules"); r.Previous == 0 || r.Objects != r.Previous-1 {
		t.Errorf("day 3: assignment schedules %d, previously %d: the ended one should be gone", r.Objects, r.Previous)
	}

	// A day without changes: one request per delta kind, one page of the
	// audit log, one getByIds of the sponsors the files name, and the
	// sponsors of the users the log named since the last full read (live/users.go: about 15 here, one $batch) - not the users
	// list's $expand=sponsors (2 pages at 200 users, 1,000 at 100,000);
	// no commit.
	head := git(t, inc.Path(), "rev-parse", "HEAD")
	quiet := mustExport(t, c, inc, nil)
	deltaReqs := kindResult(quiet, "users").Requests + kindResult(quiet, "groups").Requests
	if quiet.Changed || git(t, inc.Path(), "rev-parse", "HEAD") != head || kindResult(quiet, "users").Requests > 5 || deltaReqs > 6 {
		t.Errorf("no-change day: changed %v, users requests %d, users+groups %d", quiet.Changed, kindResult(quiet, "users").Requests, deltaReqs)
	}
	// PIM for Groups: the groups list, the audit log (shared with users),
	// and the schedules of the groups the log names since the last full
	// read (a few here, one $batch envelope), not a list per group.
	for _, k := range live.AuditKinds() {
		if r := kindResult(quiet, k); r.Read != "delta" || r.Requests > 3 {
			t.Errorf("no-change day: %s read %q (%s) with %d requests, want delta with at most 3", k, r.Read, r.Note, r.Requests)
		}
	}
	t.Logf("no-change day: %d requests in all (%d for users and groups), %d resource units; first export: %d requests, %d units",
		quiet.Requests, deltaReqs, quiet.ResourceUnits, first.Requests, first.ResourceUnits)

	// A fresh clone resumes from the committed state.
	dir := filepath.Join(t.TempDir(), "clone")
	if out, err := runGit(filepath.Dir(dir), "clone", "-q", inc.Path(), dir); err != nil {
		t.Fatalf("git clone: %v %s", err, out)
	}
	clone, err := snapshot.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer clone.Close()
	ch.do("PATCH", "/v1.0/users/"+users[9], map[string]any{"officeLocation": "Clone street"})
	cres := mustExport(t, c, clone, nil)
	changed := strings.Fields(git(t, dir, "diff", "--name-only", "HEAD~1", "HEAD"))
	if r := kindResult(cres, "users"); r.Read != "delta" || len(changed) != 2 || !strings.HasPrefix(changed[1], "users/") || changed[0] != StatePath {
		t.Errorf("clone: users read %q (%s), changed %q", r.Read, r.Note, changed)
	}

	// --full reads in full.
	// (This run and the next on graphsim's clock, which the script moved
	// past the helper's: the audit window starts at the last full read,
	// less live.ReplicationMargin, which the clone's change is then outside of.)
	// A time-bound PIM for Groups membership made before the full read
	// ends after it: no record since the full read names its group, its
	// end in the previous file does (live/pimgroups.go).
	// (Not under -short, which skips the two exports that follow its end.)
	ends = sim.Clock().Now().Add(live.ReplicationMargin + 2*time.Hour)
	if !testing.Short() {
		pim("assignment", "adminAssign", pimGroups[0], users[18], "owner", ends)
	}
	sim.Clock().Advance(live.ReplicationMargin + time.Minute)
	fres := mustExport(t, c, inc, func(o *Options) { o.Full, o.Now = true, sim.Clock().Now })
	if r := kindResult(fres, "groups"); r.Read != "full" || r.Note != "full read: --full" {
		t.Errorf("--full: groups read %q, note %q", r.Read, r.Note)
	}
	// The day after a full read, with no change: the users round, one
	// page of the audit log and one getByIds of the sponsors the files name
	// (are they still there?), not a read of any user's sponsors.
	sim.Clock().Advance(time.Hour)
	if r := kindResult(mustExport(t, c, inc, func(o *Options) { o.Now = sim.Clock().Now }), "users"); r.Read != "delta" || r.Requests != 3 {
		t.Errorf("no change after a full read: users read %q with %d requests, want delta with 3", r.Read, r.Requests)
	}
	if !testing.Short() { // (two exports more; -short keeps CI's race phase within its budget)
		sim.Clock().Advance(ends.Sub(sim.Clock().Now()) + time.Minute)
		ended := mustExport(t, c, inc, func(o *Options) { o.Now, o.AllowShrink = sim.Clock().Now, true })
		if r := kindResult(ended, "group-assignment-schedules"); r.Read != "delta" || r.Objects != r.Previous-1 {
			t.Errorf("after the end of a membership: assignment schedules read %q (%s), %d objects, previously %d", r.Read, r.Note, r.Objects, r.Previous)
		}
		endedFull := newRepo(t, true)
		mustExport(t, c, endedFull, func(o *Options) { o.Now = sim.Clock().Now })
		sameTree(t, "after the end of a membership", tree(t, inc, "HEAD"), tree(t, endedFull, "HEAD"))
	}

	// A token Graph no longer knows: the kind is read in full, said so.
	ch.do("PATCH", "/v1.0/users/"+users[10], map[string]any{"officeLocation": "Later"})
	sim.Clock().Advance(8 * 24 * time.Hour)
	notes := &notes{}
	gone := mustExport(t, c, inc, func(o *Options) { o.Progress = notes })
	if r := kindResult(gone, "users"); r.Read != "full" || !strings.Contains(r.Note, "410") || !strings.Contains(strings.Join(notes.got, "\n"), "users: Graph no longer knows") {
		t.Errorf("after expiry: users read %q, note %q, progress %q", r.Read, r.Note, notes.got)
	}
	full := newRepo(t, true)
	mustExport(t, c, full, nil)
	sameTree(t, "after 410", tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
}

// notes keeps the kind notes (from several kinds' goroutines at once, as
// the real printers take them).
type notes struct {
	NoProgress
	mu  sync.Mutex
	got []string
}

func (n *notes) KindNote(kind, note string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, kind+": "+note)
}

func mustPrevious(t *testing.T, r *snapshot.Repo) *previous {
	t.Helper()
	p, err := readPrevious(context.Background(), r, headBranch(r))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFailedDeltaRoundIsCarriedNotDeleted: a delta round that fails is
// never recorded as deletions: the kind is carried forward, marked
// incomplete, and read in full next time. A wave of deletions through
// delta still meets the mass-deletion guard.
func TestFailedDeltaRoundIsCarriedNotDeleted(t *testing.T) {
	whenShortOnly(t, "users", "groups")
	sim := newSim(t, graphsim.Options{})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, true)
	mustExport(t, c, r, nil)
	before := tree(t, r, "HEAD")
	g := plainGroups(sim)[0]["id"].(string)
	if _, err := c.Delete(context.Background(), "/v1.0/groups/"+g); err != nil {
		t.Fatal(err)
	}
	bad := newClient(t, sim, failPaths(sim, "/groups/delta"), "")
	res := mustExport(t, bad, r, nil)
	if gr := kindResult(res, "groups"); gr.Complete || gr.Objects != kindResult(res, "groups").Previous {
		t.Fatalf("groups after a failed round: %+v", gr)
	}
	after := tree(t, r, "HEAD")
	for p, data := range before {
		if strings.HasPrefix(p, "groups/") && !bytes.Equal(after[p], data) {
			t.Errorf("%s was not carried forward", p)
		}
	}
	st, _, _ := readState(context.Background(), r, mustPrevious(t, r))
	if _, ok := st.Kinds["groups"]; ok {
		t.Error("the incomplete kind kept its delta state")
	}
	next := mustExport(t, c, r, nil)
	if gr := kindResult(next, "groups"); gr.Read != "full" || !gr.Complete || next.Deleted != 1 {
		t.Errorf("next run: groups %+v, %d deleted", gr, next.Deleted)
	}

	// Most users deleted: the resumed read meets the guard.
	n := 0
	for _, u := range sim.Tenant().List("user") {
		if n*10 < len(sim.Tenant().List("user"))*4 {
			if _, err := c.Delete(context.Background(), "/v1.0/users/"+u["id"].(string)); err == nil {
				n++
			}
		}
	}
	_, err := export(t, c, r, nil)
	if _, ok := err.(*ShrinkError); !ok {
		t.Fatalf("after deleting %d users: err = %v, want the mass-deletion guard", n, err)
	}
}

// TestStateFileIsCheckedOnRead: the state file comes from a repository
// anyone may edit: a link to another host or path, or with other
// parameters, is refused (the kind is read in full, said so); a link made
// for other properties than today's is not resumed; the file round-trips.
func TestStateFileIsCheckedOnRead(t *testing.T) {
	now := time.Date(2026, 3, 23, 10, 0, 0, 0, time.UTC)
	good := &State{FullEvery: 36 * time.Hour, Kinds: map[string]KindState{
		"groups": {DeltaLink: "/v1.0/groups/delta?$deltatoken=abc", Query: live.DeltaQuery("groups"), LinkAt: now, LastFull: now},
		"users":  {DeltaLink: "/v1.0/users/delta?$deltatoken=abc", Query: live.DeltaQuery("users"), LinkAt: now, LastFull: now, Held: []string{"a", "b"}},
		"applications": {DeltaLink: "/v1.0/applications/delta?$deltatoken=abc", Query: live.DeltaQuery("applications"), LinkAt: now, LastFull: now,
			Held: []string{}},
	}}
	back, err := DecodeState(good.Encode())
	if err != nil || back.FullEvery != good.FullEvery || !reflect.DeepEqual(back.Kinds, good.Kinds) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	// The users with sponsors (live.DeltaFrom.Held): a list of ids.
	if _, err := DecodeState([]byte("kinds:\n  users:\n    deltaLink: \"/v1.0/users/delta?$deltatoken=abc\"\n    objectsWithUntrackedChildren: \"a\"\n" +
		"    lastFullRead: \"2026-03-23T10:00:00Z\"\n    deltaLinkTime: \"2026-03-23T10:00:00Z\"\n")); err == nil || !strings.Contains(err.Error(), "objectsWithUntrackedChildren") {
		t.Error("objectsWithUntrackedChildren that is not a list was accepted")
	}
	for _, bad := range []string{
		"https://evil.example/v1.0/groups/delta?$deltatoken=abc",
		"/v1.0/users/delta?$deltatoken=abc",
		"/v1.0/groups/delta?$deltatoken=abc&access_token=eyJ0",
		"/v1.0/groups/delta?$select=id",
	} {
		st := &State{FullEvery: time.Hour, Kinds: map[string]KindState{"groups": {DeltaLink: bad, LinkAt: now, LastFull: now}}}
		if _, err := DecodeState(st.Encode()); err == nil {
			t.Errorf("link %q accepted", bad)
		}
	}
	if _, err := DecodeState([]byte("fullEvery: \"soon\"\n")); err == nil {
		t.Error("a bad fullEvery was accepted")
	}

	groups, _ := layout.Lookup("groups")
	prev := &previous{manifest: &layout.Manifest{Kinds: map[string]layout.ManifestKind{"groups": {Complete: true}}}}
	stale := &State{Kinds: map[string]KindState{"groups": {DeltaLink: "/v1.0/groups/delta?$deltatoken=abc",
		Query: "/v1.0/groups/delta?$select=id,members", LinkAt: now, LastFull: now}}}
	from, why, err := planDelta(context.Background(), Options{}, []*layout.Kind{groups}, prev, stale, nil, now)
	if err != nil || len(from) != 0 || !strings.Contains(why["groups"], "other properties") {
		t.Errorf("a link for other properties: from %v, why %q, %v", from, why, err)
	}
	old := &State{Kinds: map[string]KindState{"groups": {DeltaLink: "/v1.0/groups/delta?$deltatoken=abc",
		Query: live.DeltaQuery("groups"), Files: fingerprint(groups, nil), LinkAt: now, LastFull: now.Add(-8 * 24 * time.Hour)}}}
	_, why, _ = planDelta(context.Background(), Options{}, []*layout.Kind{groups}, prev, old, nil, now)
	if !strings.Contains(why["groups"], "--full-every 7d") {
		t.Errorf("an 8-day-old full read: why %q", why["groups"])
	}
	edited := &State{Kinds: map[string]KindState{"groups": {DeltaLink: "/v1.0/groups/delta?$deltatoken=abc",
		Query: live.DeltaQuery("groups"), Files: "another", LinkAt: now, LastFull: now}}}
	_, why, _ = planDelta(context.Background(), Options{}, []*layout.Kind{groups}, prev, edited, nil, now)
	if !strings.Contains(why["groups"], "files changed") {
		t.Errorf("files edited since: why %q", why["groups"])
	}

	// A state that would resume, of a delta kind and of an audit kind:
	// resumed only when the previous snapshot's manifest holds the kind
	// complete.
	audit, _ := layout.Lookup(live.AuditKinds()[0])
	fresh := &State{Kinds: map[string]KindState{"groups": {DeltaLink: "/v1.0/groups/delta?$deltatoken=abc",
		Query: live.DeltaQuery("groups"), Files: fingerprint(groups, nil), LinkAt: now, LastFull: now}},
		Audit: map[string]AuditKindState{audit.Name: {Files: fingerprint(audit, nil), LastFull: now}}}
	kinds := []*layout.Kind{groups, audit}
	both := &previous{manifest: &layout.Manifest{Kinds: map[string]layout.ManifestKind{"groups": {Complete: true}, audit.Name: {Complete: true}}}}
	if from, why, err := planDelta(context.Background(), Options{Scheduled: true}, kinds, both, fresh, nil, now); err != nil || len(from) != 2 || len(why) != 0 {
		t.Errorf("a fresh state of complete kinds: from %v, why %q, %v", from, why, err)
	}
	for name, p := range map[string]*previous{
		"no manifest": {},
		"absent":      {manifest: &layout.Manifest{Kinds: map[string]layout.ManifestKind{}}},
		"incomplete":  {manifest: &layout.Manifest{Kinds: map[string]layout.ManifestKind{"groups": {}, audit.Name: {}}}},
	} {
		from, why, err := planDelta(context.Background(), Options{}, kinds, p, fresh, nil, now)
		if err != nil || len(from) != 0 {
			t.Errorf("%s: from %v, %v", name, from, err)
		}
		for _, k := range kinds {
			if why[k.Name] != "full read: the previous snapshot does not hold the kind complete" {
				t.Errorf("%s: %s: why %q", name, k.Name, why[k.Name])
			}
		}
	}
}

// TestIncrementalExportAppsSPsAUs: applications, service principals and
// administrative units resume from the delta state (their properties and
// deletions through Graph's delta; their owners, app role assignments,
// grants, members and scoped role members read in full each run, as Graph
// documents no tracking of them), and after scripted changes (creates,
// edits, soft deletes, restores, purges, owner/assignment/grant/member
// churn, a hostile display name) the incremental snapshot is byte-identical
// to a full export of the same tenant state. An expired token reads the
// kinds in full, said so.
func TestIncrementalExportAppsSPsAUs(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 60, Groups: 8, Apps: 10}})
	c := newClient(t, sim, nil, "")
	inc := newRepo(t, false)
	kinds := []string{"applications", "service-principals", "administrative-units"}
	whenShortOnly(t, kinds...)
	mustExport(t, c, inc, nil)
	st, _, err := readState(context.Background(), inc, mustPrevious(t, inc))
	if err != nil || st == nil {
		t.Fatalf("state after the first export: %+v, %v", st, err)
	}
	for _, k := range kinds {
		if st.Kinds[k].DeltaLink == "" {
			t.Errorf("no deltaLink kept for %s: %+v", k, st.Kinds[k])
		}
	}
	ch := &changer{t: t, c: c, sim: sim}
	compare := func(day string) *Result {
		t.Helper()
		// The owners' and app role assignments' changes show once their
		// records are in the audit log (live/apps.go).
		sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
		// A few units: one deleted is more than the mass-deletion guard
		// lets through. On graphsim's clock: each run's record of who
		// changed what has a file of its own.
		res := deltaExport(t, c, inc, day, kinds, func(o *Options) { o.AllowShrink, o.Now = true, sim.Clock().Now })
		full := newRepo(t, true)
		mustExport(t, c, full, nil)
		sameTree(t, day, tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
		return res
	}
	tn := sim.Tenant()
	var users []string
	for _, u := range tn.List("user") {
		if u["userType"] == "Member" {
			users = append(users, u["id"].(string))
		}
	}
	sort.Strings(users)
	// A service principal with an app role users can hold, and an existing
	// assignment and grant to remove or change.
	var resSP, roleID string
	for _, sp := range tn.List("servicePrincipal") {
		for _, r := range asList(sp["appRoles"]) {
			role, _ := r.(map[string]any)
			if slicesHas(asList(role["allowedMemberTypes"]), "User") && resSP == "" {
				resSP, roleID = sp["id"].(string), role["id"].(string)
			}
		}
	}
	assignments := tn.List("appRoleAssignment")
	grants := tn.List("oAuth2PermissionGrant")
	if resSP == "" || len(assignments) == 0 || len(grants) < 2 {
		t.Fatalf("the tenant has no service principal with a user app role (%q), %d assignments, %d grants", resSP, len(assignments), len(grants))
	}
	roles := ch.do("GET", "/v1.0/directoryRoles", nil)
	roleList := asList(roles["value"])
	if len(roleList) == 0 {
		t.Fatal("no activated directory role")
	}
	dirRole := roleList[0].(map[string]any)["id"].(string)

	// Day 1: creates (one with a hostile name), edits, churn, soft deletes.
	hostile := "Evil \x1b[31m\u202eeman\r\nnext\x00\xff\u200f app"
	app := ch.do("POST", "/v1.0/applications", map[string]any{"displayName": hostile})
	appID := app["id"].(string)
	sp := ch.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": app["appId"]})
	spID := sp["id"].(string)
	ch.do("POST", "/v1.0/applications/"+appID+"/owners/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + users[0]})
	ch.do("POST", "/v1.0/servicePrincipals/"+spID+"/owners/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + users[1]})
	apps := tn.List("application")
	sort.Slice(apps, func(i, j int) bool { return apps[i]["id"].(string) < apps[j]["id"].(string) })
	oldApp := ""
	for _, a := range apps {
		if a["id"] != appID && oldApp == "" {
			oldApp = a["id"].(string)
		}
	}
	ch.do("PATCH", "/v1.0/applications/"+oldApp, map[string]any{"notes": "edited by the delta test", "tags": []any{"x", "a"}})
	ch.do("POST", "/v1.0/applications/"+oldApp+"/owners/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + users[2]})
	ch.do("POST", "/v1.0/servicePrincipals/"+resSP+"/appRoleAssignedTo", map[string]any{"principalId": users[3], "resourceId": resSP, "appRoleId": roleID})
	a0 := assignments[0]
	ch.do("DELETE", "/v1.0/servicePrincipals/"+a0["resourceId"].(string)+"/appRoleAssignedTo/"+a0["id"].(string), nil)
	ch.do("PATCH", "/v1.0/oauth2PermissionGrants/"+grants[0]["id"].(string), map[string]any{"scope": "User.Read Mail.Read"})
	ch.do("DELETE", "/v1.0/oauth2PermissionGrants/"+grants[1]["id"].(string), nil)
	ch.do("POST", "/v1.0/oauth2PermissionGrants", map[string]any{"clientId": spID, "consentType": "AllPrincipals", "resourceId": resSP, "scope": "User.Read"})
	au := ch.do("POST", "/v1.0/directory/administrativeUnits", map[string]any{"displayName": "Delta unit \u202e", "description": "d"})
	auID := au["id"].(string)
	ch.do("POST", "/v1.0/directory/administrativeUnits/"+auID+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + users[4]})
	ch.do("POST", "/v1.0/directory/administrativeUnits/"+auID+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + users[5]})
	ch.do("POST", "/v1.0/directory/administrativeUnits/"+auID+"/scopedRoleMembers", map[string]any{"roleId": dirRole, "roleMemberInfo": map[string]any{"id": users[6]}})
	var delApp, delSP string
	for _, a := range apps {
		if id := a["id"].(string); id != appID && id != oldApp {
			delApp = id
			break
		}
	}
	for _, s := range tn.List("servicePrincipal") {
		if id := s["id"].(string); id != spID && id != resSP && s["appOwnerOrganizationId"] != "f8cdef31-a31e-4b4a-93e4-5f571e91255a" {
			delSP = id
			break
		}
	}
	ch.do("DELETE", "/v1.0/applications/"+delApp, nil)
	ch.do("DELETE", "/v1.0/servicePrincipals/"+delSP, nil)
	day1 := compare("day 1")
	if day1.Added == 0 || day1.Modified == 0 || day1.Deleted == 0 {
		t.Errorf("day 1 changed %d/%d/%d files: the changes did not show", day1.Added, day1.Modified, day1.Deleted)
	}
	files := tree(t, inc, "HEAD")
	found := false
	for p, data := range files {
		if strings.HasPrefix(p, "applications/") && strings.Contains(p, strings.ToLower(appID)) {
			found = true
			if !bytes.Contains(bytes.ToLower(data), []byte(`evil \u001b[31m\u202eeman\r\nnext\u0000`)) {
				t.Errorf("%s does not hold the hostile name:\n%s", p, data)
			}
		}
	}
	if !found {
		t.Errorf("no file for the created application %s", appID)
	}

	// Day 2: restore the app, purge the service principal, churn on the new
	// objects, the unit deleted and restored, members out and in.
	ch.do("POST", "/v1.0/directory/deletedItems/"+delApp+"/restore", nil)
	ch.do("DELETE", "/v1.0/directory/deletedItems/"+delSP, nil)
	ch.do("DELETE", "/v1.0/applications/"+appID+"/owners/"+users[0]+"/$ref", nil)
	ch.do("POST", "/v1.0/applications/"+appID+"/owners/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + users[7]})
	ch.do("PATCH", "/v1.0/servicePrincipals/"+spID, map[string]any{"notes": "sp edited", "tags": []any{"HideApp"}})
	ch.do("DELETE", "/v1.0/directory/administrativeUnits/"+auID+"/members/"+users[4]+"/$ref", nil)
	ch.do("POST", "/v1.0/directory/administrativeUnits/"+auID+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + users[8]})
	ch.do("DELETE", "/v1.0/users/"+users[5], nil) // a member deleted: leaves the unit
	ch.do("PATCH", "/v1.0/applications/"+oldApp, map[string]any{"notes": nil})
	compare("day 2")
	ch.do("DELETE", "/v1.0/directory/administrativeUnits/"+auID, nil)
	compare("day 3")
	ch.do("POST", "/v1.0/directory/deletedItems/"+auID+"/restore", nil)
	compare("day 4")

	// A token Graph no longer knows: read in full, said so.
	ch.do("PATCH", "/v1.0/applications/"+oldApp, map[string]any{"notes": "later"})
	// (The run's own clock a minute on, a time of its own for its record of
	// who changed what; Graph's 8 days on, past the token's life.)
	at := sim.Clock().Now().Add(time.Minute)
	sim.Clock().Advance(8 * 24 * time.Hour)
	gone := mustExport(t, c, inc, func(o *Options) { o.Now = func() time.Time { return at } })
	for _, k := range kinds {
		if r := kindResult(gone, k); r.Read != "full" || !strings.Contains(r.Note, "410") {
			t.Errorf("after expiry: %s read %q, note %q", k, r.Read, r.Note)
		}
	}
	full := newRepo(t, true)
	mustExport(t, c, full, nil)
	sameTree(t, "after 410", tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
}

func asList(v any) []any { l, _ := v.([]any); return l }

func slicesHas(l []any, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestSponsorsWithoutTheAuditLog: when the directory audit log cannot be
// read (here it fails; without AuditLog.Read.All it is refused), a delta
// day reads every user's sponsors from the users list, as a full read
// does, says so, and still equals a full export.
func TestSponsorsWithoutTheAuditLog(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	whenShortOnly(t, "users", "groups")
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 150, Groups: 10}})
	c := newClient(t, sim, nil, "")
	inc := newRepo(t, false)
	mustExport(t, c, inc, nil)
	var member string
	for _, u := range sim.Tenant().List("user") {
		if id := u["id"].(string); u["userType"] == "Member" && len(sim.Tenant().Links("user", id, "sponsors")) == 0 {
			member = id
			break
		}
	}
	ch := &changer{t: t, c: c, sim: sim}
	ch.do("POST", "/v1.0/users/"+member+"/sponsors/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + sim.Tenant().List("group")[0]["id"].(string)})
	noLog := newClient(t, sim, failPaths(sim, "/auditLogs"), "")
	ns := &notes{}
	res := mustExport(t, noLog, inc, func(o *Options) { o.Progress = ns })
	r := kindResult(res, "users")
	if r.Read != "delta" || !strings.Contains(strings.Join(ns.got, "\n"), "users: sponsors read for every object: the directory audit log cannot be read") {
		t.Errorf("users read %q, notes %q", r.Read, ns.got)
	}
	if pages := (r.Objects + 99) / 100; r.Requests < 1+pages {
		t.Errorf("users: %d requests, want the round and %d pages of the list", r.Requests, pages)
	}
	full := newRepo(t, true)
	mustExport(t, c, full, nil)
	sameTree(t, "without the audit log", tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
}

// TestSponsorsPastTheAuditLogsRetention: a scheduled run whose users'
// last full read is older than the directory audit log keeps its records
// (--full-every longer than the 7 days of a tenant without P1 or P2) reads
// every user's sponsors from the list, says why, and equals a full export:
// a sponsor added early in the window, whose record appeared only after the
// run that followed it (graphsim's audit lag) and is gone from the log by
// now, is not lost. The users delta link stays valid (a run 7 days less 30
// minutes earlier: that run changed users, so it stored its round's link),
// so only the retention test makes the run read sponsors whole; without it
// the user keeps its previous file's (none). A run of every day would have
// seen the record; a week without runs after one made within the audit lag
// would not.
func TestSponsorsPastTheAuditLogsRetention(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	// A tenant without P1 or P2 (the log keeps 7 days), whose records take
	// 3 hours to appear (graphsim's lag longer than its default).
	const auditLag = 3 * time.Hour
	sim := newSim(t, graphsim.Options{Licence: graphsim.LicenceFree, AuditLag: auditLag, Throttle: "realistic", Sizes: graphsim.Sizes{Users: 40, Groups: 4}})
	c := newClient(t, sim, nil, "")
	kinds := simtest.Kinds(t, "users", "groups")
	opts := func(o *Options) {
		o.Kinds, o.Now, o.FullEvery = kinds, sim.Clock().Now, 30*24*time.Hour
	}
	inc := newRepo(t, false)
	if r := kindResult(mustExport(t, c, inc, opts), "users"); r.Read != "full" {
		t.Fatalf("first run: users read %q", r.Read)
	}
	var member string
	for _, u := range sim.Tenant().List("user") {
		if id := u["id"].(string); u["userType"] == "Member" && len(sim.Tenant().Links("user", id, "sponsors")) == 0 {
			member = id
			break
		}
	}
	if member == "" {
		t.Fatal("no member without sponsors")
	}
	sponsor := sim.Tenant().List("group")[0]["id"].(string)
	sponsored := func() bool {
		t.Helper()
		for p, data := range tree(t, inc, "HEAD") {
			if !strings.HasPrefix(p, "users/") {
				continue
			}
			obj, err := layout.Decode(data)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if !strings.EqualFold(fmt.Sprint(obj["id"]), member) {
				continue
			}
			for _, x := range asList(obj["sponsors"]) {
				if m, _ := x.(map[string]any); strings.EqualFold(fmt.Sprint(m["id"]), sponsor) {
					return true
				}
			}
			return false
		}
		t.Fatalf("no users/ file is user %s", member)
		return false
	}
	ch := &changer{t: t, c: c, sim: sim}
	sim.Clock().Advance(time.Minute)
	// A hostile name on the sponsor (a group), which the groups round reads.
	ch.do("PATCH", "/v1.0/groups/"+sponsor, map[string]any{"displayName": hostile(1) + " ../" + strings.Repeat("\u05d0", 80) + " \U0001F600"})
	ch.do("POST", "/v1.0/users/"+member+"/sponsors/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + sponsor})

	// A run before the record appears: the users round does not show a
	// sponsor change, the log does not name the user yet. Another user
	// edited, so the run stores the round's new users delta link.
	var other string
	for _, u := range sim.Tenant().List("user") {
		if id := u["id"].(string); id != member {
			other = id
			break
		}
	}
	ch.do("PATCH", "/v1.0/users/"+other, map[string]any{"displayName": hostile(2) + " \u202e\U0001F600 \"quoted\" ../x"})
	sim.Clock().Advance(auditLag - time.Hour)
	if r := kindResult(mustExport(t, c, inc, opts), "users"); r.Read != "delta" || r.Note != "" {
		t.Fatalf("the run within the audit lag: users read %q, note %q", r.Read, r.Note)
	}
	if sponsored() {
		t.Fatal("the run within the audit lag shows the sponsor: the test no longer makes the log the only witness")
	}

	// 7 days less 30 minutes on: the record (made 2 hours earlier than that
	// run) is past the log's retention, the delta link not past its life.
	sim.Clock().Advance(7*24*time.Hour - 30*time.Minute)
	ns := &notes{}
	res := mustExport(t, c, inc, func(o *Options) { opts(o); o.Progress = ns })
	r := kindResult(res, "users")
	if r.Read != "delta" || !strings.Contains(r.Note, "sponsors read for every object: the last full read is older than the directory audit log keeps its records") ||
		!strings.Contains(strings.Join(ns.got, "\n"), "users: sponsors read for every object: the last full read is older") {
		t.Errorf("past the log's retention: users read %q, note %q, progress %q", r.Read, r.Note, ns.got)
	}
	if !sponsored() {
		t.Error("past the log's retention: the sponsor added early in the window is missing")
	}
	full := newRepo(t, true)
	mustExport(t, c, full, opts)
	sameTree(t, "past the audit log's retention", tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
	fsck(t, inc.Path())
}

// TestIncrementalExportConvergesAfterTheLag: under replication lag a delta
// round leaves out the changes younger than the lag (graphsim, as Graph's
// replicas: delta-query-overview "replication delays"), so a daily run
// made within the lag may not show them yet; none is lost: the run after
// the lag window equals a full export byte for byte, whether the early run
// committed other (older) changes, moving the delta link, or none.
func TestIncrementalExportConvergesAfterTheLag(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	whenShortOnly(t, "users", "groups", "administrative-units") // units' members: read whole each run
	const lag = 10 * time.Minute
	sim := newSim(t, graphsim.Options{EventualConsistency: lag, Sizes: graphsim.Sizes{Users: 80, Groups: 12, MembersPerGroup: 20}})
	c := newClient(t, sim, nil, "")
	inc := newRepo(t, false)
	opts := func(o *Options) { o.Now = sim.Clock().Now }
	mustExport(t, c, inc, opts)
	ch := &changer{t: t, c: c, sim: sim}
	var users []string
	for _, u := range sim.Tenant().List("user") {
		if u["userType"] == "Member" && !strings.Contains(fmt.Sprint(u["userPrincipalName"]), "admin") {
			users = append(users, u["id"].(string))
		}
	}
	sort.Strings(users)
	g := plainGroups(sim)[0]["id"].(string)
	settle := func() { sim.Clock().Advance(lag + time.Second) }
	same := func(what string) {
		t.Helper()
		res := mustExport(t, c, inc, opts)
		if r := kindResult(res, "users"); r.Read != "delta" || !res.Complete() {
			t.Fatalf("%s: users read %q, complete %v", what, r.Read, res.Complete())
		}
		full := newRepo(t, true)
		mustExport(t, c, full, opts)
		sameTree(t, what, tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
	}
	settle()

	// Changes within the lag only: the early run shows none of them.
	ch.do("PATCH", "/v1.0/users/"+users[0], map[string]any{"jobTitle": "Lagging edit"})
	ch.unlink(g, "members", sim.Tenant().Links("group", g, "members")[0])
	ch.do("DELETE", "/v1.0/users/"+users[1], nil)
	// (Kinds read whole each run, such as units' members, show the deletion
	// at once: lists are not delayed for it.)
	mustExport(t, c, inc, opts)
	shows := func(id, text string) (file bool, has bool) {
		for p, data := range tree(t, inc, "HEAD") {
			if strings.HasPrefix(p, "users/") && strings.Contains(p, strings.ToLower(id)) {
				return true, bytes.Contains(data, []byte(text))
			}
		}
		return false, false
	}
	if _, has := shows(users[0], "Lagging edit"); has {
		t.Error("a run within the lag shows an edit younger than the lag")
	}
	if file, _ := shows(users[1], ""); !file {
		t.Error("a run within the lag shows a deletion younger than the lag")
	}
	settle()
	same("after the lag")

	// An older change and a younger one: the early run commits the older
	// (its delta link moves past it), the next run the younger.
	ch.do("PATCH", "/v1.0/users/"+users[2], map[string]any{"jobTitle": "Older edit"})
	settle()
	ch.do("PATCH", "/v1.0/users/"+users[3], map[string]any{"jobTitle": "Younger edit"})
	for _, u := range users[4:] {
		if !slices.ContainsFunc(sim.Tenant().Links("group", g, "members"), func(m string) bool { return strings.EqualFold(m, u) }) {
			ch.link(g, "members", u)
			break
		}
	}
	mustExport(t, c, inc, opts)
	if _, has := shows(users[3], "Younger edit"); has {
		t.Error("the early run shows a change younger than the lag")
	}
	if _, has := shows(users[2], "Older edit"); !has {
		t.Error("the early run does not show a change older than the lag")
	}
	settle()
	same("the younger change, after the lag")
}

// TestIncrementalExportGrants: service principals' delegated permission
// grants resume from GET /oauth2PermissionGrants/delta (live/grants.go):
// after scripted grant changes (a create with a hostile scope, a scope
// edit, a delete, the client's soft delete then restore, a purge), the
// incremental snapshot holds exactly the files of a full export; a day
// without changes reads the grants with one delta request and no list;
// a grants token Graph no longer knows (410) reads the grants in full,
// said so, while the service principals still resume.
func TestIncrementalExportGrants(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	whenShortOnly(t, "applications", "service-principals") // the grants are service principals'
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 40, Groups: 4, Apps: 8}})
	c := newClient(t, sim, nil, "")
	inc := newRepo(t, false)
	mustExport(t, c, inc, nil)
	st := mustState(t, inc)
	if l := st.Kinds["service-principals"].Children["oauth2PermissionGrants"]; !strings.HasPrefix(l, "/v1.0/oauth2PermissionGrants/delta?") {
		t.Fatalf("no grants deltaLink kept: %+v", st.Kinds["service-principals"])
	}
	ch := &changer{t: t, c: c, sim: sim}
	compare := func(day string) *Result {
		t.Helper()
		sim.ResetStats()
		res := mustExport(t, c, inc, func(o *Options) { o.AllowShrink = true })
		if r := kindResult(res, "service-principals"); !res.Complete() || r.Read != "delta" {
			t.Fatalf("%s: complete %v, service principals read %q (%s)", day, res.Complete(), r.Read, r.Note)
		}
		lists, deltas, _ := grantReads(sim)
		if lists != 0 || deltas < 1 {
			t.Errorf("%s: %d grant lists and %d grant delta requests, want none and at least one", day, lists, deltas)
		}
		full := newRepo(t, true)
		mustExport(t, c, full, nil)
		sameTree(t, day, tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
		return res
	}
	tn := sim.Tenant()
	grants := tn.List("oAuth2PermissionGrant")
	sps := tn.List("servicePrincipal")
	sort.Slice(sps, func(i, j int) bool { return sps[i]["id"].(string) < sps[j]["id"].(string) })
	if len(grants) < 3 || len(sps) < 4 {
		t.Fatalf("%d grants, %d service principals", len(grants), len(sps))
	}
	clientOf := map[string]bool{}
	for _, g := range grants {
		clientOf[g["clientId"].(string)] = true
	}
	var client, other string // a client with grants, a service principal without
	for _, s := range sps {
		id := s["id"].(string)
		if clientOf[id] && client == "" && s["appOwnerOrganizationId"] != "f8cdef31-a31e-4b4a-93e4-5f571e91255a" {
			client = id
		} else if !clientOf[id] && other == "" && s["appOwnerOrganizationId"] != "f8cdef31-a31e-4b4a-93e4-5f571e91255a" {
			other = id
		}
	}
	if client == "" || other == "" {
		t.Fatalf("no client with grants (%q) or without (%q)", client, other)
	}
	resource := grants[0]["resourceId"].(string)

	// Day 1: a create (hostile scope), a scope edit, a delete.
	ch.do("POST", "/v1.0/oauth2PermissionGrants", map[string]any{"clientId": other, "consentType": "AllPrincipals", "resourceId": resource,
		"scope": "User.Read \"quoted\" \u202eevil 🔑 ../x " + strings.Repeat("Long.Scope ", 40)})
	ch.do("PATCH", "/v1.0/oauth2PermissionGrants/"+grants[0]["id"].(string), map[string]any{"scope": "User.Read Mail.Send"})
	ch.do("DELETE", "/v1.0/oauth2PermissionGrants/"+grants[1]["id"].(string), nil)
	compare("day 1")

	// Day 2: a quiet day: one grants delta request.
	sim.ResetStats()
	quiet := mustExport(t, c, inc, nil)
	if lists, deltas, one := grantReads(sim); quiet.Changed || lists != 0 || deltas != 1 || one != 0 {
		t.Errorf("quiet day: changed %v, %d grant lists, %d grant delta requests, %d per service principal", quiet.Changed, lists, deltas, one)
	}

	// Day 3: the client is deleted (its file goes, grants with it); day 4:
	// restored, its grants back though the round does not show them.
	ch.do("DELETE", "/v1.0/servicePrincipals/"+client, nil)
	compare("day 3")
	ch.do("POST", "/v1.0/directory/deletedItems/"+client+"/restore", nil)
	ch.do("PATCH", "/v1.0/oauth2PermissionGrants/"+grants[2]["id"].(string), map[string]any{"scope": "openid"})
	compare("day 4")
	if _, _, one := grantReads(sim); one == 0 {
		t.Errorf("day 4: the restored client's grants were not read on their own")
	}
	// Day 5: purge a client.
	ch.do("DELETE", "/v1.0/servicePrincipals/"+other, nil)
	ch.do("DELETE", "/v1.0/directory/deletedItems/"+other, nil)
	compare("day 5")

	// A grants token Graph does not know: the grants are read in full.
	st = mustState(t, inc)
	ks := st.Kinds["service-principals"]
	ks.Children = map[string]string{"oauth2PermissionGrants": "/v1.0/oauth2PermissionGrants/delta?$deltatoken=bm90LWEtdG9rZW4"}
	st.Kinds["service-principals"] = ks
	commitState(t, inc, st)
	ch.do("PATCH", "/v1.0/oauth2PermissionGrants/"+grants[0]["id"].(string), map[string]any{"scope": "User.Read"})
	res := compare("after 410")
	if r := kindResult(res, "service-principals"); !strings.Contains(r.Note, "oauth2PermissionGrants") || !strings.Contains(r.Note, "410") {
		t.Errorf("after 410: note %q", r.Note)
	}
	fsck(t, inc.Path())
}

// grantReads counts the requests to the grants list, its delta function,
// and the grants of one service principal.
func grantReads(sim *graphsim.Server) (lists, deltas, perParent int) {
	for _, e := range sim.Stats().Endpoints {
		switch {
		case e.Method != "GET":
		case strings.Contains(e.Path, "servicePrincipals") && strings.HasSuffix(e.Path, "oauth2PermissionGrants"):
			perParent += e.Requests
		case strings.HasSuffix(e.Path, "oauth2PermissionGrants"):
			lists += e.Requests
		case strings.HasSuffix(e.Path, "oauth2PermissionGrants/delta"):
			deltas += e.Requests
		}
	}
	return lists, deltas, perParent
}

// TestPIMGroupsWithoutTheAuditLog: PIM for Groups resumes from the
// directory audit log (live/pimgroups.go); when the log cannot be read
// (a page fails; the app lacks AuditLog.Read.All) a later run reads every
// group's schedules, as a full read does, says why, and equals a full
// export; with the log, a run after a change resumes.
func TestPIMGroupsWithoutTheAuditLog(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 40, Groups: 8}})
	srv := newServer(t, sim)
	c := clientFor(t, sim, srv, "")
	var kinds []*layout.Kind
	for _, name := range live.AuditKinds() {
		k, _ := layout.Lookup(name)
		kinds = append(kinds, k)
	}
	only := func(o *Options) { o.Kinds, o.Now, o.AllowShrink = kinds, sim.Clock().Now, true }
	inc := newRepo(t, false)
	mustExport(t, c, inc, only)
	ch := &changer{t: t, c: c, sim: sim}
	var group, user string
	for _, g := range sim.Tenant().List("group") {
		if g["securityEnabled"] == true && g["onPremisesSyncEnabled"] != true && g["membershipRule"] == nil {
			group = g["id"].(string)
			break
		}
	}
	for _, u := range sim.Tenant().List("user") {
		if u["userType"] == "Member" {
			user = u["id"].(string)
			break
		}
	}
	ch.do("POST", "/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests", map[string]any{
		"action": "adminAssign", "accessId": "owner", "groupId": group, "principalId": user})
	sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	check := func(what string, c *graph.Client, want, note string) {
		t.Helper()
		ns := &notes{}
		res := mustExport(t, c, inc, func(o *Options) { only(o); o.Progress = ns })
		for _, k := range live.AuditKinds() {
			r := kindResult(res, k)
			if !r.Complete || r.Read != want || !strings.Contains(r.Note, note) || note != "" && !strings.Contains(strings.Join(ns.got, "\n"), k+": "+r.Note) {
				t.Errorf("%s: %s complete %v, read %q, note %q, progress %q; want %s, %q", what, k, r.Complete, r.Read, r.Note, ns.got, want, note)
			}
		}
		full := newRepo(t, true)
		mustExport(t, c, full, only)
		sameTree(t, what, tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
	}
	check("a page of the log fails", newClient(t, sim, failPaths(sim, "/auditLogs"), ""), "full",
		"full read: the directory audit log cannot be read")
	perms := layout.ExportPermissions(kinds)
	if slices.Contains(perms, live.AuditPermission) {
		t.Fatalf("the kinds' permissions %q hold %s", perms, live.AuditPermission)
	}
	ch.do("POST", "/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests", map[string]any{
		"action": "adminRemove", "accessId": "owner", "groupId": group, "principalId": user})
	sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	noAudit := clientFor(t, sim, srv, limitedToken(t, sim, c, srv.URL, perms...))
	check("without "+live.AuditPermission, noAudit, "full", "grant the app "+live.AuditPermission)
	ch.do("POST", "/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests", map[string]any{
		"action": "adminAssign", "accessId": "member", "groupId": group, "principalId": user})
	sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	check("with the log", c, "delta", "")
}

// TestAuditStateRoundTrip: the PIM for Groups state (auditKinds) survives
// the state file; a bad time is refused naming the kind; a kind this
// version does not read from the audit log is skipped (read in full).
func TestAuditStateRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	s := &State{FullEvery: DefaultFullEvery, Kinds: map[string]KindState{},
		Audit: map[string]AuditKindState{"group-eligibility-schedules": {Files: "abc", LastFull: at}}}
	got, err := DecodeState(s.Encode())
	if err != nil || !reflect.DeepEqual(got.Audit, s.Audit) {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, s.Audit)
	}
	bad := bytes.Replace(s.Encode(), []byte("2026-12-05T20:00:00Z"), []byte("yesterday"), 1)
	if _, err := DecodeState(bad); err == nil || !strings.Contains(err.Error(), "group-eligibility-schedules: lastFullRead") {
		t.Errorf("a bad lastFullRead: %v", err)
	}
	other := bytes.Replace(s.Encode(), []byte("group-eligibility-schedules"), []byte("future-kind"), 1)
	if got, err := DecodeState(other); err != nil || len(got.Audit) != 0 {
		t.Errorf("an unknown audit kind: %+v, %v; want skipped", got, err)
	}
}

// TestFullReadReasonIsOneForBothStates: a delta kind (groups) and an audit
// kind (PIM for Groups) in the same situation are read in full for the same
// reason, worded the same (fullReadReason), and resume in the same
// situation; the reasons only one of them has (the stored delta query; the
// audit log's retention, the snapshot after a restore) stay theirs.
func TestFullReadReasonIsOneForBothStates(t *testing.T) {
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	groups, _ := layout.Lookup("groups")
	pim, _ := layout.Lookup("group-eligibility-schedules")
	complete := &layout.Manifest{Kinds: map[string]layout.ManifestKind{"groups": {Complete: true}, pim.Name: {Complete: true}}}
	state := func(lastFull time.Time, files func(*layout.Kind) string) *State {
		return &State{
			Kinds: map[string]KindState{"groups": {DeltaLink: "/v1.0/groups/delta?$deltatoken=abc", Query: live.DeltaQuery("groups"),
				Files: files(groups), LinkAt: lastFull, LastFull: lastFull}},
			Audit: map[string]AuditKindState{pim.Name: {Files: files(pim), LastFull: lastFull}},
		}
	}
	same := func(k *layout.Kind) string { return fingerprint(k, nil) }
	cases := []struct {
		name     string
		o        Options
		prev     *previous
		st       *State
		stateErr error
		want     string // the reason for both kinds; "" = both resume
	}{
		{"resume", Options{}, &previous{manifest: complete}, state(now.Add(-time.Hour), same), nil, ""},
		{"--full", Options{Full: true}, &previous{manifest: complete}, state(now.Add(-time.Hour), same), nil, "full read: --full"},
		{"unusable state", Options{}, &previous{manifest: complete}, nil, fmt.Errorf("line 3: bad \x1b[31m"), "full read: " + StatePath + " cannot be used (line 3: bad \\x1b[31m)"},
		{"no state", Options{}, &previous{manifest: complete}, &State{}, nil, "full read: no delta state yet"},
		{"files edited", Options{}, &previous{manifest: complete}, state(now.Add(-time.Hour), func(*layout.Kind) string { return "another" }), nil,
			"full read: its files changed since the delta state was made (edited by hand, or by another tool)"},
		{"incomplete before", Options{}, &previous{manifest: &layout.Manifest{Kinds: map[string]layout.ManifestKind{}}}, state(now.Add(-time.Hour), same), nil,
			"full read: the previous snapshot does not hold the kind complete"},
		{"--full-every", Options{FullEvery: 2 * time.Hour}, &previous{manifest: complete}, state(now.Add(-3*time.Hour), same), nil,
			"full read: the last one is 2h0m0s old or more (--full-every 2h0m0s)"},
	}
	for _, c := range cases {
		c.o.Scheduled = true // the audit kind resumes only on a scheduled run (below)
		from, why, err := planDelta(context.Background(), c.o, []*layout.Kind{groups, pim}, c.prev, c.st, c.stateErr, now)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, k := range []string{"groups", pim.Name} {
			_, resumes := from[k]
			if why[k] != c.want || resumes != (c.want == "") {
				t.Errorf("%s: %s: why %q (resumes %v), want %q", c.name, k, why[k], resumes, c.want)
			}
		}
	}

	// Reasons of one kind of state only.
	st := state(now.Add(-time.Hour), same)
	ks := st.Kinds["groups"]
	ks.Query = "/v1.0/groups/delta?$select=id"
	st.Kinds["groups"] = ks
	_, why, _ := planDelta(context.Background(), Options{Scheduled: true}, []*layout.Kind{groups, pim}, &previous{manifest: complete}, st, nil, now)
	if why["groups"] != "full read: entrasnap stores other properties than when the delta state was made" || why[pim.Name] != "" {
		t.Errorf("another delta query: why %q", why)
	}
	// The audit window: a scheduled run's only, never the snapshot after
	// a restore's; otherwise the delta kind resumes without it (its
	// untracked children read for every object) and the audit kind is read
	// in full, saying why.
	lastFull := now.Add(-time.Hour)
	for _, c := range []struct {
		name  string
		o     Options
		since time.Time
		why   string
	}{
		{"not scheduled", Options{}, time.Time{}, "full read: not a scheduled run (--scheduled reads again only the groups the directory audit log names)"},
		{"scheduled", Options{Scheduled: true}, lastFull, ""},
		{"after a restore", Options{postRestore: true}, time.Time{}, "full read: the snapshot after a restore"},
		{"after a restore, scheduled", Options{postRestore: true, Scheduled: true}, time.Time{}, "full read: the snapshot after a restore"},
	} {
		from, why, _ := planDelta(context.Background(), c.o, []*layout.Kind{groups, pim}, &previous{manifest: complete}, state(lastFull, same), nil, now)
		if f, ok := from["groups"]; !ok || !f.Since.Equal(c.since) || why["groups"] != "" || why[pim.Name] != c.why {
			t.Errorf("%s: groups resume %v since %v (want %v), why %q; want %s %q", c.name, ok, f.Since, c.since, why, pim.Name, c.why)
		}
	}
	_, why, _ = planDelta(context.Background(), Options{FullEvery: 30 * 24 * time.Hour, Scheduled: true}, []*layout.Kind{groups, pim}, &previous{manifest: complete}, state(now.Add(-7*24*time.Hour), same), nil, now)
	if why["groups"] != "" || !strings.Contains(why[pim.Name], "older than the directory audit log keeps its records") {
		t.Errorf("past the audit log's retention: why %q", why)
	}
}

// TestPIMGroupsConvergeUnderReplicationLag: PIM for Groups resumes from the
// directory audit log (live/pimgroups.go) while Graph's replicas lag
// (graphsim EventualConsistency: a schedule PIM made stays out of the
// schedules list, and the membership it gave out of the groups' delta
// round, for the lag; the audit record appears after graphsim's audit lag,
// sooner). Two gaps are checked, each ending byte-identical to a full
// export once the lag has passed:
//   - a daily run after the record appeared but before the schedule
//     replicated reads the group again and sees nothing yet: the next run
//     (its window still starts at the last full read) reads it again;
//   - a full read (--full, or the weekly one) made a while after the
//     change but within the lag does not see the schedule, and its time
//     becomes the start of the later runs' window: the window must reach
//     back far enough (live.ReplicationMargin) to hold the record.
func TestPIMGroupsConvergeUnderReplicationLag(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	const lag = 40 * time.Minute
	sim := newSim(t, graphsim.Options{EventualConsistency: lag, Sizes: graphsim.Sizes{Users: 40, Groups: 8, MembersPerGroup: 5}})
	c := newClient(t, sim, nil, "")
	kinds := simtest.Kinds(t, append([]string{"groups"}, live.AuditKinds()...)...)
	opts := func(o *Options) { o.Kinds, o.Now, o.AllowShrink = kinds, sim.Clock().Now, true }
	settle := func() { sim.Clock().Advance(lag + time.Second) }
	settle()
	inc := newRepo(t, false)
	mustExport(t, c, inc, opts)
	ch := &changer{t: t, c: c, sim: sim}
	var governed []string
	for _, g := range sim.Tenant().List("group") {
		if g["securityEnabled"] == true && g["onPremisesSyncEnabled"] != true && g["membershipRule"] == nil {
			governed = append(governed, g["id"].(string))
		}
	}
	sort.Strings(governed)
	var users []string
	for _, u := range sim.Tenant().List("user") {
		if u["userType"] == "Member" {
			users = append(users, u["id"].(string))
		}
	}
	sort.Strings(users)
	if len(governed) < 3 || len(users) < 3 {
		t.Fatalf("tenant too small: %d governed groups, %d users", len(governed), len(users))
	}
	member := func(g string) string { // a user who is neither member nor owner of g
		for _, u := range users {
			if !slices.ContainsFunc(append(sim.Tenant().Links("group", g, "members"), sim.Tenant().Links("group", g, "owners")...),
				func(m string) bool { return strings.EqualFold(m, u) }) {
				return u
			}
		}
		t.Fatalf("no user outside group %s", g)
		return ""
	}
	pim := func(list, group, principal string) {
		ch.do("POST", "/v1.0/identityGovernance/privilegedAccess/group/"+list+"ScheduleRequests", map[string]any{
			"action": "adminAssign", "accessId": "member", "groupId": group, "principalId": principal, "justification": hostile(30)})
	}
	shows := func(r *snapshot.Repo, group, principal string) bool { return pimShows(t, r, group, principal) }
	run := completeExports(t, c, inc, opts)
	same := func(what string) {
		t.Helper()
		res := run(what, nil)
		for _, k := range live.AuditKinds() {
			if r := kindResult(res, k); r.Read != "delta" {
				t.Errorf("%s: %s read %q (%s), want delta", what, k, r.Read, r.Note)
			}
		}
		full := newRepo(t, true)
		mustExport(t, c, full, opts)
		sameTree(t, what, tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
	}

	// 1. A daily run between the record and the replica. (Not under
	// -short, which keeps the gap the margin closes, below, within CI's
	// race-phase budget.)
	if !testing.Short() {
		g1, u1 := governed[len(governed)-1], member(governed[len(governed)-1])
		pim("assignment", g1, u1)
		sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
		run("a run within the lag", nil)
		if shows(inc, g1, u1) {
			t.Error("a run within the lag shows a schedule graphsim has not replicated yet")
		}
		settle()
		same("the run after the lag")
		if !shows(inc, g1, u1) {
			t.Error("the run after the lag does not show the schedule")
		}
	}

	// 2. A full read within the lag, a while after the change.
	g2, u2 := governed[len(governed)-2], member(governed[len(governed)-2])
	pim("eligibility", g2, u2)
	pim("assignment", g2, member(g2))
	sim.Clock().Advance(lag / 2) // past the audit lag, within the replication lag
	if res := run("a full read within the lag", func(o *Options) { o.Full = true }); kindResult(res, "group-eligibility-schedules").Read != "full" {
		t.Fatalf("--full: PIM read %q", kindResult(res, "group-eligibility-schedules").Read)
	}
	if shows(inc, g2, u2) {
		t.Error("a full read within the lag shows a schedule graphsim has not replicated yet")
	}
	settle()
	same("the run after a full read within the lag")
	if !shows(inc, g2, u2) {
		t.Error("the run after a full read within the lag does not show the schedule made before it")
	}
}

// TestPIMGroupsReadsAGroupCreatedSinceBeforeItsRecord: a later run of PIM
// for Groups reads again a group created since the last full read (less
// live.AuditMargin) even before the audit log shows the schedule PIM made
// on it; a group created before the windows (no record since the last full
// read less live.ReplicationMargin names it), whose new schedule's record
// has not appeared yet, is kept as it was until the record appears (the
// run after graphsim's audit lag), when the snapshot equals a full export.
func TestPIMGroupsReadsAGroupCreatedSinceBeforeItsRecord(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 20, Groups: 4, MembersPerGroup: 3}})
	c := newClient(t, sim, nil, "")
	kinds := simtest.Kinds(t, live.AuditKinds()...)
	opts := func(o *Options) { o.Kinds, o.Now, o.AllowShrink = kinds, sim.Clock().Now, true }
	ch := &changer{t: t, c: c, sim: sim}
	group := func(n int) string {
		return ch.do("POST", "/v1.0/groups", map[string]any{"displayName": hostile(40 + n), "mailEnabled": false,
			"mailNickname": fmt.Sprintf("pimnew%d", n), "securityEnabled": true, "groupTypes": []any{}})["id"].(string)
	}
	var users []string
	for _, u := range sim.Tenant().List("user") {
		if u["userType"] == "Member" {
			users = append(users, u["id"].(string))
		}
	}
	sort.Strings(users)
	// The first governed group is read again every run (live/pimgroups.go):
	// the older group must not be it.
	older, other := group(1), group(3)
	var governed []string
	for _, g := range sim.Tenant().List("group") {
		if g["securityEnabled"] == true && g["onPremisesSyncEnabled"] != true && g["membershipRule"] == nil {
			governed = append(governed, g["id"].(string))
		}
	}
	sort.Strings(governed)
	if strings.EqualFold(governed[0], older) {
		older = other
	}
	// Before both windows: the records' (live.ReplicationMargin, which
	// would hold its creation's record) and the creations' (AuditMargin).
	sim.Clock().Advance(live.ReplicationMargin + 5*time.Minute)
	inc := newRepo(t, false)
	mustExport(t, c, inc, opts)
	sim.Clock().Advance(time.Hour)
	newer := group(2)
	for _, g := range []string{older, newer} {
		ch.do("POST", "/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests", map[string]any{
			"action": "adminAssign", "accessId": "member", "groupId": g, "principalId": users[0]})
	}
	shows := func(group string) bool {
		for p, data := range tree(t, inc, "HEAD") {
			if strings.HasPrefix(p, "pim-groups/eligibility/") && bytes.Contains(data, []byte(strings.ToLower(group))) {
				return true
			}
		}
		return false
	}
	res := mustExport(t, c, inc, opts)
	if r := kindResult(res, "group-eligibility-schedules"); r.Read != "delta" || !res.Complete() {
		t.Fatalf("run before the records: read %q (%s), complete %v", r.Read, r.Note, res.Complete())
	}
	if !shows(newer) {
		t.Error("a group created since the last full read: its schedule is not read before its record appears")
	}
	if shows(older) {
		t.Error("a group created before the windows: read again with no record since naming it")
	}
	sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	mustExport(t, c, inc, opts)
	full := newRepo(t, true)
	mustExport(t, c, full, opts)
	sameTree(t, "after the audit lag", tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
	if !shows(older) {
		t.Error("after the audit lag: the older group's schedule is not read")
	}
}
