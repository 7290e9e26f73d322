package history

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/entrasnap/entrasnap/layout"
)

// RenderSnapshots writes the snapshots (newest first, as Snapshots gives
// them) in format: text, a table where every string from the repository
// is escaped (layout.Safe), or json, the list as it is.
func RenderSnapshots(w io.Writer, format string, snaps []Tagged) error {
	switch format {
	case "", layout.FormatText:
		return writeSnapshots(w, snaps)
	case layout.FormatJSON:
		return layout.WriteJSON(w, snaps)
	}
	return layout.FormatError(format, layout.FormatText, layout.FormatJSON)
}

// WriteApplies writes, after the text of the snapshots, the applies that
// changed nothing (Applies), whose records are tags, not snapshots; every
// string from the repository escaped. None writes nothing.
func WriteApplies(w io.Writer, applies []Applied) error {
	if len(applies) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nApplies that changed nothing (no snapshot: the tag holds the record, object by object; git show TAG):")
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "TAG\tTIME (UTC)\tBY\tRESULT")
	for _, a := range applies {
		res := fmt.Sprintf("%d failed, %d skipped, %d already in place", a.Failed, a.Skipped, a.Already)
		if a.Broken != "" {
			res = "not an apply record: " + a.Broken
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", layout.Safe(a.Tag), a.Time.Format("2006-01-02 15:04:05"), layout.Safe(a.By), layout.Safe(res))
	}
	return tw.Flush()
}

// writeSnapshots writes the table of `entrasnap snapshots`.
func writeSnapshots(w io.Writer, snaps []Tagged) error {
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
		if len(si.Partial) > 0 {
			complete += " (read in part: " + strings.Join(si.Partial, ",") + ")"
		}
		signed := "no"
		if si.Signed {
			signed = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", layout.Safe(si.Tag), si.Commit[:12], si.Time.Format("2006-01-02 15:04:05"), si.Objects, layout.Safe(complete), signed, layout.Safe(si.Description))
	}
	return tw.Flush()
}

// RenderLog writes the history of the object file p (entries newest
// first, as Log returns them) in format: text, with every string from the
// repository escaped (layout.Safe), summaries too, or json, the entries as
// they are (strings exactly, escaped only as JSON escapes them).
func RenderLog(w io.Writer, format, p string, entries []Entry) error {
	switch format {
	case "", layout.FormatText:
		writeLog(w, p, entries)
		return nil
	case layout.FormatJSON:
		return layout.WriteJSON(w, entries)
	}
	return layout.FormatError(format, layout.FormatText, layout.FormatJSON)
}

// writeLog writes the text of `entrasnap log`.
func writeLog(w io.Writer, p string, entries []Entry) {
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
			fmt.Fprintf(w, "    %s\n", layout.Safe(s))
		}
	}
	if len(entries) == 0 {
		fmt.Fprintln(w, "no changes found")
	}
}

// WriteAppliesNaming writes, after an object's log (text), the applies
// that changed nothing (Applies) whose record names the object of file p
// among the actions not done: no snapshot shows them.
func WriteAppliesNaming(w io.Writer, p string, applies []Applied) {
	_, key, _ := layout.Locate(p)
	mark := "(" + strings.ToLower(key) + ")"
	head := false
	for _, a := range applies {
		for _, l := range a.NotDone {
			if !strings.Contains(strings.ToLower(l), mark) {
				continue
			}
			if !head {
				fmt.Fprintln(w, "\nApplies that changed nothing but tried to (no snapshot: the tag holds the record; git show TAG):")
				head = true
			}
			fmt.Fprintf(w, "%s %s by %s\n    %s\n", layout.Safe(a.Tag), a.Time.Format("2006-01-02 15:04:05"), layout.Safe(a.By), layout.Safe(l))
		}
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
