package snapshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Signature names who made a commit or tag and when.
type Signature struct {
	Name  string
	Email string
	When  time.Time
}

// Snapshot is what WriteSnapshot commits.
type Snapshot struct {
	// Branch to commit to ("main" or "refs/heads/main"); default: the branch
	// HEAD names, or "main".
	Branch string
	// Files is the complete desired tree: slash-separated path → content.
	// Every file gets mode 100644. A path absent here (and not carried) is
	// deleted.
	Files map[string][]byte
	// Blobs are more files of the tree, by blob id instead of content: ids
	// Stage.Add returned (Stage must then be the stage) or of blobs already
	// in the repository. A path must not be in both Files and Blobs. This is
	// how a large snapshot is committed without holding its content.
	Blobs map[string]plumbing.Hash
	// Stage holds the new blobs of Blobs; WriteSnapshot writes them with the
	// trees and commit and closes the stage, or discards it when the tree
	// is unchanged. When WriteSnapshot fails before writing objects the
	// stage stays open (the caller may try again, e.g. with another tag
	// name): the caller Discards it when done (a no-op once closed).
	Stage *Stage
	// Carry lists paths (folders or files; "groups" and "groups/" are the
	// same folder) whose content is copied unchanged from the parent
	// commit, by tree id, for kinds not read this run. A carried path absent
	// from the parent stays absent. Files must hold nothing at or below a
	// carried path.
	Carry []string
	// Message of the commit (a trailing newline is added).
	Message string
	// Author and Committer; empty fields default to "entrasnap",
	// "entrasnap@localhost" and now. Committer defaults to Author.
	Author, Committer Signature
	// Tag, when not "", is the name of an annotated tag (e.g.
	// "snapshot/20260323T101500Z") created on the new commit, with
	// TagMessage (default Message), tagged by Committer. It is an error if it
	// already exists.
	Tag        string
	TagMessage string
	// TagWhenUnchanged tags the existing head when the tree did not change.
	TagWhenUnchanged bool
	// Signer, when set, signs the commit and the tag (sign.go).
	Signer Signer
}

// Result is what WriteSnapshot did.
type Result struct {
	Branch  string        // full ref name, e.g. refs/heads/main
	Parent  plumbing.Hash // the branch head before (zero for the first commit)
	Commit  plumbing.Hash // the new commit, or the unchanged head
	Changed bool          // a commit was made
	Tag     string        // the tag created ("" if none)
	TagHash plumbing.Hash // the tag object
	// Changes lists every changed file against the parent, sorted by path;
	// Counts tallies them.
	Changes []Change
	Counts  Counts
	// ObjectsWritten counts new objects (blobs, trees, commit, tag); Packed
	// says they went into one pack file rather than loose files.
	ObjectsWritten int
	Packed         bool
	// WorktreeUpdated: the working tree and index now match the commit.
	// WorktreeSkipped says why a working tree was left alone (it had local
	// changes, HEAD is on another branch, ...); "" for bare repositories.
	WorktreeUpdated bool
	WorktreeSkipped string
	// WorktreeKept lists, with why, the paths where the working tree kept
	// local content (an edit, an untracked file in the way) instead of the
	// commit's: the index has the commit's version, so git status shows the
	// user's content as an unstaged change. Nothing in it was overwritten.
	WorktreeKept []string
}

func (s Signature) withDefaults(now time.Time) Signature {
	if s.Name == "" {
		s.Name = "entrasnap"
	}
	if s.Email == "" {
		s.Email = "entrasnap@localhost"
	}
	if s.When.IsZero() {
		s.When = now
	}
	return s
}

// ParseSignature reads a git identity written "Name <email>" (as git's
// --author takes it). Name and email must be non-empty and hold no <, >,
// newline or NUL: what WriteSnapshot would refuse is refused here, before
// any work is done.
func ParseSignature(s string) (Signature, error) {
	open, closing := strings.LastIndexByte(s, '<'), strings.LastIndexByte(s, '>')
	if open <= 0 || closing != len(s)-1 || closing < open+2 || strings.TrimSpace(s[:open]) == "" {
		return Signature{}, errors.New(`want "Name <email>"`)
	}
	sig := Signature{Name: strings.TrimSpace(s[:open]), Email: s[open+1 : closing]}
	if err := sig.validate("identity"); err != nil {
		return Signature{}, err
	}
	return sig, nil
}

// SignatureFromEnv is git's GIT_<role>_NAME and _EMAIL (role AUTHOR or
// COMMITTER): unset is empty (WriteSnapshot's default); what a commit
// could not hold is refused, naming the variables.
func SignatureFromEnv(role string) (Signature, error) {
	nameVar, emailVar := "GIT_"+role+"_NAME", "GIT_"+role+"_EMAIL"
	sig := Signature{Name: os.Getenv(nameVar), Email: os.Getenv(emailVar)}
	if err := sig.validate(nameVar + "/" + emailVar); err != nil {
		return Signature{}, fmt.Errorf("%w: set %s and %s to printable text, or unset them", err, nameVar, emailVar)
	}
	return sig, nil
}

func (s Signature) validate(role string) error {
	if !printableIdent(s.Name) || !printableIdent(s.Email) {
		return fmt.Errorf("%s %q <%q>: name and email must be printable text without <, >, control characters (newline, CR, escape), bidi controls or invalid UTF-8", role, s.Name, s.Email)
	}
	return nil
}

// printableIdent: git refuses <, > and newline in an identity; the rest
// (CR, escape sequences, bidi overrides, invalid UTF-8) git would store,
// and every `git log` would print it to a terminal as it is.
func printableIdent(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '<' || r == '>':
			return false
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return false
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return false
		}
	}
	return true
}

// encode formats a signature as git does: "Name <email> 1700000000 +0100".
func (s Signature) encode() string {
	_, off := s.When.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s <%s> %d %c%02d%02d", strings.TrimSpace(s.Name), strings.TrimSpace(s.Email), s.When.Unix(), sign, off/3600, (off%3600)/60)
}

func withNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

func encodeCommit(tree plumbing.Hash, parents []plumbing.Hash, author, committer Signature, msg string) []byte {
	var b bytes.Buffer
	b.WriteString("tree " + tree.String() + "\n")
	for _, p := range parents {
		b.WriteString("parent " + p.String() + "\n")
	}
	b.WriteString("author " + author.encode() + "\n")
	b.WriteString("committer " + committer.encode() + "\n")
	b.WriteString("\n")
	b.WriteString(withNewline(msg))
	return b.Bytes()
}

func encodeTag(target plumbing.Hash, name string, tagger Signature, msg string) []byte {
	var b bytes.Buffer
	b.WriteString("object " + target.String() + "\n")
	b.WriteString("type commit\n")
	b.WriteString("tag " + name + "\n")
	b.WriteString("tagger " + tagger.encode() + "\n")
	b.WriteString("\n")
	b.WriteString(withNewline(msg))
	return b.Bytes()
}

// WriteSnapshot commits in.Files (plus the carried paths) as one commit on
// the branch, then tags it. See the package documentation for the steps and
// guarantees. When the resulting tree equals the parent's, no commit is made
// (Result.Changed is false) and, with TagWhenUnchanged, the tag goes on the
// existing head. If the branch moved meanwhile, it returns an error wrapping
// ErrBranchMoved and publishes nothing. If the commit was published but a
// later step failed (tag ref, working tree), it returns both the Result and
// the error.
func (r *Repo) WriteSnapshot(ctx context.Context, in Snapshot) (*Result, error) {
	if in.Stage != nil {
		if in.Stage.r != r {
			return nil, errors.New("snapshot: Snapshot.Stage belongs to another repository")
		}
	}
	r.mu.Lock()
	defer r.unlock()
	r.refresh()

	now := time.Now()
	in.Author = in.Author.withDefaults(now)
	if in.Committer == (Signature{}) {
		in.Committer = in.Author
	}
	in.Committer = in.Committer.withDefaults(now)
	if err := in.Author.validate("author"); err != nil {
		return nil, err
	}
	if err := in.Committer.validate("committer"); err != nil {
		return nil, err
	}
	if in.Message == "" {
		in.Message = "entrasnap snapshot"
	}
	if in.TagMessage == "" {
		in.TagMessage = in.Message
	}

	bref, err := r.snapshotBranch(in.Branch)
	if err != nil {
		return nil, err
	}
	var tref string
	if in.Tag != "" {
		if tref, err = r.newTagRef(in.Tag); err != nil {
			return nil, err
		}
	}

	res := &Result{Branch: bref}
	parent, hasParent, err := r.readRef(bref)
	if err != nil {
		return nil, err
	}
	var parentTree plumbing.Hash
	if hasParent {
		pc, err := r.commitObject(parent)
		if err != nil {
			return nil, fmt.Errorf("read head %s of %s: %w", parent, bref, err)
		}
		parentTree = pc.TreeHash
		res.Parent = parent
	}
	tr := treeReader{r: r}

	// Build the desired tree in memory.
	paths := make([]string, 0, len(in.Files)+len(in.Blobs))
	for p := range in.Files {
		if err := validPath(p); err != nil {
			return nil, fmt.Errorf("snapshot file: %w", err)
		}
		paths = append(paths, p)
	}
	for p := range in.Blobs {
		if err := validPath(p); err != nil {
			return nil, fmt.Errorf("snapshot file: %w", err)
		}
		if _, both := in.Files[p]; both {
			return nil, fmt.Errorf("snapshot: %q is in Files and in Blobs; leave it out of one of them", p)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	carry := make([]string, 0, len(in.Carry))
	for _, c := range in.Carry {
		c = cleanPrefix(c)
		if c == "" {
			return nil, fmt.Errorf("snapshot carry: an empty prefix would carry the whole tree; list folders instead")
		}
		if err := validPath(c); err != nil {
			return nil, fmt.Errorf("snapshot carry: %w", err)
		}
		// ("c-x" sorts between "c" and "c/...": look for both separately)
		if i := sort.SearchStrings(paths, c); i < len(paths) && paths[i] == c {
			return nil, fmt.Errorf("snapshot: %q is in Files and in Carry; leave it out of one of them", c)
		}
		if i := sort.SearchStrings(paths, c+"/"); i < len(paths) && strings.HasPrefix(paths[i], c+"/") {
			return nil, fmt.Errorf("snapshot: %q is in Files but under Carry prefix %q; leave it out of one of them", paths[i], c)
		}
		carry = append(carry, c)
	}
	contents := make([][]byte, 0, len(in.Files))
	for _, p := range paths {
		if c, ok := in.Files[p]; ok {
			contents = append(contents, c)
		}
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	hashes := hashBlobs(contents)
	blobs := make(map[plumbing.Hash][]byte, len(contents))
	root := newDir()
	for i, j := 0, 0; i < len(paths); i++ {
		p := paths[i]
		h, byBlob := in.Blobs[p]
		if !byBlob {
			h = hashes[j]
			blobs[h] = contents[j]
			j++
		}
		if err := insertFile(root, p, tEntry{mode: filemode.Regular, hash: h}); err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
	}
	sort.Strings(carry)
	for _, c := range carry {
		if !hasParent {
			break
		}
		e, ok, err := tr.lookup(parentTree, c)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if err := insertCarried(root, c, e); err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
	}
	trees := map[plumbing.Hash]*dirNode{}
	rootHash := hashTree(root, trees)
	tr.overlay = trees

	if hasParent && rootHash == parentTree {
		if in.Stage != nil {
			in.Stage.Discard() // every blob is in the parent already
		}
		res.Commit = parent
		if tref != "" && in.TagWhenUnchanged {
			if err := r.tag(res, tref, in); err != nil {
				return res, err
			}
		}
		// No commit, but an earlier run may have been interrupted before
		// its working tree update: bring index and working tree to the head.
		if r.workTree != "" {
			plan := r.planWorktree(bref, parentTree, tr, r.recentTrees(parent, recentDepth), knownChanges{})
			if plan.skip != "" {
				if !strings.HasPrefix(plan.skip, "HEAD is on") {
					res.WorktreeSkipped = plan.skip
				}
			} else if len(plan.changes) > 0 {
				if err := plan.apply(in.Files); err != nil {
					plan.release()
					res.WorktreeSkipped = "updating the working tree failed: " + err.Error()
					return res, fmt.Errorf("bringing the working tree %s to %s failed (run `entrasnap check --repair` once the cause is fixed): %w", r.workTree, parent, err)
				}
				res.WorktreeUpdated = true
				res.WorktreeKept = plan.kept
			}
			plan.release()
		}
		return res, nil
	}

	// Compare with the parent by subtree ids; collect what is new.
	var candidates []newObject
	d := &differ{ctx: ctx, tr: tr, newTree: func(h plumbing.Hash) {
		if n, ok := trees[h]; ok {
			candidates = append(candidates, newObject{typ: plumbing.TreeObject, hash: h, data: n.data})
		}
	}, intern: func(p string) string {
		// the path as given, not the copy the diff joined: one string a
		// file for the rest of the write (the working tree, its index)
		if j, ok := slices.BinarySearch(paths, p); ok {
			return paths[j]
		}
		return p
	}}
	if !hasParent {
		d.changes = make([]Change, 0, len(paths)) // every file is added
	}
	if err := d.diffTrees("", parentTree, rootHash); err != nil {
		return nil, fmt.Errorf("snapshot: compare with %s: %w", parent, err)
	}
	sortChanges(d.changes)
	res.Changes = d.changes
	res.Counts = CountChanges(d.changes)
	// New or changed files given by id, with a path each for errors (no
	// map of every blob id to a path: 1.4M files at 1.2M users; issue 12).
	var byBlob []Change
	for _, c := range d.changes {
		if c.Action != Deleted {
			if data, ok := blobs[c.To]; ok {
				candidates = append(candidates, newObject{typ: plumbing.BlobObject, hash: c.To, data: data})
			} else if h, ok := in.Blobs[c.Path]; ok && h == c.To {
				byBlob = append(byBlob, c)
			}
		}
	}
	var objs []newObject
	seen := make(map[plumbing.Hash]bool, len(candidates))
	exists := r.hasObject
	if len(candidates) >= bulkExistenceMin {
		ex, err := r.newExistence()
		if err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		exists = ex.has
	}
	staged := func(h plumbing.Hash) bool {
		if in.Stage == nil {
			return false
		}
		in.Stage.mu.Lock()
		defer in.Stage.mu.Unlock()
		return in.Stage.seen[h]
	}
	for _, o := range candidates {
		if seen[o.hash] || staged(o.hash) {
			continue
		}
		seen[o.hash] = true
		has, err := exists(o.hash)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		if !has {
			objs = append(objs, o)
		}
	}
	for _, c := range byBlob {
		h := c.To
		if seen[h] || staged(h) {
			continue
		}
		seen[h] = true
		has, err := exists(h)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		if !has {
			return nil, fmt.Errorf("snapshot: %s: blob %s is neither in the repository nor in Snapshot.Stage", c.Path, h)
		}
	}
	var parents []plumbing.Hash
	if hasParent {
		parents = []plumbing.Hash{parent}
	}
	commitData := encodeCommit(rootHash, parents, in.Author, in.Committer, in.Message)
	if in.Signer != nil {
		if commitData, err = signCommit(commitData, in.Signer); err != nil {
			return nil, fmt.Errorf("snapshot: signing the commit: %w", err)
		}
	}
	commitHash := objectHash(plumbing.CommitObject, commitData)
	objs = append(objs, newObject{typ: plumbing.CommitObject, hash: commitHash, data: commitData})
	var tagObj *newObject
	if tref != "" {
		data := encodeTag(commitHash, strings.TrimPrefix(tref, "refs/tags/"), in.Committer, in.TagMessage)
		if in.Signer != nil {
			if data, err = signTag(data, in.Signer); err != nil {
				return nil, fmt.Errorf("snapshot: signing the tag: %w", err)
			}
		}
		tagObj = &newObject{typ: plumbing.TagObject, hash: objectHash(plumbing.TagObject, data), data: data}
		objs = append(objs, *tagObj)
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}

	// 1. objects, durably.
	if in.Stage != nil {
		n, packed, err := in.Stage.commit(ctx, objs)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		res.ObjectsWritten, res.Packed = n, packed
	} else {
		if err := r.writeObjects(ctx, objs); err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		res.ObjectsWritten = len(objs)
		res.Packed = len(objs) > looseLimit
	}
	r.step("objects")

	// 2. check the working tree against the old head (and lock its index).
	var plan *worktreePlan
	if r.workTree != "" {
		var recent []plumbing.Hash
		if hasParent {
			recent = r.recentTrees(parent, recentDepth)
		}
		known := knownChanges{from: parentTree, changes: d.changes}
		if !hasParent {
			known.from = emptyTreeHash
		}
		plan = r.planWorktree(bref, rootHash, tr, recent, known)
		if in.Stage != nil {
			plan.readBlob = in.Stage.reader(r.readBlob)
			defer in.Stage.closeReader()
		}
		if plan.skip != "" {
			res.WorktreeSkipped = plan.skip
		}
	}
	releasePlan := func() {
		if plan != nil {
			plan.release()
		}
	}
	if r.testBeforeRefUpdate != nil {
		r.testBeforeRefUpdate()
	}
	r.step("planned")

	// 3. publish: branch compare-and-swap, then the tag.
	if err := r.updateRef(bref, parent, commitHash); err != nil {
		releasePlan()
		return nil, err
	}
	res.Commit = commitHash
	res.Changed = true
	r.step("branch")
	var errs []error
	if tagObj != nil {
		if err := r.updateRef(tref, plumbing.ZeroHash, tagObj.hash); err != nil {
			errs = append(errs, fmt.Errorf("snapshot %s committed, but tagging it failed: %w", commitHash, err))
		} else {
			res.Tag = strings.TrimPrefix(tref, "refs/tags/")
			res.TagHash = tagObj.hash
		}
	}

	r.step("tag")
	// 4. the working tree.
	if plan != nil && plan.skip == "" {
		if err := plan.apply(in.Files); err != nil {
			res.WorktreeSkipped = "updating the working tree failed: " + err.Error()
			errs = append(errs, fmt.Errorf("snapshot %s committed, but updating the working tree %s failed: %w; once the cause is fixed, `entrasnap check --repair` (or the next export) brings the index and working tree to the commit, keeping local edits", commitHash, r.workTree, err))
		} else {
			res.WorktreeUpdated = true
			res.WorktreeKept = plan.kept
		}
	}
	releasePlan()
	return res, errors.Join(errs...)
}

// tag creates the annotated tag tref on res.Commit (the unchanged head).
func (r *Repo) tag(res *Result, tref string, in Snapshot) error {
	data := encodeTag(res.Commit, strings.TrimPrefix(tref, "refs/tags/"), in.Committer, in.TagMessage)
	if in.Signer != nil {
		var err error
		if data, err = signTag(data, in.Signer); err != nil {
			return fmt.Errorf("snapshot: signing the tag: %w", err)
		}
	}
	h := objectHash(plumbing.TagObject, data)
	if err := r.writeObjects(context.Background(), []newObject{{typ: plumbing.TagObject, hash: h, data: data}}); err != nil {
		return fmt.Errorf("snapshot tag: %w", err)
	}
	res.ObjectsWritten = 1
	if err := r.updateRef(tref, plumbing.ZeroHash, h); err != nil {
		return err
	}
	res.Tag = strings.TrimPrefix(tref, "refs/tags/")
	res.TagHash = h
	return nil
}

// snapshotBranch is the full ref of branch ("main" or "refs/heads/main"),
// by default the branch HEAD names (DefaultBranch when HEAD names none).
func (r *Repo) snapshotBranch(branch string) (string, error) {
	if branch == "" {
		hb, err := r.headBranch()
		if err != nil {
			return "", err
		}
		branch = hb
		if !strings.HasPrefix(branch, "refs/heads/") {
			branch = DefaultBranch
		}
	}
	bref := branchRef(branch)
	if err := validRefName(bref); err != nil || !strings.HasPrefix(bref, "refs/heads/") {
		return "", fmt.Errorf("snapshot branch %q: not a valid branch name", branch)
	}
	return bref, nil
}

// newTagRef is the ref of the new tag named tag ("refs/tags/" optional):
// an error for a name git refuses, or ErrTagExists for a tag already there.
func (r *Repo) newTagRef(tag string) (string, error) {
	tref := "refs/tags/" + strings.TrimPrefix(tag, "refs/tags/")
	if err := validRefName(tref); err != nil {
		return "", fmt.Errorf("snapshot tag: %w", err)
	}
	if h, ok, err := r.readRef(tref); err != nil {
		return "", err
	} else if ok {
		return "", fmt.Errorf("%w: %s already points at %s; choose another tag name", ErrTagExists, tref, h)
	}
	return tref, nil
}

// TagHead creates the annotated tag in.Tag, with in.TagMessage, tagged by
// in.Committer and signed by in.Signer as WriteSnapshot tags, on the head
// of in.Branch (default: the branch HEAD names) without committing: a
// record of something that changed no file (an apply whose every write
// failed). Files, Blobs, Carry and Message are not used. It is an error if
// the tag exists or the branch has no commit.
func (r *Repo) TagHead(ctx context.Context, in Snapshot) (*Result, error) {
	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	in.Committer = in.Committer.withDefaults(time.Now())
	if err := in.Committer.validate("tagger"); err != nil {
		return nil, err
	}
	bref, err := r.snapshotBranch(in.Branch)
	if err != nil {
		return nil, err
	}
	if in.Tag == "" {
		return nil, fmt.Errorf("tag %q: not a valid tag name", in.Tag)
	}
	tref, err := r.newTagRef(in.Tag)
	if err != nil {
		return nil, err
	}
	head, ok, err := r.readRef(bref)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s has no commit to tag", ErrUnknownRevision, bref)
	}
	res := &Result{Branch: bref, Parent: head, Commit: head}
	return res, r.tag(res, tref, in)
}
