package snapshot

import (
	"context"
	"errors"

	"github.com/go-git/go-git/v5/plumbing"
)

// WalkFolders is Walk of each of prefixes in revision rev, with the trees
// of the folders they name read first on up to n goroutines: fn is called
// for every file at or below prefixes[i], with i, the folder that holds
// the file and its name in that folder (its path is dir+"/"+name, or name
// when dir is ""), in the order of prefixes and then of paths, on the
// caller's goroutine (it may call r's methods; ErrStop ends the walk
// without error). A prefix that does not exist yields no calls. A folder's
// tree is read once however many prefixes name it. Naming the ids of a
// large diff lists hundreds of shard folders (history.Index.Prefetch), and
// listing them one Walk at a time inflated them one by one on one CPU
// (issue 12, row e1); the path of each of their 40,000 files, built and
// then dropped, was a tenth of what remained on the main goroutine. What
// cannot be read ahead straight from a pack is read as Walk reads it,
// which reports its error.
func (r *Repo) WalkFolders(ctx context.Context, rev string, prefixes []string, n int, fn func(i int, dir, name string, blob plumbing.Hash) error) error {
	r.mu.Lock()
	c, err := r.resolveCommitLocked(ctx, rev)
	if err != nil {
		r.unlock()
		return err
	}
	items, err := r.collectFolders(ctx, c.TreeHash, prefixes, n)
	r.unlock()
	if err != nil {
		return err
	}
	for i, its := range items {
		for _, it := range its {
			if err := fn(i, it.dir, it.name, it.hash); err != nil {
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
		}
	}
	return nil
}

// folderItem is a file WalkFolders found: the folder that holds it, its
// name there and its blob.
type folderItem struct {
	dir, name string
	hash      plumbing.Hash
}

// collectFolders lists the files at or below each prefix below root, the
// prefixes' own trees read ahead on up to n goroutines (Repo.readTrees)
// and kept for this call only, as a walk keeps its trees (collect, once).
// Callers hold r.mu.
func (r *Repo) collectFolders(ctx context.Context, root plumbing.Hash, prefixes []string, n int) ([][]folderItem, error) {
	entries := make([]tEntry, len(prefixes))
	found := make([]bool, len(prefixes))
	var hs []plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	for i, p := range prefixes {
		e, ok, err := (treeReader{r: r}).lookup(root, cleanPrefix(p))
		if err != nil {
			return nil, err
		}
		entries[i], found[i] = e, ok
		if !ok || !e.isTree() || skipMode(e.mode) || seen[e.hash] {
			continue
		}
		if _, cached := r.treeCache[e.hash]; cached || e.hash == emptyTreeHash {
			continue
		}
		seen[e.hash] = true
		hs = append(hs, e.hash)
	}
	pre := make(map[plumbing.Hash][]tEntry, len(hs))
	if len(hs) > 0 {
		for i, es := range r.readTrees(ctx, hs, n) {
			if es != nil {
				r.reads.trees.Add(1)
				pre[hs[i]] = es
			}
		}
	}
	tr := treeReader{r: r, once: true, pre: pre}
	out := make([][]folderItem, len(prefixes))
	for i, p := range prefixes {
		if !found[i] {
			continue
		}
		err := walkEntry(ctx, tr, cleanPrefix(p), entries[i], nil, func(dir, name string, h plumbing.Hash) {
			out[i] = append(out[i], folderItem{dir, name, h})
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
