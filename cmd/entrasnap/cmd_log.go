package main

import (
	"context"

	"github.com/entrasnap/entrasnap/history"
	"github.com/urfave/cli/v2"
)

func logCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "log",
		Usage:       "one object's history across snapshots, following renames",
		ArgsUsage:   "OBJECT",
		Description: helpText("log"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage, Required: true},
			&cli.StringFlag{Name: "at", Value: "HEAD", Usage: "start from this revision"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
		},
		Action: func(c *cli.Context) error {
			args, err := e.interspersed(c)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return usageErrorf("log takes one OBJECT (an id or appId, a path, or kind/displayName); put an id that begins with \"-\" after --")
			}
			return runLog(c.Context, e, c.String("repo"), c.String("at"), args[0], c.Bool("json"))
		},
	}
}

func runLog(ctx context.Context, e *env, repoPath, at, object string, asJSON bool) error {
	r, rev, ix, p, err := locateObject(ctx, repoPath, at, object)
	if err != nil {
		return err
	}
	defer r.Close()
	entries, skipped, err := history.Log(ctx, r, rev, p, ix)
	history.WarnSkipped(e.stderr, skipped)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e.stdout, entries)
	}
	history.WriteLog(e.stdout, p, entries)
	return nil
}
