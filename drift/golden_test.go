package drift

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name; -update rewrites the file.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./drift -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (if the change is intended, run go test ./drift -update and review the diff):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

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
	if err := rep.Text(&text, false); err != nil {
		t.Fatal(err)
	}
	if err := rep.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.JSON(&js); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.txt", text.Bytes())
	golden(t, "report.md", md.Bytes())
	golden(t, "report.json", js.Bytes())
}
