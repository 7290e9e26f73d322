package history

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Locate finds an object by any selector at the revision given, and a
// selector that names nothing there says which revision (and stays a
// *SelectorError).
func TestLocateAtRevision(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	groups, _ := layout.Lookup("groups")
	const id = "3f2a0b1c-1111-4000-8000-000000000001"
	for _, name := range []string{"Finance", "Finance Admins"} {
		obj := map[string]any{"id": id, "displayName": name}
		p, err := layout.Path(groups, obj)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: map[string][]byte{p: layout.Canonical(groups, obj)}, Message: name}); err != nil {
			t.Fatal(err)
		}
	}
	rev, ix, p, err := Locate(ctx, r, "HEAD~1", "groups/Finance")
	if err != nil || ix == nil || !strings.Contains(p, "finance."+id) {
		t.Fatalf("Locate(HEAD~1, groups/Finance) = %q, %v", p, err)
	}
	if head, _ := r.Resolve(ctx, "HEAD"); rev == head.String() || len(rev) != 40 {
		t.Errorf("rev %s: want HEAD~1's commit", rev)
	}
	if _, _, p, err := Locate(ctx, r, "HEAD", id); err != nil || !strings.Contains(p, "finance-admins.") {
		t.Errorf("Locate(HEAD, id) = %q, %v", p, err)
	}
	_, _, _, err = Locate(ctx, r, "HEAD", "groups/Finance")
	var se *SelectorError
	if !errors.As(err, &se) || !strings.HasSuffix(err.Error(), "(at HEAD)") {
		t.Errorf("a name gone at HEAD: %v", err)
	}
	if _, _, _, err := Locate(ctx, r, "no-such-rev", id); err == nil {
		t.Error("an unknown revision was resolved")
	}
}
