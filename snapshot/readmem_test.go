package snapshot

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// An incremental export reads the previous snapshot's tree whole and then
// some of its files (issue 12: a no-change day at 100,000 users). Once the
// walk is done, the repository's tree cache holds at most walkCacheMax
// entries of it (it kept every tree: about 130 bytes a file, 16 MB at
// 125,000 files, for the whole run), and reading every file by blob id
// keeps at most go-git's object cache, bounded at objectCacheSize, 4 MB
// (96 MB before: every file read). Counted in entries and retained bytes,
// not time.
func TestWalkAndReadsHoldLittle(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory makes retained bytes meaningless")
	}
	r := newTestRepo(t, true)
	files := benchFiles(30000, 60) // about 600 bytes each: 18 MB in all
	var first string
	for p := range files {
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
	if o.treeCacheSize > walkCacheMax {
		t.Errorf("after a walk of %d files the tree cache holds %d entries, want at most %d", n, o.treeCacheSize, walkCacheMax)
	}
	for _, h := range blobs {
		if _, err := o.ReadBlob(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	read := heap()
	// (a cached object holds up to twice its size: its buffer grows as read)
	if held, most := read-walked, int64(2*4<<20+1<<20); held > most {
		t.Errorf("after reading %d files of 600 bytes the repository keeps %d KB, want at most %d KB (go-git's object cache, bounded at 4 MB)",
			n, held>>10, most>>10)
	}
	runtime.KeepAlive(o)
	runtime.KeepAlive(blobs)
}

// TestWalksOfFoldersReadTheFoldersAboveOnce: walks of one folder after
// another (history.Index naming a diff's ids, one shard folder each) read
// the folders above them once, through the tree cache, also when the
// cache is past what a walk may add to it (as after the diff of a large
// tenant): each walk then reads its own folder's tree alone. It read the
// root and the kind's folder again for every walk (issue 12, row e1).
// Counted in tree reads.
func TestWalksOfFoldersReadTheFoldersAboveOnce(t *testing.T) {
	r := newTestRepo(t, true)
	files := map[string][]byte{}
	for i := range 40 {
		files[fmt.Sprintf("users/%02x/u%d.yaml", i, i)] = []byte("id: x\n")
	}
	files["groups/00/g.yaml"] = []byte("id: g\n")
	in := stageAll(t, r, files)
	in.Author = day(0)
	rev := write(t, r, in).Commit.String()
	o, err := Open(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ctx := context.Background()
	o.treeCacheSize = walkCacheMax // as full as a large diff leaves it
	before := o.ReadCounts().Trees
	for i := range 40 {
		n := 0
		if err := o.Walk(ctx, rev, fmt.Sprintf("users/%02x", i), func(string, plumbing.Hash) error { n++; return nil }); err != nil || n != 1 {
			t.Fatalf("walk of users/%02x: %d files, %v", i, n, err)
		}
	}
	// The root and users/ once, then each shard folder.
	if got, want := o.ReadCounts().Trees-before, 2+40; got != want {
		t.Errorf("40 walks of shard folders read %d trees, want %d", got, want)
	}
}
