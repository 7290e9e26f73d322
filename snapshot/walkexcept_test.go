package snapshot

import (
	"context"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestWalkExceptReadsNoSkippedFolder: WalkExcept gives every file Walk
// gives but those below the folders skip names, and reads none of those
// folders' trees (counted on a repository opened with empty caches): a
// restore of a few users reads the snapshot's tree but the users' folder
// (importer/lean.go).
func TestWalkExceptReadsNoSkippedFolder(t *testing.T) {
	r := newTestRepo(t, true)
	files := benchFiles(2000, 60) // kind00..kind19, 3 buckets each
	in := stageAll(t, r, files)
	in.Author = day(0)
	rev := write(t, r, in).Commit.String()
	ctx := context.Background()
	walk := func(skip func(string) bool) (n, trees int, asked []string) {
		o, err := Open(r.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		ask := func(dir string) bool {
			asked = append(asked, dir)
			return skip != nil && skip(dir)
		}
		if err := o.WalkExcept(ctx, rev, "", ask, func(p string, _ plumbing.Hash) error {
			if skip != nil && strings.HasPrefix(p, "kind03/") {
				t.Errorf("%s walked, below a skipped folder", p)
			}
			n++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return n, o.ReadCounts().Trees, asked
	}
	all, allTrees, _ := walk(nil)
	n, trees, asked := walk(func(dir string) bool { return dir == "kind03" })
	below := 0
	for p := range files {
		if strings.HasPrefix(p, "kind03/") {
			below++
		}
	}
	if all != len(files) || n != len(files)-below || below == 0 {
		t.Errorf("walked %d files whole and %d skipping kind03 (%d files), of %d", all, n, below, len(files))
	}
	if trees != allTrees-4 { // kind03 and its 3 buckets
		t.Errorf("read %d trees skipping kind03, %d whole: want 4 fewer", trees, allTrees)
	}
	for _, d := range asked {
		if strings.HasPrefix(d, "kind03/") {
			t.Errorf("asked about %s, below a skipped folder", d)
		}
	}
}
