package snapshot

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// StaleGitLockAge is the age after which git's own lock files (a ref's
// name.lock, packed-refs.lock, HEAD.lock) are taken as left by a crash: git
// holds them for the milliseconds of one update.
var StaleGitLockAge = 5 * time.Minute

// StaleTempAge is the age after which temporary object and pack files
// (objects/pack/tmp_*, objects/??/tmp_obj_*, left by an interrupted run of
// entrasnap, go-git or git) are removed.
var StaleTempAge = 30 * time.Minute

// TidyReport says what Tidy removed and what it left.
type TidyReport struct {
	Removed []string // files removed, with why
	Left    []string // lock files left in place, with why
}

// gitLock is a lock file of git found in the repository.
type gitLock struct {
	path  string
	age   time.Duration
	mod   time.Time
	size  int64
	index bool // the index.lock of the working tree
	block bool // it would stop a snapshot (branch, tag, packed-refs, HEAD, index)
}

// findGitLocks lists git's lock files: refs/**.lock, packed-refs.lock,
// HEAD.lock, config.lock and the working tree's index.lock.
func (r *Repo) findGitLocks(now time.Time) []gitLock {
	var out []gitLock
	add := func(p string, index, block bool) {
		st, err := os.Lstat(p)
		if err != nil || !st.Mode().IsRegular() {
			return
		}
		out = append(out, gitLock{path: p, age: now.Sub(st.ModTime()), mod: st.ModTime(), size: st.Size(), index: index, block: block})
	}
	refs := filepath.Join(r.commonDir, "refs")
	filepath.WalkDir(refs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".lock") {
			return nil
		}
		rel, _ := filepath.Rel(refs, p)
		rel = filepath.ToSlash(rel)
		add(p, false, strings.HasPrefix(rel, "heads/") || strings.HasPrefix(rel, "tags/"))
		return nil
	})
	add(filepath.Join(r.commonDir, "packed-refs.lock"), false, true)
	add(filepath.Join(r.commonDir, "HEAD.lock"), false, true)
	add(filepath.Join(r.commonDir, "config.lock"), false, false)
	if r.gitDir != r.commonDir {
		add(filepath.Join(r.gitDir, "HEAD.lock"), false, true)
	}
	if r.workTree != "" {
		add(filepath.Join(r.gitDir, "index.lock"), true, true)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// removeStaleTemps removes temporary object and pack files older than
// StaleTempAge.
func (r *Repo) removeStaleTemps(now time.Time, rep *TidyReport) {
	objects := filepath.Join(r.commonDir, "objects")
	var temps []string
	if m, err := filepath.Glob(filepath.Join(objects, "pack", "tmp_*")); err == nil {
		temps = append(temps, m...)
	}
	if m, err := filepath.Glob(filepath.Join(objects, "??", "tmp_obj_*")); err == nil {
		temps = append(temps, m...)
	}
	for _, p := range temps {
		st, err := os.Lstat(p)
		if err != nil || !st.Mode().IsRegular() || now.Sub(st.ModTime()) <= StaleTempAge {
			continue
		}
		if os.Remove(p) == nil {
			rep.Removed = append(rep.Removed, fmt.Sprintf("%s (temporary file of an interrupted write, %s old)", p, ago(now.Sub(st.ModTime()))))
		}
	}
}

func ago(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

// Tidy removes what interrupted runs left, as Lock does after taking the
// lock, but also a stale index.lock (older than StaleGitLockAge) whoever
// made it: it is for `entrasnap check --repair`, run by a person who knows
// no git command is running. Tidy takes the repository lock itself (taking
// over a dead holder's); it returns what it did, and an error naming every
// lock file it had to leave.
func (r *Repo) Tidy() (*TidyReport, error) {
	unlock, takenOver, err := r.lock(nil)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return r.tidy(takenOver, true)
}

// tidy cleans leftovers while the repository lock is held. takenOver is the
// dead holder whose lock this run took over (nil if none); repair also
// removes an old index.lock whoever made it.
func (r *Repo) tidy(takenOver *LockError, repair bool) (*TidyReport, error) {
	now := time.Now()
	rep := &TidyReport{}
	r.removeStaleTemps(now, rep)
	var blocking []gitLock
	locks := r.findGitLocks(now)
	if takenOver != nil && !takenOver.Since.IsZero() {
		// A lock made moments ago may be a running git's (git status
		// refreshes the index under index.lock): give it the moments it
		// needs, then judge what is still there.
		young := false
		for _, l := range locks {
			young = young || l.age <= lockSettle
		}
		if young {
			time.Sleep(lockSettle + 100*time.Millisecond)
			now = time.Now()
			locks = r.findGitLocks(now)
		}
	}
	for _, l := range locks {
		// made while the dead run held the repository (git itself never
		// holds a ref lock for more than moments)
		byDead := takenOver != nil && !takenOver.Since.IsZero() && !l.mod.Before(takenOver.Since.Add(-time.Second)) && l.age > lockSettle
		stale := l.age > StaleGitLockAge
		var remove bool
		if l.index {
			// git commit holds index.lock while the editor is open: only an
			// old one of the dead run, or any old one on request. An empty
			// one of the dead run is entrasnap's own (it writes the index
			// into it only just before the rename; git writes at once), and
			// one holding exactly the committed tree loses nothing; one that
			// is not a whole index was cut short by the kill (git writes
			// the index it holds whole, at once).
			remove = stale && (byDead || repair) || byDead && (l.size == 0 || !r.lockIsWholeIndex(l.path) || r.lockHoldsHeadTree(l.path))
		} else {
			remove = stale || byDead
		}
		if remove {
			if err := os.Remove(l.path); err == nil {
				why := "left by a crashed git or entrasnap command"
				if byDead {
					why = fmt.Sprintf("left by the interrupted entrasnap run, pid %d on host %s", takenOver.PID, takenOver.Host)
				}
				rep.Removed = append(rep.Removed, fmt.Sprintf("%s (%s ago, %s)", l.path, ago(l.age), why))
				continue
			}
		}
		rep.Left = append(rep.Left, fmt.Sprintf("%s (made %s ago)", l.path, ago(l.age)))
		if l.block {
			blocking = append(blocking, l)
		}
	}
	for _, m := range rep.Removed {
		r.notify("removed " + m)
	}
	if len(blocking) == 0 || len(blocking) == 1 && blocking[0].index && !repair {
		// index.lock alone stops only the working tree update, which says so.
		for _, l := range blocking {
			r.notify(fmt.Sprintf("%s exists (made %s ago): a git command may be using the working tree; it will not be updated. If no git command is running, remove it: rm -f %s",
				l.path, ago(l.age), shellQuote(l.path)))
		}
		return rep, nil
	}
	names := make([]string, len(blocking))
	quoted := make([]string, len(blocking))
	for i, l := range blocking {
		names[i] = fmt.Sprintf("%s (made %s ago)", l.path, ago(l.age))
		quoted[i] = shellQuote(l.path)
	}
	return rep, &GitLocksError{Paths: names, Command: "rm -f " + strings.Join(quoted, " ")}
}

// GitLocksError names every git lock file in the way of a snapshot.
type GitLocksError struct {
	Paths   []string
	Command string
}

func (e *GitLocksError) Error() string {
	return fmt.Sprintf("git lock files are in the way, left by a git command that is still running or by an interrupted one: %s; nothing was read or changed. If no git command is running in this repository, remove them with: %s (or run `entrasnap check --repair`, which removes them once they are %s old)",
		strings.Join(e.Paths, ", "), e.Command, StaleGitLockAge)
}

// lockSettle is how old a lock file must be before it counts as left by an
// interrupted run: git holds its own locks for moments, and an empty
// entrasnap.lock of an older entrasnap was being written for moments.
const lockSettle = 2 * time.Second

// lockIsWholeIndex reports whether the index.lock at p decodes as a whole
// index file (with its checksum).
func (r *Repo) lockIsWholeIndex(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return true // gone or unreadable: not ours to judge
	}
	defer f.Close()
	return index.NewDecoder(f).Decode(&index.Index{Version: 2}) == nil
}

// lockHoldsHeadTree reports whether the index file at p (an index.lock)
// holds exactly the tree of the commit HEAD's branch points at: what an
// interrupted entrasnap run was about to install.
func (r *Repo) lockHoldsHeadTree(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	idx := &index.Index{Version: 2}
	if err := index.NewDecoder(f).Decode(idx); err != nil {
		return false
	}
	root := newDir()
	for _, e := range idx.Entries {
		if e.Stage != 0 || insertFile(root, e.Name, tEntry{mode: e.Mode, hash: e.Hash}) != nil {
			return false
		}
	}
	tree := hashTree(root, map[plumbing.Hash]*dirNode{})
	r.mu.Lock()
	defer r.unlock()
	bref, err := r.headBranch()
	if err != nil || bref == "" {
		return false
	}
	h, ok, err := r.readRef(bref)
	if err != nil || !ok {
		return false
	}
	c, err := r.commitObject(h)
	return err == nil && c.TreeHash == tree
}

// RepairReport is what Repair did.
type RepairReport struct {
	Removed  []string        // stale locks and temporary files removed, with why
	Worktree *WorktreeReport // the index and working tree brought to HEAD
}

// Lines says what the repair did, a line each: what it removed, the paths
// it brought to HEAD and the local content it kept; none when there was
// nothing to repair.
func (rep *RepairReport) Lines() []string {
	if rep == nil {
		return nil
	}
	var out []string
	for _, r := range rep.Removed {
		out = append(out, "removed "+r)
	}
	if wr := rep.Worktree; wr != nil && len(wr.Changed) > 0 {
		out = append(out, fmt.Sprintf("brought %d path(s) of the index and working tree to %s", len(wr.Changed), wr.Branch))
		for _, k := range wr.Kept {
			out = append(out, "kept "+k)
		}
	}
	return out
}

// Repair puts right what interrupted runs leave, for `entrasnap check
// --repair`: it takes the repository lock (taking over a dead holder's),
// removes temporary object and pack files older than StaleTempAge, git lock
// files older than StaleGitLockAge (index.lock too, whoever made it; see
// Tidy), and the temporary files of an interrupted working tree update,
// then brings the index and working tree to HEAD's commit (SyncWorktree:
// local edits are kept and reported). Lock files it must leave (younger:
// a git command may be running) are named in the error, with the command
// that removes them.
func (r *Repo) Repair(ctx context.Context) (*RepairReport, error) {
	unlock, takenOver, err := r.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rep := &RepairReport{}
	tr, err := r.tidy(takenOver, true)
	rep.Removed = tr.Removed
	if err != nil {
		return rep, err
	}
	if r.workTree != "" {
		filepath.WalkDir(r.workTree, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && d.Name() == ".git" {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasPrefix(d.Name(), ".") && strings.HasSuffix(d.Name(), tempSuffix) {
				if os.Remove(p) == nil {
					rep.Removed = append(rep.Removed, p+" (a file of an interrupted working tree update)")
				}
			}
			return nil
		})
	}
	wr, err := r.SyncWorktree(ctx)
	rep.Worktree = wr
	return rep, err
}
