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

// StaleLockAge is the age after which a lock is reported as stale. Only a
// lock whose process is provably gone (not running on this host) is taken
// over; an old lock from another host is reported, never removed.
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
	// Dead: the holder's process is provably gone (same host, pid not
	// running); Lock takes such a lock over.
	Dead    bool
	content string
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
// (errors.Is(err, ErrLocked)) naming the holder. A lock whose holder is
// provably dead (its pid is not running on this host) is taken over, and
// the notice function (SetNotify) is told so, naming the pid and host; a
// lock that is only old (or from another host) is reported with the command
// that removes it, never taken over.
//
// With the lock held, Lock then cleans what interrupted runs leave (see
// Tidy): temporary object and pack files older than StaleTempAge are
// removed; git lock files (refs/**.lock, packed-refs.lock, HEAD.lock)
// older than StaleGitLockAge are removed; index.lock only when it is that
// old and the dead run taken over held the repository when it was made.
// Git lock files that remain and would block this run are all reported in
// one error, with the command that removes them; nothing is changed then.
//
// unlock removes the lock file if it is still ours; calling it more than
// once is harmless. The lock guards whole runs; WriteSnapshot itself does
// not need it (its ref update is compare-and-swap).
func (r *Repo) Lock(ctx context.Context) (unlock func(), err error) {
	unlock, takenOver, err := r.lock(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := r.tidy(takenOver, false); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

func (r *Repo) lock(ctx context.Context) (unlock func(), takenOver *LockError, err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, nil, err
	}
	path := filepath.Join(r.commonDir, LockFile)
	host, _ := os.Hostname()
	now := time.Now().UTC()
	content := fmt.Sprintf("pid %d\nhost %s\nsince %s\n", os.Getpid(), host, now.Format(time.RFC3339Nano))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if !errors.Is(err, os.ErrExist) {
			return nil, nil, fmt.Errorf("lock repository %s: %w", r.path, err)
		}
		held := lockHolder(path, host, now)
		if !held.Dead {
			return nil, nil, held
		}
		if f, err = r.takeOver(path, held); err != nil {
			return nil, nil, err
		}
		takenOver = held
		r.notify(fmt.Sprintf("took over the repository lock %s: its holder, pid %d on host %s (since %s), is no longer running",
			path, held.PID, held.Host, held.Since.UTC().Format(time.RFC3339)))
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
		return nil, nil, fmt.Errorf("lock repository %s: %w", r.path, werr)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if b, err := os.ReadFile(path); err == nil && string(b) == content {
				os.Remove(path)
			}
		})
	}, takenOver, nil
}

// takeOver replaces the lock at path of a dead holder by a new, exclusive
// one. Two runs taking over at once are serialised by a second lock file
// (entrasnap.lock.takeover); the dead lock is removed only if it is still
// the one read, so a live run's fresh lock is never removed.
func (r *Repo) takeOver(path string, dead *LockError) (*os.File, error) {
	guard := path + ".takeover"
	g, err := os.OpenFile(guard, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if st, serr := os.Stat(guard); serr == nil && time.Since(st.ModTime()) > time.Minute {
			os.Remove(guard) // left by a run killed while taking over
			g, err = os.OpenFile(guard, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		}
		if err != nil {
			return nil, &LockError{Path: path, PID: dead.PID, Host: dead.Host, Since: dead.Since}
		}
	}
	defer func() {
		g.Close()
		os.Remove(guard)
	}()
	if b, err := os.ReadFile(path); err == nil && string(b) != dead.content {
		return nil, lockHolder(path, dead.Host, time.Now())
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("take over the stale lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, lockHolder(path, dead.Host, time.Now())
		}
		return nil, fmt.Errorf("lock repository %s: %w", r.path, err)
	}
	return f, nil
}

// SetNotify sets the function told what the repository did on its own: a
// stale lock taken over, leftovers of an interrupted run removed. The CLI
// prints these on stderr. nil (the default) discards them.
func (r *Repo) SetNotify(f func(msg string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notifyFn = f
}

func (r *Repo) notify(msg string) {
	if r.notifyFn != nil {
		r.notifyFn(msg)
	}
}

// lockHolder describes the existing lock at path.
func lockHolder(path, host string, now time.Time) *LockError {
	e := &LockError{Path: path}
	b, err := os.ReadFile(path)
	e.content = string(b)
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
		e.Dead = true
	case !e.Since.IsZero() && now.Sub(e.Since) > StaleLockAge:
		e.Stale, e.StaleReason = true, fmt.Sprintf("it is %s old", now.Sub(e.Since).Round(time.Minute))
	}
	return e
}
