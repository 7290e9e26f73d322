package drift

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/golden"
	"github.com/entrasnap/entrasnap/layout"
)

// The three renderings of one report are pinned byte for byte, including
// how hostile names (newline, ESC, bidi override) from the tenant appear.
func TestRenderGolden(t *testing.T) {
	in := driftCase(t)
	object(t, files(in.Live.Files), "groups", map[string]any{"id": "9a000000-0000-4000-8000-000000000004", "displayName": "Evil\u202egroup\n\x1b[31mred"})
	in.Live.Kinds[3].Reason = "403 Forbidden\r\n\x1b[2Jcleared \u202eslbat"
	in.Manifest.Kinds["groups"] = layout.ManifestKind{Objects: 2, Reason: "throttled\n\u202eevil"}
	in.Watch, _ = ParseWatch([]byte("kinds: [groups, named-locations]\n"))
	in.WatchFile = "w.yaml"
	rep, err := Compare(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var text, md, js bytes.Buffer
	// Render is how the drift command chooses the format: markdown and
	// JSON never carry colour, whatever the terminal.
	for format, out := range map[string]*bytes.Buffer{"text": &text, "markdown": &md, "json": &js} {
		if err := rep.Render(out, format, format != "text"); err != nil {
			t.Fatal(err)
		}
	}
	if err := rep.Render(&bytes.Buffer{}, "yaml", false); err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("an unknown format: err = %v", err)
	}
	golden.Check(t, "report.txt", text.Bytes())
	golden.Check(t, "report.md", md.Bytes())
	golden.Check(t, "report.json", js.Bytes())
}
