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
