package snapshot

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"testing"
)

// TestDiffReadsChangedFoldersInParallel: comparing two revisions that
// differ in many shard folders reads those folders' trees on every CPU
// before comparing them one by one (differ.prefetch; issue 12, row e1:
// inflating them was a quarter of a large diff's CPU, on one core), and
// the changes and the number of trees read are those of a comparison on
// one CPU. Counted, not timed.
func TestDiffReadsChangedFoldersInParallel(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, true)
	files, next := map[string][]byte{}, map[string][]byte{}
	for i := range 400 {
		files[fmt.Sprintf("users/%02x/u%d.yaml", i%40, i)] = []byte(fmt.Sprintf("id: \"%d\"\n", i))
	}
	for p, d := range files {
		next[p] = d
	}
	for i := range 40 { // one file changed in each of the 40 folders, one added in a new one
		next[fmt.Sprintf("users/%02x/u%d.yaml", i, i)] = []byte("changed\n")
	}
	next["users/ff/new.yaml"] = []byte("new\n")
	write(t, r, Snapshot{Files: files, Message: "one", Author: day(0), Committer: day(0)})
	write(t, r, Snapshot{Files: next, Message: "two", Author: day(1), Committer: day(1)})

	diff := func(procs int) ([]Change, int, int) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		o, err := Open(r.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		changes, err := o.Diff(ctx, "HEAD~1", "HEAD")
		if err != nil {
			t.Fatal(err)
		}
		return changes, o.ReadCounts().Trees, len(o.treeCache)
	}
	one, readsOne, _ := diff(1)
	many, readsMany, _ := diff(4)
	if len(one) != 41 || !reflect.DeepEqual(one, many) {
		t.Fatalf("changes on one CPU (%d) and on four differ:\n%v\n%v", len(one), one, many)
	}
	if readsOne != readsMany {
		t.Errorf("trees read: %d on one CPU, %d on four", readsOne, readsMany)
	}

	// The prefetch itself: the 40 changed folders (both sides) and the
	// new one are in the cache before the comparison enters them.
	o, err := Open(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	o.mu.Lock()
	defer o.unlock()
	c1, err := o.resolveCommit(ctx, "HEAD~1")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := o.resolveCommit(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	d := &differ{ctx: ctx, tr: treeReader{r: o}}
	users := func(root []tEntry) []tEntry {
		for _, e := range root {
			if e.name == "users" {
				es, err := d.tr.entries(e.hash)
				if err != nil {
					t.Fatal(err)
				}
				return es
			}
		}
		t.Fatal("no users folder")
		return nil
	}
	ra, err := d.tr.entries(c1.TreeHash)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := d.tr.entries(c2.TreeHash)
	if err != nil {
		t.Fatal(err)
	}
	ea, eb := users(ra), users(rb)
	before := o.ReadCounts().Trees
	d.prefetch(mergePairs(ea, eb, nil))
	if got := o.ReadCounts().Trees - before; got != 81 {
		t.Errorf("prefetch read %d trees, want 81 (40 changed folders on both sides, one new)", got)
	}
	for _, e := range eb {
		if _, ok := o.treeCache[e.hash]; !ok {
			t.Errorf("users/%s is not in the cache after the prefetch", e.name)
		}
	}
}
