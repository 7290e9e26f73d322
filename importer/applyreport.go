package importer

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
)

// ResultLine is one action's outcome, for a person: status, action id,
// what it did, a new id, the error.
func (p *Plan) ResultLine(ar ActionResult) string {
	what := string(ar.Op)
	if a := p.Action(ar.ID); a != nil {
		what = fmt.Sprintf("%s %s %q", a.Op, a.Kind, a.Name)
		if t := a.Target; t != "" {
			if n, ok := p.Names[strings.ToLower(t)]; ok {
				t = fmt.Sprintf("%q (%s)", n, t)
			}
			what += " " + a.Relationship + " " + t
		}
	}
	status := map[Status]string{StatusDone: "done   ", StatusAlready: "already", StatusFailed: "FAILED ", StatusSkipped: "skipped"}[ar.Status]
	line := fmt.Sprintf("  %s [%s] %s", status, ar.ID, what)
	if ar.NewID != "" {
		line += " → new id " + layout.Safe(ar.NewID)
	}
	if ar.Error != "" {
		line += ": " + layout.Safe(ar.Error)
	}
	if a := p.Action(ar.ID); a != nil {
		line += refusedValue(a, ar)
	}
	return line
}

// graphInvalidValue is how Graph refuses a property's value (too long,
// malformed): "Invalid value specified for property 'displayName' of
// resource 'Group'." (graph-semantics.md; graphsim/limits.go).
var graphInvalidValue = regexp.MustCompile(`Invalid value specified for property '([A-Za-z0-9_.]+)'`)

// refusedValue says, for an action Graph refused because of one
// property's value, which file holds it and what to do.
func refusedValue(a *Action, ar ActionResult) string {
	if ar.Status != StatusFailed || ar.GraphStatus != 400 || a.File == "" {
		return ""
	}
	m := graphInvalidValue.FindStringSubmatch(ar.Error)
	if m == nil {
		return ""
	}
	return fmt.Sprintf("; Graph refuses the value of %s in %s (longer than Graph takes, or a value it does not accept): correct it in the file and plan again",
		m[1], layout.Safe(a.File))
}

// Render writes the result of applying plan in format: text (Report) or
// json (WriteJSON: the plan and the result in one document).
func (res *Result) Render(w io.Writer, plan *Plan, format string) error {
	switch format {
	case "", layout.FormatText:
		res.Report(w, plan)
		return nil
	case layout.FormatJSON:
		return res.WriteJSON(w, plan)
	}
	return layout.FormatError(format, layout.FormatText, layout.FormatJSON)
}

// ApplyProgress is Apply's progress (ApplyOptions.Progress) for plan in
// format: text says on w that the plan is checked and applied, then a
// line per action (ResultLine); json says nothing (nil), the result
// holds it all.
func (p *Plan) ApplyProgress(w io.Writer, format string) func(ActionResult) {
	if format == layout.FormatJSON {
		return nil
	}
	fmt.Fprintf(w, "\nChecking the plan against the tenant, then applying %d actions...\n", len(p.Actions))
	return func(ar ActionResult) { fmt.Fprintln(w, p.ResultLine(ar)) }
}

// Report writes the summary of applying plan for a person: the counts,
// the failed and skipped actions, the verification, the new ids and the
// post-restore snapshot. The recreated objects are listed by old id.
func (res *Result) Report(w io.Writer, plan *Plan) {
	c := res.Count()
	// A plan from files (a pull request's) is applied, not restored.
	what, matches, post := "Restore", "the snapshot for everything restored", "Post-restore"
	if plan.Files != nil {
		what, matches, post = "Apply", "the files for everything applied", "Post-apply"
	}
	fmt.Fprintf(w, "\n%s: %d done, %d already in place, %d failed, %d skipped.\n",
		what, c[StatusDone], c[StatusAlready], c[StatusFailed], c[StatusSkipped])
	for _, ar := range res.Actions {
		if ar.Status == StatusFailed || ar.Status == StatusSkipped {
			fmt.Fprintln(w, plan.ResultLine(ar))
		}
	}
	switch {
	case res.Verified:
		fmt.Fprintf(w, "Verified: the tenant matches %s.\n", matches)
	case res.VerifyError != "":
		fmt.Fprintf(w, "Verification could not read the tenant back: %s\n", layout.Safe(res.VerifyError))
	default:
		fmt.Fprintf(w, "Verification: %d differences remain:\n", len(res.Differences))
		for _, d := range res.Differences {
			line := fmt.Sprintf("  %s %q (%s): %s", d.Kind, d.Name, layout.Safe(d.Key), layout.Safe(d.What))
			if d.Target != "" {
				line += " " + layout.Safe(d.Target)
			}
			fmt.Fprintln(w, line)
		}
	}
	if res.IDs != nil && res.IDs.Len() > 0 {
		if plan.Files != nil {
			fmt.Fprintf(w, "Created (new files become <name>.<id>.yaml; ids kept in %s):\n", IDMapPath)
		} else if res.Snapshot == nil && res.IDsCommit != "" {
			fmt.Fprintf(w, "Recreated under new ids (recorded in %s by commit %s; the objects' files are in the next snapshot):\n", IDMapPath, history.ShortRev(res.IDsCommit))
		} else if res.Snapshot == nil && res.SnapshotErr != "" {
			fmt.Fprintf(w, "Recreated under new ids (not recorded in %s yet: see below):\n", IDMapPath)
		} else {
			fmt.Fprintf(w, "Recreated under new ids (kept in %s):\n", IDMapPath)
		}
		for _, old := range sortedKeys(res.IDs.IDs) {
			en := res.IDs.IDs[old]
			fmt.Fprintf(w, "  %s %s → %s\n", en.Kind, layout.Safe(old), layout.Safe(en.New))
		}
	}
	switch {
	case res.Snapshot != nil && res.Snapshot.Changed:
		fmt.Fprintf(w, "%s snapshot %s committed", post, history.ShortRev(res.Snapshot.Commit))
		if res.Snapshot.Tag != "" {
			fmt.Fprintf(w, ", tagged %s", res.Snapshot.Tag)
		}
		fmt.Fprintln(w, ".")
	case res.Snapshot != nil:
		fmt.Fprintf(w, "The %s state equals snapshot %s; tagged it %s.\n", strings.ToLower(post), history.ShortRev(res.Snapshot.Commit), res.Snapshot.Tag)
	case res.AttemptTag != "":
		fmt.Fprintf(w, "Nothing was changed, so no snapshot was made; this apply, action by action, is recorded by tag %s (git show %s).\n", res.AttemptTag, res.AttemptTag)
	case res.SnapshotErr != "":
		fmt.Fprintf(w, "The %s snapshot was not recorded: %s\n", strings.ToLower(post), res.SnapshotErr)
	}
}

// WriteJSON writes plan and res, the result of applying it, as one
// indented JSON document {"plan": ..., "result": ...} (restore --json
// --yes), with <, > and & as they are.
func (res *Result) WriteJSON(w io.Writer, plan *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Plan   *Plan   `json:"plan"`
		Result *Result `json:"result"`
	}{plan, res})
}
