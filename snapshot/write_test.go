package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sampleFiles has nested folders, spaces, Unicode, and names whose git
// order differs from plain byte order ("a" the folder sorts as "a/").
func files0() map[string][]byte {
	return map[string][]byte{
		"README.md":                                     []byte("tenant backup\n"),
		"users/jürgen müller.3f2a.yaml":                 []byte("displayName: Jürgen Müller\n"),
		"users/ann smith.11aa.yaml":                     []byte("displayName: Ann Smith\n"),
		"groups/財務.0001.yaml":                           []byte("displayName: 財務\n"),
		"conditional-access/policies/block legacy.yaml": []byte("state: enabled\n"),
		"conditional-access/named-locations/hq.yaml":    []byte("ipRanges: []\n"),
		"order/a/x":                []byte("in folder a\n"),
		"order/a.b":                []byte("a.b\n"),
		"order/a-b":                []byte("a-b\n"),
		"order/a0":                 []byte("a0\n"),
		"order/a_":                 []byte("a_\n"),
		"order/ab":                 []byte("ab\n"),
		"order2/a":                 []byte("file a\n"),
		"order2/a.b":               []byte("a.b\n"),
		"order2/a-b":               []byte("a-b\n"),
		"deep/1/2/3/4/5/leaf.yaml": []byte("deep: true\n"),
		"empty.yaml":               {},
	}
}

func TestFirstSnapshot(t *testing.T) {
	for _, bare := range []bool{true, false} {
		t.Run(fmt.Sprintf("bare=%v", bare), func(t *testing.T) {
			r := newTestRepo(t, bare)
			dir := r.Path()
			files := files0()
			res := write(t, r, Snapshot{
				Files: files, Message: "First snapshot\n\nkinds: all", Author: day(0),
				Tag: "snapshot/20260320T101500Z", TagMessage: "first",
			})
			if !res.Changed || res.Commit.IsZero() || !res.Parent.IsZero() {
				t.Fatalf("result = %+v", res)
			}
			if res.Counts != (Counts{Added: len(files)}) {
				t.Errorf("counts = %+v, want %d added", res.Counts, len(files))
			}
			fsck(t, dir)
			if got := revParse(t, dir, "HEAD"); got != res.Commit {
				t.Errorf("HEAD = %s, want %s", got, res.Commit)
			}
			if got := runGit(t, dir, "symbolic-ref", "HEAD"); strings.TrimSpace(got) != "refs/heads/main" {
				t.Errorf("HEAD -> %q", got)
			}
			// Same tree id as git itself builds from these files: modes,
			// entry order and encoding all match.
			if want, got := gitTreeOf(t, files), strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD^{tree}")); got != want {
				t.Errorf("tree = %s, git builds %s", got, want)
			}
			ls := runGit(t, dir, "ls-tree", "--name-only", "HEAD", "order/")
			if want := "order/a-b\norder/a.b\norder/a\norder/a0\norder/a_\norder/ab\n"; ls != want {
				t.Errorf("ls-tree order/ =\n%s\nwant\n%s", ls, want)
			}
			cat := runGit(t, dir, "cat-file", "-p", "HEAD")
			for _, want := range []string{
				fmt.Sprintf("author Entra Snap <snap@example.com> %d +0000", day(0).When.Unix()),
				fmt.Sprintf("committer Entra Snap <snap@example.com> %d +0000", day(0).When.Unix()),
				"\n\nFirst snapshot\n\nkinds: all\n",
			} {
				if !strings.Contains(cat, want) {
					t.Errorf("cat-file -p HEAD lacks %q:\n%s", want, cat)
				}
			}
			if strings.Contains(cat, "parent ") {
				t.Errorf("first commit has a parent:\n%s", cat)
			}
			if typ := strings.TrimSpace(runGit(t, dir, "cat-file", "-t", "snapshot/20260320T101500Z")); typ != "tag" {
				t.Errorf("tag type = %s, want tag (annotated)", typ)
			}
			show := runGit(t, dir, "show", "--no-patch", "--format=%H", "snapshot/20260320T101500Z")
			if !strings.Contains(show, "tag snapshot/20260320T101500Z\nTagger: Entra Snap <snap@example.com>") || !strings.Contains(show, "first\n") || !strings.Contains(show, res.Commit.String()) {
				t.Errorf("git show TAG:\n%s", show)
			}
			lsr := runGit(t, dir, "ls-tree", "-r", "-z", "--name-only", "HEAD")
			var got []string
			for _, p := range strings.Split(strings.TrimSuffix(lsr, "\x00"), "\x00") {
				got = append(got, p)
			}
			if len(got) != len(files) {
				t.Errorf("ls-tree -r lists %d files, want %d", len(got), len(files))
			}
			for _, p := range got {
				if b := runGit(t, dir, "cat-file", "-p", "HEAD:"+p); b != string(files[p]) {
					t.Errorf("%s = %q, want %q", p, b, files[p])
				}
			}
			if bare {
				if res.WorktreeUpdated || res.WorktreeSkipped != "" {
					t.Errorf("bare repo: worktree %v %q", res.WorktreeUpdated, res.WorktreeSkipped)
				}
				return
			}
			if !res.WorktreeUpdated {
				t.Fatalf("worktree not updated: %s", res.WorktreeSkipped)
			}
			statusClean(t, dir)
			if diff := cmp.Diff(files, worktreeFiles(t, dir)); diff != "" {
				t.Errorf("working tree (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecondSnapshotDiffMatchesGit(t *testing.T) {
	for _, bare := range []bool{true, false} {
		t.Run(fmt.Sprintf("bare=%v", bare), func(t *testing.T) {
			r := newTestRepo(t, bare)
			dir := r.Path()
			f1 := files0()
			first := write(t, r, Snapshot{Files: f1, Author: day(0)})
			f2 := edit(f1, map[string][]byte{
				"users/ann smith.11aa.yaml": []byte("displayName: Ann Smith-Jones\n"), // modified
				"users/new user.77.yaml":    []byte("displayName: New\n"),             // added
				"groups/財務.0001.yaml":       nil,                                      // deleted: folder now empty
				"deep/1/2/3/4/5/leaf.yaml":  nil,                                      // deleted deep
				"deep/1/other.yaml":         []byte("x\n"),                            // added
				"order2/a":                  nil,                                      // file becomes a folder
				"order2/a/inside":           []byte("now a folder\n"),
				"order/a/x":                 nil, // folder becomes a file
				"order/a":                   []byte("now a file\n"),
				"conditional-access/policies/block legacy.yaml": []byte("state: disabled\n"),
			})
			second := write(t, r, Snapshot{Files: f2, Author: day(1), Tag: "snapshot/2"})
			if !second.Changed || second.Parent != first.Commit {
				t.Fatalf("second = %+v", second)
			}
			fsck(t, dir)
			want := gitDiff(t, dir, first.Commit.String(), second.Commit.String())
			if diff := cmp.Diff(want, pathsActions(second.Changes)); diff != "" {
				t.Errorf("Result.Changes vs git diff (-git +ours):\n%s", diff)
			}
			if second.Counts != CountChanges(want) {
				t.Errorf("counts %+v, git %+v", second.Counts, CountChanges(want))
			}
			got, err := r.Diff(context.Background(), first.Commit.String(), "snapshot/2")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, pathsActions(got)); diff != "" {
				t.Errorf("Diff vs git diff (-git +ours):\n%s", diff)
			}
			for _, c := range got {
				if c.Action != Added && c.From != revParse(t, dir, first.Commit.String()+":"+c.Path) {
					t.Errorf("%s: From %s", c.Path, c.From)
				}
				if c.Action != Deleted && c.To != revParse(t, dir, second.Commit.String()+":"+c.Path) {
					t.Errorf("%s: To %s", c.Path, c.To)
				}
			}
			if parent := strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD^")); parent != first.Commit.String() {
				t.Errorf("HEAD^ = %s", parent)
			}
			if want, got := gitTreeOf(t, f2), strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD^{tree}")); got != want {
				t.Errorf("tree = %s, git builds %s", got, want)
			}
			if !bare {
				if !second.WorktreeUpdated {
					t.Fatalf("worktree skipped: %s", second.WorktreeSkipped)
				}
				statusClean(t, dir)
				if diff := cmp.Diff(f2, worktreeFiles(t, dir)); diff != "" {
					t.Errorf("working tree (-want +got):\n%s", diff)
				}
				for _, gone := range []string{"groups", "deep/1/2"} {
					if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
						t.Errorf("empty folder %s not removed (%v)", gone, err)
					}
				}
			}
		})
	}
}

func TestUnchangedTreeMakesNoCommit(t *testing.T) {
	r := newTestRepo(t, false)
	dir := r.Path()
	f := files0()
	first := write(t, r, Snapshot{Files: f, Author: day(0), Tag: "snapshot/1"})
	// no tag asked when unchanged
	res := write(t, r, Snapshot{Files: edit(f, nil), Author: day(1), Tag: "snapshot/2"})
	if res.Changed || res.Commit != first.Commit || res.Tag != "" {
		t.Fatalf("unchanged without TagWhenUnchanged: %+v", res)
	}
	if _, err := gitErr(dir, "rev-parse", "--verify", "-q", "snapshot/2"); err == nil {
		t.Error("tag snapshot/2 created although TagWhenUnchanged is false")
	}
	res = write(t, r, Snapshot{Files: edit(f, nil), Author: day(2), Tag: "snapshot/3", TagWhenUnchanged: true, TagMessage: "no change"})
	if res.Changed || res.Commit != first.Commit || res.Tag != "snapshot/3" {
		t.Fatalf("unchanged with TagWhenUnchanged: %+v", res)
	}
	if n := strings.TrimSpace(runGit(t, dir, "rev-list", "--count", "HEAD")); n != "1" {
		t.Errorf("%s commits, want 1", n)
	}
	if got := revParse(t, dir, "snapshot/3^{commit}"); got != first.Commit {
		t.Errorf("snapshot/3 -> %s, want head %s", got, first.Commit)
	}
	fsck(t, dir)
	statusClean(t, dir)
	// an existing tag is refused before anything is written
	_, err := r.WriteSnapshot(context.Background(), Snapshot{Files: edit(f, map[string][]byte{"new": []byte("x")}), Tag: "snapshot/1"})
	if !errors.Is(err, ErrTagExists) {
		t.Fatalf("reused tag: err = %v, want ErrTagExists", err)
	}
	if n := strings.TrimSpace(runGit(t, dir, "rev-list", "--count", "HEAD")); n != "1" {
		t.Errorf("%s commits after refused tag, want 1", n)
	}
}

func TestCarryKeepsParentFiles(t *testing.T) {
	r := newTestRepo(t, false)
	dir := r.Path()
	f1 := map[string][]byte{
		"users/a.yaml":        []byte("a\n"),
		"users/b.yaml":        []byte("b\n"),
		"groups/g1.yaml":      []byte("g1\n"),
		"groups/sub/g2.yaml":  []byte("g2\n"),
		"roles/r.yaml":        []byte("r\n"),
		"policies/p.yaml":     []byte("p\n"),
		"policies/other.yaml": []byte("o\n"),
	}
	first := write(t, r, Snapshot{Files: f1, Author: day(0)})
	// groups and one policy file were not read this run: carry them.
	f2 := map[string][]byte{
		"users/a.yaml":        []byte("a changed\n"),
		"roles/r.yaml":        []byte("r\n"),
		"policies/other.yaml": []byte("o\n"),
	}
	res := write(t, r, Snapshot{Files: f2, Carry: []string{"groups/", "policies/p.yaml", "never-existed"}, Author: day(1)})
	want := []Change{
		{Path: "users/a.yaml", Action: Modified},
		{Path: "users/b.yaml", Action: Deleted},
	}
	if diff := cmp.Diff(want, pathsActions(res.Changes)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, gitDiff(t, dir, first.Commit.String(), res.Commit.String())); diff != "" {
		t.Errorf("git diff (-want +got):\n%s", diff)
	}
	if a, b := revParse(t, dir, first.Commit.String()+":groups"), revParse(t, dir, "HEAD:groups"); a != b {
		t.Errorf("carried groups tree %s != parent's %s", b, a)
	}
	fsck(t, dir)
	statusClean(t, dir)

	for _, carry := range []string{"groups", "groups/", "users/a.yaml", "users"} {
		files := edit(f1, map[string][]byte{"groups-x/a": []byte("sorts between groups and groups/")})
		_, err := r.WriteSnapshot(context.Background(), Snapshot{Files: files, Carry: []string{carry}})
		if err == nil || !strings.Contains(err.Error(), "Carry") {
			t.Errorf("files under carried %q: err = %v", carry, err)
		}
	}
}

func TestInvalidPathsRefused(t *testing.T) {
	r := newTestRepo(t, true)
	for _, p := range []string{"", "/abs", "a//b", "a/", "./a", "a/../b", ".git/config", "x/.GIT/y", "a\x00b", "x/."} {
		_, err := r.WriteSnapshot(context.Background(), Snapshot{Files: map[string][]byte{p: []byte("x")}})
		if err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	_, err := r.WriteSnapshot(context.Background(), Snapshot{Files: map[string][]byte{"a": []byte("x"), "a/b": []byte("y")}})
	if err == nil {
		t.Error("file and folder of one name accepted")
	}
}

func TestDeletedFilesAndEmptyTree(t *testing.T) {
	r := newTestRepo(t, false)
	dir := r.Path()
	f := map[string][]byte{"k/a.yaml": []byte("a"), "k/b.yaml": []byte("b"), "top.yaml": []byte("t")}
	write(t, r, Snapshot{Files: f, Author: day(0)})
	res := write(t, r, Snapshot{Files: map[string][]byte{"top.yaml": []byte("t")}, Author: day(1)})
	if res.Counts != (Counts{Deleted: 2}) {
		t.Errorf("counts = %+v", res.Counts)
	}
	if _, err := os.Stat(filepath.Join(dir, "k")); !os.IsNotExist(err) {
		t.Errorf("folder k still there: %v", err)
	}
	statusClean(t, dir)
	res = write(t, r, Snapshot{Files: map[string][]byte{}, Author: day(2)})
	if !res.Changed || res.Counts != (Counts{Deleted: 1}) {
		t.Errorf("empty tree: %+v", res)
	}
	if tree := strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD^{tree}")); tree != emptyTreeHash.String() {
		t.Errorf("tree = %s, want the empty tree", tree)
	}
	fsck(t, dir)
	statusClean(t, dir)
}

func TestPackedSnapshotAndExternalGC(t *testing.T) {
	r := newTestRepo(t, false)
	dir := r.Path()
	f := map[string][]byte{}
	for i := 0; i < 500; i++ {
		f[fmt.Sprintf("kind%d/obj %03d.yaml", i%7, i)] = []byte(fmt.Sprintf("id: %d\n", i))
	}
	res := write(t, r, Snapshot{Files: f, Author: day(0), Tag: "snapshot/1"})
	if !res.Packed || res.ObjectsWritten < 500 {
		t.Errorf("first snapshot: packed=%v objects=%d", res.Packed, res.ObjectsWritten)
	}
	fsck(t, dir)
	runGit(t, dir, "verify-pack", "-v", firstPack(t, dir))
	statusClean(t, dir)
	// git gc repacks behind go-git's back; the next snapshot still works.
	runGit(t, dir, "gc", "-q", "--prune=now")
	f2 := edit(f, map[string][]byte{"kind1/obj 001.yaml": []byte("changed\n"), "kind3/new.yaml": []byte("new\n")})
	res2 := write(t, r, Snapshot{Files: f2, Author: day(1), Tag: "snapshot/2"})
	if res2.Packed || res2.Counts != (Counts{Added: 1, Modified: 1}) {
		t.Errorf("second: %+v", res2)
	}
	b, err := r.ReadFile(context.Background(), "snapshot/1", "kind1/obj 001.yaml")
	if err != nil || string(b) != "id: 1\n" {
		t.Errorf("ReadFile after gc = %q, %v", b, err)
	}
	fsck(t, dir)
	statusClean(t, dir)
}

func firstPack(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.idx"))
	if len(m) == 0 {
		t.Fatal("no pack written")
	}
	return m[0]
}

func TestBranchMovedCASFailure(t *testing.T) {
	for _, bare := range []bool{true, false} {
		t.Run(fmt.Sprintf("bare=%v", bare), func(t *testing.T) {
			r := newTestRepo(t, bare)
			dir := r.Path()
			f := files0()
			c1 := write(t, r, Snapshot{Files: f, Author: day(0)})
			c2 := write(t, r, Snapshot{Files: edit(f, map[string][]byte{"x.yaml": []byte("x")}), Author: day(1)})
			// Another writer moves main back to c1 after we read c2 as head.
			r.testBeforeRefUpdate = func() {
				fsck(t, dir) // the state a crash here would leave
				runGit(t, dir, "update-ref", "refs/heads/main", c1.Commit.String())
			}
			_, err := r.WriteSnapshot(context.Background(), Snapshot{Files: edit(f, map[string][]byte{"y.yaml": []byte("y")}), Author: day(2), Tag: "snapshot/3"})
			r.testBeforeRefUpdate = nil
			if !errors.Is(err, ErrBranchMoved) {
				t.Fatalf("err = %v, want ErrBranchMoved", err)
			}
			if !strings.Contains(err.Error(), c2.Commit.String()) || !strings.Contains(err.Error(), "run again") {
				t.Errorf("error does not explain: %v", err)
			}
			if got := revParse(t, dir, "refs/heads/main"); got != c1.Commit {
				t.Errorf("main = %s, want the other writer's %s", got, c1.Commit)
			}
			if _, err := gitErr(dir, "rev-parse", "--verify", "-q", "snapshot/3"); err == nil {
				t.Error("tag created although the commit was not published")
			}
			for _, lock := range []string{"refs/heads/main.lock", "index.lock"} {
				if _, err := os.Stat(filepath.Join(r.GitDir(), lock)); !os.IsNotExist(err) {
					t.Errorf("%s left behind", lock)
				}
			}
			fsck(t, dir)
			// The next run continues from the moved branch.
			res := write(t, r, Snapshot{Files: f, Author: day(3)})
			if res.Changed {
				t.Errorf("f equals c1's tree: expected no change, got %+v", res)
			}
		})
	}
}

func TestLeftoversOfACrashAreIgnoredByGit(t *testing.T) {
	r := newTestRepo(t, true)
	dir := r.Path()
	write(t, r, Snapshot{Files: files0(), Author: day(0)})
	// what an interrupted run leaves: temp object, temp pack, a finished
	// index whose pack was never renamed into place.
	os.MkdirAll(filepath.Join(dir, "objects", "ab"), 0o755)
	os.WriteFile(filepath.Join(dir, "objects", "ab", "tmp_obj_123"), []byte("partial"), 0o444)
	os.WriteFile(filepath.Join(dir, "objects", "pack", "tmp_pack_123"), []byte("PACK partial"), 0o444)
	os.WriteFile(filepath.Join(dir, "objects", "pack", "tmp_idx_123"), []byte("partial"), 0o444)
	fsck(t, dir)
	res := write(t, r, Snapshot{Files: edit(files0(), map[string][]byte{"n": []byte("n")}), Author: day(1)})
	if !res.Changed {
		t.Fatal("no commit")
	}
	fsck(t, dir)
	if _, err := r.Resolve(context.Background(), "HEAD"); err != nil {
		t.Fatal(err)
	}
}

// ParseSignature takes "Name <email>" and refuses what a commit could not
// hold, before any work is done.
func TestParseSignature(t *testing.T) {
	for in, want := range map[string]Signature{
		"Ada Admin <ada@contoso.com>":     {Name: "Ada Admin", Email: "ada@contoso.com"},
		"  Ada   <ada@contoso.com>":       {Name: "Ada", Email: "ada@contoso.com"},
		"Ops (nightly) <ops@contoso.com>": {Name: "Ops (nightly)", Email: "ops@contoso.com"},
		"Zoë Ωmega 山田 <zoe@contoso.com>":  {Name: "Zoë Ωmega 山田", Email: "zoe@contoso.com"},
	} {
		got, err := ParseSignature(in)
		if err != nil || got != want {
			t.Errorf("ParseSignature(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "no email", "<ada@contoso.com>", "   <ada@contoso.com>", "Ada <>", "Ada <ada@contoso.com> trailing",
		"Ad\na <ada@contoso.com>", "Ada\r\n <ada@contoso.com>x", "Ada <ada\n@contoso.com>", "A<b <ada@contoso.com>", "Ada \x00 <ada@contoso.com>",
		"Ad\ra <ada@contoso.com>", "Ada\x1b[2J <ada@contoso.com>", "Ada \u202eatad <ada@contoso.com>", "Ada\xff <ada@contoso.com>",
		"Ada <ada\x1b]0;x\x07@contoso.com>", "Ada\tAdmin <ada@contoso.com>", "Ad\u0085a <ada@contoso.com>"} {
		if got, err := ParseSignature(in); err == nil {
			t.Errorf("ParseSignature(%q) = %+v, want an error", in, got)
		}
	}
}

// SignatureFromEnv reads git's GIT_<ROLE>_NAME and GIT_<ROLE>_EMAIL: unset
// is the writer's default (empty), printable text (emoji, quotes, ../) is
// taken as it is, and what a commit could not hold (newline, RTL mark,
// escape, <) is refused naming both variables, the value escaped.
func TestSignatureFromEnv(t *testing.T) {
	t.Setenv("GIT_AUTHOR_NAME", "")
	t.Setenv("GIT_AUTHOR_EMAIL", "")
	if sig, err := SignatureFromEnv("AUTHOR"); err != nil || sig != (Signature{}) {
		t.Errorf("unset: %+v %v, want the default", sig, err)
	}
	t.Setenv("GIT_COMMITTER_NAME", `Zoë "Q" O'Brien 🙂 ../x`)
	t.Setenv("GIT_COMMITTER_EMAIL", "zoe@example.com")
	if sig, err := SignatureFromEnv("COMMITTER"); err != nil || sig.Name != `Zoë "Q" O'Brien 🙂 ../x` || sig.Email != "zoe@example.com" {
		t.Errorf("printable: %+v %v", sig, err)
	}
	for _, bad := range []string{"Eve\nInjected: yes", "Eve \u202eeman", "Eve \x1b[31m", "Eve <x>"} {
		t.Setenv("GIT_AUTHOR_NAME", bad)
		sig, err := SignatureFromEnv("AUTHOR")
		if err == nil || sig != (Signature{}) || !strings.Contains(err.Error(), "GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL") ||
			!strings.Contains(err.Error(), "set GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL to printable text, or unset them") || strings.ContainsAny(err.Error(), "\n\u202e\x1b") {
			t.Errorf("%q: %+v %v", bad, sig, err)
		}
	}
}
