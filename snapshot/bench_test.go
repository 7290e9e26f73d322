package snapshot

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// benchFiles is a tenant-like tree: n YAML files of ~600 bytes spread over
// folders folders (kind/bucket/...).
func benchFiles(n, folders int) map[string][]byte {
	files := make(map[string][]byte, n)
	for i := 0; i < n; i++ {
		dir := fmt.Sprintf("kind%02d/bucket%03d", (i%folders)%20, i%folders)
		files[fmt.Sprintf("%s/user %06d.%08x.yaml", dir, i, i*2654435761)] = benchContent(i, 0)
	}
	return files
}

func benchContent(i, version int) []byte {
	return []byte(fmt.Sprintf(`accountEnabled: true
businessPhones: []
displayName: User %06d
givenName: Given%d
id: %08x-0000-4000-8000-%012x
jobTitle: Engineer level %d
mail: user%06d@contoso.example
mailNickname: user%06d
officeLocation: Building %d
preferredLanguage: en-US
surname: Surname%d
userPrincipalName: user%06d@contoso.example
version: %d
memberOf:
  - id: 3f2a0000-0000-4000-8000-%012x
    kind: group
  - id: 3f2a0000-0000-4000-8000-%012x
    kind: group
`, i, i, i, i, i%7, i, i, i%40, i, i, version, i%500, (i+1)%500))
}

// changeSome returns files with count files (chosen by round) rewritten.
func changeSome(files map[string][]byte, keys []string, round, count int) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for k, v := range files {
		out[k] = v
	}
	step := len(keys) / count
	for j := 0; j < count; j++ {
		k := keys[(j*step+round*7919)%len(keys)]
		out[k] = benchContent(j, round+1)
	}
	return out
}

// BenchmarkWriteSnapshot100k: 100k files in 1000 folders. "first" writes
// them into an empty repository (one pack); "second" commits 100 changed
// files on top (loose objects, only the changed subtrees are touched).
func BenchmarkWriteSnapshot100k(b *testing.B) {
	files := benchFiles(100_000, 1000)
	keys := slices.Sorted(maps.Keys(files))
	ctx := context.Background()
	for _, bare := range []bool{true, false} {
		kind := "bare"
		if !bare {
			kind = "worktree"
		}
		b.Run("first/"+kind, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				r, err := Init(filepath.Join(b.TempDir(), "repo"), bare)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := r.WriteSnapshot(ctx, Snapshot{Files: files, Author: day(0), Tag: "snapshot/1"})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(float64(res.ObjectsWritten), "objects/op")
				r.Close()
			}
		})
		b.Run("second-100-changed/"+kind, func(b *testing.B) {
			r, err := Init(filepath.Join(b.TempDir(), "repo"), bare)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			if _, err := r.WriteSnapshot(ctx, Snapshot{Files: files, Author: day(0)}); err != nil {
				b.Fatal(err)
			}
			cur := files
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				next := changeSome(cur, keys, i, 100)
				cur = next
				b.StartTimer()
				res, err := r.WriteSnapshot(ctx, Snapshot{Files: next, Author: day(i + 1), Tag: fmt.Sprintf("snapshot/%d", i+2)})
				if err != nil {
					b.Fatal(err)
				}
				if res.Counts.Modified != 100 {
					b.Fatalf("modified %d, want 100", res.Counts.Modified)
				}
				b.ReportMetric(float64(res.ObjectsWritten), "objects/op")
			}
		})
	}
}

// BenchmarkDiff100k: Diff between two snapshots of 100k files that differ in
// 100 files.
func BenchmarkDiff100k(b *testing.B) {
	files := benchFiles(100_000, 1000)
	keys := slices.Sorted(maps.Keys(files))
	ctx := context.Background()
	r, err := Init(filepath.Join(b.TempDir(), "repo"), true)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	first, err := r.WriteSnapshot(ctx, Snapshot{Files: files, Author: day(0)})
	if err != nil {
		b.Fatal(err)
	}
	second, err := r.WriteSnapshot(ctx, Snapshot{Files: changeSome(files, keys, 1, 100), Author: day(1)})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// a freshly opened repository: nothing cached
		fresh, err := Open(r.Path())
		if err != nil {
			b.Fatal(err)
		}
		cs, err := fresh.Diff(ctx, first.Commit.String(), second.Commit.String())
		if err != nil || len(cs) != 100 {
			b.Fatalf("diff: %d changes, %v", len(cs), err)
		}
		fresh.Close()
	}
}

// BenchmarkHistory365: a year of daily snapshots of 5,000 files in 100
// folders, 20 files changing a day and the tracked file every 7th day;
// History of that one file over all 365 commits.
func BenchmarkHistory365(b *testing.B) {
	files := benchFiles(5_000, 100)
	keys := slices.Sorted(maps.Keys(files))
	target := keys[1234]
	keys = append(keys[:1234:1234], keys[1235:]...) // others change; target only every 7th day
	ctx := context.Background()
	r, err := Init(filepath.Join(b.TempDir(), "repo"), true)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	cur := files
	for d := 0; d < 365; d++ {
		cur = changeSome(cur, keys, d, 20)
		if d%7 == 0 {
			cur[target] = benchContent(1234, 1000+d)
		}
		if _, err := r.WriteSnapshot(ctx, Snapshot{Files: cur, Author: day(d), Tag: fmt.Sprintf("snapshot/%03d", d)}); err != nil {
			b.Fatal(err)
		}
	}
	history := func(b *testing.B, r *Repo) {
		n := 0
		err := r.History(ctx, "HEAD", []string{target}, func(CommitInfo, []Change) error { n++; return nil })
		if err != nil || n != 53 {
			b.Fatalf("history: %d commits, %v", n, err)
		}
	}
	b.Run("history-one-file", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			history(b, r)
		}
	})
	// cold: a freshly opened repository each time (no cached trees or tags)
	b.Run("history-one-file-cold", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			fresh, err := Open(r.Path())
			if err != nil {
				b.Fatal(err)
			}
			history(b, fresh)
			fresh.Close()
		}
	})
	b.Run("log-365", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			l, err := r.Log(ctx, "HEAD", 0)
			if err != nil || len(l) != 365 {
				b.Fatalf("log: %d, %v", len(l), err)
			}
		}
	})
}

// BenchmarkWriteVsGit writes the same n files (ENTRASNAP_BENCH_FILES,
// default 20,000, in n/100 folders) both ways and reports the ratio:
//
//   - ours: the exporter's path (every file through a Stage from two
//     goroutines, then WriteSnapshot by blob id, working tree and index
//     included), into a fresh repository with a working tree;
//   - git: `git add -A && git commit` of the same files already in a
//     working tree (writing them there is not timed);
//   - ours-bare: the same into a bare repository (objects and refs only,
//     what git add and git commit write);
//   - ours-unchanged: the same files again (the no-change daily run).
//
// go test ./snapshot -run '^$' -bench WriteVsGit -benchtime 1x
func BenchmarkWriteVsGit(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("no git")
	}
	n := 20_000
	if s := os.Getenv("ENTRASNAP_BENCH_FILES"); s != "" {
		if v, err := strconv.Atoi(s); err == nil && v > 0 {
			n = v
		}
	}
	files := benchFiles(n, max(n/100, 1))
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		var r *Repo
		stageWrite := func(tag string, when int) (time.Duration, *Result) {
			start := time.Now()
			st, err := r.NewStage()
			if err != nil {
				b.Fatal(err)
			}
			keys := slices.Sorted(maps.Keys(files))
			blobs := make(map[string]plumbing.Hash, len(keys))
			hs := make([]plumbing.Hash, len(keys))
			var wg sync.WaitGroup
			for w := 0; w < 2; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for j := w; j < len(keys); j += 2 {
						h, err := st.Add(files[keys[j]])
						if err != nil {
							b.Error(err)
							return
						}
						hs[j] = h
					}
				}(w)
			}
			wg.Wait()
			for j, k := range keys {
				blobs[k] = hs[j]
			}
			res, err := r.WriteSnapshot(ctx, Snapshot{Blobs: blobs, Stage: st, Author: day(when), Tag: tag, TagWhenUnchanged: true})
			if err != nil {
				b.Fatal(err)
			}
			return time.Since(start), res
		}
		// objects only (a bare repository), then with the working tree
		var err error
		if r, err = Init(filepath.Join(b.TempDir(), "bare"), true); err != nil {
			b.Fatal(err)
		}
		bare, _ := stageWrite("snapshot/1", 0)
		r.Close()
		if r, err = Init(filepath.Join(b.TempDir(), "ours"), false); err != nil {
			b.Fatal(err)
		}
		ours, res := stageWrite("snapshot/1", 0)
		if !res.Changed || !res.WorktreeUpdated {
			b.Fatalf("ours: %+v", res)
		}
		again, res2 := stageWrite("snapshot/2", 1)
		if res2.Changed {
			b.Fatal("the unchanged run committed")
		}
		r.Close()

		dir := filepath.Join(b.TempDir(), "git")
		for p, c := range files {
			fp := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(fp, c, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		runGit(b, dir, "init", "-q", "-b", "main")
		start := time.Now()
		runGit(b, dir, "add", "-A")
		// (no automatic gc: with this many loose objects it would start in
		// the background and race the removal of the folder)
		runGit(b, dir, "-c", "gc.auto=0", "commit", "-q", "-m", "snapshot")
		cgit := time.Since(start)
		b.ReportMetric(ours.Seconds(), "ours-s")
		b.ReportMetric(cgit.Seconds(), "git-s")
		b.ReportMetric(ours.Seconds()/cgit.Seconds(), "ratio")
		b.ReportMetric(bare.Seconds(), "ours-bare-s")
		b.ReportMetric(bare.Seconds()/cgit.Seconds(), "bare-ratio")
		b.ReportMetric(again.Seconds(), "ours-unchanged-s")
	}
}
