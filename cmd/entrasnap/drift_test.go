package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/drift"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// driftFixture is a demo tenant in graphsim and a repository with one
// export of it.
type driftFixture struct {
	histFixture
	args []string // connection flags
}

// newDriftFixture's export is a copy of the shared first export of the
// demo tenant (newRstEnv: the export is made once per test binary, on a
// tenant whose clock is stopped, so the copy is what an export of the
// test's own tenant writes; TestSharedRstEnvIsAnExportOfItsOwn): a dozen
// tests use it, and an export of the demo tenant is 2 to 4 CPU-seconds
// under -race. wrap only shapes a second server over the same tenant, so
// the export never goes through it.
func newDriftFixture(t *testing.T, wrap func(http.Handler) http.Handler) *driftFixture {
	t.Helper()
	e := newRstEnv(t, nil)
	f := &driftFixture{histFixture: histFixture{repo: e.repo, sim: e.sim, url: e.url}}
	sim := e.sim
	url := f.url
	if wrap != nil {
		// A second server over the same tenant, whose answers the test shapes.
		url = serveSim(t, sim, wrap(sim)).URL
	}
	f.args = []string{"--repo", f.repo, "--graph-url", url, "--access-token", sim.Token()}
	return f
}

func (f *driftFixture) drift(t *testing.T, extra ...string) (int, string, string) {
	t.Helper()
	// Retry waits advance graphsim's clock: no real back-off.
	return runWith(t, factory{sleep: simtest.Sleep(f.sim)}, "", false, append(append([]string{"drift"}, f.args...), extra...)...)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDrift(t *testing.T) {
	f := newDriftFixture(t, nil)

	// Nothing changed.
	code, out, errOut := f.drift(t)
	if code != exitOK || !strings.Contains(out, "No drift.") {
		t.Fatalf("drift without changes: code %d\n%s\n%s", code, out, errOut)
	}

	// A Conditional Access policy is disabled behind the backup's back.
	pol := f.sim.Tenant().List("conditionalAccessPolicy")[0]
	name := pol["displayName"].(string)
	histDo(t, &f.histFixture, "PATCH", "/v1.0/identity/conditionalAccess/policies/"+pol["id"].(string), map[string]any{"state": "disabled"})

	code, out, errOut = f.drift(t)
	if code != exitChanges {
		t.Fatalf("drift after a CA change: code %d, want %d\n%s\n%s", code, exitChanges, out, errOut)
	}
	for _, want := range []string{"Conditional Access policies", "~ changed " + name, `→ "disabled"`, "0 added, 0 removed, 1 changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("drift output lacks %q:\n%s", want, out)
		}
	}
	if errOut != "" {
		t.Errorf("drift wrote to stderr with exit 2: %q", errOut)
	}

	// Only groups are critical: the CA change is printed, as not critical,
	// and the exit code says no critical drift.
	groupsOnly := writeFile(t, "watch.yaml", "# critical drift\nkinds: [groups]\n")
	code, out, _ = f.drift(t, "--watch", groupsOnly)
	if code != exitOK {
		t.Errorf("--watch groups with a CA-only change: code %d, want 0\n%s", code, out)
	}
	crit, rest, ok := strings.Cut(out, "not critical")
	if !ok || !strings.Contains(crit, "CRITICAL drift") || strings.Contains(crit, name) || !strings.Contains(rest, "~ changed "+name) {
		t.Errorf("--watch groups: the CA change should be listed as not critical:\n%s", out)
	}

	// Watched by kind folder, by path, by object id: critical.
	for _, watch := range []string{
		"kinds: [conditional-access]\n",
		"paths:\n  - conditional-access/policies/\n",
		"objects: [\"" + strings.ToUpper(pol["id"].(string)) + "\"]\n",
	} {
		code, out, _ := f.drift(t, "--watch", writeFile(t, "watch.yaml", watch))
		if code != exitChanges || !strings.Contains(strings.SplitN(out, "not critical", 2)[0], name) {
			t.Errorf("--watch %q: code %d\n%s", watch, code, out)
		}
	}

	// JSON and markdown carry the same change.
	code, out, _ = f.drift(t, "--format", "json", "--watch", groupsOnly)
	var js struct {
		Drift, CriticalDrift  bool
		Critical, NotCritical struct {
			Changed int
			Changes []struct{ Name, Kind string }
		}
		NotChecked []drift.NotChecked
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if code != exitOK || !js.Drift || js.CriticalDrift || js.NotCritical.Changed != 1 || js.NotCritical.Changes[0].Name != name || len(js.NotChecked) != 0 {
		t.Errorf("json --watch: code %d %+v", code, js)
	}
	code, out, _ = f.drift(t, "--format", "markdown")
	if code != exitChanges || !strings.HasPrefix(out, "### entrasnap drift: ") || !strings.Contains(out, "#### Conditional Access policies") {
		t.Errorf("markdown: code %d\n%s", code, out)
	}

	// --kinds limits the read and the comparison.
	if code, out, _ := f.drift(t, "--kinds", "groups,users"); code != exitOK || !strings.Contains(out, "2 kinds compared") {
		t.Errorf("--kinds groups,users: code %d\n%s", code, out)
	}

	// A new snapshot is the new baseline; the old one stays reachable.
	histExport(t, &f.histFixture, "after the change")
	if code, _, _ := f.drift(t); code != exitOK {
		t.Errorf("drift against the new snapshot: code %d", code)
	}
	if code, _, _ := f.drift(t, "--baseline", "HEAD~1"); code != exitChanges {
		t.Errorf("drift against HEAD~1: code %d", code)
	}

	// Errors are one line that says what to do.
	for _, args := range [][]string{
		{"drift", "--repo", f.repo},
		{"drift", "--repo", t.TempDir(), "--graph-url", f.url, "--access-token", f.sim.Token()},
		{"drift", "--repo", f.repo, "--graph-url", f.url, "--access-token", f.sim.Token(), "--baseline", "no-such-rev"},
		{"drift", "--repo", f.repo, "--graph-url", f.url, "--access-token", f.sim.Token(), "--watch", filepath.Join(t.TempDir(), "missing.yaml")},
		{"drift", "--repo", f.repo, "--graph-url", f.url, "--access-token", f.sim.Token(), "--watch", writeFile(t, "w.yaml", "kinds: [no-such-kind]\n")},
		{"drift", "--repo", f.repo, "--graph-url", f.url, "--access-token", f.sim.Token(), "--watch", writeFile(t, "w.yaml", "kind: [groups]\n")},
		{"drift", "--repo", f.repo, "--graph-url", f.url, "--access-token", "not-a-token"},
	} {
		code, _, errOut := runCLI(t, args...)
		if code == exitOK || code == exitChanges || errOut == "" || strings.Count(strings.TrimSpace(errOut), "\n") > 0 || strings.Contains(errOut, "goroutine") {
			t.Errorf("%v: code %d, stderr %q", args[len(args)-2:], code, errOut)
		}
	}
}

// failPaths answers 500 for requests whose path contains one of the
// fragments, as Graph might for one kind while the others work. Retry-After
// 0 asks for no wait (and the fixture's waits advance graphsim's clock).
func failPaths(h http.Handler, fragments ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, f := range fragments {
			if strings.Contains(r.URL.Path, f) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, `{"error":{"code":"generalException","message":"General exception while processing."}}`)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func TestDriftKindNotReadIsNotChecked(t *testing.T) {
	f := newDriftFixture(t, func(h http.Handler) http.Handler {
		return failPaths(h, "/identity/conditionalAccess/namedLocations")
	})
	code, out, errOut := f.drift(t)
	if code != exitPartial {
		t.Errorf("code %d, want %d (no drift found, a kind not checked)\n%s\n%s", code, exitPartial, out, errOut)
	}
	if !strings.Contains(out, "NOT CHECKED") || !strings.Contains(out, "named locations: list: Graph answered 500") {
		t.Errorf("the unread kind is not reported as not checked:\n%s", out)
	}
	if strings.Contains(out, "removed") && !strings.Contains(out, "not reported as removed") || strings.Contains(out, "- removed") {
		t.Errorf("an unread kind shows as removed:\n%s", out)
	}
	if !strings.Contains(errOut, "named-locations could not be checked") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
		t.Errorf("stderr = %q", errOut)
	}

	// Not watched: no alert. Watched: exit 3.
	if code, out, _ := f.drift(t, "--watch", writeFile(t, "w.yaml", "kinds: [groups]\n")); code != exitOK || !strings.Contains(out, "NOT CHECKED") {
		t.Errorf("--watch groups with named locations unread: code %d\n%s", code, out)
	}
	if code, out, _ := f.drift(t, "--watch", writeFile(t, "w.yaml", "paths: [conditional-access]\n")); code != exitPartial || !strings.Contains(out, "[watched]") {
		t.Errorf("--watch conditional-access with named locations unread: code %d\n%s", code, out)
	}
	code, out, _ = f.drift(t, "--format", "json")
	var js struct {
		Drift      bool
		NotChecked []drift.NotChecked
		Critical   struct{ Removed int }
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || js.Drift || len(js.NotChecked) != 1 || js.NotChecked[0].Kind != "named-locations" || js.Critical.Removed != 0 {
		t.Errorf("json: %v %+v\n%s", err, js, out)
	}
}

// A person whose Attribute Definition Reader role is scoped to the
// attribute set HR (Directory Readers lists it) runs drift signed in:
// Graph would answer HR alone, so the attribute kinds are not checked, and
// the report itself (text and --format json), not only the progress line,
// names the set read and what reads every set.
func TestDriftSetScopedAttributeReader(t *testing.T) {
	f := newDriftFixture(t, nil)
	tn := f.sim.Tenant()
	upn := tn.List("user")[0]["userPrincipalName"].(string)
	id := tn.List("user")[0]["id"].(string)
	for _, r := range [][2]string{{"88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "/"}, {"1d336d2c-4ae8-42ef-9711-b3604ce3fc2c", "/attributeSets/HR"}} { // Directory Readers, Attribute Definition Reader
		histDo(t, &f.histFixture, "POST", "/v1.0/roleManagement/directory/roleAssignments", map[string]any{"principalId": id, "roleDefinitionId": r[0], "directoryScopeId": r[1]})
	}
	appID := tn.List("application")[0]["appId"].(string)
	histDo(t, &f.histFixture, "PATCH", "/v1.0/applications(appId='"+appID+"')", map[string]any{"isFallbackPublicClient": true, "groupMembershipClaims": "DirectoryRole"})
	if err := tn.GrantDelegated(appID, "User.Read", "CustomSecAttributeDefinition.Read.All", "RoleManagement.Read.Directory"); err != nil {
		t.Fatal(err)
	}
	if err := f.sim.ApproveDeviceCodesAs(upn); err != nil {
		t.Fatal(err)
	}
	dc := oauthPost(t, f.url, f.sim.TenantID(), "devicecode", url.Values{"client_id": {appID}, "scope": {"https://graph.microsoft.com/.default"}})
	at := oauthPost(t, f.url, f.sim.TenantID(), "token", url.Values{"grant_type": {"device_code"}, "client_id": {appID}, "device_code": {dc["device_code"].(string)}})["access_token"].(string)
	args := []string{"drift", "--repo", f.repo, "--graph-url", f.url, "--access-token", at, "--kinds", "attribute-sets,custom-security-attributes"}
	code, out, errOut := runWith(t, factory{sleep: simtest.Sleep(f.sim)}, "", false, args...)
	if code != exitPartial || strings.Count(out, "permission denied; the signed-in user reads the") != 2 || !strings.Contains(out, "of attribute sets HR only") ||
		!strings.Contains(out, "signed in as a user holding Attribute Definition Reader over the whole directory, or with an application token granted CustomSecAttributeDefinition.Read.All") {
		t.Errorf("drift: code %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runWith(t, factory{sleep: simtest.Sleep(f.sim)}, "", false, append(args, "--format", "json")...)
	var js struct{ NotChecked []drift.NotChecked }
	if err := json.Unmarshal([]byte(out), &js); err != nil || code != exitPartial || len(js.NotChecked) != 2 {
		t.Fatalf("json: code %d, %v\n%s", code, err, out)
	}
	for _, nc := range js.NotChecked {
		if !strings.Contains(nc.Reason, "attribute sets HR only") || !strings.Contains(nc.Reason, "CustomSecAttributeDefinition.Read.All") {
			t.Errorf("json: %s: %q", nc.Kind, nc.Reason)
		}
	}
}
