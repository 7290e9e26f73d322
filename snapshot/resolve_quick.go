package snapshot

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// commitObject reads commit h straight from a pack or its loose file when
// it is a whole object there (checked against its id), else through
// go-git; an object of another type is plumbing.ErrObjectNotFound, as
// go-git says. Callers hold r.mu.
func (r *Repo) commitObject(h plumbing.Hash) (*object.Commit, error) {
	data, err := r.packObject(h, plumbing.CommitObject, r.maxFileSize())
	switch {
	case err == errWrongType:
		return nil, plumbing.ErrObjectNotFound // as go-git says of another type
	case err == nil:
		if c, err := object.DecodeCommit(r.repo.Storer, memObject(plumbing.CommitObject, data)); err == nil && c.Hash == h {
			return c, nil
		}
	}
	r.reads.goGitReads.Add(1)
	return r.repo.CommitObject(h)
}

// tagObject reads the annotated tag h like commitObject; an object of
// another type is plumbing.ErrObjectNotFound, as go-git says. Callers hold
// r.mu.
func (r *Repo) tagObject(h plumbing.Hash) (*object.Tag, error) {
	data, err := r.packObject(h, plumbing.TagObject, r.maxFileSize())
	switch {
	case err == errWrongType:
		return nil, plumbing.ErrObjectNotFound
	case err == nil:
		if t, err := object.DecodeTag(r.repo.Storer, memObject(plumbing.TagObject, data)); err == nil && t.Hash == h {
			return t, nil
		}
	}
	r.reads.goGitReads.Add(1)
	return r.repo.TagObject(h)
}

func memObject(t plumbing.ObjectType, data []byte) *plumbing.MemoryObject {
	o := &plumbing.MemoryObject{}
	o.SetType(t)
	o.Write(data) //nolint:errcheck // a MemoryObject's Write does not fail
	return o
}

// resolveQuick resolves the revisions diff, log and show are mostly given
// — a commit or tag id (full or short), HEAD, a branch or a tag name, then
// any number of ~N, ~ or ^ (first-parent) steps — with the objects read
// straight from the packs: go-git's ResolveRevision reads them through its
// own store (its first read maps every object of the pack, about 80 ms at
// 100,000 users) and finds a short id by listing every object of every
// pack (about 100 ms; issue 12, row e1). It follows C git's order: the
// ref the name expands to (plumbing.RefRevParseRules), else the objects
// whose id begins with the name (a whole id is an id before a ref of that
// name); go-git tries the objects first, so a tag named like a short id
// named the other commit (TestResolveAgreesWithGit). What the name names
// is then peeled through annotated tags (nested ones too, as git's
// NAME^{commit}; go-git peels one); when it is a blob or a tree, err is a
// *notCommitError, as git's rev-parse NAME^{commit} fails, rather than
// another object whose id begins with the name. ok is false for anything
// else and on any failure, and the caller resolves rev through go-git as
// before, so an error reads as it did. Callers hold r.mu.
func (r *Repo) resolveQuick(rev string) (c *object.Commit, ok bool, err error) {
	base, steps, ok := splitSteps(rev)
	if !ok || r.packSetLocked() == nil {
		return nil, false, nil
	}
	var h plumbing.Hash
	refName, ref, refErr := r.expandRef(base)
	byRef := false
	switch {
	case refErr == nil && !(len(base) == hex.EncodedLen(len(plumbing.ZeroHash)) && isHex(base)):
		// C git's order: a ref wins over the objects whose id begins with
		// its name (rev-parse warns that the name is ambiguous); only a
		// whole id is an id first.
		h, byRef = ref, true
	case isHex(base):
		if len(base) < 4 {
			return nil, false, nil // go-git tries every object whose id begins so
		}
		cands, ok := r.withPrefix(base)
		if !ok || len(cands) > 1 {
			return nil, false, nil // ambiguous: go-git takes the first it lists
		}
		switch {
		case len(cands) == 1:
			h = cands[0]
		case refErr == nil:
			h, byRef = ref, true
		default:
			return nil, false, nil
		}
	default:
		return nil, false, nil
	}
	c, typ, ok := r.peelCommit(h)
	if !ok {
		return nil, false, nil
	}
	if c == nil {
		e := &notCommitError{id: h, typ: typ, hexName: isHex(base) && !(len(base) == hex.EncodedLen(len(plumbing.ZeroHash)))}
		if byRef {
			e.ref = refName
		}
		return nil, false, e
	}
	for range steps {
		if len(c.ParentHashes) == 0 {
			return nil, false, nil
		}
		p, err := r.commitObject(c.ParentHashes[0])
		if err != nil {
			return nil, false, nil
		}
		c = p
	}
	return c, true, nil
}

// maxTagChain bounds the annotated tags peelCommit follows (a tag of a tag
// of ...): git follows any number; past this many the revision goes to
// go-git, which refuses it.
const maxTagChain = 16

// peelCommit returns the commit h is or that annotated tags starting at h
// lead to; else, with c nil, the type of the blob or tree they lead to.
// ok is false when an object on the way cannot be read or is missing.
// Callers hold r.mu.
func (r *Repo) peelCommit(h plumbing.Hash) (c *object.Commit, typ plumbing.ObjectType, ok bool) {
	for range maxTagChain {
		if c, err := r.commitObject(h); err == nil {
			return c, plumbing.CommitObject, true
		}
		t, err := r.tagObject(h)
		if err != nil {
			typ, ok := r.objectType(h)
			if !ok || typ != plumbing.BlobObject && typ != plumbing.TreeObject {
				return nil, typ, false
			}
			return nil, typ, true
		}
		h = t.Target
	}
	return nil, plumbing.InvalidObject, false
}

// objectType returns the type of object h, which is not a commit or a tag
// (peelCommit): a blob's size is read from its header without inflating
// it; a delta or an object of a store the packs do not cover is asked of
// go-git. ok is false when there is no such object.
func (r *Repo) objectType(h plumbing.Hash) (plumbing.ObjectType, bool) {
	_, err := r.packObject(h, plumbing.BlobObject, 0)
	var tooLarge *FileTooLargeError
	switch {
	case err == nil || errors.As(err, &tooLarge):
		return plumbing.BlobObject, true
	case err == errWrongType:
		return plumbing.TreeObject, true // whole, and neither a commit, a tag nor a blob
	}
	r.reads.goGitReads.Add(1)
	o, err := r.repo.Storer.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return plumbing.InvalidObject, false
	}
	return o.Type(), true
}

// notCommitError is a revision that names a blob or a tree, or an
// annotated tag of one: git's rev-parse NAME^{commit} refuses it ("expected
// commit type, but the object dereferences to blob type").
type notCommitError struct {
	ref     string // the ref the name expanded to, "" when it is an id
	id      plumbing.Hash
	typ     plumbing.ObjectType
	hexName bool // the name could also be read as the start of an id
}

func (e *notCommitError) Error() string {
	what := "it is the id of a " + e.typ.String()
	if e.ref != "" {
		what = fmt.Sprintf("%s leads to a %s (%s)", e.ref, e.typ, e.id.String()[:12])
	}
	msg := what + ", not a commit, as git rev-parse NAME^{commit} says"
	if e.ref != "" && e.hexName {
		msg += "; a ref named like the start of an object id is the ref, as in git: give more digits, or the whole id, to name the commit"
	}
	return msg
}

// splitSteps splits rev into a name and its count of first-parent steps
// (~N, ~, ^, ^1); ok is false for a revision of any other form, or a name
// that is not a plain ref name or id.
func splitSteps(rev string) (base string, steps int, ok bool) {
	end := strings.IndexAny(rev, "~^")
	if end < 0 {
		end = len(rev)
	}
	base = rev[:end]
	if base == "" || strings.Contains(base, "..") || strings.HasPrefix(base, "/") || strings.HasSuffix(base, "/") ||
		strings.HasPrefix(base, "-") || strings.Contains(base, "//") || strings.Contains(base, "/.") || strings.HasPrefix(base, ".") ||
		strings.HasSuffix(base, ".lock") {
		return "", 0, false
	}
	for _, c := range base {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/_.-", c)) {
			return "", 0, false
		}
	}
	for s := rev[end:]; s != ""; {
		op := s[0]
		s = s[1:]
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		num := 1
		if n > 0 {
			v, err := strconv.Atoi(s[:n])
			if err != nil || v > 1<<20 {
				return "", 0, false
			}
			num = v
		}
		s = s[n:]
		switch {
		case op == '~':
			steps += num
		case op == '^' && n == 0, op == '^' && num == 1:
			steps++
		default:
			return "", 0, false // ^0, ^2: go-git's
		}
	}
	return base, steps, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// withPrefix lists the objects, loose or packed, whose id begins with the
// hexadecimal digits p: a binary search in each pack index and a listing
// of one folder of loose objects. ok is false when the loose objects'
// folder cannot be listed.
func (r *Repo) withPrefix(p string) ([]plumbing.Hash, bool) {
	p = strings.ToLower(p)
	if len(p) > 40 {
		return nil, true
	}
	b, err := hex.DecodeString(p[:len(p)&^1])
	if err != nil {
		return nil, false
	}
	var out []plumbing.Hash
	for _, h := range r.packs.withPrefix(b) {
		if strings.HasPrefix(h.String(), p) {
			out = append(out, h)
		}
	}
	names, err := os.ReadDir(filepath.Join(r.objectsDir(), p[:2]))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, false
	}
	for _, e := range names {
		full := p[:2] + e.Name()
		h, ok := parseHash(full)
		if !ok || !strings.HasPrefix(full, p) {
			continue
		}
		seen := false
		for _, o := range out {
			seen = seen || o == h
		}
		if !seen {
			out = append(out, h)
		}
	}
	return out, true
}

// expandRef resolves name as git does a ref name (name, refs/name,
// refs/tags/name, refs/heads/name, refs/remotes/name,
// refs/remotes/name/HEAD), following symbolic refs; full is the ref it
// expanded to.
func (r *Repo) expandRef(name string) (full string, h plumbing.Hash, err error) {
	for _, rule := range plumbing.RefRevParseRules {
		full := fmt.Sprintf(rule, name)
		ref, err := storer.ResolveReference(r.repo.Storer, plumbing.ReferenceName(full))
		if err == nil {
			return full, ref.Hash(), nil
		}
	}
	return "", plumbing.ZeroHash, plumbing.ErrReferenceNotFound
}
