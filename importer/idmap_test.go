package importer

import (
	"fmt"
	"strings"
	"testing"
)

// An id map whose entries form a cycle (an edited or badly merged
// .entrasnap/idmap.yaml) is refused when read, with an error naming the
// ids of the cycle, instead of resolving an id to whichever member the
// walk stopped at; in memory, a cycle resolves nothing. A long chain (an
// object recreated many times) resolves to its newest id.
func TestIDMapCycles(t *testing.T) {
	cyclic := NewIDMap()
	cyclic.Add("groups", "aaaa", "bbbb", "r1")
	cyclic.Add("groups", "bbbb", "cccc", "r2")
	cyclic.Add("groups", "cccc", "aaaa", "r3")
	cyclic.Add("groups", "dddd", "aaaa", "r4") // leads into the cycle
	_, err := DecodeIDMap(cyclic.Encode())
	if err == nil || !strings.Contains(err.Error(), IDMapPath) || !strings.Contains(err.Error(), `"aaaa" → "bbbb" → "cccc" → "aaaa"`) {
		t.Fatalf("a cyclic id map: err = %v", err)
	}
	for _, id := range []string{"aaaa", "dddd"} {
		if got, ok := cyclic.Resolve(id); ok {
			t.Errorf("Resolve(%s) in a cycle = %s, true; want not resolved", id, got)
		}
	}

	apps := NewIDMap()
	apps.AddAppID("app-1", "app-2")
	apps.AddAppID("app-2", "APP-1")
	if _, err := DecodeIDMap(apps.Encode()); err == nil || !strings.Contains(err.Error(), "appIds") || !strings.Contains(err.Error(), `"app-1"`) || !strings.Contains(err.Error(), `"app-2"`) {
		t.Fatalf("a cyclic appId map: err = %v", err)
	}

	chain := NewIDMap()
	for i := 0; i < 40; i++ {
		chain.Add("groups", fmt.Sprintf("id-%02d", i), fmt.Sprintf("id-%02d", i+1), "r")
	}
	back, err := DecodeIDMap(chain.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := back.Resolve("ID-00"); !ok || got != "id-40" {
		t.Fatalf("Resolve through 40 recreations = %s, %v; want id-40", got, ok)
	}
}
