package snapshot

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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

// worktreePlan brings the index and the working tree of the branch HEAD
// names to a commit's tree. It is made before the branch moves (holding
// git's index.lock from then on) and applied after.
//
// The rule (README, "If a run was interrupted"): the index always ends at
// the committed tree. A file in the working tree is replaced or removed
// only when its content is committed (it is the file as the new commit or
// one of the branch's last commits has it), so nothing replaced is lost. Any
// other content at a path the snapshot changes (a local edit, an untracked
// file in the way) is kept and reported; git status then shows it as the
// user's own unstaged change. Staged changes are unstaged, their files
// kept. Comparing the index with the new tree (not with the old head)
// makes a run interrupted between the branch update and the working tree
// update converge on the next run.
type worktreePlan struct {
	r         *Repo
	skip      string // why the working tree is left alone ("" = update it)
	indexPath string
	indexMod  time.Time
	lock      *os.File
	entries   map[string]*index.Entry // the index as read, by path
	changes   []Change                // index tree → target tree
	target    plumbing.Hash
	recent    []plumbing.Hash // trees of the branch's last commits
	tr        treeReader
	// kept lists the paths whose local content was kept, with why.
	kept []string
	// readBlob reads content not given to apply; nil means r.readBlob.
	readBlob func(plumbing.Hash) ([]byte, error)
}

func (p *worktreePlan) release() {
	if p.lock != nil {
		p.lock.Close()
		os.Remove(p.indexPath + ".lock")
		p.lock = nil
	}
}

// planWorktree compares the index with target (the tree about to be
// committed to bref; tr can read it) and takes index.lock. recent are the
// trees of the branch's last commits, whose files may be replaced. known,
// when its from is not zero, are the changes from that tree to target
// (WriteSnapshot's against the parent): an index at that tree, the usual
// case, takes them instead of a second list of the same changes.
func (r *Repo) planWorktree(bref string, target plumbing.Hash, tr treeReader, recent []plumbing.Hash, known knownChanges) *worktreePlan {
	p := &worktreePlan{r: r, indexPath: filepath.Join(r.gitDir, "index"), target: target, recent: recent}
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
			p.skip = fmt.Sprintf("%s.lock exists: a git command is using the index (or one was interrupted); the index and working tree still show the previous commit. Once no git command runs, `entrasnap check --repair` (or the next export) brings them to the commit", p.indexPath)
		} else {
			p.skip = fmt.Sprintf("cannot lock the index %s: %v; the index and working tree still show the previous commit: fix that, then run `entrasnap check --repair`", p.indexPath, err)
		}
		return p
	}
	p.lock = lock
	if why := p.compare(tr, known); why != "" {
		p.skip = why
		p.release()
	}
	return p
}

// knownChanges are the changes from tree from to a plan's target.
type knownChanges struct {
	from    plumbing.Hash // zero: none known; emptyTreeHash for a first commit
	changes []Change
}

func (p *worktreePlan) compare(tr treeReader, known knownChanges) string {
	idx := &index.Index{Version: 2}
	f, err := os.Open(p.indexPath)
	switch {
	case err == nil:
		if st, serr := f.Stat(); serr == nil {
			p.indexMod = st.ModTime()
		}
		derr := index.NewDecoder(f).Decode(idx)
		f.Close()
		if derr != nil {
			return fmt.Sprintf("cannot read the index %s: %v; the index and working tree still show the previous commit: remove it (rm %s; git reset) and run `entrasnap check --repair`", p.indexPath, derr, p.indexPath)
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		return fmt.Sprintf("cannot read the index %s: %v", p.indexPath, err)
	}
	root := newDir()
	p.entries = make(map[string]*index.Entry, len(idx.Entries))
	for _, e := range idx.Entries {
		if e.Stage != 0 {
			return fmt.Sprintf("the index has unresolved merge conflicts (%s); the index and working tree still show the previous commit: resolve or abort the merge (git merge --abort), then run `entrasnap check --repair`", e.Name)
		}
		if e.SkipWorktree || e.IntentToAdd {
			return fmt.Sprintf("the index marks %s skip-worktree or intent-to-add; the index and working tree still show the previous commit: clear that (git update-index --no-skip-worktree, or git reset), then run `entrasnap check --repair`", e.Name)
		}
		if err := insertFile(root, e.Name, tEntry{mode: e.Mode, hash: e.Hash}); err != nil {
			return fmt.Sprintf("the index is inconsistent: %v", err)
		}
		p.entries[e.Name] = e
	}
	idxTrees := map[plumbing.Hash]*dirNode{}
	idxRoot := hashTree(root, idxTrees)
	overlay := make(map[plumbing.Hash]*dirNode, len(tr.overlay)+len(idxTrees))
	for h, d := range tr.overlay {
		overlay[h] = d
	}
	for h, d := range idxTrees {
		overlay[h] = d
	}
	p.tr = treeReader{r: p.r, overlay: overlay}
	if idxRoot == p.target {
		return ""
	}
	if idxRoot == known.from {
		p.changes = known.changes
		return ""
	}
	d := &differ{tr: p.tr}
	if err := d.diffTrees("", idxRoot, p.target); err != nil {
		return fmt.Sprintf("cannot compare the index with the commit: %v", err)
	}
	sortChanges(d.changes)
	p.changes = d.changes
	return ""
}

// committed reports whether blob h is the file at path in one of the
// branch's recent trees (or the target): content that can be replaced
// without losing anything.
func (p *worktreePlan) committed(path string, h plumbing.Hash) bool {
	for _, t := range append([]plumbing.Hash{p.target}, p.recent...) {
		if t.IsZero() {
			continue
		}
		if e, ok, err := p.tr.lookup(t, path); err == nil && ok && !e.isTree() && e.hash == h {
			return true
		}
	}
	return false
}

// current hashes what is at path in the working tree: exists is false when
// nothing is there; isDir for a folder; ok false when it cannot be read.
func (p *worktreePlan) current(path string) (h plumbing.Hash, fi os.FileInfo, exists, ok bool) {
	fp := p.r.wtPath(path)
	fi, err := os.Lstat(fp)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return h, nil, false, true
		}
		return h, nil, true, false
	}
	switch {
	case fi.IsDir():
		return h, fi, true, true
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(fp)
		if err != nil {
			return h, fi, true, false
		}
		return objectHash(plumbing.BlobObject, []byte(target)), fi, true, true
	case fi.Mode().IsRegular():
		// the index entry's stat data says the content without reading it
		if e := p.entries[path]; e != nil && statMatches(e, fi) && e.ModifiedAt.Before(p.indexMod) {
			return e.Hash, fi, true, true
		}
		h, err := hashFile(fp)
		return h, fi, true, err == nil
	}
	return h, fi, true, false
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

// writeJob is one file apply writes.
type writeJob struct {
	path    string
	hash    plumbing.Hash
	mode    filemode.FileMode
	content []byte
	// fromStore: content is read from the object store by writeFiles.
	fromStore bool
}

// writeFiles writes files (their folders exist) in parallel, file creation
// being slow on many file systems, and returns their index entries.
func writeFiles(r *Repo, jobs []writeJob, readBlob func(plumbing.Hash) ([]byte, error)) ([]*index.Entry, error) {
	if readBlob == nil {
		readBlob = r.readBlob
	}
	out := make([]*index.Entry, len(jobs))
	workers := 8
	if len(jobs) < 64 {
		workers = 1
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan writeTask, 2*workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range next {
				i := t.i
				e, err := writeFile(r.wtPath(jobs[i].path), t.job)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("write %s: %w", jobs[i].path, err)
					}
					mu.Unlock()
					continue
				}
				out[i] = e
			}
		}()
	}
	var readErr error
	for i, j := range jobs {
		if j.fromStore {
			// read here, one at a time: go-git is not safe for concurrent use
			b, err := readBlob(j.hash)
			if err != nil {
				readErr = err
				break
			}
			j.content = b
		}
		next <- writeTask{i: i, job: j}
	}
	close(next)
	wg.Wait()
	if readErr != nil {
		return out, readErr
	}
	return out, firstErr
}

type writeTask struct {
	i   int
	job writeJob
}

// tempSuffix marks the temporary file a working tree file is written to
// before it is renamed into place ("dir/.name.entrasnap-new").
const tempSuffix = ".entrasnap-new"

func tempName(fp string) string {
	return filepath.Join(filepath.Dir(fp), "."+filepath.Base(fp)+tempSuffix)
}

// writeFile writes a file (or symlink) through a temporary file and a
// rename, so that a crash leaves the old or the new content.
func writeFile(fp string, j writeJob) (*index.Entry, error) {
	tmp := tempName(fp)
	if j.mode == filemode.Symlink {
		os.Remove(tmp) // a leftover of an interrupted run
		if err := os.Symlink(string(j.content), tmp); err != nil {
			return nil, err
		}
	} else {
		perm := os.FileMode(0o644)
		if j.mode == filemode.Executable {
			perm = 0o755
		}
		// (O_TRUNC: a leftover of an interrupted run is overwritten)
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
		if err != nil {
			return nil, err
		}
		_, err = f.Write(j.content)
		if err == nil {
			var fi os.FileInfo
			if fi, err = f.Stat(); err == nil && fi.Mode().Perm()&0o111 != perm&0o111 {
				err = f.Chmod(perm) // a leftover's mode, or the umask
			}
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp)
			return nil, err
		}
	}
	if err := os.Rename(tmp, fp); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	// stat after the rename: it changes the file's ctime, which git compares
	fi, err := os.Lstat(fp)
	if err != nil {
		return nil, err
	}
	return entryFromStat(j.path, j.hash, j.mode, fi), nil
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

// apply brings the working tree and index to the target tree, by the rule
// of worktreePlan: deletions first (then folders left empty), then new and
// changed files (each written to a temporary file and renamed, so a crash
// leaves the old or the new content, never a part), then the index, written
// to index.lock and renamed over index. files holds the content of new
// blobs by path; others are read from the repository.
func (p *worktreePlan) apply(files map[string][]byte) error {
	r := p.r
	keep := func(path, why string) { p.kept = append(p.kept, path+": "+why) }
	emptied := map[string]bool{}
	for _, c := range p.changes {
		if c.Action != Deleted {
			continue
		}
		h, fi, exists, ok := p.current(c.Path) // (uses the entry's stat data)
		delete(p.entries, c.Path)
		switch {
		case !exists:
		case !ok:
			keep(c.Path, "unreadable; left in place, no longer tracked")
			continue
		case fi.IsDir():
			continue
		case !p.committed(c.Path, h):
			keep(c.Path, "your file is kept, untracked: the commit does not have it (nothing of it was committed, so it was not removed)")
			continue
		default:
			if err := os.Remove(r.wtPath(c.Path)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
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
	r.step("deleted")

	var writes []writeJob
	made := map[string]bool{}
	for _, c := range p.changes {
		if c.Action == Deleted {
			continue
		}
		mode := filemode.Regular
		content, have := files[c.Path]
		if !have {
			e, ok, err := p.tr.lookup(p.target, c.Path)
			if err != nil || !ok {
				return fmt.Errorf("no content for %s", c.Path)
			}
			mode = e.mode
		}
		tracked := &index.Entry{Name: c.Path, Hash: c.To, Mode: mode} // no stat: git re-reads it
		h, fi, exists, ok := p.current(c.Path)
		switch {
		case !ok:
			keep(c.Path, "unreadable; left in place (git status shows it)")
			p.entries[c.Path] = tracked
			continue
		case exists && fi.IsDir():
			if os.Remove(r.wtPath(c.Path)) != nil {
				keep(c.Path, "a folder with files of yours is where the snapshot has a file; move it away and run `entrasnap check --repair`")
				p.entries[c.Path] = tracked
				continue
			}
		case exists && h == c.To && (mode == filemode.Symlink) == (fi.Mode()&os.ModeSymlink != 0):
			if e := entryFromStat(c.Path, c.To, mode, fi); mode != filemode.Regular || fi.Mode()&0o111 == 0 {
				p.entries[c.Path] = e
				continue
			}
		case exists && !p.committed(c.Path, h):
			keep(c.Path, "your local version is kept; the snapshot's is committed (git diff shows the difference, `git checkout -- FILE` takes the snapshot's)")
			p.entries[c.Path] = tracked
			continue
		}
		if dir := path.Dir(c.Path); !made[dir] {
			if err := os.MkdirAll(r.wtPath(dir), 0o755); err != nil {
				keep(c.Path, fmt.Sprintf("its folder cannot be made (%v): a file of yours may be in the way; move it and run `entrasnap check --repair`", err))
				p.entries[c.Path] = tracked
				continue
			}
			made[dir] = true
		}
		// (content not given is read from the store as it is written, so
		// that a large snapshot's files are not all held at once)
		writes = append(writes, writeJob{path: c.Path, hash: c.To, mode: mode, content: content, fromStore: !have})
	}
	entries, err := writeFiles(r, writes, p.readBlob)
	if err != nil {
		return err
	}
	writes = nil
	r.step("written")
	// The written files' entries replace the index's (each path is written
	// once): they join the others in the list sorted for the index, not
	// the map of them (a first snapshot writes every file: at 1.2M users a
	// map of 1.4M entries the collector scans, issue 12).
	for _, e := range entries {
		delete(p.entries, e.Name)
	}
	all := make([]*index.Entry, 0, len(p.entries)+len(entries))
	for _, e := range p.entries {
		all = append(all, e)
	}
	p.entries = nil
	all = append(all, entries...)
	entries = nil
	slices.SortFunc(all, func(a, b *index.Entry) int { return strings.Compare(a.Name, b.Name) })
	if err := encodeIndex(p.lock, all); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	if err := p.lock.Sync(); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	if err := p.lock.Close(); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	p.lock = nil
	r.step("index")
	if err := os.Rename(p.indexPath+".lock", p.indexPath); err != nil {
		os.Remove(p.indexPath + ".lock")
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// encodeIndex writes a version 2 index of entries (sorted by name, stage 0)
// with no extensions, as git's read-cache.c reads it, through a buffer
// (not whole in memory: 14 MB for 124,000 files).
func encodeIndex(out io.Writer, entries []*index.Entry) error {
	sum := sha1.New()
	w := bufio.NewWriterSize(io.MultiWriter(out, sum), 64<<10)
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
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := out.Write(sum.Sum(nil))
	return err
}

// recentTrees returns the trees of commit and its first-parent ancestors,
// n commits in all (fewer when the history is shorter).
func (r *Repo) recentTrees(commit plumbing.Hash, n int) []plumbing.Hash {
	var out []plumbing.Hash
	for h := commit; !h.IsZero() && len(out) < n; {
		c, err := r.commitObject(h)
		if err != nil {
			break
		}
		out = append(out, c.TreeHash)
		if len(c.ParentHashes) == 0 {
			break
		}
		h = c.ParentHashes[0]
	}
	return out
}

// recentDepth is how many of the branch's last commits count as "committed"
// content that bringing the working tree to a new commit may replace: the
// head before the run, and two before it (a run interrupted after moving
// the branch left the working tree one commit behind).
const recentDepth = 3

// WorktreeReport is what SyncWorktree did.
type WorktreeReport struct {
	Branch  string   // the branch HEAD names
	Changed []string // paths whose index entry or file was brought to HEAD
	Kept    []string // local content kept, with why (see Result.WorktreeKept)
	Skipped string   // why nothing was done ("" if it was)
}

// SyncWorktree brings the index and working tree to the commit of the
// branch HEAD names, by the rule of WriteSnapshot (README, "If a run was
// interrupted"): the index to the commit's tree; files whose content is
// committed are replaced, local content is kept and reported. It is what
// `entrasnap check --repair` runs after an interrupted export; a bare
// repository or an unborn branch has nothing to do.
func (r *Repo) SyncWorktree(ctx context.Context) (*WorktreeReport, error) {
	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	rep := &WorktreeReport{}
	if r.workTree == "" {
		rep.Skipped = "a bare repository has no working tree"
		return rep, nil
	}
	bref, err := r.headBranch()
	if err != nil {
		return nil, err
	}
	rep.Branch = bref
	if bref == "" {
		rep.Skipped = "HEAD is detached: entrasnap leaves the working tree to git"
		return rep, nil
	}
	head, ok, err := r.readRef(bref)
	if err != nil {
		return nil, err
	}
	var target plumbing.Hash
	var recent []plumbing.Hash
	if ok {
		recent = r.recentTrees(head, recentDepth)
		if len(recent) > 0 {
			target = recent[0]
		}
	}
	if target.IsZero() {
		target = emptyTreeHash
	}
	plan := r.planWorktree(bref, target, treeReader{r: r}, recent, knownChanges{})
	defer plan.release()
	if plan.skip != "" {
		rep.Skipped = plan.skip
		return rep, fmt.Errorf("the index and working tree of %s were not brought to %s: %s", r.workTree, bref, plan.skip)
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	for _, c := range plan.changes {
		rep.Changed = append(rep.Changed, c.Path)
	}
	if len(plan.changes) == 0 {
		return rep, nil
	}
	if err := plan.apply(nil); err != nil {
		return rep, fmt.Errorf("bringing the working tree %s to %s: %w", r.workTree, bref, err)
	}
	rep.Kept = plan.kept
	return rep, nil
}
