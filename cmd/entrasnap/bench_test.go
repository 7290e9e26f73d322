package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchCommand(t *testing.T) {
	code, out, errOut := runCLI(t, "bench", "--profiles", "demo", "--json")
	if code != exitOK {
		t.Fatalf("bench: %d %s", code, errOut)
	}
	var rows []benchRow
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r benchRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 2 || !rows[0].Committed || rows[1].Committed || rows[0].Requests == 0 || rows[0].ResourceUnits == 0 || rows[0].Objects < 300 {
		t.Errorf("rows = %+v", rows)
	}
	code, out, _ = runCLI(t, "bench", "--profiles", "empty")
	if code != exitOK || !strings.Contains(out, "RESOURCE UNITS") || !strings.Contains(out, "no change") {
		t.Errorf("table: %d\n%s", code, out)
	}
}
