package live

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkDecodeItem decodes a delta page's group item with 20 members,
// fast path against encoding/json (go test -bench DecodeItem ./live).
func BenchmarkDecodeItem(b *testing.B) {
	var members []any
	for i := range 20 {
		members = append(members, map[string]any{"@odata.type": "#microsoft.graph.user", "id": fmt.Sprintf("00000000-0000-4000-8000-%012x", i)})
	}
	item, _ := json.Marshal(map[string]any{"id": "00000000-0000-4000-8000-00000000beef", "displayName": "Sales", "mailEnabled": false,
		"securityEnabled": true, "groupTypes": []any{}, "createdDateTime": "2024-01-01T00:00:00Z", "members@delta": members})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeObject(item); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := stdObject(item); err != nil {
				b.Fatal(err)
			}
		}
	})
}
