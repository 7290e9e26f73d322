package importer

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// flowConnections is what a user flow holds of user-flow-connections, as
// Graph shows it: its providers, sorted, and each step's connector id.
func (e *env) flowConnections(flow string) string {
	e.t.Helper()
	var provs []string
	for _, p := range e.list(ufColl + "/" + flow + "/userFlowIdentityProviders") {
		provs = append(provs, str(p["id"]))
	}
	sort.Strings(provs)
	conf := e.get(ufColl + "/" + flow + "/apiConnectorConfiguration?$expand=" + strings.Join(layout.UserFlowSteps, ","))
	out := "providers=" + strings.Join(provs, ",")
	for _, step := range layout.UserFlowSteps {
		out += " " + step + "=" + str(dig(conf, step, "id"))
	}
	return out
}

// A user flow's identity providers and API connectors are the opt-in kind
// user-flow-connections: a default export reads none, and one with the
// read-only export set that names the kind fails naming
// IdentityUserFlow.ReadWrite.All; granted it, the export keeps each flow's
// providers as references and each step's connector by id (null: none).
// A restore with exactly the export and restore sets adds a removed
// provider and removes one added since ($ref), clears a step set since
// and sets the changed one back (PUT $ref); a connector deleted and
// entered again by hand under its (hostile) name at REV is found by that
// name and the step names its new id, with a warning. A flow deleted and
// restored with user-flows gets them back after its create, and the plan
// no longer says to add them by hand.
func TestUserFlowConnectionsExportAndRestore(t *testing.T) {
	whenShortOnly(t, "applications", "service-principals", "user-flows")
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	k, _ := layout.Lookup(layout.UserFlowConnections)
	conns, _ := layout.Lookup("api-connectors")
	if len(e.snapshotFiles(e.first, k.Folder)) != 0 {
		t.Fatal("a default export read user-flow-connections")
	}
	conn := e.list(connColl)[0]
	connID := str(conn["id"])
	hostile := hostileTexts[1].first + " " + hostileTexts[4].first
	e.do("PATCH", connColl+"/"+connID, map[string]any{"displayName": hostile})
	before := e.flowConnections(demoFlow)
	if want := "providers=EmailOTP-OAUTH,Google-OAUTH postAttributeCollection=" + connID + " postFederationSignup="; before != want {
		t.Fatalf("demo user flow: %s, want %s", before, want)
	}

	kinds := []*layout.Kind{k, conns}
	readOnly := e.client(e.token(layout.ExportPermissions(layout.DefaultKinds())...))
	res, err := exporter.Run(ctx, exporter.Options{Client: readOnly, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: "flow connections, read-only app"})
	if err == nil && res.Complete() {
		t.Fatal("the read-only export set read a user flow's identity providers and API connectors")
	}
	if msg := errText(err, res); !strings.Contains(msg, "IdentityUserFlow.ReadWrite.All") {
		t.Errorf("the refused read does not name the permission: %s", msg)
	}
	app := e.client(e.token(append(layout.ExportPermissions(layout.DefaultKinds()), layout.ReadWithWritePermissions(kinds)...)...))
	res, err = exporter.Run(ctx, exporter.Options{Client: app, Repo: e.repo, Now: e.clock, Kinds: kinds, Message: "flow connections"})
	if err != nil || !res.Complete() {
		t.Fatalf("export --kinds user-flow-connections,api-connectors: %v %+v", err, res)
	}
	base := res.Tag
	var file *Object
	for p, o := range e.snapshotObjects(base) {
		if strings.HasPrefix(p, k.Folder+"/") && strings.EqualFold(o.Key, demoFlow) {
			file = o
		}
	}
	if file == nil {
		t.Fatalf("no %s file for %s: %v", k.Name, demoFlow, e.snapshotFiles(base, k.Folder))
	}
	raw := string(layout.Encode(file.Data))
	for _, want := range []string{`id: "EmailOTP-OAUTH"`, `id: "Google-OAUTH"`, `"#microsoft.graph.socialIdentityProvider"`, "postAttributeCollection:\n    id: \"" + connID + "\"", "postFederationSignup: null"} {
		if !strings.Contains(raw, want) {
			t.Errorf("the flow's file lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(raw, "targetUrl") || strings.Contains(raw, "displayName") || strings.Contains(raw, "userAttributeAssignments") {
		t.Errorf("the flow's file holds more than its connections:\n%s", raw)
	}

	// The incident: Google removed, a Microsoft account added, the
	// connector moved to the other step, then deleted and entered again
	// by hand under the same name (a new id).
	e.do("DELETE", ufColl+"/"+demoFlow+"/userFlowIdentityProviders/Google-OAUTH/$ref", nil)
	e.do("POST", ufColl+"/"+demoFlow+"/userFlowIdentityProviders/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/identityProviders/MSASignup-OAUTH"})
	e.do("PUT", ufColl+"/"+demoFlow+"/apiConnectorConfiguration/postAttributeCollection/$ref", map[string]any{})
	e.do("PUT", ufColl+"/"+demoFlow+"/apiConnectorConfiguration/postFederationSignup/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/apiConnectors/" + connID})
	e.recordIncident() // a default export: carries the connections read at base
	if got := e.snapshotFiles("HEAD", k.Folder); len(got) == 0 {
		t.Fatal("the daily export did not carry the connections forward")
	}

	e.c = e.client(e.token(append(layout.ExportPermissions(layout.Kinds()), layout.RestorePermissions(layout.Kinds())...)...))
	sel := []string{layout.UserFlowConnections}
	p := e.plan(base, sel, Options{})
	got := planRequests(p)
	for _, want := range []string{
		"POST " + ufColl + "/" + demoFlow + "/userFlowIdentityProviders/$ref {\"@odata.id\":\"{{graph}}/v1.0/identity/identityProviders/Google-OAUTH\"}",
		"DELETE " + ufColl + "/" + demoFlow + "/userFlowIdentityProviders/MSASignup-OAUTH/$ref",
		"PUT " + ufColl + "/" + demoFlow + "/apiConnectorConfiguration/postAttributeCollection/$ref {\"@odata.id\":\"{{graph}}/v1.0/identity/apiConnectors/" + connID + "\"}",
		"PUT " + ufColl + "/" + demoFlow + "/apiConnectorConfiguration/postFederationSignup/$ref {}",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the plan has no %s:\n%s", want, got)
		}
	}
	if n := len(p.Actions); n != 4 {
		t.Errorf("%d actions, want 4:\n%s", n, render(p))
	}
	checkSafeText(t, "the plan", render(p))
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
	}
	if after := e.flowConnections(demoFlow); after != before {
		t.Errorf("after the restore: %s, want %s", after, before)
	}
	e.mustBeEmptyAt(base, sel)

	// --no-remove keeps what was added since.
	e.do("POST", ufColl+"/"+demoFlow+"/userFlowIdentityProviders/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/identityProviders/MSASignup-OAUTH"})
	e.do("PUT", ufColl+"/"+demoFlow+"/apiConnectorConfiguration/postFederationSignup/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/apiConnectors/" + connID})
	if p := e.plan(base, sel, Options{NoRemove: true}); len(p.Actions) != 0 || len(p.Kept) != 2 {
		t.Errorf("--no-remove: %d actions, kept %+v\n%s", len(p.Actions), p.Kept, render(p))
	}
	e.do("DELETE", ufColl+"/"+demoFlow+"/userFlowIdentityProviders/MSASignup-OAUTH/$ref", nil)
	e.do("PUT", ufColl+"/"+demoFlow+"/apiConnectorConfiguration/postFederationSignup/$ref", map[string]any{})

	// The connector deleted and entered again by hand under its name at
	// REV: the step names the new one, and the plan says so.
	full := map[string]any{"displayName": hostile, "targetUrl": str(conn["targetUrl"]),
		"authenticationConfiguration": map[string]any{"@odata.type": "#microsoft.graph.basicAuthentication", "username": "entra-signup", "password": "entered-again"}}
	e.do("DELETE", connColl+"/"+connID, nil)
	again, err := e.c.Do(ctx, "POST", connColl, full)
	if err != nil {
		t.Fatal(err)
	}
	var made map[string]any
	if err := json.Unmarshal(again.Body, &made); err != nil {
		t.Fatal(err)
	}
	newID := str(made["id"])
	if newID == "" || strings.EqualFold(newID, connID) {
		t.Fatalf("the connector entered again has id %q", newID)
	}
	p = e.plan(base, sel, Options{})
	out := render(p)
	checkSafeText(t, "the plan", out)
	if got := planRequests(p); len(p.Actions) != 1 || !strings.Contains(got, "apiConnectorConfiguration/postAttributeCollection/$ref {\"@odata.id\":\"{{graph}}/v1.0/identity/apiConnectors/"+newID+"\"}") {
		t.Fatalf("a connector entered again:\n%s", out)
	}
	if !strings.Contains(out, "the tenant's one connector named") {
		t.Errorf("the plan does not say the step names another connector:\n%s", out)
	}
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
	}
	if got := e.flowConnections(demoFlow); !strings.Contains(got, "postAttributeCollection="+newID) {
		t.Errorf("after the restore: %s", got)
	}
	// A second connector of that name: the plan does not guess.
	e.do("PUT", ufColl+"/"+demoFlow+"/apiConnectorConfiguration/postAttributeCollection/$ref", map[string]any{})
	e.do("POST", connColl, full)
	p = e.plan(base, sel, Options{})
	if len(p.Actions) != 0 || !strings.Contains(render(p), "connect the right one in the Entra admin center") {
		t.Errorf("two connectors of the name at REV:\n%s", render(p))
	}

	// The flow deleted: restored with user-flows, then its connections
	// (Graph's default provider taken away).
	e.do("DELETE", ufColl+"/"+demoFlow, nil)
	for _, c := range e.list(connColl) {
		if !strings.EqualFold(str(c["id"]), newID) {
			e.do("DELETE", connColl+"/"+str(c["id"]), nil)
		}
	}
	e.recordIncident()
	sel = []string{"user-flows", layout.UserFlowConnections}
	p = e.plan(base, sel, Options{})
	out = render(p)
	if strings.Contains(out, "add them again in the Entra admin center") {
		t.Errorf("the plan says to add by hand what it restores:\n%s", out)
	}
	// Graph gives the new flow Microsoft Entra ID sign-up, which it did
	// not have at REV: removed once it is made.
	if !strings.Contains(planRequests(p), "DELETE "+ufColl+"/"+demoFlow+"/userFlowIdentityProviders/AADSignup-OAUTH/$ref") ||
		!strings.Contains(out, "Graph gives a new user flow Microsoft Entra ID sign-up") {
		t.Errorf("the plan leaves Graph's default provider on the recreated flow:\n%s", out)
	}
	var create string
	for _, a := range p.Actions {
		if a.Op == OpCreate && a.Request.Path == ufColl {
			create = a.ID
		}
	}
	for _, a := range p.Actions {
		if strings.Contains(a.Request.Path, "/userFlowIdentityProviders") || strings.Contains(a.Request.Path, "/apiConnectorConfiguration") {
			if create == "" || !slices.Contains(a.DependsOn, create) {
				t.Errorf("%s %s does not wait for the flow's create %q: %v", a.Request.Method, a.Request.Path, create, a.DependsOn)
			}
		}
	}
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v\n%+v\n%s\n%s", r.Actions, r.Differences, r.VerifyError, out)
	}
	if got, want := e.flowConnections(demoFlow), "providers=EmailOTP-OAUTH,Google-OAUTH postAttributeCollection="+newID+" postFederationSignup="; got != want {
		t.Errorf("the recreated flow: %s, want %s", got, want)
	}

	// Without the flow in the selection, a gone flow gets nothing and the
	// plan says why.
	e.do("DELETE", ufColl+"/"+demoFlow, nil)
	p = e.plan(base, []string{layout.UserFlowConnections}, Options{})
	if len(p.Actions) != 0 || !strings.Contains(render(p), "restore the user flow (user-flows) with this kind") {
		t.Errorf("a gone flow, not selected:\n%s", render(p))
	}
}

// planRequests lists a plan's requests, one a line, with their bodies.
func planRequests(p *Plan) string {
	var b strings.Builder
	for _, a := range p.Actions {
		b.WriteString(a.Request.Method + " " + a.Request.Path)
		if len(a.Request.Body) > 0 {
			b.WriteString(" " + string(a.Request.Body))
		}
		b.WriteString("\n")
	}
	return b.String()
}
