package history

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/entrasnap/entrasnap/layout"
)

// WriteSnapshots writes the table of `entrasnap snapshots`, newest first
// as given; every string from the repository is escaped (layout.Safe).
func WriteSnapshots(w io.Writer, snaps []Tagged) error {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "TAG\tCOMMIT\tTIME (UTC)\tOBJECTS\tCOMPLETE\tSIGNED\tDESCRIPTION")
	for _, si := range snaps {
		complete := "yes"
		if !si.Complete {
			complete = "no: " + strings.Join(si.Incomplete, ",")
		}
		if len(si.NotLicensed) > 0 {
			complete += " (not licensed: " + strings.Join(si.NotLicensed, ",") + ")"
		}
		signed := "no"
		if si.Signed {
			signed = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", layout.Safe(si.Tag), si.Commit[:12], si.Time.Format("2006-01-02 15:04:05"), si.Objects, layout.Safe(complete), signed, layout.Safe(si.Description))
	}
	return tw.Flush()
}

// WriteLog writes the text of `entrasnap log`: the history of the object
// file p, newest first as Log returns it.
func WriteLog(w io.Writer, p string, entries []Entry) {
	_, key, _ := layout.Locate(p)
	fmt.Fprintf(w, "History of %s (%s)\n", layout.Safe(p), layout.Safe(key))
	for _, en := range entries {
		tags := ""
		if len(en.Tags) > 0 {
			tags = " " + layout.Safe(strings.Join(en.Tags, ", "))
		}
		fmt.Fprintf(w, "\n%s %s%s  %s\n", en.Commit[:12], en.Time, tags, en.Action)
		for _, s := range en.ChangedBy {
			fmt.Fprintf(w, "    %s\n", layout.Safe(s))
		}
		for _, s := range en.Summary {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
	if len(entries) == 0 {
		fmt.Fprintln(w, "no changes found")
	}
}

// WarnSkipped says on w (stderr) which files were left out and what to do.
func WarnSkipped(w io.Writer, skipped []Skipped) {
	for _, s := range skipped {
		fmt.Fprintf(w, "warning: %s at %s could not be read and was left out: %s\n", layout.Safe(s.Path), layout.Safe(s.Rev), layout.Safe(s.Reason))
	}
	if len(skipped) > 0 {
		fmt.Fprintln(w, "warning: run `entrasnap check` for every unreadable file; fix or remove it with a commit")
	}
}
