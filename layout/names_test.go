package layout

import (
	"slices"
	"testing"
)

// Every name offered is one Select takes, and every kind's name, folder and
// the folders above it are offered once.
func TestSelectNames(t *testing.T) {
	names := SelectNames()
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Fatalf("not sorted or not unique: %v", names)
	}
	for _, n := range names {
		if _, err := Select([]string{n}); err != nil {
			t.Errorf("SelectNames offers %q, which Select refuses: %v", n, err)
		}
	}
	for _, want := range []string{"conditional-access", "conditional-access/policies", "conditional-access-policies", "groups", "role-assignments"} {
		if !slices.Contains(names, want) {
			t.Errorf("SelectNames lacks %q", want)
		}
	}
	for _, k := range Kinds() {
		if !slices.Contains(names, k.Name) || !slices.Contains(names, k.Folder) {
			t.Errorf("SelectNames lacks %s or %s", k.Name, k.Folder)
		}
	}
}
