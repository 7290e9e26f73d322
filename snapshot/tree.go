package snapshot

import (
	"crypto/sha1"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// tEntry is one entry of a git tree.
type tEntry struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func (e tEntry) isTree() bool { return e.mode == filemode.Dir }

// sortKey is the name git sorts a tree entry by: a tree sorts as name+"/".
func (e tEntry) sortKey() string {
	if e.isTree() {
		return e.name + "/"
	}
	return e.name
}

// sortEntries puts entries in the order git requires inside a tree object.
func sortEntries(es []tEntry) {
	sort.Slice(es, func(i, j int) bool { return es[i].sortKey() < es[j].sortKey() })
}

// encodeTree returns the body of a tree object for entries already sorted.
func encodeTree(es []tEntry) []byte {
	n := 0
	for _, e := range es {
		n += 7 + len(e.name) + 1 + 20
	}
	b := make([]byte, 0, n)
	for _, e := range es {
		b = strconv.AppendUint(b, uint64(e.mode), 8)
		b = append(b, ' ')
		b = append(b, e.name...)
		b = append(b, 0)
		b = append(b, e.hash[:]...)
	}
	return b
}

// objectHash is the git object id of an object of type t with body data.
func objectHash(t plumbing.ObjectType, data []byte) plumbing.Hash {
	h := sha1.New()
	h.Write(t.Bytes())
	h.Write([]byte{' '})
	h.Write(strconv.AppendInt(nil, int64(len(data)), 10))
	h.Write([]byte{0})
	h.Write(data)
	var out plumbing.Hash
	copy(out[:], h.Sum(nil))
	return out
}

// emptyTreeHash is the id of the tree with no entries.
var emptyTreeHash = objectHash(plumbing.TreeObject, nil)

// dirNode is a folder of the tree being built in memory.
type dirNode struct {
	files map[string]tEntry
	dirs  map[string]*dirNode

	preset bool // a subtree carried from the parent by hash; no children
	hash   plumbing.Hash
	// entries and data are the sorted entries and encoded body, set by hashTree.
	entries []tEntry
	data    []byte
}

func newDir() *dirNode {
	return &dirNode{files: map[string]tEntry{}, dirs: map[string]*dirNode{}}
}

// validPath checks a file path of the desired tree: slash separated,
// relative, no empty, "." or ".." segment, no segment git refuses (.git in
// any case, and its NTFS short name), no NUL, valid UTF-8.
func validPath(p string) error {
	if p == "" {
		return fmt.Errorf("empty path")
	}
	if !utf8.ValidString(p) {
		return fmt.Errorf("path %q is not valid UTF-8", p)
	}
	if strings.ContainsRune(p, 0) {
		return fmt.Errorf("path %q contains a NUL byte", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if err := validName(seg); err != nil {
			return fmt.Errorf("path %q: %w", p, err)
		}
	}
	return nil
}

func validName(seg string) error {
	switch {
	case seg == "":
		return fmt.Errorf("empty segment (leading, trailing or double slash)")
	case seg == "." || seg == "..":
		return fmt.Errorf("segment %q is not allowed", seg)
	}
	trimmed := strings.TrimRight(seg, ". ")
	if strings.EqualFold(trimmed, ".git") || strings.EqualFold(seg, "git~1") {
		return fmt.Errorf("segment %q is reserved by git", seg)
	}
	return nil
}

// cleanPrefix normalises a path or folder prefix given by a caller: no
// leading or trailing slashes, "./" dropped; "" means the whole tree.
func cleanPrefix(p string) string {
	p = strings.TrimPrefix(p, "./")
	p = strings.Trim(p, "/")
	if p == "." {
		return ""
	}
	return p
}

// insertFile adds a file to the tree rooted at root.
func insertFile(root *dirNode, p string, e tEntry) error {
	segs := strings.Split(p, "/")
	d := root
	for i, seg := range segs[:len(segs)-1] {
		if _, isFile := d.files[seg]; isFile {
			return fmt.Errorf("path %q: %q is a file and a folder", p, strings.Join(segs[:i+1], "/"))
		}
		sub := d.dirs[seg]
		if sub == nil {
			sub = newDir()
			d.dirs[seg] = sub
		} else if sub.preset {
			return fmt.Errorf("path %q is inside carried folder %q", p, strings.Join(segs[:i+1], "/"))
		}
		d = sub
	}
	name := segs[len(segs)-1]
	if _, isDir := d.dirs[name]; isDir {
		return fmt.Errorf("path %q: %q is a file and a folder", p, p)
	}
	if _, dup := d.files[name]; dup {
		return fmt.Errorf("path %q given twice", p)
	}
	e.name = name
	d.files[name] = e
	return nil
}

// insertCarried places entry e (a blob or a subtree from the parent) at path p.
func insertCarried(root *dirNode, p string, e tEntry) error {
	segs := strings.Split(p, "/")
	d := root
	for i, seg := range segs[:len(segs)-1] {
		if _, isFile := d.files[seg]; isFile {
			return fmt.Errorf("carried path %q: %q is a file in Files", p, strings.Join(segs[:i+1], "/"))
		}
		sub := d.dirs[seg]
		if sub == nil {
			sub = newDir()
			d.dirs[seg] = sub
		} else if sub.preset {
			return nil // already carried by an enclosing prefix
		}
		d = sub
	}
	name := segs[len(segs)-1]
	if _, ok := d.files[name]; ok {
		return fmt.Errorf("path %q is both in Files and under a Carry prefix", p)
	}
	if sub, ok := d.dirs[name]; ok {
		if sub.preset {
			return nil
		}
		return fmt.Errorf("files under %q are both in Files and under a Carry prefix (e.g. %q)", p, p+"/"+firstPath(sub))
	}
	e.name = name
	if e.isTree() {
		d.dirs[name] = &dirNode{preset: true, hash: e.hash}
	} else {
		d.files[name] = e
	}
	return nil
}

func firstPath(d *dirNode) string {
	var names []string
	for n := range d.files {
		names = append(names, n)
	}
	for n := range d.dirs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	n := names[0]
	if sub, ok := d.dirs[n]; ok && !sub.preset {
		if rest := firstPath(sub); rest != "" {
			return n + "/" + rest
		}
	}
	return n
}

// hashTree computes the ids of d and every folder below it, bottom-up,
// recording each new tree in trees.
func hashTree(d *dirNode, trees map[plumbing.Hash]*dirNode) plumbing.Hash {
	if d.preset {
		return d.hash
	}
	es := make([]tEntry, 0, len(d.files)+len(d.dirs))
	for _, e := range d.files {
		es = append(es, e)
	}
	for name, sub := range d.dirs {
		es = append(es, tEntry{name: name, mode: filemode.Dir, hash: hashTree(sub, trees)})
	}
	sortEntries(es)
	d.entries = es
	d.files = nil // (entries hold them now: one copy a file, not two)
	d.data = encodeTree(es)
	d.hash = objectHash(plumbing.TreeObject, d.data)
	trees[d.hash] = d
	return d.hash
}

// hashBlobs computes the blob id of every content, in parallel.
func hashBlobs(contents [][]byte) []plumbing.Hash {
	out := make([]plumbing.Hash, len(contents))
	workers := runtime.GOMAXPROCS(0)
	if workers > 8 {
		workers = 8
	}
	if len(contents) < 256 || workers < 2 {
		for i, c := range contents {
			out[i] = objectHash(plumbing.BlobObject, c)
		}
		return out
	}
	var wg sync.WaitGroup
	chunk := (len(contents) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, (w+1)*chunk
		if hi > len(contents) {
			hi = len(contents)
		}
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				out[i] = objectHash(plumbing.BlobObject, contents[i])
			}
		}(lo, hi)
	}
	wg.Wait()
	return out
}
