package snapshot

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestListFoldersAgreesWithWalk: ListFolders lists, prefix by prefix, the
// files Walk lists (folders, nested folders, a file, the whole tree, a
// prefix that does not exist, the same folder twice), and reads each
// folder's tree once, whatever the number of prefixes that name it or of
// CPUs (issue 12, row e1: naming a large diff's ids lists hundreds of
// shard folders at once). Counted, not timed.
func TestListFoldersAgreesWithWalk(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, true)
	files := map[string][]byte{"top.yaml": []byte("t\n"), "a/d.yaml": []byte("d\n"), "a/b/c.yaml": []byte("c\n"),
		// Hostile names: folders that sort around "a/" in git's order,
		// control bytes, a newline, non-ASCII.
		"a.b/x.yaml": []byte("x\n"), "a-/y.yaml": []byte("y\n"), "a b/z.yaml": []byte("z\n"),
		"users/00/\x1b[2J\n~7e.yaml": []byte("e\n"), "ünï/çødé.yaml": []byte("u\n")}
	for i := range 200 {
		files[fmt.Sprintf("users/%02x/u%d.yaml", i%20, i)] = []byte(fmt.Sprintf("id: \"%d\"\n", i))
	}
	write(t, r, Snapshot{Files: files, Message: "one", Author: day(0), Committer: day(0)})

	type file struct {
		path string
		blob plumbing.Hash
	}
	walk := func(o *Repo, prefix string) []file {
		var out []file
		if err := o.Walk(ctx, "HEAD", prefix, func(p string, h plumbing.Hash) error {
			out = append(out, file{p, h})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	prefixes := []string{"users/00", "users/13", "users/00", "a", "a/b", "top.yaml", "a/b/c.yaml", "missing", "users/zz", "users/00/u0.yaml", "",
		"a.b", "a b", "/a/", "./a-", "users/00/\x1b[2J\n~7e.yaml", "ünï", "a/b/c.yaml/x"}
	for _, procs := range []int{1, 4} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			o, err := Open(r.Path())
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			list, err := o.ListFolders(ctx, "HEAD", prefixes, procs)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != len(prefixes) {
				t.Fatalf("%d lists for %d prefixes", len(list), len(prefixes))
			}
			// root, users, a, a/b, a.b, a-, a b, ünï and the 20 shards:
			// each read once.
			if got := o.ReadCounts().Trees; got != 28 {
				t.Errorf("GOMAXPROCS %d: %d trees read, want 28 (each folder once)", procs, got)
			}
			// Listed again (the other revision of a diff lists many of the
			// same folders): from the tree cache.
			if _, err := o.ListFolders(ctx, "HEAD", prefixes, procs); err != nil {
				t.Fatal(err)
			}
			if got := o.ReadCounts().Trees; got != 28 {
				t.Errorf("GOMAXPROCS %d: %d trees read after listing again, want 28", procs, got)
			}
			for i, p := range prefixes {
				var got []file
				for _, f := range list[i] {
					got = append(got, file{f.Path(), f.Blob})
				}
				if want := walk(o, p); !reflect.DeepEqual(got, want) {
					t.Errorf("GOMAXPROCS %d, %q: ListFolders %v\nWalk %v", procs, p, got, want)
				}
			}
		}()
	}
	if _, err := r.ListFolders(ctx, "no-such-rev", []string{"users"}, 2); err == nil {
		t.Error("ListFolders of a revision that does not exist: no error")
	}
}
