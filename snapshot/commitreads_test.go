package snapshot

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// objectOpensFS records the object files (loose objects, pack indexes and
// packs) go-git's store opens for reading: the package's own reader opens
// them with os, not through this folder.
type objectOpensFS struct {
	billy.Filesystem
	opens []string
}

func (c *objectOpensFS) Open(name string) (billy.File, error) {
	return c.OpenFile(name, os.O_RDONLY, 0)
}

func (c *objectOpensFS) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	if strings.HasPrefix(filepath.ToSlash(name), "objects/") && flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		c.opens = append(c.opens, name)
	}
	return c.Filesystem.OpenFile(name, flag, perm)
}

// WriteSnapshot (the head commit before it, the recent trees its working
// tree update keeps), SyncWorktree and the index.lock check of a repair
// read commits with the package's own reader (commitObject), not through
// go-git's store (ARCHITECTURE.md: one home per concept); what they write
// is still what real git accepts.
func TestCommitReadsUseThePackageReader(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, false)
	files := map[string][]byte{}
	for i := 0; i < 40; i++ {
		files["users/u"+strconv.Itoa(i)+".yaml"] = []byte("v0 " + strconv.Itoa(i) + "\n")
	}
	write(t, r, Snapshot{Files: files, Author: day(0)})
	files = edit(files, map[string][]byte{"users/u1.yaml": []byte("v1\n")})
	write(t, r, Snapshot{Files: files, Author: day(1)})
	dir := r.Path()
	r.Close()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cfs := &objectOpensFS{Filesystem: r.repo.Storer.(*filesystem.Storage).Filesystem()}
	r.repo.Storer = keepingPacks(filesystem.NewStorage(cfs, nil))

	files = edit(files, map[string][]byte{"users/u2.yaml": []byte("v2\n"), "users/u3.yaml": nil})
	third := write(t, r, Snapshot{Files: files, Author: day(2), Tag: "snapshot/d2"})
	if rep, err := r.SyncWorktree(ctx); err != nil || len(rep.Changed) != 0 {
		t.Fatalf("SyncWorktree after a snapshot: %+v, %v (want nothing to do)", rep, err)
	}
	idx, err := os.ReadFile(filepath.Join(r.GitDir(), "index"))
	if err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(t.TempDir(), "index.lock")
	if err := os.WriteFile(lock, idx, 0o644); err != nil {
		t.Fatal(err)
	}
	if !r.lockHoldsHeadTree(lock) {
		t.Error("an index.lock holding HEAD's tree was not recognised as such")
	}
	// (the objects are loose: a commit read through go-git opens its file;
	// go-git's existence checks of objects about to be written are not
	// commit reads)
	commits := map[string]bool{}
	for _, c := range strings.Fields(runGit(t, dir, "rev-list", "--all")) {
		commits["objects/"+c[:2]+"/"+c[2:]] = true
	}
	var read []string
	for _, o := range cfs.opens {
		if commits[filepath.ToSlash(o)] {
			read = append(read, o)
		}
	}
	if len(read) != 0 {
		t.Errorf("commits were read through go-git's store (%v); want the package's own reader", read)
	}
	if n := r.ReadCounts().GoGitReads; n != 0 {
		t.Errorf("%d objects read through go-git, want 0", n)
	}

	fsck(t, dir)
	statusClean(t, dir)
	if got := strings.Fields(runGit(t, dir, "log", "--format=%H")); len(got) != 3 || got[0] != third.Commit.String() {
		t.Errorf("git log: %v, want 3 commits from %s", got, third.Commit)
	}
	if got := strings.TrimSpace(runGit(t, dir, "show", third.Commit.String()+":users/u2.yaml")); got != "v2" {
		t.Errorf("git show users/u2.yaml: %q, want v2", got)
	}
}
