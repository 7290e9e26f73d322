package snapshot

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// Stage takes the blobs of a snapshot as they are produced, so that a
// caller never holds the whole tree's content: Add stores a blob and
// returns its id, and WriteSnapshot (Snapshot.Blobs, Snapshot.Stage)
// commits paths by blob id. Blobs already in the repository are not
// written again (a run in which nothing changed writes nothing); the first
// looseLimit new blobs are kept in memory, the rest go straight into a
// temporary pack file (tmp_pack_*, ignored by git) that WriteSnapshot
// completes with the trees, commit and tag and publishes before it moves
// any ref. A stage that is not committed is removed by Discard (or, after a
// crash, by the next Lock once it is old: StaleTempAge). Add is safe for
// concurrent use; it hashes and compresses in the caller's goroutine.
type Stage struct {
	r *Repo

	mu      sync.Mutex
	exists  func(plumbing.Hash) (bool, error)
	seen    map[plumbing.Hash]bool
	pending []newObject // new blobs while there are at most looseLimit
	pack    *packStream // once there are more
	err     error       // the first write error: the stage is unusable
	closed  bool
	busy    time.Duration // time spent in Add

	// After commit: where the blobs went, for reading them back (the
	// working tree) without go-git: the pack and its entries sorted by id
	// (half a map's memory), or the loose blobs themselves.
	packPath string
	packed   []packEntry
	loose    map[plumbing.Hash][]byte
	rf       *os.File
}

// NewStage starts a stage for r. It reads the list of objects in the store
// once, so that Add knows which blobs are new without asking go-git.
func (r *Repo) NewStage() (*Stage, error) {
	r.mu.Lock()
	r.refresh()
	r.unlock()
	ex, err := r.newExistence()
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	s := &Stage{r: r, seen: map[plumbing.Hash]bool{}}
	s.exists = func(h plumbing.Hash) (bool, error) {
		if ex.fallback == nil {
			return ex.has(h)
		}
		r.mu.Lock() // the fallback asks go-git, which is not safe for concurrent use
		defer r.unlock()
		return ex.has(h)
	}
	return s, nil
}

// Add stores data as a blob (unless the repository or this stage already
// has it) and returns its id. After an error the stage is unusable:
// Discard it.
func (s *Stage) Add(data []byte) (plumbing.Hash, error) {
	start := time.Now()
	h := objectHash(plumbing.BlobObject, data)
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return h, err
	}
	if s.seen[h] {
		s.busy += time.Since(start)
		s.mu.Unlock()
		return h, nil
	}
	s.seen[h] = true
	s.mu.Unlock()
	// (outside s.mu: the fallback of exists takes r.mu)
	has, err := s.exists(h)
	s.mu.Lock()
	if err != nil {
		s.err = err
		s.mu.Unlock()
		return h, fmt.Errorf("snapshot: %w", err)
	}
	if has {
		s.busy += time.Since(start)
		s.mu.Unlock()
		return h, nil
	}
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return h, err
	}
	if s.pack == nil && len(s.pending) < looseLimit {
		s.pending = append(s.pending, newObject{typ: plumbing.BlobObject, hash: h, data: bytes.Clone(data)})
		s.busy += time.Since(start)
		s.mu.Unlock()
		return h, nil
	}
	s.mu.Unlock()

	z, err := deflate(data) // outside the lock: the expensive part
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		err = s.usable()
	}
	if err == nil && s.pack == nil {
		if s.pack, err = newPackStream(s.r.objectsDir()); err == nil {
			for _, o := range s.pending {
				if err = s.pack.addRaw(o); err != nil {
					break
				}
			}
			s.pending = nil
		}
	}
	if err == nil {
		err = s.pack.add(plumbing.BlobObject, h, len(data), z)
	}
	if err != nil {
		s.err = err
		return h, fmt.Errorf("snapshot: write blob %s: %w", h, err)
	}
	s.busy += time.Since(start)
	return h, nil
}

func (s *Stage) usable() error {
	switch {
	case s.closed:
		return errors.New("snapshot: the stage was already committed or discarded")
	case s.err != nil:
		return fmt.Errorf("snapshot: an earlier blob could not be written: %w", s.err)
	}
	return nil
}

// Written is the number of new blobs the stage holds.
func (s *Stage) Written() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pack != nil {
		return len(s.pack.entries)
	}
	return len(s.pending)
}

// Busy is the time spent in Add, summed over all callers.
func (s *Stage) Busy() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.busy
}

// Discard drops what the stage wrote. It is a no-op once the stage is
// committed or discarded.
func (s *Stage) Discard() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.pending = nil
	if s.pack != nil {
		s.pack.abort()
		s.pack = nil
	}
}

// commit writes the stage's blobs and objs durably (one pack with its
// index, or loose objects when few) and closes the stage. Called by
// WriteSnapshot with r.mu held.
func (s *Stage) commit(ctx context.Context, objs []newObject) (int, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return 0, false, err
	}
	s.closed = true
	if s.pack == nil {
		all := append(s.pending, objs...)
		s.loose = map[plumbing.Hash][]byte{}
		for _, o := range s.pending {
			s.loose[o.hash] = o.data
		}
		s.pending = nil
		if err := s.r.writeObjects(ctx, all); err != nil {
			return 0, false, err
		}
		return len(all), len(all) > looseLimit, nil
	}
	p := s.pack
	s.pack = nil
	for _, o := range objs {
		if err := ctxErr(ctx); err != nil {
			p.abort()
			return 0, false, err
		}
		if err := p.addRaw(o); err != nil {
			p.abort()
			return 0, false, err
		}
	}
	n := len(p.entries)
	path, err := p.finish()
	if err != nil {
		return 0, false, err
	}
	s.r.reindex()
	s.packPath, s.packed, s.seen = path, p.entries, nil
	slices.SortFunc(s.packed, func(a, b packEntry) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	return n, true, nil
}

// reader reads blobs back after commit: those the stage wrote straight
// from its pack (no delta, one zlib stream each), others with fallback.
// Not safe for concurrent use.
func (s *Stage) reader(fallback func(plumbing.Hash) ([]byte, error)) func(plumbing.Hash) ([]byte, error) {
	return func(h plumbing.Hash) ([]byte, error) {
		if b, ok := s.loose[h]; ok {
			return b, nil
		}
		i, ok := slices.BinarySearchFunc(s.packed, h, func(e packEntry, h plumbing.Hash) int { return bytes.Compare(e.hash[:], h[:]) })
		if !ok {
			return fallback(h)
		}
		off := s.packed[i].offset
		if s.rf == nil {
			f, err := os.Open(s.packPath)
			if err != nil {
				return fallback(h)
			}
			s.rf = f
		}
		b, err := readPackBlob(s.rf, off)
		if err != nil {
			return nil, fmt.Errorf("read blob %s from %s: %w", h, s.packPath, err)
		}
		if objectHash(plumbing.BlobObject, b) != h {
			return nil, fmt.Errorf("read blob %s from %s: the content does not match its id", h, s.packPath)
		}
		return b, nil
	}
}

func (s *Stage) closeReader() {
	if s.rf != nil {
		s.rf.Close()
		s.rf = nil
	}
	s.loose, s.packed = nil, nil
}

// readPackBlob reads the undeltified blob entry at off of a pack.
// maxStagedBlob bounds a staged blob's size as its entry header gives it
// (the largest object a snapshot writes is far smaller).
const maxStagedBlob = 1 << 31

func readPackBlob(f *os.File, off uint64) ([]byte, error) {
	var hdr [16]byte
	n, err := f.ReadAt(hdr[:], int64(off))
	if n == 0 {
		return nil, err
	}
	c := hdr[0]
	if plumbing.ObjectType((c>>4)&7) != plumbing.BlobObject {
		return nil, errors.New("not a whole blob")
	}
	size := uint64(c & 0x0f)
	shift, i := uint(4), 1
	for c&0x80 != 0 {
		if i >= n || shift > 56 {
			return nil, errors.New("bad entry header")
		}
		c = hdr[i]
		size |= uint64(c&0x7f) << shift
		shift += 7
		i++
	}
	// One inflater reused for every blob: a new one per blob allocates
	// about 80 KB, which over a large snapshot's working tree was most of
	// the write phase's garbage and of its peak memory.
	zr := zlibReaders.Get().(*zlibReader)
	defer zlibReaders.Put(zr)
	zr.br.Reset(io.NewSectionReader(f, int64(off)+int64(i), 1<<62))
	if zr.zr == nil {
		zr.zr, err = zlib.NewReader(zr.br)
	} else {
		err = zr.zr.(zlib.Resetter).Reset(zr.br, nil)
	}
	if err != nil {
		zr.zr = nil
		return nil, err
	}
	// The size is the file's word: a damaged or altered staging pack may
	// claim any size, so the buffer grows with what inflates, not with
	// the claim.
	if size > maxStagedBlob {
		return nil, fmt.Errorf("bad entry header: a blob of %d bytes (more than %d)", size, uint64(maxStagedBlob))
	}
	var buf bytes.Buffer
	buf.Grow(int(min(size, 1<<20)))
	if _, err := io.CopyN(&buf, zr.zr, int64(size)); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

type zlibReader struct {
	br *bufio.Reader
	zr io.ReadCloser
}

var zlibReaders = sync.Pool{New: func() any { return &zlibReader{br: bufio.NewReader(nil)} }}

// deflate is the zlib stream of data, as a pack entry holds it.
func deflate(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(data)/2 + 64)
	zw := zlibWriters.get()
	defer zlibWriters.put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// zlibWriters are the compressors deflate shares across goroutines and
// repositories (Stage.Add runs in the export's many file-making
// goroutines). A compressor is about 1.2 MB whatever the level (flate's
// hash tables), so the pool is bounded: at most one per CPU is ever made,
// a caller beyond that waits for one (compressing is all CPU: more at
// once would not finish sooner), and they are kept for the process. A
// sync.Pool bounded neither: a compressor was made for every caller
// preempted inside deflate, and all were dropped at every other garbage
// collection and made again, 1.2 MB each time (TestDeflateCompressorsAreBounded).
var zlibWriters = newWriterPool(runtime.GOMAXPROCS(0))

// writerPool hands out at most cap(free) compressors, made on first use:
// free holds one token per compressor, nil until it is made.
type writerPool struct {
	free chan *zlib.Writer
	made atomic.Int64 // compressors made (tests)
}

func newWriterPool(n int) *writerPool {
	p := &writerPool{free: make(chan *zlib.Writer, max(n, 1))}
	for range cap(p.free) {
		p.free <- nil
	}
	return p
}

// get returns a compressor, waiting while all are in use; give it back
// with put.
func (p *writerPool) get() *zlib.Writer {
	zw := <-p.free
	if zw == nil {
		zw, _ = zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
		p.made.Add(1)
	}
	return zw
}

func (p *writerPool) put(zw *zlib.Writer) {
	zw.Reset(io.Discard) // (holds no caller's buffer)
	p.free <- zw
}

// packStream is a pack file written entry by entry, its object count not
// known in advance: the header is written with a zero count and fixed by
// finish, which then checksums the file.
type packStream struct {
	dir     string
	f       *os.File
	bw      *bufio.Writer
	offset  uint64
	entries []packEntry
}

type packEntry struct {
	hash   plumbing.Hash
	offset uint64
	crc    uint32
}

func newPackStream(objectsDir string) (*packStream, error) {
	dir := filepath.Join(objectsDir, "pack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "tmp_pack_")
	if err != nil {
		return nil, err
	}
	p := &packStream{dir: dir, f: f, bw: bufio.NewWriterSize(f, 1<<20)}
	var hdr [12]byte
	copy(hdr[:4], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	if _, err := p.bw.Write(hdr[:]); err != nil {
		p.abort()
		return nil, err
	}
	p.offset = 12
	return p, nil
}

func (p *packStream) addRaw(o newObject) error {
	z, err := deflate(o.data)
	if err != nil {
		return err
	}
	return p.add(o.typ, o.hash, len(o.data), z)
}

func (p *packStream) add(t plumbing.ObjectType, h plumbing.Hash, size int, z []byte) error {
	eh := packEntryHeader(t, size)
	crc := crc32.NewIEEE()
	crc.Write(eh)
	crc.Write(z)
	p.entries = append(p.entries, packEntry{hash: h, offset: p.offset, crc: crc.Sum32()})
	if _, err := p.bw.Write(eh); err != nil {
		return err
	}
	if _, err := p.bw.Write(z); err != nil {
		return err
	}
	p.offset += uint64(len(eh) + len(z))
	return nil
}

func (p *packStream) abort() {
	if p.f != nil {
		p.f.Close()
		os.Remove(p.f.Name())
		p.f = nil
	}
}

// finish sets the object count, appends the checksum, writes the index and
// publishes both as writePack does (index first, then the pack, each
// fsync'd and renamed; then the folder is fsync'd).
func (p *packStream) finish() (path string, err error) {
	defer func() {
		if err != nil {
			p.abort()
			err = fmt.Errorf("write pack: %w", err)
		}
	}()
	if err = p.bw.Flush(); err != nil {
		return "", err
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(p.entries)))
	if _, err = p.f.WriteAt(n[:], 8); err != nil {
		return "", err
	}
	if _, err = p.f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	sum := sha1.New()
	if _, err = io.Copy(sum, bufio.NewReaderSize(io.LimitReader(p.f, int64(p.offset)), 1<<20)); err != nil {
		return "", err
	}
	var checksum plumbing.Hash
	copy(checksum[:], sum.Sum(nil))
	if _, err = p.f.Seek(int64(p.offset), io.SeekStart); err != nil {
		return "", err
	}
	if _, err = p.f.Write(checksum[:]); err != nil {
		return "", err
	}
	if err = p.f.Sync(); err != nil {
		return "", err
	}
	tmpPack := p.f.Name()
	if err = p.f.Close(); err != nil {
		return "", err
	}
	p.f = nil
	defer func() {
		if err != nil {
			os.Remove(tmpPack)
		}
	}()
	iw := new(idxfile.Writer)
	if err = iw.OnHeader(uint32(len(p.entries))); err != nil {
		return "", err
	}
	for _, e := range p.entries {
		iw.Add(e.hash, e.offset, e.crc)
	}
	if err = iw.OnFooter(checksum); err != nil {
		return "", err
	}
	idx, err := iw.Index()
	if err != nil {
		return "", err
	}
	var ib bytes.Buffer
	if _, err = idxfile.NewEncoder(&ib).Encode(idx); err != nil {
		return "", err
	}
	base := filepath.Join(p.dir, "pack-"+checksum.String())
	if _, statErr := os.Stat(base + ".pack"); statErr == nil {
		os.Remove(tmpPack) // the same pack exists already
		return base + ".pack", nil
	}
	if err = writeFileAtomic(p.dir, "tmp_idx_", base+".idx", ib.Bytes(), 0o444); err != nil {
		return "", err
	}
	if err = os.Chmod(tmpPack, 0o444); err != nil {
		return "", err
	}
	if err = os.Rename(tmpPack, base+".pack"); err != nil {
		return "", err
	}
	return base + ".pack", syncDir(p.dir)
}
