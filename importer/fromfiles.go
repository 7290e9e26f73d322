package importer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/schemas"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Files makes a plan whose desired state is object files rather than a
// recorded snapshot: the files at a revision To (a pull request's head) or
// in the repository's working tree, limited to the object files that differ
// from a base revision From (the pull request's base, or HEAD). Configuration
// as code: a pull request that edits three files plans three objects.
//
// Every changed file is validated first (check.File: strict YAML, the
// kind's schema, the file name) and an edit of a read-only property is
// refused with its line (FilesError): a file that fails is never planned.
//
// A new object is a file named new-NAME.yaml directly in its kind's folder
// with no id (Graph assigns it): it is created, and the snapshot recorded
// after apply holds it at its canonical path, the hand-written file gone.
// A deleted file plans a delete only with Options.AllowDeletes; otherwise
// the plan lists it in Ignored.
type Files struct {
	// From is the base revision as given, FromCommit its commit.
	From       string `json:"from"`
	FromCommit string `json:"fromCommit"`
	// To is the head revision as given; the plan's Commit is its commit.
	// Worktree: the desired files are those of the working tree (To is
	// empty, Commit is FromCommit).
	To       string `json:"to,omitempty"`
	Worktree bool   `json:"worktree,omitempty"`
	// Digest is the sha256 of the changed paths and their content: apply
	// refuses the plan when the files are no longer those (FilesChangedError).
	Digest string `json:"digest"`
	// Changed are the edited (or added, with an id) object files, New the
	// hand-written new objects, Deleted the deleted files planned as
	// deletes, Ignored the deleted files left alone (no AllowDeletes).
	Changed []string `json:"changed,omitempty"`
	New     []string `json:"new,omitempty"`
	Deleted []string `json:"deleted,omitempty"`
	Ignored []string `json:"ignoredDeletes,omitempty"`
	// live holds the tenant's files at the planned paths as Load read them
	// (checkHeadFiles), not saved with the plan.
	live map[string][]byte
}

// keepLive keeps the tenant's files (live.Read) at the paths f plans.
func (f *Files) keepLive(files map[string][]byte) {
	f.live = map[string][]byte{}
	for _, list := range [][]string{f.Changed, f.New, f.Deleted} {
		for _, p := range list {
			if data, ok := files[p]; ok {
				f.live[p] = data
			}
		}
	}
}

// MassDeleteLimit is the most objects a plan from files deletes without
// the tenant's name typed (or --confirm-tenant) when it is applied.
const MassDeleteLimit = 10

// Range is how a files plan names its source: "FROM..TO", or "the working
// tree (against FROM)".
func (f *Files) Range() string {
	if f.Worktree {
		return "the working tree (against " + f.From + ")"
	}
	return f.From + ".." + f.To
}

// ParseRange splits "FROM..TO" (TO defaults to HEAD; "FROM...TO" is refused:
// the plan compares two trees, not a merge base).
func ParseRange(s string) (from, to string, err error) {
	if strings.Contains(s, "...") {
		return "", "", fmt.Errorf("%q: give two revisions as FROM..TO (two dots), e.g. origin/main..HEAD", s)
	}
	from, to, ok := strings.Cut(s, "..")
	if !ok || strings.TrimSpace(from) == "" {
		return "", "", fmt.Errorf("%q: want FROM..TO, e.g. origin/main..HEAD (a pull request's base and head)", s)
	}
	if strings.TrimSpace(to) == "" {
		to = "HEAD"
	}
	return strings.TrimSpace(from), strings.TrimSpace(to), nil
}

// FilesError: changed files failed validation; nothing was planned.
type FilesError struct {
	Problems []check.Problem
}

func (e *FilesError) Error() string {
	files := map[string]bool{}
	var b strings.Builder
	for _, p := range e.Problems {
		files[p.File] = true
		b.WriteString("\n  " + layout.Safe(p.String()))
	}
	return fmt.Sprintf("%d %s in %d changed %s, so nothing was planned:%s\nfix %s (entrasnap validate FILE checks a file) and plan again",
		len(e.Problems), layout.Plural(len(e.Problems), "problem", "problems"), len(files), layout.Plural(len(files), "file", "files"),
		b.String(), layout.Plural(len(files), "it", "them"))
}

// FilesChangedError: the files a plan was made from are not those any more.
type FilesChangedError struct {
	Source string
	Paths  []string // the files that differ, when known
}

func (e *FilesChangedError) Error() string {
	what := "the files changed"
	if len(e.Paths) > 0 {
		ps := make([]string, len(e.Paths))
		for i, p := range e.Paths {
			ps[i] = layout.Safe(p)
		}
		what = "these files differ: " + strings.Join(ps, ", ")
	}
	return fmt.Sprintf("the plan was made from %s, and %s since; nothing was written: make a new plan from the files as they are now", layout.Safe(e.Source), what)
}

// newObjectFile reports whether p is where a new object's file goes: a
// new-NAME.yaml directly in a kind's folder (check.NewObjectPath).
func newObjectFile(p string) (*layout.Kind, bool) { return check.NewObjectPath(p) }

// IsNewKey reports whether key is a hand-written new object's (the file
// name without .yaml, "new-NAME"), which Graph replaces with an id.
func IsNewKey(key string) bool { return strings.HasPrefix(key, "new-") && !guidRe.MatchString(key) }

// desiredFiles is what a files plan reads.
type desiredFiles struct {
	commit  string // the desired files' commit (FromCommit for the working tree)
	snap    diff.Snapshot
	skipped []diff.Skipped
	sel     Selection
	removed []*Object // objects of deleted files, to delete
	files   *Files
}

// loadFiles reads the base and the desired files, validates the changed
// ones and returns the desired snapshot with the selection of what changed.
// The files of a commit and its objects come from snapshots (the process's
// cache when nil: SnapshotCache.withFiles), and of the desired files only
// those that differ from the base are decoded (desiredObjects): the
// objects of the others are the base's, shared with the cache as
// Input.Others always are, while the selected ones are this Load's own.
func loadFiles(ctx context.Context, r *snapshot.Repo, snapshots *SnapshotCache, spec *Files, commit string, allowDeletes bool) (*desiredFiles, error) {
	f := &Files{From: spec.From, FromCommit: spec.FromCommit, To: spec.To, Worktree: spec.Worktree}
	if f.FromCommit == "" {
		h, err := r.Resolve(ctx, f.From)
		if err != nil {
			return nil, err
		}
		f.FromCommit = h.String()
	}
	base, baseSnap, baseSkipped, err := snapshots.withFiles(ctx, r, f.FromCommit)
	if err != nil {
		return nil, err
	}
	var head map[string][]byte
	switch {
	case f.Worktree:
		if r.Bare() {
			return nil, fmt.Errorf("%s is a bare repository: it has no working tree to plan from; use --changed FROM..TO", r.Path())
		}
		commit = f.FromCommit
		if head, err = readWorktree(r.WorkTree(), base, r.MaxFileSize()); err != nil {
			return nil, err
		}
	default:
		if commit == "" {
			h, err := r.Resolve(ctx, f.To)
			if err != nil {
				return nil, err
			}
			commit = h.String()
		}
		if head, err = snapshots.commitFiles(ctx, r, commit); err != nil {
			return nil, err
		}
	}
	// The object files that differ (other files, the manifest and the
	// repository's own state are not the tenant's).
	var changed, deleted []string
	for p, data := range head {
		if !objectArea(p) {
			continue
		}
		if old, ok := base[p]; !ok || !bytes.Equal(old, data) {
			changed = append(changed, p)
		}
	}
	for p := range base {
		if _, ok := head[p]; !ok && objectArea(p) {
			deleted = append(deleted, p)
		}
	}
	sort.Strings(changed)
	sort.Strings(deleted)
	h := sha256.New()
	for _, p := range changed {
		sum := sha256.Sum256(head[p])
		fmt.Fprintf(h, "M %q %x\n", p, sum)
	}
	for _, p := range deleted {
		fmt.Fprintf(h, "D %q\n", p)
	}
	f.Digest = "sha256:" + hex.EncodeToString(h.Sum(nil))

	// Validate every changed file; collect the new objects.
	var problems []check.Problem
	bad := func(file string, ps ...check.Problem) {
		for _, p := range ps {
			p.File = file
			problems = append(problems, p)
		}
	}
	snap, skipped := desiredObjects(head, base, baseSnap, baseSkipped)
	newKeys := map[string]string{} // lower key → path
	newObjs := map[string]*Object{}
	for _, p := range changed {
		if k, ok := newObjectFile(p); ok {
			obj, ps := validateNew(k, p, head[p])
			bad(p, ps...)
			key := strings.TrimSuffix(path.Base(p), ".yaml")
			if other, dup := newKeys[strings.ToLower(key)]; dup {
				bad(p, check.Problem{Message: "another new object's file has the same name (" + other + "): rename one of them"})
			}
			newKeys[strings.ToLower(key)] = p
			if obj != nil && len(ps) == 0 {
				obj[k.KeyProp()] = key
				newObjs[p] = &Object{Path: p, Kind: k, Key: key, Data: obj}
			}
			delete(snap, p) // a kind keyed by the file name reads it as an object
			continue
		}
		k, object, ok := layout.KindOf(p)
		if !ok || !strings.HasSuffix(p, ".yaml") {
			continue // not below a kind's folder as a YAML file
		}
		if msg, misnamed := badNewName(k, p); misnamed {
			bad(p, check.Problem{Message: msg})
			continue
		}
		if !object {
			bad(p, check.Problem{Message: "not an object file: an existing object's file is named as entrasnap writes it (see the other files of " + k.Folder + "), a new object's file is " + k.Folder + "/new-NAME.yaml, without an id"})
			continue
		}
		obj, ps := check.File(k, p, head[p])
		bad(p, ps...)
		if obj == nil || len(ps) > 0 {
			continue
		}
		if old, ok := base[p]; ok {
			bad(p, readOnlyEdits(k, old, obj, head[p])...)
		}
	}
	// One object, one file: a copied file keeps its id.
	holders := map[string][]string{}
	for p, o := range snap {
		holders[o.Kind.Name+"/"+o.Key] = append(holders[o.Kind.Name+"/"+o.Key], p)
	}
	for _, p := range changed {
		if o := snap[p]; o != nil {
			for _, other := range holders[o.Kind.Name+"/"+o.Key] {
				if other != p {
					bad(p, check.Problem{Property: o.Kind.KeyProp(), Message: "the object " + o.Key + " is in " + other + " too: one object, one file; for a new object write new-NAME.yaml without an id"})
				}
			}
		}
	}
	if len(problems) > 0 {
		return nil, &FilesError{Problems: problems}
	}
	for p, o := range newObjs {
		snap[p] = o
	}

	// Deleted files: a rename (the object is still there under another
	// path) is no delete; the others are deletes with allowDeletes.
	keys := map[string]bool{}
	for _, o := range snap {
		keys[o.Kind.Name+"/"+strings.ToLower(o.Key)] = true
	}
	var removed []*Object
	for _, p := range deleted {
		o := baseSnap[p]
		if o != nil {
			o = copyObject(o) // the cache's: apply deletes through its own
		}
		switch {
		case o == nil || IsNewKey(o.Key): // not an object file at the base (or unreadable there, or a new object's)
			continue
		case keys[o.Kind.Name+"/"+strings.ToLower(o.Key)]:
			continue // renamed: planned through its new path
		case allowDeletes:
			f.Deleted = append(f.Deleted, p)
			removed = append(removed, o)
		default:
			f.Ignored = append(f.Ignored, p)
		}
	}
	var sel Selection
	for _, p := range changed {
		if newObjs[p] != nil {
			f.New = append(f.New, p)
			sel.Paths = append(sel.Paths, p)
		} else if snap[p] != nil {
			f.Changed = append(f.Changed, p)
			sel.Paths = append(sel.Paths, p)
		}
	}
	return &desiredFiles{commit: commit, snap: snap, skipped: skipped, sel: sel, removed: removed, files: f}, nil
}

// desiredObjects is diff.LoadFiles(head) where base (files at a commit,
// decoded as baseSnap with baseSkipped) holds most of head's files as
// they are: a file's object depends on its path and bytes only, so a file
// of head with the same bytes at base has base's object (shared: nothing
// changes a snapshot's objects but the selected ones, which differ from
// base and are decoded here) or was skipped there for the same reason.
func desiredObjects(head, base map[string][]byte, baseSnap diff.Snapshot, baseSkipped []diff.Skipped) (diff.Snapshot, []diff.Skipped) {
	differ := map[string][]byte{}
	for p, data := range head {
		if old, ok := base[p]; !ok || !bytes.Equal(old, data) {
			differ[p] = data
		}
	}
	snap, skipped := diff.LoadFiles(differ)
	for p := range head {
		if _, d := differ[p]; !d && baseSnap[p] != nil {
			snap[p] = baseSnap[p]
		}
	}
	for _, s := range baseSkipped {
		if _, d := differ[s.Path]; !d && head[s.Path] != nil {
			skipped = append(skipped, s)
		}
	}
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].Path < skipped[j].Path })
	return snap, skipped
}

// objectArea reports whether p is below a kind's folder (or a singleton's
// file): the files a plan from files looks at.
func objectArea(p string) bool {
	if _, ok := layout.ForPath(p); ok {
		return true
	}
	k, object, _ := layout.KindOf(p)
	return object && k != nil
}

func onlyPaths(files map[string][]byte, paths []string) map[string][]byte {
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		out[p] = files[p]
	}
	return out
}

// validateNew checks a new object's file: as check.File does without the
// file name (the object has no id yet), with no id, and with no read-only
// property (Graph sets those; a create never sends them).
func validateNew(k *layout.Kind, p string, data []byte) (map[string]any, []check.Problem) {
	obj, out := check.File(k, p, data) // no id required, and none allowed
	if obj == nil {
		return nil, out
	}
	lines := layout.NewLines(data)
	if !remapped(k) {
		out = append(out, check.Problem{Message: k.Title + " are not created from a new-NAME.yaml file: their key is not assigned by Graph; write the file as entrasnap names it"})
	}
	sch, _ := schemas.For(k.Name)
	for _, p := range sortedKeys(obj) {
		if p == k.KeyProp() || p == "@odata.type" || isCreateOnly(k, p) || isChild(k, p) {
			continue
		}
		if readOnly(k, sch, p) {
			out = append(out, check.Problem{Line: lines.Of(p), Property: p,
				Message: "read-only: Graph sets it and a create never sends it; remove it from the new object's file"})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line != 0 && (out[j].Line == 0 || out[i].Line < out[j].Line) })
	return obj, out
}

// readOnlyEdits are the read-only properties an edit changed: a plan never
// sends them, so the edit would silently not happen.
func readOnlyEdits(k *layout.Kind, oldData []byte, obj map[string]any, data []byte) []check.Problem {
	old, err := layout.Decode(oldData)
	if err != nil {
		return nil // the base file was unreadable: nothing to compare
	}
	sch, _ := schemas.For(k.Name)
	var lines *layout.Lines
	var out []check.Problem
	seen := map[string]bool{}
	for _, m := range []map[string]any{obj, old} {
		for _, p := range sortedKeys(m) {
			if seen[p] || p == "@odata.type" || isChild(k, p) {
				continue
			}
			seen[p] = true
			if reflect.DeepEqual(normal(obj[p]), normal(old[p])) || !readOnly(k, sch, p) {
				continue
			}
			if lines == nil {
				lines = layout.NewLines(data)
			}
			out = append(out, check.Problem{Line: lines.Of(p), Property: p,
				Message: "read-only: Graph does not let it be written, so this edit cannot be applied; undo it (the recorded value is kept)"})
		}
	}
	return out
}

// normal makes decoded values comparable (numbers as their text).
func normal(v any) any { return string(layout.Encode(map[string]any{"v": v})) }

// readWorktree reads the object files of a working tree: every YAML file
// below a kind's folder, as a regular file (no symbolic link followed) no
// larger than limit, the repository's limit on one file (a commit's files
// are read within it too). Files of base that are not object files are
// carried as they are.
func readWorktree(root string, base map[string][]byte, limit int64) (map[string][]byte, error) {
	out := map[string][]byte{}
	for p, data := range base {
		if !objectArea(p) {
			out[p] = data
		}
	}
	var problems []check.Problem
	err := filepath.WalkDir(root, func(fp string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, rerr := filepath.Rel(root, fp)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (d.Name() == ".git" || d.Name() == ".entrasnap") {
				return filepath.SkipDir
			}
			return nil
		}
		if !objectArea(rel) {
			return nil
		}
		if !d.Type().IsRegular() {
			problems = append(problems, check.Problem{File: rel, Message: "not a regular file (a symbolic link or device): object files are plain files; replace it"})
			return nil
		}
		fh, err := os.Open(fp)
		if err != nil {
			problems = append(problems, check.Problem{File: rel, Message: "cannot read: " + check.PathErrorText(err)})
			return nil
		}
		defer fh.Close()
		data, err := io.ReadAll(io.LimitReader(fh, limit+1))
		switch {
		case err != nil:
			problems = append(problems, check.Problem{File: rel, Message: "cannot read: " + check.PathErrorText(err)})
		case int64(len(data)) > limit:
			problems = append(problems, check.Problem{File: rel, Message: check.TooLargeMessage(limit)})
		default:
			out[rel] = data
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the working tree %s: %w", root, err)
	}
	if len(problems) > 0 {
		return nil, &FilesError{Problems: problems}
	}
	return out, nil
}

// created reports whether fp is a new object's file whose object an apply
// of the same files created (its key in ids, scopeNewKeys).
func created(ids *IDMap, fp string) bool {
	if _, ok := newObjectFile(fp); !ok || ids == nil {
		return false
	}
	_, ok := ids.IDs[strings.ToLower(strings.TrimSuffix(path.Base(fp), ".yaml"))]
	return ok
}

// checkHeadFiles refuses a plan from FROM..TO whose files differ at the
// repository's HEAD (the branch the plan is applied from, after the pull
// request was merged) from those reviewed at TO: another change was merged
// over them. A file HEAD holds exactly as the tenant has it now (live, the
// files Load read) is no such change: a snapshot recorded the tenant over
// it - the one recorded after an apply of this range that failed part-way
// - so a new plan of the same range finishes what is left.
func checkHeadFiles(ctx context.Context, r *snapshot.Repo, p *Plan, live *Files, ids *IDMap) error {
	f := p.Files
	if f == nil || f.Worktree {
		return nil
	}
	var differ []string
	for _, list := range [][]string{f.Changed, f.New, f.Deleted} {
		for _, fp := range list {
			at, aerr := r.ReadFile(ctx, p.Commit, fp)
			now, nerr := r.ReadFile(ctx, "HEAD", fp)
			switch {
			case errors.Is(aerr, snapshot.ErrNotFound) && errors.Is(nerr, snapshot.ErrNotFound):
			case aerr == nil && nerr == nil && bytes.Equal(at, now):
			case nerr == nil && live != nil && live.live[fp] != nil && bytes.Equal(live.live[fp], now):
				// HEAD records the tenant as it is: no edit merged over it.
			case errors.Is(nerr, snapshot.ErrNotFound) && created(ids, fp):
				// A new object's file the post-apply snapshot of these
				// files replaced with the object's own.
			default:
				differ = append(differ, fp)
			}
		}
	}
	if len(differ) > 0 {
		return &FilesChangedError{Source: f.Range() + " (" + shortHash(p.Commit) + ") and the repository's HEAD", Paths: differ}
	}
	return nil
}

// fileDeletes plans the deletes of the objects whose files were deleted
// (Input.Removed, with Options.AllowDeletes), and returns them as deletes
// does: the lower key of each deleted object and its action's id.
func (pl *planner) fileDeletes() [][2]string {
	var dels [][2]string
	for _, o := range pl.in.Removed {
		k := o.Kind
		key := o.Key
		if n, ok := pl.in.IDMap.Resolve(key); ok {
			key = n
		}
		live := pl.in.Live[k.Name][strings.ToLower(key)]
		if live == nil {
			pl.p.Live[k.Name+"/"+key] = fpAbsent
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: its file %s was deleted, and it is not in the tenant: nothing to delete", k.Title, label(o), o.Path))
			continue
		}
		pl.p.Live[k.Name+"/"+live.Key] = fingerprint(live.Data)
		pl.nameOf(live)
		switch by, why := managedBy(k, live.Data); {
		case noDelete[k.Name] || k.Singleton:
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: its file %s was deleted, but entrasnap never deletes %s; restore the file", k.Title, label(live), o.Path, k.Title))
		case k.BuiltIn != nil && k.BuiltIn(live.Data):
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: its file %s was deleted, but it is built in (Microsoft's) and never deleted; restore the file", k.Title, label(live), o.Path))
		case by != "":
			pl.managed(live, by, why+"; its file was deleted, but it is never deleted")
		case k.Name == "groups" && exchangeManaged(live.Data):
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("group %s: its file %s was deleted, but a mail-enabled security group or distribution list is managed by Exchange; delete it there", label(live), o.Path))
		default:
			dels = append(dels, [2]string{strings.ToLower(live.Key), pl.deleteLive(k, live, "its file "+o.Path+" was deleted (--allow-deletes)")})
		}
	}
	return dels
}

// newFilesRecorded are the extra files of the snapshot recorded after a
// plan from files: each hand-written new object that was created leaves
// the repository (nil: the recorder drops the file; the export writes the
// object at its canonical path). Its "new-NAME" key stays in the id map,
// naming the plan's commit (IDEntry.Restore): a plan of the same files
// again (after an apply that failed part-way) finds the object instead of
// creating it twice; any other plan ignores the key (scopeNewKeys), so a
// later new-NAME.yaml of the same name is a new object.
func newFilesRecorded(p *Plan, res *Result, ids *IDMap) map[string][]byte {
	files := map[string][]byte{}
	for _, fp := range createdNewFiles(p, res) {
		if _, _, err := layout.Locate(fp); err != nil && !p.Files.Worktree {
			files[fp] = nil // a kind keyed by the file name drops it with its export
		}
	}
	return files
}

// scopeNewKeys drops the id map's "new-NAME" keys noted by a plan of
// files other than those at commit: a new-NAME.yaml is the object created
// from it only when planned from the same files again.
func scopeNewKeys(ids *IDMap, commit string) {
	for key, en := range ids.IDs {
		if IsNewKey(key) && (commit == "" || !strings.HasSuffix(en.Restore, "("+shortHash(commit)+")")) {
			delete(ids.IDs, key)
		}
	}
}

// createdNewFiles are the hand-written new objects' files whose create
// was done.
func createdNewFiles(p *Plan, res *Result) []string {
	if p.Files == nil {
		return nil
	}
	created := map[string]bool{}
	for _, ar := range res.Actions {
		if ar.Op == OpCreate && ar.Status == StatusDone && IsNewKey(ar.Key) {
			created[ar.Kind+"/"+strings.ToLower(ar.Key)] = true
		}
	}
	var out []string
	for _, fp := range p.Files.New {
		if k, ok := newObjectFile(fp); ok && created[k.Name+"/"+strings.ToLower(strings.TrimSuffix(path.Base(fp), ".yaml"))] {
			out = append(out, fp)
		}
	}
	return out
}

// removeCreatedWorktreeFiles removes, after a plan from the working tree
// was applied and recorded, the new-NAME.yaml files whose objects were
// created: the recorded snapshot holds them at their canonical paths, and a
// file left behind would plan the same object again.
func removeCreatedWorktreeFiles(r *snapshot.Repo, p *Plan, res *Result) error {
	if p.Files == nil || !p.Files.Worktree || r.Bare() {
		return nil
	}
	var failed []string
	for _, fp := range createdNewFiles(p, res) {
		if err := os.Remove(filepath.Join(r.WorkTree(), filepath.FromSlash(fp))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			failed = append(failed, layout.Safe(fp)+": "+check.PathErrorText(err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("the objects are created and recorded, but these hand-written files could not be removed; remove them, or the next plan creates them again: %s", strings.Join(failed, "; "))
	}
	return nil
}

// Summary is one line: "2 edited, 1 new, 1 deleted (deletes), 1 deleted file ignored".
func (f *Files) Summary() string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(len(f.Changed), "edited")
	add(len(f.New), "new")
	add(len(f.Deleted), "deleted (to delete)")
	add(len(f.Ignored), layout.Plural(len(f.Ignored), "deleted file ignored", "deleted files ignored"))
	if len(parts) == 0 {
		return "no object file changed"
	}
	return strings.Join(parts, ", ")
}

// removalsTitle heads the removals of a plan.
func removalsTitle(p *Plan) string {
	if p.Files != nil {
		return "REMOVALS: objects whose files were deleted, and what the files no longer hold"
	}
	return "REMOVALS: what was not there at " + safe(p.Rev) + " (--no-remove leaves it)"
}

// filesLine names the files of a plan in a commit message: escaped, at
// most 20 of them.
func filesLine(paths []string) string {
	var out []string
	for i, p := range paths {
		if i == 20 {
			out = append(out, fmt.Sprintf("and %d more", len(paths)-20))
			break
		}
		out = append(out, layout.Safe(p))
	}
	return strings.Join(out, ", ")
}

// settledLine says why a plan from files has nothing to do.
func (f *Files) settledLine() string {
	if len(f.Changed)+len(f.New)+len(f.Deleted)+len(f.Ignored) == 0 {
		return "No object file differs in " + layout.Safe(f.Range()) + ": nothing to plan."
	}
	return "The tenant already matches the files for what changed."
}

// badNewName: p looks meant as a new object's file (its name has "new"
// before a dash, or it is new-NAME.yaml in a subfolder) but is not one
// NewObjectPath accepts; the message says what the name must be.
func badNewName(k *layout.Kind, p string) (string, bool) {
	base := strings.TrimSuffix(path.Base(p), ".yaml")
	if !strings.HasPrefix(strings.ToLower(strings.TrimLeft(base, "-_ ")), "new-") || k.Singleton {
		return "", false
	}
	if _, ok := newObjectFile(p); ok {
		return "", false
	}
	if _, key, err := layout.Locate(p); err == nil && !IsNewKey(key) {
		return "", false // an existing object's file, its name starting "new-" ("New hires")
	}
	name := strings.TrimPrefix(strings.ToLower(strings.TrimLeft(base, "-_ ")), "new-")
	return fmt.Sprintf("a new object's file is %s/new-NAME.yaml, directly in that folder, NAME of at most 101 ASCII letters, digits, '-' and '_', starting with a letter or digit: rename it, e.g. to %s/new-%s.yaml",
		k.Folder, k.Folder, layout.Slug(name)), true
}
