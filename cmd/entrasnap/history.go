package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// repoFlagUsage is shared by the commands that read a snapshot repository.
const repoFlagUsage = "the snapshot repository (the folder entrasnap export writes)"

// openRepo opens an existing snapshot repository with errors that say what to do.
func openRepo(path string) (*snapshot.Repo, error) {
	if path == "" {
		return nil, usageErrorf("--repo is required: the folder `entrasnap export --repo` wrote")
	}
	r, err := snapshot.Open(path)
	if err != nil {
		if errors.Is(err, snapshot.ErrNotRepository) {
			return nil, fmt.Errorf("%v; run `entrasnap export --repo %s` first", err, path)
		}
		return nil, err
	}
	// One file read from the repository is bounded (a file too large is
	// an error naming it, never a read of unbounded size).
	if v := os.Getenv(maxFileSizeEnv); v != "" {
		n, err := parseSize(v)
		if err != nil {
			r.Close()
			return nil, usageErrorf("%s: %v", maxFileSizeEnv, err)
		}
		r.SetMaxFileSize(n)
	}
	return r, nil
}

// isTerminal reports whether w is a terminal (colour and prompts only then).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// repoIndex knows every object file of one revision by id, from the tree's
// paths alone, and reads a file only when a name is asked for.
type repoIndex struct {
	ctx   context.Context
	repo  *snapshot.Repo
	rev   string
	byID  map[string]string // lower-case id → path
	paths []string
	names map[string]string
	// skipped are the files Name could not read.
	skipped []skippedFile
}

func newRepoIndex(ctx context.Context, r *snapshot.Repo, rev string) (*repoIndex, error) {
	ix := &repoIndex{ctx: ctx, repo: r, rev: rev, names: map[string]string{}}
	return ix, nil
}

// load walks the tree's paths once, on first use: a diff whose changes name
// no other object never walks the older tree at all.
func (ix *repoIndex) load() error {
	if ix.byID != nil {
		return nil
	}
	ix.byID = map[string]string{}
	return ix.repo.Walk(ix.ctx, ix.rev, "", func(p string, _ plumbing.Hash) error {
		k, key, err := layout.Locate(p)
		if err != nil {
			return nil
		}
		ix.paths = append(ix.paths, p)
		if k.Singleton {
			key = k.Name
		}
		ix.byID[strings.ToLower(key)] = p
		return nil
	})
}

// Name implements diff.Resolver, reading the object's file once.
func (ix *repoIndex) Name(id string) (string, bool) {
	id = strings.ToLower(id)
	if n, ok := ix.names[id]; ok {
		return n, n != ""
	}
	if err := ix.load(); err != nil {
		return "", false
	}
	p, ok := ix.byID[id]
	if !ok {
		ix.names[id] = ""
		return "", false
	}
	data, err := ix.repo.ReadFile(ix.ctx, ix.rev, p)
	if err != nil {
		ix.names[id] = ""
		return "", false
	}
	obj, err := layout.Decode(data)
	if err != nil {
		ix.names[id] = ""
		ix.skipped = append(ix.skipped, skippedFile{Rev: shortRev(ix.rev), Skipped: diff.Skipped{Path: p, Reason: err.Error()}})
		return "", false
	}
	n, ok := diff.DisplayName(obj)
	ix.names[id] = n
	return n, ok
}

// chainResolver asks each resolver in turn (newer snapshot first).
type chainResolver []diff.Resolver

func (c chainResolver) Name(id string) (string, bool) {
	for _, r := range c {
		if n, ok := r.Name(id); ok {
			return n, true
		}
	}
	return "", false
}

// skippedFile is a file that could not be read at a revision.
type skippedFile struct {
	Rev string
	diff.Skipped
}

// warnSkipped says on w (stderr) which files were left out and what to do.
func warnSkipped(w io.Writer, skipped []skippedFile) {
	for _, s := range skipped {
		fmt.Fprintf(w, "warning: %s at %s could not be read and was left out: %s\n", layout.Safe(s.Path), layout.Safe(s.Rev), layout.Safe(s.Reason))
	}
	if len(skipped) > 0 {
		fmt.Fprintln(w, "warning: run `entrasnap check` for every unreadable file; fix or remove it with a commit")
	}
}

// loadChanged reads only the files that differ between two revisions. A
// file that cannot be read at either revision is left out of both sides
// (so it is neither an addition nor a removal) and returned with its
// revision.
func loadChanged(ctx context.Context, r *snapshot.Repo, from, to string) (diff.Snapshot, diff.Snapshot, []skippedFile, error) {
	changes, err := r.Diff(ctx, from, to)
	if err != nil {
		return nil, nil, nil, err
	}
	before, after := map[string][]byte{}, map[string][]byte{}
	for _, c := range changes {
		if _, _, err := layout.Locate(c.Path); err != nil {
			continue
		}
		if c.Action != snapshot.Added {
			data, err := r.ReadFile(ctx, from, c.Path)
			if err != nil {
				return nil, nil, nil, err
			}
			before[c.Path] = data
		}
		if c.Action != snapshot.Deleted {
			data, err := r.ReadFile(ctx, to, c.Path)
			if err != nil {
				return nil, nil, nil, err
			}
			after[c.Path] = data
		}
	}
	a, skipA := diff.LoadFiles(before)
	b, skipB := diff.LoadFiles(after)
	a.Drop(skipB)
	b.Drop(skipA)
	var skipped []skippedFile
	for _, s := range skipA {
		skipped = append(skipped, skippedFile{Rev: shortRev(from), Skipped: s})
	}
	for _, s := range skipB {
		skipped = append(skipped, skippedFile{Rev: shortRev(to), Skipped: s})
	}
	return a, b, skipped, nil
}

func shortRev(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// locateObject opens the repository, resolves the revision and finds OBJECT
// (an id, a file path, or kind/displayName) in it.
func locateObject(ctx context.Context, repoPath, at, object string) (*snapshot.Repo, plumbing.Hash, *repoIndex, string, error) {
	r, err := openRepo(repoPath)
	if err != nil {
		return nil, plumbing.ZeroHash, nil, "", err
	}
	h, err := r.Resolve(ctx, at)
	if err != nil {
		return nil, plumbing.ZeroHash, nil, "", err
	}
	ix, err := newRepoIndex(ctx, r, h.String())
	if err != nil {
		return nil, plumbing.ZeroHash, nil, "", err
	}
	p, err := findObject(ix, object)
	if err != nil {
		return nil, plumbing.ZeroHash, nil, "", err
	}
	return r, h, ix, p, nil
}

// findObject resolves OBJECT (an id, a file path, or kind/displayName) to its
// path at rev.
func findObject(ix *repoIndex, object string) (string, error) {
	if err := ix.load(); err != nil {
		return "", err
	}
	if p, ok := ix.byID[strings.ToLower(object)]; ok {
		return p, nil
	}
	for _, p := range ix.paths {
		if p == object {
			return p, nil
		}
	}
	if i := strings.IndexByte(object, '/'); i > 0 {
		kindName, name := object[:i], object[i+1:]
		kinds, err := layout.Select([]string{kindName})
		if err == nil {
			// Files are named by the slug of their display name: read only
			// those, unless none match (names the slug cannot carry).
			var matches []string
			match := func(bySlug bool) {
				for _, k := range kinds {
					for _, p := range ix.paths {
						kk, key, err := layout.Locate(p)
						if err != nil || kk != k || (bySlug && !strings.HasPrefix(pathBase(p), layout.Slug(name)+".")) {
							continue
						}
						if n, ok := ix.Name(key); ok && strings.EqualFold(n, name) {
							matches = append(matches, p)
						}
					}
				}
			}
			if match(true); len(matches) == 0 {
				match(false)
			}
			matches = uniqueSorted(matches)
			switch len(matches) {
			case 1:
				return matches[0], nil
			case 0:
			default:
				return "", fmt.Errorf("%q names %d objects: %s; use an id or a path", object, len(matches), strings.Join(matches, ", "))
			}
		}
	}
	return "", fmt.Errorf("no object %q at %s; give an id, a file path, or kind/displayName (e.g. conditional-access-policies/Require MFA)", object, ix.rev)
}

func pathBase(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func uniqueSorted(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
