package layout

import (
	"fmt"
	"reflect"
	"strings"
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

// A kind read in part (a role scoped to attribute sets) says so in the
// manifest, hostile set names written exactly, and reads back the same;
// a manifest without it (every earlier one) keeps its bytes.
func TestManifestPartialRoundTrip(t *testing.T) {
	partial := "read in part: attribute sets HR, \"Q\"\n\u202eRTL 🚀 ../x only; those of DataProtection were kept as the previous snapshot holds them"
	m := &Manifest{Format: FormatVersion, TenantID: "t", Kinds: map[string]ManifestKind{
		"attribute-sets": {Folder: "custom-security-attributes/sets", Objects: 3, Complete: true, Partial: partial},
		"users":          {Folder: "users", Objects: 3, Complete: true},
	}}
	data := m.Encode()
	back, err := DecodeManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Kinds, m.Kinds) {
		t.Errorf("round trip: %+v, want %+v", back.Kinds, m.Kinds)
	}
	if st, why := back.Kinds["attribute-sets"].State(); st != StatePartial || why != partial {
		t.Errorf("State() = %q, %q", st, why)
	}
	if strings.Count(string(data), "partial:") != 1 {
		t.Errorf("partial written for a kind that was not read in part:\n%s", data)
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

// AccessNames (the one tidy of the token-claim and Graph-grant readers,
// which differed on nil against empty): distinct, sorted, empty and
// over-long names left out, never nil. Whether an access holds nil or
// empty lists does not change a byte of the manifest, so the choice of
// never nil changes no snapshot.
func TestAccessNames(t *testing.T) {
	long := strings.Repeat("x", 257)
	got := AccessNames([]string{"User.Read.All", "", long, "Directory.Read.All", "User.Read.All", strings.Repeat("y", 256)})
	if want := []string{"Directory.Read.All", "User.Read.All", strings.Repeat("y", 256)}; !reflect.DeepEqual(got, want) {
		t.Errorf("AccessNames = %q, want %q", got, want)
	}
	for _, in := range [][]string{nil, {}, {""}, {long}} {
		if got := AccessNames(in); got == nil || len(got) != 0 {
			t.Errorf("AccessNames(%q) = %#v, want an empty, non-nil list", in, got)
		}
	}
	m := &Manifest{Format: FormatVersion, TenantID: "t", Kinds: map[string]ManifestKind{"users": {Folder: "users", Objects: 1, Complete: true}},
		Access: &ManifestAccess{Type: "application", Source: AccessFromGraph}}
	withNil := string(m.Encode())
	m.Access.Permissions, m.Access.DirectoryRoles = AccessNames(nil), AccessNames(nil)
	if withEmpty := string(m.Encode()); withEmpty != withNil {
		t.Errorf("nil and empty access lists encode differently:\n%s\n---\n%s", withNil, withEmpty)
	}
	if !strings.Contains(withNil, "permissions: []") || strings.Contains(withNil, "directoryRoles") {
		t.Errorf("an access with no permissions and no roles:\n%s", withNil)
	}
}

func TestManifestKindState(t *testing.T) {
	for _, tc := range []struct {
		name       string
		k          ManifestKind
		want       KindState
		reason     string
		incomplete bool
	}{
		{"complete", ManifestKind{Folder: "users", Objects: 3, Complete: true}, StateComplete, "", false},
		{"complete ignores a stale reason", ManifestKind{Complete: true, Reason: "old"}, StateComplete, "", false},
		{"incomplete with a reason", ManifestKind{Reason: "list: permission denied"}, StateIncomplete, "list: permission denied", true},
		{"incomplete without a reason", ManifestKind{}, StateIncomplete, "", true},
		{"not licensed", ManifestKind{Reason: "list: not licensed", NotLicensed: "Microsoft Entra ID P2"}, StateNotLicensed, "Microsoft Entra ID P2", false},
		{"skipped", ManifestKind{Reason: "list: skipped: app-only", Skipped: "delegated only"}, StateSkipped, "delegated only", false},
		{"not licensed wins over skipped", ManifestKind{NotLicensed: "P2", Skipped: "delegated only"}, StateNotLicensed, "P2", false},
		{"not licensed wins over a Complete flag", ManifestKind{Complete: true, NotLicensed: "P2"}, StateNotLicensed, "P2", false},
		{"skipped wins over a Complete flag", ManifestKind{Complete: true, Skipped: "delegated only"}, StateSkipped, "delegated only", false},
		{"partial", ManifestKind{Complete: true, Partial: "sets HR read, DataProtection kept"}, StatePartial, "sets HR read, DataProtection kept", false},
		{"incomplete wins over partial", ManifestKind{Reason: "list: 503", Partial: "stale"}, StateIncomplete, "list: 503", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := tc.k.State()
			if got != tc.want || reason != tc.reason {
				t.Errorf("State() = %q, %q; want %q, %q", got, reason, tc.want, tc.reason)
			}
			if tc.k.Incomplete() != tc.incomplete {
				t.Errorf("Incomplete() = %v, want %v", tc.k.Incomplete(), tc.incomplete)
			}
		})
	}
}
