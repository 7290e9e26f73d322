package exporter

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestSunkFilesKeepTheLastBlobOfEachPathRead: the read's (path, blob id)
// pairs, kept as a list while the read runs, become the write's map: the
// blob given last for a path counts (a path the read gives twice), paths
// of kinds not read completely are left out, across chunk boundaries and
// for paths that are not GUIDs, not UTF-8, hold NUL, "/" or are very long.
func TestSunkFilesKeepTheLastBlobOfEachPathRead(t *testing.T) {
	h := func(i int) plumbing.Hash { return plumbing.ComputeHash(plumbing.BlobObject, []byte(fmt.Sprint(i))) }
	odd := []string{"users/ab/\x00.yaml", "users/ab/\xff\xfe.yaml", "users/ab/A/B.yaml", "users/ab/" + strings.Repeat("z", 5000) + ".yaml", "users/AB/UPPER.yaml"}
	var s sunkFiles
	want := map[string]plumbing.Hash{}
	var keep []string
	n := 0
	give := func(p string, kept bool) {
		n++
		s.add(p, h(n))
		if kept {
			want[p] = h(n)
		}
	}
	for i := range 3*sunkChunk + 7 {
		p := fmt.Sprintf("users/%02x/u%d.yaml", i%256, i)
		give(p, i%5 != 0) // every fifth: a kind not read completely
		if i%5 != 0 {
			keep = append(keep, p)
		}
	}
	for _, p := range odd {
		give(p, true)
		keep = append(keep, p)
	}
	// Given again, later (a page repeating an object): the later blob counts.
	for i := 0; i < 3*sunkChunk; i += 1001 {
		give(fmt.Sprintf("users/%02x/u%d.yaml", i%256, i), i%5 != 0)
	}
	give(odd[1], true)
	sort.Strings(keep)
	got := s.blobs(keep, 3)
	if len(got) != len(want) {
		t.Fatalf("%d paths, want %d", len(got), len(want))
	}
	for p, b := range want {
		if got[p] != b {
			t.Errorf("%q: blob %s, want %s", p, got[p], b)
		}
	}
	if s.chunks != nil {
		t.Error("the chunks are still held")
	}
}
