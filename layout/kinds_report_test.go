package layout

import (
	"fmt"
	"strings"
	"testing"
)

// TestWriteKinds: one row per kind, every export-only kind listed below
// with its reason, and the counts match the catalog.
func TestWriteKinds(t *testing.T) {
	var b strings.Builder
	if err := WriteKinds(&b); err != nil {
		t.Fatal(err)
	}
	out, exportOnly := b.String(), 0
	for _, ki := range KindInfos() {
		if !strings.Contains(out, "\n"+ki.Name+" ") {
			t.Errorf("no row for %s", ki.Name)
		}
		if ki.Restore == ExportOnlyKind {
			exportOnly++
			if !strings.Contains(out, "  "+ki.Name+": "+ki.ExportOnlyReason+"\n") {
				t.Errorf("export-only %s: reason not listed", ki.Name)
			}
		}
	}
	n := len(KindInfos())
	if want := fmt.Sprintf("\n%d kinds: %d restorable, %d export-only.\n", n, n-exportOnly, exportOnly); !strings.HasSuffix(out, want) {
		t.Errorf("output ends %q, want %q", out[max(0, len(out)-80):], want)
	}
	var p strings.Builder
	WritePermissions(&p, "AuditLog.Read.All")
	if !strings.HasPrefix(p.String(), "Export (read-only)") || !strings.HasSuffix(p.String(), "  AuditLog.Read.All\n") {
		t.Errorf("permissions: %q", p.String())
	}
}
