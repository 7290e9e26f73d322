package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// TestDiffAndLogSayWhoChangedIt: a second app changes a user; the export
// keeps the audit record; diff (text, markdown) and log name the app by
// display name and appId; a change with no record says so.
func TestDiffAndLogSayWhoChangedIt(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{Seed: 3})
	srv := serveSim(t, sim, sim)
	repo := filepath.Join(t.TempDir(), "backup")
	f := factory{now: sim.Clock().Now}
	export := func(extra ...string) {
		t.Helper()
		code, out, errOut := runWith(t, f, "", false, append([]string{"export", "--repo", repo, "--graph-url", srv.URL, "--access-token", sim.Token()}, extra...)...)
		if code != exitOK {
			t.Fatalf("export: code %d\n%s\n%s", code, out, errOut)
		}
	}
	export()
	// A second app with a client secret and User.ReadWrite.All.
	tn := sim.Tenant()
	appID := "5b1f6d8e-0000-4000-8000-00000000a0d1"
	if _, err := tn.Seed("application", map[string]any{"appId": appID, "displayName": "HR sync", "passwordCredentials": []any{}, "keyCredentials": []any{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Seed("servicePrincipal", map[string]any{"appId": appID, "displayName": "HR sync", "accountEnabled": true}); err != nil {
		t.Fatal(err)
	}
	secret, err := tn.AddClientSecret(appID)
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.GrantAppRoles(appID, "User.ReadWrite.All"); err != nil {
		t.Fatal(err)
	}
	tok := oauthPost(t, srv.URL, sim.TenantID(), "token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {appID}, "client_secret": {secret}, "scope": {"https://graph.microsoft.com/.default"}})["access_token"].(string)
	sim.Clock().Advance(20 * time.Minute)
	users := tn.List("user")
	user := users[2]["id"].(string)
	patch := func(token, id, title string) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"jobTitle": title})
		req, _ := http.NewRequestWithContext(context.Background(), "PATCH", srv.URL+"/v1.0/users/"+id, strings.NewReader(string(b)))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 204 {
			t.Fatalf("PATCH user: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	patch(tok, user, "Synced by HR")
	sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
	prBody := filepath.Join(t.TempDir(), "pr.md")
	export("--pr-body", prBody)
	// A change the log does not show (a user put into the tenant behind
	// Graph's back, as one whose record is past the log's retention).
	sim.Clock().Advance(20 * time.Minute)
	if _, err := tn.Seed("user", map[string]any{"displayName": "Unlogged", "userPrincipalName": "unlogged@" + tn.Domain(),
		"mailNickname": "unlogged", "accountEnabled": true}); err != nil {
		t.Fatal(err)
	}
	export()

	who := "changed by app HR sync (appId " + appID + "), "
	if b, err := os.ReadFile(prBody); err != nil || !strings.Contains(string(b), "  - _"+who) {
		t.Errorf("--pr-body does not say who changed it (%v):\n%s", err, b)
	}
	tag, _ := exec.Command("git", "-C", repo, "tag", "-l", "--sort=-refname", "--format=%(contents)", "snapshot/*").Output()
	if !strings.Contains(string(tag), "Who changed it:\n  users/") || !strings.Contains(string(tag), who) {
		t.Errorf("the tag messages do not say who changed it:\n%s", tag)
	}
	code, out, errOut := runWith(t, f, "", false, "diff", "--repo", repo, "HEAD~2", "HEAD~1")
	if code != exitOK || !strings.Contains(out, who) || !strings.Contains(out, "Update user") {
		t.Errorf("diff: code %d, want %q:\n%s\n%s", code, who, out, errOut)
	}
	_, md, _ := runWith(t, f, "", false, "diff", "--repo", repo, "--format", "markdown", "HEAD~2", "HEAD~1")
	if !strings.Contains(md, "  - _"+who) {
		t.Errorf("diff --format markdown does not say who changed it:\n%s", md)
	}
	_, out, _ = runWith(t, f, "", false, "log", "--repo", repo, user)
	if !strings.Contains(out, "    "+who) {
		t.Errorf("log does not say who changed it:\n%s", out)
	}
	_, out, _ = runWith(t, f, "", false, "diff", "--repo", repo)
	if !strings.Contains(out, "no audit record") {
		t.Errorf("a change without an audit record does not say so:\n%s", out)
	}
	// The kept records are part of a valid repository.
	if code, out, errOut := runWith(t, f, "", false, "check", "--repo", repo); code != exitOK {
		t.Errorf("check: code %d\n%s\n%s", code, out, errOut)
	}
	_, out, _ = runCLI(t, "kinds", "--permissions")
	if !strings.Contains(out, "Who changed it") || !strings.Contains(out, "AuditLog.Read.All") {
		t.Errorf("kinds --permissions does not name AuditLog.Read.All:\n%s", out)
	}
}
