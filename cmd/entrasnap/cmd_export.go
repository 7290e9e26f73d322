package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

type exportOptions struct {
	exporter.Options          // the run: message, branch, guard, identity, signer, full reads
	repo, push, prBody string // --repo; the remote to push the branch and tag to; the file for the markdown pull-request body
	kinds              []string
	output             output // --json: progress and summary as JSON lines
	conn               live.Connection
}

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "export",
		Usage:       "read the tenant and commit every object as YAML to a git repository, as a tagged snapshot",
		UsageText:   "entrasnap export --repo DIR [--message TEXT] [--kinds K,...] [--branch B] [--push REMOTE] [--pr-body FILE] [--allow-shrink] [--require-complete] [--full] [--full-every 7d] [--scheduled] [--wait DURATION] [--author \"NAME <EMAIL>\"] [--committer \"NAME <EMAIL>\"] [--signing-key FILE] [--json] [connection flags]",
		Description: helpText("export"),
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: "git repository to write the snapshot to (created if missing)"},
			&cli.StringFlag{Name: "message", Usage: "describe the snapshot; its first line goes into the commit title"},
			&cli.StringSliceFlag{Name: "kinds", Usage: "kinds to read, by name or folder prefix (default: all); the others are carried forward unchanged"},
			&cli.StringFlag{Name: "branch", Usage: "branch to commit to (default: the branch HEAD names, or main); a new branch starts at HEAD"},
			&cli.StringFlag{Name: "push", Usage: "after the commit, push the branch and the snapshot tag to this remote (name or URL); credentials from the environment"},
			&cli.StringFlag{Name: "pr-body", Usage: "write the changes (previous → new snapshot) as markdown to this file; empty when nothing changed"},
			&cli.BoolFlag{Name: "allow-shrink", Usage: "commit even when a kind lost more than 20% of its objects (or all of them)"},
			&cli.BoolFlag{Name: "require-complete", Usage: "fail, committing nothing, when any kind cannot be read completely (default: carry it forward and exit 3)"},
			&cli.StringFlag{Name: "author", Usage: "commit author as \"Name <email>\" (default: GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL, or entrasnap)"},
			&cli.StringFlag{Name: "committer", Usage: "committer as \"Name <email>\" (default: GIT_COMMITTER_NAME/GIT_COMMITTER_EMAIL, or the author)"},
			&cli.BoolFlag{Name: "full", Usage: "read every kind in full instead of resuming from the delta state in .entrasnap/state.yaml"},
			&cli.StringFlag{Name: "full-every", Usage: "read the delta kinds in full when the last full read is this old: 7d, 36h (default 7d; recorded in the state)"},
			&cli.BoolFlag{Name: "scheduled", Usage: "a scheduled run (the daily job): read users' sponsors, PIM for Groups schedules and apps' and service principals' relationships again only where the directory audit log names a change; a change younger than the log's latency (minutes) shows in the next scheduled run, not this one"},
			&cli.BoolFlag{Name: "json", Usage: "progress and summary as JSON lines on stdout"},
			&cli.DurationFlag{Name: "wait", Usage: "when a running entrasnap (an apply, another export) holds the repository lock, wait up to this long for it, e.g. 15m, saying so on stderr (default 0: refuse at once; a stale lock is never waited for)"},
			signingKeyFlag(),
		}, connectionFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("export takes no arguments (got %q); give the repository with --repo", c.Args().First())
			}
			o := exportOptions{
				Options: exporter.Options{Message: c.String("message"), Branch: c.String("branch"), AllowShrink: c.Bool("allow-shrink"),
					RequireComplete: c.Bool("require-complete"), Full: c.Bool("full"), Scheduled: c.Bool("scheduled"),
					LockWait: c.Duration("wait")},
				repo: c.String("repo"), kinds: c.StringSlice("kinds"), output: e.outputOf(c),
				push: c.String("push"), prBody: c.String("pr-body"), conn: connectionFrom(c),
			}
			if err := o.Check(); err != nil { // before anything is read from Graph
				return usageErrorf("%v", err)
			}
			var err error
			if v := c.String("full-every"); v != "" {
				if o.FullEvery, err = exporter.ParseEvery(v); err != nil {
					return usageErrorf("--full-every %v", err)
				}
			}
			if strings.TrimSpace(o.repo) == "" {
				return usageErrorf("--repo is required: the folder of the git repository to write (created if missing)")
			}
			ident, err := identityFrom(c)
			if err != nil {
				return err
			}
			o.Author, o.Committer, o.Signer = ident.Author, ident.Committer, ident.Signer
			return runExport(c.Context, e, o)
		},
	}
}

func runExport(ctx context.Context, e *env, o exportOptions) error {
	if o.prBody != "" {
		// Emptied first: a failed run never leaves an earlier run's body behind.
		if err := os.WriteFile(o.prBody, nil, 0o644); err != nil {
			return fmt.Errorf("--pr-body: %w", err)
		}
	}
	kinds, err := layout.Select(o.kinds)
	if err != nil {
		return usageErrorf("--kinds: %v", err)
	}
	progress, err := exporter.NewReporter(o.output.format, e.stdout, e.stderr)
	if err != nil {
		return err
	}
	o.conn.Progress = progress.Retry
	client, err := e.client(o.conn, "entrasnap/"+version)
	if err != nil {
		return err
	}
	repo, err := snapshot.OpenOrInit(o.repo)
	if err != nil {
		return fmt.Errorf("--repo %s: %w", o.repo, err)
	}
	defer repo.Close()
	// A stale lock taken over, leftovers of an interrupted run removed, a
	// wait for a running run's lock (--wait).
	repo.SetNotify(func(msg string) { fmt.Fprintf(e.stderr, "entrasnap: %s\n", msg) })
	recordInterruptedApply(ctx, e, repo, importer.IDCommit{Author: o.Author, Committer: o.Committer, Signer: o.Signer})
	o.Client, o.Repo, o.Kinds, o.Progress, o.Now = client, repo, kinds, progress, e.now
	o.ClientID = o.conn.ClientID // an opaque token: the app's grants are read from Graph for the manifest
	res, err := exporter.Run(ctx, o.Options)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("export interrupted; nothing was committed")
		}
		return err
	}
	pushed, err := res.Publish(ctx, repo, o.prBody, o.push)
	if err != nil {
		return err
	}
	if pushed != "" {
		fmt.Fprintf(e.stderr, "Pushed %s.\n", pushed)
	}
	if err := res.IncompleteError(); err != nil {
		return &codedError{code: exitPartial, err: err}
	}
	return nil
}

// identityFrom reads once, before anything is read or written, who signs
// a command's commits (--signing-key, signerFrom) and who they name:
// --author and --committer where it has them (export), else git's
// variables; a bad value names its source.
func identityFrom(c *cli.Context) (importer.IDCommit, error) {
	var id importer.IDCommit
	var err error
	if id.Signer, err = signerFrom(c); err != nil {
		return id, err
	}
	if id.Author, err = parseSignature(c, "author", "AUTHOR"); err != nil {
		return id, err
	}
	id.Committer, err = parseSignature(c, "committer", "COMMITTER")
	return id, err
}

// parseSignature reads "Name <email>" from --flag, or git's variables of
// role (snapshot.SignatureFromEnv).
func parseSignature(c *cli.Context, flag, role string) (snapshot.Signature, error) {
	if value := c.String(flag); value != "" {
		sig, err := snapshot.ParseSignature(value)
		if err != nil {
			return sig, usageErrorf("--%s %q: %v", flag, value, err)
		}
		return sig, nil
	}
	sig, err := snapshot.SignatureFromEnv(role)
	if err != nil && slices.ContainsFunc(c.Command.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), flag) }) {
		return sig, usageErrorf("%v (or give --%s)", err, flag)
	} else if err != nil {
		return sig, usageErrorf("%v", err)
	}
	return sig, nil
}
