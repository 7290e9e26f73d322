package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// Issue 9, points 1 and 6, through the CLI.

// simTenant serves one more graphsim tenant and returns it with its URL
// and a client.
func simTenant(t *testing.T, o graphsim.Options, wrap func(http.Handler) http.Handler) (*graphsim.Server, string, *graph.Client) {
	t.Helper()
	sim := simtest.New(t, o)
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := serveSim(t, sim, h)
	return sim, srv.URL, simtest.Client(t, sim, srv, "")
}

// against runs entrasnap against another tenant.
func against(t *testing.T, url, token string, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append(args, "--graph-url", url, "--access-token", token)...)
}

func count(t *testing.T, c *graph.Client, path string) int {
	t.Helper()
	out, err := c.ListObjects(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return len(out)
}

func TestRestoreRefusesCrossTenant(t *testing.T) {
	a := newRstEnv(t, nil)
	simB, urlB, cB := simTenant(t, graphsim.Options{Seed: 2, TenantName: "Fabrikam"}, nil)
	loc := a.list("/v1.0/identity/conditionalAccess/namedLocations")[0]
	locsB := count(t, cB, "/v1.0/identity/conditionalAccess/namedLocations")
	policiesB := count(t, cB, "/v1.0/identity/conditionalAccess/policies")
	for _, sel := range []string{rstStr(loc["id"]), "conditional-access"} {
		code, out, errOut := against(t, urlB, simB.Token(), "restore", "--repo", a.repo, "--at", a.first, sel, "--yes")
		if code != exitError {
			t.Fatalf("restore %s of tenant A's snapshot into B: exit %d\n%s\n%s", sel, code, out, errOut)
		}
		for _, want := range []string{a.sim.TenantID(), simB.TenantID(), "cross-tenant restore is not supported", "nothing was written"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("restore %s: stderr lacks %q:\n%s", sel, want, errOut)
			}
		}
	}
	if count(t, cB, "/v1.0/identity/conditionalAccess/namedLocations") != locsB || count(t, cB, "/v1.0/identity/conditionalAccess/policies") != policiesB {
		t.Error("tenant B was written")
	}
}

func TestRestoreAllConfirmsTheLiveTenantsName(t *testing.T) {
	a := newRstEnv(t, nil)
	// The same tenant, renamed since the snapshot: the name asked for is
	// the live one.
	var state bytes.Buffer
	if err := a.sim.Tenant().Save(&state); err != nil {
		t.Fatal(err)
	}
	renamed := strings.ReplaceAll(state.String(), `"Contoso"`, `"Fabrikam"`)
	simB, urlB, cB := simTenant(t, graphsim.Options{State: strings.NewReader(renamed)}, nil)
	if simB.TenantID() != a.sim.TenantID() {
		t.Fatal("not the same tenant")
	}
	g, members := rstGroupWithMembers(a, 2)
	gid := rstStr(g["id"])
	if _, err := cB.Do(context.Background(), "DELETE", "/v1.0/groups/"+gid+"/members/"+members[0]+"/$ref", nil); err != nil {
		t.Fatal(err)
	}
	args := []string{"restore", "--repo", a.repo, "--at", a.first, "--all"}
	code, _, errOut := against(t, urlB, simB.Token(), append(args, "--yes", "--confirm-tenant", "Contoso")...)
	if code != exitError || !strings.Contains(errOut, "not the name of the tenant being written") || !strings.Contains(errOut, `"Fabrikam"`) {
		t.Fatalf("--confirm-tenant with the snapshot's name: %d %s", code, errOut)
	}
	// On a terminal, the prompt names the live tenant and the snapshot's name is refused.
	code, _, errOut = runWith(t, factory{}, "Contoso\n", true, append(args, "--graph-url", urlB, "--access-token", simB.Token())...)
	if code != exitError || !strings.Contains(errOut, `"Fabrikam"`) || !strings.Contains(errOut, "does not match") {
		t.Fatalf("prompt answered with the snapshot's name: %d %s", code, errOut)
	}
	if n := count(t, cB, "/v1.0/groups/"+gid+"/members?$select=id"); n != len(members)-1 {
		t.Fatal("written without the live tenant's name")
	}
	code, stdout, errOut := against(t, urlB, simB.Token(), append(args, "--yes", "--confirm-tenant", "fabrikam")...)
	if code == exitError || strings.Contains(errOut, "name") {
		t.Fatalf("--confirm-tenant with the live name: %d\n%s\n%s", code, stdout, errOut)
	}
	if n := count(t, cB, "/v1.0/groups/"+gid+"/members?$select=id"); n != len(members) {
		t.Errorf("%d members after --all", n)
	}
}

func TestRestoreRefusesAnUnknownTenant(t *testing.T) {
	var forbid atomic.Bool
	e := newRstEnv(t, func(h http.Handler) http.Handler {
		return simtest.Deny(h, func(r *http.Request) bool { return forbid.Load() && strings.Contains(r.URL.Path, "/organization") })
	})
	g, members := rstGroupWithMembers(e, 2)
	gid := rstStr(g["id"])
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[0]+"/$ref", nil)
	forbid.Store(true) // graphsim's own token has no tid claim either
	_, errOut := e.cli(exitError, "restore", "--repo", e.repo, "--at", e.first, gid, "--yes")
	if !strings.Contains(errOut, "cannot tell which tenant") || !strings.Contains(errOut, "nothing was written") {
		t.Errorf("restore with no tenant id: %s", errOut)
	}
	forbid.Store(false)
	if n := len(e.list("/v1.0/groups/" + gid + "/members?$select=id")); n != len(members)-1 {
		t.Error("written to an unknown tenant")
	}
}

func TestApplyRefusesAnEditedPlanFile(t *testing.T) {
	e := newRstEnv(t, nil)
	g, members := rstGroupWithMembers(e, 2)
	gid := rstStr(g["id"])
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[0]+"/$ref", nil)
	e.do("PATCH", "/v1.0/groups/"+gid, map[string]any{"description": "changed by the incident"})
	planFile := filepath.Join(t.TempDir(), "plan.json")
	e.cli(exitChanges, "restore", "--repo", e.repo, "--at", e.first, gid, "--out", planFile)
	victim := members[1]
	data, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edited := false
	for _, a := range doc["actions"].([]any) {
		a := a.(map[string]any)
		if a["op"] == "update" {
			a["name"] = "Dept - Finance"
			a["request"] = map[string]any{"method": "DELETE", "path": "/v1.0/users/" + victim}
			edited = true
		}
	}
	if !edited {
		t.Fatalf("no update in the plan:\n%s", data)
	}
	data, _ = json.Marshal(doc)
	if err := os.WriteFile(planFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut := e.cli(exitError, "apply", planFile)
	for _, want := range []string{"plan file was edited", `"Dept - Finance"`, "DELETE /v1.0/users/" + victim, "PATCH /v1.0/groups/" + gid, "nothing was written"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("apply of an edited plan: stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := len(e.list("/v1.0/users?$filter=id eq '" + victim + "'")); n != 1 {
		t.Error("the user was deleted")
	}
	if n := len(e.list("/v1.0/groups/" + gid + "/members?$select=id")); n != len(members)-1 {
		t.Error("something was written")
	}
	// --show-requests puts each action's method and path in the plan.
	out, _ := e.cli(exitError, "apply", planFile, "--show-requests")
	if !strings.Contains(out, "DELETE /v1.0/users/"+victim) {
		t.Errorf("apply --show-requests does not show the edited request:\n%s", out)
	}
	out, _ = e.cli(exitChanges, "restore", "--repo", e.repo, "--at", e.first, gid, "--out", planFile, "--show-requests")
	if !strings.Contains(out, "PATCH /v1.0/groups/"+gid) || !strings.Contains(out, "POST /v1.0/groups/"+gid+"/members/$ref") {
		t.Errorf("--show-requests:\n%s", out)
	}
}

func TestRestoreHelpNamesTheSafetyChecks(t *testing.T) {
	for cmd, wants := range map[string][]string{
		"restore": {"--show-requests", "cross-tenant", "tenant being written", "carried forward"},
		"apply":   {"--show-requests", "cross-tenant", "edited"},
	} {
		code, out, _ := runCLI(t, cmd, "--help")
		for _, want := range wants {
			if code != exitOK || !strings.Contains(out, want) {
				t.Errorf("%s --help lacks %q", cmd, want)
			}
		}
	}
}
