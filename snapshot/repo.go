package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// objectCacheSize bounds go-git's cache of the objects it read (raw
// trees, blobs, commits), 96 MB by default. Nothing here reads one object
// twice through it on purpose: trees have the decoded tree cache
// (treeEntries), commits commitCache, many blobs a store of their own
// (bulkReader); at the default size it kept every tree and blob an
// incremental export read, 26 MB of a 100,000-user no-change run's live
// heap for the whole run (issue 12). Objects larger than this are not
// cached at all.
const objectCacheSize = 4 * cache.MiByte

// DefaultBranch is the branch a new repository starts on and the branch a
// snapshot goes to when HEAD does not name one.
const DefaultBranch = "main"

// Errors callers branch on. Every error returned by this package that means
// one of these wraps it (test with errors.Is); the message says what to do.
var (
	// ErrNotRepository: the path is not a git repository.
	ErrNotRepository = errors.New("not a git repository")
	// ErrUnknownRevision: a revision names no commit.
	ErrUnknownRevision = errors.New("unknown revision")
	// ErrNotFound: a path is absent at the revision.
	ErrNotFound = errors.New("not found")
	// ErrLocked: another entrasnap run holds the repository lock.
	ErrLocked = errors.New("repository locked")
	// ErrBranchMoved: the branch changed between reading its head and
	// updating it (compare-and-swap failed); nothing was published.
	ErrBranchMoved = errors.New("branch moved")
	// ErrTagExists: the requested snapshot tag already exists.
	ErrTagExists = errors.New("tag already exists")
	// ErrStop, returned by a callback of Walk or History, ends the walk
	// early without an error.
	ErrStop = errors.New("stop walking")
)

// Repo is a git repository, bare or with a working tree. All methods are safe
// for concurrent use: a mutex serialises access to the underlying go-git
// repository, which is not.
type Repo struct {
	mu sync.Mutex

	repo      *git.Repository
	path      string // as given, made absolute
	gitDir    string // HEAD and index live here
	commonDir string // objects, refs, packed-refs, entrasnap.lock
	workTree  string // "" for a bare repository

	packStamp packStamp
	// packs are the pack indexes, read on the first object read after the
	// pack folder changed (packSet, dropped by refresh and reindex);
	// preader reads through them for calls that hold mu.
	packs   *packSet
	preader *packReader

	// Caches of immutable objects, by id: decoded trees (bounded by
	// treeCacheMax entries in total) and peeled tags.
	treeCache     map[plumbing.Hash][]tEntry
	treeCacheSize int
	tagCache      map[plumbing.Hash]TagInfo
	commitCache   map[plumbing.Hash]*object.Commit // commits named by a full id

	// reads counts what was read from the object store (ReadCounts).
	reads readCounter

	// notifyFn is told what the repository did on its own (SetNotify).
	notifyFn func(msg string)

	closed bool // Close was called

	// maxFile bounds one file read (SetMaxFileSize); 0: DefaultMaxFileSize.
	maxFile atomic.Int64

	// testStep, when set, is called at each write step of WriteSnapshot
	// (crash tests kill the process there).
	testStep func(step string)

	// testBeforeRefUpdate, when set, runs after all objects of a snapshot
	// are written and before the branch compare-and-swap.
	testBeforeRefUpdate func()
}

type packStamp struct {
	mod  time.Time
	size int64
}

// Open opens an existing repository: a bare repository at path, or a
// repository whose working tree is path (path/.git a folder, or a file
// "gitdir: ..." as for linked worktrees and submodules).
func Open(path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", path, err)
	}
	gitDir, commonDir, workTree, err := locate(abs)
	if err != nil {
		return nil, err
	}
	opened := abs
	if workTree == "" {
		opened = gitDir
	}
	gr, err := git.PlainOpenWithOptions(opened, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("%w: %s (use an empty or new folder to create one)", ErrNotRepository, abs)
		}
		return nil, fmt.Errorf("open repository %s: %w", abs, err)
	}
	if fs, ok := gr.Storer.(*filesystem.Storage); ok {
		// The same store, keeping a pack file open from the first object
		// read from it to the end of the call (unlock closes it): go-git's
		// own opens and closes the pack for every object it reads, which
		// was a fifth of the CPU of a diff or a log (an open, a seek and a
		// close per tree and per file, through a path resolution that
		// stats every folder). Between calls no file stays open, so git gc
		// may still replace the packs.
		gr.Storer = keepingPacks(fs)
	}
	if workTree == "" && filepath.Base(gitDir) == ".git" {
		// The .git folder of a non-bare repository was given directly.
		if cfg, err := gr.Config(); err == nil && !cfg.Core.IsBare {
			workTree = filepath.Dir(gitDir)
		}
	}
	return &Repo{repo: gr, path: abs, gitDir: gitDir, commonDir: commonDir, workTree: workTree}, nil
}

// locate finds the git directories of the repository at abs.
func locate(abs string) (gitDir, commonDir, workTree string, err error) {
	fi, err := os.Stat(abs)
	if err != nil {
		if os.IsNotExist(err) {
			return "", "", "", fmt.Errorf("%w: %s does not exist", ErrNotRepository, abs)
		}
		return "", "", "", fmt.Errorf("open repository %s: %w", abs, err)
	}
	if !fi.IsDir() {
		return "", "", "", fmt.Errorf("%w: %s is a file, not a folder", ErrNotRepository, abs)
	}
	dot := filepath.Join(abs, ".git")
	if st, err := os.Stat(dot); err == nil {
		workTree = abs
		if st.IsDir() {
			gitDir = dot
		} else {
			b, err := os.ReadFile(dot)
			if err != nil {
				return "", "", "", fmt.Errorf("open repository %s: %w", abs, err)
			}
			line := strings.TrimSpace(string(b))
			target, ok := strings.CutPrefix(line, "gitdir:")
			if !ok {
				return "", "", "", fmt.Errorf("%w: %s has a .git file that does not say \"gitdir: ...\"", ErrNotRepository, abs)
			}
			target = strings.TrimSpace(target)
			if !filepath.IsAbs(target) {
				target = filepath.Join(abs, target)
			}
			gitDir = target
		}
	} else if isGitDir(abs) {
		gitDir = abs
	} else {
		return "", "", "", fmt.Errorf("%w: %s has no .git folder and is not a bare repository (use an empty or new folder to create one)", ErrNotRepository, abs)
	}
	if !isGitDir(gitDir) {
		return "", "", "", fmt.Errorf("%w: %s: %s lacks HEAD or objects", ErrNotRepository, abs, gitDir)
	}
	commonDir = gitDir
	if b, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		c := strings.TrimSpace(string(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(gitDir, c)
		}
		commonDir = filepath.Clean(c)
	}
	return gitDir, commonDir, workTree, nil
}

func isGitDir(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		return false
	}
	common := dir
	if b, err := os.ReadFile(filepath.Join(dir, "commondir")); err == nil {
		c := strings.TrimSpace(string(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(dir, c)
		}
		common = c
	}
	st, err := os.Stat(filepath.Join(common, "objects"))
	return err == nil && st.IsDir()
}

// Init creates a repository at path (creating the folder too), bare or with
// a working tree, whose HEAD names the branch "main". It fails if path is
// already a repository.
func Init(path string, bare bool) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("create repository %s: %w", path, err)
	}
	if _, _, _, err := locate(abs); err == nil {
		return nil, fmt.Errorf("create repository %s: it is already a git repository", abs)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("create repository %s: %w", abs, err)
	}
	_, err = git.PlainInitWithOptions(abs, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(DefaultBranch)},
		Bare:        bare,
	})
	if err != nil {
		return nil, fmt.Errorf("create repository %s: %w", abs, err)
	}
	return Open(abs)
}

// OpenOrInit opens the repository at path, or creates one with a working
// tree when path does not exist or is an empty folder.
func OpenOrInit(path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", path, err)
	}
	empty, err := isEmptyOrMissing(abs)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", abs, err)
	}
	if empty {
		return Init(abs, false)
	}
	return Open(abs)
}

func isEmptyOrMissing(dir string) (bool, error) {
	f, err := os.Open(dir)
	if os.IsNotExist(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	if !st.IsDir() {
		return false, nil
	}
	_, err = f.Readdirnames(1)
	if err == io.EOF {
		return true, nil
	}
	return false, err
}

// keepingPacks is the store st reading through the same folder, with its
// pack files kept open until closed (Repo.unlock). An object larger than
// largeObject is read as a stream from the pack straight into the
// caller's buffer, not inflated into a growing copy held by go-git's cache
// first (a group of thousands of members is a file of hundreds of KB).
func keepingPacks(st *filesystem.Storage) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(st.Filesystem(), cache.NewObjectLRU(objectCacheSize), filesystem.Options{KeepDescriptors: true, LargeObjectThreshold: largeObject})
}

// largeObject is the size above which an object is streamed (go-git
// reads objects up to 16 KiB whole whatever this says).
const largeObject = 16 << 10

// unlock ends a call: it closes the pack files the call read from and
// releases r.mu. Every method that locks r.mu unlocks through it.
func (r *Repo) unlock() {
	if r.packs != nil {
		r.packs.closeFiles()
	}
	if st, ok := r.repo.Storer.(*filesystem.Storage); ok {
		_ = st.ObjectStorage.Close() // the packs only: the store stays usable, its indexes loaded
	}
	r.mu.Unlock()
}

// Path is the repository path as opened (absolute).
func (r *Repo) Path() string { return r.path }

// GitDir is the folder holding HEAD, objects and refs (for a linked worktree,
// the folder holding HEAD and the index).
func (r *Repo) GitDir() string { return r.gitDir }

// WorkTree is the working tree folder, or "" for a bare repository.
func (r *Repo) WorkTree() string { return r.workTree }

// Bare reports whether the repository has no working tree.
func (r *Repo) Bare() bool { return r.workTree == "" }

// Close releases resources held by the repository (open pack files).
func (r *Repo) Close() error {
	r.mu.Lock()
	defer r.unlock()
	r.closed = true
	if c, ok := r.repo.Storer.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// ReadCounts are what a Repo has read since it was opened: tree objects
// decoded (not those found in its cache), blobs read and listings of the
// tags. Reads grow with what a command asks for, not with the time a
// loaded machine takes, so tests of the history commands count them to
// keep the work in proportion to the change rather than to the tenant.
type ReadCounts struct {
	Trees, Blobs, TagLists int
	// PackIndexLoads counts the loads of the pack indexes (once per
	// repository until the pack folder changes); GoGitReads the objects
	// (blobs, trees, commits, tags) read through go-git's store rather
	// than straight from a pack (deltas, loose objects), each of which
	// makes go-git load every pack index of its own and map every
	// object's offset on its first read.
	PackIndexLoads, GoGitReads int
}

// readCounter is ReadCounts as the reads count them: atomics, as
// ReadBlobs reads on several goroutines at once.
type readCounter struct {
	trees, blobs, tagLists, packIndexLoads, goGitReads atomic.Int64
}

// ReadCounts returns what r has read so far.
func (r *Repo) ReadCounts() ReadCounts {
	return ReadCounts{Trees: int(r.reads.trees.Load()), Blobs: int(r.reads.blobs.Load()), TagLists: int(r.reads.tagLists.Load()),
		PackIndexLoads: int(r.reads.packIndexLoads.Load()), GoGitReads: int(r.reads.goGitReads.Load())}
}

// Closed reports whether Close was called: callers' tests check that
// every repository they open is closed.
func (r *Repo) Closed() bool {
	r.mu.Lock()
	defer r.unlock()
	return r.closed
}

// refresh makes go-git see pack files written or removed by other processes
// (git gc, git repack) since the last call. Callers hold r.mu.
func (r *Repo) refresh() {
	st, err := os.Stat(filepath.Join(r.commonDir, "objects", "pack"))
	var s packStamp
	if err == nil {
		s = packStamp{mod: st.ModTime(), size: st.Size()}
	}
	if s != r.packStamp {
		r.packStamp = s
		r.reindex()
	}
}

func (r *Repo) reindex() {
	if r.packs != nil {
		r.packs.closeFiles()
		r.packs, r.preader = nil, nil
	}
	if ri, ok := r.repo.Storer.(interface{ Reindex() }); ok {
		ri.Reindex()
	}
}

// headBranch returns the full ref name HEAD points at ("" when detached).
func (r *Repo) headBranch() (string, error) {
	b, err := os.ReadFile(filepath.Join(r.gitDir, "HEAD"))
	if err != nil {
		return "", fmt.Errorf("read HEAD of %s: %w", r.path, err)
	}
	s := strings.TrimSpace(string(b))
	if t, ok := strings.CutPrefix(s, "ref:"); ok {
		return strings.TrimSpace(t), nil
	}
	return "", nil
}

func ctxErr(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	return ctx.Err()
}

// step marks a write step for crash tests.
func (r *Repo) step(name string) {
	if r.testStep != nil {
		r.testStep(name)
	}
}
