package evidence

import (
	"fmt"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
)

// summary makes the report's summary lines from its sections. Results are
// plain text with names from the repository as they are: renderers escape.
func summary(rep *Report, maxGap time.Duration) []Line {
	var out []Line
	add := func(id, evidence, result, status string) {
		out = append(out, Line{ID: id, Evidence: evidence, Result: result, Status: status, Controls: lineControls[id]})
	}
	s := rep.Snapshots
	window := "in the window"
	if rep.Window.From.IsZero() {
		window = "in the repository"
	}
	switch {
	case s.Count == 0 && s.Before == nil:
		add("snapshots", "Snapshots taken", "none: run entrasnap export --repo R daily (the CI templates in ci/ do)", StatusMissing)
	case s.Count == 0:
		add("snapshots", "Snapshots taken", fmt.Sprintf("none %s; the last was %s (%s)", window, s.Before.Tag, stamp(s.Before.Time)), StatusAttention)
	default:
		add("snapshots", "Snapshots taken", fmt.Sprintf("%d %s, %s to %s", s.Count, window, stamp(s.First.Time), stamp(s.Last.Time)), StatusOK)
	}
	switch {
	case s.LargestGap == nil:
		add("rpo", "Recovery point objective achieved (largest gap)", "not measurable: fewer than two snapshots", StatusMissing)
	default:
		st := StatusOK
		if s.LargestGap.Seconds > maxGap.Seconds() {
			st = StatusAttention
		}
		add("rpo", "Recovery point objective achieved (largest gap)", fmt.Sprintf("%s, between %s and %s", Human(s.LargestGap.Seconds), s.LargestGap.From, s.LargestGap.To), st)
	}
	open := ""
	if (s.Count > 0 || s.Before != nil) && s.SinceLastSeconds > maxGap.Seconds() {
		open = fmt.Sprintf("; the last snapshot is %s old", Human(s.SinceLastSeconds))
	}
	st := StatusOK
	if len(s.GapsOver) > 0 || open != "" {
		st = StatusAttention
	}
	if s.Count+len(s.GapsOver) == 0 && s.Before == nil {
		st = StatusMissing
	}
	add("gaps", "Gaps longer than "+gapText(maxGap), fmt.Sprintf("%d%s", len(s.GapsOver), open), st)
	if s.Count == 0 {
		add("partial", "Complete snapshots", "no snapshot "+window, StatusMissing)
	} else {
		st := StatusOK
		res := fmt.Sprintf("%d of %d complete", s.Complete, s.Count)
		if s.Partial > 0 {
			st = StatusAttention
			res += fmt.Sprintf(", %d partial (a kind could not be read; its files are an earlier snapshot's)", s.Partial)
		}
		add("partial", "Complete snapshots", res, st)
	}

	c := rep.Completeness
	if c.Snapshot == "" || c.Complete+c.Incomplete+c.NotLicensed+c.Skipped == 0 {
		add("kinds", "Kinds backed up (latest snapshot)", "no manifest to read", StatusMissing)
	} else {
		st := StatusOK
		res := fmt.Sprintf("%d of %d kinds complete, %d objects (%s)", c.Complete, c.Complete+c.Incomplete+c.NotLicensed+c.Skipped, c.Objects, c.Snapshot)
		var more []string
		if c.Incomplete > 0 {
			st = StatusAttention
			more = append(more, fmt.Sprintf("%d incomplete", c.Incomplete))
		}
		if c.NotLicensed > 0 {
			more = append(more, fmt.Sprintf("%d not licensed in the tenant", c.NotLicensed))
		}
		if c.Skipped > 0 {
			more = append(more, fmt.Sprintf("%d read only when signed in as a user (kept from the last such export)", c.Skipped))
		}
		if c.ReadInPart > 0 {
			more = append(more, fmt.Sprintf("%d read in part (a role scoped to some attribute sets; the rest kept from an earlier snapshot)", c.ReadInPart))
		}
		if c.NotExported > 0 {
			more = append(more, fmt.Sprintf("%d of the catalog not exported", c.NotExported))
		}
		if len(more) > 0 {
			res += "; " + strings.Join(more, ", ")
		}
		add("kinds", "Kinds backed up (latest snapshot)", res, st)
	}

	ck := rep.Integrity.Check
	what := "the latest snapshot (HEAD)"
	if ck.All {
		what = fmt.Sprintf("%d snapshots", ck.Snapshots)
	}
	if ck.OK {
		add("check", "Repository check (entrasnap check)", fmt.Sprintf("passed: %s, %d object files, %d %s, %d %s", what, ck.Files, ck.TagsChecked, layout.Plural(ck.TagsChecked, "tag", "tags"), ck.Warnings, layout.Plural(ck.Warnings, "warning", "warnings")), StatusOK)
	} else {
		add("check", "Repository check (entrasnap check)", fmt.Sprintf("failed: %d %s in %s", ck.Errors, layout.Plural(ck.Errors, "error", "errors"), what), StatusAttention)
	}
	sg := rep.Integrity.Signatures
	switch {
	case !sg.Verified:
		add("signatures", "Signatures of commits and snapshot tags", "not verified: give --allowed-signers FILE (snapshots signed with export --signing-key)", StatusMissing)
	case sg.Failed > 0:
		add("signatures", "Signatures of commits and snapshot tags", fmt.Sprintf("%d of %d not trusted (against %s)", sg.Failed, sg.Commits+sg.Tags, sg.AllowedSigners), StatusAttention)
	default:
		add("signatures", "Signatures of commits and snapshot tags", fmt.Sprintf("all %d good (against %s)", sg.Good, sg.AllowedSigners), StatusOK)
	}

	rh := rep.Rehearsals
	if len(rh.Records) == 0 {
		res := "none " + window + ": run entrasnap rehearse --repo R"
		if len(rh.Broken) > 0 {
			res += fmt.Sprintf(" (%d %s could not be read)", len(rh.Broken), layout.Plural(len(rh.Broken), "record", "records"))
		}
		add("rehearsals", "Restore rehearsals", res, StatusMissing)
	} else {
		last := rh.Records[0]
		failedRuns := 0
		for _, r := range rh.Records {
			if r.Failed > 0 {
				failedRuns++
			}
		}
		res := fmt.Sprintf("%d %s; the last (%s): %d passed, %d failed, %d skipped, longest restore %s",
			len(rh.Records), window, stamp(last.StartedAt), last.Passed, last.Failed, last.Skipped, Human(last.RestoreSeconds))
		st := StatusOK
		if last.Failed > 0 {
			st = StatusAttention
		}
		if failedRuns > 0 {
			res += fmt.Sprintf("; %d %s with a failed scenario", failedRuns, layout.Plural(failedRuns, "run", "runs"))
		}
		if maxAge := time.Duration(rh.MaxAgeSeconds * float64(time.Second)); maxAge > 0 && rep.GeneratedAt.Sub(last.StartedAt) > maxAge {
			// The weekly job stopped (or never ran weekly): the last
			// result says nothing of the snapshots since.
			st = StatusAttention
			res += fmt.Sprintf("; the last is %s old, more than %s: is the weekly rehearsal job still running?", Human(rep.GeneratedAt.Sub(last.StartedAt).Seconds()), Human(maxAge.Seconds()))
		}
		if len(rh.Broken) > 0 {
			st = StatusAttention
			res += fmt.Sprintf("; %d %s could not be read", len(rh.Broken), layout.Plural(len(rh.Broken), "record", "records"))
		}
		add("rehearsals", "Restore rehearsals", res, st)
	}

	if n := len(rep.Applies); n > 0 {
		var each []string
		for _, ap := range rep.Applies[:min(n, 5)] {
			each = append(each, fmt.Sprintf("%s (by %s: %d failed, %d skipped)", ap.Tag, ap.By, ap.Failed, ap.Skipped))
		}
		if n > 5 {
			each = append(each, fmt.Sprintf("%d more", n-5))
		}
		add("applies", "Restore applies that changed nothing (every write failed)", fmt.Sprintf("%d %s: %s; each tag holds the record, object by object (git show TAG)",
			n, window, strings.Join(each, ", ")), StatusAttention)
	}

	a := rep.Access
	switch {
	case !a.Recorded:
		add("access", "Backup app's permissions", "not recorded in the manifest (an export token that is not a JWT and no --client-id to read the app's grants from Graph with, or an export by an entrasnap before 2026-12); grant exactly what entrasnap kinds --permissions lists", StatusMissing)
	case !a.ReadOnly:
		res := fmt.Sprintf("not read-only: %s (%s token; %s)", strings.Join(a.Writes, ", "), a.Type, accessSource(a.Source))
		if len(a.WritesToRead) > 0 {
			res += fmt.Sprintf("; needed to read kinds Graph reads only with a write permission: %s", strings.Join(a.WritesToRead, ", "))
		}
		add("access", "Backup app's permissions", res, StatusAttention)
	case !a.LeastPrivilege:
		add("access", "Backup app's permissions", fmt.Sprintf("read-only, %d beyond the least set: %s", len(a.Extra), strings.Join(a.Extra, ", ")), StatusAttention)
	default:
		res := fmt.Sprintf("read-only and least privilege: %d permissions (%s token; %s)", len(a.Permissions), a.Type, accessSource(a.Source))
		st := StatusOK
		if len(a.Missing) > 0 {
			// (the kinds they read are incomplete: line "kinds" says which)
			res += fmt.Sprintf("; %d needed not held: %s", len(a.Missing), strings.Join(a.Missing, ", "))
			st = StatusAttention
		}
		add("access", "Backup app's permissions", res, st)
	}
	return out
}
