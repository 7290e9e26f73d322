package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestReadBlobs: ReadBlobs gives every blob's content as ReadFile does,
// with two readers, whether the blob is a whole object of a pack (read
// straight from it, packread.go), a delta of another (after `git repack
// -f`: go-git resolves it) or a loose object (`git hash-object -w`); a blob
// over the file size limit is a *FileTooLargeError, and one the
// repository does not hold is an error for that blob alone.
func TestReadBlobs(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, true)
	files := map[string][]byte{}
	for i := range 300 {
		// Alike files: repack makes most of them deltas.
		files[fmt.Sprintf("users/%02x/u%d.yaml", i%7, i)] = []byte(fmt.Sprintf("id: \"%d\"\n%s", i, strings.Repeat("displayName: \"same text in every file\"\n", 40)))
	}
	files["groups/large.yaml"] = []byte(strings.Repeat("x", 40<<10))
	if _, err := r.WriteSnapshot(ctx, Snapshot{Files: files, Message: "one"}); err != nil {
		t.Fatal(err)
	}
	lf := filepath.Join(t.TempDir(), "loose")
	if err := os.WriteFile(lf, []byte("a loose object\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	loose := strings.TrimSpace(runGit(t, r.Path(), "hash-object", "-w", lf))
	var paths []string
	var hs []plumbing.Hash
	if err := r.Walk(ctx, "HEAD", "", func(p string, h plumbing.Hash) error {
		paths, hs = append(paths, p), append(hs, h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	paths, hs = append(paths, "(loose)", "(missing)"), append(hs, plumbing.NewHash(loose), plumbing.NewHash("00000000000000000000000000000000000000ff"))
	files["(loose)"] = []byte("a loose object\n")

	// As export writes them, every blob is a whole object of the pack,
	// read straight from it.
	packs := loadPackSet(filepath.Join(r.commonDir, "objects", "pack"))
	pr := packs.reader()
	for i, p := range paths[:len(paths)-2] {
		if data, err := pr.read(hs[i], plumbing.BlobObject, 1<<20); err != nil || string(data) != string(files[p]) {
			t.Errorf("%s straight from the pack: %q, %v", p, data, err)
		}
	}
	packs.closeFiles()

	for _, repack := range []bool{false, true} {
		if repack {
			runGit(t, r.Path(), "repack", "-a", "-d", "-f", "--depth=50", "--window=50", "-q")
			if !strings.Contains(runGit(t, r.Path(), "verify-pack", "-v", packIdx(t, r)), " 1 ") {
				t.Fatal("repack made no deltas: the test does not cover them")
			}
		}
		r.SetMaxFileSize(32 << 10)
		got := make([][]byte, len(hs))
		errs := make([]error, len(hs))
		seen := make([]int, len(hs))
		var mu sync.Mutex
		if err := r.ReadBlobs(ctx, hs, 2, func(i int, data []byte, err error) {
			mu.Lock()
			defer mu.Unlock()
			got[i], errs[i] = data, err
			seen[i]++
		}); err != nil {
			t.Fatal(err)
		}
		for i, p := range paths {
			var tooLarge *FileTooLargeError
			switch {
			case seen[i] != 1:
				t.Errorf("repack %v: %s: fn called %d times", repack, p, seen[i])
			case p == "groups/large.yaml":
				if !errors.As(errs[i], &tooLarge) || tooLarge.Size != 40<<10 {
					t.Errorf("repack %v: the large file: %v", repack, errs[i])
				}
			case p == "(missing)":
				if errs[i] == nil {
					t.Errorf("repack %v: a blob the repository does not hold was read: %q", repack, got[i])
				}
			case errs[i] != nil || string(got[i]) != string(files[p]):
				t.Errorf("repack %v: %s: %q, %v; want %q", repack, p, got[i], errs[i], files[p])
			}
		}

		// ReadBlobPairs gives the same, two at a time, with sides absent
		// (zero ids): nil, no error. fn copies what it is given.
		pairs := make([][2]plumbing.Hash, len(hs))
		idx := make([][2]int, len(hs))
		for i := range hs {
			j := (i + 7) % len(hs)
			pairs[i], idx[i] = [2]plumbing.Hash{hs[i], hs[j]}, [2]int{i, j}
			switch i % 5 {
			case 1:
				pairs[i][0], idx[i][0] = plumbing.ZeroHash, -1
			case 2:
				pairs[i][1], idx[i][1] = plumbing.ZeroHash, -1
			}
		}
		pairSeen := make([]int, len(pairs))
		if err := r.ReadBlobPairs(ctx, pairs, 2, func(i int, a, b []byte, errA, errB error) {
			mu.Lock()
			defer mu.Unlock()
			pairSeen[i]++
			for side, d := range [][]byte{a, b} {
				e := []error{errA, errB}[side]
				k := idx[i][side]
				if k < 0 {
					if d != nil || e != nil {
						t.Errorf("repack %v: pair %d: absent side %d: %q, %v", repack, i, side, d, e)
					}
					continue
				}
				if (e != nil) != (errs[k] != nil) || string(d) != string(got[k]) {
					t.Errorf("repack %v: pair %d side %d (%s): %d bytes, %v; ReadBlobs gave %d bytes, %v", repack, i, side, paths[k], len(d), e, len(got[k]), errs[k])
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
		for i, n := range pairSeen {
			if n != 1 {
				t.Errorf("repack %v: pair %d: fn called %d times", repack, i, n)
			}
		}
	}
}

// TestReadBlobPairsReuseBuffers: reading many pairs of files inflates
// them into each reader's two buffers, not a new slice per file: a diff's
// changed groups, 7 MB a side at 100,000 users, no longer grow the heap
// (issue 12, row e1). Counted (bytes allocated), not timed.
func TestReadBlobPairsReuseBuffers(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, true)
	files := map[string][]byte{}
	for i := range 400 {
		files[fmt.Sprintf("groups/%02x/g%d.yaml", i%16, i)] = []byte(fmt.Sprintf("id: \"%d\"\n%s", i, strings.Repeat("members: \"a member of the group\"\n", 500)))
	}
	if _, err := r.WriteSnapshot(ctx, Snapshot{Files: files, Message: "one"}); err != nil {
		t.Fatal(err)
	}
	var hs []plumbing.Hash
	if err := r.Walk(ctx, "HEAD", "", func(p string, h plumbing.Hash) error {
		hs = append(hs, h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	pairs := make([][2]plumbing.Hash, len(hs)/2)
	for i := range pairs {
		pairs[i] = [2]plumbing.Hash{hs[2*i], hs[2*i+1]}
	}
	var total int64
	var mu sync.Mutex
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := r.ReadBlobPairs(ctx, pairs, 2, func(i int, a, b []byte, errA, errB error) {
		if errA != nil || errB != nil {
			t.Errorf("pair %d: %v, %v", i, errA, errB)
		}
		mu.Lock()
		total += int64(len(a) + len(b))
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := int64(after.TotalAlloc - before.TotalAlloc); alloc > total/4 {
		t.Errorf("reading %d KB of files allocated %d KB, want at most a quarter (the readers' buffers)", total>>10, alloc>>10)
	}
}

// packIdx is the path of r's one pack index.
func packIdx(t *testing.T, r *Repo) string {
	t.Helper()
	ms, _ := filepath.Glob(filepath.Join(r.commonDir, "objects", "pack", "pack-*.idx"))
	if len(ms) != 1 {
		t.Fatalf("packs: %v", ms)
	}
	return ms[0]
}
