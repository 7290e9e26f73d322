package layout

import (
	"fmt"
	"testing"
)

func TestManifestRoundTrip(t *testing.T) {
	m := &Manifest{Format: 1, TenantID: "t", Kinds: map[string]ManifestKind{
		"users":  {Folder: "users", Objects: 3, Complete: true},
		"groups": {Folder: "groups", Objects: 2, Reason: "list: permission denied"},
	}}
	got, err := DecodeManifest(m.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(m) {
		t.Errorf("round trip: %+v, want %+v", got, m)
	}
	if _, err := DecodeManifest([]byte("format: 99\nkinds: {}\n")); err == nil {
		t.Error("a newer format was accepted")
	}
}

func TestManifestNotLicensedRoundTrip(t *testing.T) {
	m := &Manifest{Format: FormatVersion, TenantID: "t", Kinds: map[string]ManifestKind{
		"role-eligibility-schedules": {Folder: "roles/eligibility", Objects: 2, Reason: "list: not licensed in this tenant (needs Microsoft Entra ID P2 or Microsoft Entra ID Governance)", NotLicensed: "Microsoft Entra ID P2 or Microsoft Entra ID Governance"},
	}}
	back, err := DecodeManifest(m.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Kinds["role-eligibility-schedules"]; got != m.Kinds["role-eligibility-schedules"] {
		t.Errorf("round trip: %+v, want %+v", got, m.Kinds["role-eligibility-schedules"])
	}
}

func TestManifestAccessRoundTrip(t *testing.T) {
	m := &Manifest{Format: FormatVersion, TenantID: "t", Kinds: map[string]ManifestKind{"users": {Folder: "users", Objects: 1, Complete: true}},
		Access: &ManifestAccess{Type: "application", Permissions: []string{"Directory.Read.All", "Policy.Read.All"}, DirectoryRoles: []string{"88d8e3e3-8f55-4a1e-953a-9b9898b8876b"}}}
	data := m.Encode()
	back, err := DecodeManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back.Access) != fmt.Sprint(m.Access) {
		t.Errorf("access round trip: %+v, want %+v\n%s", back.Access, m.Access, data)
	}
	// No access recorded: the manifest is the one older versions wrote.
	m.Access = nil
	if back, err := DecodeManifest(m.Encode()); err != nil || back.Access != nil {
		t.Errorf("no access: %+v, %v", back, err)
	}
}
