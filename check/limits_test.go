package check

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/snapshot"
)

// TestReadCappedRefusesALargeFileUnread: a regular file over the limit is
// refused by its size, naming it, without reading it up to the limit (a
// sparse file of 64 MiB and one byte under the default limit: the read it
// replaced allocated 64 MiB to refuse it); a device over the limit (no
// size to go by) is read no further than the limit and refused; a file
// within the limit is read whole.
func TestReadCappedRefusesALargeFileUnread(t *testing.T) {
	t.Setenv(MaxFileSizeEnv, "")
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, snapshot.DefaultMaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	data, err := ReadCapped(big)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), big) || !strings.Contains(err.Error(), "larger than 64MiB") || data != nil {
		t.Fatalf("ReadCapped of a file over the limit: %d bytes, %v", len(data), err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing a file over the limit allocated %d KiB: it was read", n>>10)
	}

	t.Setenv(MaxFileSizeEnv, "1KiB")
	if _, err := os.Stat("/dev/zero"); err == nil {
		runtime.GC()
		runtime.ReadMemStats(&before)
		data, err = ReadCapped("/dev/zero")
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "/dev/zero") || !strings.Contains(err.Error(), "larger than 1KiB") {
			t.Errorf("ReadCapped of /dev/zero under a 1KiB limit: %d bytes, %v", len(data), err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("/dev/zero under a 1KiB limit: %d KiB allocated", n>>10)
		}
	}
	small := filepath.Join(t.TempDir(), "small.yaml")
	want := strings.Repeat("x", 1024)
	if err := os.WriteFile(small, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadCapped(small); err != nil || string(data) != want {
		t.Errorf("ReadCapped of a file at the limit: %d bytes, %v", len(data), err)
	}
	if err := os.WriteFile(small, []byte(want+"y"), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadCapped(small); err == nil || !strings.Contains(err.Error(), "larger than 1KiB") {
		t.Errorf("ReadCapped of a file one byte over the limit: %d bytes, %v", len(data), err)
	}
}
