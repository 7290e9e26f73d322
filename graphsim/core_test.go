package graphsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// coreEnv is a graphsim server on httptest with a seeded domain.
type coreEnv struct {
	t   *testing.T
	s   *Server
	url string
}

type coreResp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func newCoreEnv(t *testing.T, opts Options) *coreEnv {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Tenant().Count("domain") == 0 {
		if _, err := s.Tenant().Seed("domain", map[string]any{"id": s.Tenant().Domain(), "isVerified": true, "isDefault": true, "isInitial": true}); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &coreEnv{t: t, s: s, url: ts.URL}
}

func (e *coreEnv) do(method, path string, body any, hdr ...string) coreResp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+e.s.Token())
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := coreResp{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// must asserts the status and returns the response.
func (r coreResp) must(t *testing.T, status int) coreResp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

func (r coreResp) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	return str(e["code"])
}

func (r coreResp) errMsg() string {
	e, _ := r.body["error"].(map[string]any)
	return str(e["message"])
}

func (e *coreEnv) newUser(nick string) string {
	e.t.Helper()
	r := e.do("POST", "/v1.0/users", map[string]any{
		"accountEnabled": true, "displayName": "User " + nick, "mailNickname": nick,
		"userPrincipalName": nick + "@" + e.s.Tenant().Domain(), "passwordProfile": map[string]any{"password": "P@ssw0rd!" + nick},
	}).must(e.t, 201)
	return str(r.body["id"])
}

func (e *coreEnv) newGroup(nick string, extra map[string]any) string {
	e.t.Helper()
	b := map[string]any{"displayName": "Group " + nick, "mailNickname": nick, "mailEnabled": false, "securityEnabled": true}
	for k, v := range extra {
		b[k] = v
	}
	r := e.do("POST", "/v1.0/groups", b).must(e.t, 201)
	return str(r.body["id"])
}

func TestCoreCRUD(t *testing.T) {
	e := newCoreEnv(t, Options{})
	id := e.newUser("alice")
	r := e.do("GET", "/v1.0/users/"+id+"?$select=id,displayName,createdDateTime,userType,passwordProfile", nil).must(t, 200)
	if r.body["createdDateTime"] == nil || r.body["userType"] != "Member" {
		t.Errorf("server-set fields missing: %s", r.raw)
	}
	if strings.Contains(r.raw, "P@ssw0rd") {
		t.Errorf("password returned: %s", r.raw)
	}
	// PATCH: 204, then visible; read-only property rejected with Graph's message.
	e.do("PATCH", "/v1.0/users/"+id, map[string]any{"jobTitle": "Engineer"}).must(t, 204)
	if got := e.do("GET", "/v1.0/users/"+id, nil).must(t, 200).body["jobTitle"]; got != "Engineer" {
		t.Errorf("jobTitle = %v after PATCH", got)
	}
	r = e.do("PATCH", "/v1.0/users/"+id, map[string]any{"createdDateTime": "2020-01-01T00:00:00Z"}).must(t, 400)
	if r.errCode() != "Request_BadRequest" || r.errMsg() != "Property 'createdDateTime' is read-only and cannot be set." {
		t.Errorf("read-only error = %s %q", r.errCode(), r.errMsg())
	}
	r = e.do("PATCH", "/v1.0/users/"+id, map[string]any{"favouriteColour": "blue"}).must(t, 400)
	if !strings.Contains(r.errMsg(), "does not exist as a declared property") {
		t.Errorf("unknown property error = %q", r.errMsg())
	}
	// Uniqueness of userPrincipalName, case-insensitive.
	r = e.do("POST", "/v1.0/users", map[string]any{
		"accountEnabled": true, "displayName": "dup", "mailNickname": "alice2",
		"userPrincipalName": "ALICE@" + e.s.Tenant().Domain(), "passwordProfile": map[string]any{"password": "x1!Aaaaa"},
	}).must(t, 400)
	if r.errMsg() != "Another object with the same value for property userPrincipalName already exists." {
		t.Errorf("duplicate UPN error = %q", r.errMsg())
	}
	// A required property missing.
	e.do("POST", "/v1.0/users", map[string]any{"displayName": "x"}).must(t, 400)
	// DELETE 204, then GET 404 Request_ResourceNotFound with innerError.
	e.do("DELETE", "/v1.0/users/"+id, nil).must(t, 204)
	r = e.do("GET", "/v1.0/users/"+id, nil).must(t, 404)
	if r.errCode() != "Request_ResourceNotFound" {
		t.Errorf("code = %s", r.errCode())
	}
	inner, _ := r.body["error"].(map[string]any)["innerError"].(map[string]any)
	if inner["request-id"] == "" || inner["date"] == nil || r.header.Get("request-id") != inner["request-id"] {
		t.Errorf("innerError = %v, header request-id %q", inner, r.header.Get("request-id"))
	}
	// Group mailNickname unique.
	e.newGroup("team", nil)
	e.do("POST", "/v1.0/groups", map[string]any{"displayName": "Other", "mailNickname": "team", "mailEnabled": false, "securityEnabled": true}).must(t, 400)
}

func TestCoreApplicationsAndServicePrincipals(t *testing.T) {
	e := newCoreEnv(t, Options{})
	r := e.do("POST", "/v1.0/applications", map[string]any{
		"displayName": "Payroll", "web": map[string]any{"redirectUris": []string{"https://payroll.example.com/auth"}},
		"identifierUris": []string{"api://payroll"},
	}).must(t, 201)
	appID, objID := str(r.body["appId"]), str(r.body["id"])
	if appID == "" || appID == objID {
		t.Fatalf("appId not set: %s", r.raw)
	}
	// appId is read-only.
	e.do("PATCH", "/v1.0/applications/"+objID, map[string]any{"appId": "00000000-0000-0000-0000-000000000001"}).must(t, 400)
	// identifierUris unique.
	e.do("POST", "/v1.0/applications", map[string]any{"displayName": "Other", "identifierUris": []string{"api://payroll"}}).must(t, 400)
	// Alternate key.
	e.do("GET", "/v1.0/applications(appId='"+appID+"')", nil).must(t, 200)
	// A service principal for an unknown appId is refused; for this one it copies the app.
	e.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": "11111111-1111-1111-1111-111111111111"}).must(t, 400)
	sp := e.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": appID}).must(t, 201)
	if sp.body["appDisplayName"] != "Payroll" || sp.body["servicePrincipalType"] != "Application" {
		t.Errorf("service principal = %s", sp.raw)
	}
	e.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": appID}).must(t, 400) // one SP per app
	// Deleting the application soft-deletes its SP; restoring the app does not restore the SP.
	spID := str(sp.body["id"])
	e.do("DELETE", "/v1.0/applications/"+objID, nil).must(t, 204)
	e.do("GET", "/v1.0/servicePrincipals/"+spID, nil).must(t, 404)
	del := e.do("GET", "/v1.0/directory/deletedItems/microsoft.graph.servicePrincipal", nil).must(t, 200)
	if n := len(asSlice(del.body["value"])); n != 1 {
		t.Errorf("deleted SPs = %d, want 1", n)
	}
	e.do("POST", "/v1.0/directory/deletedItems/"+objID+"/restore", nil).must(t, 200)
	e.do("GET", "/v1.0/applications/"+objID, nil).must(t, 200)
	e.do("GET", "/v1.0/servicePrincipals/"+spID, nil).must(t, 404)
	e.do("POST", "/v1.0/directory/deletedItems/"+spID+"/restore", nil).must(t, 200)
	e.do("GET", "/v1.0/servicePrincipals/"+spID, nil).must(t, 200)
}

func TestCoreListsPagingSelectFilterCount(t *testing.T) {
	e := newCoreEnv(t, Options{})
	// Leave only the seeded users: the empty tenant's first admin goes.
	for _, u := range e.s.Tenant().List("user") {
		e.do("DELETE", "/v1.0/users/"+str(u["id"]), nil).must(t, 204)
	}
	for i := 0; i < 250; i++ {
		_, err := e.s.Tenant().Seed("user", map[string]any{
			"displayName": fmt.Sprintf("User %03d", i), "userPrincipalName": fmt.Sprintf("u%03d@%s", i, e.s.Tenant().Domain()),
			"mailNickname": fmt.Sprintf("u%03d", i), "accountEnabled": true, "department": []string{"Sales", "IT"}[i%2],
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Default page of 100, nextLink with $skiptoken, all pages give every user exactly once.
	seen := map[string]bool{}
	next, pages := "/v1.0/users", 0
	for next != "" {
		r := e.do("GET", next, nil).must(t, 200)
		pages++
		for _, v := range asSlice(r.body["value"]) {
			id := str(v.(map[string]any)["id"])
			if seen[id] {
				t.Fatalf("user %s twice", id)
			}
			seen[id] = true
			if _, ok := v.(map[string]any)["department"]; ok {
				t.Fatalf("department returned without $select: %v", v)
			}
		}
		next = strings.TrimPrefix(str(r.body["@odata.nextLink"]), e.url)
		if next != "" && !strings.Contains(next, "$skiptoken=") && !strings.Contains(next, "%24skiptoken=") {
			t.Fatalf("nextLink without skiptoken: %s", next)
		}
	}
	if len(seen) != 250 || pages != 3 {
		t.Errorf("got %d users in %d pages, want 250 in 3", len(seen), pages)
	}
	// $top bounds.
	if n := len(asSlice(e.do("GET", "/v1.0/users?$top=999", nil).must(t, 200).body["value"])); n != 250 {
		t.Errorf("$top=999 gave %d", n)
	}
	e.do("GET", "/v1.0/users?$top=1000", nil).must(t, 400)
	// $select returns just those properties.
	r := e.do("GET", "/v1.0/users?$top=1&$select=id,department", nil).must(t, 200)
	u := asSlice(r.body["value"])[0].(map[string]any)
	if len(u) != 2 || u["department"] == nil {
		t.Errorf("$select item = %v", u)
	}
	// $filter eq and startswith; an unindexed property is Graph's 400.
	r = e.do("GET", "/v1.0/users?$filter="+urlq("userPrincipalName eq 'u007@"+e.s.Tenant().Domain()+"'"), nil).must(t, 200)
	if n := len(asSlice(r.body["value"])); n != 1 {
		t.Errorf("eq filter gave %d", n)
	}
	r = e.do("GET", "/v1.0/users?$top=999&$filter="+urlq("startswith(displayName,'User 01')"), nil).must(t, 200)
	if n := len(asSlice(r.body["value"])); n != 10 {
		t.Errorf("startswith gave %d, want 10", n)
	}
	r = e.do("GET", "/v1.0/users?$filter="+urlq("createdDateTime eq '2020-01-01'"), nil).must(t, 400)
	if r.errCode() != "Request_UnsupportedQuery" {
		t.Errorf("unindexed filter code = %s", r.errCode())
	}
	// $count=true needs ConsistencyLevel: eventual; the count is on the first page only.
	r = e.do("GET", "/v1.0/users?$count=true", nil).must(t, 200)
	if _, ok := r.body["@odata.count"]; ok {
		t.Error("@odata.count without ConsistencyLevel")
	}
	r = e.do("GET", "/v1.0/users?$count=true&$filter="+urlq("department eq 'IT'"), nil, "ConsistencyLevel", "eventual").must(t, 200)
	if fmt.Sprint(r.body["@odata.count"]) != "125" {
		t.Errorf("@odata.count = %v, want 125", r.body["@odata.count"])
	}
	next = strings.TrimPrefix(str(r.body["@odata.nextLink"]), e.url)
	r2 := e.do("GET", next, nil, "ConsistencyLevel", "eventual").must(t, 200)
	if _, ok := r2.body["@odata.count"]; ok {
		t.Error("@odata.count on a second page")
	}
	// /$count: text/plain with the header, 400 without.
	r = e.do("GET", "/v1.0/users/$count", nil, "ConsistencyLevel", "eventual").must(t, 200)
	if r.raw != "250" {
		t.Errorf("/$count = %q", r.raw)
	}
	if r := e.do("GET", "/v1.0/users/$count", nil).must(t, 400); r.errMsg() != "$count is not currently supported." {
		t.Errorf("/$count without header: %q", r.errMsg())
	}
	// ne needs advanced query parameters.
	e.do("GET", "/v1.0/users?$filter="+urlq("department ne 'IT'"), nil).must(t, 400)
}

func urlq(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, " ", "%20"), "'", "%27") }

func TestCoreMembership(t *testing.T) {
	e := newCoreEnv(t, Options{})
	g := e.newGroup("sec", nil)
	m365 := e.newGroup("m365", map[string]any{"groupTypes": []string{"Unified"}, "mailEnabled": true})
	u1, u2 := e.newUser("u1"), e.newUser("u2")
	ref := func(id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}
	}
	e.do("POST", "/v1.0/groups/"+g+"/members/$ref", ref(u1)).must(t, 204)
	r := e.do("POST", "/v1.0/groups/"+g+"/members/$ref", ref(u1)).must(t, 400)
	if r.errMsg() != "One or more added object references already exist for the following modified properties: 'members'." {
		t.Errorf("duplicate add: %q", r.errMsg())
	}
	e.do("POST", "/v1.0/groups/"+g+"/members/$ref", ref("00000000-0000-0000-0000-00000000dead")).must(t, 404)
	// Nested group, M365 group takes users only and cannot be a member of a security group.
	e.do("POST", "/v1.0/groups/"+m365+"/members/$ref", ref(g)).must(t, 400)
	e.do("POST", "/v1.0/groups/"+g+"/members/$ref", ref(m365)).must(t, 400)
	e.do("POST", "/v1.0/groups/"+m365+"/members/$ref", ref(u2)).must(t, 204)
	// members@odata.bind in PATCH, at most 20 link changes.
	e.do("PATCH", "/v1.0/groups/"+g, map[string]any{"members@odata.bind": []string{"https://graph.microsoft.com/v1.0/directoryObjects/" + u2}}).must(t, 204)
	var many []string
	for i := 0; i < 21; i++ {
		many = append(many, "https://graph.microsoft.com/v1.0/directoryObjects/"+u1)
	}
	if r := e.do("PATCH", "/v1.0/groups/"+g, map[string]any{"members@odata.bind": many}).must(t, 400); !strings.Contains(r.errMsg(), "20 link changes") {
		t.Errorf("link limit: %q", r.errMsg())
	}
	r = e.do("GET", "/v1.0/groups/"+g+"/members", nil).must(t, 200)
	if n := len(asSlice(r.body["value"])); n != 2 {
		t.Errorf("members = %d, want 2: %s", n, r.raw)
	}
	if typ := asSlice(r.body["value"])[0].(map[string]any)["@odata.type"]; typ != "#microsoft.graph.user" {
		t.Errorf("member @odata.type = %v", typ)
	}
	// Remove, and remove again (missing reference).
	e.do("DELETE", "/v1.0/groups/"+g+"/members/"+u1+"/$ref", nil).must(t, 204)
	r = e.do("DELETE", "/v1.0/groups/"+g+"/members/"+u1+"/$ref", nil)
	if r.status < 400 || !strings.Contains(r.errMsg(), "removed object references do not exist") {
		t.Errorf("remove missing: %d %q", r.status, r.errMsg())
	}
	// A soft-deleted member disappears from the list and returns with its restore.
	e.do("DELETE", "/v1.0/users/"+u2, nil).must(t, 204)
	if n := len(asSlice(e.do("GET", "/v1.0/groups/"+g+"/members", nil).body["value"])); n != 0 {
		t.Errorf("members after member deleted = %d", n)
	}
	e.do("POST", "/v1.0/directory/deletedItems/"+u2+"/restore", nil).must(t, 200)
	if n := len(asSlice(e.do("GET", "/v1.0/groups/"+g+"/members", nil).body["value"])); n != 1 {
		t.Errorf("members after member restored = %d", n)
	}
}

func TestCoreSoftDeleteWindow(t *testing.T) {
	e := newCoreEnv(t, Options{})
	u := e.newUser("temp")
	e.do("DELETE", "/v1.0/users/"+u, nil).must(t, 204)
	e.do("GET", "/v1.0/directory/deletedItems", nil).must(t, 400) // the cast is required
	r := e.do("GET", "/v1.0/directory/deletedItems/microsoft.graph.user", nil).must(t, 200)
	if v := asSlice(r.body["value"]); len(v) != 1 || v[0].(map[string]any)["deletedDateTime"] == nil {
		t.Fatalf("deleted users = %s", r.raw)
	}
	// Restorable for 30 days by the server clock, then purged.
	e.s.Clock().Advance(29 * 24 * time.Hour)
	e.do("GET", "/v1.0/directory/deletedItems/"+u, nil).must(t, 200)
	e.s.Clock().Advance(2 * 24 * time.Hour)
	e.do("GET", "/v1.0/directory/deletedItems/"+u, nil).must(t, 404)
	e.do("POST", "/v1.0/directory/deletedItems/"+u+"/restore", nil).must(t, 404)
	// Purge by DELETE.
	u2 := e.newUser("temp2")
	e.do("DELETE", "/v1.0/users/"+u2, nil).must(t, 204)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+u2, nil).must(t, 204)
	e.do("POST", "/v1.0/directory/deletedItems/"+u2+"/restore", nil).must(t, 404)
}

func TestCoreConditionalAccess(t *testing.T) {
	e := newCoreEnv(t, Options{CARecycleBinAppOnly: true}) // the recycle bin as a future Graph may allow it
	g := e.newGroup("cagroup", nil)
	loc := e.do("POST", "/v1.0/identity/conditionalAccess/namedLocations", map[string]any{
		"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "HQ", "isTrusted": true,
		"ipRanges": []any{map[string]any{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}},
	}).must(t, 201)
	locID := str(loc.body["id"])
	if loc.body["@odata.type"] != "#microsoft.graph.ipNamedLocation" {
		t.Errorf("named location type = %v", loc.body["@odata.type"])
	}
	e.do("POST", "/v1.0/identity/conditionalAccess/namedLocations", map[string]any{"displayName": "no type"}).must(t, 400)
	policy := func(group string) map[string]any {
		return map[string]any{
			"displayName": "Require MFA", "state": "enabled",
			"conditions": map[string]any{
				"users":        map[string]any{"includeUsers": []string{"All"}, "excludeGroups": []string{group}},
				"applications": map[string]any{"includeApplications": []string{"All"}},
				"locations":    map[string]any{"includeLocations": []string{"All"}, "excludeLocations": []string{locID}},
			},
			"grantControls": map[string]any{"operator": "OR", "builtInControls": []string{"mfa"}},
		}
	}
	e.do("POST", "/v1.0/identity/conditionalAccess/policies", policy("00000000-0000-0000-0000-00000000beef")).must(t, 400)
	p := e.do("POST", "/v1.0/identity/conditionalAccess/policies", policy(g)).must(t, 201)
	pid := str(p.body["id"])
	// A named location in use cannot be deleted.
	e.do("DELETE", "/v1.0/identity/conditionalAccess/namedLocations/"+locID, nil).must(t, 400)
	e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+pid, map[string]any{"state": "disabled"}).must(t, 204)
	// Soft delete to the CA recycle bin and restore with the same id.
	e.do("DELETE", "/v1.0/identity/conditionalAccess/policies/"+pid, nil).must(t, 204)
	e.do("GET", "/v1.0/identity/conditionalAccess/policies/"+pid, nil).must(t, 404)
	r := e.do("GET", "/beta/identity/conditionalAccess/deletedItems/policies", nil).must(t, 200)
	if n := len(asSlice(r.body["value"])); n != 1 {
		t.Fatalf("deleted policies = %d", n)
	}
	r = e.do("POST", "/beta/identity/conditionalAccess/deletedItems/policies/"+pid+"/restore", nil).must(t, 200)
	if str(r.body["id"]) != pid {
		t.Errorf("restored id = %v, want %s", r.body["id"], pid)
	}
	if got := e.do("GET", "/v1.0/identity/conditionalAccess/policies/"+pid, nil).must(t, 200).body["state"]; got != "disabled" {
		t.Errorf("restored state = %v", got)
	}
}

func TestCoreEventualConsistency(t *testing.T) {
	e := newCoreEnv(t, Options{EventualConsistency: 5 * time.Second})
	g := e.newGroup("lg", nil)
	ref := func(id string) map[string]any {
		return map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id}
	}
	errOf := func(r coreResp) (code, msg any) {
		er, _ := r.body["error"].(map[string]any)
		return er["code"], er["message"]
	}
	e.do("GET", "/v1.0/groups/"+g, nil).must(t, 404)
	e.s.Clock().Advance(6 * time.Second)
	id := e.newUser("late")
	e.do("GET", "/v1.0/users/"+id, nil).must(t, 404)
	// A reference to an object not yet replicated: Graph's 400, not a 404.
	r := e.do("POST", "/v1.0/groups/"+g+"/members/$ref", ref(id)).must(t, 400)
	if code, msg := errOf(r); code != "Request_BadRequest" ||
		msg != "One or more added object references do not exist for the following modified properties: 'members'." {
		t.Errorf("reference to a lagging object: %s", r.raw)
	}
	e.do("PATCH", "/v1.0/groups/"+g, map[string]any{"members@odata.bind": []any{"https://graph.microsoft.com/v1.0/directoryObjects/" + id}}).must(t, 400)
	// An object that does not exist at all is still 404.
	e.do("POST", "/v1.0/groups/"+g+"/members/$ref", ref("00000000-0000-0000-0000-00000000beef")).must(t, 404)
	// A group not yet replicated, as the source of a reference write: 400.
	g2 := e.newGroup("lg2", nil)
	r = e.do("POST", "/v1.0/groups/"+g2+"/owners/$ref", ref(id)).must(t, 400)
	if code, _ := errOf(r); code != "Request_BadRequest" {
		t.Errorf("reference write on a lagging group: %s", r.raw)
	}
	e.s.Clock().Advance(6 * time.Second)
	e.do("GET", "/v1.0/users/"+id, nil).must(t, 200)
	e.do("POST", "/v1.0/groups/"+g+"/members/$ref", ref(id)).must(t, 204)
}

func TestCoreRoutingErrors(t *testing.T) {
	e := newCoreEnv(t, Options{})
	e.do("GET", "/v1.0/nonsense", nil).must(t, 400)
	e.do("GET", "/v2.0/users", nil).must(t, 400)
	e.do("PUT", "/v1.0/users", nil).must(t, 405)
	e.do("POST", "/v1.0/users", "{not json").must(t, 400)
	req, _ := http.NewRequest("GET", e.url+"/v1.0/users", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
}

func TestCoreAuthenticationMethodsPolicyInline(t *testing.T) {
	e := newCoreEnv(t, Options{})
	r := e.do("GET", "/v1.0/policies/authenticationMethodsPolicy", nil).must(t, 200)
	cfgs := asSlice(r.body["authenticationMethodConfigurations"])
	if len(cfgs) < 5 {
		t.Fatalf("inline configurations = %d: %s", len(cfgs), r.raw)
	}
	first := cfgs[0].(map[string]any)
	if !strings.HasSuffix(str(first["@odata.type"]), "AuthenticationMethodConfiguration") {
		t.Errorf("configuration without its derived @odata.type: %v", first)
	}
	id := str(first["id"])
	e.do("PATCH", "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/"+id,
		map[string]any{"@odata.type": first["@odata.type"], "state": "disabled"}).must(t, 204)
	r = e.do("GET", "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/"+id, nil).must(t, 200)
	if r.body["state"] != "disabled" {
		t.Errorf("state after PATCH = %v", r.body["state"])
	}
}
