package bench

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestTableWriteText(t *testing.T) {
	tab := &Table{Users: 10, Floor: Floor{Units: 20}, Clock: "virtual", Machine: Machine{CPUs: 2, CPU: "evil\x1b[2J\u202ecpu"},
		Rows: []Row{
			{ID: "a1", Run: "full export", Measure: "units ÷ floor", Value: 2.5, Target: 1.15, Unit: "×", Detail: "50 units"},
			{ID: "e3", Run: "check", Measure: "wall time", Target: 10, Unit: "s", Error: "exit 1: bad\x1b]0;x\x07name"},
			{ID: "d", Run: "git", Measure: "÷ C git", Value: 0.5, Target: 1, Unit: "×", Met: true},
		},
		Breakdown: []Spend{{Path: "/groups/delta", Requests: 40, Units: 40, FloorRequests: 1, FloorUnits: 1},
			{Path: "/evil\x1b[2J", Units: 1}, {Path: "/quiet"}},
		Quiet: []Spend{{Path: "/auditLogs/directoryAudits", Requests: 1, Units: 1}, {Path: "/not-read"}}}
	var b strings.Builder
	if err := tab.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"2.50 ×", "no: 2.17× the target", "no: not measured", "e3: failed: exit 1:", "yes",
		"Where the full export's (a1) resource units went", "    40        40            1               1  /groups/delta\n",
		"Where the no-change run's (c2) requests and units went", "     1         1  /auditLogs/directoryAudits\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "/quiet") || strings.Contains(out, "/not-read") {
		t.Errorf("a path that cost nothing on either side is listed:\n%s", out)
	}
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Errorf("raw controls in\n%q", out)
	}

	// Render: text is WriteText's; json keeps the strings exactly.
	var text, js strings.Builder
	if err := tab.Render(&text, "text"); err != nil || text.String() != out {
		t.Errorf("Render text is not WriteText's (%v)", err)
	}
	if err := tab.Render(&js, "json"); err != nil {
		t.Fatal(err)
	}
	var back Table
	if err := json.Unmarshal([]byte(js.String()), &back); err != nil || back.Machine.CPU != tab.Machine.CPU || len(back.Rows) != 3 || back.Rows[1].Error != tab.Rows[1].Error {
		t.Errorf("json does not keep the table (%v):\n%s", err, js.String())
	}
	if err := tab.Render(&js, "markdown"); err == nil {
		t.Error("format markdown: no error")
	}
}
