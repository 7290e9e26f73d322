package history

import (
	"context"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// Index knows the object files of one revision by key and by alias. It
// lists the paths on first use and decodes a file only when its object is
// asked for, so a diff that names nothing never reads the older tree. An
// Index is not safe for concurrent use.
type Index struct {
	list func() ([]string, error) // every file path of the revision
	read func(path string) ([]byte, error)

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

func newIndex(list func() ([]string, error), read func(string) ([]byte, error)) *Index {
	return &Index{list: list, read: read, objects: map[string]*diff.Object{}, failed: map[string]bool{}, names: map[string]string{}}
}

// Open indexes the revision rev (a commit id) of r.
func Open(ctx context.Context, r *snapshot.Repo, rev string) *Index {
	return newIndex(func() ([]string, error) {
		var paths []string
		err := r.Walk(ctx, rev, "", func(p string, _ plumbing.Hash) error {
			paths = append(paths, p)
			return nil
		})
		return paths, err
	}, func(p string) ([]byte, error) { return r.ReadFile(ctx, rev, p) })
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
func (ix *Index) Has(p string) bool {
	if ix.load() != nil {
		return false
	}
	_, ok := ix.kindOf[p]
	return ok
}

// Kind returns the kind of an object file of the revision.
func (ix *Index) Kind(p string) *layout.Kind {
	if ix.load() != nil {
		return nil
	}
	return ix.kindOf[p]
}

// Lookup returns the files of the objects whose key is id, or else (for a
// GUID) whose alias is id: an application's appId, a role definition's
// templateId, and a service principal's appId when no application has it.
// GUIDs compare without regard to case; another key compares exactly, or
// without regard to case when no key is exactly id (then every key that
// folds to it is returned).
func (ix *Index) Lookup(id string) ([]string, error) {
	if err := ix.load(); err != nil {
		return nil, err
	}
	if ps := ix.byKey[normKey(id)]; len(ps) > 0 {
		return ps, nil
	}
	lid := strings.ToLower(id)
	if !layout.IsGUID(id) {
		return ix.byFold[lid], nil
	}
	if ix.aliases == nil {
		ix.aliases = map[string][]string{}
		for _, kind := range layout.AliasKinds() {
			for _, p := range ix.paths {
				if ix.kindOf[p] != kind {
					continue
				}
				o, err := ix.Object(p)
				if err != nil {
					continue
				}
				for _, a := range kind.AliasesOf(o.Key, o.Data) {
					la := strings.ToLower(a)
					ix.aliases[la] = append(ix.aliases[la], p)
				}
			}
		}
	}
	// The first alias kind that has the id wins (an application before
	// its service principal).
	ps := ix.aliases[lid]
	if len(ps) == 0 {
		return nil, nil
	}
	first := ix.kindOf[ps[0]]
	var out []string
	for _, p := range ps {
		if ix.kindOf[p] == first {
			out = append(out, p)
		}
	}
	return out, nil
}

// Object decodes the object file at p. A file that cannot be decoded is
// an error naming it, and is listed by Skipped.
func (ix *Index) Object(p string) (*diff.Object, error) {
	if o, ok := ix.objects[p]; ok {
		return o, nil
	}
	if err := ix.load(); err != nil {
		return nil, err
	}
	k, ok := ix.kindOf[p]
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

// Skipped lists the files Object could not decode, in the order met.
func (ix *Index) Skipped() []diff.Skipped { return ix.skipped }

// NotFoundError: no object file at this path.
type NotFoundError struct{ Path string }

func (e *NotFoundError) Error() string { return e.Path + " is not an object file of this revision" }

// Chain asks each resolver in turn (the newer snapshot first). An id that
// is some index's key is named from its file before any index reads the
// files that hold aliases.
type Chain []diff.Resolver

// Name implements diff.Resolver.
func (c Chain) Name(id string) (string, bool) {
	for _, r := range c {
		if ix, ok := r.(*Index); ok && ix.load() == nil && len(ix.byKey[normKey(id)]) > 0 {
			if n, ok := ix.Name(id); ok {
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
