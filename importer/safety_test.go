package importer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// Issue 9, points 1 and 6: the right tenant, a saved plan binds its
// requests, restore respects the manifest.

// otherTenant starts a second graphsim tenant (another seed, another id
// and name) and returns it with a client.
func otherTenant(t *testing.T, wrap func(http.Handler) http.Handler) (*graphsim.Server, *httptest.Server, *graph.Client) {
	t.Helper()
	sim, srv := startSim(t, graphsim.Options{Profile: "demo", Seed: 2, TenantName: "Fabrikam"}, wrap)
	c, err := graph.New(graph.Config{BaseURL: srv.URL, AccessToken: sim.Token(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return sim, srv, c
}

func listOf(t *testing.T, c *graph.Client, path string) []map[string]any {
	t.Helper()
	out, err := c.ListObjects(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRestoreRefusesAnotherTenantsSnapshot(t *testing.T) {
	a := newEnv(t, graphsim.Options{}, nil)
	simB, _, cB := otherTenant(t, nil)
	if a.sim.TenantID() == simB.TenantID() {
		t.Fatal("the two tenants have the same id")
	}
	loc := a.list("/v1.0/identity/conditionalAccess/namedLocations")[0]
	locsB := len(listOf(t, cB, "/v1.0/identity/conditionalAccess/namedLocations"))
	policiesB := len(listOf(t, cB, "/v1.0/identity/conditionalAccess/policies"))

	for _, sel := range [][]string{{str(loc["id"])}, {"conditional-access"}} {
		_, err := Load(context.Background(), LoadOptions{Client: cB, Repo: a.repo, Rev: a.first, Selectors: sel})
		var ce *CrossTenantError
		if !errors.As(err, &ce) {
			t.Fatalf("restore %v of tenant A's snapshot into tenant B: %v", sel, err)
		}
		for _, want := range []string{a.sim.TenantID(), simB.TenantID(), "cross-tenant restore is not supported", "nothing was written"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
	}

	// A plan made for A, applied with B's connection: refused too.
	a.do("PATCH", "/v1.0/identity/conditionalAccess/namedLocations/"+str(loc["id"]), map[string]any{
		"@odata.type": loc["@odata.type"], "displayName": "renamed by the incident"})
	p := a.plan(a.first, []string{str(loc["id"])}, Options{})
	if p.Empty() {
		t.Fatal("no plan")
	}
	o := a.applyOpts()
	o.Client, o.Record = cB, a.recordWith(cB)
	var ce *CrossTenantError
	if _, err := Apply(context.Background(), p, o); !errors.As(err, &ce) {
		t.Fatalf("apply of tenant A's plan with tenant B's connection: %v", err)
	}
	if n := len(listOf(t, cB, "/v1.0/identity/conditionalAccess/namedLocations")); n != locsB {
		t.Errorf("tenant B has %d named locations, had %d", n, locsB)
	}
	if n := len(listOf(t, cB, "/v1.0/identity/conditionalAccess/policies")); n != policiesB {
		t.Errorf("tenant B has %d policies, had %d", n, policiesB)
	}
}

func TestRestoreTenantFromTokenWhenOrganizationIsUnreadable(t *testing.T) {
	a := newEnv(t, graphsim.Options{}, nil)
	g, members := a.groupWithMembers(2)
	gid := str(g["id"])
	a.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[0]+"/$ref", nil)
	// A token that can read and write groups but not /organization.
	perms := []string{"Group.ReadWrite.All", "GroupMember.ReadWrite.All"}
	tok := a.token(perms...)
	c := a.client(tok)
	if _, err := c.Get(context.Background(), "/v1.0/organization"); !graph.IsForbidden(err) {
		t.Fatalf("/organization with %v: %v, want 403", perms, err)
	}
	if tid, err := c.TokenTenantID(context.Background()); err != nil || tid != a.sim.TenantID() {
		t.Fatalf("token tid: %q %v", tid, err)
	}
	in, err := Load(context.Background(), LoadOptions{Client: c, Repo: a.repo, Rev: a.first, Selectors: []string{gid}})
	if err != nil {
		t.Fatal(err)
	}
	if in.TenantID != a.sim.TenantID() || in.SnapshotTenantID != a.sim.TenantID() {
		t.Fatalf("tenants: live %q snapshot %q, want %q", in.TenantID, in.SnapshotTenantID, a.sim.TenantID())
	}
	p, err := Compute(in)
	if err != nil || len(p.Actions) != 1 || p.TenantID != a.sim.TenantID() {
		t.Fatalf("plan: %v\n%s", err, render(p))
	}
	o := a.applyOpts()
	o.Client, o.Token, o.Record = c, tok, nil
	if res, err := Apply(context.Background(), p, o); err != nil || !res.Complete() {
		t.Fatalf("apply with the token's tenant: %v %+v", err, res)
	}

	// Tenant B's token without /organization, restoring A's snapshot: the
	// tid tells it is another tenant.
	simB, srvB, _ := otherTenant(t, nil)
	eB := &env{t: t, sim: simB, srv: srvB}
	tokB := eB.token(perms...)
	cB := eB.client(tokB)
	_, err = Load(context.Background(), LoadOptions{Client: cB, Repo: a.repo, Rev: a.first, Selectors: []string{gid}})
	var ce *CrossTenantError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), simB.TenantID()) {
		t.Fatalf("B's token without /organization: %v", err)
	}
}

func TestRestoreRefusesWhenTheTenantIsUnknown(t *testing.T) {
	var forbid atomic.Bool
	// 403 to /organization while forbid is set, as Graph answers a token
	// without Organization.Read.All.
	e := newEnv(t, graphsim.Options{}, func(h http.Handler) http.Handler {
		return simtest.Deny(h, func(r *http.Request) bool { return forbid.Load() && strings.Contains(r.URL.Path, "/organization") })
	})
	g, members := e.groupWithMembers(2)
	gid := str(g["id"])
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[0]+"/$ref", nil)
	forbid.Store(true) // and graphsim's own token is opaque: no tid
	in, err := Load(context.Background(), LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: []string{gid}})
	if err != nil {
		t.Fatal(err)
	}
	var ue *UnknownTenantError
	if err := in.CheckTenant(); !errors.As(err, &ue) {
		t.Fatalf("CheckTenant with no tenant id: %v", err)
	}
	p, err := Compute(in)
	if err != nil || len(p.Actions) != 1 || !strings.Contains(strings.Join(p.Warnings, "\n"), "cannot be applied") {
		t.Fatalf("plan: %v\n%s", err, render(p))
	}
	_, err = Apply(context.Background(), p, e.applyOpts())
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("apply with no tenant id: %v", err)
	}
	forbid.Store(false)
	if n := len(e.list("/v1.0/groups/" + gid + "/members?$select=id")); n != len(members)-1 {
		t.Fatal("written with an unknown tenant")
	}
	// A plan that names no tenant is refused, not waved through.
	p = e.plan(e.first, []string{gid}, Options{})
	p.TenantID = ""
	var we *WrongTenantError
	if _, err := Apply(context.Background(), p, e.applyOpts()); !errors.As(err, &we) {
		t.Fatalf("apply of a plan without a tenant id: %v", err)
	}
	if n := len(e.list("/v1.0/groups/" + gid + "/members?$select=id")); n != len(members)-1 {
		t.Fatal("written from a plan without a tenant id")
	}
}

func TestApplyRefusesAnEditedPlan(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	g, members := e.groupWithMembers(3)
	gid := str(g["id"])
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[0]+"/$ref", nil)
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[1]+"/$ref", nil)
	e.do("PATCH", "/v1.0/groups/"+gid, map[string]any{"description": "changed by the incident"})
	victim := members[2]
	saved, err := e.plan(e.first, []string{gid}, Options{}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(fn func(p *Plan)) *Plan {
		p, err := Decode(saved)
		if err != nil {
			t.Fatal(err)
		}
		fn(p)
		data, _ := p.Encode()
		if p, err = Decode(data); err != nil {
			t.Fatal(err)
		}
		return p
	}
	update := func(p *Plan) *Action {
		for i := range p.Actions {
			if p.Actions[i].Op == OpUpdate {
				return &p.Actions[i]
			}
		}
		t.Fatalf("no update in\n%s", render(p))
		return nil
	}
	for _, tc := range []struct {
		name string
		edit func(p *Plan)
		want string
	}{
		{"the update deletes a user", func(p *Plan) {
			a := update(p)
			a.Request = Request{Method: "DELETE", Path: "/v1.0/users/" + victim}
		}, "DELETE /v1.0/users/" + victim},
		{"another body", func(p *Plan) {
			a := update(p)
			a.Request.Body = json.RawMessage(`{"description":"changed by the incident","mailEnabled":true}`)
		}, "another body"},
		{"an action removed", func(p *Plan) { p.Actions = p.Actions[:len(p.Actions)-1] }, "missing from the plan"},
		{"an action added", func(p *Plan) {
			p.Actions = append(p.Actions, Action{ID: "99", Kind: "users", Name: "nobody", Op: OpDelete, Request: Request{Method: "DELETE", Path: "/v1.0/users/" + victim}})
		}, "which restore does not plan"},
		{"a relabelled action", func(p *Plan) { update(p).Name = "Dept - Finance" }, "differs in name"},
		{"a change shown otherwise", func(p *Plan) {
			a := update(p)
			if len(a.Changes) == 0 {
				t.Fatal("the update shows no change")
			}
			a.Changes[0].After = "harmless"
		}, "differs in changes"},
		{"a plan warning removed", func(p *Plan) {
			p.Warnings = append(p.Warnings, "all good")
		}, "the plan warnings differ"},
		{"a warning hidden", func(p *Plan) {
			a := update(p)
			a.Warnings = append(a.Warnings, "reviewed by security")
		}, "differs in warnings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := edit(tc.edit)
			_, err := Apply(context.Background(), p, e.applyOpts())
			var te *TamperedError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("apply of an edited plan: %v", err)
			}
			if n := len(e.list("/v1.0/groups/" + gid + "/members?$select=id")); n != len(members)-2 {
				t.Fatal("something was written")
			}
			e.get("/v1.0/users/" + victim)
		})
	}
	// The plan as saved applies.
	p, err := Decode(saved)
	if err != nil {
		t.Fatal(err)
	}
	if res := e.apply(p); !res.Complete() {
		t.Fatalf("the saved plan: %+v", res)
	}
}

// TestRestoreRespectsIncompleteKinds: a snapshot whose named locations were
// carried forward (their read failed) does not say which existed at REV.
func TestRestoreRespectsIncompleteKinds(t *testing.T) {
	var fail atomic.Bool
	e := newEnv(t, graphsim.Options{}, func(h http.Handler) http.Handler {
		return simtest.Deny(h, func(r *http.Request) bool {
			return fail.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/namedLocations")
		})
	})
	e.do("POST", "/v1.0/identity/conditionalAccess/namedLocations", map[string]any{
		"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "New branch office", "isTrusted": false,
		"ipRanges": []any{map[string]any{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}}})
	fail.Store(true)
	res, err := exporter.Run(context.Background(), exporter.Options{Client: e.c, Repo: e.repo, Now: e.clock, Message: "named locations unreadable"})
	fail.Store(false)
	if err != nil || res.Complete() || res.Tag == "" {
		t.Fatalf("export with named locations unreadable: %v %+v", err, res)
	}
	carried := res.Tag
	if !strings.Contains(e.file(carried, layout.ManifestPath), "complete: false") {
		t.Fatalf("manifest:\n%s", e.file(carried, layout.ManifestPath))
	}

	// Whole kind: the new location is not in the (carried) files, and is not deleted.
	p := e.plan(carried, []string{"named-locations"}, Options{})
	for _, a := range p.Actions {
		if a.Op == OpDelete {
			t.Errorf("plans a delete from an incomplete kind: %s %s", a.Name, a.Request.Path)
		}
	}
	warns := strings.Join(p.Warnings, "\n")
	if !strings.Contains(warns, "named locations: 1 live objects not in the snapshot at "+carried+" are not deleted") ||
		!strings.Contains(warns, "carried from an earlier snapshot") {
		t.Errorf("warnings:\n%s", warns)
	}
	// From the complete snapshot the same restore does delete it.
	if p := e.plan(e.first, []string{"named-locations"}, Options{}); p.Counts()[OpDelete] != 1 {
		t.Errorf("complete snapshot: %s", render(p))
	}
	// One object from the carried kind: planned, with a warning.
	loc := e.list("/v1.0/identity/conditionalAccess/namedLocations")[0]
	e.do("PATCH", "/v1.0/identity/conditionalAccess/namedLocations/"+str(loc["id"]), map[string]any{
		"@odata.type": loc["@odata.type"], "displayName": "renamed by the incident"})
	p = e.plan(carried, []string{str(loc["id"])}, Options{})
	if p.Counts()[OpUpdate] != 1 || !strings.Contains(strings.Join(p.Warnings, "\n"), "may be older than "+carried) {
		t.Errorf("single object from a carried kind:\n%s", render(p))
	}
}

func TestRestoreRefusesAnUnknownManifest(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	dir := e.repo.Path()
	for _, tc := range []struct{ name, manifest, want string }{
		{"newer format", strings.Replace(e.file("HEAD", layout.ManifestPath), "format: 1", "format: 7", 1), "format 7 is newer"},
		{"no format", strings.Replace(e.file("HEAD", layout.ManifestPath), "format: 1", "format: 0", 1), "unknown format 0"},
		{"unparseable", "format: [1\n", layout.ManifestPath},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, layout.ManifestPath), []byte(tc.manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			git(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", tc.name)
			_, err := Load(context.Background(), LoadOptions{Client: e.c, Repo: e.repo, Rev: "HEAD", Selectors: []string{"groups"}})
			var me *ManifestError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), layout.ManifestPath) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("restore from a snapshot with a %s manifest: %v", tc.name, err)
			}
		})
	}
}
