package graphsim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim/builtin"
)

// psSave saves s's tenant.
func psSave(t *testing.T, s *Server) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.Tenant().Save(&b); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return b.Bytes()
}

// psLoad starts a server from a saved state with the clock frozen at now.
func psLoad(t *testing.T, state []byte, now time.Time) *Server {
	t.Helper()
	s, err := New(Options{State: bytes.NewReader(state), Now: now, CARecycleBinAppOnly: true})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return s
}

// psDeltaLink runs a delta round from path and returns the deltaLink as a
// path (with query) on graph.test.
func psDeltaLink(t *testing.T, s *Server, path string) string {
	t.Helper()
	for i := 0; i < 100; i++ {
		m := genJSON(t, s, "GET", path, nil, 200)
		if dl := str(m["@odata.deltaLink"]); dl != "" {
			return strings.TrimPrefix(dl, "http://graph.test")
		}
		path = strings.TrimPrefix(str(m["@odata.nextLink"]), "http://graph.test")
		if path == "" {
			t.Fatalf("delta page has neither nextLink nor deltaLink: %v", m)
		}
	}
	t.Fatal("delta round does not end")
	return ""
}

func TestPersistRoundTripAnswersIdentically(t *testing.T) {
	s := genServer(t, Options{Profile: "demo", Seed: 4, CARecycleBinAppOnly: true})
	tn := s.Tenant()
	usersDelta := psDeltaLink(t, s, "/v1.0/users/delta")

	// Some history: soft-deleted objects, a PATCH, a new member.
	var deletedUser string
	for _, u := range tn.List("user") {
		if u["userType"] == "Member" && u["onPremisesSyncEnabled"] == nil && str(u["department"]) != "" {
			deletedUser = str(u["id"])
			break
		}
	}
	deletedCA := str(tn.List("conditionalAccessPolicy")[1]["id"])
	allCompany := tn.FindBy("group", "displayName", "All Company")
	pilot := tn.FindBy("group", "displayName", "CA Pilot - Compliant Devices")
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"DELETE", "/v1.0/users/" + deletedUser, nil},
		{"DELETE", "/v1.0/identity/conditionalAccess/policies/" + deletedCA, nil},
		{"PATCH", "/v1.0/groups/" + allCompany, map[string]any{"description": "Everyone, everywhere."}},
		{"POST", "/v1.0/groups/" + pilot + "/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + str(tn.List("user")[0]["id"])}},
	} {
		if code, raw := genDo(t, s, c.method, c.path, c.body); code != 204 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, code, raw)
		}
	}
	s.Clock().Advance(time.Hour)
	state := psSave(t, s)

	loaded := psLoad(t, state, genEpoch) // behind the saved time: moved forward
	if got, want := loaded.Clock().Now(), s.Clock().Now(); !got.Equal(want) {
		t.Errorf("loaded clock %v, want the saved time %v", got, want)
	}
	lt := loaded.Tenant()
	if lt.ID() != tn.ID() || lt.Domain() != tn.Domain() || lt.Name() != tn.Name() {
		t.Errorf("loaded tenant %s %s %s, want %s %s %s", lt.ID(), lt.Name(), lt.Domain(), tn.ID(), tn.Name(), tn.Domain())
	}
	for _, kind := range KindNames() {
		a, _ := json.Marshal(tn.List(kind))
		b, _ := json.Marshal(lt.List(kind))
		if !bytes.Equal(a, b) {
			t.Errorf("List(%s) differs after load: %s", kind, genFirstDiff(a, b))
		}
	}
	graphSP := tn.FindBy("servicePrincipal", "appId", builtin.MicrosoftGraphAppID)
	for _, p := range []string{
		"/v1.0/users",
		"/v1.0/users?$select=id,displayName,department,accountEnabled&$top=40",
		"/v1.0/users/" + str(tn.List("user")[3]["id"]),
		"/v1.0/groups",
		"/v1.0/groups/" + allCompany,
		"/v1.0/groups/" + allCompany + "/members?$top=999",
		"/v1.0/groups/" + pilot + "/members",
		"/v1.0/groups/" + pilot + "/owners",
		"/v1.0/applications",
		"/v1.0/servicePrincipals",
		"/v1.0/servicePrincipals/" + graphSP + "/appRoleAssignedTo",
		"/v1.0/oauth2PermissionGrants",
		"/v1.0/identity/conditionalAccess/policies",
		"/v1.0/identity/conditionalAccess/namedLocations",
		"/beta/identity/conditionalAccess/deletedItems/policies",
		"/v1.0/directory/deletedItems/microsoft.graph.user",
		"/v1.0/directory/administrativeUnits",
		"/v1.0/roleManagement/directory/roleAssignments",
		"/v1.0/roleManagement/directory/roleDefinitions?$filter=isBuiltIn eq false",
		"/v1.0/roleManagement/directory/roleEligibilitySchedules",
		"/v1.0/policies/authorizationPolicy",
		"/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations",
		"/v1.0/policies/authenticationStrengthPolicies",
		"/v1.0/policies/crossTenantAccessPolicy/partners",
		"/v1.0/policies/tokenLifetimePolicies",
		"/v1.0/groupSettings",
		"/v1.0/domains",
		"/v1.0/organization",
		usersDelta, // a delta token issued before the save
	} {
		p = strings.ReplaceAll(p, " ", "%20")
		c1, b1 := genDo(t, s, "GET", p, nil)
		c2, b2 := genDo(t, loaded, "GET", p, nil)
		if c1 != 200 || c2 != 200 || !bytes.Equal(b1, b2) {
			t.Errorf("GET %s: saved tenant %d, loaded %d: %s", p, c1, c2, genFirstDiff(b1, b2))
		}
	}
	if again := psSave(t, loaded); !bytes.Equal(state, again) {
		t.Errorf("saving the loaded tenant changes the state: %s", genFirstDiff(state, again))
	}

	// The loaded tenant goes on making the ids the saved one would have made.
	newUser := map[string]any{"accountEnabled": true, "displayName": "After Load", "mailNickname": "after.load",
		"userPrincipalName": "after.load@" + tn.Domain(), "passwordProfile": map[string]any{"password": "Xy!12345678"}}
	a := genJSON(t, s, "POST", "/v1.0/users", newUser, 201)
	b := genJSON(t, loaded, "POST", "/v1.0/users", newUser, 201)
	if a["id"] != b["id"] {
		t.Errorf("a user created after load has id %v, the saved tenant gives %v", b["id"], a["id"])
	}

	// Soft-deleted objects restore after a load.
	genJSON(t, loaded, "POST", "/v1.0/directory/deletedItems/"+deletedUser+"/restore", nil, 200)
	genJSON(t, loaded, "GET", "/v1.0/users/"+deletedUser, nil, 200)
	genJSON(t, loaded, "POST", "/beta/identity/conditionalAccess/deletedItems/policies/"+deletedCA+"/restore", nil, 200)
	genJSON(t, loaded, "GET", "/v1.0/identity/conditionalAccess/policies/"+deletedCA, nil, 200)
}

func TestPersistClientsWithoutSecretText(t *testing.T) {
	s := genServer(t, Options{Profile: "demo", Seed: 4})
	tn := s.Tenant()
	appID := str(tn.List("application")[0]["appId"])
	secret, err := tn.AddClientSecret(appID)
	if err != nil {
		t.Fatal(err)
	}
	state := psSave(t, s)
	if bytes.Contains(state, []byte(secret)) {
		t.Fatal("the saved state contains a client secret's text")
	}
	var saved struct {
		Clients map[string]json.RawMessage `json:"clients"`
	}
	if err := json.Unmarshal(state, &saved); err != nil {
		t.Fatal(err)
	}
	if len(saved.Clients[appID]) == 0 {
		t.Fatalf("the saved clients have no entry for %s: %v", appID, saved.Clients)
	}
	lt := psLoad(t, state, genEpoch).Tenant()
	before, _ := json.Marshal(tn.clients)
	after, _ := json.Marshal(lt.clients)
	if !bytes.Equal(before, after) {
		t.Errorf("clients after load:\n %s\nwant\n %s", after, before)
	}
}

func TestPersistTrimmedChangeLog(t *testing.T) {
	defer func(n int) { maxSavedChanges = n }(maxSavedChanges)
	maxSavedChanges = 20

	s := genServer(t, Options{Profile: "demo", Seed: 4})
	tn := s.Tenant()
	oldLink := psDeltaLink(t, s, "/v1.0/users/delta")
	var users []map[string]any // cloud users: synced ones refuse most PATCHes
	for _, u := range tn.List("user") {
		if u["onPremisesSyncEnabled"] == nil {
			users = append(users, u)
		}
	}
	for i := 0; i < 30; i++ {
		u := str(users[1+i%len(users[1:])]["id"])
		if code, raw := genDo(t, s, "PATCH", "/v1.0/users/"+u, map[string]any{"jobTitle": "Title " + itoa(i)}); code != 204 {
			t.Fatalf("PATCH: %d %s", code, raw)
		}
	}
	newLink := psDeltaLink(t, s, oldLink)
	changed := str(users[2]["id"])
	if code, raw := genDo(t, s, "PATCH", "/v1.0/users/"+changed, map[string]any{"officeLocation": "Moved"}); code != 204 {
		t.Fatalf("PATCH: %d %s", code, raw)
	}
	state := psSave(t, s)
	loaded := psLoad(t, state, genEpoch)
	if n := len(loaded.Tenant().changes); n != 20 {
		t.Errorf("loaded change log has %d entries, want the newest 20", n)
	}

	if code, raw := genDo(t, loaded, "GET", oldLink, nil); code != 410 || !strings.Contains(string(raw), "resyncRequired") {
		t.Errorf("a delta token older than the saved log: %d %s, want 410 resyncRequired", code, raw)
	}
	if code, _ := genDo(t, s, "GET", oldLink, nil); code != 200 {
		t.Errorf("the same token on the saved tenant: %d, want 200", code)
	}
	m := genJSON(t, loaded, "GET", newLink, nil, 200)
	items := asSlice(m["value"])
	if len(items) != 1 || str(items[0].(map[string]any)["id"]) != changed {
		t.Errorf("a delta token within the saved log reports %v, want the one user changed after it (%s)", items, changed)
	}
}

func TestPersistClockNeverRunsBack(t *testing.T) {
	s := genServer(t, Options{Seed: 1})
	s.Clock().Advance(40 * 24 * time.Hour)
	state := psSave(t, s)
	saved := s.Clock().Now()
	if got := psLoad(t, state, genEpoch).Clock().Now(); !got.Equal(saved) {
		t.Errorf("loaded with an earlier clock: now %v, want the saved %v", got, saved)
	}
	later := saved.Add(time.Hour)
	if got := psLoad(t, state, later).Clock().Now(); !got.Equal(later) {
		t.Errorf("loaded with a later clock: now %v, want it kept at %v", got, later)
	}
}

func TestPersistLargeRoundTrip(t *testing.T) {
	s := genServer(t, Options{Profile: "large", Seed: 2, Sizes: Sizes{Users: 150, Groups: 20, MembersPerGroup: 5, Apps: 4, CAPolicies: 3}})
	state := psSave(t, s)
	if again := psSave(t, psLoad(t, state, genEpoch)); !bytes.Equal(state, again) {
		t.Errorf("save → load → save differs: %s", genFirstDiff(state, again))
	}
}

func TestPersistRejectsBadState(t *testing.T) {
	const hdr = `{"format":"graphsim-tenant","version":1,"tenant":{"id":"11111111-2222-4333-8444-555555555555","name":"X","domain":"x.onmicrosoft.com"},"seq":9,`
	user := func(seq int, id string) string {
		return `{"seq":` + itoa(seq) + `,"obj":{"id":"` + id + `","displayName":"U"}}`
	}
	valid := psSave(t, genServer(t, Options{Seed: 1}))
	for _, tc := range []struct {
		name, state, want string
	}{
		{"empty", "", "the state is empty"},
		{"not JSON", "hello", "not JSON"},
		{"array", "[]", "must be a JSON object"},
		{"newer version", `{"format":"graphsim-tenant","version":2,"tenant":{}}`, "unsupported format version 2: this graphsim reads version 1"},
		{"other format", `{"format":"something-else","version":1}`, `format is "something-else"`},
		{"no header", `{"tenant":{"id":"x","domain":"y"}}`, `member "tenant" comes before "format" and "version"`},
		{"tenant without id", `{"format":"graphsim-tenant","version":1,"tenant":{"name":"X"},"seq":1,"collections":[]}`, `"tenant" needs an id and a domain`},
		{"unknown member", hdr + `"collections":[],"extra":1}`, `unknown member "extra"`},
		{"duplicate member", hdr + `"seq":3,"collections":[]}`, `member "seq" appears twice`},
		{"missing collections", hdr[:len(hdr)-1] + `}`, `member "collections" is missing`},
		{"unknown kind", hdr + `"collections":[{"kind":"printer","records":[]}]}`, `collections[0]: unknown kind "printer"`},
		{"record without key", hdr + `"collections":[{"kind":"user","records":[{"seq":1,"obj":{"displayName":"U"}}]}]}`, `collections[0] (user) record 0: obj has no "id"`},
		{"record without obj", hdr + `"collections":[{"kind":"user","records":[{"seq":1}]}]}`, `"obj" is missing`},
		{"unknown record field", hdr + `"collections":[{"kind":"user","records":[{"seq":1,"objx":{}}]}]}`, `unknown field "objx"`},
		{"records out of order", hdr + `"collections":[{"kind":"user","records":[` + user(3, "a") + `,` + user(2, "b") + `]}]}`, "seq 2 is not after 3"},
		{"duplicate key", hdr + `"collections":[{"kind":"user","records":[` + user(1, "a") + `,` + user(2, "A") + `]}]}`, `a second user with key "A"`},
		{"seq beyond counter", hdr + `"collections":[{"kind":"user","records":[` + user(12, "a") + `]}]}`, "has seq 12, after the tenant's seq 9"},
		{"bin without deletedAt", hdr + `"collections":[],"recycleBin":[{"kind":"group","seq":1,"obj":{"id":"g"}}]}`, `recycleBin[0] (group g): "deletedAt" is missing`},
		{"bin of a hard-deleted kind", hdr + `"collections":[],"recycleBin":[{"kind":"unifiedRoleDefinition","seq":1,"obj":{"id":"r"},"deletedAt":"2025-01-01T00:00:00Z"}]}`, "a unifiedRoleDefinition is never soft-deleted"},
		{"changes out of order", hdr + `"collections":[],"changes":[{"seq":5,"kind":"user","id":"a","op":"upsert","at":"2025-01-01T00:00:00Z"},{"seq":4,"kind":"user","id":"a","op":"upsert","at":"2025-01-01T00:00:00Z"}]}`, "changes[1]: seq 4 is out of order"},
		{"bad rng", hdr + `"rng":"AAAA","collections":[]}`, `"rng": not a generator state`},
		{"wrong value type", hdr + `"collections":[{"kind":"user","records":[{"seq":"one","obj":{}}]}]}`, `"collections[0]" (near byte`},
		{"trailing data", hdr + `"collections":[]} {}`, "unexpected data after the state object"},
		{"truncated", string(valid[:len(valid)/2]), "the file ends too early"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{State: strings.NewReader(tc.state)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load: %v\nwant an error containing %q", err, tc.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "graphsim: load state: ") {
				t.Errorf("error %q does not say it is about the saved state", err)
			}
		})
	}
}
