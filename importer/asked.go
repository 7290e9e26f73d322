package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Asked is a restore as asked for on the command line: the source of
// its plan (a snapshot's objects, or object files) and what to confirm.
// The CLI fills it from its flags (the messages name them).
type Asked struct {
	At        string   // the revision to restore from, with Selectors or All
	Selectors []string // objects to restore (ResolveSelectors)
	All       bool     // every object: a whole-tenant rollback
	// Changed (FROM..TO) or Worktree: plan what the object files change.
	Changed      string
	Worktree     bool
	AllowDeletes bool
	CAState      string
	// ConfirmTenant is the tenant's name given beforehand; Yes applies
	// without asking (Confirm).
	ConfirmTenant string
	Yes           bool
}

// FromFiles reports whether the plan comes from object files.
func (r Asked) FromFiles() bool { return r.Changed != "" || r.Worktree }

// Check refuses a request whose flags do not go together; its errors are
// usage errors naming the flags.
func (r Asked) Check() error {
	switch {
	case r.Changed != "" && r.Worktree:
		return errors.New("--changed and --worktree are two sources of files: give one")
	case r.FromFiles() && (r.At != "" || len(r.Selectors) > 0 || r.All):
		return errors.New("--changed and --worktree plan what the files change: give no --at, SELECTOR or --all")
	case r.AllowDeletes && !r.FromFiles():
		return errors.New("--allow-deletes goes with --changed or --worktree (a restore from a snapshot deletes with a whole kind selected)")
	case r.Changed != "":
		if _, _, err := ParseRange(r.Changed); err != nil {
			return fmt.Errorf("--changed %v", err)
		}
	case r.FromFiles():
	case r.At == "":
		return errors.New("--at is required: the revision, snapshot tag or date to restore from (see `entrasnap snapshots`)")
	case len(r.Selectors) == 0 && !r.All:
		return errors.New("restore needs at least one SELECTOR (an id, a file path, kind/displayName or a kind), or --all")
	}
	if s := CAState(r.CAState); s != CAStateReportOnly && s != CAStateAsIs {
		return fmt.Errorf("--ca-state %q: want %s or %s", r.CAState, CAStateReportOnly, CAStateAsIs)
	}
	return nil
}

// Files is LoadOptions.Files for a plan from files (nil for a snapshot's).
func (r Asked) Files() *Files {
	if r.Worktree {
		return &Files{From: "HEAD", Worktree: true}
	}
	if from, to, err := ParseRange(r.Changed); r.Changed != "" && err == nil {
		return &Files{From: from, To: to}
	}
	return nil
}

// NameConfirmation says why applying plan needs the tenant's name typed
// (TenantName): a whole-tenant rollback, or a plan from files deleting
// more than MassDeleteLimit objects (deletes is then their number). An
// empty why needs no name.
func (r Asked) NameConfirmation(plan *Plan, in *Input) (why string, deletes int) {
	if n := plan.Counts()[OpDelete]; plan.Files != nil && n > MassDeleteLimit {
		deletes = n
	}
	switch {
	case r.All:
		return fmt.Sprintf("This rolls back the whole tenant %s to %s.", in.TenantID, r.At), deletes
	case deletes > 0:
		return fmt.Sprintf("This deletes %d objects from tenant %s.", deletes, in.TenantID), deletes
	}
	return "", 0
}

// Asks reports whether Confirm, given a terminal, asks a question before
// plan is applied: the tenant's name when NameConfirmation wants it and
// ConfirmTenant does not give it (even with Yes), or "yes" without Yes.
// Review then shows the plan where the question is asked
// (ReviewOptions.Unprompted is its negation), so nobody types a tenant's
// name for a plan they were not shown.
func (r Asked) Asks(plan *Plan, in *Input) bool {
	if why, _ := r.NameConfirmation(plan, in); why != "" && r.ConfirmTenant == "" {
		return true
	}
	return !r.Yes
}

// SavedInput loads what applying a saved plan must confirm (apply): for a
// plan from files deleting more than MassDeleteLimit objects, the Input of
// its selection at its commit, with both tenants known and the same
// (CheckTenant), so the tenant's name is asked as restore asks it; nil
// when the plan needs no name confirmed.
func (p *Plan) SavedInput(ctx context.Context, client *graph.Client, repo *snapshot.Repo) (*Input, error) {
	if n := p.Counts()[OpDelete]; p.Files == nil || n <= MassDeleteLimit {
		return nil, nil
	}
	in, err := Load(ctx, LoadOptions{Client: client, Repo: repo, Rev: p.Rev, Commit: p.Commit,
		Selection: &p.Selection, Options: p.Options, Files: p.Files, Rehearsal: p.Rehearsal != ""})
	if err != nil {
		return nil, err
	}
	return in, in.CheckTenant()
}

// IsTenantName reports whether typed names the tenant being written
// (TenantName), ignoring case and surrounding space.
func (in *Input) IsTenantName(typed string) bool {
	return strings.EqualFold(strings.TrimSpace(typed), in.TenantName())
}

// Confirm applies a restore's confirmation rules before anything is
// written: a plan with actions outside the signed-in user's scope is
// refused (ScopeError) before any question; then the tenant's name when NameConfirmation asks for it (from
// ConfirmTenant, else typed at a prompt), then "yes" (Yes, else typed).
// ask shows a prompt and returns the line typed, ok false when the prompt
// was cancelled; ask is nil when nobody can answer one (no terminal): it
// is then never a prompt. An error stops the restore, nothing written.
func (r Asked) Confirm(plan *Plan, in *Input, ask func(prompt string) (line string, ok bool)) error {
	if len(plan.OutOfScope) > 0 {
		// Before any question: apply would refuse it after the answers.
		return &ScopeError{User: plan.SignedIn, Notes: plan.OutOfScope}
	}
	cancelled := errors.New("restore cancelled at the prompt, nothing was written")
	if what, deletes := r.NameConfirmation(plan, in); what != "" {
		name := in.TenantName()
		switch {
		case r.ConfirmTenant != "":
			if !in.IsTenantName(r.ConfirmTenant) {
				return fmt.Errorf("--confirm-tenant %q is not the name of the tenant being written (%q, tenant %s); nothing was written", r.ConfirmTenant, name, in.TenantID)
			}
		case ask != nil:
			got, ok := ask(fmt.Sprintf("\n%s Type the name of the tenant being written (%q) to continue: ", what, name))
			if !ok {
				return cancelled
			}
			if !in.IsTenantName(got) {
				return errors.New("the name does not match: restore cancelled, nothing was written")
			}
		case r.All:
			return fmt.Errorf("--all needs the tenant's name: run on a terminal, or add --confirm-tenant %q; nothing was written", name)
		default:
			return fmt.Errorf("the plan deletes %d objects (more than %d): confirm with the tenant's name, on a terminal or with --confirm-tenant %q; nothing was written", deletes, MassDeleteLimit, name)
		}
	}
	if r.Yes {
		return nil
	}
	if ask == nil {
		return errors.New("not applying without confirmation: standard input is not a terminal; review the plan above and run again with --yes, or save it with --out and run `entrasnap apply`; nothing was written")
	}
	got, ok := ask("\nApply this plan? Only 'yes' will be accepted: ")
	if !ok {
		return cancelled
	}
	if strings.TrimSpace(got) != "yes" {
		return errors.New("restore cancelled, nothing was written")
	}
	return nil
}
