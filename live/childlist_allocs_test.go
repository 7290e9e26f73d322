package live

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// TestChildListReadsEachKeyOnce (issue 12, CPU at 1.2M users): ordering a
// group's members reads each member's key once (formatted, and parsed as
// a number unless it is a GUID), not at each comparison: a member costs a
// bounded number of allocations whatever the group's size (before: two
// fmt.Sprint and two strconv.ParseFloat errors a comparison). The order
// is childKeyLess's. Counted, not timed.
func TestChildListReadsEachKeyOnce(t *testing.T) {
	k, _ := layout.Lookup("groups")
	var members layout.Child
	for _, c := range k.Children {
		if c.Name == "members" {
			members = c
		}
	}
	const n = 2000
	rnd := rand.New(rand.NewSource(1))
	items := make([]map[string]any, n)
	for i := range n {
		items[i] = map[string]any{"id": fmt.Sprintf("%08x-0000-4000-8000-%012x", rnd.Intn(1<<30), i), "@odata.type": "#microsoft.graph.user"}
	}
	items[0]["id"], items[1]["id"], items[2]["id"] = "10", "9", "not-a-guid" // numbers first, by value
	out := childList(members, items)
	if len(out) != n {
		t.Fatalf("%d members, want %d", len(out), n)
	}
	for i := 1; i < len(out); i++ {
		if childKeyLess(out[i].(map[string]any)["id"], out[i-1].(map[string]any)["id"]) {
			t.Fatalf("members %d and %d out of order: %v, %v", i-1, i, out[i-1], out[i])
		}
	}
	if out[0].(map[string]any)["id"] != "9" || out[1].(map[string]any)["id"] != "10" {
		t.Errorf("numbers first, by value: %v %v", out[0], out[1])
	}
	allocs := testing.AllocsPerRun(3, func() { childList(members, items) })
	if per := allocs / n; per > 8 {
		t.Errorf("%.1f allocations per member ordering %d, want at most 8 (about 4 log2 n before)", per, n)
	}
	t.Logf("%.2f allocations per member", allocs/n)
}

// TestScrubSecretsOfAnObjectWithoutAnyAllocatesNothing (issue 12): an
// object with no secret (nearly all) is walked without naming a path or
// sorting a key (a fmt.Sprintf for each member of a group before); one
// with a secret anywhere is scrubbed as before.
func TestScrubSecretsOfAnObjectWithoutAnyAllocatesNothing(t *testing.T) {
	var members []any
	for i := range 2000 {
		members = append(members, map[string]any{"id": fmt.Sprint(i), "@odata.type": "#microsoft.graph.user"})
	}
	group := map[string]any{"id": "g", "displayName": "G", "members": members, "keyCredentials": []any{map[string]any{"key": nil}},
		"info": map[string]any{"nested": []any{map[string]any{"a": 1}}}}
	if n := testing.AllocsPerRun(5, func() {
		if found := scrubSecrets(group, ""); found != nil {
			t.Fatalf("found %v", found)
		}
	}); n != 0 {
		t.Errorf("%.0f allocations scrubbing a group of 2,000 members without a secret", n)
	}
	for _, hide := range []func(m map[string]any){
		func(m map[string]any) { m["passwordProfile"] = map[string]any{} },
		func(m map[string]any) {
			m["info"].(map[string]any)["nested"].([]any)[0].(map[string]any)["secretText"] = "s"
		},
		func(m map[string]any) { m["keyCredentials"].([]any)[0].(map[string]any)["key"] = "k" },
		func(m map[string]any) { m["members"].([]any)[1999].(map[string]any)["secretText"] = nil },
	} {
		m := layoutCopy(group)
		hide(m)
		if found := scrubSecrets(m, ""); len(found) != 1 || hasSecrets(m) {
			t.Errorf("secret not scrubbed: found %v, left %v", found, hasSecrets(m))
		}
	}
}

func layoutCopy(m map[string]any) map[string]any { return layout.Copy(m).(map[string]any) }
