package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/entrasnap/entrasnap/importer"
	"github.com/urfave/cli/v2"
)

type applyOptions struct {
	plan         string
	repo         string
	json         bool
	showRequests bool
	conn         connection
}

func applyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "apply a restore plan saved by `entrasnap restore --out`, exactly as reviewed",
		UsageText: "entrasnap apply [--repo DIR] [--show-requests] [--json] PLAN.json [connection flags]",
		Description: `apply writes exactly the actions of a saved plan, after checking that the plan
was made for this tenant (the tenant Graph answers for, known and the same
as the snapshot's: cross-tenant restore is not supported), that the token
has the permissions it needs, that none of the objects it looked at changed
since, and that the plan binds its requests: apply plans again from the
plan's snapshot, selection and options, and refuses a plan whose actions
differ from that in any method, path or body (or were added, removed or
relabelled), naming them: an edited plan file is never applied. Otherwise it
refuses and writes nothing: make a new plan. It then verifies the tenant
against the snapshot and records the post-restore state as a snapshot
commit, like restore does. The plan was reviewed when it was saved, so apply
does not ask; --show-requests shows each action's method and path.

The repository is the one named in the plan unless --repo is given.

EXIT CODES:
   0   done and verified
   1   error, or refused (stale or edited plan, other or unknown tenant, missing permission): nothing was written
   3   partly applied, or verification found differences: the report says object by object

EXAMPLES:
   entrasnap restore --repo ./tenant-backup --at 2026-03-20 "groups/Finance Admins" --out finance.plan.json
   entrasnap apply finance.plan.json
   entrasnap apply --repo /srv/backups/contoso --json finance.plan.json`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: "the snapshot repository (default: the one the plan names)"},
			&cli.BoolFlag{Name: "show-requests", Usage: "show each action's Graph request (method and path) in the plan"},
			&cli.BoolFlag{Name: "json", Usage: "the result as JSON on stdout"},
		}, connectionFlags()...),
		Action: func(c *cli.Context) error {
			args, err := e.interspersed(c)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return usageErrorf("apply takes one PLAN file (from `entrasnap restore --out`), got %d arguments", len(args))
			}
			return runApply(c.Context, e, applyOptions{plan: args[0], repo: c.String("repo"), json: c.Bool("json"),
				showRequests: c.Bool("show-requests"), conn: connectionFrom(c)})
		},
	}
}

func runApply(ctx context.Context, e *env, o applyOptions) error {
	data, err := os.ReadFile(o.plan)
	if err != nil {
		return usageErrorf("%v", err)
	}
	plan, err := importer.Decode(data)
	if err != nil {
		if errors.Is(err, importer.ErrNotAPlan) {
			return usageErrorf("%s: %v", o.plan, err)
		}
		return err
	}
	repoPath := o.repo
	if repoPath == "" {
		repoPath = plan.Repo
	}
	repo, err := openRepo(repoPath)
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
	if !o.json {
		if err := plan.Render(e.stdout, importer.RenderOptions{Color: e.color, Requests: o.showRequests}); err != nil {
			return err
		}
	}
	return applyPlan(ctx, e, plan, client, repo, o.json)
}
