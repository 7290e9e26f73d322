package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
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
	tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "TAG\tCOMMIT\tTIME (UTC)\tOBJECTS\tCOMPLETE\tSIGNED\tDESCRIPTION")
	for _, si := range out {
		complete := "yes"
		if !si.Complete {
			complete = "no: " + strings.Join(si.Incomplete, ",")
		}
		if len(si.NotLicensed) > 0 {
			complete += " (not licensed: " + strings.Join(si.NotLicensed, ",") + ")"
		}
		signed := "no"
		if si.Signed {
			signed = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", layout.Safe(si.Tag), si.Commit[:12], si.Time.Format("2006-01-02 15:04:05"), si.Objects, layout.Safe(complete), signed, layout.Safe(si.Description))
	}
	return tw.Flush()
}
