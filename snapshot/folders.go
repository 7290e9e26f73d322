package snapshot

import (
	"context"
	"errors"

	"github.com/go-git/go-git/v5/plumbing"
)

// WalkFolders is Walk of each of prefixes in revision rev, with the trees
// of the folders they name read first on up to n goroutines: fn is called
// for every file at or below prefixes[i], with i, in the order of prefixes
// and then of paths, on the caller's goroutine (it may call r's methods;
// ErrStop ends the walk without error). A prefix that does not exist
// yields no calls. A folder's tree is read once however many prefixes name
// it. Naming the ids of a large diff lists hundreds of shard folders
// (history.Index.Prefetch), and listing them one Walk at a time inflated
// them one by one on one CPU (issue 12, row e1). What cannot be read ahead
// straight from a pack is read as Walk reads it, which reports its error.
func (r *Repo) WalkFolders(ctx context.Context, rev string, prefixes []string, n int, fn func(i int, path string, blob plumbing.Hash) error) error {
	r.mu.Lock()
	c, err := r.resolveCommitLocked(ctx, rev)
	if err != nil {
		r.unlock()
		return err
	}
	items, err := r.collectAll(ctx, c.TreeHash, prefixes, n)
	r.unlock()
	if err != nil {
		return err
	}
	for i, its := range items {
		for _, it := range its {
			if err := fn(i, it.path, it.hash); err != nil {
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
		}
	}
	return nil
}

// collectAll is collect of each prefix below root, the prefixes' own
// trees read ahead on up to n goroutines (Repo.readTrees). The trees read
// ahead are kept for this call only, as collect keeps a walk's (once).
// Callers hold r.mu.
func (r *Repo) collectAll(ctx context.Context, root plumbing.Hash, prefixes []string, n int) ([][]walkItem, error) {
	var hs []plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	for _, p := range prefixes {
		e, ok, err := (treeReader{r: r}).lookup(root, cleanPrefix(p))
		if err != nil {
			return nil, err
		}
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
	out := make([][]walkItem, len(prefixes))
	for i, p := range prefixes {
		items, err := r.collectWith(ctx, treeReader{r: r, once: true, pre: pre}, root, cleanPrefix(p), nil)
		if err != nil {
			return nil, err
		}
		out[i] = items
	}
	return out, nil
}
