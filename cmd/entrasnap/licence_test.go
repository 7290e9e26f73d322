package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// A tenant that loses its P2 licence: export exits 0 and says the PIM kind
// is not licensed (files carried), snapshots lists it as not licensed and
// the snapshot as complete, check warns but passes, drift finds no drift
// (no "everything removed") and exits 0 with a note.
func TestNotLicensedKindAcrossCommands(t *testing.T) {
	f := newDriftFixture(t, nil) // one export with P2 (the default)
	// Without P2 a time-bound role assignment cannot be told from a standing
	// one (its schedule is a PIM read) and would show in roles/assignments:
	// the demo's is removed first, so only the PIM kinds are compared.
	removeTimeBoundAssignments(t, f)
	if code, out, errOut := runCLI(t, "export", "--repo", f.repo, "--graph-url", f.url, "--access-token", f.sim.Token(),
		"--message", "baseline without time-bound assignments", "--allow-shrink"); code != exitOK {
		t.Fatalf("export: code %d\n%s\n%s", code, out, errOut)
	}
	if err := f.sim.SetLicence(graphsim.LicenceP1); err != nil {
		t.Fatal(err)
	}
	conn := f.args[2:] // --graph-url URL --access-token TOKEN
	body := filepath.Join(t.TempDir(), "pr.md")
	code, out, errOut := runCLI(t, append([]string{"export", "--repo", f.repo, "--message", "lost P2", "--pr-body", body}, conn...)...)
	if code != exitOK {
		t.Fatalf("export: code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "NOT LICENSED") || !strings.Contains(out, "role-eligibility-schedules: needs Microsoft Entra ID P2") || strings.Contains(out, "INCOMPLETE") {
		t.Errorf("export summary:\n%s", out)
	}
	if strings.Contains(errOut, "incomplete") {
		t.Errorf("export stderr calls the snapshot incomplete:\n%s", errOut)
	}
	if md, err := os.ReadFile(body); err != nil || !strings.Contains(string(md), "**Not licensed in this tenant:** PIM role eligibility schedules (needs Microsoft Entra ID P2") ||
		!strings.Contains(string(md), "**Not licensed in part:** role assignments were read, but need Microsoft Entra ID P2") {
		t.Errorf("--pr-body: %v\n%s", err, md)
	}
	man := exportTestGit(t, f.repo, "show", "HEAD:.entrasnap/snapshot.yaml")
	if !strings.Contains(man, `notLicensed: "Microsoft Entra ID P2 or Microsoft Entra ID Governance"`) {
		t.Errorf("manifest:\n%s", man)
	}
	if files := exportTestGit(t, f.repo, "diff", "--name-only", "HEAD~1", "HEAD"); strings.Contains(files, "roles/eligibility/") {
		t.Errorf("the not-licensed read changed PIM files:\n%s", files)
	}

	code, out, errOut = runCLI(t, "snapshots", "--repo", f.repo)
	if code != exitOK {
		t.Fatalf("snapshots: code %d\n%s\n%s", code, out, errOut)
	}
	first := strings.SplitN(out, "\n", 3)[1] // newest snapshot
	if !strings.Contains(first, "yes (not licensed: group-assignment-schedules,group-eligibility-schedules,role-eligibility-schedules,role-management-policies,time-bound-role-assignments)") {
		t.Errorf("snapshots:\n%s", out)
	}

	code, out, errOut = runCLI(t, "check", "--repo", f.repo)
	if code != exitOK || !strings.Contains(out, "not licensed in this tenant") {
		t.Errorf("check: code %d\n%s\n%s", code, out, errOut)
	}

	code, out, errOut = f.drift(t, "--baseline", "HEAD~1")
	if code != exitOK {
		t.Errorf("drift: code %d, want 0 (no drift; the PIM kind is not licensed)\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out, "removed") || strings.Contains(out, "NOT CHECKED") || !strings.Contains(out, "not licensed in this tenant") {
		t.Errorf("drift:\n%s", out)
	}

	// --kinds: a PIM kind named alone is not licensed as in the default
	// export; role-assignments named alone is read, and says that without
	// P2 it cannot tell time-bound assignments and activations apart.
	code, out, errOut = runCLI(t, append([]string{"export", "--repo", f.repo, "--kinds", "time-bound-role-assignments", "--message", "pim only"}, conn...)...)
	if code != exitOK || !strings.Contains(out, "NOT LICENSED") || !strings.Contains(out, "time-bound-role-assignments: needs Microsoft Entra ID P2") {
		t.Errorf("export --kinds time-bound-role-assignments: code %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, append([]string{"export", "--repo", f.repo, "--kinds", "role-assignments", "--message", "roles only"}, conn...)...)
	want := "role-assignments was read, but needs Microsoft Entra ID P2 or Microsoft Entra ID Governance: Graph refused the PIM read"
	if code != exitOK || !strings.Contains(out, "NOT LICENSED in part: "+want) || strings.Contains(out, "INCOMPLETE") {
		t.Errorf("export --kinds role-assignments: code %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "needs Microsoft Entra ID P2 or Microsoft Entra ID Governance in part: Graph refused the PIM read") {
		t.Errorf("export --kinds role-assignments: no note on stderr:\n%s", errOut)
	}
	if err := f.sim.SetLicence(graphsim.LicenceP2); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut = runCLI(t, append([]string{"export", "--repo", f.repo, "--kinds", "role-assignments", "--message", "roles with P2"}, conn...)...); code != exitOK || strings.Contains(out+errOut, "in part") {
		t.Errorf("export --kinds role-assignments with P2: code %d\n%s\n%s", code, out, errOut)
	}
}

func TestGraphsimLicenceFlag(t *testing.T) {
	code, _, errOut := runCLI(t, "graphsim", "--licence", "E5")
	if code != exitUsage || !strings.Contains(errOut, `--licence "E5": want free, p1 or p2`) {
		t.Errorf("--licence E5: code %d, stderr %q", code, errOut)
	}
	code, out, _ := runCLI(t, "graphsim", "--help")
	if code != exitOK || !strings.Contains(out, "--licence") || !strings.Contains(out, "large: 100,000 users") {
		t.Errorf("graphsim --help: code %d\n%s", code, out)
	}
}

// restore of a kind the tenant is not licensed for: the plan says so
// instead of actions, nothing is written, exit 0.
func TestRestoreNotLicensedKindCommand(t *testing.T) {
	f := newDriftFixture(t, nil)
	if err := f.sim.SetLicence(graphsim.LicenceFree); err != nil {
		t.Fatal(err)
	}
	conn := f.args[2:]
	code, out, errOut := runCLI(t, append([]string{"restore", "--repo", f.repo, "--at", "HEAD", "role-eligibility-schedules"}, conn...)...)
	if code != exitOK {
		t.Fatalf("restore: code %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	all := out + errOut
	if !strings.Contains(all, "Not licensed in this tenant (never written)") ||
		!strings.Contains(all, "PIM role eligibility schedules: not licensed in this tenant, needs Microsoft Entra ID P2") ||
		!strings.Contains(all, "Nothing to write") {
		t.Errorf("restore output:\n%s", all)
	}
}

// removeTimeBoundAssignments ends the tenant's time-bound role assignments
// (adminRemove of each Assigned schedule with an end).
func removeTimeBoundAssignments(t *testing.T, f *driftFixture) {
	t.Helper()
	ctx := context.Background()
	c, err := graph.New(graph.Config{BaseURL: f.url, AccessToken: f.sim.Token(), Sleep: simtest.Sleep(f.sim)})
	if err != nil {
		t.Fatal(err)
	}
	var remove []map[string]any
	err = c.List(ctx, "/v1.0/roleManagement/directory/roleAssignmentSchedules", func(items []json.RawMessage) error {
		for _, it := range items {
			var m map[string]any
			if err := json.Unmarshal(it, &m); err != nil {
				return err
			}
			exp, _ := m["scheduleInfo"].(map[string]any)["expiration"].(map[string]any)
			if m["assignmentType"] == "Assigned" && exp["type"] != "noExpiration" {
				remove = append(remove, map[string]any{"action": "adminRemove", "principalId": m["principalId"],
					"roleDefinitionId": m["roleDefinitionId"], "directoryScopeId": m["directoryScopeId"], "justification": "test"})
			}
		}
		return nil
	})
	if err != nil || len(remove) == 0 {
		t.Fatalf("time-bound assignments: %v, %d found", err, len(remove))
	}
	for _, b := range remove {
		if _, err := c.Do(ctx, "POST", "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests", b); err != nil {
			t.Fatal(err)
		}
	}
}
