package exporter

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// messages returns the commit and tag messages of a snapshot.
//
// Commit: "entrasnap snapshot <UTC time>" or "entrasnap snapshot: <first
// line of the description>", then the description, the change counts, the
// incomplete kinds and the objects per kind. The tag message is the same
// summary with the Graph traffic of the run.
func messages(res *Result, man *layout.Manifest, description string) (commit, tag string) {
	description = strings.TrimSpace(strings.ReplaceAll(description, "\r\n", "\n"))
	subject := "entrasnap snapshot " + res.Time.UTC().Format(time.RFC3339)
	if description != "" {
		first, _, _ := strings.Cut(description, "\n")
		subject = "entrasnap snapshot: " + strings.TrimSpace(first)
	}
	var b strings.Builder
	b.WriteString(subject + "\n\n")
	if description != "" {
		b.WriteString(description + "\n\n")
	}
	b.WriteString(Summary(res, man))
	commit = b.String()
	tag = commit + "\n" + TrafficLine(res) + "\n"
	if a := AttributionText(res.Attribution); a != "" {
		tag += "\n" + a
	}
	return commit, tag
}

// maxRemovedListed bounds the removed secret-looking properties a commit
// message names.
const maxRemovedListed = 50

// TrafficLine is the Graph traffic of a run in one line.
func TrafficLine(res *Result) string {
	s := fmt.Sprintf("Graph: %d requests, %d resource units", res.Requests, res.ResourceUnits)
	if res.Retries > 0 || res.Throttled > 0 {
		s += fmt.Sprintf(" (%d retries, %d throttled)", res.Retries, res.Throttled)
	}
	return s + "."
}

// incompleteReason is why kind k could not be read, for a person: its
// Reason, and after it the reader's own words when the reader refused the
// kind itself (live.KindError.Worded: an export without a previous
// snapshot by a role scoped to attribute sets says which sets it reads and
// what reads them all, where Reason says only "permission denied"), as
// drift's report says it (drift.remedy). Not escaped: callers escape it
// for where it goes. The manifest keeps Reason alone.
func incompleteReason(k live.KindResult) string {
	var ke *live.KindError
	if errors.As(k.Err, &ke) && ke.Worded() != "" {
		return k.Reason + "; " + ke.Worded()
	}
	return k.Reason
}

// Summary describes a snapshot in a few lines: tenant and time, change
// counts, incomplete kinds, objects per kind (man lists the kinds carried
// from earlier snapshots too; it may be nil).
func Summary(res *Result, man *layout.Manifest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tenant %s, read %s.\n", orUnknown(res.TenantID), res.Time.UTC().Format(time.RFC3339))
	total := 0
	kinds := 0
	if man != nil {
		for _, k := range man.Kinds {
			total += k.Objects
			kinds++
		}
	} else {
		total, kinds = res.Objects(), len(res.Kinds)
	}
	changes := "no change since the previous snapshot"
	if !res.counted {
		changes = "nothing written"
	} else if res.Added+res.Modified+res.Deleted > 0 {
		changes = fmt.Sprintf("files: %d added, %d changed, %d removed", res.Added, res.Modified, res.Deleted)
	}
	fmt.Fprintf(&b, "%d objects in %d kinds; %s.\n", total, kinds, changes)
	if inc := res.Incomplete(); len(inc) > 0 {
		fmt.Fprintf(&b, "\nINCOMPLETE: %d kinds could not be read; their files are carried forward from the previous snapshot:\n", len(inc))
		for _, k := range inc {
			fmt.Fprintf(&b, "  %s: %s\n", k.Kind, layout.Safe(incompleteReason(k)))
		}
	}
	if nl := res.NotLicensed(); len(nl) > 0 {
		fmt.Fprintf(&b, "\nNOT LICENSED: %d kinds are not licensed in this tenant (Graph refused them for it); their files, if any, are carried forward from the previous snapshot:\n", len(nl))
		for _, k := range nl {
			fmt.Fprintf(&b, "  %s: needs %s\n", k.Kind, k.NotLicensed)
		}
	}
	for _, k := range res.Kinds {
		if k.PartNotLicensed != "" {
			// role-assignments without P2 (live/roles.go): read, but what
			// tells time-bound assignments apart was refused.
			fmt.Fprintf(&b, "\nNOT LICENSED in part: %s was read, but needs %s\n", k.Kind, k.PartNotLicensed)
		}
	}
	for _, k := range res.Kinds {
		if k.Partial != "" {
			// Custom security attributes read by a role scoped to attribute
			// sets (live/csavalues.go, csadefs.go): the rest was kept.
			fmt.Fprintf(&b, "\nREAD IN PART: %s: %s\n", k.Kind, k.Partial)
		}
	}
	var skipped []live.KindResult
	for _, k := range res.Kinds {
		if k.Skipped != "" {
			skipped = append(skipped, k)
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(&b, "\nSKIPPED: %d kinds are served by Graph to delegated callers only and this export's token is app-only; their files, if any, are carried forward from the previous snapshot (export them signed in: --auth device-code, browser or azure-cli):\n", len(skipped))
		for _, k := range skipped {
			fmt.Fprintf(&b, "  %s\n", k.Kind)
		}
	}
	if len(res.Warnings) > 0 {
		fmt.Fprintf(&b, "\n%d warnings (files that do not match their schema, had secret-looking properties removed, or that Graph returned without their bytes).\n", len(res.Warnings))
	}
	var removed []live.Warning
	for _, w := range res.Warnings {
		if w.SecretRemoved() {
			removed = append(removed, w)
		}
	}
	if len(removed) > 0 {
		fmt.Fprintf(&b, "\nSecret-looking properties removed (their values are in no file):\n")
		for i, w := range removed {
			if i == maxRemovedListed {
				fmt.Fprintf(&b, "  ... and %d more (entrasnap export --json lists them)\n", len(removed)-i)
				break
			}
			fmt.Fprintf(&b, "  %s: %s\n", layout.Safe(w.Path), layout.Safe(w.Property))
		}
	}
	if man == nil {
		return b.String()
	}
	b.WriteString("\nObjects per kind:\n")
	read := map[string]live.KindResult{}
	for _, k := range res.Kinds {
		read[k.Kind] = k
	}
	width := 0
	for _, n := range man.Names() {
		width = max(width, len(n))
	}
	for _, n := range man.Names() {
		mk := man.Kinds[n]
		note := ""
		if kr, ok := read[n]; !ok {
			note = "  (not read this run, carried)"
		} else if kr.NotLicensed != "" {
			note = "  (not licensed, carried)"
		} else if kr.Skipped != "" {
			note = "  (skipped: app-only token, carried)"
		} else if !kr.Complete {
			note = "  (INCOMPLETE, carried)"
		}
		fmt.Fprintf(&b, "  %-*s %6d%s\n", width, n, mk.Objects, note)
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// maxAttributionLines bounds the audit records a tag message lists.
const maxAttributionLines = 50

// AttributionText lists who changed what, one line per kept audit record
// and object ("Who changed it:" and "  conditional-access-policies/MFA:
// changed by ..."), every string made safe (layout.Safe); "" when there
// are none.
func AttributionText(recs []layout.ChangeRecord) string {
	var lines []string
	for _, r := range recs {
		for _, t := range r.Targets {
			if t.Kind == "" {
				continue
			}
			name := t.Name
			if name == "" {
				name = t.ID
			}
			lines = append(lines, "  "+t.Kind+"/"+layout.Safe(name)+": "+r.Describe())
		}
	}
	if len(lines) == 0 {
		return ""
	}
	more := ""
	if len(lines) > maxAttributionLines {
		more = fmt.Sprintf("  ... and %d more (see %s)\n", len(lines)-maxAttributionLines, layout.ChangesDir)
		lines = lines[:maxAttributionLines]
	}
	return "Who changed it:\n" + strings.Join(lines, "\n") + "\n" + more
}
