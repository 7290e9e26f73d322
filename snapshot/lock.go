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

// Waiting says, for a person, that a run waits for the lock e names
// (LockWait) and how long it has waited.
func (e *LockError) Waiting(waited time.Duration) string {
	return fmt.Sprintf("waiting for the repository lock %s, held by pid %d on host %s since %s; waited %s",
		strconv.Quote(e.Path), e.PID, strconv.Quote(e.Host), e.Since.UTC().Format(time.RFC3339), waited.Round(time.Second))
}

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
	if r.holds(ctx) {
		return func() {}, nil
	}
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

// LockPoll is how often LockWait tries the lock again.
var LockPoll = time.Second

// lockWaitNotice is how often, at most, LockWait calls its waiting
// function while it waits.
const lockWaitNotice = 30 * time.Second

// LockWait is Lock, waiting up to wait for a lock that a running run holds
// to be released (trying again every LockPoll): an export started while an
// apply holds the repository. waiting, when set, is called when it starts
// to wait and then at most every 30 seconds, with the holder and how long
// it has waited. A lock that waiting cannot free (stale: held from another
// host, or older than StaleLockAge) is refused at once, as Lock refuses it;
// after wait, the *LockError is returned wrapped with how long it waited
// (errors.Is(err, ErrLocked) still holds). The context ending stops the
// wait with its error. wait <= 0 is Lock.
func (r *Repo) LockWait(ctx context.Context, wait time.Duration, waiting func(held *LockError, waited time.Duration)) (unlock func(), err error) {
	start := time.Now()
	var told time.Time
	for {
		unlock, err := r.Lock(ctx)
		var le *LockError
		if err == nil || wait <= 0 || !errors.As(err, &le) || le.Stale {
			return unlock, err
		}
		waited := time.Since(start)
		if waiting != nil && (told.IsZero() || time.Since(told) >= lockWaitNotice) {
			waiting(le, waited)
			told = time.Now()
		}
		if waited >= wait {
			return nil, fmt.Errorf("%w (waited %s for it: run again later, or with a longer wait)", err, wait)
		}
		t := time.NewTimer(min(LockPoll, wait-waited))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for the repository lock (%s): %w", le.Path, ctx.Err())
		case <-t.C:
		}
	}
}

// heldLockKey marks a context whose run holds a repository lock (HoldLock).
type heldLockKey struct{}

// heldLock is the lock a HoldLock context holds: its file and the content
// this run wrote in it.
type heldLock struct{ path, content string }

// HoldLock is Lock for a run that calls, while it holds the lock, code that
// takes the lock itself (an apply recording its post-apply snapshot by an
// export): Lock with the context returned, or one derived from it, on a
// Repo of the same git directory returns at once (the lock is this run's)
// and its unlock does nothing. Any other caller, in this process or
// another, is refused as by Lock. unlock releases the lock.
func (r *Repo) HoldLock(ctx context.Context) (context.Context, func(), error) {
	if r.holds(ctx) {
		return ctx, func() {}, nil
	}
	unlock, err := r.Lock(ctx)
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(r.commonDir, LockFile)
	b, err := os.ReadFile(path)
	if err != nil {
		unlock()
		return nil, nil, fmt.Errorf("lock repository %s: %w", r.path, err)
	}
	return context.WithValue(ctx, heldLockKey{}, heldLock{path: path, content: string(b)}), unlock, nil
}

// holds reports whether ctx comes from HoldLock of this repository's lock
// and the lock file is still the one it wrote.
func (r *Repo) holds(ctx context.Context) bool {
	h, ok := ctx.Value(heldLockKey{}).(heldLock)
	if !ok || h.path != filepath.Join(r.commonDir, LockFile) {
		return false
	}
	b, err := os.ReadFile(h.path)
	return err == nil && string(b) == h.content
}

func (r *Repo) lock(ctx context.Context) (unlock func(), takenOver *LockError, err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, nil, err
	}
	path := filepath.Join(r.commonDir, LockFile)
	host, _ := os.Hostname()
	now := time.Now().UTC()
	content := fmt.Sprintf("pid %d\nhost %s\nsince %s\n", os.Getpid(), host, now.Format(time.RFC3339Nano))
	err = createLockFile(path, content)
	if err != nil {
		if !errors.Is(err, os.ErrExist) {
			return nil, nil, fmt.Errorf("lock repository %s: %w", r.path, err)
		}
		held := lockHolder(path, host, now)
		if !held.Dead {
			return nil, nil, held
		}
		if err = r.takeOver(path, held, content); err != nil {
			return nil, nil, err
		}
		takenOver = held
		who := fmt.Sprintf("its holder, pid %d on host %s (since %s), is no longer running", held.PID, held.Host, held.Since.UTC().Format(time.RFC3339))
		if held.PID == 0 {
			who = "it was left empty by a run killed while taking it"
		}
		r.notify(fmt.Sprintf("took over the repository lock %s: %s", path, who))
	}
	removeDeadLockTemps(path)
	var once sync.Once
	return func() {
		once.Do(func() {
			if b, err := os.ReadFile(path); err == nil && string(b) == content {
				os.Remove(path)
			}
		})
	}, takenOver, nil
}

// createLockFile creates the lock at path holding content, exclusively and
// whole: the content is written to a temporary file first and linked into
// place, so a lock file is never seen empty or half-written (a run killed
// while taking the lock leaves only its temporary file). It fails with an
// error wrapping os.ErrExist when the lock is held.
//
// The temporary file is writeSyncedTemp's, "<path>.<pid>.<n>.tmp", n
// counting this process's temporary files: two goroutines taking the lock
// at once (two applies in one process, each with a Repo of its own) never
// write or remove each other's.
func createLockFile(path, content string) error {
	tmp, err := writeSyncedTemp(path, []byte(content))
	defer os.Remove(tmp)
	if err != nil {
		return err
	}
	return os.Link(tmp, path)
}

// removeDeadLockTemps removes the temporary files of createLockFile left by
// runs killed while taking the lock (their pid no longer runs, or they are
// a minute old).
func removeDeadLockTemps(path string) {
	tmps, _ := filepath.Glob(path + ".*.tmp")
	for _, t := range tmps {
		// "<pid>.<n>", or "<pid>" from an older entrasnap.
		field, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(t, path+"."), ".tmp"), ".")
		pid, err := strconv.Atoi(field)
		st, serr := os.Stat(t)
		if err == nil && pid != os.Getpid() && (!processAlive(pid) || serr == nil && time.Since(st.ModTime()) > time.Minute) {
			os.Remove(t)
		}
	}
}

// takeOver replaces the lock at path of a dead holder by ours (content).
// Two runs taking over at once are serialised by a second lock file
// (entrasnap.lock.takeover); the dead lock is removed only if it is still
// the one read, so a live run's fresh lock is never removed.
func (r *Repo) takeOver(path string, dead *LockError, content string) error {
	guard := path + ".takeover"
	g, err := os.OpenFile(guard, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if st, serr := os.Stat(guard); serr == nil && time.Since(st.ModTime()) > time.Minute {
			os.Remove(guard) // left by a run killed while taking over
			g, err = os.OpenFile(guard, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		}
		if err != nil {
			return &LockError{Path: path, PID: dead.PID, Host: dead.Host, Since: dead.Since}
		}
	}
	defer func() {
		g.Close()
		os.Remove(guard)
	}()
	if b, err := os.ReadFile(path); err == nil && string(b) != dead.content {
		return lockHolder(path, dead.Host, time.Now())
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("take over the stale lock %s: %w", path, err)
	}
	if err := createLockFile(path, content); err != nil {
		if errors.Is(err, os.ErrExist) {
			return lockHolder(path, dead.Host, time.Now())
		}
		return fmt.Errorf("lock repository %s: %w", r.path, err)
	}
	return nil
}

// SetNotify sets the function told what the repository did on its own: a
// stale lock taken over, leftovers of an interrupted run removed. The CLI
// prints these on stderr. nil (the default) discards them.
func (r *Repo) SetNotify(f func(msg string)) {
	r.mu.Lock()
	defer r.unlock()
	r.notifyFn = f
}

// Notify tells msg to the function SetNotify set, for a caller that acted
// on the repository on its own (an export removing the branch it made).
func (r *Repo) Notify(msg string) {
	r.mu.Lock()
	f := r.notifyFn
	r.unlock()
	if f != nil {
		f(msg)
	}
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
	case err == nil && len(b) == 0 && now.Sub(e.Since) > lockSettle:
		// Written whole at creation (createLockFile), a lock is never
		// empty; an empty one is an older entrasnap's, killed between
		// creating and writing it.
		e.Stale, e.StaleReason = true, "the lock file is empty: the run that made it was killed while taking it"
		e.Dead = true
	case e.PID > 0 && e.Host == host && !processAlive(e.PID):
		e.Stale, e.StaleReason = true, fmt.Sprintf("process %d is not running on this host", e.PID)
		e.Dead = true
	case !e.Since.IsZero() && now.Sub(e.Since) > StaleLockAge:
		e.Stale, e.StaleReason = true, fmt.Sprintf("it is %s old", now.Sub(e.Since).Round(time.Minute))
	}
	return e
}
