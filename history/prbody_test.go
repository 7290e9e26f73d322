package history

import (
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

func TestCapMarkdown(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 3000; i++ {
		b.WriteString("- **changed** something with a long enough line\n")
	}
	s := b.String()
	if CapMarkdown(s, 5000) != s {
		t.Error("a short body was changed")
	}
	got := CapMarkdown(s, 1000)
	if len(got) > 1000 || !strings.Contains(got, "more lines") || !strings.HasPrefix(s, got[:strings.LastIndex(got, "\n…")]) {
		t.Errorf("CapMarkdown (%d bytes):\n%s", len(got), got)
	}
}

// ChangesMarkdown compares with the parent only when the parent is a
// snapshot (has a manifest), naming it by its snapshot tag.
func TestChangesMarkdown(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	groups, _ := layout.Lookup("groups")
	obj := map[string]any{"id": "3f2a0b1c-1111-4000-8000-000000000001", "displayName": "Finance"}
	p, _ := layout.Path(groups, obj)
	var commits []string
	for i, files := range []map[string][]byte{
		{"README.md": []byte("not a snapshot")},
		{layout.ManifestPath: []byte("format: 1\n"), "README.md": []byte("x")},
		{layout.ManifestPath: []byte("format: 1\n"), p: layout.Canonical(groups, obj)},
	} {
		tag := ""
		if i == 1 {
			tag = "snapshot/one"
		}
		c, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: files, Message: "s", Tag: tag})
		if err != nil {
			t.Fatal(err)
		}
		commits = append(commits, c.Commit.String())
	}
	var b strings.Builder
	for _, c := range commits[:2] {
		if ok, err := ChangesMarkdown(ctx, &b, r, c, "new"); ok || err != nil || b.Len() > 0 {
			t.Errorf("ChangesMarkdown with no snapshot before = %v, %v, %q; want false and nothing", ok, err, b.String())
		}
	}
	if ok, err := ChangesMarkdown(ctx, &b, r, commits[2], "new"); !ok || err != nil {
		t.Fatalf("ChangesMarkdown = %v, %v", ok, err)
	}
	if out := b.String(); !strings.Contains(out, "snapshot/one → new") || !strings.Contains(out, "Finance") {
		t.Errorf("markdown lacks the title or the added group:\n%s", out)
	}
}
