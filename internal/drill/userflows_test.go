package drill

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/internal/rehearse"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/internal/simtest/simexport"
	"github.com/entrasnap/entrasnap/layout"
)

// A rehearsal of a restore that includes an API connector and a user
// flow's identity providers and API connectors (the opt-in kinds
// api-connectors and user-flow-connections): the snapshot loads into a
// rehearsal tenant whose flow holds its providers and connector as the
// files say (and whose connector holds no secret); with realistic
// throttling, the incident (the connector renamed, under a hostile name,
// and pointed elsewhere; the flow deleted) is restored by the
// rehearsal's own restore (plan, apply, verify, plan again empty): the
// connector PATCHed back, the flow created, then its providers added and
// its step pointed at the connector.
func TestRehearsedRestoreOfAPIConnectorAndUserFlowConnections(t *testing.T) {
	ctx := context.Background()
	const flow = "B2X_1_PartnerSignUp"
	const hostile = "Approval \x1b[31m\u202egnp.exe\r\n\"../../x\" 🚀"
	if testing.Short() {
		// Two demo tenants, an export and a restore: about 30 s, several
		// times that under -race; the plain test phase runs it.
		t.Skip("-short: a full export and rehearsed restore of the demo tenant")
	}
	tn := simexport.New(t, graphsim.Options{Profile: "demo"})
	sim, c, repo := tn.Sim, tn.Client, tn.Repo
	for _, conn := range sim.Tenant().List("identityApiConnector") {
		if _, err := c.Do(ctx, "PATCH", "/v1.0/identity/apiConnectors/"+conn["id"].(string), map[string]any{"displayName": hostile}); err != nil {
			t.Fatal(err)
		}
	}
	conns, _ := layout.Lookup("api-connectors")
	ufc, _ := layout.Lookup(layout.UserFlowConnections)
	res := tn.Export(append(layout.DefaultKinds(), conns, ufc)...)
	h, err := repo.Resolve(ctx, res.Tag)
	if err != nil {
		t.Fatal(err)
	}

	rsim, _, err := rehearse.Load(ctx, repo, h.String(), graphsim.Options{Throttle: "realistic", AuditLag: -1, Seed: 1, Now: simtest.Now.Add(48 * time.Hour)})
	if err != nil {
		t.Fatalf("loading the snapshot into a rehearsal tenant: %v", err)
	}
	ln, err := rsim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sleep := func(ctx context.Context, d time.Duration) error { rsim.Clock().Advance(d); return ctx.Err() }
	rc, err := graph.New(graph.Config{BaseURL: ln.URL, AccessToken: rsim.Token(), Sleep: sleep})
	if err != nil {
		t.Fatal(err)
	}
	state := func() string {
		t.Helper()
		var provs []string
		items, err := rc.ListObjects(ctx, "/v1.0/identity/b2xUserFlows/"+flow+"/userFlowIdentityProviders")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range items {
			provs = append(provs, p["id"].(string))
		}
		sort.Strings(provs)
		raw, err := rc.Get(ctx, "/v1.0/identity/b2xUserFlows/"+flow+"/apiConnectorConfiguration?$expand=postAttributeCollection,postFederationSignup")
		if err != nil {
			t.Fatal(err)
		}
		var conf map[string]any
		if err := json.Unmarshal(raw, &conf); err != nil {
			t.Fatal(err)
		}
		pac, _ := conf["postAttributeCollection"].(map[string]any)
		return strings.Join(provs, ",") + " postAttributeCollection=" + str(pac["id"]) + " " + str(pac["displayName"])
	}
	list, err := rc.ListObjects(ctx, "/v1.0/identity/apiConnectors")
	if err != nil || len(list) != 1 {
		t.Fatalf("the rehearsal tenant's connectors: %v %v", list, err)
	}
	connID := str(list[0]["id"])
	want := "EmailOTP-OAUTH,Google-OAUTH postAttributeCollection=" + connID + " " + hostile
	if got := state(); got != want {
		t.Fatalf("the rehearsal tenant's flow: %q, want %q", got, want)
	}
	if a := list[0]["authenticationConfiguration"]; strings.Contains(str(dig(a, "password")), "demo-connector-password") {
		t.Errorf("the rehearsal tenant's connector holds the secret: %v", a)
	}

	// The incident, through the rehearsal tenant's Graph.
	for _, w := range []struct {
		method, path string
		body         any
	}{
		{"PATCH", "/v1.0/identity/apiConnectors/" + connID, map[string]any{"displayName": "Changed", "targetUrl": "https://attacker.example/api"}},
		{"DELETE", "/v1.0/identity/b2xUserFlows/" + flow, nil},
	} {
		if _, err := rc.Do(ctx, w.method, w.path, w.body); err != nil {
			t.Fatalf("%s %s: %v", w.method, w.path, err)
		}
	}
	var paths []string
	for p := range mustObjects(t, repo, h.String()) {
		if strings.HasPrefix(p, conns.Folder+"/") || strings.HasPrefix(p, ufc.Folder+"/") || strings.HasPrefix(p, "external-identities/user-flows/") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	if len(paths) != 3 {
		t.Fatalf("the files to restore: %v", paths)
	}
	var seen *graphsim.Server
	r := &run{o: testOptions(repo, &seen), commit: h.String(), client: rc, sim: rsim, sleep: sleep, ids: importer.NewIDMap()}
	note, err := r.restore(ctx, paths)
	if err != nil {
		t.Fatalf("the rehearsed restore: %v", err)
	}
	if !strings.Contains(note, "verified") {
		t.Errorf("note %q", note)
	}
	if got := state(); got != want {
		t.Errorf("after the rehearsed restore: %q, want %q", got, want)
	}
	if st := rsim.Stats(); st.Requests == 0 {
		t.Errorf("no request reached the rehearsal tenant: %+v", st)
	}
}

func mustObjects(t *testing.T, r interface {
	ReadAll(context.Context, string, string) (map[string][]byte, error)
}, rev string) map[string][]byte {
	t.Helper()
	files, err := r.ReadAll(context.Background(), rev, "")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func dig(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}
