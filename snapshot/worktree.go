package snapshot

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// worktreePlan is the check of a working tree against the old head, made
// before the branch moves, and what apply will do after. While a plan
// exists it holds git's index.lock.
type worktreePlan struct {
	r         *Repo
	skip      string // why the working tree is left alone ("" = update it)
	indexPath string
	lock      *os.File
	entries   map[string]*index.Entry // the verified index, by path
	changes   []Change
}

func (p *worktreePlan) release() {
	if p.lock != nil {
		p.lock.Close()
		os.Remove(p.indexPath + ".lock")
		p.lock = nil
	}
}

// planWorktree decides whether the working tree was clean at the old head
// (index equal to the old tree, every tracked file unmodified, no untracked
// file in the way of a new one) and, if so, takes index.lock.
func (r *Repo) planWorktree(bref string, oldTree plumbing.Hash, hasParent bool, changes []Change) *worktreePlan {
	p := &worktreePlan{r: r, indexPath: filepath.Join(r.gitDir, "index"), changes: changes}
	head, err := r.headBranch()
	if err != nil {
		p.skip = err.Error()
		return p
	}
	if head != bref {
		if head == "" {
			head = "a detached commit"
		}
		p.skip = fmt.Sprintf("HEAD is on %s, not %s; the working tree shows that", head, bref)
		return p
	}
	lock, err := os.OpenFile(p.indexPath+".lock", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			p.skip = fmt.Sprintf("%s.lock exists: another git process is using the working tree", p.indexPath)
		} else {
			p.skip = fmt.Sprintf("cannot lock the index: %v", err)
		}
		return p
	}
	p.lock = lock
	if why := p.check(oldTree, hasParent); why != "" {
		p.skip = why
		p.release()
	}
	return p
}

func (p *worktreePlan) check(oldTree plumbing.Hash, hasParent bool) string {
	r := p.r
	idx := &index.Index{Version: 2}
	var indexMod time.Time
	f, err := os.Open(p.indexPath)
	switch {
	case err == nil:
		st, serr := f.Stat()
		if serr == nil {
			indexMod = st.ModTime()
		}
		derr := index.NewDecoder(f).Decode(idx)
		f.Close()
		if derr != nil {
			return fmt.Sprintf("cannot read the index %s: %v", p.indexPath, derr)
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		return fmt.Sprintf("cannot read the index: %v", err)
	}

	// The index must be the old head's tree.
	root := newDir()
	p.entries = make(map[string]*index.Entry, len(idx.Entries))
	for _, e := range idx.Entries {
		if e.Stage != 0 {
			return fmt.Sprintf("the index has unresolved merge conflicts (%s)", e.Name)
		}
		if e.SkipWorktree || e.IntentToAdd {
			return fmt.Sprintf("the index marks %s skip-worktree or intent-to-add", e.Name)
		}
		if err := insertFile(root, e.Name, tEntry{mode: e.Mode, hash: e.Hash}); err != nil {
			return fmt.Sprintf("the index is inconsistent: %v", err)
		}
		p.entries[e.Name] = e
	}
	if !hasParent {
		if len(idx.Entries) > 0 {
			return "the index has staged files but the branch has no commit yet"
		}
	} else if h := hashTree(root, map[plumbing.Hash]*dirNode{}); h != oldTree {
		return "the index has staged changes (git diff --cached shows them)"
	}

	// Every tracked file must be unmodified.
	trustMode := true
	if cfg, err := r.repo.Config(); err == nil && cfg.Raw.Section("core").Option("filemode") == "false" {
		trustMode = false
	}
	var dirty []string
	for name, e := range p.entries {
		if e.Mode == filemode.Submodule {
			continue
		}
		why, refreshed := r.checkFile(name, e, indexMod, trustMode)
		if why != "" {
			dirty = append(dirty, why+" "+name)
			continue
		}
		if refreshed != nil {
			p.entries[name] = refreshed
		}
	}
	if len(dirty) > 0 {
		sort.Strings(dirty)
		more := ""
		if len(dirty) > 3 {
			more = fmt.Sprintf(" and %d more", len(dirty)-3)
			dirty = dirty[:3]
		}
		return fmt.Sprintf("the working tree has local changes (%s%s); commit or discard them (git status shows them) and the next snapshot updates it", strings.Join(dirty, ", "), more)
	}

	// No untracked file or symlink may stand where a new file goes.
	dirOK := map[string]bool{"": true}
	deleted := map[string]bool{}
	for _, c := range p.changes {
		if c.Action == Deleted {
			deleted[c.Path] = true
		}
	}
	for _, c := range p.changes {
		if c.Action != Added {
			continue
		}
		parentGone := false // an ancestor is a tracked file being deleted
		for dir := path.Dir(c.Path); dir != "."; dir = path.Dir(dir) {
			if deleted[dir] {
				parentGone = true
			}
			if dirOK[dir] {
				continue
			}
			fi, err := os.Lstat(r.wtPath(dir))
			switch {
			case errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			case err != nil:
				return fmt.Sprintf("cannot check %s: %v", dir, err)
			case fi.IsDir():
			case deleted[dir]:
			default:
				return fmt.Sprintf("untracked %s is in the way of new file %s; move it away", dir, c.Path)
			}
			dirOK[dir] = true
		}
		if parentGone {
			continue
		}
		fi, err := os.Lstat(r.wtPath(c.Path))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Sprintf("cannot check %s: %v", c.Path, err)
		}
		if fi.IsDir() {
			// A folder becoming a file: fine if all it holds is being deleted.
			if extra := r.untrackedBelow(c.Path, deleted); extra != "" {
				return fmt.Sprintf("untracked %s is in the way of new file %s; move it away", extra, c.Path)
			}
			continue
		}
		if !fi.Mode().IsRegular() {
			return fmt.Sprintf("untracked %s is in the way of the new file of that name; move it away", c.Path)
		}
		if h, err := hashFile(r.wtPath(c.Path)); err != nil || h != c.To {
			return fmt.Sprintf("untracked file %s would be overwritten by the snapshot; move it away", c.Path)
		}
	}
	return ""
}

// untrackedBelow returns a path under folder dir (slash form) that is not
// in deleted, or "" when every file there is being deleted.
func (r *Repo) untrackedBelow(dir string, deleted map[string]bool) string {
	found := ""
	filepath.WalkDir(r.wtPath(dir), func(fp string, de fs.DirEntry, err error) error {
		if err != nil {
			found = dir
			return filepath.SkipAll
		}
		if de.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(r.workTree, fp)
		if rel = filepath.ToSlash(rel); !deleted[rel] {
			found = rel
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

func (r *Repo) wtPath(p string) string {
	return filepath.Join(r.workTree, filepath.FromSlash(p))
}

func hashFile(p string) (plumbing.Hash, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return objectHash(plumbing.BlobObject, b), nil
}

// checkFile compares a tracked file with its index entry the way git does:
// by stat data, re-reading the content when stat differs or the entry is
// racily clean. It returns why the file is dirty ("" if clean) and, when
// the content matched but stat did not, an entry with fresh stat data.
func (r *Repo) checkFile(name string, e *index.Entry, indexMod time.Time, trustMode bool) (string, *index.Entry) {
	p := r.wtPath(name)
	fi, err := os.Lstat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "deleted", nil
		}
		return "unreadable", nil
	}
	switch {
	case e.Mode == filemode.Symlink:
		if fi.Mode()&os.ModeSymlink == 0 {
			return "type changed", nil
		}
	case e.Mode == filemode.Regular || e.Mode == filemode.Executable:
		if !fi.Mode().IsRegular() {
			return "type changed", nil
		}
		if trustMode && (fi.Mode()&0o111 != 0) != (e.Mode == filemode.Executable) {
			return "mode changed", nil
		}
	}
	if statMatches(e, fi) && e.ModifiedAt.Before(indexMod) {
		return "", nil
	}
	var h plumbing.Hash
	if e.Mode == filemode.Symlink {
		target, err := os.Readlink(p)
		if err != nil {
			return "unreadable", nil
		}
		h = objectHash(plumbing.BlobObject, []byte(target))
	} else if h, err = hashFile(p); err != nil {
		return "unreadable", nil
	}
	if h != e.Hash {
		return "modified", nil
	}
	return "", entryFromStat(name, e.Hash, e.Mode, fi)
}

// writeFiles writes the files of changes (their folders exist) in
// parallel, file creation being slow on many file systems, and returns
// their index entries.
func writeFiles(r *Repo, changes []Change, files map[string][]byte) ([]*index.Entry, error) {
	out := make([]*index.Entry, len(changes))
	workers := 8
	if len(changes) < 64 {
		workers = 1
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c := changes[i]
				e, err := writeFile(r.wtPath(c.Path), c, files[c.Path])
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				out[i] = e
			}
		}()
	}
	for i := range changes {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, firstErr
}

func writeFile(fp string, c Change, content []byte) (*index.Entry, error) {
	f, err := os.OpenFile(fp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Write(content); err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode()&0o111 != 0 { // an executable file became a regular one
		if err := f.Chmod(fi.Mode().Perm() &^ 0o111); err != nil {
			return nil, err
		}
		if fi, err = f.Stat(); err != nil {
			return nil, err
		}
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return entryFromStat(c.Path, c.To, filemode.Regular, fi), nil
}

func statMatches(e *index.Entry, fi os.FileInfo) bool {
	if e.Size != uint32(fi.Size()) || !e.ModifiedAt.Equal(fi.ModTime()) {
		return false
	}
	ctime, _, ino, uid, gid, ok := statExtra(fi)
	if !ok {
		return true
	}
	return e.CreatedAt.Equal(ctime) && e.Inode == ino && e.UID == uid && e.GID == gid
}

func entryFromStat(name string, h plumbing.Hash, mode filemode.FileMode, fi os.FileInfo) *index.Entry {
	e := &index.Entry{Name: name, Hash: h, Mode: mode, ModifiedAt: fi.ModTime(), Size: uint32(fi.Size())}
	if ctime, dev, ino, uid, gid, ok := statExtra(fi); ok {
		e.CreatedAt, e.Dev, e.Inode, e.UID, e.GID = ctime, dev, ino, uid, gid
	}
	return e
}

// apply makes the working tree and index match the new commit: deletions
// first (then folders left empty), then new and changed files, then the
// index, written to index.lock and renamed over index.
func (p *worktreePlan) apply(files map[string][]byte) error {
	r := p.r
	emptied := map[string]bool{}
	for _, c := range p.changes {
		if c.Action != Deleted {
			continue
		}
		if err := os.Remove(r.wtPath(c.Path)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		delete(p.entries, c.Path)
		for dir := path.Dir(c.Path); dir != "."; dir = path.Dir(dir) {
			emptied[dir] = true
		}
	}
	dirs := make([]string, 0, len(emptied))
	for d := range emptied {
		dirs = append(dirs, d)
	}
	// deepest first, so a parent is tried after its children
	sort.Slice(dirs, func(i, j int) bool {
		ci, cj := strings.Count(dirs[i], "/"), strings.Count(dirs[j], "/")
		if ci != cj {
			return ci > cj
		}
		return dirs[i] < dirs[j]
	})
	for _, d := range dirs {
		os.Remove(r.wtPath(d)) // fails, as it should, when not empty
	}
	var writes []Change
	made := map[string]bool{}
	for _, c := range p.changes {
		if c.Action == Deleted {
			continue
		}
		if _, ok := files[c.Path]; !ok {
			return fmt.Errorf("no content for %s", c.Path)
		}
		if dir := path.Dir(c.Path); !made[dir] {
			if err := os.MkdirAll(r.wtPath(dir), 0o755); err != nil {
				return err
			}
			made[dir] = true
		}
		writes = append(writes, c)
	}
	entries, err := writeFiles(r, writes, files)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p.entries[e.Name] = e
	}
	all := make([]*index.Entry, 0, len(p.entries))
	for _, e := range p.entries {
		all = append(all, e)
	}
	slices.SortFunc(all, func(a, b *index.Entry) int { return strings.Compare(a.Name, b.Name) })
	var buf bytes.Buffer
	encodeIndex(&buf, all)
	if _, err := p.lock.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	if err := p.lock.Sync(); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	if err := p.lock.Close(); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	p.lock = nil
	if err := os.Rename(p.indexPath+".lock", p.indexPath); err != nil {
		os.Remove(p.indexPath + ".lock")
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// encodeIndex writes a version 2 index of entries (sorted by name, stage 0)
// with no extensions, as git's read-cache.c reads it.
func encodeIndex(w *bytes.Buffer, entries []*index.Entry) {
	start := w.Len()
	var u [4]byte
	put := func(v uint32) {
		binary.BigEndian.PutUint32(u[:], v)
		w.Write(u[:])
	}
	putTime := func(t time.Time) {
		if t.IsZero() || t.Unix() < 0 {
			put(0)
			put(0)
			return
		}
		put(uint32(t.Unix()))
		put(uint32(t.Nanosecond()))
	}
	w.WriteString("DIRC")
	put(2)
	put(uint32(len(entries)))
	for _, e := range entries {
		putTime(e.CreatedAt)
		putTime(e.ModifiedAt)
		put(e.Dev)
		put(e.Inode)
		put(uint32(e.Mode))
		put(e.UID)
		put(e.GID)
		put(e.Size)
		w.Write(e.Hash[:])
		n := len(e.Name)
		if n > 0xfff {
			n = 0xfff
		}
		w.WriteByte(byte(n >> 8))
		w.WriteByte(byte(n))
		w.WriteString(e.Name)
		// 62 bytes of fields and flags, the name, then 1-8 NULs to a multiple of 8.
		pad := 8 - (62+len(e.Name))%8
		for i := 0; i < pad; i++ {
			w.WriteByte(0)
		}
	}
	sum := sha1.Sum(w.Bytes()[start:])
	w.Write(sum[:])
}
