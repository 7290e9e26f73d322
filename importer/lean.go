package importer

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// A plan of a few objects reads the files at REV that matter to it, not
// the whole snapshot (issue 12 row f: a restore of 1,000 users in a tenant
// of 100,000 decoded all 125,000 files, 256 MB of YAML, about 2 GB of
// objects, in each of its plan, apply and verify).
//
// The planner reads objects it did not select (Input.Others) of a few
// kinds: service principals (apps.go indexHeld), directory roles and PIM
// schedules (roles.go atREV), attribute definitions (csavalues.go), API
// connectors (userflowconnections.go), the names of what a selected object
// names (classify.go nameOf), and, when the plan creates an object, every
// object that names its old id (refs.go). The objects of leanKinds make
// up nearly all of a large snapshot and are needed only for the last two:
// a lean Load leaves out the unselected ones, except those a selected
// object names at REV or in the tenant (so the plan names them as
// before), and reads the whole snapshot when the plan may create an
// object (needFull).

// leanKinds are the kinds whose unselected objects a lean Load leaves out.
var leanKinds = map[string]bool{"users": true, "groups": true}

// noLean turns lean reads off (tests compare the plans with and without).
var noLean bool

// leanSnap is what a lean Load read of a commit.
type leanSnap struct {
	commit string
	snap   diff.Snapshot
	// skipped: the files read that could not be decoded (the files left
	// out are not read, so not checked: `entrasnap check` checks them).
	skipped []diff.Skipped
	keys    map[string]bool   // lower-case key of every object file at the commit
	left    map[string]string // lower-case key → path of the files left out
}

// leanLoad is whether a Load with these options may read lean: a
// selection of objects (not --all), not from files, whose break-glass
// entries are ids (a userPrincipalName is looked up among the snapshot's
// users: resolveBreakGlass).
func leanLoad(o LoadOptions) bool {
	if o.All || o.Files != nil || noLean {
		return false
	}
	for _, e := range o.Options.BreakGlass {
		if e = strings.TrimSpace(e); e != "" && !guidRe.MatchString(e) {
			return false
		}
	}
	return true
}

// readLean resolves the selectors at commit (unless sel is given) from the
// commit's file list, decoding only the objects a selector names by name,
// and reads the files of the commit but those of leanKinds not selected,
// adding those the selected objects reference at REV.
func readLean(ctx context.Context, r *snapshot.Repo, commit string, given *Selection, selectors []string) (*leanSnap, Selection, error, error) {
	var sel Selection
	var resolveErr error
	if given != nil {
		sel = *given
	} else {
		s, err := history.Resolve(history.Open(ctx, r, commit), selectors, false)
		sel, resolveErr = Selection{Kinds: s.Kinds, Paths: s.Paths}, err
	}
	whole := map[string]bool{}
	for _, k := range sel.Kinds {
		whole[k] = true
	}
	picked := map[string]bool{}
	for _, p := range sel.Paths {
		picked[p] = true
	}
	ls := &leanSnap{commit: commit, keys: map[string]bool{}, left: map[string]string{}}
	var paths []string
	var hashes []plumbing.Hash
	leftHash := map[string]plumbing.Hash{}
	err := r.Walk(ctx, commit, "", func(p string, h plumbing.Hash) error {
		k, key, err := layout.Locate(p)
		if err != nil {
			return nil // not an object file (the manifest, the id map): diff.LoadFiles leaves them out too
		}
		l := strings.ToLower(key)
		ls.keys[l] = true
		if leanKinds[k.Name] && !whole[k.Name] && !picked[p] {
			ls.left[l] = p
			leftHash[p] = h
			return nil
		}
		paths, hashes = append(paths, p), append(hashes, h)
		return nil
	})
	if err != nil {
		return nil, sel, nil, err
	}
	files, err := readPaths(ctx, r, paths, hashes)
	if err != nil {
		return nil, sel, nil, err
	}
	ls.snap, ls.skipped = diff.LoadFiles(files)
	// What the selected objects name at REV, to name it in the plan.
	var more []string
	for _, p := range sel.Paths {
		if o := ls.snap[p]; o != nil {
			more = append(more, ls.referenced(o.Kind, o.Data)...)
		}
	}
	if err := ls.add(ctx, r, more, leftHash); err != nil {
		return nil, sel, nil, err
	}
	return ls, sel, resolveErr, nil
}

// referenced is the paths of the files left out that data (an object of
// kind k) references.
func (ls *leanSnap) referenced(k *layout.Kind, data map[string]any) []string {
	var out []string
	for _, ref := range k.Refs {
		if !slices.ContainsFunc(ref.Kinds, func(rk string) bool { return leanKinds[rk] }) {
			continue
		}
		ref.Walk(data, func(id string) string {
			if p, ok := ls.left[strings.ToLower(id)]; ok {
				out = append(out, p)
			}
			return id
		})
	}
	return out
}

// add reads and decodes the left-out files at paths into ls.snap.
func (ls *leanSnap) add(ctx context.Context, r *snapshot.Repo, paths []string, hashes map[string]plumbing.Hash) error {
	slices.Sort(paths)
	paths = slices.Compact(paths)
	var hs []plumbing.Hash
	var ps []string
	for _, p := range paths {
		if _, done := ls.snap[p]; done {
			continue
		}
		h, ok := hashes[p]
		if !ok {
			var err error
			if h, err = blobOf(ctx, r, ls.commit, p); err != nil {
				return err
			}
		}
		ps, hs = append(ps, p), append(hs, h)
	}
	if len(ps) == 0 {
		return nil
	}
	files, err := readPaths(ctx, r, ps, hs)
	if err != nil {
		return err
	}
	snap, skipped := diff.LoadFiles(files)
	for p, o := range snap {
		ls.snap[p] = o
	}
	ls.skipped = append(ls.skipped, skipped...)
	for _, p := range ps {
		if _, key, err := layout.Locate(p); err == nil {
			delete(ls.left, strings.ToLower(key))
		}
	}
	return nil
}

// blobOf is the blob id of the file p at commit.
func blobOf(ctx context.Context, r *snapshot.Repo, commit, p string) (plumbing.Hash, error) {
	var h plumbing.Hash
	err := r.Walk(ctx, commit, p, func(_ string, b plumbing.Hash) error {
		h = b
		return snapshot.ErrStop
	})
	return h, err
}

// readPaths reads the blobs hs of the files paths (on every CPU), keyed by
// path; an unreadable one fails the read, naming the file, as ReadAll does.
func readPaths(ctx context.Context, r *snapshot.Repo, paths []string, hs []plumbing.Hash) (map[string][]byte, error) {
	out := make(map[string][]byte, len(paths))
	var mu sync.Mutex
	var first error
	firstAt := len(paths)
	err := r.ReadBlobs(ctx, hs, runtime.GOMAXPROCS(0), func(i int, data []byte, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if i < firstAt { // the first in path order: the same error every run
				first, firstAt = fmt.Errorf("read %s: %w", paths[i], err), i
			}
			return
		}
		out[paths[i]] = data
	})
	if err != nil {
		return nil, err
	}
	if first != nil {
		return nil, first
	}
	return out, nil
}

// liveNames adds to ls the left-out objects that the live versions of the
// selected objects name (a member added since REV, say), so that the plan
// names them as a Load of the whole snapshot does, and gives the objects
// not selected again.
func (ls *leanSnap) liveNames(ctx context.Context, r *snapshot.Repo, in *Input, sel Selection) ([]*Object, error) {
	var more []string
	for _, d := range in.Desired {
		key := d.Key
		if n, ok := in.IDMap.Resolve(key); ok && n != "" {
			key = n
		}
		if o := in.Live[d.Kind.Name][strings.ToLower(key)]; o != nil {
			more = append(more, ls.referenced(o.Kind, o.Data)...)
		}
	}
	if len(more) == 0 {
		return in.Others, nil
	}
	if err := ls.add(ctx, r, more, nil); err != nil {
		return nil, err
	}
	_, others := split(ls.snap, sel)
	return others, nil
}

// needFull: the plan may create one of its selected objects (neither live
// nor in a recycle bin), and a create gives it a new id that the objects
// not selected may name (refs.go lists them): those are read whole.
func needFull(in *Input) bool {
	for _, d := range in.Desired {
		key := d.Key
		if n, ok := in.IDMap.Resolve(key); ok && n != "" {
			key = n
		}
		l := strings.ToLower(key)
		if in.Live[d.Kind.Name][l] == nil && in.Deleted[l] == nil {
			return true
		}
	}
	return false
}
