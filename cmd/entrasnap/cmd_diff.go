package main

import (
	"context"
	"errors"
	"fmt"
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
	defer r.Close()
	var only []*layout.Kind
	if len(kinds) > 0 {
		if only, err = layout.Select(kinds); err != nil {
			return usageErrorf("--kinds: %v", err)
		}
	}
	cmp, err := history.Compare(ctx, r, from, to, only)
	if err != nil {
		var re *history.RevisionError
		if errors.As(err, &re) && re.Rev == "HEAD~1" && from == "HEAD~1" {
			return fmt.Errorf("the repository has only one snapshot: nothing to compare yet (export again after a change)")
		}
		return err
	}
	defer func() { history.WarnSkipped(e.stderr, cmp.Skipped()) }()
	title := fmt.Sprintf("%s (%s) → %s (%s)", from, cmp.From[:12], to, cmp.To[:12])
	who := cmp.Attribution(ctx, r) // who changed it (history/attribution.go)
	switch format {
	case "markdown":
		err = cmp.Markdown(e.stdout, diff.RenderOptions{Title: title, Attribution: who})
	case "json":
		err = cmp.JSON(e.stdout)
	default:
		err = cmp.Text(e.stdout, diff.RenderOptions{Title: title, Color: e.color, Attribution: who})
	}
	if err != nil {
		return err
	}
	if exitCode && !cmp.Empty() {
		return &codedError{code: exitChanges}
	}
	return nil
}
