package importer

import (
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

const connColl = "/v1.0/identity/apiConnectors"

// API connectors are opt-in (Graph reads them only with
// APIConnectors.ReadWrite.All): a default export reads none, and one with
// the read-only export set that names the kind fails naming the
// permission; granted it, the export writes each connector without its
// secret. A restore (with exactly the export and restore sets) PATCHes a
// changed connector's name (hostile: controls, bidi, line breaks) and URL
// without authenticationConfiguration, lists the changed username's
// password as a credential to re-enter, deletes one added since, and never
// creates one gone from the tenant: the plan says what to re-enter.
func TestAPIConnectorsOptInExportAndRestore(t *testing.T) {
	whenShortOnly(t, "applications", "service-principals")
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	k, _ := layout.Lookup("api-connectors")
	if len(e.snapshotFiles(e.first, k.Folder)) != 0 {
		t.Fatal("a default export read API connectors")
	}
	conn := e.list(connColl)[0]
	id := str(conn["id"])
	hostile := hostileTexts[0].first + " " + hostileTexts[1].first
	e.do("PATCH", connColl+"/"+id, map[string]any{"displayName": hostile})

	readOnly := e.client(e.token(layout.ExportPermissions(layout.DefaultKinds())...))
	res, err := exporter.Run(ctx, exporter.Options{Client: readOnly, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: "connectors, read-only app"})
	if err == nil && res.Complete() {
		t.Fatal("the read-only export set read API connectors")
	}
	if msg := errText(err, res); !strings.Contains(msg, "APIConnectors.ReadWrite.All") {
		t.Errorf("the refused read does not name the permission: %s", msg)
	}

	app := e.client(e.token(append(layout.ExportPermissions(layout.DefaultKinds()), layout.ReadWithWritePermissions([]*layout.Kind{k})...)...))
	res, err = exporter.Run(ctx, exporter.Options{Client: app, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: "connectors"})
	if err != nil || !res.Complete() {
		t.Fatalf("export --kinds api-connectors: %v %+v", err, res)
	}
	base := res.Tag
	files := e.snapshotFiles(base, k.Folder)
	if len(files) != 1 {
		t.Fatalf("connector files: %v", files)
	}
	for p, o := range e.snapshotObjects(base) {
		if !strings.HasPrefix(p, k.Folder+"/") {
			continue
		}
		raw := string(layout.Encode(o.Data))
		if strings.Contains(raw, "******") || strings.Contains(raw, "password") || strings.Contains(raw, "demo-connector-password") {
			t.Errorf("%s holds a secret or its mask:\n%s", p, raw)
		}
		if o.Data["displayName"] != hostile {
			t.Errorf("%s: displayName %q, want %q", p, o.Data["displayName"], hostile)
		}
	}

	// The incident: the connector renamed, pointed elsewhere and given
	// another username; one added.
	e.do("PATCH", connColl+"/"+id, map[string]any{"displayName": "Renamed", "targetUrl": "https://attacker.example/api",
		"authenticationConfiguration": map[string]any{"@odata.type": "#microsoft.graph.basicAuthentication", "username": "attacker\u202e", "password": "x"}})
	e.do("POST", connColl, map[string]any{"displayName": "Added since", "targetUrl": "https://added.example/api",
		"authenticationConfiguration": map[string]any{"@odata.type": "#microsoft.graph.basicAuthentication", "username": "u", "password": "p"}})
	e.recordIncident() // a default export: carries the connectors read at base
	if got := e.snapshotFiles("HEAD", k.Folder); len(got) != 1 {
		t.Fatalf("the daily export did not carry the connector file forward: %v", got)
	}

	e.c = e.client(e.token(append(layout.ExportPermissions(layout.Kinds()), layout.RestorePermissions(layout.Kinds())...)...))
	sel := []string{"api-connectors"}
	p := e.plan(base, sel, Options{})
	out := render(p)
	checkSafeText(t, "the plan", out)
	var patch, del bool
	for _, a := range p.Actions {
		switch {
		case a.Request.Method == "PATCH" && a.Request.Path == connColl+"/"+id:
			patch = true
			b := string(a.Request.Body)
			if strings.Contains(b, "authenticationConfiguration") || strings.Contains(b, "******") || !strings.Contains(b, "approvals.") {
				t.Errorf("PATCH body: %s", b)
			}
		case a.Request.Method == "DELETE" && strings.HasPrefix(a.Request.Path, connColl+"/"):
			del = true
		default:
			t.Errorf("unexpected %s %s", a.Request.Method, a.Request.Path)
		}
	}
	if !patch || !del {
		t.Fatalf("want the connector PATCHed and the added one deleted:\n%s", out)
	}
	if len(p.Credentials) != 1 || p.Credentials[0].Kind != "api-connectors" || !strings.Contains(out, "entra-signup") {
		t.Errorf("the plan does not list the connector password to re-enter: %+v\n%s", p.Credentials, out)
	}
	if r := e.apply(p); !r.Complete() {
		t.Fatalf("%+v\n%+v\n%s", r.Actions, r.Differences, r.VerifyError)
	}
	live := e.get(connColl + "/" + id)
	if live["displayName"] != hostile || !strings.HasPrefix(str(live["targetUrl"]), "https://approvals.") {
		t.Errorf("after the restore: %v", live)
	}
	if n := len(e.list(connColl)); n != 1 {
		t.Errorf("%d connectors after the restore, want 1", n)
	}
	e.mustBeEmptyAt(base, sel)

	// Gone from the tenant: not created (Graph needs the secret).
	e.do("DELETE", connColl+"/"+id, nil)
	p = e.plan(base, sel, Options{})
	if len(p.Actions) != 0 || !strings.Contains(render(p), "with the display name, endpoint URL and username in its file") {
		t.Errorf("a gone connector:\n%s", render(p))
	}
}

// errText is what a person sees of a failed or incomplete export.
func errText(err error, res *exporter.Result) string {
	var b strings.Builder
	if err != nil {
		b.WriteString(err.Error())
	}
	if res != nil {
		for _, kr := range res.Kinds {
			b.WriteString("\n" + kr.Kind + ": " + kr.Reason + " " + strings.Join(kr.Permissions, ", "))
		}
	}
	return b.String()
}
