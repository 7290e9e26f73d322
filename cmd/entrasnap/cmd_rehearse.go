package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/internal/demo"
	"github.com/entrasnap/entrasnap/internal/drill"
	"github.com/entrasnap/entrasnap/live"
	"github.com/urfave/cli/v2"
)

type rehearseOptions struct {
	drill.Options                     // the snapshot (At), scenarios, throttling and licence
	repo          string              // --repo
	noRecord      bool                // --no-record
	record        drill.CommitOptions // the record's author, committer and signer
}

func rehearseCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "rehearse",
		Usage:       "rehearse the classic incidents and their restore on a snapshot loaded into graphsim, and record the outcome",
		UsageText:   "entrasnap rehearse --repo DIR [--at REV] [--scenarios a,b] [--throttle realistic|off] [--licence free|p1|p2] [--no-record] [--signing-key FILE]",
		Description: helpText("rehearse"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage + " (required)"},
			&cli.StringFlag{Name: "at", Usage: "the revision, snapshot tag or date to rehearse (default: the newest snapshot)"},
			&cli.StringFlag{Name: "scenarios", Usage: "comma-separated scenarios to run (default: all): ca-policy-deleted, group-membership-wiped, app-redirect-uris-changed, sp-permissions-changed, named-location-deleted, user-attributes-corrupted"},
			&cli.StringFlag{Name: "throttle", Value: "realistic", Usage: "graphsim's throttling: realistic (Graph's limits: honest restore times) or off (fast)"},
			&cli.StringFlag{Name: "licence", Value: "p2", Usage: "the tenant's Microsoft Entra ID licence: free, p1 or p2 (without p1 Graph refuses Conditional Access writes, so those restores fail, as they would in the tenant)"},
			&cli.BoolFlag{Name: "no-record", Usage: "do not commit the outcome to the repository (.entrasnap/rehearsals/)"},
			signingKeyFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("rehearse takes no arguments; choose scenarios with --scenarios")
			}
			o := rehearseOptions{Options: drill.Options{At: c.String("at"), Throttle: c.String("throttle")}, repo: c.String("repo"), noRecord: c.Bool("no-record")}
			if err := oneOf("throttle", o.Throttle, "realistic", "off"); err != nil {
				return err
			}
			var err error
			if o.Licence, err = graphsim.ParseLicence(c.String("licence")); err != nil {
				return usageErrorf("--%v", err)
			}
			if o.Scenarios, err = drill.ParseScenarios(c.String("scenarios")); err != nil {
				return usageErrorf("--scenarios: %v", err)
			}
			if o.noRecord && c.String("signing-key") != "" {
				return usageErrorf("--signing-key signs the record; with --no-record there is none")
			} else if !o.noRecord {
				if o.record, err = identityFrom(c); err != nil {
					return err
				}
			}
			return runRehearse(c.Context, e, o)
		},
	}
}

func runRehearse(ctx context.Context, e *env, o rehearseOptions) error {
	repo, err := openRepo(o.repo)
	if err != nil {
		return err
	}
	defer repo.Close()
	o.Repo, o.Tool, o.Progress, o.Now = repo, "entrasnap "+version, e.stderr, e.now // drill.Run: time.Now when nil
	o.Client = func(url, token string, sleep drill.Sleep) (*graph.Client, error) {
		de := *e
		de.sleep = sleep // the rehearsal tenant's waits move its clock
		return de.client(live.Connection{GraphURL: url, AccessToken: token, Cloud: "global"}, "entrasnap-rehearse/"+version)
	}
	rec, err := drill.Run(ctx, o.Options)
	if err != nil {
		return err
	}
	if err := drill.WriteTable(e.stdout, rec); err != nil {
		return err
	}
	if !o.noRecord {
		if e.now != nil {
			o.record.Author.When, o.record.Committer.When = e.now(), e.now()
		}
		path, res, err := drill.Commit(ctx, repo, rec, o.record)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "Recorded %s in commit %s.\n", path, res.Commit.String()[:12])
	}
	if rec.Failed > 0 {
		return &codedError{code: exitError, err: fmt.Errorf("%d of %d scenarios failed: the table above says why", rec.Failed, rec.Failed+rec.Passed)}
	}
	return nil
}

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

func runDemo(ctx context.Context, e *env, dir string, seed uint64, ident importer.IDCommit) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	sim := func(url, token string) live.Connection {
		return live.Connection{GraphURL: url, AccessToken: token, Cloud: "global"}
	}
	// The restore app's client id, as AZURE_CLIENT_ID would give it: the
	// apply records name the app by it.
	simAs := func(url, token, clientID string) live.Connection {
		cn := sim(url, token)
		cn.ClientID = clientID
		return cn
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
	err = demo.Tour{Dir: abs, Seed: seed, Out: e.stdout, Now: e.now, Clock: func(now func() time.Time) { clock = now },
		Client: func(url, token string, sleep demo.Sleep) (*graph.Client, error) {
			return waiting(sleep).client(sim(url, token), "entrasnap-demo/"+version)
		},
		Diff: func(ctx context.Context, from, to string) error {
			return runDiff(ctx, e, e.textOutput(), abs, from, to, nil, false)
		},
		Restore: func(ctx context.Context, rev string, ids []string, url, token, clientID string, sleep demo.Sleep) error {
			return runRestore(ctx, waiting(sleep), restoreOptions{Asked: importer.Asked{At: rev, Selectors: ids, Yes: true, CAState: "report-only"}, repo: abs, output: e.textOutput(), conn: simAs(url, token, clientID), ident: ident})
		},
		PlanFiles: func(ctx context.Context, rng, out, url, token string, sleep demo.Sleep) error {
			err := runRestore(ctx, waiting(sleep), restoreOptions{Asked: importer.Asked{Changed: rng, CAState: "report-only"}, repo: abs, out: out, output: e.textOutput(), conn: sim(url, token), ident: ident})
			var ce *codedError
			if errors.As(err, &ce) && ce.code == exitChanges {
				return nil // saved, with changes: what a pull request's check expects
			}
			return err
		},
		Apply: func(ctx context.Context, plan, url, token, clientID string, sleep demo.Sleep) error {
			return runApply(ctx, waiting(sleep), restoreOptions{plan: plan, output: e.textOutput(), conn: simAs(url, token, clientID), ident: ident})
		},
		Rehearse: func(ctx context.Context) error {
			return runRehearse(ctx, waiting(e.sleep), rehearseOptions{Options: drill.Options{Throttle: "realistic"}, repo: abs, record: ident})
		},
	}.Run(ctx)
	if de := (*demo.DirError)(nil); errors.As(err, &de) {
		return usageErrorf("--dir %v", de)
	}
	return err
}
