package snapshot

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestPackedObjectsOfAnyShape: blobs of a pack git indexed read back
// exactly whatever their zlib stream's shape: small, larger than
// bigObject (read 64 KB at a time, at most as much as the object can take
// compressed), and one whose stream is far longer than that bound (1-byte
// stored blocks: 6 times its size), which is read through go-git; a
// damaged stream is an error, never other content. The readers ReadBlobs
// uses are reused by the next call (packSet.reader), however many.
func TestPackedObjectsOfAnyShape(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, true)
	var big bytes.Buffer
	for i := range 2000 {
		fmt.Fprintf(&big, "  - id: %08x-0000-4000-8000-000000000000\n", i*7919)
	}
	contents := [][]byte{[]byte("id: x\n"), big.Bytes(), bytes.Repeat([]byte("wide: 0123456789\n"), 3000)}
	streams := [][]byte{deflateStd(t, contents[0]), deflateStd(t, contents[1]), storedBytes(contents[2])}
	if n := len(streams[2]); int64(n) <= int64(len(contents[2]))*9/8+1024 {
		t.Fatalf("the stored stream is %d bytes: not longer than the bound", n)
	}
	pack := handPack(t, r, contents, streams)
	hs := make([]plumbing.Hash, len(contents))
	for i, c := range contents {
		hs[i] = plumbing.ComputeHash(plumbing.BlobObject, c)
	}
	check := func(o *Repo, damaged int) {
		for i, h := range hs {
			got, err := o.ReadBlob(ctx, h)
			switch {
			case i == damaged && err == nil && !bytes.Equal(got, contents[i]):
				t.Errorf("damaged blob %d read as other content", i)
			case i == damaged && err == nil:
				t.Errorf("damaged blob %d read without error", i)
			case i != damaged && (err != nil || !bytes.Equal(got, contents[i])):
				t.Errorf("blob %d (%d bytes): %d bytes read, %v", i, len(contents[i]), len(got), err)
			}
		}
	}
	o, err := Open(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	check(o, -1)
	if n := o.ReadCounts().GoGitReads; n != 1 {
		t.Errorf("%d blobs read through go-git, want 1 (the one whose stream is past the bound)", n)
	}
	for range 3 {
		if err := o.ReadBlobs(ctx, append(hs[:2:2], hs...), 4, func(i int, data []byte, err error) {
			if i >= 2 && (err != nil || !bytes.Equal(data, contents[i-2])) {
				t.Errorf("ReadBlobs %d: %d bytes, %v", i, len(data), err)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(o.packs.free); n < 1 || n > max(4, runtime.GOMAXPROCS(0)) {
		t.Errorf("%d readers kept after 3 ReadBlobs calls, want 1 to 4 (each call reuses them)", n)
	}
	o.Close()

	// A byte of the large blob's stream changed (its pack checksum no
	// longer checked by anyone reading it).
	data, err := os.ReadFile(pack.path)
	if err != nil {
		t.Fatal(err)
	}
	data[pack.offs[1]+40] ^= 0x55
	if err := os.WriteFile(pack.path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	o, err = Open(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	check(o, 1)
}

// deflateStd is content as zlib compresses it by default.
func deflateStd(t *testing.T, content []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

// storedBytes is a zlib stream of content in stored blocks of one byte.
func storedBytes(content []byte) []byte {
	out := []byte{0x78, 0x01}
	for i, c := range content {
		final := byte(0)
		if i == len(content)-1 {
			final = 1
		}
		out = append(out, final, 1, 0, 0xfe, 0xff, c)
	}
	return binary.BigEndian.AppendUint32(out, adler32.Checksum(content))
}

type handMade struct {
	path string
	offs []int // each object's offset in the pack
}

// handPack writes a pack of blobs with the given zlib streams into r's
// objects and has git index it.
func handPack(t *testing.T, r *Repo, contents, streams [][]byte) handMade {
	var b bytes.Buffer
	b.WriteString("PACK")
	b.Write(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 2), uint32(len(contents))))
	var offs []int
	for i, c := range contents {
		offs = append(offs, b.Len())
		b.Write(packEntryHeader(plumbing.BlobObject, len(c)))
		b.Write(streams[i])
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	dir := filepath.Join(r.commonDir, "objects", "pack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, fmt.Sprintf("pack-%x.pack", sum))
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	runGit(t, r.Path(), "index-pack", p)
	return handMade{p, offs}
}
