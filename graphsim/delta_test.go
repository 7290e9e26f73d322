package graphsim

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// dlEnv is a graphsim server over HTTP for the delta and $batch tests.
type dlEnv struct {
	t  *testing.T
	s  *Server
	ts *httptest.Server
}

type dlResp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func newDLEnv(t *testing.T) *dlEnv {
	t.Helper()
	s, err := New(Options{Seed: 1, Now: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return newDLEnvFor(t, s)
}

// newDLEnvFor serves s over HTTP, with its initial domain seeded.
func newDLEnvFor(t *testing.T, s *Server) *dlEnv {
	t.Helper()
	if _, ok := s.Tenant().Get("domain", s.Tenant().Domain()); !ok {
		if _, err := s.Tenant().Seed("domain", map[string]any{"id": s.Tenant().Domain(), "isVerified": true, "isDefault": true, "isInitial": true}); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &dlEnv{t: t, s: s, ts: ts}
}

// do sends a request; target is a path under the server or an absolute URL
// (nextLink, deltaLink, Location). hdr is name, value pairs.
func (e *dlEnv) do(method, target, body string, hdr ...string) dlResp {
	e.t.Helper()
	if !strings.HasPrefix(target, "http") {
		target = e.ts.URL + target
	}
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.s.Token())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := dlResp{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") && len(b) > 0 {
		if err := json.Unmarshal(b, &r.body); err != nil {
			e.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, target, err, b)
		}
	}
	return r
}

func (r dlResp) must(t *testing.T, status int) dlResp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.raw)
	}
	return r
}

func (r dlResp) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	return str(e["code"])
}

func (r dlResp) items() []map[string]any {
	var out []map[string]any
	for _, v := range asSlice(r.body["value"]) {
		out = append(out, v.(map[string]any))
	}
	return out
}

// seedUsers stores n users and returns their ids in creation order.
func (e *dlEnv) seedUsers(prefix string, n int) []string {
	e.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		nick := fmt.Sprintf("%s%03d", prefix, i)
		id, err := e.s.Tenant().Seed("user", map[string]any{
			"displayName": "User " + nick, "mailNickname": nick, "accountEnabled": true,
			"userPrincipalName": nick + "@" + e.s.Tenant().Domain(), "jobTitle": "Engineer",
			"businessPhones": []any{}, "userType": "Member",
		})
		if err != nil {
			e.t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

func (e *dlEnv) seedGroup(nick string, members ...string) string {
	e.t.Helper()
	id, err := e.s.Tenant().Seed("group", map[string]any{
		"displayName": "Group " + nick, "mailNickname": nick, "mailEnabled": false, "securityEnabled": true,
		"groupTypes": []any{},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range members {
		if err := e.s.Tenant().SeedLink("group", id, "members", m); err != nil {
			e.t.Fatal(err)
		}
	}
	return id
}

// dlRound follows nextLinks from start until a deltaLink and returns every
// item, the page count and the deltaLink. It checks that each page carries
// exactly one of nextLink and deltaLink, and an @odata.context.
func (e *dlEnv) dlRound(start string, hdr ...string) (items []map[string]any, pages int, deltaLink string) {
	e.t.Helper()
	link := start
	for pages = 1; ; pages++ {
		if pages > 50 {
			e.t.Fatalf("more than 50 pages from %s", start)
		}
		r := e.do("GET", link, "", hdr...).must(e.t, 200)
		if str(r.body["@odata.context"]) == "" {
			e.t.Errorf("page %d has no @odata.context: %s", pages, r.raw)
		}
		next, delta := str(r.body["@odata.nextLink"]), str(r.body["@odata.deltaLink"])
		if (next == "") == (delta == "") {
			e.t.Fatalf("page %d: want exactly one of nextLink %q and deltaLink %q", pages, next, delta)
		}
		items = append(items, r.items()...)
		if delta != "" {
			if !strings.Contains(delta, "$deltatoken=") {
				e.t.Errorf("deltaLink %q has no $deltatoken", delta)
			}
			return items, pages, delta
		}
		if !strings.Contains(next, "$skiptoken=") {
			e.t.Errorf("nextLink %q has no $skiptoken", next)
		}
		link = next
	}
}

func dlByID(items []map[string]any) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, it := range items {
		m[str(it["id"])] = it
	}
	return m
}

func dlKeys(m map[string]any) []string {
	ks := sortedKeys(m)
	sort.Strings(ks)
	return ks
}

func TestDeltaUsersInitialRoundPagesAndLaterChanges(t *testing.T) {
	e := newDLEnv(t)
	ids := e.seedUsers("u", 250)
	restored := ids[249]
	e.do("DELETE", "/v1.0/users/"+restored, "").must(t, 204) // in the bin before the round starts

	items, pages, deltaLink := e.dlRound("/v1.0/users/delta?$select=displayName,jobTitle")
	want := e.s.Tenant().Count("user")
	if len(items) != want || want < 249 {
		t.Fatalf("initial round returned %d users, want %d (every live user)", len(items), want)
	}
	if wantPages := (want + 99) / 100; pages != wantPages {
		t.Errorf("initial round took %d pages, want %d of at most 100", pages, wantPages)
	}
	seen := dlByID(items)
	if len(seen) != len(items) {
		t.Errorf("initial round repeated objects: %d items, %d distinct ids", len(items), len(seen))
	}
	if _, ok := seen[restored]; ok {
		t.Errorf("soft-deleted user %s appears in the initial round", restored)
	}
	if got := dlKeys(seen[ids[0]]); !reflect.DeepEqual(got, []string{"displayName", "id", "jobTitle"}) {
		t.Errorf("$select=displayName,jobTitle: item keys %v, want [displayName id jobTitle]", got)
	}

	// Changes between the rounds.
	patched, unselected, softDel, purged := ids[0], ids[1], ids[2], ids[3]
	e.do("PATCH", "/v1.0/users/"+patched, `{"jobTitle":"Director"}`).must(t, 204)
	e.do("PATCH", "/v1.0/users/"+unselected, `{"department":"Sales"}`).must(t, 204) // not tracked by $select
	e.do("DELETE", "/v1.0/users/"+softDel, "").must(t, 204)
	e.do("DELETE", "/v1.0/users/"+purged, "").must(t, 204)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+purged, "").must(t, 204)
	created := str(e.do("POST", "/v1.0/users", `{"accountEnabled":true,"displayName":"New Hire","mailNickname":"newhire",
		"userPrincipalName":"newhire@`+e.s.Tenant().Domain()+`","passwordProfile":{"password":"Xx1!xxxxxxxx"},"jobTitle":"Intern"}`).must(t, 201).body["id"])
	e.do("POST", "/v1.0/directory/deletedItems/"+restored+"/restore", "").must(t, 200)

	wantRound := map[string]map[string]any{
		patched:  {"id": patched, "displayName": "User u000", "jobTitle": "Director"},
		softDel:  {"id": softDel, "@removed": map[string]any{"reason": "changed"}},
		purged:   {"id": purged, "@removed": map[string]any{"reason": "deleted"}},
		created:  {"id": created, "displayName": "New Hire", "jobTitle": "Intern"},
		restored: {"id": restored, "displayName": "User u249", "jobTitle": "Engineer"},
	}
	wantMinimal := map[string]map[string]any{}
	for k, v := range wantRound {
		wantMinimal[k] = v
	}
	wantMinimal[patched] = map[string]any{"id": patched, "jobTitle": "Director"}

	tests := []struct {
		name string
		hdr  []string
		want map[string]map[string]any
	}{
		{"default: selected properties of changed objects", nil, wantRound},
		{"Prefer return=minimal: only changed properties", []string{"Prefer", "return=minimal"}, wantMinimal},
	}
	var nextLink string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, dl := e.dlRound(deltaLink, tc.hdr...)
			nextLink = dl
			if len(got) != len(tc.want) {
				t.Errorf("round returned %d objects, want %d: %v", len(got), len(tc.want), got)
			}
			gotBy := dlByID(got)
			for id, w := range tc.want {
				if !reflect.DeepEqual(gotBy[id], w) {
					t.Errorf("object %s:\n got %v\nwant %v", id, gotBy[id], w)
				}
			}
			if _, ok := gotBy[unselected]; ok {
				t.Errorf("user %s changed only an unselected property but was reported", unselected)
			}
		})
	}

	// A round with no changes: empty value and a fresh deltaLink.
	r := e.do("GET", nextLink, "").must(t, 200)
	if len(r.items()) != 0 || str(r.body["@odata.deltaLink"]) == "" || r.body["@odata.nextLink"] != nil {
		t.Errorf("no-change round: want value [] and only a deltaLink, got %s", r.raw)
	}
}

func TestDeltaUsersDefaultPropertiesAndMaxPageSize(t *testing.T) {
	e := newDLEnv(t)
	e.seedUsers("p", 12)
	items, pages, _ := e.dlRound("/v1.0/users/delta?$top=2", "Prefer", "odata.maxpagesize=5")
	n := e.s.Tenant().Count("user")
	if len(items) != n {
		t.Errorf("got %d users, want %d", len(items), n)
	}
	if want := (n + 4) / 5; pages != want {
		t.Errorf("Prefer: odata.maxpagesize=5 gave %d pages for %d users, want %d ($top is ignored on delta)", pages, n, want)
	}
	it := items[0]
	for _, p := range []string{"id", "displayName", "userPrincipalName", "jobTitle"} {
		if _, ok := it[p]; !ok {
			t.Errorf("default delta item lacks %s: %v", p, it)
		}
	}
	if _, ok := it["accountEnabled"]; ok {
		t.Errorf("default delta item has accountEnabled, which is outside the default property set: %v", it)
	}
}

func TestDeltaGroupMembers(t *testing.T) {
	e := newDLEnv(t)
	u := e.seedUsers("m", 4)
	g := e.seedGroup("team", u[0], u[1])
	other := e.seedGroup("other", u[0])

	tests := []struct {
		name  string
		start string
	}{
		{"$select=displayName,members", "/v1.0/groups/delta?$select=displayName,members"},
		{"no $select tracks members by default", "/v1.0/groups/delta"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, _, _ := e.dlRound(tc.start)
			got := dlByID(items)[g]
			want := []any{
				map[string]any{"@odata.type": "#microsoft.graph.user", "id": u[0]},
				map[string]any{"@odata.type": "#microsoft.graph.user", "id": u[1]},
			}
			if !reflect.DeepEqual(got["members@delta"], want) {
				t.Errorf("initial members@delta of %s:\n got %v\nwant %v", g, got["members@delta"], want)
			}
		})
	}

	_, _, deltaLink := e.dlRound("/v1.0/groups/delta?$select=displayName,members")
	e.do("POST", "/v1.0/groups/"+g+"/members/$ref", `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+u[2]+`"}`).must(t, 204)
	e.do("DELETE", "/v1.0/groups/"+g+"/members/"+u[0]+"/$ref", "").must(t, 204)

	items, _, deltaLink := e.dlRound(deltaLink, "Prefer", "return=minimal")
	if len(items) != 1 {
		t.Fatalf("membership round: got %d groups, want only %s: %v", len(items), g, items)
	}
	want := map[string]any{"id": g, "members@delta": []any{
		map[string]any{"@odata.type": "#microsoft.graph.user", "id": u[2]},
		map[string]any{"@odata.type": "#microsoft.graph.user", "id": u[0], "@removed": map[string]any{"reason": "deleted"}},
	}}
	if !reflect.DeepEqual(items[0], want) {
		t.Errorf("membership round:\n got %v\nwant %v", items[0], want)
	}

	// Deleting a member takes it out of every group that lists it.
	e.do("DELETE", "/v1.0/users/"+u[1], "").must(t, 204)
	items, _, _ = e.dlRound(deltaLink)
	got := dlByID(items)
	if len(got) != 1 {
		t.Fatalf("member-deleted round: got %v, want only group %s (group %s does not list %s)", items, g, other, u[1])
	}
	wantRefs := []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": u[1], "@removed": map[string]any{"reason": "deleted"}}}
	if !reflect.DeepEqual(got[g]["members@delta"], wantRefs) || got[g]["displayName"] != "Group team" {
		t.Errorf("member-deleted round: got %v, want displayName and members@delta %v", got[g], wantRefs)
	}
}

func TestDeltaLatestAndFilter(t *testing.T) {
	e := newDLEnv(t)
	ids := e.seedUsers("l", 5)

	r := e.do("GET", "/v1.0/users/delta?$deltatoken=latest&$select=displayName", "").must(t, 200)
	if len(r.items()) != 0 || str(r.body["@odata.deltaLink"]) == "" || r.body["@odata.nextLink"] != nil {
		t.Fatalf("$deltatoken=latest: want no data and a deltaLink, got %s", r.raw)
	}
	e.do("PATCH", "/v1.0/users/"+ids[3], `{"displayName":"Renamed"}`).must(t, 204)
	items, _, _ := e.dlRound(str(r.body["@odata.deltaLink"]))
	if want := []map[string]any{{"id": ids[3], "displayName": "Renamed"}}; !reflect.DeepEqual(items, want) {
		t.Errorf("round after latest:\n got %v\nwant %v", items, want)
	}

	f := url.QueryEscape(fmt.Sprintf("id eq '%s' or id eq '%s'", ids[1], ids[4]))
	items, _, dl := e.dlRound("/v1.0/users/delta?$select=displayName&$filter=" + f)
	var got []string
	for _, it := range items {
		got = append(got, str(it["id"]))
	}
	sort.Strings(got)
	want := []string{ids[1], ids[4]}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("$filter by id: got %v, want %v", got, want)
	}
	e.do("PATCH", "/v1.0/users/"+ids[0], `{"displayName":"Outside"}`).must(t, 204)
	e.do("PATCH", "/v1.0/users/"+ids[4], `{"displayName":"Inside"}`).must(t, 204)
	items, _, _ = e.dlRound(dl)
	if want := []map[string]any{{"id": ids[4], "displayName": "Inside"}}; !reflect.DeepEqual(items, want) {
		t.Errorf("filtered later round:\n got %v\nwant %v", items, want)
	}

	bad := e.do("GET", "/v1.0/users/delta?$filter="+url.QueryEscape("displayName eq 'x'"), "").must(t, 400)
	if bad.errCode() != "Request_UnsupportedQuery" {
		t.Errorf("filter on displayName: code %q, want Request_UnsupportedQuery", bad.errCode())
	}
}

func TestDeltaTokenExpiryAndGarbage(t *testing.T) {
	e := newDLEnv(t)
	e.seedUsers("x", 3)
	_, _, deltaLink := e.dlRound("/v1.0/users/delta?$select=displayName")

	tests := []struct {
		name     string
		link     func() string
		advance  time.Duration
		wantCode string
	}{
		{"garbage token", func() string { return e.ts.URL + "/v1.0/users/delta?$deltatoken=not-a-token" }, 0, "resyncRequired"},
		{"token of another collection", func() string { return strings.Replace(deltaLink, "/users/", "/groups/", 1) }, 0, "resyncRequired"},
		{"6 days old is still valid", func() string { return deltaLink }, 6 * 24 * time.Hour, ""},
		{"8 days old has expired", func() string { return deltaLink }, 2 * 24 * time.Hour, "syncStateNotFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.s.Clock().Advance(tc.advance)
			r := e.do("GET", tc.link(), "")
			if tc.wantCode == "" {
				r.must(t, 200)
				return
			}
			r.must(t, http.StatusGone)
			if r.errCode() != tc.wantCode {
				t.Errorf("error code %q, want %q", r.errCode(), tc.wantCode)
			}
			loc := r.header.Get("Location")
			u, err := url.Parse(loc)
			if err != nil || !strings.HasSuffix(u.Path, "/delta") {
				t.Fatalf("Location %q is not a delta URL", loc)
			}
			if v, ok := u.Query()["$deltatoken"]; !ok || v[0] != "" {
				t.Errorf("Location %q: want an empty $deltatoken", loc)
			}
			// Following Location starts a full resync.
			items, _, _ := e.dlRound(loc)
			if len(items) != e.s.Tenant().Count(dlKindOfPath(u.Path)) {
				t.Errorf("resync from Location returned %d objects, want every live one", len(items))
			}
		})
	}
}

func dlKindOfPath(p string) string {
	if strings.Contains(p, "/groups/") {
		return "group"
	}
	return "user"
}

func TestDeltaOtherCollections(t *testing.T) {
	e := newDLEnv(t)
	tn := e.s.Tenant()
	app, _ := tn.Seed("application", map[string]any{"displayName": "App", "appId": "11111111-1111-4111-8111-111111111111"})
	sp, _ := tn.Seed("servicePrincipal", map[string]any{"displayName": "App", "appId": "11111111-1111-4111-8111-111111111111"})
	au, _ := tn.Seed("administrativeUnit", map[string]any{"displayName": "Region"})
	tests := []struct {
		path, id, kind string
	}{
		{"/v1.0/applications/delta", app, "application"},
		{"/v1.0/servicePrincipals/delta", sp, "servicePrincipal"},
		{"/beta/administrativeUnits/delta", au, "administrativeUnit"}, // beta only (versions.go)
		{"/v1.0/directory/administrativeUnits/delta", au, "administrativeUnit"},
		{"/beta/applications/delta", app, "application"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			items, _, dl := e.dlRound(tc.path)
			if len(items) != tn.Count(tc.kind) || dlByID(items)[tc.id] == nil {
				t.Errorf("%s: got %v, want every %s including %s", tc.path, items, tc.kind, tc.id)
			}
			if !strings.HasPrefix(dl, e.ts.URL+tc.path+"?") {
				t.Errorf("deltaLink %q does not continue %s", dl, tc.path)
			}
		})
	}
	e.do("PATCH", "/v1.0/applications/"+app, `{"displayName":"App 2"}`).must(t, 204)
	_, _, dl := e.dlRound("/v1.0/applications/delta?$deltatoken=latest")
	e.do("PATCH", "/v1.0/applications/"+app, `{"displayName":"App 3"}`).must(t, 204)
	items, _, _ := e.dlRound(dl, "Prefer", "return=minimal")
	if want := []map[string]any{{"id": app, "displayName": "App 3"}}; !reflect.DeepEqual(items, want) {
		t.Errorf("applications later round:\n got %v\nwant %v", items, want)
	}
}

func TestDeltaRejectsUnsupportedOptions(t *testing.T) {
	e := newDLEnv(t)
	tests := []struct{ query string }{
		{"$expand=manager"},
		{"$orderby=displayName"},
		{"$skiptoken=abc&$select=displayName"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			e.do("GET", "/v1.0/users/delta?"+tc.query, "").must(t, 400)
		})
	}
	e.do("POST", "/v1.0/users/delta", "{}").must(t, 405)
}

// TestDeltaLargeGroupRepeatsWithSlices: an initial round sends a group with
// more than deltaRefsPerItem members as several items, each with id and a
// different slice of members@delta, across page boundaries; only the first
// carries the properties. The slices together are the members.
func TestDeltaLargeGroupRepeatsWithSlices(t *testing.T) {
	e := newDLEnv(t)
	users := e.seedUsers("slice", 2*deltaRefsPerItem+5)
	big := e.seedGroup("big", users...)
	small := e.seedGroup("small", users[:3]...)
	items, pages, _ := e.dlRound("/v1.0/groups/delta?$select=displayName,members", "Prefer", "odata.maxpagesize=2")
	if pages < 2 {
		t.Fatalf("pages = %d, want the big group across pages", pages)
	}
	var parts []map[string]any
	got := map[string]bool{}
	for _, it := range items {
		if str(it["id"]) == small {
			if n := len(asSlice(it["members@delta"])); n != 3 {
				t.Errorf("small group: %d members in its one item", n)
			}
		}
		if str(it["id"]) != big {
			continue
		}
		parts = append(parts, it)
		for _, m := range asSlice(it["members@delta"]) {
			got[str(m.(map[string]any)["id"])] = true
		}
	}
	if len(parts) != 3 {
		t.Fatalf("big group came as %d items, want 3", len(parts))
	}
	if str(parts[0]["displayName"]) != "Group big" || parts[1]["displayName"] != nil {
		t.Errorf("properties: first %v, second %v", parts[0]["displayName"], parts[1]["displayName"])
	}
	if len(got) != len(users) {
		t.Errorf("slices hold %d distinct members, want %d", len(got), len(users))
	}
}

// TestDeltaRoundPagesKeepEveryChange: one user deleted leaves thirty
// groups at once (the same change for each), and the round that reports it
// is read in pages of five: every group comes with the user's removal, none
// is skipped or repeated. The page a $skiptoken continues from must be the
// same list each time, so objects changed by one event are ordered by id.
func TestDeltaRoundPagesKeepEveryChange(t *testing.T) {
	e := newDLEnv(t)
	u := e.seedUsers("leaver", 2)
	groups := map[string]bool{}
	for i := 0; i < 30; i++ {
		groups[e.seedGroup(fmt.Sprintf("team%02d", i), u[0], u[1])] = true
	}
	_, _, link := e.dlRound("/v1.0/groups/delta?$select=displayName,members")
	e.do("DELETE", "/v1.0/users/"+u[0], "").must(t, 204)
	for try := 0; try < 5; try++ {
		items, pages, _ := e.dlRound(link, "Prefer", "odata.maxpagesize=5")
		if pages < 6 {
			t.Fatalf("%d pages, want at least 6 of 5 items", pages)
		}
		seen := map[string]int{}
		for _, it := range items {
			id := str(it["id"])
			for _, m := range it["members@delta"].([]any) {
				ref := m.(map[string]any)
				if _, gone := ref["@removed"]; gone && ref["id"] == u[0] {
					seen[id]++
				}
			}
		}
		for g := range groups {
			if seen[g] != 1 {
				t.Errorf("try %d: group %s reports the removal of %s %d times, want once", try, g, u[0], seen[g])
			}
		}
	}
}

// TestDeltaAppsAndServicePrincipalsTrackNoRelationships: application and
// servicePrincipal delta track properties only (delta overview: relationship
// annotations are documented for users and groups; navigation properties are
// not supported). A $select naming a navigation property is refused (strict
// reading), and owner, app-role-assignment and grant changes do not show the
// parent in a later round; a property change does.
func TestDeltaAppsAndServicePrincipalsTrackNoRelationships(t *testing.T) {
	e := newDLEnv(t)
	tn := e.s.Tenant()
	u := e.seedUsers("own", 2)
	appID := "22222222-2222-4222-8222-222222222222"
	app, _ := tn.Seed("application", map[string]any{"displayName": "App", "appId": appID})
	sp, _ := tn.Seed("servicePrincipal", map[string]any{"displayName": "App", "appId": appID,
		"appRoles": []any{map[string]any{"id": "33333333-3333-4333-8333-333333333333", "allowedMemberTypes": []any{"User"},
			"value": "r", "displayName": "R", "description": "R", "isEnabled": true}}})
	for _, q := range []string{
		"/v1.0/applications/delta?$select=displayName,owners",
		"/v1.0/servicePrincipals/delta?$select=displayName,owners",
		"/v1.0/servicePrincipals/delta?$select=appRoleAssignedTo",
		"/v1.0/servicePrincipals/delta?$select=oauth2PermissionGrants",
		"/v1.0/applications/delta?$deltatoken=latest&$select=owners",
	} {
		if r := e.do("GET", q, ""); r.status != 400 || r.errCode() != "Request_UnsupportedQuery" {
			t.Errorf("GET %s: %d %s, want 400 Request_UnsupportedQuery", q, r.status, r.errCode())
		}
	}
	items, _, appLink := e.dlRound("/v1.0/applications/delta")
	if _, has := dlByID(items)[app]["owners@delta"]; has {
		t.Errorf("application delta returned owners@delta: %v", dlByID(items)[app])
	}
	_, _, spLink := e.dlRound("/v1.0/servicePrincipals/delta")

	e.do("POST", "/v1.0/applications/"+app+"/owners/$ref", `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+u[0]+`"}`).must(t, 204)
	e.do("POST", "/v1.0/servicePrincipals/"+sp+"/owners/$ref", `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+u[0]+`"}`).must(t, 204)
	e.do("POST", "/v1.0/servicePrincipals/"+sp+"/appRoleAssignedTo",
		`{"principalId":"`+u[1]+`","resourceId":"`+sp+`","appRoleId":"33333333-3333-4333-8333-333333333333"}`).must(t, 201)
	e.do("POST", "/v1.0/oauth2PermissionGrants",
		`{"clientId":"`+sp+`","consentType":"AllPrincipals","resourceId":"`+sp+`","scope":"User.Read"}`).must(t, 201)
	if items, _, _ := e.dlRound(appLink); len(items) != 0 {
		t.Errorf("application round after an owner change: %v, want none (owners are not tracked)", items)
	}
	if items, _, _ := e.dlRound(spLink); len(items) != 0 {
		t.Errorf("servicePrincipal round after owner, assignment and grant changes: %v, want none", items)
	}
	e.do("PATCH", "/v1.0/servicePrincipals/"+sp, `{"notes":"changed"}`).must(t, 204)
	items, _, _ = e.dlRound(spLink)
	if len(items) != 1 || items[0]["id"] != sp || items[0]["notes"] != "changed" {
		t.Errorf("servicePrincipal round after a property change: %v, want %s with notes", items, sp)
	}
	if _, has := items[0]["owners@delta"]; has {
		t.Errorf("servicePrincipal round returned owners@delta: %v", items[0])
	}
}

// TestDeltaAdministrativeUnitMembers: administrativeUnit delta shows
// members@delta where it shows a unit in full (the v1.0 page's example, an
// initial round without $select); a later round does not report member
// changes (undocumented: strict), nor scopedRoleMembers, which $select
// refuses; a restored unit comes in full with its members.
func TestDeltaAdministrativeUnitMembers(t *testing.T) {
	e := newDLEnv(t)
	tn := e.s.Tenant()
	u := e.seedUsers("aum", 3)
	au, _ := tn.Seed("administrativeUnit", map[string]any{"displayName": "Region"})
	for _, m := range u[:2] {
		if err := tn.SeedLink("administrativeUnit", au, "members", m); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.do("GET", "/v1.0/directory/administrativeUnits/delta?$select=displayName,scopedRoleMembers", ""); r.status != 400 {
		t.Errorf("$select=scopedRoleMembers: %d, want 400", r.status)
	}
	items, _, link := e.dlRound("/v1.0/directory/administrativeUnits/delta")
	want := []any{
		map[string]any{"@odata.type": "#microsoft.graph.user", "id": u[0]},
		map[string]any{"@odata.type": "#microsoft.graph.user", "id": u[1]},
	}
	if got := dlByID(items)[au]["members@delta"]; !reflect.DeepEqual(got, want) {
		t.Errorf("initial members@delta:\n got %v\nwant %v", got, want)
	}
	e.do("POST", "/v1.0/directory/administrativeUnits/"+au+"/members/$ref", `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+u[2]+`"}`).must(t, 204)
	e.do("DELETE", "/v1.0/directory/administrativeUnits/"+au+"/members/"+u[0]+"/$ref", "").must(t, 204)
	e.do("DELETE", "/v1.0/users/"+u[1], "").must(t, 204)
	items, _, link = e.dlRound(link)
	if len(items) != 0 {
		t.Errorf("round after member changes: %v, want none (not documented as tracked)", items)
	}
	e.do("DELETE", "/v1.0/directory/administrativeUnits/"+au, "").must(t, 204)
	items, _, link = e.dlRound(link)
	if len(items) != 1 || !reflect.DeepEqual(items[0]["@removed"], map[string]any{"reason": "changed"}) {
		t.Errorf("round after a soft delete: %v, want %s @removed changed", items, au)
	}
	e.do("POST", "/v1.0/directory/deletedItems/"+au+"/restore", "").must(t, 200)
	items, _, _ = e.dlRound(link)
	want = []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": u[2]}}
	if len(items) != 1 || items[0]["displayName"] != "Region" || !reflect.DeepEqual(items[0]["members@delta"], want) {
		t.Errorf("round after a restore: %v, want the unit in full with members@delta %v", items, want)
	}
}

// TestDeltaLatestIsPastLaggingCreates: Graph documents that replication
// delays apply to delta (learn:/graph/delta-query-overview) and that a
// just-created object may not be readable yet (group-post-members), not
// which of a "sync from now" token and a list sees a creation first. The
// strict reading: $deltatoken=latest is a token past a creation that a
// list does not show yet, so a client that lists after taking it never
// sees that object through delta. The initial round shows it (the round
// and its deltaLink are one consistent view).
func TestDeltaLatestIsPastLaggingCreates(t *testing.T) {
	s, err := New(Options{Seed: 1, Now: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC), EventualConsistency: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e := newDLEnvFor(t, s)
	e.seedUsers("v", 3)
	created := e.do("POST", "/v1.0/users", `{"accountEnabled":true,"displayName":"Lagging","mailNickname":"lagging",`+
		`"userPrincipalName":"lagging@`+s.Tenant().Domain()+`","passwordProfile":{"password":"Xy!lagging-8Ab#"}}`).must(t, 201)
	id := str(created.body["id"])
	latest := e.do("GET", "/v1.0/users/delta?$deltatoken=latest&$select=displayName", "").must(t, 200)
	list := e.do("GET", "/v1.0/users?$select=id", "").must(t, 200)
	for _, it := range list.items() {
		if strings.EqualFold(str(it["id"]), id) {
			t.Fatal("the list shows a user created moments ago, within the replication lag")
		}
	}
	initial, _, _ := e.dlRound("/v1.0/users/delta?$select=displayName")
	shown := false
	for _, it := range initial {
		shown = shown || strings.EqualFold(str(it["id"]), id)
	}
	if !shown {
		t.Error("the initial round does not show the lagging user")
	}
	s.Clock().Advance(2 * time.Minute)
	items, _, _ := e.dlRound(str(latest.body["@odata.deltaLink"]))
	for _, it := range items {
		if strings.EqualFold(str(it["id"]), id) {
			t.Errorf("the round after latest shows the user created before it: %v", it)
		}
	}
}

// TestDeltaLaterRoundLagsLikeReplicas: under replication lag
// (Options.EventualConsistency) a later round leaves out the changes made
// less than the lag ago (the replica that answers has not seen them) and
// the next round, from its deltaLink, shows them: none is lost. A change
// older than the lag shows at once.
func TestDeltaLaterRoundLagsLikeReplicas(t *testing.T) {
	s, err := New(Options{Seed: 1, Now: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC), EventualConsistency: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e := newDLEnvFor(t, s)
	ids := e.seedUsers("r", 3)
	s.Clock().Advance(2 * time.Minute)
	_, _, link := e.dlRound("/v1.0/users/delta?$select=displayName,jobTitle")
	e.do("PATCH", "/v1.0/users/"+ids[0], `{"jobTitle":"Older"}`).must(t, 204)
	s.Clock().Advance(2 * time.Minute)
	e.do("PATCH", "/v1.0/users/"+ids[1], `{"jobTitle":"Lagging"}`).must(t, 204)
	e.do("DELETE", "/v1.0/users/"+ids[2], "").must(t, 204)
	items, _, link2 := e.dlRound(link)
	got := dlByID(items)
	if len(items) != 1 || got[strings.ToLower(ids[0])]["jobTitle"] != "Older" {
		t.Fatalf("round within the lag of two changes: %v, want only the older change", items)
	}
	// The next round, before the lag has passed, still shows nothing new.
	if items, _, _ := e.dlRound(link2); len(items) != 0 {
		t.Errorf("a round within the lag: %v", items)
	}
	s.Clock().Advance(time.Minute + time.Second)
	items, _, _ = e.dlRound(link2)
	got = dlByID(items)
	if len(items) != 2 || got[strings.ToLower(ids[1])]["jobTitle"] != "Lagging" || got[strings.ToLower(ids[2])]["@removed"] == nil {
		t.Errorf("the round after the lag: %v, want the edit and the deletion", items)
	}
}

// TestDeltaOAuth2PermissionGrants: GET /oauth2PermissionGrants/delta as
// learn:/graph/api/oauth2permissiongrant-delta documents it: an initial
// round of every grant, later rounds with a created grant in full, an
// edited one (scope) with its properties, a deleted one as @removed
// "deleted" (a grant is deleted for good); $select tracks the selected
// properties (id always returned); $filter and $deltatoken=latest, not
// documented for grants, are refused; a token older than 7 days → 410 with
// a Location to start over. A service principal's soft delete and restore
// do not touch its grants (nothing documented removes them).
func TestDeltaOAuth2PermissionGrants(t *testing.T) {
	e := newDLEnv(t)
	tn := e.s.Tenant()
	u := e.seedUsers("grant", 1)
	appID := "44444444-4444-4444-8444-444444444444"
	sp, _ := tn.Seed("servicePrincipal", map[string]any{"displayName": "Client \u202e\"x\" 🔑", "appId": appID})
	res, _ := tn.Seed("servicePrincipal", map[string]any{"displayName": "Resource", "appId": "55555555-5555-4555-8555-555555555555"})
	grant := func(consent, principal, scope string) string {
		body := `{"clientId":"` + sp + `","consentType":"` + consent + `","resourceId":"` + res + `","scope":"` + scope + `"`
		if principal != "" {
			body += `,"principalId":"` + principal + `"`
		}
		return str(e.do("POST", "/v1.0/oauth2PermissionGrants", body+"}").must(t, 201).body["id"])
	}
	g1 := grant("AllPrincipals", "", "User.Read")
	for _, q := range []string{
		"/v1.0/oauth2PermissionGrants/delta?$filter=" + url.QueryEscape("id eq '"+g1+"'"),
		"/v1.0/oauth2PermissionGrants/delta?$deltatoken=latest",
		"/v1.0/oauth2PermissionGrants/delta?$expand=client",
	} {
		if r := e.do("GET", q, ""); r.status != 400 || r.errCode() != "Request_UnsupportedQuery" {
			t.Errorf("GET %s: %d %s, want 400 Request_UnsupportedQuery", q, r.status, r.errCode())
		}
	}
	items, _, link := e.dlRound("/v1.0/oauth2PermissionGrants/delta")
	if len(items) != 1 || items[0]["id"] != g1 || items[0]["scope"] != "User.Read" || items[0]["clientId"] != sp {
		t.Fatalf("initial round: %v", items)
	}
	_, _, selLink := e.dlRound("/v1.0/oauth2PermissionGrants/delta?$select=scope")

	// Create, edit, delete.
	g2 := grant("Principal", u[0], "Mail.Read")
	e.do("PATCH", "/v1.0/oauth2PermissionGrants/"+g1, `{"scope":"User.Read Mail.Send"}`).must(t, 204)
	items, _, link2 := e.dlRound(link)
	byID := dlByID(items)
	if len(items) != 2 || byID[g2]["principalId"] != u[0] || byID[g2]["clientId"] != sp || byID[g1]["scope"] != "User.Read Mail.Send" {
		t.Errorf("round after a create and an edit: %v", items)
	}
	sitems, _, _ := e.dlRound(selLink)
	if sb := dlByID(sitems); len(sitems) != 2 || sb[g1]["scope"] != "User.Read Mail.Send" || sb[g1]["clientId"] != nil {
		t.Errorf("$select=scope round: %v (want id and scope only)", sitems)
	}
	e.do("DELETE", "/v1.0/oauth2PermissionGrants/"+g2, "").must(t, 204)
	items, _, link3 := e.dlRound(link2)
	if len(items) != 1 || items[0]["id"] != g2 || fmt.Sprint(items[0]["@removed"]) != "map[reason:deleted]" {
		t.Errorf("round after a delete: %v", items)
	}

	// The client's soft delete and restore leave its grants as they are.
	e.do("DELETE", "/v1.0/servicePrincipals/"+sp, "").must(t, 204)
	e.do("POST", "/v1.0/directory/deletedItems/"+sp+"/restore", "").must(t, 200)
	items, _, link4 := e.dlRound(link3)
	if len(items) != 0 {
		t.Errorf("grant round after the client's delete and restore: %v, want none", items)
	}
	if l := e.do("GET", link4, ""); l.status != 200 || len(l.items()) != 0 {
		t.Errorf("a round without changes: %d %v", l.status, l.items())
	}

	// Token expiry.
	e.s.Clock().Advance(8 * 24 * time.Hour)
	r := e.do("GET", link4, "")
	if r.status != 410 || !strings.Contains(r.header.Get("Location"), "/oauth2PermissionGrants/delta?$deltatoken=") {
		t.Errorf("expired token: %d, Location %q", r.status, r.header.Get("Location"))
	}
}

// TestDeltaLargeGroupPagesCostTheirOwnItems: the pages of an initial round
// that continue a large group make that page's references only, not the
// whole group's again on each page (issue #12, row g: at 1.2M users a
// dynamic group of 100,000 members made 5,000,000 references to send
// 100,000). And the items are what slicing the whole list gives: for every
// page size, the group's items, in order, are its properties with the first
// deltaRefsPerItem present members, then id and the next slices; a member
// deleted before the round is left out.
func TestDeltaLargeGroupPagesCostTheirOwnItems(t *testing.T) {
	e := newDLEnv(t)
	users := e.seedUsers("many", 7*deltaRefsPerItem+3)
	e.do("DELETE", "/v1.0/users/"+users[30], "").must(t, 204)
	big := e.seedGroup("big", users...)
	mid := e.seedGroup("mid", users[:deltaRefsPerItem+1]...)
	empty := e.seedGroup("empty")
	present := append(append([]string{}, users[:30]...), users[31:]...)
	want := map[string][]string{big: present, mid: users[:deltaRefsPerItem+1], empty: nil}
	for _, size := range []int{1, 2, 3, 7, 100} {
		e.s.tenant.deltaRefSteps.Store(0)
		e.s.tenant.deltaLinkSteps.Store(0)
		items, pages, _ := e.dlRound("/v1.0/groups/delta?$select=displayName,members", "Prefer", fmt.Sprintf("odata.maxpagesize=%d", size))
		parts := map[string][]map[string]any{}
		for _, it := range items {
			parts[str(it["id"])] = append(parts[str(it["id"])], it)
		}
		made := e.s.tenant.deltaRefSteps.Load()
		sent := 0
		for id, members := range want {
			got := parts[id]
			if n := max(1, (len(members)+deltaRefsPerItem-1)/deltaRefsPerItem); len(got) != n {
				t.Fatalf("page size %d: group %s came as %d items, want %d", size, id, len(got), n)
			}
			var refs []string
			for i, it := range got {
				if (i == 0) != (it["displayName"] != nil) {
					t.Errorf("page size %d: item %d of group %s: displayName %v", size, i, id, it["displayName"])
				}
				if len(it) != 2 && i > 0 {
					t.Errorf("page size %d: item %d of group %s holds %v, want id and members@delta", size, i, id, it)
				}
				slice := asSlice(it["members@delta"])
				if it["members@delta"] == nil || (i < len(got)-1 && len(slice) != deltaRefsPerItem) {
					t.Errorf("page size %d: item %d of group %s: %d members", size, i, id, len(slice))
				}
				for _, m := range slice {
					m := m.(map[string]any)
					if m["@odata.type"] != "#microsoft.graph.user" {
						t.Errorf("page size %d: member %v", size, m)
					}
					refs = append(refs, str(m["id"]))
				}
			}
			if !reflect.DeepEqual(refs, members) && len(refs)+len(members) > 0 {
				t.Errorf("page size %d: group %s's members in order: %v, want %v", size, id, refs, members)
			}
			sent += len(refs)
		}
		// The page that ends inside a group made one item more than it sent
		// (to know the group goes on): a slice of references at most.
		if limit := uint64(sent + pages*deltaRefsPerItem); made > limit {
			t.Errorf("page size %d: %d pages made %d references to send %d, want at most %d", size, pages, made, sent, limit)
		}
		// A page continuing the group looks its list up from where the
		// previous one left it (refCursor), not from the start: the ids of
		// what it sends, of the one more item, and the deleted member once.
		if looked, limit := e.s.tenant.deltaLinkSteps.Load(), uint64(sent+pages*(deltaRefsPerItem+1)); looked > limit {
			t.Errorf("page size %d: %d pages looked up %d ids to send %d, want at most %d", size, pages, looked, sent, limit)
		}
	}
}

// TestLiveRefEncodesAsTheMap: an initial round's rel@delta entry (liveRef)
// is written byte for byte as the map form later rounds use, odd ids
// included (HTML characters, non-ASCII, invalid UTF-8, quotes).
func TestLiveRefEncodesAsTheMap(t *testing.T) {
	enc := func(v any) string {
		var b strings.Builder
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false) // as writeResponse
		if err := e.Encode(v); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, id := range []string{"00000000-0000-0000-0000-000000000001", `<a&b>"\`, "é\u2028x", "bad\xffutf8", ""} {
		typ := "#microsoft.graph.user"
		if got, want := enc([]any{liveRef{Type: typ, ID: id}}), enc([]any{map[string]any{"@odata.type": typ, "id": id}}); got != want {
			t.Errorf("id %q: %s, want %s", id, got, want)
		}
	}
}

// TestDeltaLargeGroupPagesAnswerAsTheWholeList: members deleted, restored
// and added between the pages of an initial round, whose pages continue a
// large group from where the previous page left its list (refCursor): each
// page holds exactly what slicing the group's whole list as it is then
// gives from the page's place (the round's token: the group and the item).
func TestDeltaLargeGroupPagesAnswerAsTheWholeList(t *testing.T) {
	e := newDLEnv(t)
	users := e.seedUsers("cur", 12*deltaRefsPerItem)
	big := e.seedGroup("big", users...)
	e.seedGroup("other", users[:30]...)
	tn := e.s.tenant
	k := kindByName["group"]
	sel, aerr := parseDeltaSelect(k, "displayName,members")
	if aerr != nil {
		t.Fatal(aerr)
	}
	const size = 3
	rng := rand.New(rand.NewPCG(5, 6))
	var deleted []string
	link := "/v1.0/groups/delta?$select=displayName,members"
	pages := 0
	for ; link != ""; pages++ {
		if pages > 0 {
			switch rng.IntN(4) {
			case 0:
				i := rng.IntN(len(users))
				e.do("DELETE", "/v1.0/users/"+users[i], "").must(t, 204)
				deleted = append(deleted, users[i])
				users = append(users[:i:i], users[i+1:]...)
			case 1:
				if len(deleted) > 0 {
					e.do("POST", "/v1.0/directory/deletedItems/"+deleted[0]+"/restore", "").must(t, 200)
					users, deleted = append(users, deleted[0]), deleted[1:]
				}
			case 2:
				u := e.seedUsers(fmt.Sprintf("late%d-", pages), 1)
				if err := tn.SeedLink("group", big, "members", u[0]); err != nil {
					t.Fatal(err)
				}
			}
		}
		// The page the token's place gives from the whole lists as they are.
		var want []any
		tn.mu.Lock()
		st := deltaState{}
		if u, err := url.Parse(link); err == nil && u.Query().Get("$skiptoken") != "" {
			st, _ = decodeDeltaState(u.Query().Get("$skiptoken"))
		}
		recs := tn.colls["group"].live()
		part := st.Part
		for i := sort.Search(len(recs), func(i int) bool { return recs[i].seq > st.Cursor }); i < len(recs) && len(want) < size+1; i++ {
			if recs[i].gone {
				continue
			}
			full := e.s.deltaInitialItem(recs[i], sel)
			all := full["members@delta"].([]any)
			n := max(1, (len(all)+deltaRefsPerItem-1)/deltaRefsPerItem)
			for j := part; j < n && len(want) < size+1; j++ {
				item := map[string]any{"id": recs[i].key()}
				if j == 0 {
					item = full
				}
				item["members@delta"] = all[min(j*deltaRefsPerItem, len(all)):min((j+1)*deltaRefsPerItem, len(all))]
				want = append(want, item)
			}
			part = 0
		}
		tn.mu.Unlock()
		want = want[:min(size, len(want))]
		r := e.do("GET", link, "", "Prefer", fmt.Sprintf("odata.maxpagesize=%d", size)).must(t, 200)
		wantJSON, _ := json.Marshal(want)
		var got []any
		for _, it := range r.items() {
			got = append(got, it)
		}
		gotJSON, _ := json.Marshal(got)
		var a, b any
		_ = json.Unmarshal(wantJSON, &a)
		_ = json.Unmarshal(gotJSON, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("page %d: got\n%s\nwant\n%s", pages, gotJSON, wantJSON)
		}
		link = str(r.body["@odata.nextLink"])
		if pages > 200 {
			t.Fatal("more than 200 pages")
		}
	}
	if pages < 12*deltaRefsPerItem/deltaRefsPerItem/size {
		t.Fatalf("%d pages", pages)
	}
}
