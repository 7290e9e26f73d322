package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
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
	_, key, _ := layout.Locate(p)
	entries, skipped, err := history.Log(ctx, r, rev, p, ix)
	warnSkipped(e.stderr, skipped)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e.stdout, entries)
	}
	fmt.Fprintf(e.stdout, "History of %s (%s)\n", layout.Safe(p), layout.Safe(key))
	for _, en := range entries {
		tags := ""
		if len(en.Tags) > 0 {
			tags = " " + layout.Safe(strings.Join(en.Tags, ", "))
		}
		fmt.Fprintf(e.stdout, "\n%s %s%s  %s\n", en.Commit[:12], en.Time, tags, en.Action)
		for _, s := range en.ChangedBy {
			fmt.Fprintf(e.stdout, "    %s\n", layout.Safe(s))
		}
		for _, s := range en.Summary {
			fmt.Fprintf(e.stdout, "    %s\n", s)
		}
	}
	if len(entries) == 0 {
		fmt.Fprintln(e.stdout, "no changes found")
	}
	return nil
}
