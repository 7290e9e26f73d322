package layout

import (
	"encoding/json"
	"fmt"
	"reflect"
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

// TestRenderKinds: the text forms are WriteKinds and WritePermissions;
// json is the catalog's KindInfos, or the permission sets by name; another
// format is refused.
func TestRenderKinds(t *testing.T) {
	var text, table, perms, permsText strings.Builder
	if err := RenderKinds(&text, FormatText, false, "Audit.X"); err != nil {
		t.Fatal(err)
	}
	if err := WriteKinds(&table); err != nil || text.String() != table.String() {
		t.Errorf("text is not WriteKinds' table (%v)", err)
	}
	if err := RenderKinds(&perms, "", true, "Audit.X"); err != nil {
		t.Fatal(err)
	}
	if WritePermissions(&permsText, "Audit.X"); perms.String() != permsText.String() {
		t.Errorf("permissions text is not WritePermissions':\n%s", perms.String())
	}
	var js strings.Builder
	if err := RenderKinds(&js, FormatJSON, false, "Audit.X"); err != nil {
		t.Fatal(err)
	}
	var infos []KindInfo
	if err := json.Unmarshal([]byte(js.String()), &infos); err != nil || !reflect.DeepEqual(infos, KindInfos()) {
		t.Errorf("json is not KindInfos (%v)", err)
	}
	js.Reset()
	if err := RenderKinds(&js, FormatJSON, true, "Audit.X"); err != nil {
		t.Fatal(err)
	}
	var sets map[string][]string
	if err := json.Unmarshal([]byte(js.String()), &sets); err != nil {
		t.Fatal(err)
	}
	dRead, dWrite := DelegatedPermissions(Kinds())
	if want := map[string][]string{"export": ExportPermissions(Kinds()), "restore": RestorePermissions(Kinds()), "audit": {"Audit.X"},
		"delegatedExport": dRead, "delegatedRestore": dWrite, "optInReadWithWrite": ReadWithWritePermissions(Kinds())}; !reflect.DeepEqual(sets, want) {
		t.Errorf("permissions json = %v, want %v", sets, want)
	}
	if err := RenderKinds(&js, "markdown", false, ""); err == nil || !strings.Contains(err.Error(), `"markdown"`) {
		t.Errorf("format markdown: err = %v", err)
	}
}
