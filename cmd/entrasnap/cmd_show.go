package main

import (
	"context"
	"fmt"

	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/urfave/cli/v2"
)

func showCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "show",
		Usage:       "print one object's file at a revision, with referenced ids named",
		ArgsUsage:   "OBJECT",
		Description: helpText("show"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage, Required: true},
			&cli.StringFlag{Name: "at", Value: "HEAD", Usage: "revision, snapshot tag or date"},
		},
		Action: func(c *cli.Context) error {
			args, err := e.interspersed(c)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return usageErrorf("show takes one OBJECT (an id or appId, a path, or kind/displayName); put an id that begins with \"-\" after --")
			}
			return runShow(c.Context, e, c.String("repo"), c.String("at"), args[0])
		},
	}
}

func runShow(ctx context.Context, e *env, repoPath, at, object string) error {
	r, rev, ix, p, err := locateObject(ctx, repoPath, at, object)
	if err != nil {
		return err
	}
	defer r.Close()
	data, err := r.ReadFile(ctx, rev, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "# %s at %s (%s)\n", layout.Safe(p), layout.Safe(at), rev[:12])
	err = ix.Annotate(e.stdout, p, data)
	history.WarnSkipped(e.stderr, history.SkippedAt(rev, ix.Skipped()))
	return err
}
