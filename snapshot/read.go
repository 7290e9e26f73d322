package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// CommitInfo describes one commit.
type CommitInfo struct {
	Hash      plumbing.Hash
	Parent    plumbing.Hash // first parent; zero for the first commit
	Time      time.Time     // committer time
	Author    Signature
	Committer Signature
	Message   string
	Tags      []string // names of the tags that point at this commit, sorted
	// ParentTime and ParentTags are the first parent's committer time and
	// tags, as History gives them (zero without a parent; Log leaves them
	// out): what a caller needs of the snapshot before, without reading
	// every tag again.
	ParentTime time.Time
	ParentTags []string
}

// TagInfo describes one tag.
type TagInfo struct {
	Name      string        // without refs/tags/
	Commit    plumbing.Hash // the commit it points at (peeled)
	Hash      plumbing.Hash // the tag object (annotated) or the commit (lightweight)
	Annotated bool
	Time      time.Time // tagger time; a lightweight tag's commit time
	Tagger    Signature
	Message   string
	// Signed: the tag and its commit both carry a signature (not verified:
	// AllowedSigners.Verify does that).
	Signed bool
}

var dayRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// parseWhen recognises a date (YYYY-MM-DD, a UTC day) or an RFC 3339 time;
// it returns the first instant after the period meant.
func parseWhen(rev string) (time.Time, bool) {
	if dayRe.MatchString(rev) {
		d, err := time.Parse("2006-01-02", rev)
		if err != nil {
			return time.Time{}, false
		}
		return d.AddDate(0, 0, 1), true
	}
	if strings.Contains(rev, "T") && strings.Contains(rev, ":") {
		t, err := time.Parse(time.RFC3339Nano, rev)
		if err == nil {
			return t.Add(time.Nanosecond), true
		}
	}
	return time.Time{}, false
}

// unknownRevision is the one error for a revision that names no commit
// (show, log, diff, drift --baseline, restore --at, graphsim --at all
// resolve through Resolve): the revision quoted (a newline or a control
// character shows escaped) and cut to maxRevShown bytes, why when go-git's
// reason helps, and what to give instead.
func (r *Repo) unknownRevision(rev string, cause error) error {
	hint := "give a branch, a tag, a commit hash, HEAD~N or a date (YYYY-MM-DD or RFC 3339); `entrasnap snapshots` lists the snapshots"
	if _, err := r.repo.ResolveRevision("HEAD"); err != nil {
		hint = "the repository has no snapshots yet; run `entrasnap export` first"
	}
	why := ""
	var notCommit *notCommitError
	switch {
	case errors.As(cause, &notCommit):
		why = " (" + notCommit.Error() + ")"
	case cause == nil || errors.Is(cause, plumbing.ErrReferenceNotFound) || errors.Is(cause, plumbing.ErrObjectNotFound):
	case errors.Is(cause, io.EOF): // go-git's HEAD~N past the first commit
		why = " (past the first commit)"
	case errors.Is(cause, errRevSyntax) || strings.HasPrefix(cause.Error(), "Revision invalid"): // or go-git's internal ErrInvalidRevision
		why = " (not a revision git reads)"
	default:
		why = fmt.Sprintf(" (%q)", cause.Error())
	}
	return fmt.Errorf("%w %s in %s%s: %s", ErrUnknownRevision, quoteRev(rev), r.path, why, hint)
}

// errRevSyntax is a revision no git reads (a control character).
var errRevSyntax = errors.New("not a revision git reads")

// maxRevShown bounds how much of a revision an error repeats.
const maxRevShown = 100

// quoteRev quotes rev for an error message, cut to maxRevShown bytes (at a
// character boundary) with its full length after it.
func quoteRev(rev string) string {
	if len(rev) <= maxRevShown {
		return strconv.Quote(rev)
	}
	cut := maxRevShown
	for cut > 0 && !utf8.RuneStart(rev[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", rev[:cut], len(rev))
}

// resolveCommit resolves rev to a commit. Callers hold r.mu.
func (r *Repo) resolveCommit(ctx context.Context, rev string) (*object.Commit, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if rev == "" {
		return nil, r.unknownRevision(rev, nil)
	}
	if strings.ContainsFunc(rev, unicode.IsControl) { // git's refs hold none; go-git reads "HEAD\x00" as HEAD
		return nil, r.unknownRevision(rev, errRevSyntax)
	}
	if before, ok := parseWhen(rev); ok {
		return r.commitBefore(ctx, rev, before)
	}
	if full, ok := fullHash(rev); ok {
		// The full id of a commit names it, as git reads one, without
		// looking for a ref of that name first; such commits are cached (a
		// diff reads many files and folders of the same two). Other ids (a
		// tag's) are resolved below.
		if c, ok := r.commitCache[full]; ok {
			return c, nil
		}
		if c, err := r.commitObject(full); err == nil {
			if r.commitCache == nil || len(r.commitCache) >= 64 {
				r.commitCache = map[plumbing.Hash]*object.Commit{}
			}
			r.commitCache[full] = c
			return c, nil
		}
	}
	if c, ok, err := r.resolveQuick(rev); ok {
		return c, nil
	} else if err != nil {
		return nil, r.unknownRevision(rev, err)
	}
	h, err := r.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, r.unknownRevision(rev, err)
	}
	c, err := r.commitObject(*h)
	if err != nil {
		return nil, r.unknownRevision(rev, err)
	}
	return c, nil
}

// fullHash parses a full 40-digit hexadecimal object id.
func fullHash(rev string) (plumbing.Hash, bool) {
	if len(rev) != 40 {
		return plumbing.ZeroHash, false
	}
	for i := 0; i < len(rev); i++ {
		c := rev[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return plumbing.ZeroHash, false
		}
	}
	return plumbing.NewHash(rev), true
}

// commitBefore walks first-parent history from HEAD to the newest commit
// whose committer time is before the given instant.
func (r *Repo) commitBefore(ctx context.Context, rev string, before time.Time) (*object.Commit, error) {
	h, err := r.repo.ResolveRevision("HEAD")
	if err != nil {
		return nil, r.unknownRevision(rev, err)
	}
	c, err := r.commitObject(*h)
	if err != nil {
		return nil, r.unknownRevision(rev, err)
	}
	for {
		if err := ctxErr(ctx); err != nil {
			return nil, err
		}
		if c.Committer.When.Before(before) {
			return c, nil
		}
		if len(c.ParentHashes) == 0 {
			return nil, fmt.Errorf("%w %s in %s: no snapshot on or before it (the oldest is from %s); `entrasnap snapshots` lists them",
				ErrUnknownRevision, quoteRev(rev), r.path, c.Committer.When.UTC().Format(time.RFC3339))
		}
		if c, err = r.commitObject(c.ParentHashes[0]); err != nil {
			return nil, fmt.Errorf("resolve %q: %w", rev, err)
		}
	}
}

// Resolve turns a revision into a commit id. rev is anything go-git
// resolves (branch, tag, full or short hash, HEAD, HEAD~2, main^, tag^{}),
// or a date "YYYY-MM-DD" (a UTC day) or RFC 3339 time meaning the last
// commit, following first parents from HEAD, whose committer time is on or
// before that day or instant. Tags are peeled to their commit. Errors wrap
// ErrUnknownRevision and say what to try.
func (r *Repo) Resolve(ctx context.Context, rev string) (plumbing.Hash, error) {
	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	c, err := r.resolveCommit(ctx, rev)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return c.Hash, nil
}

// readBlob reads blob h straight from a pack when it is a whole object
// there (packread.go), else through go-git. Callers hold r.mu.
func (r *Repo) readBlob(h plumbing.Hash) ([]byte, error) { return r.readBlobVia(r.repo.Storer, h) }

// readBlobVia is readBlob through go-git's object store st when h is not a
// whole object of a pack: a loose object is read whole before its size is
// known, so its header says its size first (cheap through a bulk store).
func (r *Repo) readBlobVia(st storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	data, err := r.packObject(h, plumbing.BlobObject, r.maxFileSize())
	var tooLarge *FileTooLargeError
	if err == nil || errors.As(err, &tooLarge) {
		r.reads.blobs.Add(1)
		return data, err
	}
	if sz, ok := st.(interface {
		EncodedObjectSize(plumbing.Hash) (int64, error)
	}); ok {
		if n, err := sz.EncodedObjectSize(h); err == nil && n > r.maxFileSize() {
			return nil, &FileTooLargeError{Size: n, Limit: r.maxFileSize()}
		}
	}
	return r.readBlobFrom(st, h)
}

// readBlobFrom is readBlob through go-git's object store st.
func (r *Repo) readBlobFrom(st storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	r.reads.blobs.Add(1)
	r.reads.goGitReads.Add(1)
	obj, err := st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	if limit := r.maxFileSize(); obj.Size() > limit {
		return nil, &FileTooLargeError{Size: obj.Size(), Limit: limit}
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	defer rd.Close()
	b, err := readSized(rd, obj.Size(), r.maxFileSize())
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	return b, nil
}

// readSized reads rd to its end into a buffer of the size its object
// declares (at most most bytes allocated ahead): one allocation and one
// copy for an object as declared, more only for one that is not.
func readSized(rd io.Reader, size, most int64) ([]byte, error) {
	b := make([]byte, max(min(size, most), 0))
	n, err := io.ReadFull(rd, b)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return b[:n], nil // shorter than declared
	case err != nil:
		return nil, err
	}
	var one [1]byte
	for { // longer than declared: read the rest
		m, err := rd.Read(one[:])
		if m > 0 {
			rest, err := io.ReadAll(rd)
			if err != nil {
				return nil, err
			}
			return append(append(b, one[0]), rest...), nil
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// ReadFile returns the content of the file at path in revision rev. When
// nothing (or a folder) is at that path, the error wraps ErrNotFound.
func (r *Repo) ReadFile(ctx context.Context, rev, path string) ([]byte, error) {
	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	c, err := r.resolveCommit(ctx, rev)
	if err != nil {
		return nil, err
	}
	p := cleanPrefix(path)
	if p == "" {
		return nil, fmt.Errorf("read file: empty path")
	}
	e, ok, err := treeReader{r: r}.lookup(c.TreeHash, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s at %s (%s)", ErrNotFound, p, rev, c.Hash.String()[:12])
	}
	if e.isTree() || skipMode(e.mode) {
		return nil, fmt.Errorf("%w: %s at %s (%s) is a folder, not a file", ErrNotFound, p, rev, c.Hash.String()[:12])
	}
	b, err := r.readBlob(e.hash)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", p, rev, err)
	}
	return b, nil
}

// ReadBlob returns the content of the blob h: a file's content by its id,
// as Walk and Diff give it, without resolving a revision or a path.
func (r *Repo) ReadBlob(ctx context.Context, h plumbing.Hash) ([]byte, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	return r.readBlob(h)
}

func (r *Repo) resolveCommitLocked(ctx context.Context, rev string) (*object.Commit, error) {
	r.refresh()
	return r.resolveCommit(ctx, rev)
}

// bulkReaderMin is the number of files from which ReadAll reads through
// bulkReader.
const bulkReaderMin = 64

// bulkReader is the object store ReadAll reads n blobs through, and the
// function that releases it. For many blobs, ReadAll reads through a
// second store on the same folder, whose own small cache keeps the
// repository's from filling with file contents read once (the
// repository's store keeps its packs open within a call too: keepingPacks).
// Callers hold r.mu.
func (r *Repo) bulkReader(n int) (storer.EncodedObjectStorer, func()) {
	fs, ok := r.repo.Storer.(*filesystem.Storage)
	if !ok || n < bulkReaderMin {
		return r.repo.Storer, func() {}
	}
	st := filesystem.NewStorageWithOptions(fs.Filesystem(), cache.NewObjectLRU(8*cache.MiByte), filesystem.Options{KeepDescriptors: true})
	return st, func() { st.Close() }
}

// ReadAll returns every file at or below prefix in revision rev, keyed by
// path.
func (r *Repo) ReadAll(ctx context.Context, rev, prefix string) (map[string][]byte, error) {
	r.mu.Lock()
	defer r.unlock()
	c, err := r.resolveCommitLocked(ctx, rev)
	if err != nil {
		return nil, err
	}
	list, err := r.list(ctx, c.TreeHash, []string{prefix}, nil, 0)
	if err != nil {
		return nil, err
	}
	items := list[0]
	out := make(map[string][]byte, len(items))
	st, done := r.bulkReader(len(items))
	defer done()
	for i, it := range items {
		if i%256 == 0 {
			if err := ctxErr(ctx); err != nil {
				return nil, err
			}
		}
		// Straight from the pack: through go-git, the first read of
		// each command loaded go-git's own index of the pack (diff's
		// attribution reads the changes folder: 40 ms at 100,000 users).
		b, err := r.readBlobVia(st, it.Blob)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", it.Path(), err)
		}
		out[it.Path()] = b
	}
	return out, nil
}

func sigOf(s object.Signature) Signature {
	return Signature{Name: s.Name, Email: s.Email, When: s.When}
}

func commitInfo(c *object.Commit, tags map[plumbing.Hash][]string) CommitInfo {
	ci := CommitInfo{
		Hash:      c.Hash,
		Time:      c.Committer.When,
		Author:    sigOf(c.Author),
		Committer: sigOf(c.Committer),
		Message:   c.Message,
		Tags:      tags[c.Hash],
	}
	if len(c.ParentHashes) > 0 {
		ci.Parent = c.ParentHashes[0]
	}
	return ci
}

// Log lists up to max commits (all if max <= 0) following first parents from
// rev ("" = HEAD), newest first, each with the tags pointing at it.
func (r *Repo) Log(ctx context.Context, rev string, max int) ([]CommitInfo, error) {
	r.mu.Lock()
	defer r.unlock()
	if rev == "" {
		rev = "HEAD"
	}
	c, err := r.resolveCommitLocked(ctx, rev)
	if err != nil {
		return nil, err
	}
	tags, err := r.tagsByCommit()
	if err != nil {
		return nil, err
	}
	var out []CommitInfo
	for {
		if err := ctxErr(ctx); err != nil {
			return nil, err
		}
		out = append(out, commitInfo(c, tags))
		if (max > 0 && len(out) >= max) || len(c.ParentHashes) == 0 {
			return out, nil
		}
		if c, err = r.commitObject(c.ParentHashes[0]); err != nil {
			return nil, fmt.Errorf("log: read parent: %w", err)
		}
	}
}

// Tags lists the tags whose name starts with prefix ("" = all; e.g.
// "snapshot/"), newest first (by tagger time, then name). Tags of objects
// other than commits are left out.
func (r *Repo) Tags(ctx context.Context, prefix string) ([]TagInfo, error) {
	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	return r.tagList(prefix)
}

func (r *Repo) tagList(prefix string) ([]TagInfo, error) {
	r.reads.tagLists.Add(1)
	iter, err := r.repo.Tags()
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	var out []TagInfo
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		name := strings.TrimPrefix(ref.Name().String(), "refs/tags/")
		if !strings.HasPrefix(name, prefix) {
			return nil
		}
		if ti, ok := r.tagCache[ref.Hash()]; ok {
			if !ti.Commit.IsZero() {
				ti.Name = name
				out = append(out, ti)
			}
			return nil
		}
		ti, err := r.peelTag(ref.Hash())
		if err != nil {
			return fmt.Errorf("read tag %s: %w", name, err)
		}
		if r.tagCache == nil {
			r.tagCache = map[plumbing.Hash]TagInfo{}
		}
		r.tagCache[ref.Hash()] = ti // objects never change: cache by id
		if !ti.Commit.IsZero() {
			ti.Name = name
			out = append(out, ti)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.After(out[j].Time)
		}
		return out[i].Name > out[j].Name
	})
	return out, nil
}

// peelTag describes what the tag ref value h points at; Commit is zero when
// it is not (eventually) a commit.
func (r *Repo) peelTag(h plumbing.Hash) (TagInfo, error) {
	ti := TagInfo{Hash: h}
peel:
	for depth := 0; depth < 10; depth++ {
		t, err := r.tagObject(h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			break // not a tag object: a lightweight tag, or peeled
		}
		if err != nil {
			return ti, err
		}
		if depth == 0 {
			ti.Annotated = true
			ti.Signed = t.PGPSignature != ""
			ti.Tagger = sigOf(t.Tagger)
			ti.Time = t.Tagger.When
			ti.Message = t.Message
		}
		h = t.Target
		switch t.TargetType {
		case plumbing.CommitObject:
			break peel
		case plumbing.TagObject:
		default:
			return ti, nil // a tag of a tree or blob: not a snapshot
		}
	}
	c, err := r.commitObject(h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return ti, nil
	}
	if err != nil {
		return ti, err
	}
	ti.Commit = c.Hash
	ti.Signed = ti.Signed && c.PGPSignature != ""
	if !ti.Annotated {
		ti.Time = c.Committer.When
	}
	return ti, nil
}

func (r *Repo) tagsByCommit() (map[plumbing.Hash][]string, error) {
	tags, err := r.tagList("")
	if err != nil {
		return nil, err
	}
	m := map[plumbing.Hash][]string{}
	for _, t := range tags {
		m[t.Commit] = append(m[t.Commit], t.Name)
	}
	for _, v := range m {
		sort.Strings(v)
	}
	return m, nil
}
