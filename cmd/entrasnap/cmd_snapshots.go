package main

import (
	"context"
	"fmt"

	"github.com/entrasnap/entrasnap/history"
	"github.com/urfave/cli/v2"
)

func snapshotsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "snapshots",
		Usage:       "list the snapshots in a repository, newest first",
		Description: helpText("snapshots"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage, Required: true},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
			&cli.IntFlag{Name: "limit", Value: 0, Usage: "show at most this many (0: all)"},
		},
		Action: func(c *cli.Context) error {
			return runSnapshots(c.Context, e, c.String("repo"), c.Bool("json"), c.Int("limit"))
		},
	}
}

func runSnapshots(ctx context.Context, e *env, repoPath string, asJSON bool, limit int) error {
	r, err := openRepo(repoPath)
	if err != nil {
		return err
	}
	defer r.Close()
	out, err := history.Snapshots(ctx, r, limit)
	if err != nil {
		return err
	}
	if len(out) == 0 {
		return fmt.Errorf("%s has no snapshots (no snapshot/* tags); run `entrasnap export --repo %s`", repoPath, repoPath)
	}
	if asJSON {
		return writeJSON(e.stdout, out)
	}
	return history.WriteSnapshots(e.stdout, out)
}
