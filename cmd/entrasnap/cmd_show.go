package main

import (
	"context"
	"fmt"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/urfave/cli/v2"
)

func showCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "print one object's file at a revision, with referenced ids named",
		ArgsUsage: "OBJECT",
		Description: `OBJECT is ` + objectHelp + `

Every line holding the id of another object in the snapshot (or an alias:
an appId, a role's templateId) gets a comment with that object's name.

EXAMPLES:
   entrasnap show --repo ./tenant-backup "conditional-access-policies/Require MFA"
   entrasnap show --repo ./tenant-backup "conditional-access/policies/Require MFA"
   entrasnap show --repo ./tenant-backup 3f2a0b1c-... --at 2026-03-20
   entrasnap show --repo ./tenant-backup APP_ID          # an application by its appId
   entrasnap show --repo ./tenant-backup -- -AbC...-1   # an id that begins with "-"`,
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

// objectHelp describes the one selector grammar (history.ResolveOne) for
// show's and log's OBJECT.
const objectHelp = `an object id, or an alias of one (an application's
appId, a role definition's templateId, a service principal's appId when no
application has it), a file path in the repository, or kind/displayName
where the kind may be a folder (conditional-access-policies/Require MFA,
conditional-access/policies/Require MFA; names compare without regard to
case), or a one-object kind (authentication-methods-policy). An id that
begins with "-" (role assignment ids can) goes after "--".`

func runShow(ctx context.Context, e *env, repoPath, at, object string) error {
	r, h, ix, p, err := locateObject(ctx, repoPath, at, object)
	if err != nil {
		return err
	}
	data, err := r.ReadFile(ctx, h.String(), p)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "# %s at %s (%s)\n", layout.Safe(p), layout.Safe(at), h.String()[:12])
	err = ix.Annotate(e.stdout, p, data)
	warnSkipped(e.stderr, ix.skipped())
	return err
}
