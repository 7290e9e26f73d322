package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// exportTestSim serves a demo tenant and returns it with its URL.
func exportTestSim(t *testing.T) (*graphsim.Server, string) {
	t.Helper()
	sim := simtest.New(t, graphsim.Options{})
	return sim, serveSim(t, sim, sim).URL
}

func exportTestGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return gitcheck.Run(t, dir, args...)
}

func TestExportCommand(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	conn := []string{"--graph-url", u, "--access-token", sim.Token()}

	code, out, errOut := runCLI(t, append([]string{"export", "--repo", repo, "--message", "nightly"}, conn...)...)
	if code != exitOK {
		t.Fatalf("export: code %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"Snapshot ", "committed to", "tagged snapshot/", fmt.Sprintf("objects in %d kinds", len(layout.DefaultKinds())), "Graph: ", "resource units"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "users") || !strings.Contains(errOut, "150 objects") {
		t.Errorf("stderr lacks per-kind progress:\n%s", errOut)
	}
	if strings.Contains(out+errOut, sim.Token()) {
		t.Error("the access token was printed")
	}
	if fsck := exportTestGit(t, repo, "fsck", "--strict"); strings.Contains(strings.ToLower(fsck), "error") {
		t.Errorf("git fsck --strict:\n%s", fsck)
	}
	if log := exportTestGit(t, repo, "log", "--format=%s"); strings.TrimSpace(log) != "entrasnap snapshot: nightly" {
		t.Errorf("git log: %q", log)
	}
	if st := exportTestGit(t, repo, "status", "--porcelain"); st != "" {
		t.Errorf("git status --porcelain:\n%s", st)
	}

	// Again, with --json: no change, JSON lines only on stdout.
	code, out, errOut = runCLI(t, append([]string{"export", "--repo", repo, "--json"}, conn...)...)
	if code != exitOK {
		t.Fatalf("second export: code %d\n%s\n%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var started, done int
	var summary struct {
		Event    string `json:"event"`
		Changed  bool   `json:"changed"`
		Complete bool   `json:"complete"`
		Tag      string `json:"tag"`
		Requests int    `json:"requests"`
		RU       int    `json:"resourceUnits"`
	}
	for _, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		switch ev["event"] {
		case "kind_started":
			started++
		case "kind_done":
			done++
		case "summary":
			json.Unmarshal([]byte(l), &summary)
		}
	}
	if nk := len(layout.DefaultKinds()); started != nk || done != nk || summary.Event != "summary" || summary.Changed || !summary.Complete || summary.Tag == "" || summary.Requests == 0 || summary.RU == 0 {
		t.Errorf("JSON lines: %d started, %d done, summary %+v", started, done, summary)
	}
	if n := strings.Count(exportTestGit(t, repo, "rev-list", "HEAD"), "\n"); n != 1 {
		t.Errorf("%d commits after an unchanged export, want 1", n)
	}
}

func TestExportCommandBareRepo(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup.git")
	if _, err := snapshot.Init(repo, true); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "export", "--repo", repo, "--kinds", "conditional-access,users", "--graph-url", u, "--access-token", sim.Token())
	if code != exitOK {
		t.Fatalf("code %d\n%s\n%s", code, out, errOut)
	}
	files := exportTestGit(t, repo, "ls-tree", "-r", "--name-only", "HEAD")
	if !strings.Contains(files, "conditional-access/policies/") || strings.Contains(files, "groups/") {
		t.Errorf("files:\n%s", files)
	}
	exportTestGit(t, repo, "fsck", "--strict")
}

// exportTestToken signs in, through graphsim's token endpoint, an app granted
// the export permissions except those in deny.
func exportTestToken(t *testing.T, sim *graphsim.Server, u string, deny ...string) string {
	t.Helper()
	c, err := graph.New(graph.Config{BaseURL: u, AccessToken: sim.Token()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	resp, err := c.Post(ctx, "/v1.0/applications", map[string]any{"displayName": "limited reader"})
	if err != nil {
		t.Fatal(err)
	}
	var app struct{ AppID string }
	json.Unmarshal(resp.Body, &app)
	if _, err := c.Post(ctx, "/v1.0/servicePrincipals", map[string]any{"appId": app.AppID}); err != nil {
		t.Fatal(err)
	}
	secret, err := sim.Tenant().AddClientSecret(app.AppID)
	if err != nil {
		t.Fatal(err)
	}
	var perms []string
	for _, k := range layout.Kinds() {
		if k.DelegatedOnly != "" {
			continue // delegated scopes, not application roles (Agreement.Read.All has none); the app-only export skips the kind
		}
		ps := append([]string(nil), k.ReadPermissions...)
		for _, ch := range k.Children {
			ps = append(ps, ch.ReadPermissions...)
		}
		for _, p := range ps {
			denied := false
			for _, d := range deny {
				denied = denied || d == p
			}
			if !denied {
				perms = appendNew(perms, p)
			}
		}
	}
	if err := sim.Tenant().GrantAppRoles(app.AppID, perms...); err != nil {
		t.Fatal(err)
	}
	return oauthPost(t, u, sim.TenantID(), "token", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.AppID}, "client_secret": {secret},
		"scope": {"https://graph.microsoft.com/.default"}})["access_token"].(string)
}

// oauthPost posts form to graphsim's (at u) OAuth endpoint
// /{tenant}/oauth2/v2.0/{endpoint} and returns its JSON answer; an error
// answer fails the test.
func oauthPost(t *testing.T, u, tenant, endpoint string, form url.Values) map[string]any {
	t.Helper()
	hr, err := http.PostForm(u+"/"+tenant+"/oauth2/v2.0/"+endpoint, form)
	if err != nil {
		t.Fatal(err)
	}
	defer hr.Body.Close()
	body, _ := io.ReadAll(hr.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || hr.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", endpoint, hr.StatusCode, body)
	}
	return m
}

func TestExportCommandPartial(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	tok := exportTestToken(t, sim, u, "Policy.Read.All")
	code, out, errOut := runCLI(t, "export", "--repo", repo, "--graph-url", u, "--access-token", tok)
	if code != exitPartial {
		t.Fatalf("code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitPartial, out, errOut)
	}
	if !strings.Contains(errOut, "conditional-access-policies") || !strings.Contains(errOut, "Policy.Read.All") ||
		!strings.Contains(errOut, "entrasnap: snapshot") || !strings.Contains(errOut, "incomplete") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if !strings.Contains(out, "INCOMPLETE") {
		t.Errorf("summary does not flag the incomplete kinds:\n%s", out)
	}
	man := exportTestGit(t, repo, "show", "HEAD:.entrasnap/snapshot.yaml")
	if !strings.Contains(man, "permission denied (needs Policy.Read.All)") {
		t.Errorf("manifest:\n%s", man)
	}
	// The users were read: the snapshot is there.
	if files := exportTestGit(t, repo, "ls-tree", "-r", "--name-only", "HEAD"); !strings.Contains(files, "users/") {
		t.Errorf("files:\n%s", files)
	}
}

func TestExportCommandShrink(t *testing.T) {
	sim, u := exportTestSim(t)
	repo := filepath.Join(t.TempDir(), "backup")
	conn := []string{"--graph-url", u, "--access-token", sim.Token()}
	if code, out, errOut := runCLI(t, append([]string{"export", "--repo", repo}, conn...)...); code != exitOK {
		t.Fatalf("code %d\n%s\n%s", code, out, errOut)
	}
	c, err := graph.New(graph.Config{BaseURL: u, AccessToken: sim.Token()})
	if err != nil {
		t.Fatal(err)
	}
	var reqs []graph.BatchRequest
	for _, g := range sim.Tenant().List("user")[:140] {
		reqs = append(reqs, graph.BatchRequest{Method: "DELETE", URL: "/v1.0/users/" + g["id"].(string)})
	}
	if _, err := c.Batch(context.Background(), reqs); err != nil {
		t.Fatal(err)
	}
	head := exportTestGit(t, repo, "rev-parse", "HEAD")
	code, _, errOut := runCLI(t, append([]string{"export", "--repo", repo}, conn...)...)
	if code != exitError || !strings.Contains(errOut, "users fell from 150 to 10") || !strings.Contains(errOut, "--allow-shrink") {
		t.Fatalf("code %d, stderr:\n%s", code, errOut)
	}
	if exportTestGit(t, repo, "rev-parse", "HEAD") != head {
		t.Fatal("a refused snapshot was committed")
	}
	if code, out, errOut := runCLI(t, append([]string{"export", "--repo", repo, "--allow-shrink"}, conn...)...); code != exitOK {
		t.Fatalf("--allow-shrink: code %d\n%s\n%s", code, out, errOut)
	}
}

func TestExportCommandUsage(t *testing.T) {
	code, out, _ := runCLI(t, "export", "--help")
	if code != exitOK || !strings.Contains(out, "entrasnap graphsim --profile demo") || !strings.Contains(out, "--allow-shrink") ||
		!strings.Contains(out, "--graph-url URL --access-token TOKEN") {
		t.Errorf("--help: code %d\n%s", code, out)
	}
	code, _, errOut := runCLI(t, "export", "--access-token", "x", "--graph-url", "http://127.0.0.1:1")
	if code != exitUsage || !strings.Contains(errOut, "--repo is required") {
		t.Errorf("no --repo: code %d, %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "export", "--repo", t.TempDir(), "--kinds", "userz", "--access-token", "x", "--graph-url", "http://127.0.0.1:1")
	if code != exitUsage || !strings.Contains(errOut, "--kinds") || !strings.Contains(errOut, "userz") {
		t.Errorf("bad --kinds: code %d, %q", code, errOut)
	}
	if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 0 {
		t.Errorf("the error takes %d lines", n+1)
	}
}

func appendNew(list []string, add ...string) []string {
	out := append([]string(nil), list...)
	for _, a := range add {
		found := false
		for _, x := range out {
			found = found || x == a
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

// The mass-deletion rule is described where users look with the threshold
// the code applies (exporter.DefaultShrinkRatio), in --help and the README.
func TestMassDeletionRuleDescribedAsApplied(t *testing.T) {
	want := fmt.Sprintf("more than %d%% of its", int(exporter.DefaultShrinkRatio*100))
	_, out, errOut := runCLI(t, "export", "--help")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"export --help": out + errOut, "README.md": string(readme)} {
		flat := strings.Join(strings.Fields(text), " ")
		if !strings.Contains(flat, "lost "+want) {
			t.Errorf("%s does not describe the mass-deletion rule as %q", name, "lost "+want)
		}
		if strings.Contains(flat, "lost more than half") {
			t.Errorf("%s still says 'lost more than half'", name)
		}
	}
}
