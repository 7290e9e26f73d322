package snapshot

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashFiles are the two snapshots of the crash test: v2 adds, changes and
// deletes files (and a folder), so that every write step is reached.
func crashFiles(v int) map[string][]byte {
	f := files0()
	if v == 1 {
		return f
	}
	return edit(f, map[string][]byte{
		"users/new.yaml":      []byte("new\n"),
		"groups/財務.0001.yaml": []byte("displayName: 財務 v2\n"),
		"README.md":           nil,
		"conditional-access/named-locations/hq.yaml": nil,
	})
}

// crashSteps are the write steps of WriteSnapshot, in order.
var crashSteps = []string{"objects", "planned", "branch", "tag", "deleted", "written", "index"}

// TestCrashAtEachWriteStepConverges kills (SIGKILL) a process writing a
// snapshot at each write step, with the repository lock held as an export
// holds it. After each, git fsck --strict is clean, and the next run
// (taking over the dead run's lock) converges with no manual step: the
// branch has the snapshot, the index is its tree (git diff --cached is
// quiet) and git status shows only the user's own edit, which survives.
func TestCrashAtEachWriteStepConverges(t *testing.T) {
	if step := os.Getenv("ENTRASNAP_TEST_CRASH_STEP"); step != "" {
		crashChild(t, os.Getenv("ENTRASNAP_TEST_CRASH_DIR"), step)
		return
	}
	steps := crashSteps
	if testing.Short() {
		// -short (the race run): a process per step, so three of the seven:
		// before the branch moves, after the tag, after the files are written.
		steps = []string{"planned", "tag", "written"}
	}
	for _, step := range steps {
		t.Run(step, func(t *testing.T) {
			r := newTestRepo(t, false)
			dir := r.Path()
			write(t, r, Snapshot{Files: crashFiles(1), Author: day(0), Tag: "snapshot/1"})
			r.Close()
			// the user's own edit of a file the snapshot does not change
			mine := filepath.Join(dir, "users", "ann smith.11aa.yaml")
			os.WriteFile(mine, []byte("edited by hand\n"), 0o644)

			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashAtEachWriteStepConverges$", "-test.count=1")
			cmd.Env = append(os.Environ(), "ENTRASNAP_TEST_CRASH_STEP="+step, "ENTRASNAP_TEST_CRASH_DIR="+dir)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the writer was not killed at %s: %v\n%s", step, err, out)
			}
			fsck(t, dir)
			// time passes before the next run (a crashed run's locks are
			// recognised after a few seconds)
			backdate(t, filepath.Join(dir, ".git"), 5*time.Second)

			r2, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer r2.Close()
			var notes []string
			r2.SetNotify(func(m string) { notes = append(notes, m) })
			unlock, err := r2.Lock(context.Background())
			if err != nil {
				t.Fatalf("next run cannot lock: %v", err)
			}
			res, err := r2.WriteSnapshot(context.Background(), Snapshot{Files: crashFiles(2), Author: day(1), Tag: "snapshot/2-retry"})
			unlock()
			if err != nil {
				t.Fatalf("next run: %v", err)
			}
			if !strings.Contains(strings.Join(notes, "\n"), "took over the repository lock") {
				t.Errorf("no takeover notice: %q", notes)
			}
			if res.WorktreeSkipped != "" {
				t.Errorf("working tree skipped: %s", res.WorktreeSkipped)
			}
			if got, want := strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD^{tree}")), gitTreeOf(t, crashFiles(2)); got != want {
				t.Errorf("HEAD tree %s, want %s", got, want)
			}
			indexAtHead(t, dir)
			if got := porcelain(t, dir); got != " M \"users/ann smith.11aa.yaml\"\n" {
				t.Errorf("git status --porcelain after the next run:\n%s", got)
			}
			if b, _ := os.ReadFile(mine); string(b) != "edited by hand\n" {
				t.Error("the user's edit was lost")
			}
			for _, l := range []string{"index.lock", "entrasnap.lock", "refs/heads/main.lock"} {
				if _, err := os.Stat(filepath.Join(dir, ".git", l)); !os.IsNotExist(err) {
					t.Errorf(".git/%s left", l)
				}
			}
			fsck(t, dir)
		})
	}
}

func crashChild(t *testing.T, dir, step string) {
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.testStep = func(s string) {
		if s == step {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute)
		}
	}
	if _, err := r.WriteSnapshot(context.Background(), Snapshot{Files: crashFiles(2), Author: day(1), Tag: "snapshot/2"}); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("step %s never reached", step)
}

// backdate moves time back by d for every lock file in gitDir: their
// modification times and the start time entrasnap.lock records.
func backdate(t *testing.T, gitDir string, d time.Duration) {
	filepath.Walk(gitDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.HasSuffix(p, ".lock") {
			if filepath.Base(p) == LockFile {
				b, _ := os.ReadFile(p)
				lines := strings.Split(string(b), "\n")
				for i, l := range lines {
					if v, ok := strings.CutPrefix(l, "since "); ok {
						if ts, err := time.Parse(time.RFC3339Nano, v); err == nil {
							lines[i] = "since " + ts.Add(-d).Format(time.RFC3339Nano)
						}
					}
				}
				os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644)
			}
			old := fi.ModTime().Add(-d)
			os.Chtimes(p, old, old)
		}
		return nil
	})
}
