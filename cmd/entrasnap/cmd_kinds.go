package main

import (
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/urfave/cli/v2"
)

func kindsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "kinds",
		Usage:       "list the object kinds entrasnap backs up, with the Graph permissions each needs",
		Description: helpText("kinds"),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "permissions", Usage: "print only the permission sets: read-only export, and restore"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
		},
		Action: func(c *cli.Context) error {
			return runKinds(e, c.Bool("permissions"), c.Bool("json"))
		},
	}
}

func runKinds(e *env, permsOnly, asJSON bool) error {
	switch {
	case asJSON && permsOnly:
		return writeJSON(e.stdout, map[string][]string{"export": layout.ExportPermissions(layout.Kinds()),
			"restore": layout.RestorePermissions(layout.Kinds()), "audit": {live.AuditPermission}})
	case asJSON:
		return writeJSON(e.stdout, layout.KindInfos())
	case permsOnly:
		layout.WritePermissions(e.stdout, live.AuditPermission)
		return nil
	}
	return layout.WriteKinds(e.stdout)
}
