package graphsim

import (
	"bytes"
	"encoding/json"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestLinksHoldAMembershipInFourBytes: a group membership costs the 4
// bytes of its index (links.go), not a string header and append slack
// (about 35 bytes each before: 10M memberships at 1.2M users). Counts, not
// time: the live heap of two tenants that differ only in their groups'
// sizes, per membership more.
func TestLinksHoldAMembershipInFourBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two 4,000-user tenants")
	}
	// Both tenants stay alive; a first small one makes what the package
	// makes once (lazy regexps, tables), so that neither pays for it.
	var kept []*Server
	measure := func(users, mpg int) (heap uint64, members int) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := genServer(t, Options{Profile: "large", Seed: 5, Sizes: Sizes{Users: users, Groups: users / 5, MembersPerGroup: mpg, Apps: 4, CAPolicies: 2}})
		runtime.GC()
		runtime.ReadMemStats(&after)
		for _, r := range s.Tenant().colls["group"].order {
			members += r.links.list("members").len() + r.links.list("owners").len()
		}
		kept = append(kept, s)
		return after.HeapAlloc - before.HeapAlloc, members
	}
	measure(100, 5)
	h1, m1 := measure(4000, 5)
	h2, m2 := measure(4000, 200)
	runtime.KeepAlive(kept)
	per := float64(int64(h2)-int64(h1)) / float64(m2-m1)
	t.Logf("%d → %d memberships: %.1f heap bytes each", m1, m2, per)
	if m2-m1 < 50000 {
		t.Fatalf("%d more memberships: the test measures nothing", m2-m1)
	}
	if per > 8 {
		t.Errorf("a membership holds %.1f heap bytes, want at most 8 (a 4-byte index and append slack)", per)
	}
}

// TestLinksKeepTheIDsTheyWereGiven: links hold ids as given, whatever they
// are (a saved tenant's links may hold anything): members lists, $count,
// $expand, delta's members@delta, removals, a member's soft delete and
// restore, and Save, answer with the same bytes.
func TestLinksKeepTheIDsTheyWereGiven(t *testing.T) {
	s := genServer(t, Options{Profile: "large", Seed: 9, Sizes: Sizes{Users: 60, Groups: 6, Apps: 2, CAPolicies: 1}})
	tn := s.Tenant()
	var gid, uid []string
	for _, g := range tn.List("group") {
		if len(asSlice(g["groupTypes"])) == 0 {
			gid = append(gid, str(g["id"]))
		}
	}
	for _, u := range tn.List("user") {
		uid = append(uid, str(u["id"]))
	}
	g := gid[0]
	hostile := []string{"", "\u202e\x00\x1b[31m", strings.Repeat("x", 70000), "NOT-A-GUID", strings.ToUpper(uid[1]), uid[1], "日本"}
	want := tn.Links("group", g, "members")
	for _, h := range hostile {
		if err := tn.SeedLink("group", g, "members", h); err != nil {
			t.Fatal(err)
		}
		want = append(want, h)
	}
	if got := tn.Links("group", g, "members"); !slices.Equal(got, want) {
		t.Fatalf("links %q, want %q", got, want)
	}
	// Saved and loaded, the links are the same, byte for byte.
	var a, b bytes.Buffer
	if err := tn.Save(&a); err != nil {
		t.Fatal(err)
	}
	loaded, err := load(bytes.NewReader(a.Bytes()), tn.clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Save(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("a tenant with hostile link ids saves differently once loaded")
	}
	if got := loaded.Links("group", g, "members"); !slices.Equal(got, want) {
		t.Fatalf("loaded links %q, want %q", got, want)
	}

	// The API: members skip ids that are no object; $count counts objects.
	code, body := genDo(t, s, "GET", "/v1.0/groups/"+g+"/members?$select=id", nil)
	var list map[string]any
	_ = json.Unmarshal(body, &list)
	var ids []string
	for _, m := range asSlice(list["value"]) {
		ids = append(ids, str(m.(map[string]any)["id"]))
	}
	var live []string
	for _, id := range want {
		if tn.dirObject(id) != nil {
			live = append(live, str(tn.dirObject(id).key()))
		}
	}
	if code != 200 || !slices.Equal(ids, live) {
		t.Fatalf("members %d %q, want %q", code, ids, live)
	}
	// Remove one spelling of uid[1] (the first, any case), soft delete
	// and restore another member: the list follows.
	if code, body := genDo(t, s, "DELETE", "/v1.0/groups/"+g+"/members/"+uid[1]+"/$ref", nil); code != 204 {
		t.Fatalf("DELETE member: %d %s", code, body)
	}
	i := indexFold(want, uid[1])
	want = append(want[:i:i], want[i+1:]...)
	if got := tn.Links("group", g, "members"); !slices.Equal(got, want) {
		t.Fatalf("after removal: links %q, want %q", got, want)
	}
	victim := want[0]
	if code, body := genDo(t, s, "DELETE", "/v1.0/users/"+victim, nil); code != 204 {
		t.Fatalf("DELETE user: %d %s", code, body)
	}
	if code, body := genDo(t, s, "POST", "/v1.0/directory/deletedItems/"+victim+"/restore", nil); code != 200 {
		t.Fatalf("restore: %d %s", code, body)
	}
	code, body = genDo(t, s, "GET", "/v1.0/groups?$expand=members&$select=id&$filter="+url.QueryEscape("id eq '"+g+"'"), nil)
	if code != 200 || !bytes.Contains(body, []byte(victim)) {
		t.Fatalf("$expand after restore of %s: %d %s", victim, code, body)
	}
	code, body = genDo(t, s, "GET", "/v1.0/groups/delta?$select=members&$filter="+url.QueryEscape("id eq '"+g+"'"), nil)
	if code != 200 || !bytes.Contains(body, []byte("members@delta")) {
		t.Fatalf("delta: %d %.300s", code, body)
	}
}

// TestExportReadsLeaveRecordsPacked: what an export reads of a large
// tenant's users and groups leaves them packed (compact.go): a read that
// unpacks (record.o) keeps a map per object for good, and at 1.2M users
// PIMGovernableGroups alone unpacked every group (the bench asks it; a
// heap profile of the bench serving a 300k-user export found it).
func TestExportReadsLeaveRecordsPacked(t *testing.T) {
	s := genServer(t, Options{Profile: "large", Seed: 21, Sizes: Sizes{Users: 600, Groups: 120, Apps: 4, CAPolicies: 2}})
	tn := s.Tenant()
	packed := func() (n int) {
		for _, kind := range []string{"user", "group"} {
			for _, r := range tn.colls[kind].order {
				if !r.gone && r.packed.Load() != nil {
					n++
				}
			}
		}
		return n
	}
	before := packed()
	if before < 600 {
		t.Fatalf("%d packed records: the test tests nothing", before)
	}
	readAll := func(path string) {
		t.Helper()
		for pages := 0; path != "" && pages < 1000; pages++ {
			code, body := genDo(t, s, "GET", path, nil)
			if code != 200 {
				t.Fatalf("GET %s: %d %.300s", path, code, body)
			}
			var page map[string]any
			_ = json.Unmarshal(body, &page)
			path = strings.TrimPrefix(str(page["@odata.nextLink"]), "http://graph.test")
		}
	}
	readAll("/v1.0/users?$top=999")
	readAll("/beta/users?$top=999&$select=id,displayName,signInActivity,customSecurityAttributes")
	readAll("/v1.0/users/delta?$top=999")
	readAll("/v1.0/groups?$top=999")
	readAll("/v1.0/groups/delta?$select=displayName,groupTypes,membershipRule,members,owners&$top=999")
	readAll("/v1.0/directory/deletedItems/microsoft.graph.user")
	tn.PIMGovernableGroups()
	for i, g := range tn.List("group") {
		id := str(g["id"])
		readAll("/v1.0/groups/" + id + "/members?$top=999")
		readAll("/v1.0/groups/" + id + "/owners?$top=999")
		for _, sched := range []string{"eligibilitySchedules", "assignmentSchedules"} {
			readAll("/v1.0/identityGovernance/privilegedAccess/group/" + sched + "?$filter=" + url.QueryEscape("groupId eq '"+id+"'"))
		}
		if i > 40 {
			break
		}
	}
	if after := packed(); after != before {
		t.Errorf("the reads unpacked %d of %d packed users and groups", before-after, before)
	}
}
