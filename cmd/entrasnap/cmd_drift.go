package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/drift"
	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/urfave/cli/v2"
)

func driftCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "drift",
		Usage:       "compare the live tenant with a snapshot, object by object, without committing",
		Description: helpText("drift"),
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage, Required: true},
			&cli.StringFlag{Name: "baseline", Value: "HEAD", Usage: "the snapshot to compare with: a revision, snapshot tag or date"},
			&cli.StringSliceFlag{Name: "kinds", Usage: "read and compare only these kinds or folders (default: all)"},
			&cli.StringFlag{Name: "watch", Usage: "YAML file naming the kinds, paths and object ids whose drift is critical"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, markdown or json"},
		}, connectionFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("drift takes no arguments (got %q); give the baseline with --baseline", c.Args().First())
			}
			o := driftOptions{
				repo: c.String("repo"), baseline: c.String("baseline"), kinds: c.StringSlice("kinds"),
				watch: c.String("watch"), output: e.outputOf(c), conn: connectionFrom(c),
			}
			if err := oneOf("format", o.output.format, diff.Formats...); err != nil {
				return err
			}
			return runDrift(c.Context, e, o)
		},
	}
}

type driftOptions struct {
	repo, baseline, watch string
	output                output // --format
	kinds                 []string
	conn                  live.Connection
}

func runDrift(ctx context.Context, e *env, o driftOptions) error {
	kinds, err := layout.Select(o.kinds)
	if err != nil {
		return usageErrorf("--kinds: %v", err)
	}
	watch, err := drift.ReadWatch(o.watch) // before the repository: a bad list is a usage error first
	if err != nil {
		return usageErrorf("--watch %v", err)
	}
	r, err := openRepo(o.repo)
	if err != nil {
		return err
	}
	defer r.Close()
	rep, err := drift.Run(ctx, drift.Options{Repo: r, RepoDir: o.repo, Baseline: o.baseline, Watch: watch, WatchFile: o.watch,
		Read: func(ctx context.Context, userProperties []string) (*live.Live, error) {
			client, err := e.client(o.conn, "entrasnap/"+version)
			if err != nil {
				return nil, err
			}
			var progress exporter.Progress
			if e.errTTY {
				progress = &exporter.TermProgress{W: e.stderr}
			}
			return live.Read(ctx, live.ReadOptions{Client: client, Kinds: kinds, Progress: progress, UserProperties: userProperties})
		}})
	if we := (*drift.WatchError)(nil); errors.As(err, &we) {
		return usageErrorf("--watch %v", we)
	}
	if rep != nil {
		history.WarnSkipped(e.stderr, rep.Unread())
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("drift interrupted")
	} else if err != nil {
		return err
	}

	if err := rep.Render(e.stdout, o.output.format, o.output.color); err != nil {
		return err
	}
	if !rep.Critical.Empty() {
		return &codedError{code: exitChanges}
	} else if err := rep.UncheckedError(); err != nil {
		return &codedError{code: exitPartial, err: err}
	}
	return nil
}
