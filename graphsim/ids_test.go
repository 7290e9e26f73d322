package graphsim

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
)

// upcoming is every GUID the id generator of tn can produce from its next
// n draws, whatever other uses of the generator (security identifiers,
// secrets) come in between: a GUID is two consecutive 64-bit draws, so each
// consecutive pair of the stream of a copy of its state.
func upcoming(t *testing.T, tn *Tenant, n int) []string {
	t.Helper()
	tn.mu.Lock()
	state, err := tn.pcg.MarshalBinary()
	tn.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	pcg := rand.NewPCG(0, 0)
	if err := pcg.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	vals := make([]uint64, n)
	for i := range vals {
		vals[i] = pcg.Uint64()
	}
	var out []string
	for i := 0; i+1 < n; i++ {
		var b [16]byte
		for j := 0; j < 8; j++ {
			b[j] = byte(vals[i] >> (8 * j))
			b[8+j] = byte(vals[i+1] >> (8 * j))
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		out = append(out, fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
	}
	return out
}

// A tenant loaded from a snapshot (profile none, filled through Seed, as
// rehearse does) is seeded like a generated one, so its objects may hold
// exactly the ids the generator draws next. Objects created afterwards, of
// every kind, must still get ids that nothing in the tenant holds: not a
// key of any kind (directory objects, Conditional Access policies, named
// locations), not a soft-deleted object's, not an id inside an object
// (appRoles, appId, keyIds), not a held item's, not a link target's, and
// not each other's; the same after the tenant is saved and loaded again.
func TestNewIDsAvoidEveryIDHeldInALoadedTenant(t *testing.T) {
	opts := Options{Profile: "none", Seed: 1, TenantID: "0b6a8a49-7d31-4c6e-9a55-3b0c5f0e2a11", Domain: "contoso.onmicrosoft.com"}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tn := s.Tenant()
	next := upcoming(t, tn, 400)
	held := map[string]bool{strings.ToLower(opts.TenantID): true}
	pool := next
	take := func() string {
		id := pool[0]
		pool = pool[1:]
		held[id] = true
		return id
	}
	seed := func(kind string, obj map[string]any) {
		t.Helper()
		if _, err := tn.Seed(kind, obj); err != nil {
			t.Fatal(err)
		}
	}
	seed("domain", map[string]any{"id": opts.Domain, "isVerified": true, "isDefault": true, "isInitial": true})
	var users []string
	for len(pool) > 0 {
		// Upper case in the snapshot: ids compare without case.
		u := take()
		users = append(users, u)
		seed("user", map[string]any{"id": strings.ToUpper(u), "displayName": "U " + u, "userPrincipalName": "u" + u[:8] + "@" + opts.Domain, "accountEnabled": true, "mailNickname": "u" + u[:8]})
		g := take()
		seed("group", map[string]any{"id": g, "displayName": "G", "mailNickname": "g" + g[:8], "mailEnabled": false, "securityEnabled": true})
		loc := take()
		seed("namedLocation", map[string]any{"id": loc, "@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "L " + loc, "countriesAndRegions": []any{"FR"}})
		seed("conditionalAccessPolicy", map[string]any{"id": take(), "displayName": "P", "state": "disabled",
			"conditions": map[string]any{"users": map[string]any{"includeUsers": []any{take()}}, "locations": map[string]any{"includeLocations": []any{loc}}}})
		app := take()
		seed("application", map[string]any{"id": app, "appId": take(), "displayName": "A " + app,
			"appRoles": []any{map[string]any{"id": take(), "value": "r", "displayName": "r", "allowedMemberTypes": []any{"User"}, "isEnabled": true}}})
		if err := tn.SeedHeld("application", app, "federatedIdentityCredentials", map[string]any{"id": take(), "name": "f", "issuer": "https://i", "subject": "s", "audiences": []any{"api://AzureADTokenExchange"}}); err != nil {
			t.Fatal(err)
		}
		grp := take()
		seed("group", map[string]any{"id": grp, "displayName": "G2", "mailNickname": "h" + grp[:8], "mailEnabled": false, "securityEnabled": true})
		if err := tn.SeedLink("group", grp, "members", take()); err != nil { // a member the snapshot lacks
			t.Fatal(err)
		}
		if len(pool) < 12 {
			break
		}
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	e := &coreEnv{t: t, s: s, url: ts.URL}
	// A soft-deleted user holds its id in the recycle bin.
	e.do("DELETE", "/v1.0/users/"+users[0], nil).must(t, 204)

	created := map[string]string{}
	check := func(what string, ids ...string) {
		t.Helper()
		for _, id := range ids {
			if id == "" {
				t.Fatalf("%s: no id", what)
			}
			l := strings.ToLower(id)
			if held[l] {
				t.Errorf("%s got id %s, which the loaded tenant already holds", what, id)
			}
			if prev, ok := created[l]; ok {
				t.Errorf("%s got id %s, already given to %s", what, id, prev)
			}
			created[l] = what
		}
	}
	createAll := func(round string) {
		for i := 0; i < 3; i++ {
			n := fmt.Sprintf("%s%d", round, i)
			check("user "+n, e.newUser("nu"+n))
			check("group "+n, e.newGroup("ng"+n, nil))
			r := e.do("POST", "/v1.0/identity/conditionalAccess/namedLocations", map[string]any{
				"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "new " + n, "countriesAndRegions": []any{"DE"},
			}).must(t, 201)
			check("named location "+n, str(r.body["id"]))
			r = e.do("POST", "/v1.0/identity/conditionalAccess/policies", map[string]any{
				"displayName": "new " + n, "state": "disabled",
				"conditions":    map[string]any{"users": map[string]any{"includeUsers": []any{"All"}}, "applications": map[string]any{"includeApplications": []any{"All"}}},
				"grantControls": map[string]any{"operator": "OR", "builtInControls": []any{"mfa"}},
			}).must(t, 201)
			check("conditional access policy "+n, str(r.body["id"]))
			id, appID := e.newApplication("new " + n)
			check("application "+n, id)
			check("appId of application "+n, appID)
			r = e.do("POST", "/v1.0/applications/"+id+"/federatedIdentityCredentials", fic("f"+n, "repo:o/r:"+n)).must(t, 201)
			check("federated identity credential "+n, str(r.body["id"]))
		}
	}
	createAll("a")

	// Saved and loaded again: the set is rebuilt from the records, which
	// now include objects holding the ids the generator draws next.
	for _, id := range upcoming(t, tn, 60) {
		held[id] = true
		seed("group", map[string]any{"id": id, "displayName": "G3", "mailNickname": "k" + id[:8], "mailEnabled": false, "securityEnabled": true})
	}
	// And ids no object holds, reserved (as a rehearsal reserves the ids
	// its repository mentions), are saved with the tenant.
	reserved := upcoming(t, tn, 300)
	tn.ReserveIDs(reserved...)
	for _, id := range reserved {
		held[id] = true
	}
	var buf bytes.Buffer
	if err := tn.Save(&buf); err != nil {
		t.Fatal(err)
	}
	for id := range created {
		held[id] = true
	}
	created = map[string]string{}
	s2, err := New(Options{State: &buf, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(s2)
	t.Cleanup(ts2.Close)
	e.s, e.url = s2, ts2.URL
	createAll("b")
}
