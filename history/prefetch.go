package history

import (
	"github.com/entrasnap/entrasnap/layout"
	"github.com/go-git/go-git/v5/plumbing"
)

// Prefetch readies what Name reads for ids, on every CPU: it lists at once
// the folders where a file keyed by each id can be (keyPaths' folders: a
// tree read per folder, however many ids share it) and reads and decodes
// the file Name would read for each id found. Name then answers from
// memory, exactly as it would have read: a file that does not decode is
// reported by Skipped only when Name (or Object) meets it, in that order.
// Naming the member ids of a large diff one by one listed hundreds of
// users' shard folders and read their files one at a time, on one CPU
// (issue 12, row e1). An id found only as an alias (an application's
// appId) is left to Name. Errors are left to the lookups, which meet them
// again and report them as before.
func (ix *Index) Prefetch(ids []string) {
	if ix.loaded || ix.folders == nil || ix.blobs == nil {
		return
	}
	var dirs []string
	for _, id := range ids {
		if _, ok := ix.keys[id]; ok {
			continue
		}
		for _, pr := range probes(id) {
			dirs = append(dirs, pr.dir)
		}
	}
	if ix.listDirs(dirs) != nil {
		return
	}
	var paths []string
	var hs []plumbing.Hash
	want := map[string]bool{}
	for _, id := range ids {
		if _, ok := ix.names[normKey(id)]; ok {
			continue
		}
		exact, fold, err := ix.keyPaths(id)
		if err != nil {
			continue
		}
		ps := exact // the file Name reads (Lookup's first)
		if len(ps) == 0 && !layout.IsGUID(id) {
			ps = fold
		}
		if len(ps) == 0 {
			continue
		}
		p := ps[0]
		if _, done := ix.objects[p]; done || ix.failed[p] || want[p] {
			continue
		}
		if _, done := ix.pre[p]; done {
			continue
		}
		h, ok := ix.blobAt[p]
		if !ok {
			continue
		}
		want[p] = true
		paths, hs = append(paths, p), append(hs, h)
	}
	if len(hs) == 0 {
		return
	}
	got := make([]*decoded, len(hs))
	err := ix.blobs(hs, func(i int, data []byte, err error) {
		if err != nil {
			return // read again by Object, which reports it
		}
		obj, err := layout.Decode(data)
		got[i] = &decoded{obj, err}
	})
	if err != nil {
		return
	}
	if ix.pre == nil {
		ix.pre = map[string]decoded{}
	}
	for i, d := range got {
		if d != nil {
			ix.pre[paths[i]] = *d
		}
	}
}

// prefetcher is a resolver that can ready its answers for many ids at once.
type prefetcher interface{ Prefetch(ids []string) }

// Prefetch implements diff.Prefetcher: each resolver readies the ids that
// no resolver before it has as a key (the ones Name asks it first).
func (c Chain) Prefetch(ids []string) {
	rest := ids
	for _, r := range c {
		if len(rest) == 0 {
			return
		}
		if p, ok := r.(prefetcher); ok {
			p.Prefetch(rest)
		}
		k, ok := r.(keyed)
		if !ok {
			continue
		}
		var next []string
		for _, id := range rest {
			if !k.hasKey(id) {
				next = append(next, id)
			}
		}
		rest = next
	}
}
