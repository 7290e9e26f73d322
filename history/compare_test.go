package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// Compare diffs two revisions by name, keeps only the kinds asked for,
// names ids from the revisions, reports unreadable files and says which
// revision does not exist.
func TestCompare(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	groups, _ := layout.Lookup("groups")
	users, _ := layout.Lookup("users")
	const gid, uid, uid2 = "3f2a0b1c-1111-4000-8000-000000000001", "3f2a0b1c-2222-4000-8000-000000000002", "3f2a0b1c-3333-4000-8000-000000000003"
	file := func(k *layout.Kind, obj map[string]any) (string, []byte) {
		p, err := layout.Path(k, obj)
		if err != nil {
			t.Fatal(err)
		}
		return p, layout.Canonical(k, obj)
	}
	snap := func(msg string, objs ...any) {
		files := map[string][]byte{}
		for i := 0; i < len(objs); i += 2 {
			p, data := file(objs[i].(*layout.Kind), objs[i+1].(map[string]any))
			files[p] = data
		}
		if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: files, Message: msg}); err != nil {
			t.Fatal(err)
		}
	}
	alice := map[string]any{"id": uid, "displayName": "Alice Example", "userPrincipalName": "alice@contoso.example"}
	snap("one", users, alice, groups, map[string]any{"id": gid, "displayName": "Finance"})
	// One snapshot: diff's default FROM (HEAD~1) says so; another missing
	// revision keeps the repository's error.
	if _, err := Compare(ctx, r, "HEAD~1", "HEAD", nil); err == nil || !strings.Contains(err.Error(), "only one snapshot: nothing to compare yet") {
		t.Errorf("Compare(HEAD~1, HEAD) of one snapshot = %v", err)
	}
	if _, err := Compare(ctx, r, "HEAD~2", "HEAD", nil); err == nil || strings.Contains(err.Error(), "only one snapshot") {
		t.Errorf("Compare(HEAD~2, HEAD) of one snapshot = %v, want the repository's error", err)
	}
	// The newer revision drops Alice and adds her to the group's members
	// (named from the older revision), and adds a user.
	snap("two", users, map[string]any{"id": uid2, "displayName": "Bob Example", "userPrincipalName": "bob@contoso.example"},
		groups, map[string]any{"id": gid, "displayName": "Finance", "members": []any{map[string]any{"id": uid, "@odata.type": "#microsoft.graph.user"}}})

	c, err := Compare(ctx, r, "HEAD~1", "HEAD", nil)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := r.Resolve(ctx, "HEAD")
	if c.To != head.String() || len(c.From) != 40 || c.From == c.To {
		t.Errorf("compared %s → %s, want HEAD~1 → %s", c.From, c.To, head)
	}
	added, removed, changed := c.Count()
	if added != 1 || removed != 1 || changed != 1 {
		t.Errorf("added %d, removed %d, changed %d; want 1 each: %+v", added, removed, changed, c.Changes)
	}
	var text bytes.Buffer
	if err := c.Text(&text, diff.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "Alice Example") {
		t.Errorf("the new member is not named from the older revision:\n%s", text.String())
	}
	if s := c.Skipped(); len(s) > 0 {
		t.Errorf("skipped %v, want none", s)
	}

	c, err = Compare(ctx, r, "HEAD~1", "HEAD", []*layout.Kind{groups})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Changes) != 1 || c.Changes[0].Kind != "groups" {
		t.Errorf("only groups: %+v, want the group's change alone", c.Changes)
	}

	for _, tc := range [][2]string{{"HEAD~5", "HEAD"}, {"HEAD", "no-such-rev"}} {
		_, err := Compare(ctx, r, tc[0], tc[1], nil)
		bad := tc[0]
		if tc[0] == "HEAD" {
			bad = tc[1]
		}
		if !errors.Is(err, snapshot.ErrUnknownRevision) || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("Compare(%s, %s) = %v, want snapshot.ErrUnknownRevision naming %s", tc[0], tc[1], err, bad)
		}
	}
}

// A changed file that cannot be decoded is left out and reported, with
// its revision.
func TestCompareReportsUnreadableFiles(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	groups, _ := layout.Lookup("groups")
	obj := map[string]any{"id": "3f2a0b1c-1111-4000-8000-000000000001", "displayName": "Finance"}
	p, err := layout.Path(groups, obj)
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range [][]byte{layout.Canonical(groups, obj), []byte("id: [unclosed\n")} {
		if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: map[string][]byte{p: data}, Message: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Compare(ctx, r, "HEAD~1", "HEAD", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Skipped()
	if len(s) != 1 || s[0].Path != p || s[0].Rev != ShortRev(c.To) {
		t.Errorf("skipped %+v, want %s at %s", s, p, ShortRev(c.To))
	}
}

// A changed file whose object is missing or damaged is an error naming
// the file and the revision it was read at (the version before first),
// also when the files around it are read and decoded (ReadBlobPairs
// decodes each pair as it is read).
func TestCompareNamesAMissingOrDamagedObject(t *testing.T) {
	ctx := context.Background()
	groups, _ := layout.Lookup("groups")
	for _, damage := range []string{"missing", "damaged"} {
		r := newRepo(t)
		files := map[string][]byte{}
		var victim string
		write := func(title string) plumbing.Hash {
			for i := range 40 {
				obj := map[string]any{"id": fmt.Sprintf("3f2a0b1c-1111-4000-8000-%012d", i), "displayName": fmt.Sprintf("Group\x1b[31m %d %s", i, title)}
				p, err := layout.Path(groups, obj)
				if err != nil {
					t.Fatal(err)
				}
				files[p] = layout.Canonical(groups, obj)
				if i == 17 {
					victim = p
				}
			}
			res, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: files, Message: title})
			if err != nil {
				t.Fatal(err)
			}
			return res.Commit
		}
		write("one")
		to := write("two")
		blob := plumbing.ComputeHash(plumbing.BlobObject, files[victim]).String()
		loose := filepath.Join(r.Path(), "objects", blob[:2], blob[2:])
		if _, err := os.Stat(loose); err != nil {
			t.Fatalf("the test expects loose objects: %v", err)
		}
		os.Chmod(loose, 0o644)
		if damage == "missing" {
			os.Remove(loose)
		} else if err := os.WriteFile(loose, []byte("not a zlib stream"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Compare(ctx, r, "HEAD~1", "HEAD", nil)
		want := fmt.Sprintf("read %s at %s", victim, ShortRev(to.String()))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s object: %v, want an error containing %q", damage, err, want)
		}
		t.Logf("%s: %v", damage, err)
	}
}
