package importer

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// Role template ids (learn:/entra/identity/role-based-access-control/permissions-reference).
const (
	attrAssignReaderRole = "ffd52fa5-98dc-465c-991d-fc073eb59f8f" // Attribute Assignment Reader
)

// delegatedClient signs upn in, by device code over TLS, on a new public
// client app whose tokens carry wids when groupClaims says so, consented
// the given delegated scopes.
func (e *env) delegatedClient(name, groupClaims, upn string, scopes ...string) *graph.Client {
	e.t.Helper()
	body := map[string]any{"displayName": name, "isFallbackPublicClient": true}
	if groupClaims != "" {
		body["groupMembershipClaims"] = groupClaims
	}
	// The app is the test's set-up (e.own: no injected faults); the
	// sign-in and every request of the client go through the Server.
	app := e.post("/v1.0/applications", body)
	e.sim.Clock().Advance(10 * time.Second) // past a replication lag (realisticSim's is 5 s)
	e.post("/v1.0/servicePrincipals", map[string]any{"appId": app["appId"]})
	e.sim.Clock().Advance(10 * time.Second)
	if err := e.sim.Tenant().GrantDelegated(str(app["appId"]), scopes...); err != nil {
		e.t.Fatal(err)
	}
	ts := httptest.NewTLSServer(e.sim)
	e.t.Cleanup(ts.Close)
	c, err := live.Connection{Auth: live.AuthDeviceCode, TenantID: e.sim.TenantID(), ClientID: str(app["appId"]), GraphURL: ts.URL,
		AuthorityHost: ts.URL, HTTPClient: ts.Client(), Sleep: simtest.Sleep(e.sim),
		Prompt: func(_ context.Context, code live.DeviceCode) error {
			return e.sim.ApproveDeviceCode(code.UserCode, upn)
		}}.Client()
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// A delegated export of users' (and service principals') custom security
// attribute values reads them when the token's scp holds CustomSecAttributeAssignment.Read.All and
// its wids claim names Attribute Assignment Reader: the files are those an
// application token writes. Without the scope, without the role (a Global
// Administrator) or without a wids claim at all, Graph would answer null
// for every user: the kind is refused with a message naming what is
// missing, and the files are carried forward.
func TestUserSecurityAttributesDelegatedExport(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	k, _ := layout.Lookup(csaKind)
	base, files := e.exportCSA()
	if len(files) == 0 {
		t.Fatal("the demo tenant holds no values")
	}
	reader, ga := e.userWithRole("attr.reader", "attr.reader", attrAssignReaderRole), e.userWithRole("global.admin", "global.admin", globalAdminRole)
	scopes := []string{"User.Read.All", "CustomSecAttributeAssignment.Read.All"}

	export := func(c *graph.Client, msg string) *exporter.Result {
		t.Helper()
		res, err := exporter.Run(ctx, exporter.Options{Client: c, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: msg})
		if err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		return res
	}
	// Allowed: the scope and the role; service principals' values (the
	// same check) with Application.Read.All as well.
	spk, _ := layout.Lookup(layout.ServicePrincipalSecurityAttributes)
	dc := e.delegatedClient("csa reader", "DirectoryRole", reader, append(scopes, "Application.Read.All")...)
	res, err := exporter.Run(ctx, exporter.Options{Client: dc, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k, spk}, Message: "delegated reader"})
	if err != nil || !res.Complete() {
		t.Fatalf("delegated export with the scope and Attribute Assignment Reader: %v %+v", err, res.Kinds)
	}
	sps := objectsByKind(e.snapshotObjects(res.Tag))[spk.Name]
	if len(sps) == 0 {
		t.Error("the delegated export read no service principal's values")
	}
	for _, o := range sps {
		if got, want := csaJSON(t, o.Data["customSecurityAttributes"]), csaJSON(t, e.sim.Tenant().CustomSecurityAttributes(o.Key)); got != want {
			t.Errorf("delegated file of service principal %s:\n got %s\nwant %s", o.Key, got, want)
		}
	}
	got := objectsByKind(e.snapshotObjects(res.Tag))[csaKind]
	if len(got) != len(files) {
		t.Fatalf("delegated export wrote %d files, the application token %d", len(got), len(files))
	}
	for _, o := range got {
		if want := files[strings.ToLower(o.Key)]; want == nil || csaJSON(t, o.Data) != csaJSON(t, want.Data) {
			t.Errorf("delegated file of %s differs from the application token's", o.Key)
		}
	}

	// Refused, each naming what is missing.
	for _, c := range []struct {
		name, claims, upn string
		scopes            []string
		want              string
	}{
		{"no scope", "DirectoryRole", reader, []string{"User.Read.All"}, "does not carry the scope CustomSecAttributeAssignment.Read.All"},
		{"no role", "DirectoryRole", ga, scopes, "holds neither Attribute Assignment Reader nor Attribute Assignment Administrator"},
		{"no wids", "", reader, scopes, "no wids claim"},
	} {
		if testing.Short() && c.name != "no role" {
			continue // -short: the one refusal Global Administrators meet
		}
		res := export(e.delegatedClient("csa "+c.name, c.claims, c.upn, c.scopes...), c.name)
		if res.Complete() || len(res.Kinds) != 1 || res.Kinds[0].Complete {
			t.Errorf("%s: the export of the kind was not refused: %+v", c.name, res.Kinds)
			continue
		}
		if msg := res.Kinds[0].Err.Error(); !strings.Contains(msg, c.want) || !strings.Contains(msg, "null") {
			t.Errorf("%s: message %q lacks %q", c.name, msg, c.want)
		}
		if n := len(e.snapshotFiles("HEAD", k.Folder)); n != len(files) {
			t.Errorf("%s: %d files after the refused read, were %d at %s", c.name, n, len(files), base)
		}
	}
	// The definitions: a Global Administrator holding the scope is refused
	// by Graph (403) for want of an attribute role, and the message says so
	// instead of asking for the application permission.
	defs, _ := layout.Lookup("custom-security-attributes")
	sets, _ := layout.Lookup("attribute-sets")
	gc := e.delegatedClient("csa definitions", "DirectoryRole", ga, "CustomSecAttributeDefinition.Read.All")
	dres, err := exporter.Run(ctx, exporter.Options{Client: gc, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{sets, defs}, Message: "definitions as GA"})
	if err != nil || dres.Complete() || len(dres.Kinds) != 2 {
		t.Fatalf("definitions as a Global Administrator: %v %+v", err, dres)
	}
	for _, kr := range dres.Kinds {
		msg := kr.Err.Error()
		if kr.Complete || !strings.Contains(msg, "Attribute Definition Reader") || strings.Contains(msg, "grant the application permission") {
			t.Errorf("%s as a Global Administrator: %q", kr.Kind, msg)
		}
	}
}
