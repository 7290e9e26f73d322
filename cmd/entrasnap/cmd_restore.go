package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/internal/cliargs"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

// restoreOptions are restore's, and apply's (plan: the saved plan's file).
type restoreOptions struct {
	importer.Asked  // the plan's source (a snapshot's objects or files) and what to confirm
	repo, out, plan string
	noRemove        bool
	output          output // --json: the plan and the result
	breakGlass      string
	showRequests    bool
	ident           importer.IDCommit // the post-restore snapshot's author, committer and signer (--signing-key)
	conn            live.Connection
	markdown        string
	rehearsal       bool // --rehearsal: the tenant (and apply's plan) is graphsim --from-repo's
}

func restoreCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "restore",
		Usage:       "plan, review and apply the state of objects at a snapshot back to the tenant",
		UsageText:   "entrasnap restore --repo DIR --at REV SELECTOR... [--all [--confirm-tenant NAME]] [--out plan.json] [--yes] [--no-remove] [--ca-state report-only|as-is] [--break-glass FILE] [--show-requests] [--signing-key FILE] [--json] [--markdown FILE] [--rehearsal] [connection flags]\n   entrasnap restore --repo DIR (--changed FROM..TO | --worktree) [--allow-deletes] [--out plan.json] [--markdown FILE] [same flags]",
		Description: helpText("restore"),
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage + " (required)"},
			&cli.StringFlag{Name: "at", Usage: "the revision, snapshot tag or date (YYYY-MM-DD) to restore from (required)"},
			&cli.BoolFlag{Name: "all", Usage: "restore every object (whole-tenant rollback); asks for the tenant's name"},
			&cli.StringFlag{Name: "confirm-tenant", Usage: "with --all (or a plan from files deleting more than 10 objects): the tenant's name, as confirmation instead of typing it at the prompt (needed without a terminal)"},
			&cli.StringFlag{Name: "out", Usage: "save the plan to this file and stop (exit 0: nothing to do, 2: changes)"},
			&cli.BoolFlag{Name: "yes", Usage: "apply without asking"},
			&cli.BoolFlag{Name: "no-remove", Usage: "keep what was not there at REV (extra members, assignments, grants, objects)"},
			&cli.StringFlag{Name: "ca-state", Value: string(importer.CAStateReportOnly), Usage: "report-only: Conditional Access policies created or re-enabled are written report-only; as-is: as at REV"},
			&cli.StringFlag{Name: "break-glass", Usage: "YAML file listing ids or user principal names never removed from CA exclusions"},
			&cli.BoolFlag{Name: "show-requests", Usage: "show each action's Graph request (method and path) in the plan"},
			&cli.BoolFlag{Name: "json", Usage: "one JSON document on stdout: the plan and the result when applied (asked on a terminal, the plan shows as text there), the plan alone otherwise"},
			&cli.StringFlag{Name: "changed", Usage: "plan from files: the object files that differ between FROM and TO (a pull request's base and head, e.g. origin/main..HEAD), as TO has them"},
			&cli.BoolFlag{Name: "worktree", Usage: "plan from files: the object files of the working tree that differ from HEAD"},
			&cli.BoolFlag{Name: "allow-deletes", Usage: "with --changed or --worktree: a deleted object file deletes its object (otherwise it is listed as ignored)"},
			&cli.BoolFlag{Name: "rehearsal", Usage: "the tenant is a rehearsal's (entrasnap graphsim --from-repo, which marks its answers; refused against any other tenant, and a rehearsal's tenant is refused without it): the plan reads neither the repository's id map nor its journal (they name the real tenant's objects) but the ids earlier rehearsals against the same graphsim created, and nothing is written to the repository (no post-restore snapshot, id map or journal); a plan saved with --out is for entrasnap apply --rehearsal"},
			&cli.StringFlag{Name: "markdown", Usage: "also write the plan as markdown to FILE, or to standard output with - (the text plan then goes to standard error); a pull request comment, size-bounded"},
			signingKeyFlag(),
		}, connectionFlags()...),
		Action: func(c *cli.Context) error {
			args, err := e.interspersed(c)
			if err != nil {
				return err
			}
			o := restoreOptions{
				Asked: importer.Asked{At: c.String("at"), Selectors: args, All: c.Bool("all"), Changed: c.String("changed"), Worktree: c.Bool("worktree"),
					AllowDeletes: c.Bool("allow-deletes"), CAState: c.String("ca-state"), ConfirmTenant: c.String("confirm-tenant"), Yes: c.Bool("yes")},
				repo: c.String("repo"), out: c.String("out"), noRemove: c.Bool("no-remove"), breakGlass: c.String("break-glass"), output: e.outputOf(c),
				showRequests: c.Bool("show-requests"), conn: connectionFrom(c), markdown: c.String("markdown"), rehearsal: c.Bool("rehearsal"),
			}
			if err := o.Check(); err != nil {
				return usageErrorf("%v", err)
			}
			if o.markdown == "-" && o.output.json() {
				return usageErrorf("--markdown - and --json both write to standard output: give --markdown a FILE")
			}
			if o.ident, err = identityFrom(c); err != nil {
				return err
			}
			return runRestore(c.Context, e, o)
		},
	}
}

// interspersed returns the positional arguments and applies the flags
// given after them ("restore --repo R --at REV SELECTOR --yes"); "--" ends
// the flags wherever it is (cliargs.Split).
func (e *env) interspersed(c *cli.Context) ([]string, error) {
	pos, set, err := cliargs.Split(e.args, c.Args().Slice(), func(name string) (known, boolean bool) {
		for _, f := range c.Command.Flags {
			for _, n := range f.Names() {
				if n == name {
					_, b := f.(*cli.BoolFlag)
					return true, b
				}
			}
		}
		return false, false
	})
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	for _, s := range set {
		if err := c.Set(s.Name, s.Value); err != nil {
			return nil, usageErrorf("%s: %v", s.Arg, err)
		}
	}
	return pos, nil
}

func runRestore(ctx context.Context, e *env, o restoreOptions) error {
	bg, err := importer.ReadBreakGlass(o.breakGlass)
	if err != nil {
		return usageErrorf("--break-glass %v", err)
	}
	repo, err := openToApply(ctx, e, o, o.repo)
	if err != nil {
		return err
	}
	defer repo.Close()
	client, err := e.client(o.conn, "entrasnap/"+version)
	if err != nil {
		return err
	}
	// The plan, apply's plan again and verify read one commit: its files
	// are decoded once (importer's shared SnapshotCache, LoadOptions.Snapshots nil).
	lo := importer.LoadOptions{Client: client, Repo: repo, Rev: o.At, Selectors: o.Selectors, All: o.All, Files: o.Files(),
		Options: importer.Options{NoRemove: o.noRemove, CAState: importer.CAState(o.CAState), BreakGlass: bg, AllowDeletes: o.AllowDeletes}, Tool: "entrasnap " + version,
		Rehearsal: o.rehearsal} // a rehearsal's: with the ids earlier ones against this graphsim created
	in, err := importer.Load(ctx, lo)
	if err != nil {
		var se *importer.SelectorError
		if errors.As(err, &se) {
			return usageErrorf("%v", err)
		}
		return err
	}
	plan, err := importer.Compute(in)
	if err != nil {
		return err
	}
	if err := plan.WriteMarkdown(e.stdout, o.markdown, importer.MarkdownOptions{PlanFile: cmp.Or(o.out, "PLAN.json")}); err != nil {
		return err
	}
	planOut := e.stdout // the plan as text; stderr when --markdown - takes stdout
	if o.markdown == "-" {
		planOut = e.stderr
	}
	review := importer.ReviewOptions{
		RenderOptions: importer.RenderOptions{Format: o.output.format, Color: o.output.color && planOut == e.stdout, Requests: o.showRequests},
		Saved:         o.out != "", Unprompted: !o.Asks(plan, in)}
	if e.canPrompt { // confirmRestore asks on stderr
		review.Prompt, review.PromptColor = e.stderr, e.errTTY
	}
	if err := plan.Review(planOut, review); err != nil {
		return err
	}
	if o.out != "" {
		if err := plan.Save(o.out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if fmt.Fprintln(e.stderr, plan.SavedNote(o.out)); plan.Empty() {
			return nil
		}
		return &codedError{code: exitChanges}
	}
	if plan.Empty() {
		fmt.Fprintln(e.stderr, plan.NothingToDo())
		return nil
	}
	// Refused before asking: the snapshot's tenant and the live one must
	// be known and the same (apply checks again).
	if err := in.CheckTenant(); err != nil {
		return err
	}
	if err := confirmRestore(ctx, e, o, plan, in); err != nil {
		return err
	}
	return applyPlan(ctx, e, o, plan, client, repo)
}

// confirmRestore asks on a terminal what importer.Asked.Confirm needs
// confirmed (never prompting otherwise). Ctrl-C at a prompt ends it at
// once (exit 130), nothing written.
func confirmRestore(ctx context.Context, e *env, o restoreOptions, plan *importer.Plan, in *importer.Input) error {
	var ask func(string) (string, bool)
	if e.canPrompt {
		rd := bufio.NewReader(e.stdin)
		ask = func(prompt string) (string, bool) {
			fmt.Fprint(e.stderr, prompt)
			// A read of a terminal does not end on a signal: wait for the
			// line or the context, whichever comes first.
			lines := make(chan string, 1)
			go func() {
				line, _ := rd.ReadString('\n')
				lines <- line
			}()
			select {
			case line := <-lines:
				return strings.TrimSpace(line), true
			case <-ctx.Done():
				fmt.Fprintln(e.stderr)
				return "", false
			}
		}
	}
	return o.Confirm(plan, in, ask)
}

// applyPlan applies a plan and reports action by action; the exit code
// says whether it was complete (0), partial (3) or refused (1). A
// rehearsal (--rehearsal) records nothing in the repository (no Record,
// no IDCommit: no snapshot, id map or journal); importer keeps its new
// ids for the next rehearsal against the same graphsim (ApplyOptions.IDs).
func applyPlan(ctx context.Context, e *env, o restoreOptions, plan *importer.Plan, client *graph.Client, repo *snapshot.Repo) error {
	ao := importer.ApplyOptions{Client: client, Repo: repo, Token: client.BearerToken(ctx), ClientID: o.conn.ClientID, Sleep: e.sleep,
		Progress: plan.ApplyProgress(e.stderr, o.output.format), Rehearsal: o.rehearsal}
	if !o.rehearsal {
		ao.IDCommit = &o.ident
		ao.Record = func(ctx context.Context, kinds []*layout.Kind, msg string, files map[string][]byte) (*importer.SnapshotInfo, error) {
			res, err := exporter.Options{Client: client, Repo: repo, Now: e.now,
				Author: o.ident.Author, Committer: o.ident.Committer, Signer: o.ident.Signer}.Record(ctx, kinds, msg, files)
			if res == nil {
				return nil, err
			}
			return &importer.SnapshotInfo{Changed: res.Changed, Commit: res.Commit, Tag: res.Tag, Detail: res}, err
		}
	}
	res, err := importer.Apply(ctx, plan, ao)
	if err != nil && res == nil {
		return err
	}
	if rerr := res.Render(e.stdout, plan, o.output.format); rerr != nil {
		return rerr
	}
	if err != nil {
		return err
	}
	if out := res.Outcome(); out == importer.Applied || out == importer.Failed {
		return res.Err() // nil (exit 0), or nothing was changed (exit 1)
	}
	return &codedError{code: exitPartial, err: res.Err()}
}

func applyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "apply",
		Usage:       "apply a restore plan saved by `entrasnap restore --out`, exactly as reviewed",
		UsageText:   "entrasnap apply [--repo DIR] [--show-requests] [--confirm-tenant NAME] [--signing-key FILE] [--json] [--rehearsal] PLAN.json [connection flags]",
		Description: helpText("apply"),
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: "the snapshot repository (default: the one the plan names)"},
			&cli.BoolFlag{Name: "show-requests", Usage: "show each action's Graph request (method and path) in the plan"},
			&cli.BoolFlag{Name: "json", Usage: "the result as JSON on stdout"},
			&cli.StringFlag{Name: "confirm-tenant", Usage: "a plan from files deleting more than 10 objects, and no terminal: the tenant's name, as confirmation"},
			&cli.BoolFlag{Name: "rehearsal", Usage: "the plan is a rehearsal's (entrasnap restore --rehearsal --out), applied to the same graphsim --from-repo: as restore --rehearsal, it reads neither the repository's id map nor its journal, and records nothing in the repository; a rehearsal's plan is refused without it, and a real plan with it"},
			signingKeyFlag(),
		}, connectionFlags()...),
		Action: func(c *cli.Context) error {
			args, err := e.interspersed(c)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return usageErrorf("apply takes one PLAN file (from `entrasnap restore --out`), got %d arguments", len(args))
			}
			ident, err := identityFrom(c)
			if err != nil {
				return err
			}
			return runApply(c.Context, e, restoreOptions{plan: args[0], repo: c.String("repo"), output: e.outputOf(c), Asked: importer.Asked{ConfirmTenant: c.String("confirm-tenant")},
				showRequests: c.Bool("show-requests"), ident: ident, conn: connectionFrom(c), rehearsal: c.Bool("rehearsal")})
		},
	}
}

// runApply applies the plan saved in o.plan.
func runApply(ctx context.Context, e *env, o restoreOptions) error {
	plan, err := importer.ReadPlan(o.plan, o.rehearsal) // apply checks the tenant again
	if pe := (*importer.PlanFileError)(nil); errors.As(err, &pe) {
		return usageErrorf("%v", err)
	} else if err != nil {
		return err
	}
	repo, err := openToApply(ctx, e, o, cmp.Or(o.repo, plan.Repo))
	if err != nil {
		return err
	}
	defer repo.Close()
	if plan.Empty() {
		fmt.Fprintln(e.stderr, "The plan has nothing to do.")
		return nil
	}
	client, err := e.client(o.conn, "entrasnap/"+version)
	if err != nil {
		return err
	}
	// A saved plan was reviewed when it was saved: no question "yes". A plan
	// from files deleting many objects asks the tenant's name as restore
	// does (a plan saved with --out is no way around it), beside the plan
	// shown as text on the terminal (importer.Plan.Review). A refusal (the
	// plan's tenant is not this one) comes after the plan, as restore's
	// does and as Apply's for a smaller plan: the last thing shown.
	in, refused := plan.SavedInput(ctx, client, repo)
	o.Yes = true
	review := importer.ReviewOptions{RenderOptions: importer.RenderOptions{Format: o.output.format, Color: o.output.color, Requests: o.showRequests},
		Unprompted: refused != nil || in == nil || !o.Asks(plan, in)}
	if e.canPrompt {
		review.Prompt, review.PromptColor = e.stderr, e.errTTY
	}
	if err := plan.Review(e.stdout, review); err != nil {
		return err
	}
	if refused != nil {
		return refused
	}
	if in != nil {
		if err := confirmRestore(ctx, e, o, plan, in); err != nil {
			return err
		}
	}
	return applyPlan(ctx, e, o, plan, client, repo)
}

// recordInterruptedApply turns the journal of an apply killed before its
// end into its record (importer.RecordInterruptedApply) and says so; it
// only warns when it cannot.
func recordInterruptedApply(ctx context.Context, e *env, repo *snapshot.Repo, ident importer.IDCommit) {
	tag, err := importer.RecordInterruptedApply(ctx, repo, ident)
	switch {
	case err != nil:
		fmt.Fprintf(e.stderr, "warning: %v\n", err)
	case tag != "":
		fmt.Fprintf(e.stderr, "An earlier apply was interrupted before its end; recorded what it did, action by action, as tag %s (git show %s).\n", tag, tag)
	}
}

// openToApply opens the repository a restore or apply writes to. A stale
// lock taken over (a run killed mid-apply) and leftovers removed are said
// on stderr. The new ids an earlier restore left in its journal (it was
// killed, or its snapshot failed) are committed to the id map before
// anything reads it (importer.RecordJournal), and said so; it only warns
// when it cannot (the plan still finds them in the journal). A rehearsal
// reads neither the journal nor the id map.
func openToApply(ctx context.Context, e *env, o restoreOptions, path string) (*snapshot.Repo, error) {
	repo, err := openRepo(path)
	if err != nil {
		return nil, err
	}
	repo.SetNotify(func(msg string) { fmt.Fprintf(e.stderr, "entrasnap: %s\n", msg) })
	if o.rehearsal {
		return repo, nil
	}
	recordInterruptedApply(ctx, e, repo, o.ident)
	rec, err := importer.RecordJournal(ctx, repo, o.ident)
	switch {
	case err != nil:
		fmt.Fprintf(e.stderr, "warning: %v\n", err)
	case rec != nil && rec.Commit != "":
		fmt.Fprintf(e.stderr, "Recorded in %s the %d new %s an earlier restore left in its journal (commit %s).\n",
			importer.IDMapPath, rec.IDs.Len(), layout.Plural(rec.IDs.Len(), "id", "ids"), history.ShortRev(rec.Commit))
	}
	return repo, nil
}
