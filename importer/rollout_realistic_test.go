package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/layout"
)

// Feature rollout policies against a Graph as hard as the real one
// (realisticSim: throttling, 5% faults, 5 s replication lag, empty pages),
// exported and restored by an administrator signed in by device code (the
// kind is delegated only), with hostile names and descriptions. The
// incident deletes one policy for good (Graph has no recycle bin for them)
// and mangles the other; the restore creates the first again with its
// name, description and groups ($ref to a policy Graph has not replicated
// yet) and puts back the second, the names written exactly; a second plan
// is empty, and the repository stays valid for git.
func TestFeatureRolloutPoliciesUnderRealisticGraph(t *testing.T) {
	e := newEnv(t, realisticSim(), nil)
	ctx := context.Background()
	k, _ := layout.Lookup(rolloutKind)
	dc := rolloutAdmin(t, e, "Policy.ReadWrite.HybridAuthentication", "Directory.Read.All")

	hostile := map[string][2]string{ // feature → name, description
		"passwordHashSync": {"PHS \"pilot\" \u202e<rtl>\u202c 🚀 ../../etc/passwd\r\nnext line", "line one\nline two: 'quoted' \\ back\u200f slash " + strings.Repeat("long ", 60)},
		"seamlessSso":      {strings.Repeat("Seamless SSO \u05e9\u05dc\u05d5\u05dd ", 12) + "end", "--- \n# not: yaml\n\t- tab ✓ \x1b[31mred"},
	}
	ids := map[string]string{}
	for _, p := range e.list("/v1.0/policies/featureRolloutPolicies") {
		f := str(p["feature"])
		if h, ok := hostile[f]; ok {
			ids[f] = str(p["id"])
			e.do("PATCH", "/v1.0/policies/featureRolloutPolicies/"+str(p["id"]), map[string]any{"displayName": h[0], "description": h[1]})
		}
	}
	if len(ids) != 2 {
		t.Fatalf("the demo's policies: %v", ids)
	}
	phs, sso := ids["passwordHashSync"], ids["seamlessSso"]
	groupsOf := func(id string) []string {
		var out []string
		for _, p := range e.list("/v1.0/policies/featureRolloutPolicies?$expand=appliesTo") {
			if strings.EqualFold(str(p["id"]), id) {
				for _, g := range asSlice(p["appliesTo"]) {
					out = append(out, strings.ToLower(str(g.(map[string]any)["id"])))
				}
			}
		}
		return sorted(out)
	}
	phsGroups := groupsOf(phs)
	if len(phsGroups) != 2 {
		t.Fatalf("the PHS policy's groups: %v", phsGroups)
	}
	e.do("PATCH", "/v1.0/policies/featureRolloutPolicies/"+sso, map[string]any{"isEnabled": true})
	e.do("POST", "/v1.0/policies/featureRolloutPolicies/"+sso+"/appliesTo/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + phsGroups[0]})

	// The snapshot before the incident, taken signed in.
	res, err := exporter.Run(ctx, exporter.Options{Client: dc, Repo: e.repo, Now: e.clock, Kinds: []*layout.Kind{k}, Message: "signed in \u202e before"})
	if err != nil || !res.Complete() {
		t.Fatalf("delegated export: %v %+v", err, res)
	}
	base := res.Tag
	byID := map[string]*Object{}
	for _, o := range e.snapshotObjects(base) {
		if o.Kind.Name == rolloutKind {
			byID[strings.ToLower(o.Key)] = o
		}
	}
	for f, h := range hostile {
		o := byID[strings.ToLower(ids[f])]
		if o == nil || o.Data["displayName"] != h[0] || o.Data["description"] != h[1] {
			t.Fatalf("%s as exported: %+v", f, o)
		}
	}
	fsck(t, e.repo.Path())

	// The incident: the PHS policy deleted, SSO disabled, renamed and its group taken out.
	e.do("DELETE", "/v1.0/policies/featureRolloutPolicies/"+phs, nil)
	e.do("PATCH", "/v1.0/policies/featureRolloutPolicies/"+sso, map[string]any{"isEnabled": false, "displayName": "sso"})
	e.do("DELETE", "/v1.0/policies/featureRolloutPolicies/"+sso+"/appliesTo/"+phsGroups[0]+"/$ref", nil)

	plan := func() *Plan {
		t.Helper()
		return e.planWith(dc, base, []string{rolloutKind}, Options{})
	}
	p := plan()
	ops := map[string]int{}
	for _, a := range p.Actions {
		ops[fmt.Sprint(a.Op)+" "+a.Request.Method]++
	}
	if ops[fmt.Sprint(OpCreate)+" POST"] < 1 || len(p.Managed) != 0 {
		t.Fatalf("plan %v:\n%s", ops, render(p))
	}
	// Names are data: the rendered plan escapes control and bidi characters.
	if out := render(p); strings.ContainsAny(out, "\x1b\u202e\u200f\r") || !strings.Contains(out, "PHS") {
		t.Errorf("the rendered plan shows a hostile name raw:\n%q", out)
	}
	// A create whose answer was a 5xx before Graph made the object fails
	// the run, object by object; a person re-runs the restore
	// (applyUntilCompleteWith), which creates it then.
	first := true
	e.applyUntilCompleteWith(t, func() *Plan {
		if first {
			first = false
			return p
		}
		return plan()
	}, func() ApplyOptions {
		o := e.applyOptsAs(ctx, dc)
		o.ConsistencyTimeout = 2 * time.Minute
		return o
	})
	got := map[string]map[string]any{}
	for _, p := range e.list("/v1.0/policies/featureRolloutPolicies?$expand=appliesTo") {
		got[str(p["feature"])] = p
	}
	for f, h := range hostile {
		p := got[f]
		if p == nil || p["displayName"] != h[0] || p["description"] != h[1] || p["isEnabled"] != true {
			t.Errorf("%s after the restore: %v", f, p)
		}
	}
	if g := groupsOf(str(got["passwordHashSync"]["id"])); strings.Join(g, ",") != strings.Join(phsGroups, ",") {
		t.Errorf("the recreated PHS policy's groups: %v, want %v", g, phsGroups)
	}
	if g := groupsOf(sso); len(g) != 1 || g[0] != phsGroups[0] {
		t.Errorf("the SSO policy's groups: %v", g)
	}
	if p := plan(); !p.Empty() {
		t.Errorf("a second plan is not empty:\n%s", render(p))
	}
	fsck(t, e.repo.Path())
}
