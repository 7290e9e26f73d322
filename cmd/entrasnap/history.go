package main

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	r, err := snapshot.Open(path)
	if err != nil {
		if errors.Is(err, snapshot.ErrNotRepository) {
			return nil, fmt.Errorf("%v; run `entrasnap export --repo %s` first", err, path)
		}
		return nil, err
	}
	// One file read from the repository is bounded (a file too large is
	// an error naming it, never a read of unbounded size).
	if os.Getenv(maxFileSizeEnv) != "" {
		n, err := check.EnvMaxFileSize()
		if err != nil {
			r.Close()
			return nil, usageErrorf("%s: %v", maxFileSizeEnv, err)
		}
		r.SetMaxFileSize(n)
	}
	if repoOpened != nil {
		repoOpened(r)
	}
	return r, nil
}

// repoOpened, when set (by tests), sees every repository openRepo opens.
var repoOpened func(*snapshot.Repo)

// locateObject opens the repository and finds OBJECT at the revision at
// (history.Locate); the caller closes the repository.
func locateObject(ctx context.Context, repoPath, at, object string) (*snapshot.Repo, string, *history.Index, string, error) {
	r, err := openRepo(repoPath)
	if err != nil {
		return nil, "", nil, "", err
	}
	rev, ix, p, err := history.Locate(ctx, r, at, object)
	if err != nil {
		r.Close()
		return nil, "", nil, "", err
	}
	return r, rev, ix, p, nil
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
	applies, err := history.Applies(ctx, r)
	if err != nil {
		return err
	}
	return history.RenderSnapshots(e.stdout, out.format, snaps, applies)
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
	if err := cmp.Render(e.stdout, out.format, diff.RenderOptions{Title: title, Color: out.color, Attribution: who}); err != nil {
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
	r, rev, ix, p, err := locateObject(ctx, repoPath, at, object)
	if err != nil {
		return importer.JournalNotFound(ctx, repoPath, object, err)
	}
	defer r.Close()
	defer importer.WriteJournalNotes(ctx, e.stderr, r, object, repoPath)
	entries, skipped, err := history.Log(ctx, r, rev, p, ix)
	history.WarnSkipped(e.stderr, skipped)
	if err != nil {
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
	r, rev, ix, p, err := locateObject(ctx, repoPath, at, object)
	if err != nil {
		return importer.JournalNotFound(ctx, repoPath, object, err)
	}
	defer r.Close()
	defer importer.WriteJournalNotes(ctx, e.stderr, r, object, repoPath)
	data, err := r.ReadFile(ctx, rev, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "# %s at %s (%s)\n", layout.Safe(p), layout.Safe(at), rev[:12])
	err = ix.Annotate(e.stdout, p, data)
	history.WarnSkipped(e.stderr, history.SkippedAt(rev, ix.Skipped()))
	return err
}
