package bench

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/entrasnap/entrasnap/layout"
)

// Render writes the table in format: text (WriteText) or json (the
// table as one JSON object, strings exact).
func (t *Table) Render(w io.Writer, format string) error {
	switch format {
	case "", layout.FormatText:
		return t.WriteText(w)
	case layout.FormatJSON:
		return layout.WriteJSON(w, t)
	}
	return layout.FormatError(format, layout.FormatText, layout.FormatJSON)
}

// WriteText writes the table for a person: the tenant, the machine, one
// line per row (met, or the distance), then each row's detail; text from
// outside (the CPU's name, errors) is escaped (layout.Safe).
func (t *Table) WriteText(w io.Writer) error {
	m := t.Machine
	fmt.Fprintf(w, "Tenant: %d users, %d groups, %d apps (%d objects). Machine: %d CPUs, %s, %s, %s, Go %s.\n",
		t.Users, t.Groups, t.Apps, t.Objects, m.CPUs, layout.Safe(m.CPU), m.Memory, m.OS, m.Go)
	fmt.Fprintf(w, "Floor: %d resource units in %d requests. Clock: %s. Peak RSS: %s. Processes: %s.\n\n",
		t.Floor.Units, t.Floor.Requests, t.Clock, t.RSS, t.Processes)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tRUN\tMEASURE\tRESULT\tTARGET\tMET")
	for _, r := range t.Rows {
		result := "-"
		if r.Error == "" {
			result = fmt.Sprintf("%.2f %s", r.Value, r.Unit)
		}
		met := "yes"
		if !r.Met {
			met = "no: " + r.Distance()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t≤ %g %s\t%s\n", r.ID, r.Run, r.Measure, result, r.Target, r.Unit, met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, r := range t.Rows {
		line := r.Detail
		if r.Error != "" {
			line = "failed: " + r.Error + "; " + line
		}
		fmt.Fprintf(w, "%s: %s\n", r.ID, layout.Safe(line))
	}
	if len(t.Breakdown) > 0 {
		fmt.Fprintf(w, "\nWhere the full export's (a1) resource units went, beside the floor (largest excess first):\n")
		fmt.Fprintf(w, "%6s %9s %12s %15s  %s\n", "UNITS", "REQUESTS", "FLOOR UNITS", "FLOOR REQUESTS", "PATH")
		for _, s := range t.Breakdown {
			if s.Units == 0 && s.FloorUnits == 0 {
				continue
			}
			fmt.Fprintf(w, "%6d %9d %12d %15d  %s\n", s.Units, s.Requests, s.FloorUnits, s.FloorRequests, layout.Safe(s.Path))
		}
	}
	spends(w, "the no-change run's (c2)", t.Quiet)
	spends(w, "the daily run's after the changes (c1)", t.Churn)
	return nil
}

// spends writes where a run's requests and units went, most units first.
func spends(w io.Writer, run string, ss []Spend) {
	if len(ss) == 0 {
		return
	}
	fmt.Fprintf(w, "\nWhere %s requests and units went (most units first):\n", run)
	fmt.Fprintf(w, "%6s %9s  %s\n", "UNITS", "REQUESTS", "PATH")
	for _, s := range ss {
		if s.Requests > 0 {
			fmt.Fprintf(w, "%6d %9d  %s\n", s.Units, s.Requests, layout.Safe(s.Path))
		}
	}
}
