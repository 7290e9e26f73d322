package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/bench"
)

// TestBenchSmoke runs the whole bench table at a small size (the large
// sizes are run by hand: see the README's Development section).
func TestBenchSmoke(t *testing.T) {
	days := "20"
	if testing.Short() {
		days = "4" // -short (the race run): the log row over 4 daily snapshots
	}
	args := []string{"bench", "--users", "300", "--groups", "60", "--apps", "20", "--changes", "20", "--restore", "30", "--days", days, "--in-process"}
	code, out, errOut := runCLI(t, append(args, "--json")...)
	if code != exitOK {
		t.Fatalf("bench: exit %d\n%s", code, errOut)
	}
	var tab bench.Table
	if err := json.Unmarshal([]byte(out), &tab); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if tab.Users != 300 || tab.Groups != 60 || tab.Apps != 20 || tab.Objects < 400 || tab.Floor.Units <= 0 || tab.Machine.CPUs <= 0 {
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
	if r := row["e2"]; !strings.Contains(r.Run, "over "+days+" snapshots") {
		t.Errorf("log row: %+v", r)
	}
	if r := row["f"]; !strings.Contains(r.Run, "30 deleted users") || !strings.Contains(r.Detail, "30 of 30 users back") {
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
