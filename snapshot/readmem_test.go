package snapshot

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// An incremental export reads the previous snapshot's tree whole and then
// some of its files (issue 12: a no-change day at 100,000 users). Once the
// walk is done, the repository keeps none of the trees it read (the tree
// cache kept every one and go-git's object cache every raw tree: about 250
// bytes a file, 30 MB at 125,000 files, for the whole run), and reading
// every file by blob id keeps at most go-git's object cache, bounded at
// objectCacheSize, 4 MB (96 MB before: every file read). Counted in retained
// bytes, not time.
func TestWalkAndReadsHoldLittle(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory makes retained bytes meaningless")
	}
	r := newTestRepo(t, true)
	files := benchFiles(6000, 60)
	var first string
	for p, b := range files {
		files[p] = bytes.Repeat(b, 6) // about 3.6 KB: 21 MB in all
		first = p
	}
	n := len(files)
	in := stageAll(t, r, files)
	in.Author = day(0)
	rev := write(t, r, in).Commit.String()
	files, in = nil, Snapshot{}

	o, err := Open(r.Path()) // empty caches
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ctx := context.Background()
	// The pack's index is loaded by any read (not what is measured here).
	if _, err := o.ReadFile(ctx, rev, first); err != nil {
		t.Fatal(err)
	}
	blobs := make([]plumbing.Hash, 0, n)
	heap := func() int64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	before := heap()
	if err := o.Walk(ctx, rev, "", func(_ string, h plumbing.Hash) error {
		blobs = append(blobs, h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	walked := heap()
	if len(blobs) != n {
		t.Fatalf("walked %d files, want %d", len(blobs), n)
	}
	if per := (walked - before) / int64(n); per > 40 {
		t.Errorf("after a walk of %d files the repository keeps %d bytes a file, want at most 40 (no tree)", n, per)
	}
	for _, h := range blobs {
		if _, err := o.ReadBlob(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	read := heap()
	// (a cached object holds up to twice its size: its buffer grows as read)
	if held, most := read-walked, int64(2*4<<20+1<<20); held > most {
		t.Errorf("after reading %d files of 3.6 KB the repository keeps %d KB, want at most %d KB (go-git's object cache, bounded at 4 MB)",
			n, held>>10, most>>10)
	}
	runtime.KeepAlive(o)
	runtime.KeepAlive(blobs)
}
