package snapshot

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestWriteStateRaceInOneProcess: goroutines of one process writing the
// same state file at once (each with its own Repo, as two applies in one
// process) each succeed, the file ends as one of the contents written,
// whole, and no temporary file is left. With one temporary name per
// process ("<file>.<pid>.tmp") one goroutine's rename took the other's
// half-written file, or found it gone ("no such file or directory").
func TestWriteStateRaceInOneProcess(t *testing.T) {
	r := newTestRepo(t, false)
	const n = 8
	rounds := 30
	if testing.Short() {
		rounds = 10
	}
	repos := make([]*Repo, n)
	for i := range repos {
		var err error
		if repos[i], err = Open(r.Path()); err != nil {
			t.Fatal(err)
		}
		defer repos[i].Close()
	}
	const name = "entrasnap-race-state.json"
	// Contents large enough that a write is not one system call's worth
	// of page cache, each distinct and self-describing.
	content := func(i int) []byte {
		return bytes.Repeat([]byte{byte('a' + i)}, 256<<10)
	}
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range repos {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = repos[i].WriteState(name, content(i))
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: goroutine %d: %v", round, i, err)
			}
		}
		got, err := r.ReadState(name)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		whole := false
		for i := range n {
			if bytes.Equal(got, content(i)) {
				whole = true
			}
		}
		if !whole {
			t.Fatalf("round %d: the state file is no one write's content (%d bytes, starts %q)", round, len(got), got[:min(8, len(got))])
		}
	}
	left, _ := filepath.Glob(filepath.Join(r.GitDir(), name+".*"))
	for _, f := range left {
		if strings.HasSuffix(f, ".tmp") {
			t.Errorf("temporary file left: %s", f)
		}
	}
	if _, err := os.Stat(filepath.Join(r.GitDir(), name)); err != nil {
		t.Error(err)
	}
}
