package layout

import (
	"sort"
	"strings"
)

// SelectNames is every value Select takes, sorted: the kind names, each
// kind's folder and the folders above it ("policies",
// "policies/cross-tenant-access", ...). Shell completion offers them.
func SelectNames() []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, k := range kinds {
		add(k.Name)
		for i := range len(k.Folder) {
			if k.Folder[i] == '/' {
				add(k.Folder[:i])
			}
		}
		add(k.Folder)
	}
	sort.Strings(out)
	return out
}

// KindInfo is a kind as `entrasnap kinds` lists it (and `kinds --json`
// prints it: the field names are part of the CLI's interface).
type KindInfo struct {
	Name   string `json:"kind"`
	Title  string `json:"title"`
	Folder string `json:"folder"`
	// GraphPath is the collection (or singleton) read, with its version
	// root: "/v1.0/policies/tokenIssuancePolicies".
	GraphPath  string `json:"graphPath"`
	APIVersion string `json:"apiVersion"` // "v1.0" or "beta"
	// Restore is "restorable" or "export-only"; an export-only kind says
	// why in ExportOnlyReason and has no restore permissions.
	Restore            string   `json:"restore"`
	ExportOnlyReason   string   `json:"exportOnlyReason,omitempty"`
	RestoreNote        string   `json:"restoreNote,omitempty"` // what a restore of a restorable kind cannot do, and why
	ReadPermissions    []string `json:"readPermissions"`
	RestorePermissions []string `json:"restorePermissions"`
	// OptIn, when set, says why the kind is read only when --kinds names it.
	OptIn string `json:"optIn,omitempty"`
	// DelegatedOnly, when set, says why the kind is read and restored only
	// with a delegated sign-in; its permissions are then delegated scopes.
	DelegatedOnly string `json:"delegatedOnly,omitempty"`
	// ReadNeedsWrite, when set, says why the kind's read permissions are
	// write permissions (not part of the read-only export set).
	ReadNeedsWrite string `json:"readNeedsWrite,omitempty"`
}

// The values of KindInfo.Restore.
const (
	Restorable     = "restorable"
	ExportOnlyKind = "export-only"
)

// KindInfos describes every kind, in catalog order.
func KindInfos() []KindInfo {
	var out []KindInfo
	for _, k := range kinds {
		ki := KindInfo{Name: k.Name, Title: k.Title, Folder: k.Folder, GraphPath: "/" + k.APIVersion + strings.ReplaceAll(k.ListPath, OrganizationPlaceholder, "{organizationId}"),
			APIVersion: k.APIVersion, Restore: Restorable,
			ReadPermissions: KindReadPermissions(k), RestorePermissions: KindRestorePermissions(k), RestoreNote: k.RestoreNote, OptIn: k.OptIn, DelegatedOnly: k.DelegatedOnly,
			ReadNeedsWrite: k.ReadNeedsWrite}
		if k.PerObject != "" {
			ki.GraphPath += "/{id}/" + k.PerObject
		}
		if k.ExportOnly != "" {
			ki.Restore, ki.ExportOnlyReason, ki.RestorePermissions = ExportOnlyKind, k.ExportOnly, []string{}
		}
		out = append(out, ki)
	}
	return out
}
