package snapshot

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LockFile is the name of the lock file in the git directory.
const LockFile = "entrasnap.lock"

// StaleLockAge is the age after which a lock is reported as stale (it is
// still never removed automatically).
var StaleLockAge = 12 * time.Hour

// LockError reports that another entrasnap run holds the repository lock.
// It wraps ErrLocked.
type LockError struct {
	Path  string    // the lock file
	PID   int       // the holder's process id (0 if unreadable)
	Host  string    // the holder's host name
	Since time.Time // when the lock was taken
	// Stale is set when the lock looks abandoned: its process is not running
	// on this host, or it is older than StaleLockAge. StaleReason says which.
	Stale       bool
	StaleReason string
}

func (e *LockError) Error() string {
	holder := fmt.Sprintf("pid %d on host %s since %s", e.PID, e.Host, e.Since.UTC().Format(time.RFC3339))
	if e.PID == 0 {
		holder = "unknown holder since " + e.Since.UTC().Format(time.RFC3339)
	}
	if e.Stale {
		return fmt.Sprintf("another entrasnap run holds the repository (lock %s, %s), but the lock looks stale: %s; if no entrasnap run uses this repository, remove the lock with: rm -f %s",
			e.Path, holder, e.StaleReason, shellQuote(e.Path))
	}
	return fmt.Sprintf("another entrasnap run holds the repository (lock %s, %s); wait for it to finish", e.Path, holder)
}

func (e *LockError) Unwrap() error { return ErrLocked }

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Lock takes the repository lock: the file entrasnap.lock in the git
// directory, created exclusively, holding this process's pid, host and start
// time. It does not wait: when the lock is held it returns a *LockError
// (errors.Is(err, ErrLocked)) naming the holder; a lock that looks stale (its
// process is gone from this host, or it is older than StaleLockAge) is
// reported with the command that removes it, never taken over. unlock
// removes the lock file if it is still ours; calling it more than once is
// harmless. The lock guards whole runs; WriteSnapshot itself does not need
// it (its ref update is compare-and-swap).
func (r *Repo) Lock(ctx context.Context) (unlock func(), err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	path := filepath.Join(r.commonDir, LockFile)
	host, _ := os.Hostname()
	now := time.Now().UTC()
	content := fmt.Sprintf("pid %d\nhost %s\nsince %s\n", os.Getpid(), host, now.Format(time.RFC3339Nano))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, lockHolder(path, host, now)
		}
		return nil, fmt.Errorf("lock repository %s: %w", r.path, err)
	}
	_, werr := f.WriteString(content)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("lock repository %s: %w", r.path, werr)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if b, err := os.ReadFile(path); err == nil && string(b) == content {
				os.Remove(path)
			}
		})
	}, nil
}

// lockHolder describes the existing lock at path.
func lockHolder(path, host string, now time.Time) *LockError {
	e := &LockError{Path: path}
	b, err := os.ReadFile(path)
	if err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), " ")
			switch k {
			case "pid":
				e.PID, _ = strconv.Atoi(v)
			case "host":
				e.Host = v
			case "since":
				e.Since, _ = time.Parse(time.RFC3339Nano, v)
			}
		}
	}
	if e.Since.IsZero() {
		if st, err := os.Stat(path); err == nil {
			e.Since = st.ModTime()
		}
	}
	switch {
	case e.PID > 0 && e.Host == host && !processAlive(e.PID):
		e.Stale, e.StaleReason = true, fmt.Sprintf("process %d is not running on this host", e.PID)
	case !e.Since.IsZero() && now.Sub(e.Since) > StaleLockAge:
		e.Stale, e.StaleReason = true, fmt.Sprintf("it is %s old", now.Sub(e.Since).Round(time.Minute))
	}
	return e
}
