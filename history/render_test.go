package history

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/layout"
)

// hostileName is a name no rendering may pass to a terminal as it is: a
// quote, a newline, an escape sequence, bidi and zero-width marks, an
// emoji, a path climb, and length.
var hostileName = "Pol\"icy\nX\x1b[31m\u202eevil\u200f\u200b😀../" + strings.Repeat("long", 80)

// assertEscaped fails unless text holds hostileName escaped (layout.Safe)
// and none of its unsafe characters as they are.
func assertEscaped(t *testing.T, text string) {
	t.Helper()
	if !strings.Contains(text, layout.Safe(hostileName)) {
		t.Errorf("text does not hold the escaped name %q:\n%s", layout.Safe(hostileName), text)
	}
	for _, raw := range []string{"\x1b", "\u202e", "\u200f", "\u200b", "Pol\"icy\nX"} {
		if strings.Contains(text, raw) {
			t.Errorf("text holds %q unescaped:\n%s", raw, text)
		}
	}
}

// TestRenderSnapshots: text is the table with every string from the
// repository escaped; json is the list exactly; another format is refused.
func TestRenderSnapshots(t *testing.T) {
	snaps := []Tagged{{Tag: "snapshot/" + hostileName, Commit: strings.Repeat("c", 40), Time: time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC),
		Description: hostileName, Objects: 7, Incomplete: []string{"groups"}, Signed: true},
		{Tag: "snapshot/2", Commit: strings.Repeat("d", 40), Time: time.Date(2026, 12, 5, 17, 0, 0, 0, time.UTC), Complete: true, NotLicensed: []string{"pim"}, Partial: []string{"attribute-sets"}}}
	var text bytes.Buffer
	if err := RenderSnapshots(&text, layout.FormatText, snaps); err != nil {
		t.Fatal(err)
	}
	assertEscaped(t, text.String())
	lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "TAG ") || !strings.Contains(lines[1], "cccccccccccc  2026-12-06 17:00:00  7 ") ||
		!strings.Contains(lines[1], "no: groups") || !strings.Contains(lines[2], "yes (not licensed: pim) (read in part: attribute-sets)") {
		t.Errorf("table:\n%s", text.String())
	}
	// Applies that changed nothing follow, escaped.
	text.Reset()
	applies := []Applied{{Tag: "entrasnap/apply/20261206T170000Z-" + strings.Repeat("a", 32), Time: time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC), ApplyRecord: layout.ApplyRecord{By: hostileName, Failed: 2, Skipped: 1}}}
	if err := RenderSnapshots(&text, layout.FormatText, snaps); err != nil {
		t.Fatal(err)
	}
	if err := WriteApplies(&text, applies); err != nil {
		t.Fatal(err)
	}
	assertEscaped(t, text.String())
	if !strings.Contains(text.String(), "\nApplies that changed nothing") || !strings.Contains(text.String(), "2026-12-06 17:00:00  ") || !strings.Contains(text.String(), "2 failed, 1 skipped, 0 already in place") {
		t.Errorf("applies:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := RenderSnapshots(&js, layout.FormatJSON, snaps); err != nil {
		t.Fatal(err)
	}
	var back []Tagged
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || !reflect.DeepEqual(back, snaps) {
		t.Errorf("json does not round-trip (%v):\n%s", err, js.String())
	}
	if !strings.HasPrefix(js.String(), "[\n  {\n    \"tag\": ") {
		t.Errorf("json is not indented by two spaces:\n%s", js.String())
	}
	if err := RenderSnapshots(&bytes.Buffer{}, "markdown", snaps); err == nil || !strings.Contains(err.Error(), `"markdown"`) {
		t.Errorf("format markdown: err = %v, want one naming it", err)
	}
}

// TestRenderLog: text names the object and each change with the strings
// from the repository escaped, or says there is none; json is the
// entries exactly.
func TestRenderLog(t *testing.T) {
	p := "groups/" + hostileName + ".yaml"
	entries := []Entry{{Commit: strings.Repeat("e", 40), Time: "2026-12-06 17:00", Tags: []string{"snapshot/" + hostileName}, Action: "changed", Path: p,
		Summary: []string{"description: a → b", "displayName: " + hostileName}, ChangedBy: []string{hostileName}}}
	var text bytes.Buffer
	if err := RenderLog(&text, layout.FormatText, p, entries); err != nil {
		t.Fatal(err)
	}
	assertEscaped(t, text.String())
	if n := strings.Count(text.String(), layout.Safe(hostileName)); n != 4 {
		t.Errorf("the name shows escaped %d times, want 4 (path, tag, who changed it, summary):\n%s", n, text.String())
	}
	for _, want := range []string{"History of groups/", "\neeeeeeeeeeee 2026-12-06 17:00 snapshot/", "  changed\n", "    description: a → b\n",
		"    displayName: " + layout.Safe(hostileName) + "\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, text.String())
		}
	}
	var none bytes.Buffer
	if err := RenderLog(&none, "", "users/u.yaml", nil); err != nil || !strings.HasSuffix(none.String(), "\nno changes found\n") {
		t.Errorf("no entries (%v): %q", err, none.String())
	}
	var js bytes.Buffer
	if err := RenderLog(&js, layout.FormatJSON, p, entries); err != nil {
		t.Fatal(err)
	}
	var back []Entry
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || !reflect.DeepEqual(back, entries) {
		t.Errorf("json does not round-trip (%v):\n%s", err, js.String())
	}
	if err := RenderLog(&bytes.Buffer{}, "yaml", p, entries); err == nil {
		t.Error("format yaml: no error")
	}
}

// TestWriteAppliesNaming: after an object's log, the applies that changed
// nothing whose record names the object (by its id, any case) among the
// actions not done, escaped; others are left out.
func TestWriteAppliesNaming(t *testing.T) {
	const id = "0a1b2c3d-0000-4000-8000-0000000000a1"
	at := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	applies := []Applied{
		{Tag: "entrasnap/apply/1", Time: at, ApplyRecord: layout.ApplyRecord{By: hostileName, NotDone: []string{`failed update groups "` + hostileName + `" (` + strings.ToUpper(id) + `): 403`, `failed update groups "B" (other): 403`}}},
		{Tag: "entrasnap/apply/2", Time: at, ApplyRecord: layout.ApplyRecord{By: "bob", NotDone: []string{`failed update groups "B" (other): 403`}}},
	}
	k, _ := layout.Lookup("groups")
	p, err := layout.Path(k, map[string]any{"id": id, "displayName": "A"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	WriteAppliesNaming(&b, p, applies)
	assertEscaped(t, b.String())
	if !strings.Contains(b.String(), "entrasnap/apply/1 2026-12-06 17:00:00 by ") || strings.Contains(b.String(), "apply/2") || strings.Contains(b.String(), "(other)") {
		t.Errorf("applies naming the object:\n%s", b.String())
	}
	b.Reset()
	WriteAppliesNaming(&b, p, applies[1:])
	if b.Len() != 0 {
		t.Errorf("none names it: %q", b.String())
	}
}
