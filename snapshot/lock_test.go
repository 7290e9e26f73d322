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

func TestStaleLockIsReportedNotStolen(t *testing.T) {
	r := newTestRepo(t, true)
	ctx := context.Background()
	lockPath := filepath.Join(r.GitDir(), LockFile)
	host, _ := os.Hostname()

	// a dead process on this host
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	dead := cmd.Process.Pid
	content := fmt.Sprintf("pid %d\nhost %s\nsince %s\n", dead, host, time.Now().UTC().Format(time.RFC3339Nano))
	os.WriteFile(lockPath, []byte(content), 0o644)
	_, err := r.Lock(ctx)
	var le *LockError
	if !errors.As(err, &le) || !le.Stale {
		t.Fatalf("dead holder: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"another entrasnap run holds the repository", "stale", "not running", "rm -f '" + lockPath + "'"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if b, _ := os.ReadFile(lockPath); string(b) != content {
		t.Error("stale lock was overwritten")
	}

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
