package importer

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// names resolves ids through the plan's own name table.
type names map[string]string

func (n names) Name(id string) (string, bool) {
	s, ok := n[strings.ToLower(id)]
	return s, ok
}

// RenderOptions control Render.
type RenderOptions struct {
	// Format is text ("" too) or json (Encode: Color and Requests do not
	// apply).
	Format string
	Color  bool
	// Requests shows each action's Graph request (method and path).
	Requests bool
}

// ReviewOptions say how a plan is shown for review before it is saved or
// applied (Plan.Review): its rendering, and what happens to it next.
type ReviewOptions struct {
	RenderOptions
	// Saved: the plan is saved to a file (restore --out), not applied.
	Saved bool
	// Unprompted: the plan is applied without a question (restore --yes,
	// or apply of a plan reviewed when it was saved), the tenant's name
	// included (given with --confirm-tenant, or not needed): !Asked.Asks.
	Unprompted bool
	// Prompt, when the plan is applied only after a person answers a
	// question on a terminal (restore without --yes, or a tenant's name
	// to type), is where the
	// question is asked (standard error); PromptColor colours text there.
	Prompt      io.Writer
	PromptColor bool
}

// Review writes the plan for review before it is saved or applied, the
// one rule restore and apply share, so that standard output (w) holds one
// JSON document whatever happens next. As text: the plan, always, on w.
// As JSON, when the plan is saved, empty, or not applied because nobody
// can answer the question (no terminal, no --yes: Asked.Confirm refuses):
// the plan alone. When it is applied, the result (Result.WriteJSON)
// carries the plan, so nothing goes to w: at once without a question,
// nothing at all; after a question, the plan as text where the question
// is asked (Prompt), for the person who answers it.
func (p *Plan) Review(w io.Writer, o ReviewOptions) error {
	if o.Format != layout.FormatJSON || o.Saved || p.Empty() {
		return p.Render(w, o.RenderOptions)
	}
	switch {
	case o.Unprompted:
		return nil
	case o.Prompt != nil:
		return p.Render(o.Prompt, RenderOptions{Format: layout.FormatText, Color: o.PromptColor, Requests: o.Requests})
	}
	return p.Render(w, o.RenderOptions)
}

var relWords = map[string]string{
	"members": "member", "owners": "owner", "appRoleAssignedTo": "app role assignment",
	"oauth2PermissionGrants": "delegated permission grant", "scopedRoleMembers": "scoped role member",
	"appRoleAssignments": "application permission",
	"appliesTo":          "assignment", // assign.go: the policy given to an application or service principal
	"assignedLicenses":   "licences",   // assignlicence.go
}

// opWord is how an action is shown.
func opWord(a *Action) (sign, word string) {
	rel := relWords[a.Relationship]
	switch a.Op {
	case OpCreate:
		return "+", "create"
	case OpRestore:
		return "+", "restore from deleted items"
	case OpUpdate:
		if rel != "" {
			return "~", "update " + rel
		}
		return "~", "update"
	case OpDelete:
		return "-", "delete"
	case OpAddLink, OpAddChild:
		return "+", "add " + rel
	case OpRemoveLink, OpRemoveChild:
		return "-", "remove " + rel
	}
	return "?", string(a.Op)
}

// Render writes the plan in o.Format: json, the plan file's content
// (Encode), or text, for a person: per kind, each action with its
// property changes (names next to ids), dependencies and warnings; then
// removals, what --no-remove keeps, credentials to re-issue, references
// left pointing at old ids, warnings and the summary.
func (p *Plan) Render(w io.Writer, o RenderOptions) error {
	switch o.Format {
	case "", layout.FormatText:
		return p.text(w, o)
	case layout.FormatJSON:
		data, err := p.Encode()
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	return layout.FormatError(o.Format, layout.FormatText, layout.FormatJSON)
}

func (p *Plan) text(w io.Writer, o RenderOptions) error {
	paint := func(color, s string) string { return diff.Paint(o.Color, color, s) }
	res := &diff.Result{Names: names(p.Names)}
	short := p.Commit
	if len(short) > 12 {
		short = short[:12]
	}
	if p.Files != nil {
		fmt.Fprintf(w, "%s\n", paint(diff.Bold, fmt.Sprintf("Plan for tenant %s from the files of %s (%s)", safe(orDash(p.TenantID)), safe(p.Rev), safe(short))))
		fmt.Fprintf(w, "Files: %s\n", safe(p.Files.Summary()))
	} else {
		fmt.Fprintf(w, "%s\n", paint(diff.Bold, fmt.Sprintf("Restore plan for tenant %s from %s (%s)", safe(orDash(p.TenantID)), safe(p.Rev), safe(short))))
		fmt.Fprintf(w, "Selected: %s\n", safe(strings.Join(p.Selectors, ", ")))
	}
	opts := []string{"Conditional Access state " + string(cmp.Or(p.Options.CAState, CAStateReportOnly))}
	if p.Options.NoRemove {
		opts = append(opts, "no removals (--no-remove)")
	}
	if p.Options.AllowDeletes {
		opts = append(opts, "deleted files delete their objects (--allow-deletes)")
	}
	if n := len(p.Options.BreakGlass); n > 0 {
		opts = append(opts, fmt.Sprintf("%d break-glass accounts or groups", n))
	}
	fmt.Fprintf(w, "Options: %s.\n", safe(strings.Join(opts, ", ")))

	var main, removals []*Action
	for i := range p.Actions {
		if p.Actions[i].Removal {
			removals = append(removals, &p.Actions[i])
		} else {
			main = append(main, &p.Actions[i])
		}
	}
	section := func(list []*Action) {
		last := ""
		for _, a := range list {
			if a.Kind != last {
				fmt.Fprintf(w, "\n%s\n", paint(diff.Bold, diff.KindTitle(a.Kind)))
				last = a.Kind
			}
			sign, word := opWord(a)
			color := diff.Green
			switch sign {
			case "~":
				color = diff.Yellow
			case "-":
				color = diff.Red
			}
			obj := safe(a.Name)
			if key := a.Key; IsNewKey(key) {
				obj += " (new file " + safe(a.File) + ")"
			} else if key != "" && key != a.Name && !strings.EqualFold(key, a.Kind) {
				obj += " (" + safe(shortID(key)) + ")"
			}
			line := fmt.Sprintf("  %s %s", paint(color, sign+" "+word), obj)
			if a.Target != "" {
				line += " ← " + diff.Annotate(names(p.Names), a.Target)
			}
			if a.Ensure {
				line += " (unless the restore brought it back)"
			}
			tag := "[" + a.ID
			if len(a.DependsOn) > 0 {
				tag += ", after " + strings.Join(a.DependsOn, ", ")
			}
			tag = safe(tag) + "]"
			fmt.Fprintf(w, "%s  %s\n", line, tag)
			if o.Requests {
				fmt.Fprintf(w, "      %s %s\n", safe(a.Request.Method), safe(a.Request.Path))
			}
			if a.Op == OpUpdate || a.Op == OpCreate {
				for _, c := range a.Changes {
					for _, l := range res.PropLines(propChange(c)) {
						fmt.Fprintf(w, "      %s\n", l)
					}
				}
			}
			for _, warn := range a.Warnings {
				fmt.Fprintf(w, "      %s %s\n", paint(diff.Yellow, "!"), safe(warn))
			}
		}
	}
	if len(main) == 0 && len(removals) == 0 {
		if p.Settled() && p.Files != nil {
			fmt.Fprintln(w, "\n"+p.Files.settledLine()) // fromfiles.go
		} else if p.Settled() {
			fmt.Fprintln(w, "\nThe tenant already matches the snapshot for what was selected.")
		} else {
			fmt.Fprintln(w, "\nNothing to write; what still differs is listed below (left as it is, or for another tool to change).")
		}
	}
	section(main)
	if len(removals) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(diff.Bold, removalsTitle(p)))
		section(removals)
	}
	if p.Files != nil && len(p.Files.Ignored) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(diff.Bold, "Deleted files ignored (the objects stay; --allow-deletes deletes them):"))
		for _, f := range p.Files.Ignored {
			fmt.Fprintf(w, "  deleted file ignored: %s\n", safe(f))
		}
	}
	if len(p.Kept) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(diff.Bold, "Left in place (--no-remove):"))
		for _, k := range p.Kept {
			if k.Relationship != "" {
				fmt.Fprintf(w, "  %s %s: %s %s\n", diff.KindTitle(k.Kind), safe(k.Name), relWords[k.Relationship], diff.Annotate(names(p.Names), k.Target))
			} else {
				fmt.Fprintf(w, "  %s %s (%s): not at %s\n", diff.KindTitle(k.Kind), safe(k.Name), safe(shortID(k.Key)), safe(p.Rev))
			}
		}
	}
	if len(p.Credentials) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(diff.Bold, "Credentials to re-issue (secrets are never in a snapshot and cannot be restored):"))
		for _, c := range p.Credentials {
			s := fmt.Sprintf("  %s %s: %s", diff.KindTitle(c.Kind), c.Name, c.Type)
			if c.DisplayName != "" {
				s += fmt.Sprintf(" %q", c.DisplayName)
			}
			if c.KeyID != "" {
				s += " (keyId " + c.KeyID
				if c.Expires != "" {
					s += ", expired or expires " + c.Expires
				}
				s += ")"
			}
			fmt.Fprintln(w, safe(s))
		}
	}
	if len(p.References) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(diff.Bold, "Objects not being restored that name a recreated object by its old id:"))
		for _, r := range p.References {
			fmt.Fprintf(w, "  %s %s: %s → %s\n", diff.KindTitle(r.Kind), safe(r.Name), safe(r.Property), diff.Annotate(names(p.Names), r.OldID))
		}
	}
	switch {
	case p.SignedIn == "":
	case p.RolesFrom == RolesFromGraph:
		fmt.Fprintf(w, "\nChecked against the directory roles of %s, as Graph lists their role assignments.\n", safe(p.SignedIn))
	case p.RolesFrom == RolesFromMemberships:
		fmt.Fprintf(w, "\nChecked against the directory roles of %s as their own memberships list them (Graph refused to list role assignments; custom roles and roles scoped to one object are not among them).\n", safe(p.SignedIn))
	case p.RolesFrom == RolesFromToken:
		fmt.Fprintf(w, "\nChecked against the directory roles of %s as their sign-in token lists them (wids: tenant-wide built-in roles only; Graph refused to list role assignments): see the warnings.\n", safe(p.SignedIn))
	default:
		fmt.Fprintf(w, "\nNot checked against the directory roles of %s: they could not be read (see the warnings).\n", safe(p.SignedIn))
	}
	if len(p.OutOfScope) > 0 { // scope.go
		fmt.Fprintf(w, "\n%s\n", paint(diff.Bold, fmt.Sprintf("Outside what %s may change (apply refuses the plan until the selection leaves these out):", safe(p.SignedIn))))
		for _, n := range p.OutOfScope {
			fmt.Fprintf(w, "  %s %s  [%s]\n", paint(diff.Yellow, "✗"), safe(n.String()), safe(n.Action))
		}
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(diff.Bold, "Warnings:"))
		for _, warn := range p.Warnings {
			fmt.Fprintf(w, "  %s %s\n", paint(diff.Yellow, "!"), safe(warn))
		}
	}
	if len(p.Managed) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(diff.Bold, "Managed elsewhere (Microsoft, Azure, PIM, export-only kinds: never written by a restore):"))
		for _, m := range p.Managed {
			fmt.Fprintf(w, "  %s %s (%s): managed by %s, %s\n", diff.KindTitle(m.Kind), safe(m.Name), safe(shortID(m.Key)), safe(m.By), safe(m.Reason))
		}
	}
	if len(p.NotLicensed) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(diff.Bold, "Not licensed in this tenant (never written):"))
		for _, n := range p.NotLicensed {
			fmt.Fprintf(w, "  %s\n", safe(n.String()))
		}
	}
	if p.BuiltIn > 0 {
		fmt.Fprintf(w, "\n%d built-in objects in the selection are Microsoft's and never written.\n", p.BuiltIn)
	}
	_, err := fmt.Fprintf(w, "\nPlan: %s.\n", p.Summary())
	return err
}

// safe escapes a name or any other text from Graph or a file for the
// terminal: one helper for every human rendering (layout.Safe).
func safe(s string) string { return layout.Safe(s) }

func propChange(c Change) diff.PropChange {
	return diff.PropChange{Path: c.Path, Action: c.Action, Old: c.Before, New: c.After,
		Added: c.Added, Removed: c.Removed, RefKinds: c.RefKinds}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:8] + "…"
	}
	return id
}

func orDash(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
