package snapshot

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// The compressors deflate shares across goroutines are bounded: however
// many goroutines compress at once, at most one per CPU is made, and they
// outlive garbage collections (a sync.Pool dropped them at every other
// collection, so the next deflate made a new one of about 1.2 MB).
func TestDeflateCompressorsAreBounded(t *testing.T) {
	big := bytes.Repeat([]byte("  - id: a1b2c3d4-0000-4000-8000-000000000000\n"), 20000)
	var wg sync.WaitGroup
	for g := range 8 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 4 {
				if _, err := deflate(append(big, fmt.Sprint(g, i)...)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := zlibWriters.made.Load(); n > int64(runtime.GOMAXPROCS(0)) {
		t.Errorf("%d compressors made for %d goroutines, want at most %d (GOMAXPROCS)", n, 8*runtime.GOMAXPROCS(0), runtime.GOMAXPROCS(0))
	}
	var before, after runtime.MemStats
	for round := range 3 {
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range 8 {
			if _, err := deflate([]byte(fmt.Sprint("x: ", round, i, "\n"))); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 512<<10 {
			t.Fatalf("round %d: 8 small deflates after two garbage collections allocated %d bytes, want under 512 KiB (no compressor made again)", round, n)
		}
	}
}

// The shared inflaters (readPackBlob) and compressors (deflate) give every
// goroutine its own for the length of a call: many goroutines reading the
// blobs of two packs and compressing at once each get back exactly what
// was written (run with -race: TestZlibPoolsAreSafeAcrossGoroutines).
func TestZlibPoolsAreSafeAcrossGoroutines(t *testing.T) {
	type packed struct {
		f       *os.File
		entries []packEntry
		data    map[plumbing.Hash][]byte
	}
	var packs []packed
	for p := range 2 {
		ps, err := newPackStream(filepath.Join(t.TempDir(), "objects"))
		if err != nil {
			t.Fatal(err)
		}
		data := map[plumbing.Hash][]byte{}
		for i := range 40 {
			b := bytes.Repeat([]byte(fmt.Sprintf("pack %d blob %d\n", p, i)), 1+i*50)
			h := objectHash(plumbing.BlobObject, b)
			data[h] = b
			if err := ps.addRaw(newObject{typ: plumbing.BlobObject, hash: h, data: b}); err != nil {
				t.Fatal(err)
			}
		}
		path, err := ps.finish()
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		packs = append(packs, packed{f: f, entries: ps.entries, data: data})
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pk := packs[g%2]
			for i := range pk.entries {
				e := pk.entries[(i+g)%len(pk.entries)]
				b, err := readPackBlob(pk.f, e.offset)
				if err != nil || !bytes.Equal(b, pk.data[e.hash]) {
					t.Errorf("goroutine %d: blob %s: %d bytes, %v; want its %d bytes", g, e.hash, len(b), err, len(pk.data[e.hash]))
					return
				}
				in := append(b, fmt.Sprint(g)...)
				z, err := deflate(in)
				if err != nil {
					t.Error(err)
					return
				}
				zr, err := zlib.NewReader(bytes.NewReader(z))
				if err != nil {
					t.Error(err)
					return
				}
				if out, err := io.ReadAll(zr); err != nil || !bytes.Equal(out, in) {
					t.Errorf("goroutine %d: deflate did not round-trip (%v)", g, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
