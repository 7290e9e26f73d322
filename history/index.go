package history

import (
	"context"
	"path"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// Index knows the object files of one revision by key and by alias. It
// decodes a file only when its object is asked for. An Index of a
// repository revision (Open) finds an id's files by listing only the
// folders a file with that key can be in (a kind's folder, or its shard
// folder), so naming the ids of a diff reads a few small folders, not the
// whole tree; Has and Kind list the file's folder, and Paths every path on
// first use. An Index is not safe for concurrent use.
type Index struct {
	list func() ([]string, error) // every file path of the revision
	read func(path string) ([]byte, error)
	// folder, when set, lists the file paths at or below one folder (or
	// the one file) of the revision, for lookups by key without list.
	folder func(dir string) ([]string, error)
	dirs   map[string][]located // folder → its object files, from folder
	keys   map[string]keyMatch  // id → keyPaths' answer, from folder
	known  map[string]*layout.Kind

	loaded  bool
	listErr error
	paths   []string            // object files, sorted
	byKey   map[string][]string // normKey(key) → paths
	byFold  map[string][]string // lower-case key → paths
	kindOf  map[string]*layout.Kind
	objects map[string]*diff.Object
	failed  map[string]bool
	aliases map[string][]string // lower-case alias → paths; nil until needed
	names   map[string]string
	skipped []diff.Skipped
}

// located is an object file found by folder: its path, kind and key.
type located struct {
	path      string
	kind      *layout.Kind
	key, fold string // fold: the key in lower case
}

// keyMatch is what keyPaths found for one id.
type keyMatch struct{ exact, fold []string }

func newIndex(list func() ([]string, error), read func(string) ([]byte, error)) *Index {
	return &Index{list: list, read: read, objects: map[string]*diff.Object{}, failed: map[string]bool{}, names: map[string]string{}}
}

// Open indexes the revision rev (a commit id) of r.
func Open(ctx context.Context, r *snapshot.Repo, rev string) *Index {
	walk := func(prefix string) ([]string, error) {
		var paths []string
		err := r.Walk(ctx, rev, prefix, func(p string, _ plumbing.Hash) error {
			paths = append(paths, p)
			return nil
		})
		return paths, err
	}
	ix := newIndex(func() ([]string, error) { return walk("") },
		func(p string) ([]byte, error) { return r.ReadFile(ctx, rev, p) })
	ix.folder = walk
	return ix
}

// FromFiles indexes files in memory (path → YAML), such as a live read.
func FromFiles(files map[string][]byte) *Index {
	return newIndex(func() ([]string, error) {
		paths := make([]string, 0, len(files))
		for p := range files {
			paths = append(paths, p)
		}
		return paths, nil
	}, func(p string) ([]byte, error) { return files[p], nil })
}

// FromSnapshot indexes objects already decoded.
func FromSnapshot(s diff.Snapshot) *Index {
	ix := newIndex(func() ([]string, error) {
		paths := make([]string, 0, len(s))
		for p := range s {
			paths = append(paths, p)
		}
		return paths, nil
	}, nil)
	for p, o := range s {
		ix.objects[p] = o
	}
	return ix
}

func (ix *Index) load() error {
	if ix.loaded {
		return ix.listErr
	}
	ix.loaded = true
	all, err := ix.list()
	if err != nil {
		ix.listErr = err
		return err
	}
	ix.byKey = map[string][]string{}
	ix.byFold = map[string][]string{}
	ix.kindOf = map[string]*layout.Kind{}
	for _, p := range all {
		k, key, err := layout.Locate(p)
		if err != nil {
			continue
		}
		ix.paths = append(ix.paths, p)
		ix.kindOf[p] = k
		ix.byKey[normKey(key)] = append(ix.byKey[normKey(key)], p)
		ix.byFold[strings.ToLower(key)] = append(ix.byFold[strings.ToLower(key)], p)
	}
	sort.Strings(ix.paths)
	for _, m := range []map[string][]string{ix.byKey, ix.byFold} {
		for _, ps := range m {
			sort.Strings(ps)
		}
	}
	return nil
}

// normKey is how keys compare: GUIDs without regard to case, as Graph
// compares them; other keys exactly (two users may have keys that differ
// only in case).
func normKey(key string) string {
	if layout.IsGUID(key) {
		return strings.ToLower(key)
	}
	return key
}

// Paths returns every object file of the revision, sorted.
func (ix *Index) Paths() ([]string, error) {
	if err := ix.load(); err != nil {
		return nil, err
	}
	return ix.paths, nil
}

// Has reports whether p is an object file of the revision.
func (ix *Index) Has(p string) bool { return ix.Kind(p) != nil }

// Kind returns the kind of an object file of the revision (nil when p is
// none). Without the full list it lists only p's folder: a selector that is
// an id, asked first whether it is a path, costs no walk of the tree.
func (ix *Index) Kind(p string) *layout.Kind {
	if ix.loaded || ix.folder == nil {
		if ix.load() != nil {
			return nil
		}
		return ix.kindOf[p]
	}
	if k, ok := ix.known[p]; ok {
		return k
	}
	if _, _, err := layout.Locate(p); err != nil {
		return nil // not an object file's path: load would leave it out
	}
	dir := path.Dir(p)
	if dir == "." {
		dir = ""
	}
	files, err := ix.dir(dir)
	if err != nil {
		return nil
	}
	for _, f := range files {
		if f.path == p {
			ix.note(f.path, f.kind)
			return f.kind
		}
	}
	return nil
}

// Lookup returns the files of the objects whose key is id, or else (for a
// GUID) whose alias is id: an application's appId, a role definition's
// templateId, and a service principal's appId when no application has it.
// GUIDs compare without regard to case; another key compares exactly, or
// without regard to case when no key is exactly id (then every key that
// folds to it is returned).
func (ix *Index) Lookup(id string) ([]string, error) {
	exact, fold, err := ix.keyPaths(id)
	if err != nil {
		return nil, err
	}
	if len(exact) > 0 {
		return exact, nil
	}
	lid := strings.ToLower(id)
	if !layout.IsGUID(id) {
		return fold, nil
	}
	if ix.aliases == nil {
		aliases := map[string][]string{}
		for _, kind := range layout.AliasKinds() {
			ps, err := ix.kindPaths(kind)
			if err != nil {
				return nil, err
			}
			for _, p := range ps {
				o, err := ix.Object(p)
				if err != nil {
					continue
				}
				for _, a := range kind.AliasesOf(o.Key, o.Data) {
					la := strings.ToLower(a)
					aliases[la] = append(aliases[la], p)
				}
			}
		}
		ix.aliases = aliases
	}
	// The first alias kind that has the id wins (an application before
	// its service principal).
	ps := ix.aliases[lid]
	if len(ps) == 0 {
		return nil, nil
	}
	first := ix.kindAt(ps[0])
	var out []string
	for _, p := range ps {
		if ix.kindAt(p) == first {
			out = append(out, p)
		}
	}
	return out, nil
}

// keyPaths returns the files of the objects whose key is id (GUIDs
// without regard to case), and, for another key, those whose key folds to
// id's. Without the full list it looks only where a file keyed id can be:
// each kind's folder, or its shard folder for id (layout.Path).
func (ix *Index) keyPaths(id string) (exact, fold []string, err error) {
	if ix.loaded || ix.folder == nil {
		if err := ix.load(); err != nil {
			return nil, nil, err
		}
		return ix.byKey[normKey(id)], ix.byFold[strings.ToLower(id)], nil
	}
	if m, ok := ix.keys[id]; ok {
		return m.exact, m.fold, nil
	}
	guid, lid := layout.IsGUID(id), strings.ToLower(id)
	for _, k := range layout.Kinds() {
		probe := map[string]any{k.KeyProp(): id}
		if k.NameProp != "" {
			probe[k.NameProp] = "x"
		}
		p, err := layout.Path(k, probe)
		if err != nil {
			continue
		}
		dir := p
		if !k.Singleton {
			dir = path.Dir(p)
		}
		files, err := ix.dir(dir)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range files {
			if f.kind != k || f.fold != lid {
				continue
			}
			// normKey: GUIDs compare without regard to case, other keys
			// exactly.
			if f.key == id || guid && layout.IsGUID(f.key) {
				exact = append(exact, f.path)
			}
			fold = append(fold, f.path)
			ix.note(f.path, f.kind)
		}
	}
	sort.Strings(exact)
	sort.Strings(fold)
	if ix.keys == nil {
		ix.keys = map[string]keyMatch{}
	}
	ix.keys[id] = keyMatch{exact, fold}
	return exact, fold, nil
}

// note remembers the kind of a file a lookup found.
func (ix *Index) note(p string, k *layout.Kind) {
	if ix.known == nil {
		ix.known = map[string]*layout.Kind{}
	}
	ix.known[p] = k
}

// dir lists the object files at or below dir (a folder or one file) once.
func (ix *Index) dir(dir string) ([]located, error) {
	if fs, ok := ix.dirs[dir]; ok {
		return fs, nil
	}
	paths, err := ix.folder(dir)
	if err != nil {
		return nil, err
	}
	// The files found are remembered as known (kindAt, Object) only when a
	// lookup returns them (note): a diff of a large tenant lists most of
	// the users' shard folders to name its ids, 100,000 files, and keeping
	// each in a map was a tenth of the listing's cost (issue 12, row e1).
	fs := make([]located, 0, len(paths))
	for _, p := range paths {
		k, key, err := layout.Locate(p)
		if err != nil {
			continue
		}
		fs = append(fs, located{path: p, kind: k, key: key, fold: strings.ToLower(key)})
	}
	if ix.dirs == nil {
		ix.dirs = map[string][]located{}
	}
	ix.dirs[dir] = fs
	return fs, nil
}

// kindPaths returns the object files of kind k, sorted.
func (ix *Index) kindPaths(k *layout.Kind) ([]string, error) {
	var out []string
	if ix.loaded || ix.folder == nil {
		if err := ix.load(); err != nil {
			return nil, err
		}
		for _, p := range ix.paths {
			if ix.kindOf[p] == k {
				out = append(out, p)
			}
		}
		return out, nil
	}
	dir := k.Folder
	if k.Singleton {
		dir = k.Root()
	}
	files, err := ix.dir(dir)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if f.kind == k {
			out = append(out, f.path)
			ix.note(f.path, f.kind)
		}
	}
	sort.Strings(out)
	return out, nil
}

// kindAt is the kind of an object file found by any lookup.
func (ix *Index) kindAt(p string) *layout.Kind {
	if k, ok := ix.known[p]; ok {
		return k
	}
	return ix.Kind(p)
}

// Object decodes the object file at p. A file that cannot be decoded is
// an error naming it, and is listed by Skipped.
func (ix *Index) Object(p string) (*diff.Object, error) {
	if o, ok := ix.objects[p]; ok {
		return o, nil
	}
	k, ok := ix.known[p]
	if !ok {
		if err := ix.load(); err != nil {
			return nil, err
		}
		k, ok = ix.kindOf[p]
	}
	if !ok || ix.read == nil {
		return nil, &NotFoundError{Path: p}
	}
	data, err := ix.read(p)
	if err != nil {
		return nil, err
	}
	obj, err := layout.Decode(data)
	if err != nil {
		if !ix.failed[p] {
			ix.failed[p] = true
			ix.skipped = append(ix.skipped, diff.Skipped{Path: p, Reason: err.Error()})
		}
		return nil, err
	}
	_, key, _ := layout.Locate(p)
	o := &diff.Object{Path: p, Kind: k, Key: key, Data: obj}
	ix.objects[p] = o
	return o, nil
}

// Name implements diff.Resolver: the display name of the object an id
// (or alias) names, reading its file once.
func (ix *Index) Name(id string) (string, bool) {
	lid := normKey(id)
	if n, ok := ix.names[lid]; ok {
		return n, n != ""
	}
	n := ""
	if ps, err := ix.Lookup(id); err == nil && len(ps) > 0 {
		if o, err := ix.Object(ps[0]); err == nil {
			n, _ = diff.DisplayName(o.Data)
		}
	}
	ix.names[lid] = n
	return n, n != ""
}

// hasKey reports whether an object of the revision has the key id.
func (ix *Index) hasKey(id string) bool {
	exact, _, err := ix.keyPaths(id)
	return err == nil && len(exact) > 0
}

// Skipped lists the files Object could not decode, in the order met.
func (ix *Index) Skipped() []diff.Skipped { return ix.skipped }

// NotFoundError: no object file at this path.
type NotFoundError struct{ Path string }

func (e *NotFoundError) Error() string { return e.Path + " is not an object file of this revision" }

// Chain asks each resolver in turn (the newer snapshot first). An id that
// is some index's key is named from its file before any index reads the
// files that hold aliases.
type Chain []diff.Resolver

// keyed is an *Index, or a type that embeds one.
type keyed interface{ hasKey(id string) bool }

// Name implements diff.Resolver.
func (c Chain) Name(id string) (string, bool) {
	for _, r := range c {
		if ix, ok := r.(keyed); ok && ix.hasKey(id) {
			if n, ok := r.Name(id); ok {
				return n, true
			}
		}
	}
	for _, r := range c {
		if n, ok := r.Name(id); ok {
			return n, true
		}
	}
	return "", false
}
