package importer

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// managerInFile is the manager id a user's file holds ("" when none).
func managerInFile(t *testing.T, o *Object) string {
	t.Helper()
	ms := asSlice(o.Data["manager"])
	if len(ms) > 1 {
		t.Fatalf("%s holds %d managers", o.Path, len(ms))
	}
	if len(ms) == 0 {
		return ""
	}
	m := ms[0].(map[string]any)
	if len(m) != 2 || m["@odata.type"] != "#microsoft.graph.user" {
		t.Errorf("%s manager %v: want {id, @odata.type user}", o.Path, m)
	}
	return str(m["id"])
}

// liveManager is a user's manager in the tenant ("" when none).
func (e *env) liveManager(id string) string {
	e.t.Helper()
	b, err := e.c.Get(context.Background(), "/v1.0/users/"+id+"/manager?$select=id")
	if err != nil {
		if ge := graph.AsError(err); ge != nil && ge.Status == 404 {
			return ""
		}
		e.t.Fatalf("GET manager of %s: %v", id, err)
	}
	m, err := decode(b)
	if err != nil {
		e.t.Fatal(err)
	}
	return str(m["id"])
}

// sponsorsInFile are the sponsor ids a user's file holds, lower-case.
func sponsorsInFile(o *Object) []string {
	var out []string
	for _, x := range asSlice(o.Data["sponsors"]) {
		out = append(out, strings.ToLower(str(x.(map[string]any)["id"])))
	}
	return out
}

// liveSponsors are a user's sponsors in the tenant, lower-case and sorted.
func (e *env) liveSponsors(id string) []string {
	var out []string
	for _, m := range e.list("/v1.0/users/" + id + "/sponsors?$select=id") {
		out = append(out, strings.ToLower(str(m["id"])))
	}
	sort.Strings(out)
	return out
}

// Issue 13, users' manager and sponsors: the export keeps each user's
// manager and sponsors as references; restore puts back a removed manager
// and a changed one with PUT manager/$ref (a changed one is one PUT, no
// DELETE), removes one the file does not hold with DELETE manager/$ref,
// adds and removes sponsors with POST and DELETE sponsors/$ref, and names
// a manager or sponsor recreated under a new id by that id, after its
// create.
func TestRestoreUsersManagerAndSponsors(t *testing.T) {
	whenShortOnly(t, "connected-organizations", "groups", "users")
	e := newEnv(t, graphsim.Options{}, nil)
	snap := e.snapshotObjects(e.first)
	users, _ := layout.Lookup("users")
	byID := map[string]*Object{}
	reports := map[string][]*Object{}
	sponsored := map[string][]*Object{}
	for _, o := range snap {
		if o.Kind != users {
			continue
		}
		byID[strings.ToLower(o.Key)] = o
		if m := managerInFile(t, o); m != "" {
			reports[strings.ToLower(m)] = append(reports[strings.ToLower(m)], o)
		}
		for _, s := range sponsorsInFile(o) {
			sponsored[s] = append(sponsored[s], o)
		}
	}
	// A department head: managed (by the chief executive), managing two
	// people or more and sponsoring a guest.
	var head *Object
	for id, rs := range reports {
		h := byID[id]
		if h != nil && managerInFile(t, h) != "" && len(rs) >= 2 && len(sponsored[id]) > 0 && !synced(h.Data) {
			if head == nil || strings.ToLower(h.Key) < strings.ToLower(head.Key) {
				head = h
			}
		}
	}
	if head == nil {
		t.Fatalf("the demo tenant has no department head with a manager, two reports and a guest to sponsor (%d users with reports, %d sponsors)", len(reports), len(sponsored))
	}
	z := sponsored[strings.ToLower(head.Key)][0]
	// w: a guest sponsored by others, with two sponsors or more.
	var w *Object
	for _, o := range byID {
		if sp := sponsorsInFile(o); len(sp) >= 2 && !slices.Contains(sp, strings.ToLower(head.Key)) && (w == nil || o.Key < w.Key) {
			w = o
		}
	}
	if w == nil {
		t.Fatal("the demo tenant has no guest with two sponsors")
	}
	wGone := sponsorsInFile(w)[0]
	ceo := managerInFile(t, head)
	a := reports[strings.ToLower(head.Key)][0]
	// c: someone of another department, whose manager an admin changed.
	var c *Object
	for m, rs := range reports {
		if m != strings.ToLower(head.Key) && m != strings.ToLower(ceo) {
			c = rs[0]
			break
		}
	}
	// d: someone without a manager at REV who got one since.
	var d *Object
	for _, o := range byID {
		if managerInFile(t, o) == "" && !synced(o.Data) && o.Data["userType"] == "Member" && !strings.EqualFold(o.Key, ceo) {
			d = o
			break
		}
	}
	if c == nil || d == nil {
		t.Fatal("the demo tenant has too few managers")
	}
	cWas := managerInFile(t, c)
	if err := e.purge(users, head); err != nil {
		t.Fatal(err)
	}
	e.do("PUT", "/v1.0/users/"+c.Key+"/manager/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/users/" + ceo})
	e.do("PUT", "/v1.0/users/"+d.Key+"/manager/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/users/" + ceo})
	e.do("DELETE", "/v1.0/users/"+w.Key+"/sponsors/"+wGone+"/$ref", nil)
	e.do("POST", "/v1.0/users/"+w.Key+"/sponsors/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + ceo})
	e.recordIncident()

	p := e.plan(e.first, []string{head.Path, a.Path, c.Path, d.Path, z.Path, w.Path}, Options{})
	var create *Action
	got := map[string]*Action{}
	for i := range p.Actions {
		x := &p.Actions[i]
		if x.Op == OpCreate && x.Kind == "users" {
			create = x
		}
		if x.Relationship == "manager" {
			if got[strings.ToLower(x.Key)] != nil {
				t.Errorf("two manager actions for %s", x.Key)
			}
			got[strings.ToLower(x.Key)] = x
		}
	}
	if create == nil {
		t.Fatalf("no create of the purged head:\n%s", render(p))
	}
	sponsorActs := map[string]*Action{}
	for i := range p.Actions {
		if x := &p.Actions[i]; x.Relationship == "sponsors" {
			sponsorActs[strings.ToLower(x.Key)+" "+x.Request.Method] = x
		}
	}
	if x := sponsorActs[strings.ToLower(z.Key)+" POST"]; x == nil || x.Request.Path != "/v1.0/users/"+z.Key+"/sponsors/$ref" ||
		!strings.Contains(string(x.Request.Body), create.Placeholder) {
		t.Errorf("the recreated sponsor of %s: %+v", z.Path, x)
	}
	if x := sponsorActs[strings.ToLower(w.Key)+" POST"]; x == nil || !strings.Contains(string(x.Request.Body), wGone) {
		t.Errorf("the removed sponsor %s of %s is not added back: %+v", wGone, w.Path, x)
	}
	if x := sponsorActs[strings.ToLower(w.Key)+" DELETE"]; x == nil || x.Request.Path != "/v1.0/users/"+w.Key+"/sponsors/"+ceo+"/$ref" || !x.Removal {
		t.Errorf("the added sponsor %s of %s is not removed: %+v", ceo, w.Path, x)
	}
	want := func(u *Object, method string) *Action {
		x := got[strings.ToLower(u.Key)]
		if x == nil {
			t.Fatalf("no manager action for %s:\n%s", u.Path, render(p))
		}
		if x.Request.Method != method || x.Request.Path != "/v1.0/users/"+u.Key+"/manager/$ref" {
			t.Errorf("%s: %s %s, want %s /v1.0/users/%s/manager/$ref", u.Path, x.Request.Method, x.Request.Path, method, u.Key)
		}
		return x
	}
	pa := want(a, "PUT")
	if !strings.Contains(string(pa.Request.Body), create.Placeholder) || !contains(pa.DependsOn, create.ID) {
		t.Errorf("the manager of %s names %s and waits for %v, want the recreated head's placeholder %s after %s", a.Path, pa.Request.Body, pa.DependsOn, create.Placeholder, create.ID)
	}
	if pc := want(c, "PUT"); !strings.Contains(string(pc.Request.Body), "/users/"+cWas) {
		t.Errorf("the manager of %s: body %s, want users/%s", c.Path, pc.Request.Body, cWas)
	}
	if pd := want(d, "DELETE"); len(pd.Request.Body) != 0 || !pd.Removal {
		t.Errorf("the manager of %s: removal %v body %s, want a removal without body", d.Path, pd.Removal, pd.Request.Body)
	}

	res := e.apply(p)
	newHead := ""
	for _, r := range res.Actions {
		if r.Status != StatusDone {
			t.Errorf("%s %s %s %s: %s %s", r.ID, r.Kind, r.Op, r.Relationship, r.Status, r.Error)
		}
		if r.ID == create.ID {
			newHead = r.NewID
		}
	}
	if !res.Verified {
		t.Errorf("not verified: %+v %s", res.Differences, res.VerifyError)
	}
	if newHead == "" || strings.EqualFold(newHead, head.Key) {
		t.Fatalf("the head was recreated as %q (was %s)", newHead, head.Key)
	}
	for _, x := range []struct{ user, want string }{{a.Key, newHead}, {c.Key, cWas}, {d.Key, ""}, {newHead, ceo}} {
		if got := e.liveManager(x.user); !strings.EqualFold(got, x.want) {
			t.Errorf("manager of %s is %q after the restore, want %q", x.user, got, x.want)
		}
	}
	for _, x := range []*Object{z, w} {
		want := sponsorsInFile(x)
		for i, s := range want {
			if s == strings.ToLower(head.Key) {
				want[i] = strings.ToLower(newHead)
			}
		}
		sort.Strings(want)
		if got := e.liveSponsors(x.Key); !slices.Equal(got, want) {
			t.Errorf("sponsors of %s after the restore: %v, want %v", x.Path, got, want)
		}
	}
}
