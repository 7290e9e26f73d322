//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A pipe (as `validate <(git show REV:path)` gives) is read, but only up
// to the limit, however much the writer has to send.
func TestValidatePipeReadUpToLimit(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "object.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	written := make(chan int64, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			written <- -1
			return
		}
		defer f.Close()
		var n int64
		buf := make([]byte, 64<<10)
		for n < 1<<30 {
			m, err := f.Write(buf)
			n += int64(m)
			if err != nil {
				break
			}
		}
		written <- n
	}()
	code, out, errOut := runCLI(t, "validate", "--kind", "groups", "--max-file-size", "1MiB", fifo)
	if code != exitError || !strings.Contains(out, fifo+": larger than 1MiB") {
		t.Fatalf("code %d\n%s%s", code, out, errOut)
	}
	if n := <-written; n >= 1<<30 {
		t.Errorf("the whole endless pipe was read (%d bytes)", n)
	}
}
