package history

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// countingBlobs counts the blobs read through it.
type countingBlobs struct {
	r     *snapshot.Repo
	blobs map[plumbing.Hash]int
}

func (c *countingBlobs) ReadBlobPairs(ctx context.Context, pairs [][2]plumbing.Hash, n int, fn func(i int, a, b []byte, errA, errB error)) error {
	for _, pair := range pairs {
		for _, h := range pair {
			if !h.IsZero() {
				c.blobs[h]++
			}
		}
	}
	return c.r.ReadBlobPairs(ctx, pairs, n, fn)
}

// readCounts instruments an Index of Open: how often it listed the whole
// revision, which folders it listed and which files it read.
type readCounts struct {
	lists   int
	folders []string
	files   []string
}

func instrument(ix *Index) *readCounts {
	c := &readCounts{}
	list, read, folders := ix.list, ix.read, ix.folders
	ix.list = func() ([]string, error) { c.lists++; return list() }
	ix.read = func(p string) ([]byte, error) { c.files = append(c.files, p); return read(p) }
	if folders != nil {
		ix.folders = func(dirs []string) ([][]fileRef, error) {
			c.folders = append(c.folders, dirs...)
			return folders(dirs)
		}
	}
	return c
}

// A diff of two large snapshots reads and decodes only the files that
// changed (each blob once, found by comparing the trees by blob id), and
// names the ids in them from only the folders where a file with that id
// can be (a kind's folder or its shard folder) and the named objects'
// files: never the whole tree. Aliases (an application's appId) are found
// in the alias kinds' folders only. The text is the same as with every
// file of both snapshots decoded in memory.
func TestDiffReadsOnlyTheChangedFiles(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	kind := func(name string) *layout.Kind {
		k, ok := layout.Lookup(name)
		if !ok {
			t.Fatalf("no kind %s", name)
		}
		return k
	}
	users, groups, apps, sps, cas := kind("users"), kind("groups"), kind("applications"), kind("service-principals"), kind("conditional-access-policies")
	id := func(prefix, i int) string {
		return fmt.Sprintf("%02x%06x-0000-4000-8000-%012x", (i*37)&0xff, prefix, i)
	}
	type object struct {
		k   *layout.Kind
		obj map[string]any
	}
	var objs []*object
	for i := 0; i < 600; i++ {
		objs = append(objs, &object{users, map[string]any{"id": id(1, i), "displayName": fmt.Sprintf("User %d", i), "userPrincipalName": fmt.Sprintf("user%d@contoso.example", i), "jobTitle": "Engineer"}})
	}
	member := func(i int) map[string]any {
		return map[string]any{"id": id(1, i), "@odata.type": "#microsoft.graph.user"}
	}
	for i := 0; i < 40; i++ {
		objs = append(objs, &object{groups, map[string]any{"id": id(2, i), "displayName": fmt.Sprintf("Group %d", i), "members": []any{member(i), member(i + 100)}}})
	}
	const appID = "a0a0a0a0-0000-4000-8000-00000000a1a1"
	for i := 0; i < 30; i++ {
		objs = append(objs, &object{apps, map[string]any{"id": id(3, i), "displayName": fmt.Sprintf("App %d", i), "appId": fmt.Sprintf("a0a0a0a0-0000-4000-8000-%012x", 0xa1a1+i)}})
		objs = append(objs, &object{sps, map[string]any{"id": id(4, i), "displayName": fmt.Sprintf("App %d", i), "appId": fmt.Sprintf("a0a0a0a0-0000-4000-8000-%012x", 0xa1a1+i)}})
	}
	policy := &object{cas, map[string]any{"id": id(5, 0), "displayName": "Require MFA", "state": "enabled",
		"conditions": map[string]any{"applications": map[string]any{"includeApplications": []any{"All"}}}}}
	objs = append(objs, policy)
	write := func(msg string) (string, map[string][]byte) {
		files := map[string][]byte{}
		for _, o := range objs {
			if o == nil {
				continue
			}
			p, err := layout.Path(o.k, o.obj)
			if err != nil {
				t.Fatal(err)
			}
			files[p] = layout.Canonical(o.k, o.obj)
		}
		res, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: files, Message: msg})
		if err != nil {
			t.Fatal(err)
		}
		return res.Commit.String(), files
	}
	from, fromFiles := write("before")
	// Changes: two users edited, one deleted, one group gains a member and
	// loses one, the policy names an app by its appId and an unknown id.
	objs[5].obj["jobTitle"] = "Manager"
	objs[300].obj["jobTitle"] = "Director"
	objs[7] = nil
	objs[600].obj["members"] = []any{member(0), member(450)}
	policy.obj["conditions"] = map[string]any{"applications": map[string]any{"includeApplications": []any{appID, "dddddddd-0000-4000-8000-000000000000"}}}
	to, toFiles := write("after")

	changes, err := r.Diff(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 5 {
		t.Fatalf("%d files changed, want 5: %+v", len(changes), changes)
	}
	cb := &countingBlobs{r: r, blobs: map[plumbing.Hash]int{}}
	a, b, skipped, err := loadChanges(ctx, cb, from, to, changes)
	if err != nil || len(skipped) > 0 {
		t.Fatalf("loadChanges: %v, skipped %v", err, skipped)
	}
	want := map[plumbing.Hash]int{}
	for _, c := range changes {
		if !c.From.IsZero() {
			want[c.From]++
		}
		if !c.To.IsZero() {
			want[c.To]++
		}
	}
	if fmt.Sprint(cb.blobs) != fmt.Sprint(want) {
		t.Errorf("blobs read %v, want exactly the changed files' %v", cb.blobs, want)
	}
	if len(a) != 5 || len(b) != 4 {
		t.Errorf("decoded %d and %d objects, want 5 and 4 (4 modified, 1 deleted)", len(a), len(b))
	}

	newer, older := Open(ctx, r, to), Open(ctx, r, from)
	nc, oc := instrument(newer), instrument(older)
	var got bytes.Buffer
	if err := diff.Compare(a, b, Chain{newer, older}).Text(&got, diff.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	// The same diff from every file of both snapshots, decoded in memory.
	all := func(files map[string][]byte) diff.Snapshot {
		s, err := diff.Load(files)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	fa, fb := all(fromFiles), all(toFiles)
	var ref bytes.Buffer
	if err := diff.Compare(a, b, Chain{FromSnapshot(fb), FromSnapshot(fa)}).Text(&ref, diff.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if got.String() != ref.String() {
		t.Errorf("diff text:\n%s\nwant (every file decoded):\n%s", got.String(), ref.String())
	}
	for _, s := range []string{"User 450", "User 100", "App 0 (a0a0a0a0…)", "unknown (dddddddd…)"} {
		if !strings.Contains(got.String(), s) {
			t.Errorf("diff text lacks %q:\n%s", s, got.String())
		}
	}
	for name, c := range map[string]*readCounts{"newer": nc, "older": oc} {
		if c.lists > 0 {
			t.Errorf("%s snapshot: the whole tree was listed %d times to name ids", name, c.lists)
		}
		userFiles := 0
		for _, p := range c.files {
			if strings.HasPrefix(p, "users/") {
				userFiles++
			}
		}
		// At most the two members named, one file each.
		if userFiles > 2 {
			t.Errorf("%s snapshot: %d user files read to name 2 members: %v", name, userFiles, c.files)
		}
		for _, dir := range c.folders {
			if dir == "users" || dir == "groups" || dir == "" {
				t.Errorf("%s snapshot: the folder %q was listed whole", name, dir)
			}
		}
	}
}
