package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

// repoFlagUsage is shared by the commands that read a snapshot repository.
const repoFlagUsage = "the snapshot repository (the folder entrasnap export writes)"

// openRepo opens an existing snapshot repository with errors that say what to do.
func openRepo(path string) (*snapshot.Repo, error) {
	if path == "" {
		return nil, usageErrorf("--repo is required: the folder `entrasnap export --repo` wrote")
	}
	limit, err := check.EnvMaxFileSize()
	if err != nil {
		return nil, usageErrorf("%s: %v", check.MaxFileSizeEnv, err)
	}
	r, err := check.Open(path, limit)
	if err != nil {
		return nil, err
	}
	if repoOpened != nil {
		repoOpened(r)
	}
	return r, nil
}

// repoOpened, when set (by tests), sees every repository openRepo opens.
var repoOpened func(*snapshot.Repo)

// withObject opens the repository, finds OBJECT at the revision at
// (history.Locate: the file p at commit rev, in the index ix) and calls fn
// with it. What a restore's leftover journal knows of the object is told:
// why it is not found (importer.JournalNotFound), or as notes on stderr.
func withObject(ctx context.Context, e *env, repoPath, at, object string, fn func(r *snapshot.Repo, rev string, ix *history.Index, p string) error) error {
	r, err := openRepo(repoPath)
	if err != nil {
		return err
	}
	defer r.Close()
	rev, ix, p, err := history.Locate(ctx, r, at, object)
	if err != nil {
		return importer.JournalNotFound(ctx, r, repoPath, object, err)
	}
	defer importer.WriteJournalNotes(ctx, e.stderr, r, object, repoPath)
	return fn(r, rev, ix, p)
}

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
			return runSnapshots(c.Context, e, e.outputOf(c), c.String("repo"), c.Int("limit"))
		},
	}
}

func runSnapshots(ctx context.Context, e *env, out output, repoPath string, limit int) error {
	r, err := openRepo(repoPath)
	if err != nil {
		return err
	}
	defer r.Close()
	snaps, err := history.Snapshots(ctx, r, limit)
	if err != nil {
		return err
	}
	if len(snaps) == 0 {
		return fmt.Errorf("%s has no snapshots (no snapshot/* tags); run `entrasnap export --repo %s`", repoPath, repoPath)
	}
	if err := history.RenderSnapshots(e.stdout, out.format, snaps); err != nil || out.json() {
		return err
	}
	applies, err := history.Applies(ctx, r)
	if err != nil {
		return err
	}
	return history.WriteApplies(e.stdout, applies)
}

func diffCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "diff",
		Usage:       "show what changed between two snapshots, object by object",
		ArgsUsage:   "[FROM [TO]]",
		Description: helpText("diff"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage, Required: true},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, markdown or json"},
			&cli.StringSliceFlag{Name: "kinds", Usage: "only these kinds or folders (see: entrasnap kinds)"},
			&cli.BoolFlag{Name: "exit-code", Usage: "exit 2 when there are changes, 0 when there are none"},
		},
		Action: func(c *cli.Context) error {
			args, err := e.interspersed(c)
			if err != nil {
				return err
			}
			from, to := "HEAD~1", "HEAD"
			switch len(args) {
			case 0:
			case 1:
				from = args[0]
			case 2:
				from, to = args[0], args[1]
			default:
				return usageErrorf("diff takes at most two revisions, got %d: %s", len(args), strings.Join(args, " "))
			}
			if err := oneOf("format", c.String("format"), diff.Formats...); err != nil {
				return err
			}
			return runDiff(c.Context, e, e.outputOf(c), c.String("repo"), from, to, c.StringSlice("kinds"), c.Bool("exit-code"))
		},
	}
}

func runDiff(ctx context.Context, e *env, out output, repoPath, from, to string, kinds []string, exitCode bool) error {
	r, err := openRepo(repoPath)
	if err != nil {
		return err
	}
	defer r.Close()
	var only []*layout.Kind
	if len(kinds) > 0 {
		if only, err = layout.Select(kinds); err != nil {
			return usageErrorf("--kinds: %v", err)
		}
	}
	defer importer.WriteJournalNotes(ctx, e.stderr, r, "", repoPath) // a restore's leftover journal
	cmp, err := history.Compare(ctx, r, from, to, only)
	if err != nil {
		return err
	}
	defer func() { history.WarnSkipped(e.stderr, cmp.Skipped()) }()
	title := fmt.Sprintf("%s (%s) → %s (%s)", from, cmp.From[:12], to, cmp.To[:12])
	who := cmp.Attribution(ctx, r) // who changed it (history/attribution.go)
	// Buffered: the text form writes a line at a time, a system call
	// each (735 for the 100,000-user bench's daily diff; issue 12, row e1).
	w := bufio.NewWriterSize(e.stdout, 64<<10)
	err = cmp.Render(w, out.format, diff.RenderOptions{Title: title, Color: out.color, Attribution: who})
	if ferr := w.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("writing the diff to standard output: %w", ferr)
	}
	if err != nil {
		return err
	}
	if exitCode && !cmp.Empty() {
		return &codedError{code: exitChanges}
	}
	return nil
}

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
			return runLog(c.Context, e, e.outputOf(c), c.String("repo"), c.String("at"), args[0])
		},
	}
}

func runLog(ctx context.Context, e *env, out output, repoPath, at, object string) error {
	return withObject(ctx, e, repoPath, at, object, func(r *snapshot.Repo, rev string, ix *history.Index, p string) error {
		entries, skipped, err := history.Log(ctx, r, rev, p, ix)
		if history.WarnSkipped(e.stderr, skipped); err != nil {
			return err
		}
		if err := history.RenderLog(e.stdout, out.format, p, entries); err != nil || out.json() {
			return err
		}
		applies, err := history.Applies(ctx, r)
		if err != nil {
			return err
		}
		history.WriteAppliesNaming(e.stdout, p, applies)
		return nil
	})
}

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
	return withObject(ctx, e, repoPath, at, object, func(r *snapshot.Repo, rev string, ix *history.Index, p string) error {
		data, err := r.ReadFile(ctx, rev, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "# %s at %s (%s)\n", layout.Safe(p), layout.Safe(at), rev[:12])
		err = ix.Annotate(e.stdout, p, data)
		history.WarnSkipped(e.stderr, history.SkippedAt(rev, ix.Skipped()))
		return err
	})
}
