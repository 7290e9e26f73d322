package evidence

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/diff"
)

// maxListed bounds the snapshots a markdown or HTML report lists (the
// newest); the JSON form lists them all.
const maxListed = 100

// md escapes a string from the repository for a line of markdown.
func md(s string) string { return diff.MarkdownText(s) }

func statusWord(s string) string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusAttention:
		return "**attention**"
	}
	return "*missing*"
}

func (rep *Report) windowText() string {
	if rep.Window.From.IsZero() {
		return "the whole history, to " + stamp(rep.Window.To)
	}
	return fmt.Sprintf("%s to %s (%s)", stamp(rep.Window.From), stamp(rep.Window.To), Human(rep.Window.To.Sub(rep.Window.From).Seconds()))
}

// Markdown writes the report as markdown: the summary table, then one
// section per line group, then the controls. Every string from the
// repository is escaped (diff.MarkdownText).
func (rep *Report) Markdown(w io.Writer) error {
	b := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	tenant := rep.TenantID
	if tenant == "" {
		tenant = "(unknown tenant)"
	}
	p("# Backup evidence: Microsoft Entra tenant %s\n\n", md(tenant))
	p("Repository %s, %s. Report generated %s by entrasnap %s from the repository alone (no tenant access).\n\n",
		md(rep.Repo), md(rep.windowText()), stamp(rep.GeneratedAt), md(rep.Tool))

	p("## Summary\n\n| # | Evidence | Result | Status | Supports |\n|---|---|---|---|---|\n")
	for i, l := range rep.Summary {
		p("| %d | %s | %s | %s | %s |\n", i+1, md(l.Evidence), md(l.Result), statusWord(l.Status), md(strings.Join(l.Controls, ", ")))
	}

	s := rep.Snapshots
	p("\n## 1. Snapshot series\n\n")
	p("%d %s (%d complete, %d partial). ", s.Count, pl(s.Count, "snapshot", "snapshots"), s.Complete, s.Partial)
	if s.LargestGap != nil {
		p("Largest gap between consecutive snapshots (recovery point objective achieved): **%s** (%s to %s). ", Human(s.LargestGap.Seconds), md(s.LargestGap.From), md(s.LargestGap.To))
	}
	if s.Before != nil {
		p("The first gap is counted from %s, the last snapshot before the window. ", md(s.Before.Tag))
	}
	if s.Last != nil || s.Before != nil {
		p("Age of the last snapshot at report time: %s.", Human(s.SinceLastSeconds))
	}
	p("\n\nGaps longer than %s: %d.\n", gapText(time.Duration(s.MaxGapSeconds*float64(time.Second))), len(s.GapsOver))
	if len(s.GapsOver) > 0 {
		p("\n| From | To | Gap |\n|---|---|---|\n")
		for _, g := range s.GapsOver {
			p("| %s (%s) | %s (%s) | %s |\n", md(g.From), stamp(g.FromTime), md(g.To), stamp(g.ToTime), Human(g.Seconds))
		}
	}
	if len(s.List) > 0 {
		p("\n| Snapshot | Time | Objects | Complete | Signed |\n|---|---|---|---|---|\n")
		list, more := newest(s.List)
		for _, sn := range list {
			comp := "yes"
			if !sn.Complete {
				comp = "**no**: " + md(strings.Join(sn.Incomplete, ", "))
			}
			p("| %s | %s | %d | %s | %s |\n", md(sn.Tag), stamp(sn.Time), sn.Objects, comp, yesNo(sn.Signed))
		}
		if more > 0 {
			p("\n%d older snapshots are not listed (--format json lists them all).\n", more)
		}
	}

	c := rep.Completeness
	p("\n## 2. Completeness per kind\n\n")
	if c.Snapshot == "" {
		p("No snapshot to read a manifest from.\n")
	} else {
		p("From the manifest of %s (%s): %d complete, %d incomplete, %d not licensed, %d skipped, %d not exported; %d objects.\n\n",
			md(c.Snapshot), md(short(c.Commit)), c.Complete, c.Incomplete, c.NotLicensed, c.Skipped, c.NotExported, c.Objects)
		p("| Kind | Folder | Objects | Status | Reason |\n|---|---|---|---|---|\n")
		for _, k := range c.Kinds {
			if k.Status != "not-exported" {
				p("| %s | %s | %d | %s | %s |\n", md(k.Kind), md(k.Folder), k.Objects, md(k.Status), md(k.Reason))
			}
		}
		if ne := c.notExported(); len(ne) > 0 {
			p("\nNot exported (in the catalog, not in this repository: an export with --kinds, or an older entrasnap): %s.\n", md(strings.Join(ne, ", ")))
		}
	}

	in := rep.Integrity
	p("\n## 3. Integrity\n\n")
	if in.Check.OK {
		p("Repository check: **passed**")
	} else {
		p("Repository check: **failed**")
	}
	p(" (%d %s, %d object files, %d %s checked; %d %s, %d %s).", in.Check.Snapshots, pl(in.Check.Snapshots, "snapshot", "snapshots"), in.Check.Files,
		in.Check.TagsChecked, pl(in.Check.TagsChecked, "tag", "tags"), in.Check.Errors, pl(in.Check.Errors, "error", "errors"), in.Check.Warnings, pl(in.Check.Warnings, "warning", "warnings"))
	if !in.Check.All {
		p(" The latest snapshot was checked; `--check-all` checks every tagged snapshot.")
	}
	p("\n")
	for _, i := range in.Check.Issues {
		p("- %s\n", md(i.String()))
	}
	if in.Check.Errors > len(in.Check.Issues) {
		p("- ... %d more (run `entrasnap check`)\n", in.Check.Errors-len(in.Check.Issues))
	}
	sg := in.Signatures
	if !sg.Verified {
		p("\nSignatures: **not verified** (give `--allowed-signers FILE`).\n")
	} else {
		p("\nSignatures, against %s: %d commits and %d snapshot tags, %d good, %d not trusted", md(sg.AllowedSigners), sg.Commits, sg.Tags, sg.Good, sg.Failed)
		if sg.Before > 0 {
			p(", %d before --signed-since", sg.Before)
		}
		p(".\n")
		for _, f := range sg.Failures {
			p("- %s %s %s: %s %s\n", md(f.Type), md(short(f.Object)), md(strings.Join(f.Names, ", ")), md(f.Status), md(f.Detail))
		}
	}

	rh := rep.Rehearsals
	p("\n## 4. Restore rehearsals\n\n")
	if len(rh.Records) == 0 {
		p("No rehearsal recorded in the window. To make one: %s.\n", rh.Hint) // (our text)
	}
	for _, r := range rh.Records {
		p("### %s: %d passed, %d failed, %d skipped\n\n", stamp(r.StartedAt), r.Passed, r.Failed, r.Skipped)
		p("Snapshot %s (%s), throttling %s, %s, record %s.\n\n", md(r.Snapshot), md(short(r.Commit)), md(r.Throttle), md(toolName(r.Tool)), md(r.File))
		for _, n := range r.Notes {
			p("Note: %s\n\n", md(n))
		}
		if len(r.Scenarios) > 0 {
			p("| Scenario | Result | Objects | Restore time | Detail |\n|---|---|---|---|---|\n")
			for _, sc := range r.Scenarios {
				p("| %s | %s | %d | %s | %s |\n", md(sc.Name), md(sc.Result), sc.Objects, Human(sc.RestoreSeconds), md(sc.Detail))
			}
			p("\n")
		}
	}
	if rh.Older > 0 {
		p("%d older %s outside the window.\n", rh.Older, pl(rh.Older, "rehearsal", "rehearsals"))
	}
	for _, f := range rh.Broken {
		p("- could not read %s: %s\n", md(f.File), md(f.Error))
	}

	a := rep.Access
	p("\n## 5. Backup app's permissions\n\n")
	if !a.Recorded {
		p("Not recorded in the manifest of %s. The least set that reads these kinds (`entrasnap kinds --permissions`): %s.\n", md(orNone(a.Snapshot)), md(list(a.Needed)))
	} else {
		p("The export of %s ran with a%s %s token holding: %s (%s).", md(a.Snapshot), article(a.Type), md(a.Type), md(list(a.Permissions)), accessSource(a.Source))
		if len(a.DirectoryRoles) > 0 {
			p(" Directory roles (template ids): %s.", md(list(a.DirectoryRoles)))
		}
		p("\n\n- Read-only: %s", yesNo(a.ReadOnly))
		if len(a.Writes) > 0 {
			p(" (writes: %s)", md(list(a.Writes)))
		}
		if len(a.WritesToRead) > 0 {
			p("\n- Write permissions needed to read a kind in the snapshot (Graph has no read-only permission for it): %s", md(list(a.WritesToRead)))
		}
		p("\n- Least privilege (nothing beyond the read set `entrasnap kinds --permissions` lists): %s", yesNo(a.LeastPrivilege))
		if len(a.Extra) > 0 {
			p(" (beyond it: %s)", md(list(a.Extra)))
		}
		p("\n")
		if len(a.Missing) > 0 {
			p("- Needed and not held (their kinds are incomplete): %s\n", md(list(a.Missing)))
		}
	}

	p("\n## Controls\n\n| Control | Framework | Requirement | Lines |\n|---|---|---|---|\n")
	for _, ct := range rep.Controls {
		p("| %s | %s | %s | %s |\n", md(ct.ID), md(ct.Framework), md(ct.Title), linesOf(rep, ct.ID))
	}
	return b.Flush()
}

// notExported names the catalog kinds the repository does not hold.
func (c Completeness) notExported() []string {
	var out []string
	for _, k := range c.Kinds {
		if k.Status == "not-exported" {
			out = append(out, k.Kind)
		}
	}
	return out
}

func linesOf(rep *Report, control string) string {
	var n []string
	for i, l := range rep.Summary {
		if contains(l.Controls, control) {
			n = append(n, fmt.Sprint(i+1))
		}
	}
	return strings.Join(n, ", ")
}

func newest(l []Snap) ([]Snap, int) {
	out := make([]Snap, 0, len(l))
	for i := len(l) - 1; i >= 0 && len(out) < maxListed; i-- {
		out = append(out, l[i])
	}
	return out, len(l) - len(out)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// toolName is a rehearsal record's tool ("entrasnap v1.2.3", as rehearse
// writes it) named as the program that made it.
func toolName(tool string) string {
	if strings.HasPrefix(tool, "entrasnap") {
		return tool
	}
	return strings.TrimSpace("entrasnap " + tool)
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func list(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "(no snapshot)"
	}
	return s
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "n"
	}
	return ""
}

func pl(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
