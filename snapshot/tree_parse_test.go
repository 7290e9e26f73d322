package snapshot

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// parseTree reads every tree as go-git's decoder does (names, modes and
// ids of files, folders, executables and links), allocating a fixed few
// times whatever the number of entries; a malformed tree is an error,
// never a panic or a partial list.
func TestParseTreeAsGoGit(t *testing.T) {
	var entries []object.TreeEntry
	for i := 0; i < 500; i++ {
		entries = append(entries, object.TreeEntry{Name: fmt.Sprintf("user%03d.a1b2c3d4-0000-4000-8000-%012d.yaml", i, i), Mode: filemode.Regular, Hash: plumbing.NewHash(fmt.Sprintf("%040x", i+1))})
	}
	entries = append(entries,
		object.TreeEntry{Name: "sub", Mode: filemode.Dir, Hash: plumbing.NewHash(strings.Repeat("ab", 20))},
		object.TreeEntry{Name: "run.sh", Mode: filemode.Executable, Hash: plumbing.NewHash(strings.Repeat("cd", 20))},
		object.TreeEntry{Name: "link é \x01", Mode: filemode.Symlink, Hash: plumbing.NewHash(strings.Repeat("00", 20))},
		object.TreeEntry{Name: "module", Mode: filemode.Submodule, Hash: plumbing.NewHash(strings.Repeat("ef", 20))})
	sort.Slice(entries, func(i, j int) bool {
		a, b := tEntry{name: entries[i].Name, mode: entries[i].Mode}, tEntry{name: entries[j].Name, mode: entries[j].Mode}
		return a.sortKey() < b.sortKey()
	})
	obj := &plumbing.MemoryObject{}
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		t.Fatal(err)
	}
	rd, _ := obj.Reader()
	var data strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := rd.Read(buf)
		data.Write(buf[:n])
		if err != nil {
			break
		}
	}
	raw := []byte(data.String())
	var back object.Tree
	if err := back.Decode(obj); err != nil {
		t.Fatal(err)
	}
	es, err := parseTree(raw)
	if err != nil || len(es) != len(back.Entries) {
		t.Fatalf("parseTree: %d entries, %v; go-git decodes %d", len(es), err, len(back.Entries))
	}
	for i, e := range back.Entries {
		if es[i] != (tEntry{name: e.Name, mode: e.Mode, hash: e.Hash}) {
			t.Errorf("entry %d: %+v, go-git reads %+v", i, es[i], e)
		}
	}
	if allocs := testing.AllocsPerRun(10, func() { _, _ = parseTree(raw) }); allocs > 2 {
		t.Errorf("parseTree of %d entries: %.0f allocations, want 2", len(es), allocs)
	}
	for _, bad := range []string{
		"100644 a.yaml\x00" + strings.Repeat("x", 19), // id cut short
		"100644 a.yaml", // no NUL
		"100644a.yaml\x00" + strings.Repeat("x", 20),        // no space
		"100644 \x00" + strings.Repeat("x", 20),             // no name
		" a.yaml\x00" + strings.Repeat("x", 20),             // no mode
		"10x644 a.yaml\x00" + strings.Repeat("x", 20),       // not octal
		"777777777777 a.yaml\x00" + strings.Repeat("x", 20), // overflows
		string(raw[:len(raw)-1]),
	} {
		if es, err := parseTree([]byte(bad)); err == nil {
			t.Errorf("parseTree(%q) = %d entries, want an error", bad, len(es))
		}
	}
}

// readSized reads an object of the declared size into one buffer of that
// size, and still reads all of one shorter or longer than declared.
func TestReadSized(t *testing.T) {
	content := strings.Repeat("0123456789", 1000)
	for _, tc := range []struct {
		size, most int64
	}{{10000, 1 << 20}, {10000, 100}, {5000, 1 << 20}, {20000, 1 << 20}, {0, 1 << 20}, {-1, 1 << 20}} {
		got, err := readSized(strings.NewReader(content), tc.size, tc.most)
		if err != nil || string(got) != content {
			t.Errorf("readSized(size %d, most %d) = %d bytes, %v; want the %d bytes", tc.size, tc.most, len(got), err, len(content))
		}
	}
	if allocs := testing.AllocsPerRun(10, func() { _, _ = readSized(strings.NewReader(content), int64(len(content)), 1<<20) }); allocs > 3 {
		t.Errorf("readSized of an object as declared: %.0f allocations, want 3 (the reader, the buffer, the byte that finds its end)", allocs)
	}
}
