package snapshot

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// readBlobsChunk is how many consecutive blobs of ReadBlobs' list one
// reader takes at a time: consecutive blobs of a tree lie near each other
// in the pack export writes, so a reader keeps to one region of it.
const readBlobsChunk = 64

// ReadBlobs reads the blobs hs with up to n readers at once (n < 1: one)
// and calls fn for each with its index in hs and its content, or the error
// reading it (a *FileTooLargeError, unread, for one over the file size
// limit; a damaged or missing object). fn is called from the readers'
// goroutines, concurrently when n > 1, each blob once, in no set order:
// fn must be safe for concurrent use and must not call r's methods (r is
// locked until ReadBlobs returns). It may keep data. The error is ctx's;
// then fn may not have been called for every blob.
//
// The readers take consecutive chunks of hs and read each blob straight
// from the pack files (indexes loaded once per Repo) or its loose file
// when it is a whole object there (packread.go), else through a go-git
// store of their own that keeps its pack files open
// (blobReader): no open per file, no lookup among loose objects first,
// nothing shared but the pack indexes. `check` reads and analyses 125,000
// files on every CPU this way (issue 12, row e3) instead of reading them
// all first, one by one, and holding them.
func (r *Repo) ReadBlobs(ctx context.Context, hs []plumbing.Hash, n int, fn func(i int, data []byte, err error)) error {
	return r.readBlobs(ctx, len(hs), n, readBlobsChunk, func(_ int, read blobRead, i int) {
		data, err := read(nil, hs[i])
		fn(i, data, err)
	})
}

// ReadBlobPairs is ReadBlobs for pairs of blobs, two versions of a file
// (either id zero: that side is absent, nil and no error): fn is called
// for each pair with both contents, which are valid only until fn
// returns: each reader inflates the next pair into the same two buffers.
// A diff reads the changed files' two versions this way and decodes each
// pair as it is read (history.LoadChanged): holding every changed file,
// 7 MB a side for a 100,000-user tenant, grew the heap into fresh pages
// that the kernel had to fault in and zero, about a fifth of the diff's
// CPU (issue 12, row e1). fn must be safe for concurrent use and must not
// call r's methods; it must not keep a or b (a copy, or what it decodes
// from them, it may keep).
func (r *Repo) ReadBlobPairs(ctx context.Context, pairs [][2]plumbing.Hash, n int, fn func(i int, a, b []byte, errA, errB error)) error {
	bufs := make([][2][]byte, max(n, 1))
	return r.readBlobs(ctx, len(pairs), n, readPairsChunk, func(w int, read blobRead, i int) {
		var data [2][]byte
		var errs [2]error
		for side, h := range pairs[i] {
			if !h.IsZero() {
				data[side], errs[side] = read(bufs[w][side], h)
				if cap(data[side]) > cap(bufs[w][side]) && cap(data[side]) <= maxReusedBuffer {
					bufs[w][side] = data[side][:0]
				}
			}
		}
		fn(i, data[0], data[1], errs[0], errs[1])
	})
}

// readPairsChunk is readBlobsChunk for ReadBlobPairs, whose readers also
// decode: a diff of a few dozen changed groups still decodes them on
// every CPU.
const readPairsChunk = 8

// maxReusedBuffer bounds the buffers ReadBlobPairs keeps between pairs
// (a larger file gets a buffer of its own, dropped after its pair).
const maxReusedBuffer = 4 << 20

// blobRead reads blob h, into dst if it has room (packReader.readTo).
type blobRead func(dst []byte, h plumbing.Hash) ([]byte, error)

// readBlobs runs each(w, read, i) for i in [0, count) on up to n readers,
// w being the reader's number (below max(n, 1)), read its way to read a
// blob, each reader taking chunk consecutive indexes at a time; see
// ReadBlobs.
func (r *Repo) readBlobs(ctx context.Context, count, n, chunk int, each func(w int, read blobRead, i int)) error {
	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	if _, ok := r.repo.Storer.(*filesystem.Storage); !ok {
		n = 1 // one store for all: read from one goroutine
	}
	n = max(1, min(n, (count+chunk-1)/chunk))
	packs := r.packSetLocked()
	if packs == nil {
		packs = &packSet{}
	}
	limit := r.maxFileSize()
	var next atomic.Int64 // the next chunk's first index
	var wg sync.WaitGroup
	errs := make([]error, n)
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr := packs.reader()
			defer pr.release()
			var done func()
			var st storer.EncodedObjectStorer // go-git's, opened for the first blob pr cannot read
			defer func() {
				if done != nil {
					done()
				}
			}()
			read := func(dst []byte, h plumbing.Hash) ([]byte, error) {
				data, err := pr.readTo(dst, h, plumbing.BlobObject, limit)
				if err != errNotHere && err != errWrongType {
					r.reads.blobs.Add(1)
					return data, err
				}
				if st == nil {
					st, done = r.blobReader()
				}
				return r.readBlobFrom(st, h) // a slice of its own (readSized)
			}
			for {
				if errs[w] = ctxErr(ctx); errs[w] != nil {
					return
				}
				from := int(next.Add(int64(chunk))) - chunk
				if from >= count {
					return
				}
				for i := from; i < min(from+chunk, count); i++ {
					each(w, read, i)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// blobReader is a store for ReadBlobs: bulkReader's, with go-git's large
// object threshold at the file size limit, so that an object over it (a
// packed one over 16 KB, a loose one over the limit) comes back unread,
// its size from its header, and readBlobFrom refuses it without a size
// lookup first (which, for a packed object, opened the loose object's
// path before the pack: most of ReadAll's system time). Callers hold r.mu.
func (r *Repo) blobReader() (storer.EncodedObjectStorer, func()) {
	fs, ok := r.repo.Storer.(*filesystem.Storage)
	if !ok {
		return r.repo.Storer, func() {}
	}
	st := filesystem.NewStorageWithOptions(fs.Filesystem(), cache.NewObjectLRU(8*cache.MiByte),
		filesystem.Options{KeepDescriptors: true, LargeObjectThreshold: r.maxFileSize()})
	return st, func() { st.Close() }
}
