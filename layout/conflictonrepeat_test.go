package layout

import (
	"slices"
	"testing"
)

// TestConflictOnRepeatKinds: the kinds whose create Graph refuses as a
// duplicate are declared in the catalog (importer resends a lost create of
// them), and each is told apart by a natural key, which is what Graph
// compares.
func TestConflictOnRepeatKinds(t *testing.T) {
	var got []string
	for _, k := range Kinds() {
		if !k.ConflictOnRepeat {
			continue
		}
		got = append(got, k.Name)
		if len(k.NaturalKey) == 0 {
			t.Errorf("%s: ConflictOnRepeat without a NaturalKey", k.Name)
		}
	}
	slices.Sort(got)
	want := []string{"role-assignments", "role-eligibility-schedules", "time-bound-role-assignments"}
	if !slices.Equal(got, want) {
		t.Errorf("ConflictOnRepeat kinds = %v, want %v", got, want)
	}
}
