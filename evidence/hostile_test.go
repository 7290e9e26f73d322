package evidence

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/layout"
)

// Hostile strings, as a repository (tags, the manifest Graph's answers
// fill, rehearsal records) can hold them.
const (
	hostileTag    = "snapshot/<script>alert(1)</script>|x\u202egnp"
	hostileKind   = `<img id="pwned-kind" src=x onerror=alert(1)>`
	hostileReason = "list failed\n# injected heading\n| injected | row |\r\x1b[31m\u202e[x](https://evil.example)"
	hostileDetail = `</td></tr></table><h1 id="pwned-detail">owned</h1><img id="pwned-img" src=x>`
	hostileTool   = "v1\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \xff"
)

func hostileRepo(t *testing.T) (*Report, []byte, []byte) {
	t.Helper()
	kinds := complete()
	kinds[hostileKind] = layout.ManifestKind{Folder: "x<b>", Reason: hostileReason}
	record := layout.Encode(map[string]any{
		"version":    jsonNumber("1"),
		"startedAt":  "2026-09-02T03:00:00Z",
		"finishedAt": "2026-09-02T03:01:00Z",
		"snapshot":   hostileTag,
		"commit":     "<b>commit</b>",
		"tool":       hostileTool,
		"throttle":   "realistic",
		"scenarios": []any{map[string]any{"name": "ca|policy <i>", "result": "pass", "objects": jsonNumber("3"),
			"restoreSeconds": jsonNumber("42.5"), "detail": hostileDetail}},
		"passed": jsonNumber("1"), "failed": jsonNumber("0"), "skipped": jsonNumber("0"),
	})
	r := newRepo(t, snap{at: t0, tag: "snapshot/a"}, snap{at: t0.Add(30 * time.Hour), tag: hostileTag, kinds: kinds,
		files: map[string]string{layout.RehearsalsDir + "/20260902T030000Z.yaml": string(record), layout.RehearsalsDir + "/<svg onload=alert(1)>.yaml": "version: [\n"},
		acc:   &layout.ManifestAccess{Type: "application<script>", Permissions: []string{"Directory.Read.All", "<img id=\"pwned-perm\" src=x>"}}})
	rep := build(t, r, Options{Now: t0.Add(31 * time.Hour)})
	rep.Repo = "./repo|<script>x</script>\u202e"
	var m, h bytes.Buffer
	if err := rep.Markdown(&m); err != nil {
		t.Fatal(err)
	}
	if err := rep.HTML(&h); err != nil {
		t.Fatal(err)
	}
	return rep, m.Bytes(), h.Bytes()
}

// Nothing a hostile string holds survives as markup, a control or a bidi
// override in markdown and HTML; JSON keeps the strings exactly.
func TestHostileStringsEscaped(t *testing.T) {
	rep, md, page := hostileRepo(t)
	if len(rep.Rehearsals.Records) != 1 || rep.Rehearsals.Records[0].Scenarios[0].Detail != hostileDetail {
		t.Fatalf("the hostile record was not read exactly: %+v", rep.Rehearsals)
	}
	for name, out := range map[string]string{"markdown": string(md), "html": string(page)} {
		for _, bad := range []string{"<script", "<img", "<h1 id=\"pwned", "<svg", "<b>", "<i>", "\u202e", "\x1b", "\r", "\x07", "\xff"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s holds %q", name, bad)
			}
		}
	}
	// Markdown: no line a name starts (heading, table row), and every
	// table row has its header's number of cells.
	header := 0
	for _, l := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(l, "# injected") || strings.HasPrefix(l, "| injected") {
			t.Errorf("a name started a markdown line: %q", l)
		}
		if !strings.HasPrefix(l, "|") {
			header = 0
			continue
		}
		cells := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|")
		if header == 0 {
			header = cells
		} else if cells != header {
			t.Errorf("a table row has %d cell borders, its header %d: %q", cells, header, l)
		}
	}
	if !strings.Contains(string(md), `snapshot/&lt;script&gt;alert(1)&lt;/script&gt;\|x\\u202egnp`) {
		t.Errorf("markdown does not show the hostile tag escaped:\n%s", md)
	}
	if !strings.Contains(string(page), `&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;h1 id=&#34;pwned-detail&#34;&gt;`) {
		t.Errorf("html does not show the hostile detail escaped")
	}
	// HTML: self-contained (no element that fetches, no script).
	for _, bad := range []string{"<link", "<script", "<iframe", "<object", "<embed", "url(", "@import"} {
		if strings.Contains(string(page), bad) {
			t.Errorf("html holds %q", bad)
		}
	}
}

func jsonNumber(s string) any { return json.Number(s) }
