package snapshot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"sort"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// TestCmpGitOrderIsSortKeyOrder: cmpGitOrder orders entries as their
// sort keys (a tree's name with "/" after it) compare, for names that
// begin one another, hold bytes below and above '/', and are empty.
func TestCmpGitOrderIsSortKeyOrder(t *testing.T) {
	names := []string{"", "a", "a-b", "a.b", "a/b", "a0", "ab", "a\x00", "a\xff", "b", "~", "é"}
	var es []tEntry
	for _, n := range names {
		es = append(es, tEntry{name: n, mode: filemode.Regular}, tEntry{name: n, mode: filemode.Dir})
	}
	sign := func(c int) int { return min(max(c, -1), 1) }
	for _, a := range es {
		for _, b := range es {
			want := 0
			switch {
			case a.sortKey() < b.sortKey():
				want = -1
			case a.sortKey() > b.sortKey():
				want = 1
			}
			if got := sign(cmpGitOrder(&a, &b)); got != want {
				t.Errorf("cmpGitOrder(%q, %q) = %d, want %d", a.sortKey(), b.sortKey(), got, want)
			}
		}
	}
}

// TestMergePairsAsMatchPairs: walking two folders' entries side by side
// finds the same differing entries as matching them by name (the way
// before, kept for trees not in git's order), for random folders with
// files and folders of the same names, kinds changed, and entries added,
// deleted, changed and kept; only the order differs (a file "x" and a
// folder "x" are two pairs, not one, which reports the same changes).
func TestMergePairsAsMatchPairs(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	h := func(i int) (x plumbing.Hash) { x[0], x[1] = byte(i), byte(i>>8); return }
	mode := func() filemode.FileMode {
		return []filemode.FileMode{filemode.Regular, filemode.Dir, filemode.Executable, filemode.Submodule}[rnd.IntN(4)]
	}
	for round := range 500 {
		var ea, eb []tEntry
		seenA, seenB := map[string]bool{}, map[string]bool{}
		for i := range rnd.IntN(30) {
			name := fmt.Sprintf("n%d", rnd.IntN(40))
			e := tEntry{name: name, mode: mode(), hash: h(rnd.IntN(3))}
			if !seenA[name] && rnd.IntN(4) > 0 {
				seenA[name] = true
				ea = append(ea, e)
			}
			if !seenB[name] && rnd.IntN(4) > 0 {
				seenB[name] = true
				if rnd.IntN(3) == 0 {
					e.hash = h(i + 10)
				}
				if rnd.IntN(5) == 0 {
					e.mode = mode()
				}
				eb = append(eb, e)
			}
		}
		sortEntries(ea)
		sortEntries(eb)
		if !inGitOrder(ea) || !inGitOrder(eb) {
			t.Fatalf("round %d: sorted entries not in git order", round)
		}
		merged := changesOf(t, mergePairs(ea, eb, nil))
		matched := changesOf(t, matchPairs(ea, eb, nil))
		if !reflect.DeepEqual(merged, matched) {
			t.Fatalf("round %d: merge walk %v, match by name %v\nA %v\nB %v", round, merged, matched, ea, eb)
		}
	}
}

// changesOf is what diffEntry makes of pairs: the files changed (folders
// as "name/…" with their two ids), sorted.
func changesOf(t *testing.T, pairs []entryPair) []string {
	var out []string
	d := &differ{ctx: context.Background()}
	for _, pr := range pairs {
		var a, b string
		for _, s := range []struct {
			e   *tEntry
			out *string
		}{{pr.a, &a}, {pr.b, &b}} {
			if s.e != nil && !skipMode(s.e.mode) && s.e.isTree() {
				*s.out = "tree " + s.e.hash.String()[:4]
			}
		}
		d.changes = nil
		// Folders are not read here: compare their ids only.
		ta, tb := pr.a, pr.b
		if ta != nil && ta.isTree() {
			ta = nil
		}
		if tb != nil && tb.isTree() {
			tb = nil
		}
		if err := d.diffEntry(pairName(pr), ta, tb); err != nil {
			t.Fatal(err)
		}
		for _, c := range d.changes {
			out = append(out, fmt.Sprintf("%s %s %s→%s", c.Action, c.Path, c.From.String()[:4], c.To.String()[:4]))
		}
		if a != b {
			out = append(out, fmt.Sprintf("%s/ %s→%s", pairName(pr), a, b))
		}
	}
	sort.Strings(out)
	return out
}

func pairName(pr entryPair) string {
	if pr.a != nil {
		return pr.a.name
	}
	return pr.b.name
}

// TestDiffOfTreesNotInGitOrder: a tree whose entries are not in git's
// order (written by hand: git fsck refuses it) is compared by name as
// before, not walked side by side, which would report entries that did
// not change.
func TestDiffOfTreesNotInGitOrder(t *testing.T) {
	a := []tEntry{{name: "b", mode: filemode.Regular, hash: plumbing.Hash{1}}, {name: "a", mode: filemode.Regular, hash: plumbing.Hash{2}}}
	b := []tEntry{{name: "a", mode: filemode.Regular, hash: plumbing.Hash{2}}, {name: "b", mode: filemode.Regular, hash: plumbing.Hash{3}}}
	if inGitOrder(a) {
		t.Fatal("b before a taken for git order")
	}
	r := newTestRepo(t, true)
	ha, hb := plumbing.Hash{0xaa}, plumbing.Hash{0xbb}
	d := &differ{ctx: context.Background(), tr: treeReader{r: r, overlay: map[plumbing.Hash]*dirNode{ha: {entries: a}, hb: {entries: b}}}}
	if err := d.diffTrees("", ha, hb); err != nil {
		t.Fatal(err)
	}
	if len(d.changes) != 1 || d.changes[0].Path != "b" || d.changes[0].Action != Modified {
		t.Errorf("changes %v, want b modified only", d.changes)
	}
}

// TestDiffFolderAllocatesLittle: comparing two versions of a folder of
// 2,000 files that differ in one allocates the change, not a map of the
// folder's names (two per folder before: a tenth of a large diff's CPU,
// which compares hundreds of users' shard folders; issue 12, row e1).
// Counted, not timed.
func TestDiffFolderAllocatesLittle(t *testing.T) {
	var a, b []tEntry
	for i := range 2000 {
		e := tEntry{name: fmt.Sprintf("user%05d.yaml", i), mode: filemode.Regular, hash: plumbing.Hash{byte(i), byte(i >> 8)}}
		a = append(a, e)
		if i == 1000 {
			e.hash[19] = 1
		}
		b = append(b, e)
	}
	r := newTestRepo(t, true)
	ha, hb := plumbing.Hash{0xaa}, plumbing.Hash{0xbb}
	tr := treeReader{r: r, overlay: map[plumbing.Hash]*dirNode{ha: {entries: a}, hb: {entries: b}}}
	d := &differ{ctx: context.Background(), tr: tr}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 20
	for range runs {
		d.changes = d.changes[:0]
		if err := d.diffTrees("users/00", ha, hb); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if len(d.changes) != 1 || d.changes[0].Path != "users/00/user01000.yaml" {
		t.Fatalf("changes %v", d.changes)
	}
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 4<<10 {
		t.Errorf("comparing a folder of 2,000 files allocated %d bytes, want at most 4 KB (a map of its names was about 200 KB)", per)
	}
}
