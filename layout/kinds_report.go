package layout

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WritePermissions writes the permission sets of `entrasnap kinds
// --permissions`: the complete export and restore sets (permissions.go)
// and audit, the optional permission of who changed what.
func WritePermissions(w io.Writer, audit string) {
	read, write := ExportPermissions(Kinds()), RestorePermissions(Kinds())
	fmt.Fprintf(w, "Export (read-only), application permissions on Microsoft Graph:\n  %s\n\n", strings.Join(read, "\n  "))
	fmt.Fprintf(w, "Restore (grant only to the restoring app, in addition to the export set):\n  %s\n", strings.Join(write, "\n  "))
	if rw := ReadWithWritePermissions(Kinds()); len(rw) > 0 {
		fmt.Fprintf(w, "\nOpt-in kinds Graph reads only with a write permission (grant to the export app only to back them up, naming them with --kinds; the app is then no longer read-only):\n")
		for _, k := range Kinds() {
			if k.ReadNeedsWrite != "" {
				fmt.Fprintf(w, "  %s: %s\n", k.Name, strings.Join(KindReadPermissions(k), ", "))
			}
		}
	}
	if dRead, dWrite := DelegatedPermissions(Kinds()); len(dRead) > 0 {
		fmt.Fprintf(w, "\nDelegated sign-in only (kinds Graph serves to delegated callers only, read and restored when signed in with --auth device-code, browser or azure-cli; an app-only export skips them and keeps their files), delegated permissions:\n  export: %s\n  restore: %s\n",
			strings.Join(dRead, ", "), strings.Join(dWrite, ", "))
	}
	fmt.Fprintf(w, "\nWho changed it (optional, read-only; without it export warns and keeps no audit records, and a daily run reads every user's sponsors instead of the changed users' only):\n  %s\n", audit)
}

// WriteKinds writes the table of `entrasnap kinds`: one row per kind,
// then the export-only kinds with their reason, the kinds restorable with
// limits, the opt-in kinds, and the counts.
func WriteKinds(w io.Writer) error {
	infos := KindInfos()
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tFOLDER\tGRAPH PATH\tREAD\tRESTORE")
	var exportOnly, noted, optIn, delegated []KindInfo
	for _, ki := range infos {
		if ki.OptIn != "" {
			optIn = append(optIn, ki)
		}
		if ki.DelegatedOnly != "" {
			delegated = append(delegated, ki)
		}
		restore := strings.Join(ki.RestorePermissions, ",")
		if ki.Restore == ExportOnlyKind {
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
		if ki.ReadNeedsWrite != "" {
			readPerms += " (a write permission: no read-only one exists, see below)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ki.Name, ki.Folder, ki.GraphPath,
			readPerms, restore)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(exportOnly) > 0 {
		fmt.Fprintf(w, "\nExport-only kinds (backed up and checked, never written by a restore):\n")
		for _, ki := range exportOnly {
			fmt.Fprintf(w, "  %s: %s\n", ki.Name, ki.ExportOnlyReason)
		}
	}
	if len(noted) > 0 {
		fmt.Fprintf(w, "\nRestorable with limits:\n")
		for _, ki := range noted {
			fmt.Fprintf(w, "  %s: %s\n", ki.Name, ki.RestoreNote)
		}
	}
	if len(optIn) > 0 {
		fmt.Fprintf(w, "\nRead only when --kinds names them (an export without --kinds carries their last read forward):\n")
		for _, ki := range optIn {
			fmt.Fprintf(w, "  %s (%s): %s\n", ki.Name, ki.APIVersion, ki.OptIn)
		}
	}
	if len(delegated) > 0 {
		fmt.Fprintf(w, "\nDelegated sign-in only (their permissions are delegated ones):\n")
		for _, ki := range delegated {
			fmt.Fprintf(w, "  %s: %s\n", ki.Name, ki.DelegatedOnly)
		}
	}
	fmt.Fprintf(w, "\n%d kinds: %d restorable, %d export-only.\n", len(infos), len(infos)-len(exportOnly), len(exportOnly))
	return nil
}
