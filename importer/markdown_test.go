package importer

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/diff"
)

const hostile = "[click](https://evil.example) <img src=x onerror=alert(1)> @everyone **bold** `tick` ![i](https://x/y.png)\n# heading\r\u202eevil\xff"

func hostilePlan(n int) *Plan {
	p := &Plan{Format: FormatFiles, TenantID: "11111111-1111-1111-1111-111111111111", Rev: "origin/main..HEAD", Commit: "0123456789abcdef0123",
		Options:  Options{CAState: CAStateReportOnly},
		Files:    &Files{From: "origin/main", To: "HEAD", Changed: []string{"groups/x.yaml"}, Ignored: []string{"groups/" + hostile + ".yaml"}},
		Names:    map[string]string{"22222222-2222-2222-2222-222222222222": hostile},
		Warnings: []string{"warning about " + hostile}}
	for i := range n {
		p.Actions = append(p.Actions, Action{ID: fmt.Sprint(i + 1), Kind: "conditional-access-policies", Key: "33333333-3333-3333-3333-333333333333",
			Name: hostile, Op: OpUpdate, Changes: []Change{{Path: "displayName", Action: diff.Replaced, Before: "a", After: hostile + strings.Repeat("x", 2000)}},
			Warnings: []string{hostile}})
	}
	p.Actions = append(p.Actions, Action{ID: "del", Kind: "groups", Key: "22222222-2222-2222-2222-222222222222", Name: hostile, Op: OpDelete, Removal: true,
		Changes: []Change{{Path: "(object)", Action: diff.Removed, Before: "its file groups/" + hostile + " was deleted (--allow-deletes)"}}})
	return p
}

// TestPlanMarkdownHostile: names and values from Graph or files cannot add
// links, images, HTML, mentions, headings or bidi overrides to the comment.
func TestPlanMarkdownHostile(t *testing.T) {
	var b bytes.Buffer
	if err := hostilePlan(2).Markdown(&b, MarkdownOptions{PlanFile: "plan.json"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"\u202e", "\r", "\xff"} {
		if strings.Contains(out, bad) {
			t.Errorf("the markdown holds %q:\n%s", bad, out)
		}
	}
	// Outside code spans (where GitHub renders text as it is), no markup.
	text := codeSpan.ReplaceAllString(strings.ReplaceAll(out, "\\`", ""), "")
	if unescapedLink.MatchString(text) {
		t.Errorf("the markdown holds a link outside code spans:\n%s", text)
	}
	for _, bad := range []string{"[click](", "<img", "@everyone", "**bold**"} {
		if strings.Contains(text, bad) {
			t.Errorf("the markdown holds %q outside code spans:\n%s", bad, text)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "# ") || strings.HasPrefix(l, "#heading") {
			t.Errorf("a name starts a heading: %q", l)
		}
	}
	for _, want := range []string{"report-only", "#### Removals", "#### Deleted files ignored", "entrasnap apply plan.json", "`33333333-3333-3333-3333-333333333333`"} {
		if !strings.Contains(out, want) {
			t.Errorf("the markdown does not hold %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "#### Removals") < strings.Index(out, "**update**") {
		t.Errorf("removals are not listed after the other actions:\n%s", out)
	}
}

var unescapedLink = regexp.MustCompile(`(^|[^\\])\]\(`)

var codeSpan = regexp.MustCompile("`[^`\n]*`")

// TestPlanMarkdownBounded: a huge plan stays within the limit and says how
// many actions it leaves out.
func TestPlanMarkdownBounded(t *testing.T) {
	for _, limit := range []int{0, 5000} {
		var b bytes.Buffer
		if err := hostilePlan(3000).Markdown(&b, MarkdownOptions{Limit: limit}); err != nil {
			t.Fatal(err)
		}
		max := limit
		if max == 0 {
			max = MarkdownLimit
		}
		out := b.String()
		if len(out) > max {
			t.Errorf("limit %d: %d bytes", limit, len(out))
		}
		if !strings.Contains(out, "more actions are not shown") || !strings.Contains(out, "entrasnap apply") {
			t.Errorf("limit %d: the cut is not said, or the apply line is missing:\n%s", limit, out[len(out)-500:])
		}
	}
}

// TestWriteMarkdown: restore --markdown's file gets exactly Markdown's
// text, "-" writes it to the writer given, "" nothing, and a file that
// cannot be written is an error naming the flag.
func TestWriteMarkdown(t *testing.T) {
	p, o := hostilePlan(1), MarkdownOptions{PlanFile: "plan.json"}
	var want, w bytes.Buffer
	if err := p.Markdown(&want, o); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "plan \u202e.md")
	if err := p.WriteMarkdown(&w, file, o); err != nil || w.Len() != 0 {
		t.Fatalf("to a file: %v, %d bytes on the writer", err, w.Len())
	}
	if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("the file: %v\n%s", err, got)
	}
	if err := p.WriteMarkdown(&w, "-", o); err != nil || !bytes.Equal(w.Bytes(), want.Bytes()) {
		t.Errorf("to -: %v\n%s", err, w.String())
	}
	if w.Reset(); p.WriteMarkdown(&w, "", o) != nil || w.Len() != 0 {
		t.Errorf("to \"\": %d bytes", w.Len())
	}
	if err := p.WriteMarkdown(&w, filepath.Join(file, "x.md"), o); err == nil || !strings.HasPrefix(err.Error(), "--markdown: ") {
		t.Errorf("to a path below a file: %v", err)
	}
}
