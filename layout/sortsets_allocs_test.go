package layout

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestSortSetsReadsEachKeyOnce (issue 12, CPU at 1.2M users): sorting a
// group's members makes each member's sort key once (lower-cased), not at
// each comparison: a member costs a bounded number of allocations
// whatever the group's size (before: two lower-cased keys a comparison,
// about 2 log2 n a member). The order is still by lower-cased id, ties by
// the member's JSON. Counted, not timed.
func TestSortSetsReadsEachKeyOnce(t *testing.T) {
	groups, _ := Lookup("groups")
	const n = 2000
	rnd := rand.New(rand.NewSource(1))
	members := make([]any, n)
	for i := range n {
		// Upper-case ids (any other form is kept as sent) are lowered for
		// each key made: the allocation counted.
		members[i] = map[string]any{"@odata.type": "#microsoft.graph.user", "id": fmt.Sprintf("%08X-0000-4000-8000-%012X", rnd.Intn(1<<30), i)}
	}
	// Two members with the same id in two cases: a tie, ordered by JSON.
	members[0] = map[string]any{"id": "AAAAAAAA-0000-4000-8000-000000000000", "@odata.type": "#microsoft.graph.user"}
	members[1] = map[string]any{"id": "aaaaaaaa-0000-4000-8000-000000000000", "@odata.type": "#microsoft.graph.group"}
	obj := func() map[string]any {
		return map[string]any{"id": "g", "displayName": "G", "members": append([]any(nil), members...)}
	}
	out := Clean(groups, obj())["members"].([]any)
	for i := 1; i < len(out); i++ {
		a, b := scalarString(out[i-1].(map[string]any)["id"]), scalarString(out[i].(map[string]any)["id"])
		if a > b || a == b && canonicalJSON(out[i-1]) >= canonicalJSON(out[i]) {
			t.Fatalf("members %d and %d out of order: %v, %v", i-1, i, out[i-1], out[i])
		}
	}
	o := obj()
	allocs := testing.AllocsPerRun(3, func() {
		o["members"] = append([]any(nil), members...)
		sortSetsAt(o, []string{"members"}, "id")
	})
	if per := allocs / n; per > 3 {
		t.Errorf("%.1f allocations per member sorting %d, want at most 3 (a key each; about 2 log2 n before)", per, n)
	}
	t.Logf("%.2f allocations per member", allocs/n)
}
