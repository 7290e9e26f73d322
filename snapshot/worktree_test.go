package snapshot

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/google/go-cmp/cmp"
)

func TestDirtyWorktreeLeftAlone(t *testing.T) {
	r := newTestRepo(t, false)
	dir := r.Path()
	f := files0()
	write(t, r, Snapshot{Files: f, Author: day(0)})
	// the user edits a tracked file
	userEdit := []byte("displayName: edited by hand\n")
	p := filepath.Join(dir, "users", "ann smith.11aa.yaml")
	if err := os.WriteFile(p, userEdit, 0o644); err != nil {
		t.Fatal(err)
	}
	f2 := edit(f, map[string][]byte{"users/new.yaml": []byte("new\n"), "README.md": nil})
	res := write(t, r, Snapshot{Files: f2, Author: day(1)})
	if !res.Changed || res.WorktreeUpdated {
		t.Fatalf("result = %+v", res)
	}
	if !strings.Contains(res.WorktreeSkipped, "local changes") || !strings.Contains(res.WorktreeSkipped, "users/ann smith.11aa.yaml") {
		t.Errorf("WorktreeSkipped = %q", res.WorktreeSkipped)
	}
	if b, _ := os.ReadFile(p); string(b) != string(userEdit) {
		t.Error("the user's edit was overwritten")
	}
	if _, err := os.Stat(filepath.Join(dir, "users", "new.yaml")); !os.IsNotExist(err) {
		t.Error("new file written into a dirty working tree")
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Error("file deleted from a dirty working tree")
	}
	if _, err := os.Stat(filepath.Join(r.GitDir(), "index.lock")); !os.IsNotExist(err) {
		t.Error("index.lock left behind")
	}
	fsck(t, dir)
	if n := strings.TrimSpace(runGit(t, dir, "rev-list", "--count", "HEAD")); n != "2" {
		t.Errorf("%s commits, want 2", n)
	}
	// Staged changes count as dirty too.
	runGit(t, dir, "checkout", "-f", "HEAD")
	statusClean(t, dir)
	os.WriteFile(filepath.Join(dir, "staged.txt"), []byte("s"), 0o644)
	runGit(t, dir, "add", "staged.txt")
	res = write(t, r, Snapshot{Files: edit(f2, map[string][]byte{"x": []byte("x")}), Author: day(2)})
	if !strings.Contains(res.WorktreeSkipped, "staged") {
		t.Errorf("staged change: WorktreeSkipped = %q", res.WorktreeSkipped)
	}
}

func TestUntrackedFilesKeptAndInTheWay(t *testing.T) {
	r := newTestRepo(t, false)
	dir := r.Path()
	f := map[string][]byte{"users/a.yaml": []byte("a\n")}
	write(t, r, Snapshot{Files: f, Author: day(0)})
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(dir, "users", "scratch.txt"), []byte("mine"), 0o644)
	// users/a.yaml deleted: users/ keeps the untracked file and so stays.
	res := write(t, r, Snapshot{Files: map[string][]byte{"groups/g.yaml": []byte("g\n")}, Author: day(1)})
	if !res.WorktreeUpdated {
		t.Fatalf("skipped: %s", res.WorktreeSkipped)
	}
	if out := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); out != "?? notes.txt\n?? users/scratch.txt\n" {
		t.Errorf("status:\n%s", out)
	}
	// an untracked file with other content where a new file goes
	os.WriteFile(filepath.Join(dir, "groups", "h.yaml"), []byte("mine"), 0o644)
	res = write(t, r, Snapshot{Files: map[string][]byte{"groups/g.yaml": []byte("g\n"), "groups/h.yaml": []byte("h\n")}, Author: day(2)})
	if res.WorktreeUpdated || !strings.Contains(res.WorktreeSkipped, "groups/h.yaml") {
		t.Errorf("untracked in the way: %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "groups", "h.yaml")); string(b) != "mine" {
		t.Error("untracked file overwritten")
	}
	fsck(t, dir)
}

// A repository made and committed to by the git CLI (its own index with
// extensions, stat data written by git): entrasnap continues it.
func TestRepoFromGitCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tenant")
	os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755)
	runGit(t, dir, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("# backup\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".github", "workflows", "export.yml"), []byte("on: schedule\n"), 0o644)
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "init")
	base := strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD"))

	r, err := OpenOrInit(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Bare() || r.WorkTree() != dir {
		t.Fatalf("opened as bare=%v worktree=%q", r.Bare(), r.WorkTree())
	}
	files := map[string][]byte{"users/a.yaml": []byte("a\n"), "README.md": []byte("# backup\n")}
	res := write(t, r, Snapshot{Files: files, Carry: []string{".github"}, Author: day(0), Tag: "snapshot/1"})
	if !res.WorktreeUpdated || res.Parent.String() != base {
		t.Fatalf("result = %+v", res)
	}
	statusClean(t, dir)
	fsck(t, dir)
	if diff := cmp.Diff([]Change{{Path: "users/a.yaml", Action: Added}}, pathsActions(res.Changes)); diff != "" {
		t.Errorf("changes:\n%s", diff)
	}
	// git keeps working on top of it
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("# backup v2\n"), 0o644)
	runGit(t, dir, "commit", "-q", "-am", "by hand")
	res = write(t, r, Snapshot{Files: edit(files, map[string][]byte{"README.md": []byte("# backup v2\n"), "users/b.yaml": []byte("b\n")}), Carry: []string{".github"}, Author: day(1)})
	if !res.WorktreeUpdated || res.Counts != (Counts{Added: 1}) {
		t.Fatalf("second: %+v", res)
	}
	statusClean(t, dir)
	fsck(t, dir)

	// HEAD on another branch: the snapshot goes to main, the working tree
	// (showing the other branch) is left alone.
	runGit(t, dir, "checkout", "-q", "-b", "review")
	res = write(t, r, Snapshot{Branch: "main", Files: edit(files, map[string][]byte{"users/c.yaml": []byte("c\n")}), Author: day(2)})
	if res.WorktreeUpdated || !strings.Contains(res.WorktreeSkipped, "refs/heads/review") {
		t.Errorf("other branch: %+v", res)
	}
	statusClean(t, dir)
	// default branch is HEAD's
	res = write(t, r, Snapshot{Files: edit(files, map[string][]byte{"users/d.yaml": []byte("d\n")}), Carry: []string{".github"}, Author: day(3)})
	if res.Branch != "refs/heads/review" || !res.WorktreeUpdated {
		t.Errorf("default branch: %+v", res)
	}
	statusClean(t, dir)
	fsck(t, dir)
}

func TestOpenAndInit(t *testing.T) {
	tmp := t.TempDir()
	plain := filepath.Join(tmp, "plain")
	os.MkdirAll(plain, 0o755)
	os.WriteFile(filepath.Join(plain, "f"), []byte("x"), 0o644)
	for _, p := range []string{plain, filepath.Join(tmp, "missing"), filepath.Join(plain, "f")} {
		_, err := Open(p)
		if !errors.Is(err, ErrNotRepository) || !strings.Contains(err.Error(), p) {
			t.Errorf("Open(%s): %v", p, err)
		}
	}
	if _, err := OpenOrInit(plain); !errors.Is(err, ErrNotRepository) {
		t.Errorf("OpenOrInit(non-empty folder): %v", err)
	}
	empty := filepath.Join(tmp, "empty")
	os.MkdirAll(empty, 0o755)
	r, err := OpenOrInit(empty)
	if err != nil || r.Bare() {
		t.Fatalf("OpenOrInit(empty): %v", err)
	}
	r.Close()
	r, err = OpenOrInit(filepath.Join(tmp, "new", "deeper"))
	if err != nil || r.Bare() {
		t.Fatalf("OpenOrInit(missing): %v", err)
	}
	r.Close()
	if _, err := Init(empty, true); err == nil {
		t.Error("Init over an existing repository succeeded")
	}
	bare, err := Init(filepath.Join(tmp, "bare.git"), true)
	if err != nil || !bare.Bare() {
		t.Fatalf("Init bare: %v", err)
	}
	bare.Close()
	if out := strings.TrimSpace(runGit(t, filepath.Join(tmp, "bare.git"), "rev-parse", "--is-bare-repository")); out != "true" {
		t.Errorf("git says bare = %s", out)
	}
	if out := strings.TrimSpace(runGit(t, empty, "symbolic-ref", "HEAD")); out != "refs/heads/main" {
		t.Errorf("HEAD -> %s", out)
	}
	// the .git folder given directly still finds the working tree
	r, err = Open(filepath.Join(empty, ".git"))
	if err != nil || r.WorkTree() != empty {
		t.Fatalf("Open(.git): %v, worktree %q", err, r.WorkTree())
	}
	r.Close()
	fsck(t, empty)
}

// A linked worktree (git worktree add): objects and refs in the main
// repository, HEAD and index in its own git dir.
func TestLinkedWorktree(t *testing.T) {
	main := newTestRepo(t, false)
	write(t, main, Snapshot{Files: map[string][]byte{"a": []byte("a")}, Author: day(0)})
	linked := filepath.Join(t.TempDir(), "linked")
	runGit(t, main.Path(), "worktree", "add", "-q", "-b", "pr", linked)
	r, err := Open(linked)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res := write(t, r, Snapshot{Files: map[string][]byte{"a": []byte("a"), "b": []byte("b")}, Author: day(1)})
	if res.Branch != "refs/heads/pr" || !res.WorktreeUpdated {
		t.Fatalf("linked: %+v", res)
	}
	statusClean(t, linked)
	fsck(t, main.Path())
	if got := revParse(t, main.Path(), "pr"); got != res.Commit {
		t.Errorf("pr = %s, want %s", got, res.Commit)
	}
	_ = context.Background
}

func TestEncodeIndexMatchesGoGit(t *testing.T) {
	var entries []*index.Entry
	for i, name := range []string{"a", "a.b", "a/x", "dir/jürgen müller.yaml", strings.Repeat("n", 70), "z"} {
		entries = append(entries, &index.Entry{
			Name: name, Hash: plumbing.ComputeHash(plumbing.BlobObject, []byte(name)), Mode: filemode.Regular,
			CreatedAt: time.Unix(1700000000+int64(i), 123), ModifiedAt: time.Unix(1700000100, 456789),
			Dev: 1, Inode: uint32(100 + i), UID: 1000, GID: 1000, Size: uint32(i),
		})
	}
	var ours bytes.Buffer
	encodeIndex(&ours, entries)
	var theirs bytes.Buffer
	if err := index.NewEncoder(&theirs).Encode(&index.Index{Version: 2, Entries: entries}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours.Bytes(), theirs.Bytes()) {
		t.Fatalf("encodeIndex differs from go-git's encoder:\nours   %x\ntheirs %x", ours.Bytes(), theirs.Bytes())
	}
}
