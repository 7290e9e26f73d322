package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// stageAll adds files to a new stage from several goroutines, as the
// exporter's readers do, and returns the Snapshot that commits them by id.
func stageAll(t *testing.T, r *Repo, files map[string][]byte) Snapshot {
	t.Helper()
	st, err := r.NewStage()
	if err != nil {
		t.Fatal(err)
	}
	blobs := map[string]plumbing.Hash{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	paths := slices.Sorted(maps.Keys(files))
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(paths); i += 4 {
				h, err := st.Add(files[paths[i]])
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				blobs[paths[i]] = h
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	return Snapshot{Blobs: blobs, Stage: st}
}

func tempPacks(r *Repo) []string {
	m, _ := filepath.Glob(filepath.Join(r.objectsDir(), "pack", "tmp_*"))
	return m
}

// A snapshot given by blob id through a stage is the same commit tree as
// one given by content, fsck-clean, with the working tree written from the
// stage; a second run of the same files writes no blob at all; a run with
// a few changes writes only those, as loose objects.
func TestStageCommitsByBlobID(t *testing.T) {
	for _, n := range []int{20, 500} { // loose, and a streamed pack
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := newTestRepo(t, false)
			dir := r.Path()
			files := map[string][]byte{}
			for i := 0; i < n; i++ {
				files[fmt.Sprintf("kind%d/obj %03d.yaml", i%7, i)] = []byte(fmt.Sprintf("id: %d\nname: x%d\n", i, i%50))
			}
			files["dup/a.yaml"] = []byte("id: 1\nname: x1\n") // the same blob twice
			in := stageAll(t, r, files)
			if got, want := in.Stage.Written(), n; got != want {
				t.Errorf("stage wrote %d new blobs, want %d (one per distinct content)", got, want)
			}
			in.Files = map[string][]byte{"manifest.yaml": []byte("m: 1\n")}
			in.Author, in.Tag = day(0), "snapshot/1"
			res := write(t, r, in)
			all := edit(files, map[string][]byte{"manifest.yaml": []byte("m: 1\n")})
			tree := strings.TrimSpace(runGit(t, dir, "rev-parse", res.Commit.String()+"^{tree}"))
			if want := gitTreeOf(t, all); tree != want {
				t.Errorf("tree %s, git's tree of the same files %s", tree, want)
			}
			if res.Packed != (n > looseLimit) || res.Counts.Added != len(all) {
				t.Errorf("packed=%v counts=%+v", res.Packed, res.Counts)
			}
			fsck(t, dir)
			statusClean(t, dir)
			if got := worktreeFiles(t, dir); !reflect.DeepEqual(got, all) {
				t.Errorf("working tree has %d files, want %d", len(got), len(all))
			}
			if tmp := tempPacks(r); len(tmp) > 0 {
				t.Errorf("temporary files left: %v", tmp)
			}

			// Nothing changed: no blob is written, no commit made.
			in2 := stageAll(t, r, files)
			if w := in2.Stage.Written(); w != 0 {
				t.Errorf("unchanged run staged %d blobs, want 0", w)
			}
			in2.Files = map[string][]byte{"manifest.yaml": []byte("m: 1\n")}
			in2.Author, in2.Tag, in2.TagWhenUnchanged = day(1), "snapshot/2", true
			res2 := write(t, r, in2)
			if res2.Changed || res2.ObjectsWritten != 1 { // the tag
				t.Errorf("unchanged: changed=%v objects written %d, want no commit and only the tag", res2.Changed, res2.ObjectsWritten)
			}

			// Three changes: three blobs (plus trees and commit), loose.
			f3 := edit(files, map[string][]byte{"kind1/obj 001.yaml": []byte("changed\n"), "kind2/new.yaml": []byte("new\n"), "kind3/obj 003.yaml": nil})
			in3 := stageAll(t, r, f3)
			if w := in3.Stage.Written(); w != 2 {
				t.Errorf("staged %d blobs, want 2", w)
			}
			in3.Files = map[string][]byte{"manifest.yaml": []byte("m: 1\n")}
			in3.Author, in3.Tag = day(2), "snapshot/3"
			res3 := write(t, r, in3)
			if res3.Packed || res3.Counts != (Counts{Added: 1, Modified: 1, Deleted: 1}) {
				t.Errorf("third: packed=%v counts=%+v", res3.Packed, res3.Counts)
			}
			fsck(t, dir)
			statusClean(t, dir)
			b, err := r.ReadFile(context.Background(), "snapshot/3", "kind1/obj 001.yaml")
			if err != nil || string(b) != "changed\n" {
				t.Errorf("ReadFile = %q, %v", b, err)
			}
		})
	}
}

// A stage that is not committed leaves nothing behind; a blob id that is
// neither in the repository nor in the stage is refused with its path.
func TestStageDiscardAndUnknownBlob(t *testing.T) {
	r := newTestRepo(t, true)
	files := map[string][]byte{}
	for i := 0; i < 300; i++ {
		files[fmt.Sprintf("k/o%03d.yaml", i)] = []byte(fmt.Sprintf("id: %d\n", i))
	}
	in := stageAll(t, r, files)
	if m := tempPacks(r); len(m) != 1 || !strings.Contains(m[0], "tmp_pack_") {
		t.Fatalf("blobs were not streamed into a temporary pack: %v", m)
	}
	in.Stage.Discard()
	if m, _ := filepath.Glob(filepath.Join(r.objectsDir(), "pack", "*")); len(m) != 0 {
		t.Errorf("Discard left %v", m)
	}
	if _, err := in.Stage.Add([]byte("x")); err == nil {
		t.Error("Add after Discard succeeded")
	}
	_, err := r.WriteSnapshot(context.Background(), Snapshot{Blobs: map[string]plumbing.Hash{"k/a.yaml": objectHash(plumbing.BlobObject, []byte("nowhere\n"))}})
	if err == nil || !strings.Contains(err.Error(), "k/a.yaml") {
		t.Errorf("unknown blob: %v", err)
	}
	_, err = r.WriteSnapshot(context.Background(), Snapshot{Files: map[string][]byte{"k/a.yaml": nil}, Blobs: map[string]plumbing.Hash{"k/a.yaml": {}}})
	if err == nil || !strings.Contains(err.Error(), "in Files and in Blobs") {
		t.Errorf("a path in Files and Blobs: %v", err)
	}
	if _, err := os.Stat(filepath.Join(r.Path(), "refs", "heads", "main")); err == nil {
		t.Error("a refused snapshot moved the branch")
	}
}

// Writing a large snapshot from its stage holds about a few hundred bytes
// a file (its path, tree entry, change and index entry), never the files'
// content, and allocates about the content once (a decompressor made per
// blob allocated about 80 KB: 10 GB of garbage over 124,000 files, most of
// the write phase's peak memory); the working tree plan takes
// WriteSnapshot's changes against the parent, not a second list of them.
func TestStagedSnapshotWriteHoldsNoContent(t *testing.T) {
	r := newTestRepo(t, false)
	files := benchFiles(3000, 60)
	for p, b := range files {
		files[p] = bytes.Repeat(b, 6) // about 3.6 KB, as a large group's file
	}
	in := stageAll(t, r, files)
	in.Author = day(0)
	n := uint64(len(files))
	files = nil // (the content is in the stage's pack now)
	var before, after, at runtime.MemStats
	var held uint64
	r.testStep = func(string) {
		runtime.GC()
		runtime.ReadMemStats(&at)
		held = max(held, at.HeapAlloc)
	}
	runtime.GC()
	runtime.GC() // (the second empties sync.Pools: the stage's compressors)
	runtime.ReadMemStats(&before)
	res := write(t, r, in)
	runtime.ReadMemStats(&after)
	if !res.WorktreeUpdated || res.Counts.Added != int(n) {
		t.Fatalf("worktree updated %v, counts %+v", res.WorktreeUpdated, res.Counts)
	}
	if per := (held - min(held, before.HeapAlloc)) / n; per > 1500 {
		t.Errorf("writing %d files of 3.6 KB held %d bytes a file at its steps, want at most 1,500 (not the content)", n, per)
	}
	// Allocations are counted without the race detector only: under -race
	// (.ci/run's race phase) its instrumentation allocates too (about 30 KB
	// a file here); what the write holds is checked either way.
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 16<<10 && !raceEnabled {
		t.Errorf("writing %d files of 3.6 KB allocated %d bytes a file, want at most 16 KB", n, per)
	}

	sentinel := []Change{{Path: "x", Action: Added}}
	head := strings.TrimSpace(runGit(t, r.Path(), "rev-parse", "HEAD^{tree}"))
	p := r.planWorktree(branchRef(DefaultBranch), emptyTreeHash, treeReader{r: r}, nil, knownChanges{from: plumbing.NewHash(head), changes: sentinel})
	defer p.release()
	if p.skip != "" || len(p.changes) != 1 || &p.changes[0] != &sentinel[0] {
		t.Errorf("an index at the known tree: plan skip %q, %d changes, want the known list itself", p.skip, len(p.changes))
	}
}
