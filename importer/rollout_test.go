package importer

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

const (
	rolloutKind     = "feature-rollout-policies"
	globalAdminRole = "62e90394-69f5-4237-9190-012177145e10"
)

// userWithRole creates the cloud user nick (displayName name) holding the
// directory role roleTemplate tenant-wide, and returns its UPN.
func (e *env) userWithRole(nick, name, roleTemplate string) string {
	e.t.Helper()
	upn := nick + "@" + e.sim.Tenant().Domain()
	u := e.post("/v1.0/users", map[string]any{"accountEnabled": true, "displayName": name, "mailNickname": nick,
		"userPrincipalName": upn, "passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-d"}})
	e.sim.Clock().Advance(10 * time.Second) // past a replication lag (realisticSim's is 5 s)
	e.post("/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": u["id"], "roleDefinitionId": roleTemplate, "directoryScopeId": "/"})
	return upn
}

// rolloutAdmin signs in, by device code over TLS, as a Global
// Administrator through a public client app granted the delegated scopes.
func rolloutAdmin(t *testing.T, e *env, scopes ...string) *graph.Client {
	t.Helper()
	upn := e.userWithRole("rollout.admin", "Rollout admin", globalAdminRole)
	return e.delegatedClient("entrasnap rollout", "", upn, scopes...) // csa_delegated_test.go
}

// appOnlyExport exports the whole tenant with an app-only token holding
// exactly the listed application permissions, as a delegated-only kind's
// tests do: the export must complete, and send no request to a path that
// holds pathPart (the kind is skipped unasked). It returns the client.
func (e *env) appOnlyExport(ctx context.Context, pathPart string) (*graph.Client, *exporter.Result) {
	e.t.Helper()
	app := e.client(e.token(layout.ExportPermissions(layout.Kinds())...))
	e.sim.ResetStats()
	res, err := exporter.Run(ctx, exporter.Options{Client: app, Repo: e.repo, Now: e.clock, Message: "app-only"})
	if err != nil || !res.Complete() {
		e.t.Fatalf("app-only export: %v %+v", err, res.Incomplete())
	}
	for _, ep := range e.sim.Stats().Endpoints {
		if strings.Contains(strings.ToLower(ep.Path), pathPart) {
			e.t.Errorf("the app-only export sent %d requests to %s %s", ep.Requests, ep.Method, ep.Path)
		}
	}
	return app, res
}

// Feature rollout policies are served to delegated callers only. An
// export with an app-only token (exactly the listed application
// permissions) skips the kind without a request, keeps its files and says
// so in the manifest; a restore with one lists each policy as needing a
// delegated sign-in and sends nothing. Signed in as an administrator, the
// export reads them (hostile names written exactly) and the restore puts
// back the enabled flag and the groups (appliesTo by $ref).
func TestFeatureRolloutPoliciesAppOnlyAndDelegated(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	k, _ := layout.Lookup(rolloutKind)
	base := e.first
	files := e.snapshotFiles(base, k.Folder)
	if len(files) != 2 {
		t.Fatalf("feature rollout policies at %s: %v, want the demo's two", base, files)
	}
	policies := e.list("/v1.0/policies/featureRolloutPolicies?$expand=appliesTo")
	var phs map[string]any
	for _, p := range policies {
		if p["feature"] == "passwordHashSync" {
			phs = p
		}
	}
	if phs == nil || len(asSlice(phs["appliesTo"])) != 2 {
		t.Fatalf("demo policies: %v", policies)
	}
	id := str(phs["id"])
	removed := str(asSlice(phs["appliesTo"])[0].(map[string]any)["id"])
	hostile := "PHS \u202estaged\r\n rollout \x1b[31m"

	// The incident: the pilot turned off, a group taken out, the name mangled.
	e.do("PATCH", "/v1.0/policies/featureRolloutPolicies/"+id, map[string]any{"isEnabled": false, "displayName": hostile})
	e.do("DELETE", "/v1.0/policies/featureRolloutPolicies/"+id+"/appliesTo/"+removed+"/$ref", nil)

	// App-only: skipped, files kept, said in the manifest and the message.
	app, res := e.appOnlyExport(ctx, "featurerollout")
	if got := e.snapshotFiles("HEAD", k.Folder); !slices.Equal(sorted(got), sorted(files)) {
		t.Errorf("app-only export: files %v, want the earlier %v kept", got, files)
	}
	data, err := e.repo.ReadFile(ctx, "HEAD", layout.ManifestPath)
	if err != nil {
		t.Fatal(err)
	}
	man, err := layout.DecodeManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if mk := man.Kinds[rolloutKind]; mk.Skipped == "" || mk.Complete || mk.Incomplete() || mk.Objects != 2 {
		t.Errorf("manifest entry: %+v, want skipped with its 2 objects kept", mk)
	}
	var kr live.KindResult
	for _, r := range res.Kinds {
		if r.Kind == rolloutKind {
			kr = r
		}
	}
	if kr.Skipped == "" || kr.Complete {
		t.Errorf("result: %+v", kr)
	}

	// App-only restore: each policy listed as needing a delegated sign-in.
	p := e.planWith(app, base, []string{rolloutKind}, Options{})
	n := 0
	for _, m := range p.Managed {
		if m.Kind == rolloutKind && m.By == delegatedOnlyBy && strings.Contains(m.Reason, "app-only") {
			n++
		}
	}
	if len(p.Actions) != 0 || n != 2 {
		t.Fatalf("app-only plan: %d actions, %d policies listed, want none and 2:\n%s", len(p.Actions), n, render(p))
	}
	if out := render(p); !strings.Contains(out, "app-only") {
		t.Errorf("the rendered plan does not say why:\n%s", out)
	}

	// Signed in: export reads the policies as they are now.
	dc := rolloutAdmin(t, e, "Policy.ReadWrite.HybridAuthentication", "Directory.Read.All")
	res, err = exporter.Run(ctx, exporter.Options{Client: dc, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: "signed in"})
	if err != nil || !res.Complete() {
		t.Fatalf("delegated export: %v %+v", err, res)
	}
	var now *Object
	for _, o := range e.snapshotObjects("HEAD") {
		if o.Kind.Name == rolloutKind && strings.EqualFold(o.Key, id) {
			now = o
		}
	}
	if now == nil || now.Data["displayName"] != hostile || now.Data["isEnabled"] != false || len(asSlice(now.Data["appliesTo"])) != 1 {
		t.Fatalf("delegated export of %s: %+v", id, now)
	}

	// Signed in: restore from base.
	p = e.planWith(dc, base, []string{rolloutKind}, Options{})
	ops := map[string]int{}
	for _, a := range p.Actions {
		ops[a.Request.Method+" "+strings.Replace(a.Request.Path, id, "{id}", 1)]++
	}
	if ops["PATCH /v1.0/policies/featureRolloutPolicies/{id}"] != 1 || ops["POST /v1.0/policies/featureRolloutPolicies/{id}/appliesTo/$ref"] != 1 || len(p.Actions) != 2 {
		t.Fatalf("delegated plan %v:\n%s", ops, render(p))
	}
	r, err := Apply(ctx, p, e.applyOptsAs(ctx, dc))
	if err != nil || !r.Complete() {
		t.Fatalf("apply: %v %+v %+v %s", err, r.Actions, r.Differences, r.VerifyError)
	}
	var after map[string]any
	for _, p := range e.list("/v1.0/policies/featureRolloutPolicies?$expand=appliesTo") {
		if p["id"] == id {
			after = p
		}
	}
	if after["isEnabled"] != true || after["displayName"] != "PHS staged rollout" || len(asSlice(after["appliesTo"])) != 2 {
		t.Errorf("after the restore: %v", after)
	}
}

func sorted(l []string) []string { l = slices.Clone(l); slices.Sort(l); return l }
