package importer

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// TestRestoreOfUsersReadsWhatItRestores: a restore of 8 deleted users
// (some with a manager or sponsors) reads those users by id (byid.go) in
// its plan, in apply's check that the tenant did not change and in its
// verification, not every user of the tenant: plan and apply cost the same
// requests and resource units (within a few) in a tenant of 150 users and
// in one of 900, and the users are back, verified. (Reading users whole,
// the larger tenant cost three full reads more.)
func TestRestoreOfUsersReadsWhatItRestores(t *testing.T) {
	type cost struct{ requests, units int }
	var costs []cost
	for _, size := range []int{150, 900} {
		e := exportedEnv(t, graphsim.Options{Sizes: graphsim.Sizes{Users: size, Groups: 10, MembersPerGroup: 20}}, nil)
		var victims []string
		managed, sponsored := 0, 0
		users := e.list("/v1.0/users?$select=id,onPremisesSyncEnabled&$expand=sponsors&$top=100")
		for pass := 0; pass < 2; pass++ { // those with sponsors first
			for _, u := range users {
				id, _ := u["id"].(string)
				s, _ := u["sponsors"].([]any)
				if u["onPremisesSyncEnabled"] == true || len(victims) == 8 || (pass == 0) != (len(s) > 0) || pass == 0 && sponsored == 3 {
					continue
				}
				if len(s) > 0 {
					sponsored++
				}
				if _, err := e.c.Get(context.Background(), "/v1.0/users/"+id+"/manager?$select=id"); err == nil {
					managed++
				}
				victims = append(victims, id)
			}
		}
		if len(victims) < 8 || managed == 0 || sponsored == 0 {
			t.Fatalf("%d users: %d victims, %d with a manager, %d with sponsors: the test covers too little", size, len(victims), managed, sponsored)
		}
		for _, id := range victims {
			e.do("DELETE", "/v1.0/users/"+id, nil)
		}
		e.sim.ResetStats()
		p := e.plan(e.first, victims, Options{})
		restores := 0
		for _, a := range p.Actions {
			if a.Op == OpRestore && a.Kind == "users" {
				restores++
			}
		}
		if restores != len(victims) {
			t.Fatalf("%d users: %d restores planned, want %d:\n%s", size, restores, len(victims), render(p))
		}
		requests, units := applyCost(t, e, p, fmt.Sprintf("%d users", size))
		costs = append(costs, cost{requests, units})
	}
	small, large := costs[0], costs[1]
	t.Logf("restore of 8 users: %+v at 150 users, %+v at 900", small, large)
	if large.requests > small.requests+10 || large.units > small.units+20 {
		t.Errorf("restore of 8 users: %d requests (%d units) at 900 users, %d (%d) at 150: reads grow with the tenant", large.requests, large.units, small.requests, small.units)
	}
}

// TestInDoubtUserCreateNotTakenForANamesake: a user recreated by a restore
// that reads users by id, whose create's answer is lost, is found as the
// user Graph made, not confused with a user of the same name that was in
// the tenant before and that the plan did not read by id: the plan's
// checks ask for the users holding the name of each user they create
// (namedBefore). Without that, both users fit and the create is left
// failed, naming two candidates.
func TestInDoubtUserCreateNotTakenForANamesake(t *testing.T) {
	lf := &loseFirst{made: true, match: func(r *http.Request) bool { return r.Method == "POST" && r.URL.Path == "/v1.0/users" }}
	e := newEnv(t, graphsim.Options{Profile: "demo", Seed: 1, Now: simtest.Now}, lf.wrap)
	var victim map[string]any
	for _, u := range e.list("/v1.0/users?$select=id,displayName,userPrincipalName,mailNickname,userType,onPremisesSyncEnabled") {
		if u["onPremisesSyncEnabled"] != true && str(u["userType"]) != "Guest" {
			victim = u
			break
		}
	}
	if victim == nil {
		t.Fatal("no cloud member user")
	}
	id, name := str(victim["id"]), str(victim["displayName"])
	e.do("POST", "/v1.0/users", map[string]any{"displayName": name, "accountEnabled": false, "mailNickname": "namesake",
		"userPrincipalName": "namesake@" + strings.SplitN(str(victim["userPrincipalName"]), "@", 2)[1],
		"passwordProfile":   map[string]any{"password": "Namesake-Passw0rd!", "forceChangePasswordNextSignIn": true}})
	var namesake string
	for _, u := range e.list("/v1.0/users?$select=id,mailNickname") {
		if str(u["mailNickname"]) == "namesake" {
			namesake = str(u["id"])
		}
	}
	e.do("DELETE", "/v1.0/users/"+id, nil)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+id, nil) // gone for good: created again
	p := e.plan(e.first, []string{id}, Options{})
	if c := p.Counts(); c[OpCreate] != 1 {
		t.Fatalf("want the user's create:\n%s", render(p))
	}
	lf.arm()
	o := e.applyOpts()
	o.Record = nil
	res, err := Apply(context.Background(), p, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(lf.lost) != 1 {
		t.Fatalf("lost %v, want the user's create", lf.lost)
	}
	for _, a := range res.Actions {
		if a.Op != OpCreate {
			continue
		}
		if a.Status != StatusDone || a.NewID == "" || strings.EqualFold(a.NewID, namesake) || strings.EqualFold(a.NewID, id) {
			t.Errorf("the create whose answer was lost is %s as %q (%s); the namesake is %s", a.Status, a.NewID, a.Error, namesake)
		}
	}
}

// TestRestoreOfGroupsAndServicePrincipalsReadsWhatItRestores: a restore of
// 3 deleted groups (with their members and owners) and 2 deleted service
// principals reads those groups and service principals by id (byid.go,
// live.OnlyKinds), not every group and service principal of the tenant:
// plan and apply cost about the same requests and resource units in a
// tenant of 20 groups and 20 apps and in one 8 times larger, and the
// objects are back, verified. (Reading them whole, and the PIM for Groups
// schedules of every group with them, the larger tenant cost several
// hundred requests more.)
func TestRestoreOfGroupsAndServicePrincipalsReadsWhatItRestores(t *testing.T) {
	type cost struct{ requests, units int }
	var costs []cost
	for _, scale := range []int{1, 8} {
		e := exportedEnv(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 60 * scale, Groups: 20 * scale, MembersPerGroup: 10, Apps: 20 * scale}}, nil)
		var victims []string
		for _, g := range e.list("/v1.0/groups?$select=id,groupTypes,onPremisesSyncEnabled&$top=100") {
			if len(victims) == 3 {
				break
			}
			if types, _ := g["groupTypes"].([]any); len(types) > 0 || g["onPremisesSyncEnabled"] == true {
				continue // Microsoft 365 and dynamic groups aside: plain security groups
			}
			victims = append(victims, g["id"].(string))
		}
		sps := 0
		for _, sp := range e.list("/v1.0/servicePrincipals?$select=id,appOwnerOrganizationId&$top=100") {
			if sps == 2 {
				break
			}
			if !strings.EqualFold(str(sp["appOwnerOrganizationId"]), e.sim.Tenant().ID()) {
				continue // the tenant's own apps' service principals
			}
			victims = append(victims, sp["id"].(string))
			sps++
		}
		if len(victims) != 5 {
			t.Fatalf("scale %d: %d victims: the test covers too little", scale, len(victims))
		}
		for i, id := range victims {
			path := "/v1.0/groups/"
			if i >= 3 {
				path = "/v1.0/servicePrincipals/"
			}
			e.do("DELETE", path+id, nil)
		}
		e.sim.ResetStats()
		p := e.plan(e.first, victims, Options{})
		restores := 0
		for _, a := range p.Actions {
			if a.Op == OpRestore {
				restores++
			}
		}
		if restores != len(victims) {
			t.Fatalf("scale %d: %d restores planned, want %d:\n%s", scale, restores, len(victims), render(p))
		}
		requests, units := applyCost(t, e, p, fmt.Sprintf("scale %d", scale))
		costs = append(costs, cost{requests, units})
	}
	small, large := costs[0], costs[1]
	t.Logf("restore of 3 groups and 2 service principals: %+v at scale 1, %+v at 8", small, large)
	if large.requests > small.requests+10 || large.units > small.units+20 {
		t.Errorf("%d requests (%d units) at scale 8, %d (%d) at scale 1: reads grow with the tenant", large.requests, large.units, small.requests, small.units)
	}
}

// applyCost applies p (without the snapshot after: the exporter's, its own
// test) and returns graphsim's requests and resource units since its stats
// were last reset, logging them by endpoint.
func applyCost(t *testing.T, e *env, p *Plan, what string) (requests, units int) {
	t.Helper()
	o := e.applyOpts()
	o.Record = nil
	res, err := Apply(context.Background(), p, o)
	if err != nil || !res.Complete() {
		t.Fatalf("%s: apply: %v %+v", what, err, res)
	}
	st := e.sim.Stats()
	for _, ep := range st.Endpoints {
		t.Logf("%s: %s %s: %d requests, %d units", what, ep.Method, ep.Path, ep.Requests, ep.ResourceUnits)
	}
	return st.Requests, st.ResourceUnits
}
