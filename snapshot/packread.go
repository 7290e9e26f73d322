package snapshot

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/klauspost/compress/zlib"
)

// packSetLocked returns the repository's pack indexes, read on first use
// (and again after the pack folder changed); nil when its store is not a
// folder. Callers hold r.mu.
func (r *Repo) packSetLocked() *packSet {
	if r.packs == nil {
		if _, ok := r.repo.Storer.(*filesystem.Storage); !ok {
			return nil
		}
		r.packs = loadPackSet(filepath.Join(r.commonDir, "objects", "pack"))
		r.preader = r.packs.reader()
		r.reads.packIndexLoads.Add(1)
	}
	return r.packs
}

// packObject reads object h, of type want, straight from a pack: errNotHere
// when it is not a whole object of one (read it through go-git), a
// *FileTooLargeError for a blob over limit. Callers hold r.mu.
func (r *Repo) packObject(h plumbing.Hash, want plumbing.ObjectType, limit int64) ([]byte, error) {
	if r.packSetLocked() == nil {
		return nil, errNotHere
	}
	return r.preader.read(h, want, limit)
}

// packSet reads whole objects straight from the repository's pack files:
// the index finds the object, its header says its type and size, and its
// zlib stream is inflated from a buffered reader into a slice of that
// size. Every read of a blob, a tree, a commit or a tag goes here first
// (Repo.packObject); anything it cannot read (a delta, a loose object, an
// object in a pack whose index it could not parse, a damaged stream) is
// read through go-git, which reports its errors as before.
//
// go-git's packfile reader, which every read used before, costs three
// things a diff of a large snapshot paid (issue 12, rows e1 and e3): it
// inflates through a reader that hands the decompressor one byte per
// interface call into an object that grows as it is written; it finds an
// object's id from its offset through a map of every object of the pack,
// built on the first read of each command (about 80 ms at 100,000 users);
// and it reopens the pack through a path resolution that stats every
// folder. Here each .idx is read once per repository (until the pack
// folder changes: Repo.refresh) and searched in place, as git does: no
// map, no decoding of its entries.
type packSet struct {
	packs   []*packFile
	objects string // the objects folder, for loose objects ("": none read)

	mu   sync.Mutex
	free []*packReader // released readers (reader)
}

// packFile is one pack: its index, and its .pack file, opened on the first
// read of a call and closed when the call ends (Repo.unlock), so that no
// pack file stays open between calls and git gc may replace them.
type packFile struct {
	idx  *packIndex
	path string // the .pack

	mu  sync.Mutex // ReadBlobs' readers open it concurrently
	f   *os.File
	bad bool // could not be opened: its objects are read through go-git
}

// loadPackSet reads the indexes of the packs in dir (objects/pack); a
// pack whose index is missing, not version 2 or not well formed is left
// out (go-git reads its objects).
func loadPackSet(dir string) *packSet {
	ps := &packSet{objects: filepath.Dir(dir)}
	idxs, _ := filepath.Glob(filepath.Join(dir, "pack-*.idx"))
	for _, ip := range idxs {
		data, err := os.ReadFile(ip)
		if err != nil {
			continue
		}
		idx, ok := parsePackIndex(data)
		if !ok {
			continue
		}
		ps.packs = append(ps.packs, &packFile{idx: idx, path: strings.TrimSuffix(ip, ".idx") + ".pack"})
	}
	return ps
}

// closeFiles closes the pack files opened since the last call; the
// indexes stay loaded.
func (ps *packSet) closeFiles() {
	for _, p := range ps.packs {
		p.mu.Lock()
		if p.f != nil {
			p.f.Close()
			p.f = nil
		}
		p.bad = false
		p.mu.Unlock()
	}
}

// file is p's pack file, opened once per call; nil if it cannot be.
func (p *packFile) file() *os.File {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil && !p.bad {
		f, err := os.Open(p.path)
		if err != nil {
			p.bad = true
			return nil
		}
		p.f = f
	}
	return p.f
}

// withPrefix returns the ids of the packed objects whose id begins with
// the bytes prefix, sorted, each once.
func (ps *packSet) withPrefix(prefix []byte) []plumbing.Hash {
	var out []plumbing.Hash
	for _, p := range ps.packs {
		out = p.idx.withPrefix(prefix, out)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i][:], out[j][:]) < 0 })
	return slicesCompact(out)
}

func slicesCompact(hs []plumbing.Hash) []plumbing.Hash {
	if len(hs) < 2 {
		return hs
	}
	out := hs[:1]
	for _, h := range hs[1:] {
		if h != out[len(out)-1] {
			out = append(out, h)
		}
	}
	return out
}

// packIndex is a pack index file (version 2) as read, searched in place:
// a header, 256 fan-out counts, the sorted object ids, their CRCs, their
// 4-byte offsets (the high bit set: an index into the 8-byte offsets that
// follow), then the pack's and the index's checksums
// (git-scm.com/docs/gitformat-pack, "Version 2 pack-*.idx files").
type packIndex struct {
	data   []byte
	n      int // objects
	names  int // where each table starts in data
	offs   int
	large  int
	nlarge int
}

var idxMagic = []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}

// parsePackIndex checks data's shape (nothing read from disk is trusted:
// every later read stays inside data) and returns its index.
func parsePackIndex(data []byte) (*packIndex, bool) {
	const head = 8 + 256*4
	if len(data) < head+40 || !bytes.Equal(data[:8], idxMagic) {
		return nil, false
	}
	prev := uint32(0)
	for i := range 256 {
		c := binary.BigEndian.Uint32(data[8+4*i:])
		if c < prev {
			return nil, false
		}
		prev = c
	}
	n := int(prev)
	if n > (len(data)-head-40)/28 {
		return nil, false
	}
	x := &packIndex{data: data, n: n, names: head, offs: head + 24*n, large: head + 28*n}
	rest := len(data) - 40 - x.large
	if rest%8 != 0 {
		return nil, false
	}
	x.nlarge = rest / 8
	return x, true
}

func (x *packIndex) fanout(b int) int {
	if b < 0 {
		return 0
	}
	return int(binary.BigEndian.Uint32(x.data[8+4*b:]))
}

func (x *packIndex) name(i int) []byte { return x.data[x.names+20*i : x.names+20*i+20] }

// find returns the offset in the pack of object h.
func (x *packIndex) find(h plumbing.Hash) (int64, bool) {
	lo, hi := x.fanout(int(h[0])-1), x.fanout(int(h[0]))
	i := lo + sort.Search(hi-lo, func(i int) bool { return bytes.Compare(x.name(lo+i), h[:]) >= 0 })
	if i >= hi || !bytes.Equal(x.name(i), h[:]) {
		return 0, false
	}
	o := binary.BigEndian.Uint32(x.data[x.offs+4*i:])
	if o&0x80000000 == 0 {
		return int64(o), true
	}
	j := int(o & 0x7fffffff)
	if j >= x.nlarge {
		return 0, false
	}
	off := binary.BigEndian.Uint64(x.data[x.large+8*j:])
	if off > 1<<62 {
		return 0, false
	}
	return int64(off), true
}

// withPrefix appends to out the ids that begin with prefix (at most 20
// bytes), found by binary search in the sorted ids.
func (x *packIndex) withPrefix(prefix []byte, out []plumbing.Hash) []plumbing.Hash {
	if len(prefix) == 0 || len(prefix) > 20 {
		return out
	}
	lo, hi := x.fanout(int(prefix[0])-1), x.fanout(int(prefix[0]))
	i := lo + sort.Search(hi-lo, func(i int) bool { return bytes.Compare(x.name(lo+i), prefix) >= 0 })
	for ; i < hi && bytes.HasPrefix(x.name(i), prefix); i++ {
		var h plumbing.Hash
		copy(h[:], x.name(i))
		out = append(out, h)
	}
	return out
}

// packReader is one reader's buffers over a packSet.
type packReader struct {
	ps  *packSet
	br  *bufio.Reader // headers and small objects
	big *bufio.Reader // objects over bigObject, made on the first
	zr  io.ReadCloser
}

// reader is a packReader, one its last user gave back (release) or a new
// one: the readers of a diff's parallel reads (a few calls, each on every
// CPU) reuse their inflaters and buffers (about 50 KB each) instead of
// touching fresh memory. Its small buffer is 4 KB: a file export writes
// takes a few hundred bytes to a few KB compressed, and each read fills
// the buffer from the object's offset (16 KB read 2 GB for 125,000 files).
func (ps *packSet) reader() *packReader {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if n := len(ps.free); n > 0 {
		pr := ps.free[n-1]
		ps.free = ps.free[:n-1]
		return pr
	}
	return &packReader{ps: ps, br: bufio.NewReaderSize(nil, 4<<10)}
}

// release gives pr back to its packSet for the next reader.
func (pr *packReader) release() {
	pr.br.Reset(nil)
	if pr.big != nil {
		pr.big.Reset(nil)
	}
	pr.ps.mu.Lock()
	defer pr.ps.mu.Unlock()
	pr.ps.free = append(pr.ps.free, pr)
}

// bigObject is the size from which an object is inflated from a reader of
// 64 KB (at most as much as it can take compressed, plus an eighth),
// not 4 KB at a time: a diff of a large tenant reads hundreds of shard
// folders of 20 to 50 KB and the changed groups' files, some of MBs.
const bigObject = 16 << 10

// errNotHere: the object is not a whole object of these packs; read it
// another way.
var errNotHere = errors.New("not a whole object of the open packs")

// errWrongType: the object is a whole object of these packs, of another
// type than the one asked for.
var errWrongType = errors.New("an object of another type")

// read returns the content of object h, which must be of type want, a
// *FileTooLargeError (not inflated) if it is larger than limit, or
// errNotHere.
func (pr *packReader) read(h plumbing.Hash, want plumbing.ObjectType, limit int64) ([]byte, error) {
	return pr.readTo(nil, h, want, limit)
}

// readTo is read into dst when it has room for the content (the result is
// then dst[:size]), into a new slice otherwise.
func (pr *packReader) readTo(dst []byte, h plumbing.Hash, want plumbing.ObjectType, limit int64) ([]byte, error) {
	for _, p := range pr.ps.packs {
		off, ok := p.idx.find(h)
		if !ok {
			continue
		}
		f := p.file()
		if f == nil {
			return nil, errNotHere
		}
		pr.br.Reset(io.NewSectionReader(f, off, 1<<62))
		b, err := pr.br.ReadByte()
		if err != nil {
			return nil, errNotHere
		}
		typ, size, shift, head := (b>>4)&7, int64(b&15), 4, int64(1)
		for b&0x80 != 0 {
			if b, err = pr.br.ReadByte(); err != nil || shift > 56 {
				return nil, errNotHere
			}
			size |= int64(b&0x7f) << shift
			shift, head = shift+7, head+1
		}
		if t := plumbing.ObjectType(typ); t != want {
			if t == plumbing.OFSDeltaObject || t == plumbing.REFDeltaObject {
				return nil, errNotHere // go-git resolves it
			}
			return nil, errWrongType
		}
		if err := tooLarge(want, size, limit); err != nil {
			return nil, err
		}
		src := pr.br
		if size > bigObject { // (a stream longer than this bound: errNotHere)
			if pr.big == nil {
				pr.big = bufio.NewReaderSize(nil, 64<<10)
			}
			pr.big.Reset(io.NewSectionReader(f, off+head, size+size/8+1024))
			src = pr.big
		}
		if !pr.inflate(src) {
			return nil, errNotHere
		}
		return pr.content(dst, size)
	}
	return pr.loose(dst, h, want, limit)
}

// tooLarge is a *FileTooLargeError for a blob over limit, errNotHere for
// another object over it (go-git reads a tree or commit of any size, as
// before), nil otherwise.
func tooLarge(want plumbing.ObjectType, size, limit int64) error {
	switch {
	case size <= limit:
		return nil
	case want != plumbing.BlobObject:
		return errNotHere
	}
	return &FileTooLargeError{Size: size, Limit: limit}
}

// inflate starts pr's zlib reader on src, one of its buffered readers.
func (pr *packReader) inflate(src *bufio.Reader) bool {
	if pr.zr == nil {
		zr, err := zlib.NewReader(src)
		pr.zr = zr
		return err == nil
	}
	return pr.zr.(zlib.Resetter).Reset(src, nil) == nil
}

// content reads the rest of the zlib stream, which must be size bytes and
// end there, its checksum right, into dst if it has room.
func (pr *packReader) content(dst []byte, size int64) ([]byte, error) {
	var data []byte
	if dst != nil && int64(cap(dst)) >= size { // (an empty file is an empty slice, not nil)
		data = dst[:size]
	} else {
		data = make([]byte, size)
	}
	if _, err := io.ReadFull(pr.zr, data); err != nil {
		return nil, errNotHere
	}
	if n, err := pr.zr.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		return nil, errNotHere
	}
	return data, nil
}

// loose reads object h from its loose file (objects/xx/…: a zlib stream of
// "TYPE SIZE\0" and the content), as export writes a small snapshot's
// objects; errNotHere when there is none or it is not well formed.
func (pr *packReader) loose(dst []byte, h plumbing.Hash, want plumbing.ObjectType, limit int64) ([]byte, error) {
	if pr.ps.objects == "" {
		return nil, errNotHere
	}
	hx := h.String()
	f, err := os.Open(filepath.Join(pr.ps.objects, hx[:2], hx[2:]))
	if err != nil {
		return nil, errNotHere
	}
	defer f.Close()
	pr.br.Reset(f)
	if !pr.inflate(pr.br) {
		return nil, errNotHere
	}
	var head [32]byte
	n := 0
	for {
		if n == len(head) {
			return nil, errNotHere
		}
		if _, err := io.ReadFull(pr.zr, head[n:n+1]); err != nil {
			return nil, errNotHere
		}
		if head[n] == 0 {
			break
		}
		n++
	}
	name, num, ok := strings.Cut(string(head[:n]), " ")
	t, err := plumbing.ParseObjectType(name)
	size, serr := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || serr != nil || size < 0 || t == plumbing.OFSDeltaObject || t == plumbing.REFDeltaObject {
		return nil, errNotHere
	}
	if t != want {
		return nil, errWrongType
	}
	if err := tooLarge(want, size, limit); err != nil {
		return nil, err
	}
	return pr.content(dst, size)
}
