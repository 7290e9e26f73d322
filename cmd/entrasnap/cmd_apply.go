package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

type applyOptions struct {
	plan          string
	confirmTenant string
	repo          string
	json          bool
	showRequests  bool
	signer        snapshot.Signer // --signing-key: signs the post-restore snapshot
	ident         identity        // the post-restore snapshot's author and committer
	conn          live.Connection
}

func applyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "apply",
		Usage:       "apply a restore plan saved by `entrasnap restore --out`, exactly as reviewed",
		UsageText:   "entrasnap apply [--repo DIR] [--show-requests] [--confirm-tenant NAME] [--signing-key FILE] [--json] PLAN.json [connection flags]",
		Description: helpText("apply"),
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: "the snapshot repository (default: the one the plan names)"},
			&cli.BoolFlag{Name: "show-requests", Usage: "show each action's Graph request (method and path) in the plan"},
			&cli.BoolFlag{Name: "json", Usage: "the result as JSON on stdout"},
			&cli.StringFlag{Name: "confirm-tenant", Usage: "a plan from files deleting more than 10 objects, and no terminal: the tenant's name, as confirmation"},
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
			signer, err := signerFrom(c)
			if err != nil {
				return err
			}
			ident, err := identityFrom(c)
			if err != nil {
				return err
			}
			return runApply(c.Context, e, applyOptions{plan: args[0], repo: c.String("repo"), json: c.Bool("json"), confirmTenant: c.String("confirm-tenant"),
				showRequests: c.Bool("show-requests"), signer: signer, ident: ident, conn: connectionFrom(c)})
		},
	}
}

func runApply(ctx context.Context, e *env, o applyOptions) error {
	data, err := check.ReadCapped(o.plan)
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
	// A plan from files deleting many objects: the tenant's name, as
	// restore asks for it (a plan saved with --out is no way around it).
	if in, err := plan.SavedInput(ctx, client, repo); err != nil {
		return err
	} else if in != nil {
		if err := confirmRestore(ctx, e, restoreOptions{Asked: importer.Asked{ConfirmTenant: o.confirmTenant, Yes: true}}, plan, in); err != nil {
			return err
		}
	}
	return applyPlan(ctx, e, plan, client, repo, o.signer, o.ident, o.json)
}
