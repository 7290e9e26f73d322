package main

import (
	"context"
	"fmt"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/drill"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

type rehearseOptions struct {
	repo, at  string
	scenarios []string
	throttle  string
	licence   string
	noRecord  bool
	signer    snapshot.Signer
	ident     identity // the record's author and committer
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
			o := rehearseOptions{repo: c.String("repo"), at: c.String("at"), throttle: c.String("throttle"), noRecord: c.Bool("no-record")}
			if o.repo == "" {
				return usageErrorf("--repo is required: the folder `entrasnap export --repo` wrote")
			}
			if err := oneOf("throttle", o.throttle, "realistic", "off"); err != nil {
				return err
			}
			var err error
			if o.licence, err = graphsim.ParseLicence(c.String("licence")); err != nil {
				return usageErrorf("--%v", err)
			}
			if o.scenarios, err = drill.ParseScenarios(c.String("scenarios")); err != nil {
				return usageErrorf("--scenarios: %v", err)
			}
			if o.signer, err = signerFrom(c); err != nil {
				return err
			}
			if o.noRecord && o.signer != nil {
				return usageErrorf("--signing-key signs the record; with --no-record there is none")
			}
			if !o.noRecord {
				if o.ident, err = identityFrom(c); err != nil {
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
	now := e.now
	if now == nil {
		now = time.Now
	}
	rec, err := drill.Run(ctx, drill.Options{Repo: repo, At: o.at, Scenarios: o.scenarios, Throttle: o.throttle, Licence: o.licence, Tool: "entrasnap " + version,
		Progress: e.stderr, Now: now,
		Client: func(url, token string, sleep drill.Sleep) (*graph.Client, error) {
			de := *e
			de.sleep = sleep // the rehearsal tenant's waits move its clock
			return de.client(live.Connection{GraphURL: url, AccessToken: token, Cloud: "global"}, "entrasnap-rehearse/"+version)
		}})
	if err != nil {
		return err
	}
	if err := drill.WriteTable(e.stdout, rec); err != nil {
		return err
	}
	if !o.noRecord {
		author, committer := o.ident.author, o.ident.committer
		if e.now != nil {
			author.When, committer.When = e.now(), e.now()
		}
		path, res, err := drill.Commit(ctx, repo, rec, drill.CommitOptions{Author: author, Committer: committer, Signer: o.signer})
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
