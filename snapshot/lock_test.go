package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockExclusive(t *testing.T) {
	r := newTestRepo(t, false)
	ctx := context.Background()
	unlock, err := r.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(r.GitDir(), LockFile)
	b, _ := os.ReadFile(lockPath)
	if !strings.Contains(string(b), fmt.Sprintf("pid %d\n", os.Getpid())) {
		t.Errorf("lock content %q lacks our pid", b)
	}
	// a second holder, even through another Repo value, is refused
	r2, err := Open(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	_, err = r2.Lock(ctx)
	var le *LockError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &le) {
		t.Fatalf("second Lock: %v, want ErrLocked", err)
	}
	if le.Stale || le.PID != os.Getpid() || !strings.Contains(err.Error(), "another entrasnap run holds the repository") {
		t.Errorf("second Lock error: %v (%+v)", err, le)
	}
	unlock()
	unlock() // harmless
	if _, err := os.Stat(lockPath); !os.IsNotExist(err) {
		t.Fatalf("lock file still there after unlock")
	}
	unlock2, err := r2.Lock(ctx)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock() // the first holder's unlock must not remove the second's lock
	if _, err := os.Stat(lockPath); err != nil {
		t.Fatalf("stale unlock removed another holder's lock")
	}
	unlock2()
}

func TestStaleLockOfDeadProcessIsTakenOver(t *testing.T) {
	r := newTestRepo(t, true)
	ctx := context.Background()
	lockPath := filepath.Join(r.GitDir(), LockFile)
	host, _ := os.Hostname()
	var notes []string
	r.SetNotify(func(m string) { notes = append(notes, m) })

	// a dead process on this host
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	dead := cmd.Process.Pid
	content := fmt.Sprintf("pid %d\nhost %s\nsince %s\n", dead, host, time.Now().UTC().Format(time.RFC3339Nano))
	os.WriteFile(lockPath, []byte(content), 0o644)
	unlockDead, err := r.Lock(ctx)
	if err != nil {
		t.Fatalf("dead holder not taken over: %v", err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], fmt.Sprintf("pid %d on host %s", dead, host)) || !strings.Contains(notes[0], "took over") {
		t.Errorf("notices: %q", notes)
	}
	if b, _ := os.ReadFile(lockPath); !strings.Contains(string(b), fmt.Sprintf("pid %d\n", os.Getpid())) {
		t.Errorf("lock now holds %q", b)
	}
	// a live holder (this process) is not taken over
	var le *LockError
	if _, err := r.Lock(ctx); !errors.As(err, &le) || le.Stale {
		t.Errorf("live holder: %v", err)
	}
	unlockDead()

	// an old lock from another host
	old := fmt.Sprintf("pid 1\nhost elsewhere.example\nsince %s\n", time.Now().Add(-30*time.Hour).UTC().Format(time.RFC3339Nano))
	os.WriteFile(lockPath, []byte(old), 0o644)
	_, err = r.Lock(ctx)
	if !errors.As(err, &le) || !le.Stale || !strings.Contains(err.Error(), "30h0m0s old") {
		t.Fatalf("old lock: %v", err)
	}
	// a fresh lock from another host is not stale
	fresh := fmt.Sprintf("pid 1\nhost elsewhere.example\nsince %s\n", time.Now().UTC().Format(time.RFC3339Nano))
	os.WriteFile(lockPath, []byte(fresh), 0o644)
	_, err = r.Lock(ctx)
	if !errors.As(err, &le) || le.Stale || strings.Contains(err.Error(), "rm -f") {
		t.Fatalf("fresh foreign lock: %v", err)
	}
	os.Remove(lockPath)
	unlock, err := r.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}

// TestGitLocksAndTempsOfACrash: every git lock file in the way is reported
// in one error (nothing removed while it may be in use); once old, ref locks
// and temporary packs are removed by Lock, index.lock only when the dead
// run that was taken over made it, or by Tidy (check --repair).
func TestGitLocksAndTempsOfACrash(t *testing.T) {
	r := newTestRepo(t, false)
	dir := r.Path()
	write(t, r, Snapshot{Files: files0(), Author: day(0), Tag: "snapshot/1"})
	git := filepath.Join(dir, ".git")
	locks := []string{
		filepath.Join(git, "refs", "heads", "main.lock"),
		filepath.Join(git, "refs", "tags", "snapshot", "2.lock"),
		filepath.Join(git, "packed-refs.lock"),
		filepath.Join(git, "index.lock"),
	}
	temps := []string{
		filepath.Join(git, "objects", "pack", "tmp_pack_abc"),
		filepath.Join(git, "objects", "pack", "tmp_idx_abc"),
		filepath.Join(git, "objects", "ab", "tmp_obj_xyz"),
	}
	for _, p := range append(append([]string{}, locks...), temps...) {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	age := func(ps []string, d time.Duration) {
		for _, p := range ps {
			old := time.Now().Add(-d)
			os.Chtimes(p, old, old)
		}
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }

	// fresh: all reported in one error, nothing removed
	_, err := r.Lock(context.Background())
	var ge *GitLocksError
	if !errors.As(err, &ge) {
		t.Fatalf("fresh locks: %v", err)
	}
	for _, p := range locks {
		if !strings.Contains(err.Error(), p) || !strings.Contains(ge.Command, shellQuote(p)) || !exists(p) {
			t.Errorf("%s not reported (or removed): %v", p, err)
		}
	}
	if exists(filepath.Join(git, LockFile)) {
		t.Error("entrasnap.lock kept after the error")
	}
	for _, p := range temps {
		if !exists(p) {
			t.Errorf("fresh temp file %s removed", p)
		}
	}

	// old: ref locks and temps removed; index.lock (no dead run taken over)
	// is kept and only noticed
	age(locks, time.Hour)
	age(temps, 2*time.Hour)
	var notes []string
	r.SetNotify(func(m string) { notes = append(notes, m) })
	unlock, err := r.Lock(context.Background())
	if err != nil {
		t.Fatalf("old locks: %v", err)
	}
	unlock()
	for _, p := range append(locks[:3:3], temps...) {
		if exists(p) {
			t.Errorf("%s not removed", p)
		}
	}
	if !exists(locks[3]) {
		t.Error("index.lock removed without proof that no git command holds it")
	}
	if all := strings.Join(notes, "\n"); !strings.Contains(all, "removed "+locks[0]) || !strings.Contains(all, "index.lock exists") {
		t.Errorf("notices:\n%s", all)
	}
	// Tidy (check --repair) removes the old index.lock too
	rep, err := r.Tidy()
	if err != nil || exists(locks[3]) || len(rep.Removed) != 1 {
		t.Errorf("Tidy: %v %+v", err, rep)
	}

	// an index.lock made while a dead entrasnap held the repository goes
	// with the takeover once old
	host, _ := os.Hostname()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	since := time.Now().Add(-2 * time.Hour)
	os.WriteFile(filepath.Join(git, LockFile), []byte(fmt.Sprintf("pid %d\nhost %s\nsince %s\n", cmd.Process.Pid, host, since.UTC().Format(time.RFC3339Nano))), 0o644)
	os.WriteFile(locks[3], nil, 0o644)
	age(locks[3:], time.Hour)
	unlock, err = r.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if exists(locks[3]) {
		t.Error("the dead run's index.lock was left")
	}
	fsck(t, dir)
	statusClean(t, dir)
}

// A run killed while taking the lock leaves no empty lock behind (the lock
// is linked into place whole), and an empty lock of an older entrasnap is
// taken over once it is a moment old; its temporary file goes too.
func TestLockKilledWhileTakingIt(t *testing.T) {
	r := newTestRepo(t, true)
	ctx := context.Background()
	lockPath := filepath.Join(r.GitDir(), LockFile)
	var notes []string
	r.SetNotify(func(m string) { notes = append(notes, m) })

	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", lockPath, cmd.Process.Pid)
	if err := os.WriteFile(tmp, []byte("pid 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unlock, err := r.Lock(ctx)
	if err != nil {
		t.Fatalf("a dead run's temporary lock file blocks: %v", err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dead run's temporary lock file is still there: %v", err)
	}
	unlock()

	// An empty lock file: one being written is left alone; an old one is
	// taken over, said so.
	if err := os.WriteFile(lockPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var le *LockError
	if _, err := r.Lock(ctx); !errors.As(err, &le) {
		t.Fatalf("a fresh empty lock: %v", err)
	}
	past := time.Now().Add(-10 * time.Second)
	os.Chtimes(lockPath, past, past)
	unlock, err = r.Lock(ctx)
	if err != nil {
		t.Fatalf("an old empty lock is not taken over: %v", err)
	}
	defer unlock()
	if len(notes) != 1 || !strings.Contains(notes[0], "left empty") {
		t.Errorf("notices: %q", notes)
	}
	if b, _ := os.ReadFile(lockPath); !strings.Contains(string(b), fmt.Sprintf("pid %d\n", os.Getpid())) {
		t.Errorf("lock now holds %q", b)
	}
}

// A repair report says what was done, a line each, and nothing when
// nothing was.
func TestRepairReportLines(t *testing.T) {
	var none *RepairReport
	if l := none.Lines(); len(l) != 0 {
		t.Errorf("nil report: %q", l)
	}
	if l := (&RepairReport{Worktree: &WorktreeReport{Branch: "main"}}).Lines(); len(l) != 0 {
		t.Errorf("nothing changed: %q", l)
	}
	rep := &RepairReport{Removed: []string{"index.lock (2h old)"}, Worktree: &WorktreeReport{Branch: "main", Changed: []string{"a", "b"}, Kept: []string{"c: local edit"}}}
	want := []string{"removed index.lock (2h old)", "brought 2 path(s) of the index and working tree to main", "kept c: local edit"}
	if got := rep.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}

// TestHoldLock: under the context HoldLock returns, Lock of the same
// repository (another Repo value too) passes without taking the lock
// again, and its unlock leaves the lock held; any other context is refused;
// once released, or once the lock file is no longer the holder's, the
// context holds nothing.
func TestHoldLock(t *testing.T) {
	r := newTestRepo(t, false)
	lockPath := filepath.Join(r.GitDir(), LockFile)
	held, unlock, err := r.HoldLock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Open(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	inner, err := r2.Lock(held)
	if err != nil {
		t.Fatalf("Lock under HoldLock's context: %v", err)
	}
	inner()
	if _, err := os.Stat(lockPath); err != nil {
		t.Fatalf("the nested unlock released the lock: %v", err)
	}
	if _, err := r2.Lock(context.Background()); !errors.Is(err, ErrLocked) {
		t.Fatalf("Lock outside HoldLock's context: %v, want ErrLocked", err)
	}
	other := newTestRepo(t, false)
	if u, err := other.Lock(held); err != nil {
		t.Fatalf("another repository under the context: %v", err)
	} else if _, err := os.Stat(filepath.Join(other.GitDir(), LockFile)); err != nil {
		t.Errorf("another repository's Lock under the context took no lock: %v", err)
	} else {
		u()
	}
	unlock()
	if _, err := os.Stat(lockPath); !os.IsNotExist(err) {
		t.Fatalf("HoldLock's unlock left the lock: %v", err)
	}
	u2, err := r2.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer u2()
	if _, err := r.Lock(held); !errors.Is(err, ErrLocked) {
		t.Errorf("a released HoldLock context passed another holder's lock: %v", err)
	}
}

// TestLockRaceInOneProcess: goroutines of one process taking the lock at
// once (each with its own Repo) get it one at a time, and each unlock
// removes the lock it took (their temporary files are their own).
func TestLockRaceInOneProcess(t *testing.T) {
	r := newTestRepo(t, false)
	lockPath := filepath.Join(r.GitDir(), LockFile)
	const n = 8
	repos := make([]*Repo, n)
	for i := range repos {
		var err error
		if repos[i], err = Open(r.Path()); err != nil {
			t.Fatal(err)
		}
		defer repos[i].Close()
	}
	for round := 0; round < 20; round++ {
		unlocks := make(chan func(), n)
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range repos {
			go func() {
				<-start
				u, err := repos[i].Lock(context.Background())
				if err != nil {
					errs <- err
					return
				}
				unlocks <- u
			}()
		}
		close(start)
		var won []func()
		for range n {
			select {
			case u := <-unlocks:
				won = append(won, u)
			case err := <-errs:
				if !errors.Is(err, ErrLocked) {
					t.Fatalf("round %d: %v", round, err)
				}
			}
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %d goroutines hold the lock", round, len(won))
		}
		won[0]()
		if _, err := os.Stat(lockPath); !os.IsNotExist(err) {
			t.Fatalf("round %d: the winner's unlock left the lock (it held another's content): %v", round, err)
		}
	}
}

// TestLockWait: LockWait waits for a lock a running run holds (here, this
// process through another Repo) and takes it once released, telling
// waiting who holds it; it gives up after its wait with the holder named
// and how long it waited (still ErrLocked), stops when the context ends,
// never waits for a lock waiting cannot free (another host's), and with no
// wait is Lock.
func TestLockWait(t *testing.T) {
	defer func(p time.Duration) { LockPoll = p }(LockPoll)
	LockPoll = 10 * time.Millisecond
	r := newTestRepo(t, false)
	ctx := context.Background()
	other, err := Open(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	held, err := other.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.LockWait(ctx, 0, func(*LockError, time.Duration) { t.Error("waited with no wait") }); !errors.Is(err, ErrLocked) {
		t.Fatalf("no wait: %v", err)
	}
	var told []*LockError
	_, err = r.LockWait(ctx, 80*time.Millisecond, func(le *LockError, _ time.Duration) { told = append(told, le) })
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "waited 80ms") || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("after its wait: %v", err)
	}
	if len(told) != 1 || told[0].PID != os.Getpid() || !strings.Contains(told[0].Waiting(1500*time.Millisecond), fmt.Sprintf("held by pid %d on host", os.Getpid())) ||
		!strings.Contains(told[0].Waiting(1500*time.Millisecond), "waited 2s") {
		t.Errorf("waiting was told %+v", told)
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	if _, err := r.LockWait(cctx, time.Hour, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait: %v", err)
	}
	// Released while waiting: taken.
	go func() { time.Sleep(50 * time.Millisecond); held() }()
	unlock, err := r.LockWait(ctx, time.Hour, nil)
	if err != nil {
		t.Fatalf("released while waiting: %v", err)
	}
	if _, err := other.Lock(ctx); !errors.Is(err, ErrLocked) {
		t.Errorf("the waiter does not hold the lock: %v", err)
	}
	unlock()
	// Another host's lock: refused at once, never waited for.
	lockPath := filepath.Join(r.GitDir(), LockFile)
	content := fmt.Sprintf("pid %d\nhost %s\nsince %s\n", os.Getpid(), "another-host.example", time.Now().Add(-StaleLockAge-time.Hour).UTC().Format(time.RFC3339Nano))
	if err := os.WriteFile(lockPath, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.LockWait(ctx, time.Hour, func(*LockError, time.Duration) { t.Error("waited for a stale lock") }); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "stale") {
		t.Errorf("a stale lock: %v", err)
	}
	os.Remove(lockPath)
}
