package snapshot

import (
	"context"
	"errors"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// The tree listings (Walk, WalkExcept, ListFolders, ReadAll) share three
// primitives: treeReader.lookups finds the entries at some paths through
// the tree cache, Repo.list lists the files at or below them, and
// walkEntry walks one entry's files in path order.

// Walk calls fn for every file at or below prefix (a folder or a file; ""
// is the whole tree) in revision rev, in path order, with its blob id. A
// prefix that does not exist yields no calls. fn may call other methods of
// r; returning ErrStop ends the walk without error, any other error ends it
// and is returned.
func (r *Repo) Walk(ctx context.Context, rev, prefix string, fn func(path string, blob plumbing.Hash) error) error {
	return r.WalkExcept(ctx, rev, prefix, nil, fn)
}

// WalkExcept is Walk without the folders below prefix that skip returns
// true for: skip is asked for each folder's path before the folder is
// read, and a folder it skips is not read, nor anything below it (a plan
// of a few users reads the tree but the users' folder: importer/lean.go).
func (r *Repo) WalkExcept(ctx context.Context, rev, prefix string, skip func(dir string) bool, fn func(path string, blob plumbing.Hash) error) error {
	list, err := r.listAt(ctx, rev, []string{prefix}, skip, 0)
	if err != nil {
		return err
	}
	for _, f := range list[0] {
		if err := fn(f.Path(), f.Blob); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// ListFolders lists the files at or below each of prefixes (folders or
// files, as Walk takes them) in revision rev, in path order, the trees of
// the folders they name read first on up to n goroutines: list[i] holds
// prefixes[i]'s, empty for a prefix that does not exist. A folder's tree
// is read once however many prefixes name it. Naming the ids of a large
// diff lists hundreds of shard folders (history.Index.Prefetch), and
// listing them one Walk at a time inflated them one by one on one CPU
// (issue 12, row e1); the path of each of their 40,000 files, built and
// then dropped, was a tenth of what remained on the main goroutine. What
// cannot be read ahead straight from a pack is read as Walk reads it,
// which reports its error.
func (r *Repo) ListFolders(ctx context.Context, rev string, prefixes []string, n int) (list [][]FolderFile, err error) {
	return r.listAt(ctx, rev, prefixes, nil, max(n, 1))
}

// FolderFile is a file ListFolders found: the folder that holds it, its
// name there and its blob.
type FolderFile struct {
	Dir, Name string
	Blob      plumbing.Hash
}

// Path is f's path in the revision.
func (f FolderFile) Path() string { return join(f.Dir, f.Name) }

// listAt is list in revision rev, r locked while it lists.
func (r *Repo) listAt(ctx context.Context, rev string, prefixes []string, skip func(dir string) bool, n int) ([][]FolderFile, error) {
	r.mu.Lock()
	defer r.unlock()
	c, err := r.resolveCommitLocked(ctx, rev)
	if err != nil {
		return nil, err
	}
	return r.list(ctx, c.TreeHash, prefixes, skip, n)
}

// list lists the files at or below each prefix below root, in path order,
// but those below the folders skip (if not nil) returns true for. The
// folders above each prefix are read through the tree cache (naming the
// ids of a large diff lists hundreds of shard folders, and each listing
// inflated the root and the kind's folder again once the cache was full: a
// fifth of their CPU; issue 12, row e1); those at or below it once, kept
// in the cache only while it holds fewer than walkCacheMax entries
// (treeReader.once). For n > 0, the prefixes' own trees are read first on
// up to n goroutines (Repo.readTrees) and kept in the tree cache while it
// has room, as Diff keeps them (the other revision of a diff lists many of
// the same folders), else for this call only. Callers hold r.mu.
func (r *Repo) list(ctx context.Context, root plumbing.Hash, prefixes []string, skip func(dir string) bool, n int) ([][]FolderFile, error) {
	ps := make([]string, len(prefixes))
	for i, p := range prefixes {
		ps[i] = cleanPrefix(p)
	}
	entries, err := treeReader{r: r}.lookups(root, ps)
	if err != nil {
		return nil, err
	}
	pre := map[plumbing.Hash][]tEntry{}
	if n > 0 {
		var hs []plumbing.Hash
		for _, e := range entries {
			if e == nil || !e.isTree() || skipMode(e.mode) || e.hash == emptyTreeHash {
				continue
			}
			if _, seen := pre[e.hash]; !seen {
				if _, cached := r.treeCache[e.hash]; !cached {
					pre[e.hash] = nil
					hs = append(hs, e.hash)
				}
			}
		}
		clear(pre)
		for i, es := range r.readTrees(ctx, hs, n) {
			if es != nil {
				r.reads.trees.Add(1)
				pre[hs[i]] = es
				if r.treeCacheSize+len(es) < treeCacheMax {
					r.cacheTree(hs[i], es)
				}
			}
		}
	}
	tr := treeReader{r: r, once: true, pre: pre}
	out := make([][]FolderFile, len(ps))
	for i, e := range entries {
		if e == nil {
			continue
		}
		if es, ok := pre[e.hash]; ok {
			out[i] = make([]FolderFile, 0, len(es)) // a shard folder's files: its entries
		} else if es, ok := r.treeCache[e.hash]; ok && e.isTree() {
			out[i] = make([]FolderFile, 0, len(es)) // one read before (a diff's changed folder)
		}
		err := walkEntry(ctx, tr, ps[i], *e, skip, func(dir, name string, h plumbing.Hash) {
			out[i] = append(out[i], FolderFile{dir, name, h})
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lookups finds the entries at paths ps (cleaned) below tree root, as
// lookup does: nil for a path that does not exist.
func (t treeReader) lookups(root plumbing.Hash, ps []string) ([]*tEntry, error) {
	out := make([]*tEntry, len(ps))
	for i, p := range ps {
		e, ok, err := t.lookup(root, p)
		if err != nil {
			return nil, err
		}
		if ok {
			out[i] = &e
		}
	}
	return out, nil
}

// walkEntry calls fn for every file at or below e, the entry at path p
// (cleaned), in path order, with the folder that holds it and its name
// there, reading trees through tr; below p, it skips the folders skip (if
// not nil) returns true for, unread.
func walkEntry(ctx context.Context, tr treeReader, p string, e tEntry, skip func(dir string) bool, fn func(dir, name string, h plumbing.Hash)) error {
	var walk func(p string, h plumbing.Hash) error
	walk = func(p string, h plumbing.Hash) error {
		if err := ctxErr(ctx); err != nil {
			return err
		}
		es, err := tr.entries(h)
		if err != nil {
			return err
		}
		for _, e := range es {
			switch {
			case skipMode(e.mode):
			case e.isTree():
				dir := join(p, e.name)
				if skip != nil && skip(dir) {
					continue // not read
				}
				if err := walk(dir, e.hash); err != nil {
					return err
				}
			default:
				fn(p, e.name, e.hash)
			}
		}
		return nil
	}
	switch {
	case skipMode(e.mode):
	case e.isTree():
		return walk(p, e.hash)
	default: // a file
		dir, name := "", p
		if j := strings.LastIndexByte(p, '/'); j >= 0 {
			dir, name = p[:j], p[j+1:]
		}
		fn(dir, name, e.hash)
	}
	return nil
}
