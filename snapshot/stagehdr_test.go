package snapshot

import (
	"bytes"
	"compress/zlib"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// claimedEntry is a pack entry header of a blob claiming size, then data
// deflated.
func claimedEntry(size uint64, data []byte) []byte {
	var b bytes.Buffer
	c := byte(3<<4) | byte(size&0x0f)
	size >>= 4
	for size > 0 {
		b.WriteByte(c | 0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	b.WriteByte(c)
	zw := zlib.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// TestStagedBlobSizeIsNotTrusted: a staging pack entry whose header claims
// a size its data does not hold (a damaged or altered file) is an error,
// and the reader's memory grows with what inflates, not with the claim.
func TestStagedBlobSizeIsNotTrusted(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		claim uint64
	}{
		{"a gigabyte claimed", 1 << 30},
		{"beyond any blob", 1 << 40},
		{"one byte more", 13},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, claimedEntry(tc.claim, []byte("hello, world")), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b, err := readPackBlob(f, 0)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("a blob claiming %d bytes with 12 read as %d bytes, no error", tc.claim, len(b))
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Errorf("reading a blob claiming %d bytes allocated %d bytes", tc.claim, grew)
			}
		})
	}
	// The same entry with its true size reads back.
	path := filepath.Join(dir, "true")
	os.WriteFile(path, claimedEntry(12, []byte("hello, world")), 0o600)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := readPackBlob(f, 0); err != nil || string(b) != "hello, world" {
		t.Fatalf("true size: %q %v", b, err)
	}
}
