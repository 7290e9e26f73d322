package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/bench"
)

// TestBenchSmoke runs the whole bench table at a small size (the large
// sizes are run by hand: see the README's Development section).
func TestBenchSmoke(t *testing.T) {
	users, groups, apps, restore, days, minObjects := 300, 60, 20, 30, 20, 400
	if testing.Short() {
		// -short (the race run, where every export of the tenant costs
		// several times its plain CPU): half the users, a third of the
		// groups, half the apps, 10 users restored, the log row over 4
		// daily snapshots (without -race 11 CPU-seconds instead of 18).
		// The daily change (--changes 20) keeps its size: its row checks
		// its mix. (Under 150 users graphsim's large profile cannot be
		// built: its PIM for Groups requests collide.)
		users, groups, apps, restore, days, minObjects = 150, 20, 10, 10, 4, 180
	}
	n := strconv.Itoa
	args := []string{"bench", "--users", n(users), "--groups", n(groups), "--apps", n(apps), "--changes", "20", "--restore", n(restore), "--days", n(days), "--in-process"}
	code, out, errOut := runCLI(t, append(args, "--json")...)
	if code != exitOK {
		t.Fatalf("bench: exit %d\n%s", code, errOut)
	}
	var tab bench.Table
	if err := json.Unmarshal([]byte(out), &tab); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if tab.Users != users || tab.Groups != groups || tab.Apps != apps || tab.Objects < minObjects || tab.Floor.Units <= 0 || tab.Machine.CPUs <= 0 {
		t.Errorf("table header: %+v", tab)
	}
	var ids []string
	row := map[string]bench.Row{}
	for _, r := range tab.Rows {
		ids = append(ids, r.ID)
		row[r.ID] = r
	}
	if got := strings.Join(ids, " "); got != "a1 a2 b1 b2 c1 c2 d e1 e2 e3 f" {
		t.Fatalf("rows %s", got)
	}
	for _, r := range tab.Rows {
		if r.ID == "a2" { // --in-process: no child, no RSS
			if r.Error == "" {
				t.Errorf("a2 measured RSS in process: %+v", r)
			}
			continue
		}
		if r.Error != "" || r.Value < 0 || (r.Value == 0 && r.ID != "b2") || r.Target <= 0 || r.Met != (r.Value <= r.Target) {
			t.Errorf("row %s: %+v", r.ID, r)
		}
	}
	if r := row["c1"]; r.Value > 100 || !strings.Contains(r.Detail, "5 user edits, 5 user creates, 5 user deletes, 3 members added, 2 removed") {
		t.Errorf("daily run: %+v", r)
	}
	churn := map[string]int{}
	for _, sp := range tab.Churn {
		churn[sp.Path] += sp.Requests
	}
	if churn["/users/delta"] == 0 || churn["/groups/delta"] == 0 || len(tab.Quiet) == 0 {
		t.Errorf("daily run's breakdown %+v (no-change run's: %d paths)", tab.Churn, len(tab.Quiet))
	}
	if r := row["e2"]; !strings.Contains(r.Run, "over "+n(days)+" snapshots") {
		t.Errorf("log row: %+v", r)
	}
	if r := row["f"]; !strings.Contains(r.Run, n(restore)+" deleted users") || !strings.Contains(r.Detail, fmt.Sprintf("%d of %d users back", restore, restore)) {
		t.Errorf("restore row: %+v", r)
	}

	code, out, errOut = runCLI(t, "bench", "--users", "300", "--groups", "60", "--apps", "20", "--clock", "sometimes")
	if code != exitUsage || !strings.Contains(errOut, "--clock") {
		t.Errorf("bad --clock: exit %d, %s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "bench", "--users", "300", "--groups", "60", "--apps", "20", "--runs", "ax")
	if code != exitUsage || !strings.Contains(errOut, "--runs") || !strings.Contains(errOut, "a to f") {
		t.Errorf("bad --runs: exit %d, %s%s", code, out, errOut)
	}
}
