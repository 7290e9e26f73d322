package evidence

import (
	"slices"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// An opt-in kind's permission (users' custom security attribute values:
// CustomSecAttributeAssignment.Read.All) is part of the read set: held by
// a backup app whose snapshot does not hold the kind, it is not beyond
// least privilege; lacking it is not missing either.
func TestAccessOptInPermissionsAreInTheReadSet(t *testing.T) {
	m := &layout.Manifest{Kinds: map[string]layout.ManifestKind{}}
	for _, k := range layout.DefaultKinds() {
		m.Kinds[k.Name] = layout.ManifestKind{Folder: k.Folder, Complete: true}
	}
	base := layout.ExportPermissions(layout.DefaultKinds())
	const opt = "CustomSecAttributeAssignment.Read.All"
	if slices.Contains(base, opt) {
		t.Fatalf("%s is needed by a default kind", opt)
	}
	m.Access = &layout.ManifestAccess{Type: "application", Permissions: append(append([]string(nil), base...), opt)}
	if a := access(m, "snapshot/1"); !a.LeastPrivilege || len(a.Extra) != 0 || len(a.Missing) != 0 {
		t.Errorf("with the opt-in permission: least privilege %v, extra %v, missing %v", a.LeastPrivilege, a.Extra, a.Missing)
	}
	m.Access.Permissions = append(append([]string(nil), base...), "Directory.ReadWrite.All")
	if a := access(m, "snapshot/1"); a.LeastPrivilege || !slices.Contains(a.Extra, "Directory.ReadWrite.All") || len(a.Missing) != 0 {
		t.Errorf("with a write permission: least privilege %v, extra %v, missing %v", a.LeastPrivilege, a.Extra, a.Missing)
	}
}
