package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestReadsGoStraightToThePacks counts the work of what `diff` does on a
// repository export writes (resolve two revisions, compare their trees,
// read both versions of each changed file, list a folder to name ids): the
// pack indexes are loaded once, and no object is read through go-git's
// store, whose first read of each command maps every object of a pack
// (issue 12, row e1). Before, every tree, commit and file of a diff went
// through go-git.
func TestReadsGoStraightToThePacks(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, true)
	files := map[string][]byte{}
	for i := range 200 {
		files[fmt.Sprintf("users/%02x/u%d.yaml", i%9, i)] = []byte(fmt.Sprintf("id: \"%d\"\n", i))
	}
	write(t, r, Snapshot{Files: files, Message: "one", Author: day(0), Committer: day(0), Tag: "snapshot/one"})
	write(t, r, Snapshot{Files: edit(files, map[string][]byte{"users/00/u0.yaml": []byte("id: \"0\"\nx: 1\n"), "users/01/u1.yaml": nil}),
		Message: "two", Author: day(1), Committer: day(1), Tag: "snapshot/two"})

	// A fresh repository value, as a command opens it.
	r2, err := Open(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	head := revParse(t, r.Path(), "HEAD").String()
	for _, rev := range []string{"HEAD~1", "HEAD", head, head[:7], "snapshot/one", "main~1"} {
		if _, err := r2.Resolve(ctx, rev); err != nil {
			t.Fatalf("Resolve(%q): %v", rev, err)
		}
	}
	changes, err := r2.Diff(ctx, "HEAD~1", "HEAD")
	if err != nil || len(changes) != 2 {
		t.Fatalf("Diff: %v, %v", changes, err)
	}
	for _, c := range changes {
		for _, h := range []plumbing.Hash{c.From, c.To} {
			if !h.IsZero() {
				if _, err := r2.ReadBlob(ctx, h); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := r2.Walk(ctx, "HEAD", "users/03", func(string, plumbing.Hash) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.ReadFile(ctx, "snapshot/one", "users/01/u1.yaml"); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Tags(ctx, "snapshot/"); err != nil {
		t.Fatal(err)
	}
	// ReadAll of a few files and of many (diff's attribution reads the
	// changes folder): go-git loaded its own index of the pack for them.
	for _, prefix := range []string{"users/04", ""} {
		if all, err := r2.ReadAll(ctx, "HEAD", prefix); err != nil || len(all) == 0 || string(all["users/04/u4.yaml"]) != "id: \"4\"\n" {
			t.Fatalf("ReadAll(%q): %d files, %v", prefix, len(all), err)
		}
	}
	got := r2.ReadCounts()
	if got.PackIndexLoads != 1 || got.GoGitReads != 0 {
		t.Errorf("pack index loads %d (want 1), objects read through go-git %d (want 0)", got.PackIndexLoads, got.GoGitReads)
	}

	// A small snapshot's objects are loose, read straight from their
	// files; a large one's are a new pack, whose index is then loaded.
	files = edit(files, map[string][]byte{"users/02/u2.yaml": []byte("id: \"2\"\nx: 2\n")})
	write(t, r2, Snapshot{Files: files, Message: "three", Author: day(2), Committer: day(2)})
	if b, err := r2.ReadFile(ctx, "HEAD", "users/02/u2.yaml"); err != nil || string(b) != "id: \"2\"\nx: 2\n" {
		t.Fatalf("after a small snapshot: %q, %v", b, err)
	}
	if got := r2.ReadCounts(); got.PackIndexLoads != 1 || got.GoGitReads != 0 {
		t.Errorf("after a small snapshot: pack index loads %d (want 1), go-git reads %d (want 0)", got.PackIndexLoads, got.GoGitReads)
	}
	for i := range 150 {
		files[fmt.Sprintf("groups/%02x/g%d.yaml", i%5, i)] = []byte(fmt.Sprintf("id: \"g%d\"\n", i))
	}
	write(t, r2, Snapshot{Files: files, Message: "four", Author: day(3), Committer: day(3)})
	if b, err := r2.ReadFile(ctx, "HEAD", "groups/01/g6.yaml"); err != nil || string(b) != "id: \"g6\"\n" {
		t.Fatalf("after a large snapshot: %q, %v", b, err)
	}
	if got := r2.ReadCounts(); got.PackIndexLoads != 2 || got.GoGitReads != 0 {
		t.Errorf("after a large snapshot: pack index loads %d (want 2), go-git reads %d (want 0)", got.PackIndexLoads, got.GoGitReads)
	}

	// After git repack -a -d -f the objects are deltas: go-git reads
	// those, with the same results.
	runGit(t, r.Path(), "repack", "-a", "-d", "-f", "-q")
	if b, err := r2.ReadFile(ctx, "snapshot/two", "users/00/u0.yaml"); err != nil || string(b) != "id: \"0\"\nx: 1\n" {
		t.Fatalf("after repack: %q, %v", b, err)
	}
}

// TestResolveAgreesWithGit: the revisions resolved straight from the packs
// (resolveQuick) name the commit C git's rev-parse names, for ids full
// and short, HEAD, branches and tags (lightweight and annotated, full ref
// names too) with ~N and ^ steps, and a loose commit's short id; a name
// that is both a short id and a tag is the id, as go-git reads it. What resolveQuick does not take
// (past the first commit, ^2, an unknown name, a short id of under four
// digits) goes to go-git as before and fails as before.
func TestResolveAgreesWithGit(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, true)
	files := map[string][]byte{"a/x.yaml": []byte("x: 1\n")}
	for i := range 4 {
		files["a/x.yaml"] = []byte(fmt.Sprintf("x: %d\n", i))
		write(t, r, Snapshot{Files: files, Message: fmt.Sprint("c", i), Author: day(i), Committer: day(i), Tag: fmt.Sprintf("snapshot/d%d", i)})
	}
	dir := r.Path()
	runGit(t, dir, "tag", "light", "HEAD~2")
	runGit(t, dir, "tag", "-a", "-m", "annotated", "ann", "HEAD~1")
	// A loose commit on a branch of its own (git commit-tree writes loose objects).
	tree := strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD^{tree}"))
	loose := strings.TrimSpace(runGit(t, dir, "commit-tree", tree, "-p", "HEAD", "-m", "loose"))
	runGit(t, dir, "update-ref", "refs/heads/side", loose)
	head := revParse(t, dir, "HEAD").String()
	annID := revParse(t, dir, "refs/tags/ann").String()
	// A tag named like a short id of another commit: C git takes the tag,
	// with a warning that the name is ambiguous (go-git takes the id, and
	// so did entrasnap); a tag named like a whole id: git takes the id. A
	// tag of three hex digits, too short to be read as an id.
	first := revParse(t, dir, "HEAD~3").String()
	runGit(t, dir, "tag", first[:8], "HEAD")
	runGit(t, dir, "tag", first, "HEAD")
	runGit(t, dir, "tag", "abc", "HEAD~1")

	for _, rev := range []string{"HEAD", "HEAD~1", "HEAD~3", "HEAD^", "HEAD^^", "HEAD~1^", "HEAD~", "main", "main~2",
		"refs/heads/main", "heads/main", "snapshot/d1", "snapshot/d2~1", "light", "ann", "ann~1", "refs/tags/ann",
		head, head[:4], head[:7], head[:12] + "~2", strings.ToUpper(head[:10]), annID, annID[:9], "side", loose[:8], loose + "~1", first[:8], first[:8] + "~1", first, "abc", "abc~1"} {
		want := revParse(t, dir, rev+"^{commit}")
		r.mu.Lock()
		r.refresh()
		c, ok, _ := r.resolveQuick(rev)
		r.mu.Unlock()
		if !ok {
			t.Errorf("%q: not resolved straight from the packs", rev)
			continue
		}
		if c.Hash != want {
			t.Errorf("%q: %s, git says %s", rev, c.Hash, want)
		}
		if got, err := r.Resolve(ctx, rev); err != nil || got != want {
			t.Errorf("Resolve(%q) = %s, %v; git says %s", rev, got, err, want)
		}
	}
	for _, rev := range []string{"HEAD~4", "HEAD^2", "nosuch", "head"[:2], "../config", "HEAD@{0}", "-x", "a..b"} {
		r.mu.Lock()
		_, ok, _ := r.resolveQuick(rev)
		r.mu.Unlock()
		if ok {
			t.Errorf("%q: resolved straight from the packs; it should go to go-git", rev)
		}
	}
	if _, err := r.Resolve(ctx, "HEAD~4"); err == nil || !strings.Contains(err.Error(), "past the first commit") {
		t.Errorf("HEAD~4: %v, want go-git's past the first commit", err)
	}
}

// TestResolveNonCommitAgreesWithGit: a name that leads to a blob or a tree
// (a tag of one, lightweight or annotated, named like the start of a
// commit's id or not, or a blob's own id) names no commit, as git's
// rev-parse NAME^{commit} says, with an error that says what it leads to;
// before, a tag named like a short id of a blob fell through to go-git,
// which took the commit whose id begins so. Nested annotated tags of a
// commit resolve as in git (go-git peels one tag only).
func TestResolveNonCommitAgreesWithGit(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, true)
	for i := range 3 {
		write(t, r, Snapshot{Files: map[string][]byte{"a/x.yaml": []byte(fmt.Sprintf("x: %d\n", i))}, Author: day(i), Committer: day(i)})
	}
	dir := r.Path()
	first := revParse(t, dir, "HEAD~2").String()
	blob := revParse(t, dir, "HEAD:a/x.yaml").String()
	tree := revParse(t, dir, "HEAD^{tree}").String()
	runGit(t, dir, "tag", first[:8], blob)
	runGit(t, dir, "tag", "-a", "-m", "a tree", first[:9], tree)
	runGit(t, dir, "tag", "-a", "-m", "a tag of a tag of a blob", first[:10], first[:9])
	runGit(t, dir, "tag", "blobtag", blob)
	runGit(t, dir, "tag", "-a", "-m", "inner", "inner", "HEAD~1")
	runGit(t, dir, "-c", "advice.nestedTag=false", "tag", "-a", "-m", "outer", "outer", "inner")

	for rev, leadsTo := range map[string]string{
		first[:8]: "blob", first[:8] + "~1": "blob", first[:9]: "tree", first[:10]: "tree", "blobtag": "blob",
		blob: "blob", blob[:10]: "blob", "outer": "", "outer~1": "",
	} {
		want, gitErr := gitErr(dir, "rev-parse", "--verify", "-q", rev+"^{commit}")
		got, err := r.Resolve(ctx, rev)
		switch {
		case leadsTo == "" && (gitErr != nil || err != nil || got.String() != strings.TrimSpace(want)):
			t.Errorf("%q: %s, %v; git says %s, %v", rev, got, err, strings.TrimSpace(want), gitErr)
		case leadsTo != "" && gitErr == nil:
			t.Fatalf("%q: git rev-parse %s^{commit} names %s; the test expects it to fail", rev, rev, want)
		case leadsTo != "" && err == nil:
			t.Errorf("%q: Resolve = %s; git rev-parse says it names no commit (it leads to a %s)", rev, got, leadsTo)
		case leadsTo != "" && (!errors.Is(err, ErrUnknownRevision) || !strings.Contains(err.Error(), "leads to a "+leadsTo) && !strings.Contains(err.Error(), "the id of a "+leadsTo)):
			t.Errorf("%q: %v; want ErrUnknownRevision saying it leads to a %s", rev, err, leadsTo)
		}
	}
	_, err := r.Resolve(ctx, first[:8])
	if err == nil || !strings.Contains(err.Error(), "refs/tags/"+first[:8]) || !strings.Contains(err.Error(), "give more digits") {
		t.Errorf("a tag named like a short id of a commit: %v; want the tag named and the way to name the commit", err)
	}
}

// TestPackIndexHostile: an index that is not version 2 or not well formed
// is left out (go-git reads the pack's objects and reports its errors);
// lookups in a well-formed one stay inside it.
func TestPackIndexHostile(t *testing.T) {
	r := newTestRepo(t, true)
	files := map[string][]byte{}
	for i := range 150 { // a pack, not loose objects
		files[fmt.Sprintf("a/x%d.yaml", i)] = []byte(fmt.Sprintf("x: %d\n", i))
	}
	write(t, r, Snapshot{Files: files, Message: "one"})
	idxs, _ := filepath.Glob(filepath.Join(r.commonDir, "objects", "pack", "*.idx"))
	if len(idxs) != 1 {
		t.Fatalf("%d pack indexes", len(idxs))
	}
	data, err := os.ReadFile(idxs[0])
	if err != nil {
		t.Fatal(err)
	}
	x, ok := parsePackIndex(data)
	if !ok || x.n != 153 { // blobs, two trees, commit
		t.Fatalf("parse: %v, %+v", ok, x)
	}
	for _, cut := range []int{0, 7, 8, 1031, 1032, 1072, len(data) - 41, len(data) - 1} {
		if _, ok := parsePackIndex(data[:cut]); ok {
			t.Errorf("an index cut at %d bytes was taken", cut)
		}
	}
	bad := append([]byte(nil), data...)
	bad[7] = 1 // version 1
	if _, ok := parsePackIndex(bad); ok {
		t.Error("a version-1 header was taken")
	}
	bad = append([]byte(nil), data...)
	bad[8+4*10+3] = 200 // fan-out decreasing
	if _, ok := parsePackIndex(bad); ok {
		t.Error("a decreasing fan-out was taken")
	}
	// Every offset pointing into the large-offset table, which is empty.
	bad = append([]byte(nil), data...)
	xb, _ := parsePackIndex(bad)
	for i := range xb.n {
		bad[xb.offs+4*i] |= 0x80
	}
	for i := range xb.n {
		var h plumbing.Hash
		copy(h[:], xb.name(i))
		if _, ok := xb.find(h); ok {
			t.Errorf("object %d: found at an offset the index does not hold", i)
		}
	}
}
