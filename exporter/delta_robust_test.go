package exporter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// flaky fails requests on their way to Graph, deterministically whatever
// order the client sends them in: each distinct request (method, URL and
// body) fails on its first attempt of every pair (a 500, a 503 with
// Retry-After, a 504, a connection reset, a 429 with Retry-After, chosen by
// the request's digest), or, for one request in six, on the first three
// attempts of every four with 429s that carry no Retry-After (a burst, as
// Graph's global limit answers). A retry of the same request then goes
// through, so a client that retries as Graph asks reads everything.
type flaky struct {
	h     http.Handler
	mu    sync.Mutex
	seen  map[string]int
	count map[string]int // faults answered, by kind
}

func newFlaky(h http.Handler) *flaky {
	return &flaky{h: h, seen: map[string]int{}, count: map[string]int{}}
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if strings.HasPrefix(r.URL.Path, "/_graphsim") || !strings.Contains(r.URL.Path, "/v1.0/") && !strings.Contains(r.URL.Path, "/beta/") {
		f.h.ServeHTTP(w, r)
		return
	}
	sum := sha256.Sum256([]byte(r.Method + " " + r.URL.RequestURI() + "\n" + string(body)))
	key := string(sum[:])
	kind := int(sum[0]) % 6
	f.mu.Lock()
	f.seen[key]++
	n := f.seen[key]
	fail := n%2 == 1
	if kind == 5 {
		fail = n%4 != 0
	}
	names := []string{"500", "503", "504", "reset", "429", "429 burst"}
	if fail {
		f.count[names[kind]]++
	}
	f.mu.Unlock()
	if !fail {
		f.h.ServeHTTP(w, r)
		return
	}
	errBody := func(status int, code, msg string, retry string) {
		w.Header().Set("Content-Type", "application/json")
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, code, msg)
	}
	switch kind {
	case 0:
		errBody(http.StatusInternalServerError, "generalException", "General exception while processing.", "")
	case 1:
		errBody(http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable. Please retry after some time.", "2")
	case 2:
		errBody(http.StatusGatewayTimeout, "UnknownError", "", "")
	case 3:
		hj, ok := w.(http.Hijacker)
		if !ok {
			errBody(http.StatusInternalServerError, "generalException", "General exception while processing.", "")
			return
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
	case 4:
		errBody(http.StatusTooManyRequests, "TooManyRequests", "Please retry again later.", "1")
	default:
		errBody(http.StatusTooManyRequests, "TooManyRequests", "Please retry again later.", "")
	}
}

func (f *flaky) faults() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.count {
		out[k] = v
	}
	return out
}

// hostile is a display name no renderer should trust: terminal escapes, a
// bidi override, CR LF, NUL, bytes that are not UTF-8 (JSON carries them
// as U+FFFD), and a right-to-left mark.
func hostile(n int) string {
	return fmt.Sprintf("Evil %d \x1b[31m\u202eeman\r\nnext\x00\xff\xfe\u200f end", n)
}

// TestIncrementalExportUnderThrottlingFaultsAndLag is the robustness test
// of the incremental export: users, groups, applications, service
// principals and administrative units resumed from the delta state, under
// Graph's realistic throttling (graphsim's resource-unit buckets), every
// request failing once on its way (5xx, connection resets, 429 with and
// without Retry-After in bursts; flaky) and replication lag (objects
// created or restored stay invisible for a while), with hostile display
// names on the changed objects. After each day of scripted changes the
// incremental snapshot is byte-identical to a full export of the same
// tenant state (through the same faults), but for the delta state file.
// An export run while the day's creations have not replicated yet must not
// lose them: the next run, once they have, shows them.
func TestIncrementalExportUnderThrottlingFaultsAndLag(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	const lag = 2 * time.Hour // longer than the waits of a run (the clock moves with them)
	sim := newSim(t, graphsim.Options{Throttle: "realistic", EventualConsistency: lag,
		Sizes: graphsim.Sizes{Users: 60, Groups: 30, MembersPerGroup: 45, Apps: 10}})
	fl := newFlaky(sim)
	c := newClient(t, sim, fl, "")
	w := newClient(t, sim, nil, "") // the scripted changes: no faults
	ch := &changer{t: t, c: w, sim: sim}
	settle := func() { sim.Clock().Advance(lag + time.Second) }
	kinds := []string{"users", "groups", "applications", "service-principals", "administrative-units",
		"group-eligibility-schedules", "group-assignment-schedules"} // PIM for Groups: live/pimgroups.go
	whenShortOnly(t, kinds...)
	now := clock()
	opts := func(o *Options) { o.AllowShrink, o.Now = true, now }

	inc := newRepo(t, false)
	first := mustExport(t, c, inc, opts)
	if !first.Complete() {
		t.Fatalf("first export incomplete: %+v", first.Incomplete())
	}
	incomplete := map[string]bool{} // kinds the last run left incomplete: read in full next
	compare := func(day string) *Result {
		t.Helper()
		res := mustExport(t, c, inc, opts)
		if !res.Complete() {
			t.Fatalf("%s: incomplete %+v", day, res.Incomplete())
		}
		for _, k := range kinds {
			r := kindResult(res, k)
			if r.Read != "delta" && !(incomplete[k] && r.Read == "full") {
				t.Errorf("%s: %s read %q (%s), want delta", day, k, r.Read, r.Note)
			}
			if (k == "applications" || k == "service-principals") && r.Read == "delta" && strings.Contains(r.Note, "read for every object") {
				t.Errorf("%s: %s read every relationship (%s), want those the audit log names", day, k, r.Note)
			}
			delete(incomplete, k)
		}
		full := newRepo(t, true)
		if fres := mustExport(t, c, full, opts); !fres.Complete() {
			t.Fatalf("%s: full export incomplete %+v", day, fres.Incomplete())
		}
		sameTree(t, day, tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
		return res
	}

	tn := sim.Tenant()
	var users []string
	for _, u := range tn.List("user") {
		if u["userType"] == "Member" && !strings.Contains(fmt.Sprint(u["userPrincipalName"]), "admin") {
			users = append(users, u["id"].(string))
		}
	}
	sort.Strings(users)
	groups := plainGroups(sim)
	apps := tn.List("application")
	sort.Slice(apps, func(i, j int) bool { return apps[i%len(apps)]["id"].(string) < apps[j]["id"].(string) })
	if len(groups) < 3 || len(apps) < 3 || len(users) < 20 {
		t.Fatalf("tenant too small: %d groups, %d apps, %d users", len(groups), len(apps), len(users))
	}
	ref := func(id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}
	}

	// Day 1: creates with hostile names (linked once replicated), edits
	// with hostile names, membership churn, soft deletes.
	u1 := ch.newUser()
	g1 := ch.do("POST", "/v1.0/groups", map[string]any{"displayName": hostile(1), "mailEnabled": false,
		"mailNickname": "robust1", "securityEnabled": true, "groupTypes": []any{}})["id"].(string)
	app := ch.do("POST", "/v1.0/applications", map[string]any{"displayName": hostile(2)})
	appID := app["id"].(string)
	au := ch.do("POST", "/v1.0/directory/administrativeUnits", map[string]any{"displayName": hostile(3)})["id"].(string)
	settle()
	sp := ch.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": app["appId"]})["id"].(string)
	ch.do("PATCH", "/v1.0/users/"+u1, map[string]any{"displayName": hostile(4), "jobTitle": "\u202e\r"})
	ch.do("PATCH", "/v1.0/users/"+users[0], map[string]any{"displayName": hostile(5)})
	ch.do("PATCH", "/v1.0/groups/"+groups[0]["id"].(string), map[string]any{"displayName": hostile(6)})
	ch.do("PATCH", "/v1.0/applications/"+apps[0]["id"].(string), map[string]any{"displayName": hostile(7), "notes": "\x1b]0;title\x07"})
	ch.link(g1, "members", u1)
	ch.link(g1, "members", users[1])
	ch.link(g1, "owners", users[2])
	gx := groups[1]["id"].(string)
	members := tn.Links("group", gx, "members")
	ch.unlink(gx, "members", members[0])
	ch.link(gx, "members", users[3])
	ch.do("POST", "/v1.0/applications/"+appID+"/owners/$ref", ref(users[4]))
	// Relationships the apps' and service principals' rounds do not track,
	// read again where the audit log names the parent (live/apps.go): a
	// credential with a hostile description, an extension property, a
	// permission classification, an app role assignment made through the
	// user and one removed.
	fic := ch.do("POST", "/v1.0/applications/"+apps[0]["id"].(string)+"/federatedIdentityCredentials", map[string]any{"name": "robust-main",
		"issuer": "https://token.actions.githubusercontent.com", "subject": "repo:o/r:ref:refs/heads/main", "audiences": []any{"api://AzureADTokenExchange"},
		"description": hostile(21)})["id"].(string)
	ch.do("POST", "/v1.0/applications/"+apps[2]["id"].(string)+"/extensionProperties", map[string]any{"name": "robustAttr", "dataType": "String", "targetObjects": []any{"User"}})
	var scopeSP, scope, resSP, role string
	sps := tn.List("servicePrincipal")
	sort.Slice(sps, func(i, j int) bool { return sps[i]["id"].(string) < sps[j]["id"].(string) })
	for _, s := range sps {
		var classified []any // a permission classified already: 409
		for _, x := range asList(s["oauth2PermissionScopes"]) {
			if m, _ := x.(map[string]any); m != nil && scopeSP == "" {
				if classified == nil {
					classified = []any{}
					for _, c := range asList(ch.do("GET", "/v1.0/servicePrincipals/"+s["id"].(string)+"/delegatedPermissionClassifications", nil)["value"]) {
						classified = append(classified, c.(map[string]any)["permissionId"])
					}
				}
				if !slicesHas(classified, m["id"].(string)) {
					scopeSP, scope = s["id"].(string), m["id"].(string)
				}
			}
		}
		for _, x := range asList(s["appRoles"]) {
			if m, _ := x.(map[string]any); m != nil && resSP == "" && slicesHas(asList(m["allowedMemberTypes"]), "User") {
				resSP, role = s["id"].(string), m["id"].(string)
			}
		}
	}
	assignments := tn.List("appRoleAssignment")
	if scopeSP == "" || resSP == "" || len(assignments) == 0 {
		t.Fatalf("no service principal with a delegated permission (%q) or a user app role (%q), %d assignments", scopeSP, resSP, len(assignments))
	}
	dpc := ch.do("POST", "/v1.0/servicePrincipals/"+scopeSP+"/delegatedPermissionClassifications", map[string]any{"permissionId": scope, "classification": "low"})["id"].(string)
	ara := ch.do("POST", "/v1.0/users/"+users[9]+"/appRoleAssignments", map[string]any{"principalId": users[9], "resourceId": resSP, "appRoleId": role})["id"].(string)
	ch.do("DELETE", "/v1.0/servicePrincipals/"+assignments[0]["resourceId"].(string)+"/appRoleAssignedTo/"+assignments[0]["id"].(string), nil)
	ch.do("POST", "/v1.0/directory/administrativeUnits/"+au+"/members/$ref", ref(users[5]))
	ch.do("DELETE", "/v1.0/users/"+members[1], nil)
	ch.do("DELETE", "/v1.0/applications/"+apps[1]["id"].(string), nil)
	// Grants (their delta round, live/grants.go): one created with a
	// hostile scope, one edited on day 2, one deleted.
	oldGrants := tn.List("oAuth2PermissionGrant")
	if len(oldGrants) < 2 {
		t.Fatalf("%d grants", len(oldGrants))
	}
	grant := ch.do("POST", "/v1.0/oauth2PermissionGrants", map[string]any{"clientId": oldGrants[0]["clientId"], "consentType": "Principal",
		"principalId": users[19], "resourceId": oldGrants[0]["resourceId"], "scope": "User.Read " + hostile(13)})["id"].(string)
	ch.do("DELETE", "/v1.0/oauth2PermissionGrants/"+oldGrants[1]["id"].(string), nil)
	settle()
	ch.do("PATCH", "/v1.0/servicePrincipals/"+sp, map[string]any{"displayName": hostile(8)})
	// PIM for Groups on the new group with a hostile name and on the
	// renamed one: read again from the audit log's records.
	pimReq := func(list, action, group, principal string) {
		ch.do("POST", "/v1.0/identityGovernance/privilegedAccess/group/"+list+"ScheduleRequests", map[string]any{
			"action": action, "accessId": "member", "groupId": group, "principalId": principal, "justification": hostile(20)})
	}
	pimReq("eligibility", "adminAssign", g1, users[7])
	g0 := groups[0]["id"].(string)
	for i := len(users) - 1; i >= 0; i-- {
		if !slices.ContainsFunc(append(tn.Links("group", g0, "members"), tn.Links("group", g0, "owners")...), func(m string) bool { return strings.EqualFold(m, users[i]) }) {
			pimReq("assignment", "adminAssign", g0, users[i])
			break
		}
	}
	settle()
	compare("day 1")
	ch.do("PATCH", "/v1.0/oauth2PermissionGrants/"+grant, map[string]any{"scope": "openid " + hostile(14)})

	// Day 2: restores, a purge, more churn on the hostile objects.
	ch.do("POST", "/v1.0/directory/deletedItems/"+members[1]+"/restore", nil)
	ch.do("POST", "/v1.0/directory/deletedItems/"+apps[1]["id"].(string)+"/restore", nil)
	ch.do("DELETE", "/v1.0/groups/"+groups[2]["id"].(string), nil)
	ch.do("DELETE", "/v1.0/directory/deletedItems/"+groups[2]["id"].(string), nil)
	ch.unlink(g1, "members", u1)
	ch.do("PATCH", "/v1.0/groups/"+g1, map[string]any{"description": hostile(9)})
	ch.do("PATCH", "/v1.0/directory/administrativeUnits/"+au, map[string]any{"description": hostile(10)})
	pimReq("eligibility", "adminRemove", g1, users[7])
	// The relationships of day 1 removed; the app's owner deleted (it
	// leaves the owners with no record naming the app).
	ch.do("DELETE", "/v1.0/applications/"+apps[0]["id"].(string)+"/federatedIdentityCredentials/"+fic, nil)
	ch.do("DELETE", "/v1.0/servicePrincipals/"+scopeSP+"/delegatedPermissionClassifications/"+dpc, nil)
	ch.do("DELETE", "/v1.0/servicePrincipals/"+resSP+"/appRoleAssignedTo/"+ara, nil)
	ch.do("DELETE", "/v1.0/users/"+users[4], nil)
	settle()
	compare("day 2")

	// Day 3: objects created, then (once they replicated) a user restored
	// just before the run: the restore has not replicated when it reads;
	// the next run, once it has, equals a full read.
	ch.do("POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": hostile(11),
		"mailNickname": "robust11", "userPrincipalName": "robust11@" + tn.Domain(),
		"passwordProfile": map[string]any{"password": "Xy!robust11-8Ab#", "forceChangePasswordNextSignIn": true}})
	ch.do("POST", "/v1.0/applications", map[string]any{"displayName": hostile(12)})
	ch.do("POST", "/v1.0/groups", map[string]any{"displayName": hostile(13), "mailEnabled": false,
		"mailNickname": "robust13", "securityEnabled": true, "groupTypes": []any{}})
	ch.do("POST", "/v1.0/directory/administrativeUnits", map[string]any{"displayName": hostile(14)})
	ch.do("DELETE", "/v1.0/users/"+users[6], nil)
	settle()
	ch.do("POST", "/v1.0/directory/deletedItems/"+users[6]+"/restore", nil)
	lagged(t, "day 3, early run", mustExport(t, c, inc, opts), incomplete) // before the creations and the restore replicated
	settle()
	compare("day 3, after replication")

	// Day 4: the same just before a full read (the weekly safety net, or
	// --full): the objects it could not see yet come with the next round.
	ch.do("POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": hostile(15),
		"mailNickname": "robust15", "userPrincipalName": "robust15@" + tn.Domain(),
		"passwordProfile": map[string]any{"password": "Xy!robust15-8Ab#", "forceChangePasswordNextSignIn": true}})
	ch.do("POST", "/v1.0/applications", map[string]any{"displayName": hostile(16)})
	ch.do("POST", "/v1.0/groups", map[string]any{"displayName": hostile(17), "mailEnabled": false,
		"mailNickname": "robust17", "securityEnabled": true, "groupTypes": []any{}})
	ch.do("POST", "/v1.0/directory/administrativeUnits", map[string]any{"displayName": hostile(18)})
	// A PIM for Groups eligibility the full read's replica does not show
	// yet: its record, before the full read, is in the later runs' window
	// (live.ReplicationMargin).
	pimReq("eligibility", "adminAssign", g1, users[8])
	t0 := sim.Clock().Now()
	lagged(t, "day 4, full read", mustExport(t, c, inc, func(o *Options) { opts(o); o.Full = true }), incomplete)
	if d := sim.Clock().Now().Sub(t0); d >= lag {
		t.Fatalf("the full read took %v of graphsim's time, longer than the lag: make the lag longer", d)
	} else {
		t.Logf("a full read under these faults: %v of graphsim's time", d)
	}
	settle()
	compare("day 4, after replication")

	if f := fl.faults(); len(f) < 6 {
		t.Errorf("not every kind of fault was answered: %v", f)
	} else {
		t.Logf("faults answered: %v", f)
	}
}

// lagged checks a run made while objects had not replicated: a kind may
// be incomplete (a new object the round showed whose children Graph does
// not serve yet: 404), said so; users and groups, whose relationships come
// with their round, are complete. The incomplete kinds are added to
// incomplete (the next run reads them in full).
func lagged(t *testing.T, what string, res *Result, incomplete map[string]bool) {
	t.Helper()
	for _, k := range res.Incomplete() {
		switch k.Kind {
		case "applications", "service-principals", "administrative-units":
			t.Logf("%s: %s incomplete: %s", what, k.Kind, k.Reason)
			incomplete[k.Kind] = true
		default:
			t.Errorf("%s: %s incomplete: %s", what, k.Kind, k.Reason)
		}
	}
}

// TestDeltaStateNotAdvancedPastAFailure: a kind that fails for good in one
// run (one of its requests always answers 500, the round itself or the
// children read after it) leaves the snapshot incomplete for that kind,
// its files carried forward, and no delta link that would skip the changes
// it did not read: the next run (Graph healthy again) reads it in full and
// its snapshot equals a full export.
func TestDeltaStateNotAdvancedPastAFailure(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	whenShortOnly(t, "users", "groups", "applications", "service-principals", "administrative-units") // the kinds that fail
	// 40 groups of 45 members: the groups round takes two pages.
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 60, Groups: 40, MembersPerGroup: 45, Apps: 10}})
	c := newClient(t, sim, nil, "")
	ch := &changer{t: t, c: c, sim: sim}
	now := clock() // one clock for every run: each snapshot's tag is new
	opts := func(o *Options) { o.AllowShrink, o.Now = true, now }
	r := newRepo(t, false)
	mustExport(t, c, r, opts)
	tn := sim.Tenant()
	apps := tn.List("application")
	sort.Slice(apps, func(i, j int) bool { return apps[i%len(apps)]["id"].(string) < apps[j]["id"].(string) })
	// A request that fails for good: its path ends with path, and its
	// query (or, for a $batch, its body) holds query.
	type failure struct {
		kind, path, query string
		full              bool   // the failing run reads in full (--full)
		batch             string // for a $batch: a fragment of its body
	}
	// A service principal of the tenant's own (PATCH allowed), without
	// custom security attributes.
	var ownSP string
	for _, s := range tn.List("servicePrincipal") {
		if o, _ := s["appOwnerOrganizationId"].(string); o == tn.ID() && ownSP == "" && s["customSecurityAttributes"] == nil {
			ownSP = s["id"].(string)
		}
	}
	if ownSP == "" {
		t.Fatal("no service principal of the tenant's own")
	}
	for i, fail := range []failure{
		{"applications", "/applications/delta", "", false, ""},                              // the round
		{"service-principals", "/servicePrincipals/delta", "", false, ""},                   // the round
		{"groups", "/groups/delta", "skiptoken", true, ""},                                  // a full round's second page (members come with it)
		{"users", "/users/delta", "", false, ""},                                            // the round
		{"applications", "/$batch", "owners", false, "applications/"},                       // the changed app's owners after the round (live/apps.go)
		{"service-principals", "/$batch", "approleassignedto", false, "serviceprincipals/"}, // the changed service principal's assignments after the round
		{"administrative-units", "/$batch", "members", false, "administrativeunits/"},       // members per unit ($batch) after the round
	} {
		t.Run(fail.kind+strings.ReplaceAll(fail.path, "/", "_"), func(t *testing.T) {
			// A change the failing run does not read.
			ch.do("PATCH", "/v1.0/applications/"+apps[i%len(apps)]["id"].(string), map[string]any{"displayName": hostile(100 + i)})
			ch.do("PATCH", "/v1.0/servicePrincipals/"+ownSP, map[string]any{"notes": hostile(400 + i)})
			ch.do("PATCH", "/v1.0/users/"+tn.List("user")[i]["id"].(string), map[string]any{"displayName": hostile(200 + i)})
			ch.do("PATCH", "/v1.0/groups/"+plainGroups(sim)[i]["id"].(string), map[string]any{"displayName": hostile(300 + i)})
			// The failed kind's files, carried forward below (its folder
			// alone: the whole tree is compared with a full export's after
			// the next run).
			k := kindRoot(t, fail.kind)
			before := subtree(t, r, "HEAD", k)
			bad := newClient(t, sim, failWhere(sim, func(r *http.Request) bool {
				q := strings.ToLower(r.URL.RawQuery)
				if strings.HasSuffix(r.URL.Path, "/$batch") {
					body, _ := io.ReadAll(r.Body)
					r.Body = io.NopCloser(bytes.NewReader(body))
					q = strings.ToLower(string(body))
					if fail.batch == "" || !strings.Contains(q, fail.batch) {
						return false
					}
				}
				return strings.HasSuffix(r.URL.Path, fail.path) && strings.Contains(q, fail.query)
			}), "")
			res, err := export(t, bad, r, func(o *Options) { opts(o); o.Full = fail.full })
			if err != nil {
				t.Fatalf("export with %s failing: %v", fail.path, err)
			}
			kr := kindResult(res, fail.kind)
			if kr.Complete {
				t.Fatalf("%s complete although %s failed: %+v", fail.kind, fail.path, kr)
			}
			if m := manifestAt(t, r, "HEAD"); m.Kinds[fail.kind].Complete {
				t.Errorf("the snapshot says %s is complete", fail.kind)
			}
			after := subtree(t, r, "HEAD", k)
			if len(before) == 0 {
				t.Fatalf("no file under %s before the failing run", k)
			}
			for p, data := range before {
				if strings.HasPrefix(p, k) && !bytes.Equal(after[p], data) {
					t.Errorf("%s was not carried forward", p)
				}
			}
			st, _, err := readState(context.Background(), r, mustPrevious(t, r))
			if err != nil {
				t.Fatal(err)
			}
			if ks, ok := st.Kinds[fail.kind]; ok {
				t.Errorf("the state kept a link for the failed kind %s: %+v", fail.kind, ks)
			}
			next := mustExport(t, c, r, opts)
			if kr := kindResult(next, fail.kind); kr.Read != "full" || !kr.Complete {
				t.Errorf("next run: %s read %q complete %v (%s)", fail.kind, kr.Read, kr.Complete, kr.Note)
			}
			full := newRepo(t, true)
			mustExport(t, c, full, opts)
			sameTree(t, "after the failure", tree(t, r, "HEAD"), tree(t, full, "HEAD"))
		})
	}
}

func kindRoot(t *testing.T, kind string) string {
	t.Helper()
	k, ok := layout.Lookup(kind)
	if !ok {
		t.Fatalf("no kind %s", kind)
	}
	return k.Root() + "/"
}

// failWhere answers 500 to every request that match selects.
func failWhere(h http.Handler, match func(r *http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if match(r) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"code":"generalException","message":"General exception while processing."}}`)
			return
		}
		h.ServeHTTP(w, r)
	})
}
