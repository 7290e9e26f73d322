package importer

import (
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
)

// Groups Graph does not write: the plan says who manages them instead of
// planning writes Graph refuses (graphsim/groupwrites.go).

func dynamicGroup(t *testing.T, id, name string, members ...string) *Object {
	o := group(t, id, name, members...)
	o.Data["groupTypes"] = strs("DynamicMembership")
	o.Data["membershipRule"] = `(user.department -eq "Sales")`
	return o
}

func mailEnabledGroup(t *testing.T, id, name string, members ...string) *Object {
	o := group(t, id, name, members...)
	o.Data["mailEnabled"] = true
	return o
}

func warned(p *Plan, s string) bool {
	return strings.Contains(strings.Join(p.Warnings, "\n"), s)
}

func TestDynamicMembershipIsLeftToTheRule(t *testing.T) {
	// Live members differ: no add, no remove.
	want := dynamicGroup(t, gA, "Sales", uA, uB)
	live := dynamicGroup(t, gA, "Sales", uB, uC)
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if !p.Empty() || !warned(p, "managed by the membership rule") {
		t.Errorf("dynamic group members: ops %s warnings %v", opList(p), p.Warnings)
	}
	// The rule itself is updated.
	live.Data["membershipRule"] = `(user.department -eq "Legal")`
	p = compute(t, input([]*Object{want}, []*Object{live}, nil))
	if opList(p) != "update" || bodyOf(t, p.Actions[0])["membershipRule"] != want.Data["membershipRule"] {
		t.Errorf("rule change: ops %s\n%s", opList(p), render(p))
	}
	// A recreated dynamic group is created with its rule; no member adds.
	p = compute(t, input([]*Object{want}, nil, func(in *Input) { in.Live["groups"] = map[string]*Object{} }))
	if opList(p) != "create" || bodyOf(t, p.Actions[0])["membershipRule"] == nil || !warned(p, "members are not added back") {
		t.Errorf("recreate: ops %s\n%s", opList(p), render(p))
	}
	// A dynamic administrative unit likewise.
	au := func(members ...string) *Object {
		return obj(t, "administrative-units", gB, map[string]any{"displayName": "US", "membershipType": "Dynamic",
			"membershipRule": `(user.country -eq "US")`, "members": refs(members...)})
	}
	p = compute(t, input([]*Object{au(uA)}, []*Object{au(uC)}, nil))
	if !p.Empty() || !warned(p, "administrative unit") || !warned(p, "managed by the membership rule") {
		t.Errorf("dynamic unit members: ops %s warnings %v", opList(p), p.Warnings)
	}
}

func TestMailEnabledGroupsAreLeftToExchange(t *testing.T) {
	want := mailEnabledGroup(t, gA, "Finance DL", uA)
	live := mailEnabledGroup(t, gA, "Finance DL", uB)
	live.Data["description"] = "changed in Exchange"
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if !p.Empty() || !warned(p, "managed by Exchange") || !warned(p, "description differ from REV") {
		t.Errorf("live distribution list: ops %s warnings %v", opList(p), p.Warnings)
	}
	// Gone: not created (Graph cannot), and the plan says where to do it.
	p = compute(t, input([]*Object{want}, nil, func(in *Input) { in.Live["groups"] = map[string]*Object{} }))
	if !p.Empty() || !warned(p, "recreate it in Exchange") {
		t.Errorf("gone distribution list: ops %s warnings %v", opList(p), p.Warnings)
	}
	// Not in the snapshot of a wholly selected kind: not deleted.
	other := group(t, gB, "Other")
	p = compute(t, input([]*Object{other}, []*Object{other, mailEnabledGroup(t, gA, "New DL")}, func(in *Input) {
		in.Selection.Kinds = []string{"groups"}
	}))
	if !p.Empty() || !warned(p, "is not deleted") {
		t.Errorf("extra distribution list: ops %s warnings %v", opList(p), p.Warnings)
	}
}

func TestLastOwnerIsNotRemoved(t *testing.T) {
	want := group(t, gA, "Finance")
	live := group(t, gA, "Finance")
	live.Data["owners"] = refs(uA, uB)
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if opList(p) != "remove-link" || !strings.HasSuffix(p.Actions[0].Request.Path, "/owners/"+uA+"/$ref") || !warned(p, "Graph keeps the last owner") {
		t.Errorf("two owners, none wanted: ops %s warnings %v\n%s", opList(p), p.Warnings, render(p))
	}
	// An owner added first lets the old ones go, after the add.
	want.Data["owners"] = refs(uC)
	p = compute(t, input([]*Object{want}, []*Object{live}, nil))
	if opList(p) != "add-link,remove-link,remove-link" || warned(p, "last owner") {
		t.Fatalf("replace owners: ops %s\n%s", opList(p), render(p))
	}
	for _, a := range p.Actions[1:] {
		if len(a.DependsOn) == 0 || a.DependsOn[0] != p.Actions[0].ID {
			t.Errorf("owner removal %s does not wait for the add: %v", a.ID, a.DependsOn)
		}
	}
}

// End to end: a restore of every group leaves alone what Graph does not
// write (a distribution list's members, a dynamic group's members, the last
// owner, a distribution list that appeared) and plans nothing graphsim, like
// Graph, would refuse.
func TestRestoreLeavesGroupsGraphDoesNotWrite(t *testing.T) {
	whenShortOnly(t, "groups")
	e := newEnv(t, graphsim.Options{}, nil)
	tn := e.sim.Tenant()
	users := e.list("/v1.0/users?$select=id,onPremisesSyncEnabled")
	dl, err := tn.Seed("group", map[string]any{"displayName": "Finance DL", "mailNickname": "finance-dl", "mailEnabled": true,
		"securityEnabled": false, "groupTypes": []any{}, "description": "Created in Exchange"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.SeedLink("group", dl, "members", str(users[0]["id"])); err != nil {
		t.Fatal(err)
	}
	res, err := exporter.Run(context.Background(), exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Message: "with a distribution list"})
	if err != nil || !res.Complete() {
		t.Fatalf("export: %v %+v", err, res)
	}
	rev := res.Tag
	dyn := tn.FindBy("group", "displayName", "Dynamic - Sales")
	if dyn == "" || len(tn.Links("group", dyn, "owners")) != 0 {
		t.Fatalf("the demo's dynamic group %q is missing or has owners", dyn)
	}
	// After the snapshot: Exchange adds a member and creates another list,
	// the rule adds a member, an admin gives the dynamic group an owner.
	for _, l := range []struct{ id, rel, target string }{{dl, "members", str(users[1]["id"])}, {dyn, "members", str(users[2]["id"])}} {
		if err := tn.SeedLink("group", l.id, l.rel, l.target); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tn.Seed("group", map[string]any{"displayName": "Sales DL", "mailNickname": "sales-dl", "mailEnabled": true,
		"securityEnabled": true, "groupTypes": []any{}}); err != nil {
		t.Fatal(err)
	}
	e.do("POST", "/v1.0/groups/"+dyn+"/owners/$ref", map[string]any{"@odata.id": e.srv.URL + "/v1.0/directoryObjects/" + str(users[3]["id"])})
	e.recordIncident()

	p := e.plan(rev, []string{"groups"}, Options{})
	for _, w := range []string{"managed by Exchange", "managed by the membership rule", "Graph keeps the last owner", "is not deleted"} {
		if !warned(p, w) {
			t.Errorf("no warning %q", w)
		}
	}
	if !p.Empty() {
		res, err := Apply(context.Background(), p, e.applyOpts())
		t.Fatalf("plan has actions Graph refuses:\n%s\napply: %v %+v", render(p), err, res)
	}
}
