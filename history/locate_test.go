package history

import (
	"context"
	"errors"
	"fmt"
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

// Finding one object by its id or its file path (show, log, restore)
// lists only the folders a file with that id can be in, never the whole
// tree: the selector is first asked whether it is a path, and that answer
// comes from the path's own folder.
func TestResolveOneListsNoWholeTree(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	users, _ := layout.Lookup("users")
	files := map[string][]byte{}
	var target, targetPath string
	for i := 0; i < 300; i++ {
		obj := map[string]any{"id": fmt.Sprintf("%02x3f2a0b-1111-4000-8000-%012x", i%256, i), "displayName": fmt.Sprintf("User %d", i), "userPrincipalName": fmt.Sprintf("user%d@contoso.example", i)}
		p, err := layout.Path(users, obj)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = layout.Canonical(users, obj)
		if i == 77 {
			target, targetPath = obj["id"].(string), p
		}
	}
	res, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: files, Message: "users"})
	if err != nil {
		t.Fatal(err)
	}
	for _, sel := range []string{target, strings.ToUpper(target), targetPath} {
		ix := Open(ctx, r, res.Commit.String())
		c := instrument(ix)
		p, err := ResolveOne(ix, sel)
		if err != nil || p != targetPath {
			t.Fatalf("ResolveOne(%s) = %q, %v; want %s", sel, p, err, targetPath)
		}
		if c.lists > 0 {
			t.Errorf("ResolveOne(%s) listed the whole tree %d times", sel, c.lists)
		}
		for _, dir := range c.folders {
			if dir == "" || dir == "users" {
				t.Errorf("ResolveOne(%s) listed the folder %q whole", sel, dir)
			}
		}
		if k := ix.Kind(targetPath); k != users || !ix.Has(targetPath) || ix.Has(targetPath+"x") {
			t.Errorf("Kind(%s) = %v, Has = %v", targetPath, k, ix.Has(targetPath))
		}
	}
}
