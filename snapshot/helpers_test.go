package snapshot

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// gitEnv isolates the git CLI from the machine's configuration.
func gitEnv() []string {
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"LC_ALL=C", "TZ=UTC",
		"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=core.quotePath", "GIT_CONFIG_VALUE_0=false",
	)
}

// git runs the git CLI in dir and returns its stdout; it fails the test on
// a non-zero exit.
func runGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := gitErr(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func gitErr(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = gitEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// fsck runs `git fsck --strict` and fails on any error or warning.
func fsck(t testing.TB, dir string) {
	t.Helper()
	cmd := exec.Command("git", "-C", dir, "fsck", "--strict", "--no-progress")
	cmd.Env = gitEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git fsck --strict failed: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		l := strings.ToLower(line)
		if strings.HasPrefix(l, "error") || strings.HasPrefix(l, "warning") || strings.Contains(l, "missing") || strings.Contains(l, "broken") || strings.HasPrefix(l, "bad") {
			t.Fatalf("git fsck --strict complains:\n%s", out)
		}
	}
}

// statusClean asserts `git status --porcelain` prints nothing.
func statusClean(t testing.TB, dir string) {
	t.Helper()
	if out := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); out != "" {
		t.Fatalf("git status --porcelain is not empty:\n%s", out)
	}
}

// newTestRepo creates a repository in a fresh temp folder.
func newTestRepo(t testing.TB, bare bool) *Repo {
	t.Helper()
	r, err := Init(filepath.Join(t.TempDir(), "repo"), bare)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

var baseTime = time.Date(2026, 3, 20, 10, 15, 0, 0, time.UTC)

// day returns a signature at baseTime plus n days.
func day(n int) Signature {
	return Signature{Name: "Entra Snap", Email: "snap@example.com", When: baseTime.AddDate(0, 0, n)}
}

func write(t testing.TB, r *Repo, in Snapshot) *Result {
	t.Helper()
	res, err := r.WriteSnapshot(context.Background(), in)
	if err != nil {
		t.Fatalf("WriteSnapshot: %v", err)
	}
	return res
}

// copyFiles returns a copy of m with the given edits: nil value = delete.
func edit(m map[string][]byte, edits map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	for k, v := range edits {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// gitDiff returns `git diff --name-status --no-renames A B` as Changes
// (paths and actions only).
func gitDiff(t testing.TB, dir, a, b string) []Change {
	t.Helper()
	out := runGit(t, dir, "diff", "--name-status", "--no-renames", "-z", a, b)
	parts := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	var cs []Change
	for i := 0; i+1 < len(parts); i += 2 {
		var act Action
		switch parts[i] {
		case "A":
			act = Added
		case "M", "T":
			act = Modified
		case "D":
			act = Deleted
		default:
			t.Fatalf("unexpected git diff status %q", parts[i])
		}
		cs = append(cs, Change{Path: parts[i+1], Action: act})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Path < cs[j].Path })
	return cs
}

// pathsActions drops the hashes from changes.
func pathsActions(cs []Change) []Change {
	out := make([]Change, len(cs))
	for i, c := range cs {
		out[i] = Change{Path: c.Path, Action: c.Action}
	}
	return out
}

// gitTreeOf builds the same files with the git CLI (add + write-tree) in a
// scratch repository and returns git's tree id.
func gitTreeOf(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	runGit(t, dir, "init", "-q", "-b", "main")
	for p, b := range files {
		fp := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fp, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runGit(t, dir, "add", "-A")
	return strings.TrimSpace(runGit(t, dir, "write-tree"))
}

func revParse(t testing.TB, dir, rev string) plumbing.Hash {
	t.Helper()
	return plumbing.NewHash(strings.TrimSpace(runGit(t, dir, "rev-parse", "--verify", "-q", rev)))
}

// worktreeFiles reads every file below dir except .git.
func worktreeFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() && fi.Name() == ".git" {
			return filepath.SkipDir
		}
		if fi.Mode().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[filepath.ToSlash(rel)] = b
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
