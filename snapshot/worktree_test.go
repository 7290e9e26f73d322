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

// porcelain is `git status --porcelain` (untracked files listed one by one).
func porcelain(t *testing.T, dir string) string {
	t.Helper()
	return runGit(t, dir, "status", "--porcelain", "--untracked-files=all")
}

// indexAtHead fails unless the real git sees no staged change.
func indexAtHead(t *testing.T, dir string) {
	t.Helper()
	if out, err := gitErr(dir, "diff", "--cached", "--quiet"); err != nil {
		t.Errorf("git diff --cached: the index is not the commit's tree (%v)\n%s\n%s", err, out, runGit(t, dir, "status", "--porcelain"))
	}
}

// TestDirtyWorktreeIndexAtCommit: with local edits, the commit still
// brings the index to the committed tree; files the user did not touch are
// updated, edited files keep the user's content (reported) and show as the
// user's own unstaged changes, never as staged reversals of the snapshot;
// `git commit -am` then commits only the user's edit.
func TestDirtyWorktreeIndexAtCommit(t *testing.T) {
	r := newTestRepo(t, false)
	dir := r.Path()
	f := files0()
	write(t, r, Snapshot{Files: f, Author: day(0)})
	// the user edits a tracked file the snapshot does not change, and one it changes
	userEdit := []byte("displayName: edited by hand\n")
	p := filepath.Join(dir, "users", "ann smith.11aa.yaml")
	if err := os.WriteFile(p, userEdit, 0o644); err != nil {
		t.Fatal(err)
	}
	var changed string
	for name := range f {
		if strings.HasPrefix(name, "groups/") {
			changed = name
			break
		}
	}
	os.WriteFile(filepath.Join(dir, changed), []byte("mine\n"), 0o644)
	f2 := edit(f, map[string][]byte{"users/new.yaml": []byte("new\n"), "README.md": nil, changed: []byte("snapshot v2\n")})
	res := write(t, r, Snapshot{Files: f2, Author: day(1)})
	if !res.Changed || !res.WorktreeUpdated || res.WorktreeSkipped != "" {
		t.Fatalf("result = %+v", res)
	}
	if len(res.WorktreeKept) != 1 || !strings.HasPrefix(res.WorktreeKept[0], changed+": your local version is kept") {
		t.Errorf("WorktreeKept = %q", res.WorktreeKept)
	}
	if b, _ := os.ReadFile(p); string(b) != string(userEdit) {
		t.Error("the user's edit was overwritten")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, changed)); string(b) != "mine\n" {
		t.Error("the user's edit of a changed file was overwritten")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "users", "new.yaml")); err != nil || string(b) != "new\n" {
		t.Errorf("new file not written: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); !os.IsNotExist(err) {
		t.Error("deleted file left in the working tree")
	}
	if _, err := os.Stat(filepath.Join(r.GitDir(), "index.lock")); !os.IsNotExist(err) {
		t.Error("index.lock left behind")
	}
	indexAtHead(t, dir)
	want := " M " + changed + "\n M \"users/ann smith.11aa.yaml\"\n"
	if got := porcelain(t, dir); got != want {
		t.Errorf("git status --porcelain:\n%s\nwant:\n%s", got, want)
	}
	fsck(t, dir)
	// following git's advice commits the user's edits on top of the snapshot
	runGit(t, dir, "commit", "-q", "-am", "my edits")
	if out := runGit(t, dir, "show", "HEAD:users/new.yaml"); out != "new\n" {
		t.Errorf("git commit -am reverted the snapshot: users/new.yaml = %q", out)
	}
	if _, err := gitErr(dir, "cat-file", "-e", "HEAD:README.md"); err == nil {
		t.Error("git commit -am restored the deleted README.md")
	}

	// Staged changes are unstaged, their files kept.
	runGit(t, dir, "reset", "-q", "--hard", "HEAD~1")
	statusClean(t, dir)
	os.WriteFile(filepath.Join(dir, "staged.txt"), []byte("s"), 0o644)
	runGit(t, dir, "add", "staged.txt")
	res = write(t, r, Snapshot{Files: edit(f2, map[string][]byte{"x": []byte("x")}), Author: day(2)})
	if !res.WorktreeUpdated || len(res.WorktreeKept) != 1 || !strings.HasPrefix(res.WorktreeKept[0], "staged.txt:") {
		t.Errorf("staged change: %+v", res)
	}
	indexAtHead(t, dir)
	if got := porcelain(t, dir); got != "?? staged.txt\n" {
		t.Errorf("status after a staged change:\n%s", got)
	}
	fsck(t, dir)
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
	if out := porcelain(t, dir); out != "?? notes.txt\n?? users/scratch.txt\n" {
		t.Errorf("status:\n%s", out)
	}
	// an untracked file with other content where a new file goes: kept,
	// reported; the index has the snapshot's file
	os.WriteFile(filepath.Join(dir, "groups", "h.yaml"), []byte("mine"), 0o644)
	res = write(t, r, Snapshot{Files: map[string][]byte{"groups/g.yaml": []byte("g\n"), "groups/h.yaml": []byte("h\n")}, Author: day(2)})
	if !res.WorktreeUpdated || len(res.WorktreeKept) != 1 || !strings.Contains(res.WorktreeKept[0], "groups/h.yaml") {
		t.Errorf("untracked in the way: %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "groups", "h.yaml")); string(b) != "mine" {
		t.Error("untracked file overwritten")
	}
	indexAtHead(t, dir)
	if out := porcelain(t, dir); out != " M groups/h.yaml\n?? notes.txt\n?? users/scratch.txt\n" {
		t.Errorf("status:\n%s", out)
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
