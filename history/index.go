package history

import (
	"context"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"

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
	// folders, when set, lists the files at or below each of some
	// folders (or files) of the revision, for lookups by key without list.
	folders func(dirs []string) ([][]fileRef, error)
	// blobs reads files by blob id on every CPU (snapshot.Repo.ReadBlobs),
	// for Prefetch.
	blobs func(hs []plumbing.Hash, fn func(i int, data []byte, err error)) error
	dirs  map[string][]fileRef // folder → its files, from folders
	keys  map[string]keyMatch  // id → keyPaths' answer, from folders
	known map[string]*layout.Kind
	// blobAt: the blob ids of the files known (from folders).
	blobAt map[string]plumbing.Hash
	// pre: files read and decoded ahead by Prefetch, not yet asked for.
	pre map[string]decoded

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

// located is an object file found by folders: its path, blob id, kind
// and key.
type located struct {
	path      string
	blob      plumbing.Hash
	kind      *layout.Kind
	key, fold string // fold: the key in lower case
}

// fileRef is a file as folders lists it: the folder that holds it, its
// name there and its blob.
type fileRef = snapshot.FolderFile

// decoded is a file read and decoded by Prefetch: its object, or the
// error decoding it.
type decoded struct {
	obj map[string]any
	err error
}

// keyMatch is what keyPaths found for one id.
type keyMatch struct{ exact, fold []string }

func newIndex(list func() ([]string, error), read func(string) ([]byte, error)) *Index {
	return &Index{list: list, read: read, objects: map[string]*diff.Object{}, failed: map[string]bool{}, names: map[string]string{}}
}

// Open indexes the revision rev (a commit id) of r.
func Open(ctx context.Context, r *snapshot.Repo, rev string) *Index {
	ix := newIndex(func() ([]string, error) {
		var paths []string
		err := r.Walk(ctx, rev, "", func(p string, _ plumbing.Hash) error {
			paths = append(paths, p)
			return nil
		})
		return paths, err
	}, func(p string) ([]byte, error) { return r.ReadFile(ctx, rev, p) })
	ix.folders = func(dirs []string) ([][]fileRef, error) {
		return r.ListFolders(ctx, rev, dirs, runtime.GOMAXPROCS(0))
	}
	ix.blobs = func(hs []plumbing.Hash, fn func(i int, data []byte, err error)) error {
		return r.ReadBlobs(ctx, hs, runtime.GOMAXPROCS(0), fn)
	}
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
	if ix.loaded || ix.folders == nil {
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
		if f.Path() == p {
			if l, ok := locate(f); ok {
				ix.note(l)
				return l.kind
			}
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
	if ix.loaded || ix.folders == nil {
		if err := ix.load(); err != nil {
			return nil, nil, err
		}
		return ix.byKey[normKey(id)], ix.byFold[strings.ToLower(id)], nil
	}
	if m, ok := ix.keys[id]; ok {
		return m.exact, m.fold, nil
	}
	guid, lid := layout.IsGUID(id), strings.ToLower(id)
	for _, pr := range probes(id) {
		files, err := ix.dir(pr.dir)
		if err != nil {
			return nil, nil, err
		}
		for _, ref := range files {
			if !mayHoldKey(ref.Name, lid) {
				continue
			}
			f, ok := locate(ref)
			if !ok || f.kind != pr.kind || f.fold != lid {
				continue
			}
			// normKey: GUIDs compare without regard to case, other keys
			// exactly.
			if f.key == id || guid && layout.IsGUID(f.key) {
				exact = append(exact, f.path)
			}
			fold = append(fold, f.path)
			ix.note(f)
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

// probe is a folder (or a singleton's file) where a file of kind keyed by
// some id can be.
type probe struct {
	kind *layout.Kind
	dir  string
}

// probes lists, kind by kind, where a file keyed id can be: the kind's
// folder, or its shard folder for id (layout.Path).
func probes(id string) []probe {
	if id == "" || len(id) > maxPlainProbe {
		return probesOf(layout.Kinds(), id)
	}
	// Only a sharded kind's folder depends on a short id: the others' are
	// the same for every id (computing each kind's path for each id named
	// was a twentieth of a large diff's CPU).
	plainOnce.Do(func() { plainProbes = probesOf(layout.Kinds(), "x") })
	out := make([]probe, 0, len(plainProbes))
	for _, pr := range plainProbes {
		if pr.kind.Shard {
			out = append(out, probesOf([]*layout.Kind{pr.kind}, id)...)
		} else {
			out = append(out, pr)
		}
	}
	return out
}

// maxPlainProbe is the longest id whose path no kind refuses (an escaped
// key is at most three times the id's length, and layout.Path refuses one
// that leaves no room in a file name of 255 bytes).
const maxPlainProbe = 60

var (
	plainOnce   sync.Once
	plainProbes []probe // every kind's, for a short id
)

// probesOf is probes for the kinds ks.
func probesOf(ks []*layout.Kind, id string) []probe {
	var out []probe
	for _, k := range ks {
		obj := map[string]any{k.KeyProp(): id}
		if k.NameProp != "" {
			obj[k.NameProp] = "x"
		}
		p, err := layout.Path(k, obj)
		if err != nil {
			continue
		}
		dir := p
		if !k.Singleton {
			dir = path.Dir(p)
		}
		out = append(out, probe{k, dir})
	}
	return out
}

// note remembers the kind and blob of a file a lookup found.
func (ix *Index) note(f located) {
	if ix.known == nil {
		ix.known = map[string]*layout.Kind{}
		ix.blobAt = map[string]plumbing.Hash{}
	}
	ix.known[f.path] = f.kind
	ix.blobAt[f.path] = f.blob
}

// dir lists the files at or below dir (a folder or one file) once.
func (ix *Index) dir(dir string) ([]fileRef, error) {
	if fs, ok := ix.dirs[dir]; ok {
		return fs, nil
	}
	if err := ix.listDirs([]string{dir}); err != nil {
		return nil, err
	}
	return ix.dirs[dir], nil
}

// listDirs lists the folders dirs not listed yet, all at once (their trees
// read on every CPU: snapshot.Repo.ListFolders).
func (ix *Index) listDirs(dirs []string) error {
	var todo []string
	seen := map[string]bool{}
	for _, d := range dirs {
		if _, ok := ix.dirs[d]; !ok && !seen[d] {
			seen[d] = true
			todo = append(todo, d)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	listed, err := ix.folders(todo)
	if err != nil {
		return err
	}
	if ix.dirs == nil {
		ix.dirs = map[string][]fileRef{}
	}
	for i, refs := range listed {
		ix.dirs[todo[i]] = refs
	}
	return nil
}

// locate is the kind and key of the object file f (false: f is no object
// file). The files listed are located only when a lookup may want them,
// and remembered only when it returns them (note): a diff of a large
// tenant lists hundreds of the users' shard folders to name its ids, and
// locating each of their files, then keeping it in a map, was a tenth of
// the diff's CPU (issue 12, row e1).
func locate(f fileRef) (located, bool) {
	p := f.Path()
	k, key, err := layout.Locate(p)
	if err != nil {
		return located{}, false
	}
	return located{path: p, blob: f.Blob, kind: k, key: key, fold: strings.ToLower(key)}, true
}

// mayHoldKey reports whether the file named name can be an object's whose
// key folds to lid (lower case), without locating it: layout.Path ends a
// file name with the key and ".yaml", the key as it is but for the bytes
// it escapes as ~XX (every byte but ASCII letters, digits, '_', '-' and
// '.'), so in a name without '~' the key is all ASCII and folds to lid only
// if the name ends with lid+".yaml" in some case.
func mayHoldKey(name, lid string) bool {
	if strings.IndexByte(name, '~') >= 0 {
		return true
	}
	const ext = ".yaml"
	n := len(name) - len(ext) - len(lid)
	if n < 0 || name[len(name)-len(ext):] != ext {
		return false
	}
	for i := range len(lid) {
		c := name[n+i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lid[i] {
			return false
		}
	}
	return true
}

// kindPaths returns the object files of kind k, sorted.
func (ix *Index) kindPaths(k *layout.Kind) ([]string, error) {
	var out []string
	if ix.loaded || ix.folders == nil {
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
	for _, ref := range files {
		if f, ok := locate(ref); ok && f.kind == k {
			out = append(out, f.path)
			ix.note(f)
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
	var obj map[string]any
	var err error
	if d, ok := ix.pre[p]; ok {
		delete(ix.pre, p)
		obj, err = d.obj, d.err
	} else {
		var data []byte
		if data, err = ix.read(p); err != nil {
			return nil, err
		}
		obj, err = layout.Decode(data)
	}
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
