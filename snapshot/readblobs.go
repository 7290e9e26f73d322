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
	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	if _, ok := r.repo.Storer.(*filesystem.Storage); !ok {
		n = 1 // one store for all: read from one goroutine
	}
	n = max(1, min(n, (len(hs)+readBlobsChunk-1)/readBlobsChunk))
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
			for {
				if errs[w] = ctxErr(ctx); errs[w] != nil {
					return
				}
				from := int(next.Add(readBlobsChunk)) - readBlobsChunk
				if from >= len(hs) {
					return
				}
				for i := from; i < min(from+readBlobsChunk, len(hs)); i++ {
					data, err := pr.read(hs[i], plumbing.BlobObject, limit)
					if err != errNotHere && err != errWrongType {
						r.reads.blobs.Add(1)
					} else {
						if st == nil {
							st, done = r.blobReader()
						}
						data, err = r.readBlobFrom(st, hs[i])
					}
					fn(i, data, err)
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
