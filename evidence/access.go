package evidence

import (
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// auditPermission is the permission export reads the directory audit log
// with ("who changed it"; live.AuditPermission): optional, read-only, and
// not one `kinds` lists for a kind.
const auditPermission = "AuditLog.Read.All"

// Access is what the latest snapshot's manifest records of the access the
// export ran with, against the read permissions `entrasnap kinds` lists
// for the kinds the repository holds.
type Access struct {
	Recorded bool   `json:"recorded"`
	Snapshot string `json:"snapshot"` // the tag whose manifest it is
	// Type is "application" or "delegated" (layout.ManifestAccess).
	Type string `json:"type"`
	// Source is where the manifest's permissions were read: "token" (the
	// export token's claims) or "graph" (the token was not a JWT: the
	// app's grants as Graph lists them), layout.ManifestAccess.From.
	Source         string   `json:"source"`
	Permissions    []string `json:"permissions"`
	DirectoryRoles []string `json:"directoryRoles"`
	// Needed is the least set that reads the repository's kinds
	// (layout.ExportPermissions), plus AuditLog.Read.All when held (it
	// reads who changed what).
	Needed []string `json:"needed"`
	// Writes are the held permissions that allow more than reading.
	Writes []string `json:"writes"`
	// WritesToRead are the Writes a kind in the snapshot is read with,
	// because Graph has no read-only permission for it (API connectors,
	// layout.Kind.ReadNeedsWrite): "permission (kind, ...)".
	WritesToRead []string `json:"writesToRead"`
	// Extra are the held permissions beyond Needed; Missing the needed
	// ones not held (their kinds are incomplete in the manifest).
	Extra          []string `json:"extra"`
	Missing        []string `json:"missing"`
	ReadOnly       bool     `json:"readOnly"`
	LeastPrivilege bool     `json:"leastPrivilege"`
}

// readOnlyPermission reports whether a Graph permission's name says it
// only reads: its operation (the part after the resource: Read, ReadBasic,
// ReadWrite, Manage, Invite, AccessAsUser, ...) begins with "Read" and
// does not write.
func readOnlyPermission(p string) bool {
	_, rest, ok := strings.Cut(p, ".")
	op, _, _ := strings.Cut(rest, ".")
	return ok && strings.HasPrefix(op, "Read") && !strings.Contains(op, "Write")
}

// readOnlyRoles are the built-in directory roles (by template id) that
// only read (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference):
// Directory Readers, Global Reader, Security Reader, Reports Reader.
var readOnlyRoles = map[string]string{
	"88d8e3e3-8f55-4a1e-953a-9b9898b8876b": "Directory Readers",
	"f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
	"5d6b6bb7-de71-4623-b4af-96380a352509": "Security Reader",
	"4a5d8f65-41da-4de4-8968-e035b65339cf": "Reports Reader",
}

func access(m *layout.Manifest, tag string) Access {
	a := Access{Snapshot: tag, Permissions: []string{}, DirectoryRoles: []string{}, Needed: []string{}, Writes: []string{}, WritesToRead: []string{}, Extra: []string{}, Missing: []string{}}
	if m == nil {
		return a
	}
	var kinds []*layout.Kind
	for _, k := range layout.Kinds() {
		if _, ok := m.Kinds[k.Name]; ok {
			kinds = append(kinds, k)
		}
	}
	a.Needed = append(a.Needed, layout.ExportPermissions(kinds)...)
	// A kind Graph reads only with a write permission (API connectors,
	// opt-in) needs it: held, it is not beyond the read set, but the app
	// is not read-only (a.Writes says so).
	a.Needed = append(a.Needed, layout.ReadWithWritePermissions(kinds)...)
	sort.Strings(a.Needed)
	if m.Access == nil {
		return a
	}
	a.Recorded, a.Type, a.Source = true, m.Access.Type, m.Access.From()
	a.Permissions = append(a.Permissions, m.Access.Permissions...)
	a.DirectoryRoles = append(a.DirectoryRoles, m.Access.DirectoryRoles...)
	held := map[string]bool{}
	for _, p := range a.Permissions {
		held[p] = true
		if !readOnlyPermission(p) {
			a.Writes = append(a.Writes, p)
		}
	}
	for _, p := range a.Writes {
		var by []string
		for _, k := range kinds {
			if k.ReadNeedsWrite != "" && contains(layout.ReadWithWritePermissions([]*layout.Kind{k}), p) {
				by = append(by, k.Name)
			}
		}
		if len(by) > 0 {
			a.WritesToRead = append(a.WritesToRead, p+" ("+strings.Join(by, ", ")+")")
		}
	}
	for _, r := range a.DirectoryRoles {
		if readOnlyRoles[strings.ToLower(r)] == "" {
			a.Writes = append(a.Writes, "directory role "+r)
		}
	}
	if held[auditPermission] && !contains(a.Needed, auditPermission) {
		a.Needed = append(a.Needed, auditPermission)
		sort.Strings(a.Needed)
	}
	// The permissions of the opt-in kinds (read when --kinds names them,
	// e.g. weekly) are in the read set too: holding one is not beyond it,
	// and lacking one is not missing while the snapshot holds no such kind.
	var optIn []*layout.Kind
	for _, k := range layout.Kinds() {
		if k.OptIn != "" {
			optIn = append(optIn, k)
		}
	}
	optional := layout.ExportPermissions(optIn)
	for _, p := range a.Permissions {
		if !contains(a.Needed, p) && !contains(optional, p) {
			a.Extra = append(a.Extra, p)
		}
	}
	for _, p := range a.Needed {
		if !held[p] {
			a.Missing = append(a.Missing, p)
		}
	}
	a.ReadOnly = len(a.Writes) == 0
	a.LeastPrivilege = a.ReadOnly && len(a.Extra) == 0
	return a
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// accessSource says where the recorded permissions were read, for a person.
func accessSource(source string) string {
	if source == layout.AccessFromGraph {
		return "read from Graph: the app's grants, as the export token is not a JWT"
	}
	return "read from the export token's claims"
}
