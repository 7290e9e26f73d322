package history

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Log follows one object through a rename and leaves out commits that did
// not touch it, newest first.
func TestLogFollowsRenames(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	groups, _ := layout.Lookup("groups")
	const id, other = "3f2a0b1c-1111-4000-8000-000000000001", "3f2a0b1c-2222-4000-8000-000000000002"
	file := func(id, name string) (string, []byte) {
		obj := map[string]any{"id": id, "displayName": name}
		p, err := layout.Path(groups, obj)
		if err != nil {
			t.Fatal(err)
		}
		return p, layout.Canonical(groups, obj)
	}
	var last string
	for i, names := range [][2]string{{"Finance", "Sales"}, {"Finance Admins", "Sales"}, {"Finance Admins", "Sales EMEA"}} {
		files := map[string][]byte{}
		p, data := file(id, names[0])
		files[p], last = data, p
		p, data = file(other, names[1])
		files[p] = data
		if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: files, Message: "snapshot " + string(rune('1'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	head, err := r.Resolve(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	entries, skipped, err := Log(ctx, r, head.String(), last, Open(ctx, r, head.String()))
	if err != nil || len(skipped) > 0 {
		t.Fatalf("Log: %v, skipped %v", err, skipped)
	}
	if len(entries) != 2 {
		t.Fatalf("Log found %d entries, want 2 (the rename and the creation): %+v", len(entries), entries)
	}
	if entries[0].Path != last || !strings.Contains(strings.Join(entries[0].Summary, "\n"), "renamed: ") {
		t.Errorf("newest entry = %+v, want the rename to %s", entries[0], last)
	}
	if entries[1].Action != "added" {
		t.Errorf("oldest entry = %+v, want added", entries[1])
	}
}

// newRepo is a new bare snapshot repository, closed when the test ends.
func newRepo(t *testing.T) *snapshot.Repo {
	t.Helper()
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "repo"), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
