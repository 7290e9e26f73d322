package check

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// hostileName is a name no rendering may pass to a terminal as it is: a
// quote, a newline, an escape sequence, bidi and zero-width marks, an
// emoji, a path climb, and length.
var hostileName = "Pol\"icy\nX\x1b[31m\u202eevil\u200f\u200b😀../" + strings.Repeat("long", 80)

// TestReportRender: the text form is WriteText's, with every string from
// the repository escaped; the json form holds them exactly; another
// format is refused by name.
func TestReportRender(t *testing.T) {
	rep := &Report{Repo: "r", TagsChecked: 1, Errors: 1, Warnings: 1,
		Snapshots: []Snapshot{{Commit: strings.Repeat("ab", 20), Names: []string{"HEAD", "snapshot/" + hostileName}, Files: 2, Errors: 1, Warnings: 1,
			Issues: []Issue{{Severity: SevError, File: "groups/" + hostileName + ".yaml", Line: 3, Message: hostileName},
				{Severity: SevWarning, File: "users/u.yaml", Property: hostileName, Message: "w"}}}},
		Tags: []Issue{{Severity: SevWarning, File: "snapshot/" + hostileName, Message: "no manifest"}}}

	var text, plain bytes.Buffer
	if err := rep.Render(&text, layout.FormatText); err != nil {
		t.Fatal(err)
	}
	rep.WriteText(&plain)
	if text.String() != plain.String() {
		t.Errorf("Render text differs from WriteText:\n%s\n---\n%s", text.String(), plain.String())
	}
	out := text.String()
	if !strings.Contains(out, layout.Safe(hostileName)) {
		t.Errorf("text does not hold the escaped name %q:\n%s", layout.Safe(hostileName), out)
	}
	for _, raw := range []string{"\x1b", "\u202e", "\u200f", "\u200b", "Pol\"icy\nX"} {
		if strings.Contains(out, raw) {
			t.Errorf("text holds %q unescaped:\n%s", raw, out)
		}
	}

	var js bytes.Buffer
	if err := rep.Render(&js, layout.FormatJSON); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("json: %v\n%s", err, js.String())
	}
	if !reflect.DeepEqual(&back, rep) {
		t.Errorf("json does not round-trip the report:\n%s", js.String())
	}
	if !strings.HasPrefix(js.String(), "{\n  \"repo\": \"r\",\n") || !strings.HasSuffix(js.String(), "}\n") {
		t.Errorf("json is not indented by two spaces and ended by a newline:\n%s", js.String())
	}

	if err := rep.Render(&bytes.Buffer{}, "yaml"); err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("format yaml: err = %v, want one naming it", err)
	}
}
