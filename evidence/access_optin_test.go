package evidence

import (
	"slices"
	"strings"
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

// API connectors are opt-in and read only with APIConnectors.ReadWrite.All:
// a snapshot without them does not need it (holding it is beyond the read
// set and a write); one that holds them needs it, and the app holding it is
// within the read set but not read-only.
func TestAccessReadWithWriteKind(t *testing.T) {
	const perm = "APIConnectors.ReadWrite.All"
	m := &layout.Manifest{Kinds: map[string]layout.ManifestKind{}}
	for _, k := range layout.DefaultKinds() {
		m.Kinds[k.Name] = layout.ManifestKind{Folder: k.Folder, Complete: true}
	}
	base := layout.ExportPermissions(layout.DefaultKinds())
	if slices.Contains(base, perm) {
		t.Fatalf("the read-only export set holds %s", perm)
	}
	m.Access = &layout.ManifestAccess{Type: "application", Permissions: append(append([]string(nil), base...), perm)}
	a := access(m, "snapshot/1")
	if a.ReadOnly || a.LeastPrivilege || !slices.Contains(a.Extra, perm) || slices.Contains(a.Needed, perm) {
		t.Errorf("without API connectors in the snapshot: read-only %v, least privilege %v, extra %v, needed has it %v", a.ReadOnly, a.LeastPrivilege, a.Extra, slices.Contains(a.Needed, perm))
	}
	m.Kinds["api-connectors"] = layout.ManifestKind{Folder: "external-identities/api-connectors", Complete: true}
	a = access(m, "snapshot/1")
	if a.ReadOnly || !slices.Contains(a.Writes, perm) || len(a.Extra) != 0 || !slices.Contains(a.Needed, perm) || len(a.Missing) != 0 {
		t.Errorf("with API connectors: read-only %v, writes %v, extra %v, missing %v", a.ReadOnly, a.Writes, a.Extra, a.Missing)
	}
	// The report says why the write permission is held: an auditor reads
	// "not read-only" next to the kind that needs it.
	if want := []string{perm + " (api-connectors)"}; !slices.Equal(a.WritesToRead, want) {
		t.Errorf("writes to read = %v, want %v", a.WritesToRead, want)
	}
	rep := &Report{Access: a}
	var md, ht strings.Builder
	if err := rep.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.HTML(&ht); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"markdown": md.String(), "html": ht.String()} {
		if !strings.Contains(out, "needed to read a kind in the snapshot") || !strings.Contains(out, "api-connectors") {
			t.Errorf("%s does not say why %s is held:\n%s", name, perm, out)
		}
	}
	m.Access.Permissions = base
	if a = access(m, "snapshot/1"); !slices.Equal(a.Missing, []string{perm}) {
		t.Errorf("API connectors in the snapshot, the app without %s: missing %v", perm, a.Missing)
	}
}
