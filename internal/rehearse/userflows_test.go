package rehearse

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/internal/simtest/simexport"
	"github.com/entrasnap/entrasnap/layout"
)

// A user flow's identity providers and API connectors (the opt-in kind
// user-flow-connections, a file of its own keyed by the flow's id) load
// into their flow as any kind that is state of another kind's object
// (layout.OwnerKind): the rehearsal tenant serves them through Graph,
// under realistic throttling, as the tenant exported did. The file of a
// flow deleted since it was read (carried forward by a later export that
// did not name the kind) is named, as a per-user MFA state of a deleted
// user is: an error without a note function, a note with one, and the
// rest loads. (It used to be dropped without a word.)
func TestLoadUserFlowConnections(t *testing.T) {
	ctx := context.Background()
	const hostile = "Approval \"quoted\" \u202egnp.exe\n../../x 🚀"
	fx := simexport.New(t, graphsim.Options{Profile: "empty", Seed: 1})
	sim, c, repo := fx.Sim, fx.Client, fx.Repo
	if _, err := sim.Tenant().Seed("identityProviderBase", map[string]any{"@odata.type": "#microsoft.graph.builtInIdentityProvider",
		"id": "EmailOTP-OAUTH", "displayName": "Email One Time Passcode", "identityProviderType": "EmailOTP"}); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Post(ctx, "/v1.0/identity/apiConnectors", map[string]any{"displayName": hostile, "targetUrl": "https://approvals.example.com/api",
		"authenticationConfiguration": map[string]any{"@odata.type": "#microsoft.graph.basicAuthentication", "username": "u", "password": "not-exported-7Qx"}})
	if err != nil {
		t.Fatal(err)
	}
	var conn struct{ ID string }
	if err := json.Unmarshal(resp.Body, &conn); err != nil || conn.ID == "" {
		t.Fatalf("connector: %s %v", resp.Body, err)
	}
	const coll = "/v1.0/identity/b2xUserFlows"
	const kept, gone = "B2X_1_Kept", "B2X_1_Gone"
	for _, name := range []string{"Kept", "Gone"} {
		if _, err := c.Do(ctx, "POST", coll, map[string]any{"id": name, "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": 1}); err != nil {
			t.Fatal(err)
		}
		flow := coll + "/B2X_1_" + name
		if _, err := c.Do(ctx, "POST", flow+"/userFlowIdentityProviders/$ref",
			map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/identityProviders/EmailOTP-OAUTH"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(ctx, "PUT", flow+"/apiConnectorConfiguration/postAttributeCollection/$ref",
			map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/apiConnectors/" + conn.ID}); err != nil {
			t.Fatal(err)
		}
	}
	// What a flow holds of user-flow-connections, as Graph serves it.
	state := func(c *graph.Client, flow string) string {
		t.Helper()
		items, err := c.ListObjects(ctx, coll+"/"+url.PathEscape(flow)+"/userFlowIdentityProviders")
		if err != nil {
			t.Fatalf("providers of %s: %v", flow, err)
		}
		var provs []string
		for _, p := range items {
			id, _ := p["id"].(string)
			provs = append(provs, id)
		}
		sort.Strings(provs)
		raw, err := c.Get(ctx, coll+"/"+url.PathEscape(flow)+"/apiConnectorConfiguration?$expand="+strings.Join(layout.UserFlowSteps, ","))
		if err != nil {
			t.Fatalf("connectors of %s: %v", flow, err)
		}
		var conf map[string]any
		if err := json.Unmarshal(raw, &conf); err != nil {
			t.Fatal(err)
		}
		out := "providers=" + strings.Join(provs, ",")
		for _, step := range layout.UserFlowSteps {
			m, _ := conf[step].(map[string]any)
			id, _ := m["id"].(string)
			name, _ := m["displayName"].(string)
			out += " " + step + "=" + id + " " + name
		}
		return out
	}
	want := state(c, kept)
	if !strings.Contains(want, "providers=EmailOTP-OAUTH postAttributeCollection="+conn.ID+" "+hostile) {
		t.Fatalf("the tenant's flow: %q", want)
	}
	if got := state(c, gone); got != want {
		t.Fatalf("the two flows differ: %q, %q", got, want)
	}
	export := func(names ...string) *exporter.Result {
		t.Helper()
		ks, err := layout.Select(names)
		if err != nil {
			t.Fatal(err)
		}
		return fx.Export(ks...)
	}
	first := export("identity-providers", "api-connectors", "user-flows", layout.UserFlowConnections)
	ufc, _ := layout.Lookup(layout.UserFlowConnections)
	if files, err := repo.ReadAll(ctx, first.Commit, ufc.Folder); err != nil || len(files) != 2 {
		t.Fatalf("the export wrote %d %s files (%v), want 2: the test proves nothing", len(files), ufc.Name, err)
	}

	// Both owners present: the rehearsal tenant serves each flow's
	// providers and connector as the tenant exported did.
	rh, _, err := Load(ctx, repo, first.Commit, graphsim.Options{Seed: 1, Now: simtest.Now, Throttle: "realistic"})
	if err != nil {
		t.Fatal(err)
	}
	rc := simtest.Client(t, rh, simtest.Serve(t, rh), "")
	for _, flow := range []string{kept, gone} {
		if got := state(rc, flow); got != want {
			t.Errorf("rehearsal tenant, flow %s: %q, want %q", flow, got, want)
		}
		// The flow itself reads as it did: the connections file's own
		// @odata.type (its kind's) is not the flow's.
		get := func(c *graph.Client) map[string]any {
			t.Helper()
			raw, err := c.Get(ctx, coll+"/"+url.PathEscape(flow))
			var m map[string]any
			if err != nil || json.Unmarshal(raw, &m) != nil {
				t.Fatalf("GET %s: %v %s", flow, err, raw)
			}
			delete(m, "@odata.context")
			return m
		}
		g, w := get(rc), get(c)
		if gj, wj := mustJSON(t, g), mustJSON(t, w); gj != wj {
			t.Errorf("rehearsal tenant, flow %s reads %s, the tenant exported %s", flow, gj, wj)
		}
	}

	// One flow deleted; an export of user-flows alone carries its
	// connections forward.
	if _, err := c.Delete(ctx, coll+"/"+gone); err != nil {
		t.Fatal(err)
	}
	head := export("user-flows")
	if files, err := repo.ReadAll(ctx, head.Commit, ufc.Folder); err != nil || len(files) != 2 {
		t.Fatalf("the second export holds %d %s files (%v), want both carried forward", len(files), ufc.Name, err)
	}
	_, _, err = Load(ctx, repo, "HEAD", graphsim.Options{Seed: 1, Now: simtest.Now})
	for _, w := range []string{layout.UserFlowConnections + " " + gone + " (of user-flows)", "entrasnap export --kinds"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Load without a note: %v, want an error naming %q", err, w)
		}
	}
	if err != nil && strings.Contains(err.Error(), kept) {
		t.Errorf("Load names the flow the snapshot holds: %v", err)
	}
	var notes []string
	rh, n, err := Load(ctx, repo, "HEAD", graphsim.Options{Seed: 1, Now: simtest.Now, Throttle: "realistic"}, func(s string) { notes = append(notes, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "skipped 1 file(s)") || !strings.Contains(notes[0], layout.UserFlowConnections+" "+gone) {
		t.Errorf("notes %q", notes)
	}
	// The built-in provider, the connector, the kept flow and its connections.
	if n != 4 {
		t.Errorf("loaded %d objects, want 4", n)
	}
	rc = simtest.Client(t, rh, simtest.Serve(t, rh), "")
	if got := state(rc, kept); got != want {
		t.Errorf("rehearsal tenant, flow %s: %q, want %q", kept, got, want)
	}
	if _, ok := rh.Tenant().Get("b2xIdentityUserFlow", gone); ok {
		t.Error("the deleted flow is in the rehearsal tenant")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
