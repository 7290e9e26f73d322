package snapshot

import (
	"context"

	"github.com/go-git/go-git/v5/plumbing"
)

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
	r.mu.Lock()
	defer r.unlock()
	c, err := r.resolveCommitLocked(ctx, rev)
	if err != nil {
		return nil, err
	}
	return r.collectFolders(ctx, c.TreeHash, prefixes, n)
}

// FolderFile is a file ListFolders found: the folder that holds it, its
// name there and its blob.
type FolderFile struct {
	Dir, Name string
	Blob      plumbing.Hash
}

// Path is f's path in the revision.
func (f FolderFile) Path() string { return join(f.Dir, f.Name) }

// collectFolders lists the files at or below each prefix below root, the
// prefixes' own trees read ahead on up to n goroutines (Repo.readTrees).
// Callers hold r.mu.
func (r *Repo) collectFolders(ctx context.Context, root plumbing.Hash, prefixes []string, n int) ([][]FolderFile, error) {
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
	}
	for i, e := range entries { // (once every lookup has read its way)
		if !found[i] || !e.isTree() || skipMode(e.mode) || seen[e.hash] {
			continue
		}
		if _, cached := r.treeCache[e.hash]; cached || e.hash == emptyTreeHash {
			continue
		}
		seen[e.hash] = true
		hs = append(hs, e.hash)
	}
	// The trees read are kept in the tree cache while it has room, as
	// Diff keeps them (the other revision of a diff lists many of the same
	// folders to name its ids), and else for this call only.
	pre := make(map[plumbing.Hash][]tEntry, len(hs))
	if len(hs) > 0 {
		for i, es := range r.readTrees(ctx, hs, n) {
			if es == nil {
				continue
			}
			r.reads.trees.Add(1)
			pre[hs[i]] = es
			if r.treeCacheSize+len(es) < treeCacheMax {
				r.cacheTree(hs[i], es)
			}
		}
	}
	tr := treeReader{r: r, once: true, pre: pre}
	out := make([][]FolderFile, len(prefixes))
	for i, p := range prefixes {
		if !found[i] {
			continue
		}
		if es, ok := pre[entries[i].hash]; ok {
			out[i] = make([]FolderFile, 0, len(es)) // a shard folder's files: its entries
		}
		err := walkEntry(ctx, tr, cleanPrefix(p), entries[i], nil, func(dir, name string, h plumbing.Hash) {
			out[i] = append(out[i], FolderFile{dir, name, h})
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
