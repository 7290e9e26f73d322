package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

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
	infos := layout.KindInfos()
	// The complete sets (layout/permissions.go): everything a run needs,
	// without a permission a broader one listed already grants.
	read, write := layout.ExportPermissions(layout.Kinds()), layout.RestorePermissions(layout.Kinds())
	dRead, dWrite := layout.DelegatedPermissions(layout.Kinds()) // delegated-only kinds (feature rollout policies)
	if asJSON {
		if permsOnly {
			return writeJSON(e.stdout, map[string][]string{"export": read, "restore": write, "audit": {live.AuditPermission},
				"delegatedExport": dRead, "delegatedRestore": dWrite})
		}
		return writeJSON(e.stdout, infos)
	}
	if permsOnly {
		fmt.Fprintf(e.stdout, "Export (read-only), application permissions on Microsoft Graph:\n  %s\n\n", strings.Join(read, "\n  "))
		fmt.Fprintf(e.stdout, "Restore (grant only to the restoring app, in addition to the export set):\n  %s\n", strings.Join(write, "\n  "))
		if len(dRead) > 0 {
			fmt.Fprintf(e.stdout, "\nDelegated sign-in only (kinds Graph serves to delegated callers only, read and restored when signed in with --auth device-code, browser or azure-cli; an app-only export skips them and keeps their files), delegated permissions:\n  export: %s\n  restore: %s\n",
				strings.Join(dRead, ", "), strings.Join(dWrite, ", "))
		}
		fmt.Fprintf(e.stdout, "\nWho changed it (optional, read-only; without it export warns and keeps no audit records, and a daily run reads every user's sponsors instead of the changed users' only):\n  %s\n", live.AuditPermission)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tFOLDER\tGRAPH PATH\tREAD\tRESTORE")
	var exportOnly, noted, optIn, delegated []layout.KindInfo
	for _, ki := range infos {
		if ki.OptIn != "" {
			optIn = append(optIn, ki)
		}
		if ki.DelegatedOnly != "" {
			delegated = append(delegated, ki)
		}
		restore := strings.Join(ki.RestorePermissions, ",")
		if ki.Restore == layout.ExportOnlyKind {
			restore = "export-only (see below)"
			exportOnly = append(exportOnly, ki)
		} else if ki.RestoreNote != "" {
			restore += " (update only, see below)"
			noted = append(noted, ki)
		}
		readPerms := strings.Join(ki.ReadPermissions, ",")
		if ki.DelegatedOnly != "" {
			readPerms += " (delegated only, see below)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ki.Name, ki.Folder, ki.GraphPath,
			readPerms, restore)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(exportOnly) > 0 {
		fmt.Fprintf(e.stdout, "\nExport-only kinds (backed up and checked, never written by a restore):\n")
		for _, ki := range exportOnly {
			fmt.Fprintf(e.stdout, "  %s: %s\n", ki.Name, ki.ExportOnlyReason)
		}
	}
	if len(noted) > 0 {
		fmt.Fprintf(e.stdout, "\nRestorable with limits:\n")
		for _, ki := range noted {
			fmt.Fprintf(e.stdout, "  %s: %s\n", ki.Name, ki.RestoreNote)
		}
	}
	if len(optIn) > 0 {
		fmt.Fprintf(e.stdout, "\nRead only when --kinds names them (an export without --kinds carries their last read forward):\n")
		for _, ki := range optIn {
			fmt.Fprintf(e.stdout, "  %s (%s): %s\n", ki.Name, ki.APIVersion, ki.OptIn)
		}
	}
	if len(delegated) > 0 {
		fmt.Fprintf(e.stdout, "\nDelegated sign-in only (their permissions are delegated ones):\n")
		for _, ki := range delegated {
			fmt.Fprintf(e.stdout, "  %s: %s\n", ki.Name, ki.DelegatedOnly)
		}
	}
	fmt.Fprintf(e.stdout, "\n%d kinds: %d restorable, %d export-only.\n", len(infos), len(infos)-len(exportOnly), len(exportOnly))
	return nil
}
