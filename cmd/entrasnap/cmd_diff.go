package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/urfave/cli/v2"
)

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
			if err := oneOf("format", c.String("format"), "text", "markdown", "json"); err != nil {
				return err
			}
			return runDiff(c.Context, e, c.String("repo"), from, to, c.String("format"), c.StringSlice("kinds"), c.Bool("exit-code"))
		},
	}
}

func runDiff(ctx context.Context, e *env, repoPath, from, to, format string, kinds []string, exitCode bool) error {
	r, err := openRepo(repoPath)
	if err != nil {
		return err
	}
	var only []*layout.Kind
	if len(kinds) > 0 {
		if only, err = layout.Select(kinds); err != nil {
			return usageErrorf("--kinds: %v", err)
		}
	}
	fromHash, err := r.Resolve(ctx, from)
	if err != nil {
		if from == "HEAD~1" {
			return fmt.Errorf("the repository has only one snapshot: nothing to compare yet (export again after a change)")
		}
		return err
	}
	toHash, err := r.Resolve(ctx, to)
	if err != nil {
		return err
	}
	a, b, skipped, err := history.LoadChanged(ctx, r, fromHash.String(), toHash.String())
	if err != nil {
		return err
	}
	a.Keep(only)
	b.Keep(only)
	newer, older := history.Open(ctx, r, toHash.String()), history.Open(ctx, r, fromHash.String())
	defer func() {
		warnSkipped(e.stderr, slices.Concat(skipped, history.SkippedAt(toHash.String(), newer.Skipped()), history.SkippedAt(fromHash.String(), older.Skipped())))
	}()
	res := diff.Compare(a, b, history.Chain{newer, older})
	title := fmt.Sprintf("%s (%s) → %s (%s)", from, fromHash.String()[:12], to, toHash.String()[:12])
	switch format {
	case "markdown":
		err = res.Markdown(e.stdout, diff.RenderOptions{Title: title})
	case "json":
		err = res.JSON(e.stdout)
	default:
		err = res.Text(e.stdout, diff.RenderOptions{Title: title, Color: e.color})
	}
	if err != nil {
		return err
	}
	if exitCode && !res.Empty() {
		return &codedError{code: exitChanges}
	}
	return nil
}
