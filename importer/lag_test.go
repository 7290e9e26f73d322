package importer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
)

// Replication lag: a purged group is recreated, then named by a CA policy
// and added back to the group it was a member of. Graph answers 400 "One or
// more added object references do not exist ..." to the membership write
// until the new group has replicated; apply retries it (the request names
// an object the plan just created) and completes.
func TestRecreatedGroupMembershipSurvivesReplicationLag(t *testing.T) {
	whenShortOnly(t, "group-assignment-schedules", "groups", "time-bound-role-assignments")
	t.Run("group-membership", func(t *testing.T) { recreatedGroupUnderLag(t, false) })
	t.Run("and-ca-policy", func(t *testing.T) { recreatedGroupUnderLag(t, true) })
}

func recreatedGroupUnderLag(t *testing.T, withPolicies bool) {
	e := newEnv(t, graphsim.Options{EventualConsistency: 20 * time.Second}, nil)
	pol, gid := e.policyExcludingGroup()
	pid := str(pol["id"])
	// The excluded group is also a member of another security group.
	parentID := ""
	for _, g := range e.list("/v1.0/groups?$select=id,groupTypes,securityEnabled,onPremisesSyncEnabled") {
		if len(asSlice(g["groupTypes"])) == 0 && g["securityEnabled"] == true && g["onPremisesSyncEnabled"] != true && !strings.EqualFold(str(g["id"]), gid) {
			parentID = str(g["id"])
			break
		}
	}
	if parentID == "" || len(asSlice(e.get("/v1.0/groups/" + gid)["groupTypes"])) != 0 {
		t.Fatal("the demo tenant has no cloud security group to nest the excluded (security) group in")
	}
	e.do("POST", "/v1.0/groups/"+parentID+"/members/$ref", map[string]any{"@odata.id": e.srv.URL + "/v1.0/directoryObjects/" + gid})
	// A delta round leaves out changes younger than the lag (graphsim
	// delta.go replicatedUpto): the snapshot is taken once it has passed.
	e.sim.Clock().Advance(21 * time.Second)
	base, err := exporter.Run(context.Background(), exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Message: "nested"})
	if err != nil {
		t.Fatal(err)
	}
	e.do("DELETE", "/v1.0/groups/"+gid, nil)
	e.sim.Clock().Advance(31 * 24 * time.Hour) // purged from the recycle bin
	e.recordIncident()

	sel := []string{gid, parentID}
	if withPolicies {
		sel = append(sel, "conditional-access-policies")
	}
	opts := Options{CAState: CAStateAsIs}
	p := e.plan(base.Tag, sel, opts)
	if p.Actions[0].Op != OpCreate || p.Actions[0].Placeholder == "" {
		t.Fatalf("plan:\n%s", render(p))
	}
	var addBack *Action
	for i := range p.Actions {
		a := &p.Actions[i]
		if a.Op == OpAddLink && strings.EqualFold(a.Key, parentID) && strings.Contains(string(a.Request.Body), p.Actions[0].Placeholder) {
			addBack = a
		}
	}
	if addBack == nil {
		t.Fatalf("the recreated group is not added back to %s:\n%s", parentID, render(p))
	}
	res := e.apply(p)
	if !res.Complete() {
		t.Fatalf("%+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
	}
	// The first write naming the new group (the add-back, or a member
	// added to the group itself, whichever the workers send first) meets
	// the lag; the others may find it over.
	lagged := 0
	for _, a := range res.Actions {
		if a.ID != p.Actions[0].ID && a.Attempts > 1 {
			lagged++
		}
	}
	if lagged == 0 {
		t.Errorf("no write met the lag: the test does not test the retry\n%+v", res.Actions)
	}
	newID, _ := res.IDs.Resolve(gid)
	found := false
	for _, m := range e.list("/v1.0/groups/" + parentID + "/members?$select=id") {
		found = found || strings.EqualFold(str(m["id"]), newID)
	}
	if !found {
		t.Errorf("the recreated group %s is not a member of %s", newID, parentID)
	}
	if !withPolicies {
		return
	}
	got := e.get("/v1.0/identity/conditionalAccess/policies/" + pid)
	if !containsFold(asSlice(dig(got, "conditions", "users", "excludeGroups")), newID) {
		t.Errorf("policy excludes %v, want the new group %s", dig(got, "conditions", "users", "excludeGroups"), newID)
	}
}

// The add-back alone: a group created now and added to another group at
// once meets "One or more added object references do not exist" and is
// retried until the lag is over.
func TestAddingANewGroupToAGroupIsRetriedUnderLag(t *testing.T) {
	e := newEnv(t, graphsim.Options{EventualConsistency: 20 * time.Second}, nil)
	g, _ := e.groupWithMembers(1)
	gid := str(g["id"])
	p := &Plan{Actions: []Action{
		{ID: "1", Op: OpCreate, Kind: "groups", Key: "x", Placeholder: "{{new:x}}", Request: Request{Method: "POST", Path: "/v1.0/groups",
			Body: body(map[string]any{"displayName": "Lag probe", "mailNickname": "lagprobe", "mailEnabled": false, "securityEnabled": true})}},
		{ID: "2", Op: OpAddLink, Kind: "groups", Key: gid, DependsOn: []string{"1"},
			Request: Request{Method: "POST", Path: "/v1.0/groups/" + gid + "/members/$ref",
				Body: body(map[string]any{"@odata.id": "{{graph}}/v1.0/directoryObjects/{{new:x}}"})}},
	}}
	o := e.applyOpts()
	o.Parallel = 1
	res := newRunner(p, o).run(context.Background())
	if res[0].Status != StatusDone || res[1].Status != StatusDone {
		t.Fatalf("results %+v", res)
	}
	if res[1].Attempts < 2 {
		t.Errorf("the membership write met no lag (%d attempts): the test does not test the retry", res[1].Attempts)
	}
	found := false
	for _, m := range e.list("/v1.0/groups/" + gid + "/members?$select=id") {
		found = found || strings.EqualFold(str(m["id"]), res[0].NewID)
	}
	if !found {
		t.Errorf("the new group %s is not a member of %s", res[0].NewID, gid)
	}
}

// A not-found answer to a request that names nothing the plan just created
// or restored is not lag: it fails at once, even after a create.
func TestNotFoundWithoutFreshReferenceFailsAtOnce(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	g, _ := e.groupWithMembers(1)
	gid := str(g["id"])
	const missing = "00000000-0000-0000-0000-00000000beef"
	p := &Plan{Actions: []Action{
		{ID: "1", Op: OpCreate, Kind: "groups", Key: "x", Placeholder: "{{new:x}}", Request: Request{Method: "POST", Path: "/v1.0/groups",
			Body: body(map[string]any{"displayName": "Lag probe", "mailNickname": "lagprobe", "mailEnabled": false, "securityEnabled": true})}},
		{ID: "2", Op: OpAddLink, Kind: "groups", Key: gid, DependsOn: []string{"1"},
			Request: Request{Method: "POST", Path: "/v1.0/groups/" + gid + "/members/$ref",
				Body: body(map[string]any{"@odata.id": "{{graph}}/v1.0/directoryObjects/" + missing})}},
	}}
	slept := time.Duration(0)
	o := e.applyOpts()
	o.Sleep = func(ctx context.Context, d time.Duration) error { slept += d; return nil }
	o.Parallel = 1
	res := newRunner(p, o).run(context.Background())
	if res[0].Status != StatusDone || res[1].Status != StatusFailed || res[1].GraphStatus != 404 {
		t.Fatalf("results %+v", res)
	}
	if slept != 0 || res[1].Attempts != 1 {
		t.Errorf("retried a request naming no new object: slept %s, %+v", slept, res[1])
	}
}
