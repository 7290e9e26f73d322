package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/internal/demo"
	"github.com/entrasnap/entrasnap/internal/drill"
	"github.com/entrasnap/entrasnap/live"
	"github.com/urfave/cli/v2"
)

func demoCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "demo",
		Usage:       "a guided tour on an emulated tenant: back up, break things, see the diff, restore",
		Description: helpText("demo"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: "entrasnap-demo", Usage: "where to create the demo repository (must not exist, or be empty)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the demo tenant"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("demo takes no arguments; use --dir to choose the folder")
			}
			ident, err := identityFrom(c) // the snapshots' author and committer, from git's variables
			if err != nil {
				return err
			}
			return runDemo(c.Context, e, c.String("dir"), c.Uint64("seed"), ident)
		},
	}
}

func runDemo(ctx context.Context, e *env, dir string, seed uint64, ident identity) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(abs); err == nil && len(entries) > 0 {
		return usageErrorf("--dir %s already exists and is not empty; remove it or choose another folder with --dir", abs)
	}
	sim := func(url, token string) live.Connection {
		return live.Connection{GraphURL: url, AccessToken: token, Cloud: "global"}
	}
	// The tour's waits move its in-process tenant's clock (demo.Sleep),
	// and its commands take their times from the tour's clock.
	var clock func() time.Time
	waiting := func(sleep demo.Sleep) *env {
		de := *e
		de.sleep = sleep
		if clock != nil {
			de.now = clock
		}
		return &de
	}
	return demo.Tour{Dir: abs, Seed: seed, Out: e.stdout, Now: e.now, Clock: func(now func() time.Time) { clock = now },
		Client: func(url, token string, sleep demo.Sleep) (*graph.Client, error) {
			return waiting(sleep).client(sim(url, token), "entrasnap-demo/"+version)
		},
		Diff: func(ctx context.Context, from, to string) error {
			return runDiff(ctx, e, abs, from, to, "text", nil, false)
		},
		Restore: func(ctx context.Context, rev string, ids []string, url, token string, sleep demo.Sleep) error {
			return runRestore(ctx, waiting(sleep), restoreOptions{Asked: importer.Asked{At: rev, Selectors: ids, Yes: true, CAState: "report-only"}, repo: abs, conn: sim(url, token), ident: ident})
		},
		PlanFiles: func(ctx context.Context, rng, out, url, token string, sleep demo.Sleep) error {
			err := runRestore(ctx, waiting(sleep), restoreOptions{Asked: importer.Asked{Changed: rng, CAState: "report-only"}, repo: abs, out: out, conn: sim(url, token), ident: ident})
			var ce *codedError
			if errors.As(err, &ce) && ce.code == exitChanges {
				return nil // saved, with changes: what a pull request's check expects
			}
			return err
		},
		Apply: func(ctx context.Context, plan, url, token string, sleep demo.Sleep) error {
			return runApply(ctx, waiting(sleep), applyOptions{plan: plan, conn: sim(url, token), ident: ident})
		},
		Rehearse: func(ctx context.Context) error {
			return runRehearse(ctx, waiting(e.sleep), rehearseOptions{Options: drill.Options{Throttle: "realistic"}, repo: abs, record: drill.CommitOptions{Author: ident.author, Committer: ident.committer}})
		},
	}.Run(ctx)
}
