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
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// looseLimit is the largest number of new objects written as loose objects;
// more go into one pack file (git's transfer.unpackLimit is 100 too).
const looseLimit = 100

// newObject is an object to add to the store.
type newObject struct {
	typ  plumbing.ObjectType
	hash plumbing.Hash
	data []byte
}

// hasObject reports whether the object store already holds h.
func (r *Repo) hasObject(h plumbing.Hash) (bool, error) {
	err := r.repo.Storer.HasEncodedObject(h)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return false, nil
	}
	return false, err
}

// existence answers "is this object already stored?" for many objects at
// once: it lists the loose objects and loads the pack indexes a single
// time instead of probing the store object by object.
type existence struct {
	loose    map[plumbing.Hash]bool
	packs    []*idxfile.MemoryIndex
	fallback func(plumbing.Hash) (bool, error) // alternates: ask go-git
}

// bulkExistence is worth it above this many lookups.
const bulkExistenceMin = 2000

func (r *Repo) newExistence() (*existence, error) {
	e := &existence{loose: map[plumbing.Hash]bool{}}
	objDir := r.objectsDir()
	if _, err := os.Stat(filepath.Join(objDir, "info", "alternates")); err == nil {
		e.fallback = r.hasObject
	}
	for i := 0; i < 256; i++ {
		sub := fmt.Sprintf("%02x", i)
		des, err := os.ReadDir(filepath.Join(objDir, sub))
		if err != nil {
			continue
		}
		for _, de := range des {
			if h, ok := parseHash(sub + de.Name()); ok {
				e.loose[h] = true
			}
		}
	}
	idxs, _ := filepath.Glob(filepath.Join(objDir, "pack", "pack-*.idx"))
	for _, p := range idxs {
		if _, err := os.Stat(strings.TrimSuffix(p, ".idx") + ".pack"); err != nil {
			continue // an index without its pack: not usable, as for git
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("read pack index: %w", err)
		}
		idx := idxfile.NewMemoryIndex()
		err = idxfile.NewDecoder(bufio.NewReader(f)).Decode(idx)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read pack index %s: %w", p, err)
		}
		e.packs = append(e.packs, idx)
	}
	return e, nil
}

func (e *existence) has(h plumbing.Hash) (bool, error) {
	if e.loose[h] {
		return true, nil
	}
	for _, idx := range e.packs {
		if ok, err := idx.Contains(h); err != nil {
			return false, err
		} else if ok {
			return true, nil
		}
	}
	if e.fallback != nil {
		return e.fallback(h)
	}
	return false, nil
}

// writeObjects stores objs durably (fsync'd) the way git does: as loose
// objects when few, else as one pack with its index. A crash leaves at most
// temporary files that git ignores (tmp_obj_*, tmp_pack_*, tmp_idx_*).
func (r *Repo) writeObjects(ctx context.Context, objs []newObject) error {
	if len(objs) == 0 {
		return nil
	}
	if len(objs) <= looseLimit {
		return r.writeLoose(objs)
	}
	if err := r.writePack(ctx, objs); err != nil {
		return err
	}
	r.reindex()
	return nil
}

func (r *Repo) objectsDir() string { return filepath.Join(r.commonDir, "objects") }

func (r *Repo) writeLoose(objs []newObject) error {
	dirs := map[string]bool{}
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
	for _, o := range objs {
		hex := o.hash.String()
		dir := filepath.Join(r.objectsDir(), hex[:2])
		final := filepath.Join(dir, hex[2:])
		if _, err := os.Lstat(final); err == nil {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("write object: %w", err)
		}
		buf.Reset()
		zw.Reset(&buf)
		zw.Write(objectHeader(o.typ, len(o.data)))
		zw.Write(o.data)
		if err := zw.Close(); err != nil {
			return fmt.Errorf("write object %s: %w", hex, err)
		}
		if err := writeFileAtomic(dir, "tmp_obj_", final, buf.Bytes(), 0o444); err != nil {
			return fmt.Errorf("write object %s: %w", hex, err)
		}
		dirs[dir] = true
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("write objects: %w", err)
		}
	}
	return nil
}

func objectHeader(t plumbing.ObjectType, size int) []byte {
	b := append([]byte(nil), t.Bytes()...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(size), 10)
	return append(b, 0)
}

// writeFileAtomic writes data to a temporary file in dir, fsyncs it and
// renames it to final.
func writeFileAtomic(dir, tmpPrefix, final string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(dir, tmpPrefix)
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp, perm); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// packEntryHeader encodes a pack object header: type and inflated size.
func packEntryHeader(t plumbing.ObjectType, size int) []byte {
	var out []byte
	c := byte(t)<<4 | byte(size&0x0f)
	size >>= 4
	for size > 0 {
		out = append(out, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	return append(out, c)
}

// writePack writes objs as one pack file (no deltas) and its version 2
// index. Order: pack to a temp file (fsync), index to a temp file (fsync),
// rename the index, rename the pack, fsync the folder. A pack without an
// index or an index without a pack is ignored by git and by go-git.
func (r *Repo) writePack(ctx context.Context, objs []newObject) (err error) {
	packDir := filepath.Join(r.objectsDir(), "pack")
	if err := os.MkdirAll(packDir, 0o755); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	compressed, err := compressAll(ctx, objs)
	if err != nil {
		return err
	}

	f, err := os.CreateTemp(packDir, "tmp_pack_")
	if err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	tmpPack := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmpPack)
		}
	}()

	sum := sha1.New()
	bw := bufio.NewWriterSize(f, 1<<20)
	var offset uint64
	write := func(p []byte) error {
		sum.Write(p)
		_, err := bw.Write(p)
		offset += uint64(len(p))
		return err
	}
	var hdr [12]byte
	copy(hdr[:4], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(objs)))
	if err = write(hdr[:]); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	iw := new(idxfile.Writer)
	if err = iw.OnHeader(uint32(len(objs))); err != nil {
		return fmt.Errorf("write pack index: %w", err)
	}
	for i, o := range objs {
		pos := offset
		eh := packEntryHeader(o.typ, len(o.data))
		crc := crc32.NewIEEE()
		crc.Write(eh)
		crc.Write(compressed[i])
		if err = write(eh); err != nil {
			return fmt.Errorf("write pack: %w", err)
		}
		if err = write(compressed[i]); err != nil {
			return fmt.Errorf("write pack: %w", err)
		}
		iw.Add(o.hash, pos, crc.Sum32())
	}
	var checksum plumbing.Hash
	copy(checksum[:], sum.Sum(nil))
	if _, err = bw.Write(checksum[:]); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}

	if err = iw.OnFooter(checksum); err != nil {
		return fmt.Errorf("write pack index: %w", err)
	}
	idx, err := iw.Index()
	if err != nil {
		return fmt.Errorf("write pack index: %w", err)
	}
	var ib bytes.Buffer
	if _, err = idxfile.NewEncoder(&ib).Encode(idx); err != nil {
		return fmt.Errorf("write pack index: %w", err)
	}
	base := filepath.Join(packDir, "pack-"+checksum.String())
	if _, statErr := os.Stat(base + ".pack"); statErr == nil {
		// The same pack already exists (identical objects): nothing to add.
		os.Remove(tmpPack)
		return nil
	}
	if err = writeFileAtomic(packDir, "tmp_idx_", base+".idx", ib.Bytes(), 0o444); err != nil {
		return fmt.Errorf("write pack index: %w", err)
	}
	if err = os.Chmod(tmpPack, 0o444); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	if err = os.Rename(tmpPack, base+".pack"); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	if err = syncDir(packDir); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	return nil
}

// compressAll zlib-compresses every object (header excluded, as packs
// want), in parallel.
func compressAll(ctx context.Context, objs []newObject) ([][]byte, error) {
	out := make([][]byte, len(objs))
	workers := runtime.GOMAXPROCS(0)
	if workers > 8 {
		workers = 8
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int, 256)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			zw, _ := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
			for i := range next {
				buf.Reset()
				zw.Reset(&buf)
				_, err := zw.Write(objs[i].data)
				if err == nil {
					err = zw.Close()
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				out[i] = bytes.Clone(buf.Bytes())
			}
		}()
	}
	for i := range objs {
		if i%1024 == 0 && ctxErr(ctx) != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, fmt.Errorf("compress objects: %w", firstErr)
	}
	return out, nil
}
