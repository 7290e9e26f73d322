package snapshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Action is what happened to a path between two trees.
type Action string

// The actions of a Change. A rename is a deletion and an addition.
const (
	Added    Action = "added"
	Modified Action = "modified"
	Deleted  Action = "deleted"
)

// Change is one file that differs between two trees. From is the blob id
// before (zero when added), To the blob id after (zero when deleted).
type Change struct {
	Path   string
	Action Action
	From   plumbing.Hash
	To     plumbing.Hash
}

// Counts tallies changes by action.
type Counts struct {
	Added, Modified, Deleted int
}

// Total is the number of changed paths.
func (c Counts) Total() int { return c.Added + c.Modified + c.Deleted }

// CountChanges tallies changes by action.
func CountChanges(changes []Change) Counts {
	var c Counts
	for _, ch := range changes {
		switch ch.Action {
		case Added:
			c.Added++
		case Modified:
			c.Modified++
		case Deleted:
			c.Deleted++
		}
	}
	return c
}

func sortChanges(cs []Change) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Path < cs[j].Path })
}

// treeReader reads tree objects: from memory for trees being built, from
// the object store otherwise. Callers hold r.mu.
type treeReader struct {
	r       *Repo
	overlay map[plumbing.Hash]*dirNode
	// once: the trees are read once (a walk of a whole revision): kept in
	// the repository's tree cache only while it holds fewer than
	// walkCacheMax entries, so that a large walk does not hold every tree
	// of the snapshot (about 200 bytes a file: 25 MB for the previous
	// snapshot of a 100,000-user export, kept for the whole run; issue 12)
	// and a small one is as quick the next time.
	once bool
	// pre holds trees read ahead for this reader alone (Repo.list).
	pre map[plumbing.Hash][]tEntry
}

func (t treeReader) entries(h plumbing.Hash) ([]tEntry, error) {
	if h.IsZero() || h == emptyTreeHash {
		return nil, nil
	}
	if d, ok := t.overlay[h]; ok {
		return d.entries, nil
	}
	if es, ok := t.pre[h]; ok {
		return es, nil
	}
	if t.once {
		if es, ok := t.r.treeCache[h]; ok {
			return es, nil
		}
		t.r.reads.trees.Add(1)
		es, err := t.r.readTree(h)
		if err != nil {
			return nil, fmt.Errorf("read tree %s: %w", h, err)
		}
		if t.r.treeCacheSize+len(es) < walkCacheMax {
			t.r.cacheTree(h, es)
		}
		return es, nil
	}
	return t.r.treeEntries(h)
}

// treeCacheMax bounds the tree cache (in entries, ~100 bytes each);
// walkCacheMax the entries a walk adds to it (treeReader.once).
const (
	treeCacheMax = 500_000
	walkCacheMax = 20_000
)

// treeEntries reads and decodes a stored tree, through the cache.
// Callers hold r.mu.
func (r *Repo) treeEntries(h plumbing.Hash) ([]tEntry, error) {
	if es, ok := r.treeCache[h]; ok {
		return es, nil
	}
	r.reads.trees.Add(1)
	es, err := r.readTree(h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	r.cacheTree(h, es)
	return es, nil
}

// cacheTree keeps the entries of tree h in the tree cache, emptied first
// when it would hold more than treeCacheMax entries. Callers hold r.mu.
func (r *Repo) cacheTree(h plumbing.Hash, es []tEntry) {
	if r.treeCache == nil || r.treeCacheSize+len(es) > treeCacheMax {
		r.treeCache, r.treeCacheSize = map[plumbing.Hash][]tEntry{}, 0
	}
	r.treeCache[h] = es
	r.treeCacheSize += len(es) + 1
}

// readTree reads and parses the tree object h. It parses git's format
// itself rather than through go-git's object.Tree: one string holds every
// name, so a shard folder of hundreds of files costs two allocations, not
// a few per entry (a diff or a log reads a shard folder per change, and
// they grow with the tenant). A tree that is not well formed is an error.
func (r *Repo) readTree(h plumbing.Hash) ([]tEntry, error) {
	if data, err := r.packObject(h, plumbing.TreeObject, r.maxFileSize()); err == nil {
		return parseTree(data)
	}
	r.reads.goGitReads.Add(1)
	obj, err := r.repo.Storer.EncodedObject(plumbing.TreeObject, h)
	if err != nil {
		return nil, err
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	data, err := readSized(rd, obj.Size(), r.maxFileSize())
	if err != nil {
		return nil, err
	}
	return parseTree(data)
}

// parseTree parses the content of a git tree object: entries of "MODE
// NAME\0" and a 20-byte id. The names are strings over data itself, which
// must not change afterwards: every caller passes the buffer it has just
// read the object into, and keeps no other reference to it.
func parseTree(data []byte) ([]tEntry, error) {
	n := 0
	for i := 0; i < len(data); n++ {
		z := bytes.IndexByte(data[i:], 0)
		if z < 0 || i+z+1+len(plumbing.Hash{}) > len(data) {
			return nil, errors.New("malformed tree: an entry is cut short")
		}
		i += z + 1 + len(plumbing.Hash{})
	}
	// One string for every name, data itself: copying it was a tenth of
	// the CPU of a large diff, which reads hundreds of shard folders
	// (issue 12, row e1).
	names := unsafe.String(unsafe.SliceData(data), len(data))
	es := make([]tEntry, 0, n)
	for i := 0; i < len(data); {
		sp := bytes.IndexByte(data[i:], ' ')
		z := bytes.IndexByte(data[i:], 0)
		if sp <= 0 || z < sp+2 {
			return nil, errors.New("malformed tree: an entry lacks its mode or name")
		}
		var mode uint32
		for _, c := range data[i : i+sp] {
			if c < '0' || c > '7' || mode > 0o7777777 {
				return nil, fmt.Errorf("malformed tree: mode %q", data[i:i+sp])
			}
			mode = mode<<3 | uint32(c-'0')
		}
		e := tEntry{name: names[i+sp+1 : i+z], mode: filemode.FileMode(mode)}
		copy(e.hash[:], data[i+z+1:])
		es = append(es, e)
		i += z + 1 + len(e.hash)
	}
	return es, nil
}

// differ compares two trees by hash, descending only into subtrees whose
// ids differ. newTree is called with every tree on the "to" side that differs
// from the tree at the same path on the "from" side (candidates to write).
type differ struct {
	ctx     context.Context
	tr      treeReader
	changes []Change
	newTree func(h plumbing.Hash)
	// intern, when set, gives the string a change's path is kept as (the
	// caller's own copy of it: WriteSnapshot's paths), so that the path the
	// diff joined is not kept beside it for every file (issue 12).
	intern func(p string) string
	// pairs is a buffer for diffTrees' differing entries, reused by the
	// folders compared one after the other.
	pairs []entryPair
}

// diffTrees compares tree a (zero: absent) with tree b under prefix.
func (d *differ) diffTrees(prefix string, a, b plumbing.Hash) error {
	if a == b {
		return nil
	}
	if err := ctxErr(d.ctx); err != nil {
		return err
	}
	if !b.IsZero() && d.newTree != nil {
		d.newTree(b)
	}
	ea, err := d.tr.entries(a)
	if err != nil {
		return err
	}
	eb, err := d.tr.entries(b)
	if err != nil {
		return err
	}
	pairs := d.pairs[:0]
	if inGitOrder(ea) && inGitOrder(eb) {
		pairs = mergePairs(ea, eb, pairs)
	} else {
		pairs = matchPairs(ea, eb, pairs)
	}
	d.prefetch(pairs)
	// diffEntry reenters diffTrees, which reuses d.pairs: these pairs are
	// this call's alone from here on.
	d.pairs = nil
	for _, pr := range pairs {
		var name string
		if pr.a != nil {
			name = pr.a.name
		} else {
			name = pr.b.name
		}
		if err := d.diffEntry(join(prefix, name), pr.a, pr.b); err != nil {
			return err
		}
	}
	d.pairs = pairs[:0]
	return nil
}

// entryPair is an entry of a folder on either side of a comparison that
// differs from the other side's of the same name (nil: there is none).
type entryPair struct{ a, b *tEntry }

// mergePairs appends to out the entries of ea and eb that differ, both
// in git's order (inGitOrder), walking them side by side: a folder's
// entries matched through a map of its names, and a second map of the
// names seen, were a tenth of a large diff's CPU (issue 12, row e1). An
// entry is matched by name and kind as git sorts them (a file "x" and a
// folder "x" are two entries: the file deleted, the folder added, as
// matchPairs reports them).
func mergePairs(ea, eb []tEntry, out []entryPair) []entryPair {
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		c := 0
		switch {
		case i == len(ea):
			c = 1
		case j == len(eb):
			c = -1
		default:
			c = cmpGitOrder(&ea[i], &eb[j])
		}
		switch {
		case c < 0:
			out = append(out, entryPair{a: &ea[i]})
			i++
		case c > 0:
			out = append(out, entryPair{b: &eb[j]})
			j++
		default:
			if ea[i].hash != eb[j].hash || ea[i].mode != eb[j].mode {
				out = append(out, entryPair{&ea[i], &eb[j]})
			}
			i, j = i+1, j+1
		}
	}
	return out
}

// matchPairs is mergePairs for entries not in git's order (a tree git
// would refuse): matched by name through maps, eb's entries first, then
// those of ea that eb lacks.
func matchPairs(ea, eb []tEntry, out []entryPair) []entryPair {
	byName := make(map[string]*tEntry, len(ea))
	for i := range ea {
		byName[ea[i].name] = &ea[i]
	}
	seen := make(map[string]bool, len(eb))
	for j := range eb {
		e := &eb[j]
		seen[e.name] = true
		o := byName[e.name]
		if o != nil && o.hash == e.hash && o.mode == e.mode {
			continue
		}
		out = append(out, entryPair{o, e})
	}
	for i := range ea {
		if !seen[ea[i].name] {
			out = append(out, entryPair{a: &ea[i]})
		}
	}
	return out
}

// inGitOrder reports whether es are in strictly increasing git order
// (sortKey), as git writes every tree.
func inGitOrder(es []tEntry) bool {
	for i := 1; i < len(es); i++ {
		if cmpGitOrder(&es[i-1], &es[i]) >= 0 {
			return false
		}
	}
	return true
}

// cmpGitOrder compares the sort keys of a and b (sortKey: a tree's name
// with "/" after it) without building them.
func cmpGitOrder(a, b *tEntry) int {
	n := min(len(a.name), len(b.name))
	if c := strings.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	// One name begins the other: compare what follows the common part,
	// the key's next byte (a tree's "/") or its end (-1).
	next := func(e *tEntry) int {
		switch {
		case len(e.name) > n:
			return int(e.name[n])
		case e.isTree():
			return '/'
		}
		return -1
	}
	ca, cb := next(a), next(b)
	if ca != cb {
		return ca - cb
	}
	if ca == -1 {
		return 0 // two files of the same name
	}
	// Both keys go on: compare them from byte n+1 (rare: a name that is
	// the other's followed by "/", which git never writes).
	return strings.Compare(a.sortKey()[n+1:], b.sortKey()[n+1:])
}

// prefetchMin is the fewest changed subtrees of one folder that prefetch
// reads in parallel.
const prefetchMin = 16

// prefetch reads into the tree cache, on every CPU, the trees the
// comparison of a folder's differing entries (pairs) is about to read one
// by one: both sides of each subtree that differs. A daily diff of a
// large tenant compares hundreds of changed shard folders, and inflating
// them was a quarter of its CPU, on one core (issue 12, row e1). What it
// cannot read straight from a pack (a delta, a loose object, a damaged
// one) is left to the comparison, which reads it as before and reports
// its error. Callers hold r.mu.
func (d *differ) prefetch(pairs []entryPair) {
	r := d.tr.r
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || d.tr.overlay != nil || d.tr.once {
		return
	}
	var hs []plumbing.Hash
	want := func(e *tEntry) {
		if e == nil || skipMode(e.mode) || !e.isTree() {
			return
		}
		if _, ok := r.treeCache[e.hash]; !ok && !e.hash.IsZero() && e.hash != emptyTreeHash {
			hs = append(hs, e.hash)
		}
	}
	for _, pr := range pairs {
		if pr.b == nil || skipMode(pr.b.mode) || !pr.b.isTree() {
			continue // as before: a folder deleted is read when compared
		}
		want(pr.b)
		want(pr.a)
	}
	if len(hs) < prefetchMin {
		return
	}
	for i, es := range r.readTrees(d.ctx, hs, workers) {
		if es != nil {
			r.reads.trees.Add(1)
			r.cacheTree(hs[i], es)
		}
	}
}

// readTrees reads and parses the trees hs straight from the packs on up to
// workers goroutines (about one for each prefetchMin/2 trees): nil for
// one it cannot read there (a delta, a loose object, a damaged one), which
// the caller reads as before and whose error it reports. Callers hold
// r.mu.
func (r *Repo) readTrees(ctx context.Context, hs []plumbing.Hash, workers int) [][]tEntry {
	got := make([][]tEntry, len(hs))
	packs := r.packSetLocked()
	if packs == nil {
		return got
	}
	limit := r.maxFileSize()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, len(hs)/(prefetchMin/2))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr := packs.reader()
			defer pr.release()
			for i := int(next.Add(1)) - 1; i < len(hs); i = int(next.Add(1)) - 1 {
				if ctx.Err() != nil {
					return
				}
				data, err := pr.read(hs[i], plumbing.TreeObject, limit)
				if err != nil {
					continue
				}
				if es, err := parseTree(data); err == nil {
					got[i] = es
				}
			}
		}()
	}
	wg.Wait()
	return got
}

// diffEntry compares what is at path p on both sides (nil: absent).
func (d *differ) diffEntry(p string, a, b *tEntry) error {
	if a != nil && skipMode(a.mode) {
		a = nil
	}
	if b != nil && skipMode(b.mode) {
		b = nil
	}
	if a == nil && b == nil {
		return nil
	}
	if a != nil && b != nil && a.hash == b.hash && a.mode == b.mode {
		return nil
	}
	aFile := a != nil && !a.isTree()
	bFile := b != nil && !b.isTree()
	var aTree, bTree plumbing.Hash
	if a != nil && a.isTree() {
		aTree = a.hash
	}
	if b != nil && b.isTree() {
		bTree = b.hash
	}
	if (aFile || bFile) && d.intern != nil {
		p = d.intern(p)
	}
	switch {
	case aFile && bFile:
		d.changes = append(d.changes, Change{Path: p, Action: Modified, From: a.hash, To: b.hash})
	case aFile:
		d.changes = append(d.changes, Change{Path: p, Action: Deleted, From: a.hash})
	case bFile:
		d.changes = append(d.changes, Change{Path: p, Action: Added, To: b.hash})
	}
	return d.diffTrees(p, aTree, bTree)
}

// skipMode reports entries that are not files of this repository
// (submodule commits): never reported, never walked.
func skipMode(m filemode.FileMode) bool { return m == filemode.Submodule }

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// lookup finds the entry at path p (cleaned) below tree root. For p == ""
// it returns the root itself as a tree entry.
func (t treeReader) lookup(root plumbing.Hash, p string) (tEntry, bool, error) {
	cur := tEntry{mode: filemode.Dir, hash: root}
	if p == "" {
		return cur, !root.IsZero(), nil
	}
	for _, seg := range strings.Split(p, "/") {
		if !cur.isTree() {
			return tEntry{}, false, nil
		}
		es, err := t.entries(cur.hash)
		if err != nil {
			return tEntry{}, false, err
		}
		// Entries are in git order: a file sorts as its name, a tree as name+"/".
		i := findEntry(es, seg)
		if i < 0 {
			i = findEntry(es, seg+"/")
		}
		if i < 0 {
			return tEntry{}, false, nil
		}
		cur = es[i]
	}
	return cur, true, nil
}

func findEntry(es []tEntry, key string) int {
	i := sort.Search(len(es), func(i int) bool { return es[i].sortKey() >= key })
	if i < len(es) && es[i].sortKey() == key {
		return i
	}
	return -1
}

// Diff lists the files that differ between two revisions, sorted by path.
// Unchanged folders are skipped by comparing subtree ids. from may be ""
// (the empty tree: everything in to is added). Renames are reported as a
// deletion and an addition.
func (r *Repo) Diff(ctx context.Context, from, to string) ([]Change, error) {
	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	var a plumbing.Hash
	if from != "" {
		c, err := r.resolveCommit(ctx, from)
		if err != nil {
			return nil, err
		}
		a = c.TreeHash
	}
	cb, err := r.resolveCommit(ctx, to)
	if err != nil {
		return nil, err
	}
	d := &differ{ctx: ctx, tr: treeReader{r: r}}
	if err := d.diffTrees("", a, cb.TreeHash); err != nil {
		return nil, fmt.Errorf("diff %s..%s: %w", from, to, err)
	}
	sortChanges(d.changes)
	return d.changes, nil
}

// History walks the first-parent history from rev (newest first) and calls
// fn for every commit in which any of paths changed, with the changes below
// those paths. A path names a file or a folder ("" or "/" is the whole
// tree). Only the trees along the given paths are read, so unrelated files
// cost nothing. A rename is reported as a deletion of the old path and an
// addition of the new one, each only if asked for: following an object
// across renames (by its id in the file name) is the caller's job. fn may
// call other methods of r, and may return ErrStop to end the walk early.
func (r *Repo) History(ctx context.Context, rev string, paths []string, fn func(CommitInfo, []Change) error) error {
	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	if len(paths) == 0 {
		return fmt.Errorf("history: no paths given")
	}
	ps := make([]string, len(paths))
	for i, p := range paths {
		ps[i] = cleanPrefix(p)
	}
	c, err := r.resolveCommit(ctx, rev)
	if err != nil {
		return err
	}
	tags, err := r.tagsByCommit()
	if err != nil {
		return err
	}
	tr := treeReader{r: r}
	cur, err := tr.lookups(c.TreeHash, ps)
	if err != nil {
		return err
	}
	for {
		if err := ctxErr(ctx); err != nil {
			return err
		}
		var parent *object.Commit
		prev := make([]*tEntry, len(ps))
		if len(c.ParentHashes) > 0 {
			parent, err = r.commitObject(c.ParentHashes[0])
			if err != nil {
				return fmt.Errorf("history: read parent of %s: %w", c.Hash, err)
			}
			if prev, err = tr.lookups(parent.TreeHash, ps); err != nil {
				return err
			}
		}
		d := &differ{ctx: ctx, tr: tr}
		for i, p := range ps {
			if err := d.diffEntry(p, prev[i], cur[i]); err != nil {
				return err
			}
		}
		if len(d.changes) > 0 {
			changes := dedupeChanges(d.changes)
			// fn runs unlocked so that it may call other methods of r.
			r.unlock()
			ci := commitInfo(c, tags)
			if parent != nil {
				ci.ParentTime, ci.ParentTags = parent.Committer.When, tags[parent.Hash]
			}
			err := fn(ci, changes)
			r.mu.Lock()
			if err != nil {
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
		}
		if parent == nil {
			return nil
		}
		c, cur = parent, prev
	}
}

func dedupeChanges(cs []Change) []Change {
	sortChanges(cs)
	out := cs[:0]
	for i, c := range cs {
		if i > 0 && c.Path == cs[i-1].Path && c.Action == cs[i-1].Action {
			continue
		}
		out = append(out, c)
	}
	return out
}
