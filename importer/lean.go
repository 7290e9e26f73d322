package importer

import (
	"context"
	"fmt"
	"maps"
	"path"
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
	keys    map[string]bool // lower-case key of every object file read of the commit's tree
	// r and skipped are the repository and the leanKinds whose folders
	// the walk left unread (not selected whole); folders the shard
	// folders of those kinds listed so far (folder → lower-case key →
	// file), by leftFile.
	r       *snapshot.Repo
	left    map[string]*layout.Kind
	folders map[string]*leftFolder
}

// leftFolder is a folder's files: in path order, and by lower-case key
// (the last in path order of those whose keys fold the same).
type leftFolder struct {
	files []leftFile
	byKey map[string]leftFile
}

// leftFile is a file of a folder left out of the walk.
type leftFile struct {
	path string
	hash plumbing.Hash
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
	ls := &leanSnap{commit: commit, keys: map[string]bool{}, r: r, left: map[string]*layout.Kind{}, folders: map[string]*leftFolder{}}
	for name := range leanKinds {
		if k, ok := layout.Lookup(name); ok && !whole[name] {
			ls.left[k.Folder] = k
		}
	}
	var paths []string
	var hashes []plumbing.Hash
	// The folders of leanKinds not selected whole are not read: of a
	// large snapshot, nearly every tree (issue 12 row f: each of plan,
	// apply's check and verify walked 125,000 files). The selected files
	// and those the selection names are found in their shard folders.
	skip := func(dir string) bool { return ls.left[dir] != nil }
	err := r.WalkExcept(ctx, commit, "", skip, func(p string, h plumbing.Hash) error {
		_, key, err := layout.Locate(p)
		if err != nil {
			return nil // not an object file (the manifest, the id map): diff.LoadFiles leaves them out too
		}
		ls.keys[strings.ToLower(key)] = true
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
	// The selected files of the folders not read.
	var picks []string
	for _, p := range sel.Paths {
		if k, _, err := layout.Locate(p); err == nil && ls.left[k.Folder] != nil {
			picks = append(picks, p)
		}
	}
	if err := ls.add(ctx, picks); err != nil {
		return nil, sel, nil, err
	}
	// What the selected objects name at REV, to name it in the plan.
	var more []string
	for _, p := range sel.Paths {
		if o := ls.snap[p]; o != nil {
			refs, err := ls.referenced(ctx, o.Kind, o.Data)
			if err != nil {
				return nil, sel, nil, err
			}
			more = append(more, refs...)
		}
	}
	if err := ls.add(ctx, more); err != nil {
		return nil, sel, nil, err
	}
	return ls, sel, resolveErr, nil
}

// folder lists the files of dir, a shard folder of a kind whose folder the
// walk left out, once.
func (ls *leanSnap) folder(ctx context.Context, dir string) (*leftFolder, error) {
	if f, ok := ls.folders[dir]; ok {
		return f, nil
	}
	f := &leftFolder{byKey: map[string]leftFile{}}
	err := ls.r.Walk(ctx, ls.commit, dir, func(p string, h plumbing.Hash) error {
		if _, key, err := layout.Locate(p); err == nil {
			f.files = append(f.files, leftFile{p, h})
			f.byKey[strings.ToLower(key)] = leftFile{p, h}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ls.folders[dir] = f
	return f, nil
}

// leftOut finds the file of key among those of the folders left out (the
// folder a file keyed key is in: layout.Path's shard).
func (ls *leanSnap) leftOut(ctx context.Context, key string) (leftFile, bool, error) {
	for _, folder := range slices.Sorted(maps.Keys(ls.left)) {
		k := ls.left[folder]
		probe := map[string]any{k.KeyProp(): key}
		if k.NameProp != "" {
			probe[k.NameProp] = "x"
		}
		p, err := layout.Path(k, probe)
		if err != nil {
			continue
		}
		fs, err := ls.folder(ctx, path.Dir(p))
		if err != nil {
			return leftFile{}, false, err
		}
		if f, ok := fs.byKey[strings.ToLower(key)]; ok {
			return f, true, nil
		}
	}
	return leftFile{}, false, nil
}

// has reports whether the commit holds an object file keyed key (lower
// case), read or left out.
func (ls *leanSnap) has(ctx context.Context, key string) bool {
	if ls.keys[key] {
		return true
	}
	_, ok, err := ls.leftOut(ctx, key)
	return ok || err != nil // unreadable: taken as known (recoverInDoubt then maps nothing to it)
}

// referenced is the paths of the files left out that data (an object of
// kind k) references.
func (ls *leanSnap) referenced(ctx context.Context, k *layout.Kind, data map[string]any) ([]string, error) {
	var out []string
	var first error
	for _, ref := range k.Refs {
		if !slices.ContainsFunc(ref.Kinds, func(rk string) bool { return leanKinds[rk] }) {
			continue
		}
		ref.Walk(data, func(id string) string {
			f, ok, err := ls.leftOut(ctx, id)
			if err != nil && first == nil {
				first = err
			}
			if ok {
				if _, read := ls.snap[f.path]; !read {
					out = append(out, f.path)
				}
			}
			return id
		})
	}
	return out, first
}

// add reads and decodes the left-out files at paths into ls.snap.
func (ls *leanSnap) add(ctx context.Context, paths []string) error {
	slices.Sort(paths)
	paths = slices.Compact(paths)
	var hs []plumbing.Hash
	var ps []string
	for _, p := range paths {
		if _, done := ls.snap[p]; done {
			continue
		}
		fs, err := ls.folder(ctx, path.Dir(p))
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(fs.files, func(f leftFile) bool { return f.path == p }); i >= 0 {
			ps, hs = append(ps, p), append(hs, fs.files[i].hash) // (a path not at the commit selects nothing, as when walked)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	files, err := readPaths(ctx, ls.r, ps, hs)
	if err != nil {
		return err
	}
	snap, skipped := diff.LoadFiles(files)
	for p, o := range snap {
		ls.snap[p] = o
	}
	ls.skipped = append(ls.skipped, skipped...)
	return nil
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
func (ls *leanSnap) liveNames(ctx context.Context, in *Input, sel Selection) ([]*Object, error) {
	var more []string
	for _, d := range in.Desired {
		key := d.Key
		if n, ok := in.IDMap.Resolve(key); ok && n != "" {
			key = n
		}
		if o := in.Live[d.Kind.Name][strings.ToLower(key)]; o != nil {
			refs, err := ls.referenced(ctx, o.Kind, o.Data)
			if err != nil {
				return nil, err
			}
			more = append(more, refs...)
		}
	}
	if len(more) == 0 {
		return in.Others, nil
	}
	if err := ls.add(ctx, more); err != nil {
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
