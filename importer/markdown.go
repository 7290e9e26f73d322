package importer

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/internal/textcut"
)

// MarkdownLimit is the default bound of Plan.Markdown, in bytes: under
// GitHub's 65,536 characters for a pull request comment, with room for a
// CI job's own lines.
const MarkdownLimit = 60000

// MarkdownOptions control Plan.Markdown.
type MarkdownOptions struct {
	// Limit bounds the output in bytes (0: MarkdownLimit). What does not
	// fit is counted, not shown: the plan file has everything.
	Limit int
	// PlanFile names the plan file in the closing line ("plan.json").
	PlanFile string
}

// mdLine bounds one rendered line (a property change can hold a long
// value): longer ones are cut, in runes.
const mdLine = 400

// WriteMarkdown writes the plan's Markdown, rendered whole first, to file
// (restore --markdown), or to w when file is "-"; "" writes nothing.
func (p *Plan) WriteMarkdown(w io.Writer, file string, o MarkdownOptions) error {
	var md bytes.Buffer
	if file == "" {
		return nil
	} else if err := p.Markdown(&md, o); err != nil {
		return err
	}
	if file == "-" {
		_, err := w.Write(md.Bytes())
		return err
	}
	if err := os.WriteFile(file, md.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--markdown: %w", err)
	}
	return nil
}

// Markdown writes the plan for a pull request comment or a CI job summary:
// the source, the Conditional Access rule, per kind each action with names
// next to ids and its property changes, removals listed apart, deleted
// files ignored, warnings, and how to apply exactly this plan. Every string
// from Graph or a file is escaped (diff.MarkdownText, MarkdownCode): a name
// cannot add a link, an image, HTML or a mention. The output stays within
// Limit bytes.
func (p *Plan) Markdown(w io.Writer, o MarkdownOptions) error {
	limit := cmp.Or(o.Limit, MarkdownLimit)
	planFile := cmp.Or(o.PlanFile, "PLAN.json")
	res := &diff.Result{Names: names(p.Names)}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("### entrasnap plan: %s", p.Summary())
	line("")
	source := "snapshot " + diff.MarkdownCode(p.Rev)
	if p.Files != nil {
		source = "the files of " + diff.MarkdownCode(p.Rev)
	}
	line("Tenant %s · %s (%s)", diff.MarkdownCode(orDash(p.TenantID)), source, diff.MarkdownCode(shortHash(p.Commit)))
	if p.Files != nil {
		line("Files: %s.", diff.MarkdownText(p.Files.Summary()))
	}
	line("")
	if cmp.Or(p.Options.CAState, CAStateReportOnly) == CAStateReportOnly {
		line("**Conditional Access:** a policy this plan creates or re-enables is written **report-only**; turn it on in a change of its own once its sign-in logs look right (or plan with `--ca-state as-is`).")
	} else {
		line("**Conditional Access:** `--ca-state as-is`: policies are written **as the files say**, enforced at once if enabled.")
	}
	footer := fmt.Sprintf("\n---\nApply exactly this plan after merge: `entrasnap apply %s` (it refuses if the tenant or the files changed since this plan was made).\n",
		strings.ReplaceAll(planFile, "`", "'"))

	var main, removals []*Action
	for i := range p.Actions {
		if p.Actions[i].Removal {
			removals = append(removals, &p.Actions[i])
		} else {
			main = append(main, &p.Actions[i])
		}
	}
	// Sections that come after the actions, kept short.
	var tail strings.Builder
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(&tail, "\n#### %s\n\n", title)
		for i, it := range items {
			if i == 20 {
				fmt.Fprintf(&tail, "- … and %d more\n", len(items)-20)
				break
			}
			fmt.Fprintf(&tail, "- %s\n", it)
		}
	}
	if p.Files != nil {
		var ign []string
		for _, f := range p.Files.Ignored {
			ign = append(ign, diff.MarkdownCode(cut(f))+" (the object stays; `--allow-deletes` deletes it)")
		}
		list("Deleted files ignored", ign)
	}
	var warns []string
	for _, wn := range p.Warnings {
		warns = append(warns, diff.MarkdownText(cut(wn)))
	}
	list("Warnings", warns)
	var creds []string
	for _, c := range p.Credentials {
		creds = append(creds, diff.MarkdownText(cut(diff.KindTitle(c.Kind)+" "+c.Name+": "+c.Type)))
	}
	list("Credentials to re-issue (secrets are never in the repository)", creds)

	shown, total := 0, len(main)+len(removals)
	full := false
	section := func(title string, actions []*Action) {
		if len(actions) == 0 || full {
			return
		}
		if title != "" {
			if b.Len()+len(title)+8+tail.Len()+len(footer)+200 > limit {
				full = true
				return
			}
			line("\n#### %s", title)
		}
		last := ""
		for _, a := range actions {
			var blk strings.Builder
			if a.Kind != last {
				fmt.Fprintf(&blk, "\n**%s**\n\n", diff.MarkdownText(diff.KindTitle(a.Kind)))
			}
			_, word := opWord(a)
			obj := diff.MarkdownText(a.Name)
			switch {
			case IsNewKey(a.Key):
				obj += " (new file " + diff.MarkdownCode(cut(a.File)) + ")"
			case a.Key != "" && a.Key != a.Name && !strings.EqualFold(a.Key, a.Kind):
				obj += " (" + diff.MarkdownCode(a.Key) + ")"
			}
			fmt.Fprintf(&blk, "- **%s** %s", diff.MarkdownText(word), obj)
			if a.Target != "" {
				fmt.Fprintf(&blk, " ← %s", diff.MarkdownText(cut(diff.Annotate(names(p.Names), a.Target))))
			}
			blk.WriteString("\n")
			if a.Op == OpUpdate || a.Op == OpCreate {
				for _, c := range a.Changes {
					for _, l := range res.PropLines(propChange(c)) {
						fmt.Fprintf(&blk, "  - %s\n", diff.MarkdownCode(cut(l)))
					}
				}
			}
			if a.Op == OpDelete {
				for _, c := range a.Changes {
					fmt.Fprintf(&blk, "  - %s\n", diff.MarkdownText(cut(fmt.Sprint(c.Before))))
				}
			}
			for _, wn := range a.Warnings {
				fmt.Fprintf(&blk, "  - ⚠ %s\n", diff.MarkdownText(cut(wn)))
			}
			if b.Len()+blk.Len()+tail.Len()+len(footer)+200 > limit {
				full = true
				return
			}
			b.WriteString(blk.String())
			last = a.Kind
			shown++
		}
	}
	if total == 0 {
		line("\nNothing to write: the tenant already matches the files for what changed.")
	}
	section("", main)
	section("Removals (deletes, and links or assignments the files no longer hold)", removals)
	if shown < total {
		line("\n_… %d more actions are not shown (this comment is size-bounded); the plan file has them all._", total-shown)
	}
	b.WriteString(tail.String())
	b.WriteString(footer)
	_, err := io.WriteString(w, b.String())
	return err
}

// cut shortens s to mdLine characters.
func cut(s string) string { return textcut.Cut(s, mdLine) }
