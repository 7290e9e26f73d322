package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/entrasnap/entrasnap/diff"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

// LoadOptions say what to read for a plan.
type LoadOptions struct {
	Client *graph.Client
	Repo   *snapshot.Repo
	// Rev is the revision to restore from (any revision, tag or date);
	// Commit, when set, is used instead of resolving Rev.
	Rev    string
	Commit string
	// Selectors are resolved against REV (ResolveSelectors) unless
	// Selection is set (apply reads again with the plan's selection).
	Selectors []string
	All       bool
	Selection *Selection
	// IDs are id map entries not yet committed (apply's new objects),
	// merged into the repository's id map. Nil for a rehearsal: the ids
	// earlier rehearsals against its tenant kept (ReadRehearsalIDs).
	IDs     *IDMap
	Options Options
	Tool    string
	Now     time.Time
	// Rehearsal: the tenant is a rehearsal's (internal/drill: the snapshot
	// at Commit loaded into graphsim), not the one the repository backs up.
	// The repository's id map and the journal of an interrupted restore
	// name that real tenant's objects, so neither is read: IDs alone map
	// ids (the rehearsal's own creates).
	Rehearsal bool
	// Files, when set, plans from object files (fromfiles.go): the files
	// at Files.To (Commit, when set) or in the working tree that differ
	// from Files.From; Rev, Selectors and Selection are then not used.
	// With Files.Digest set (apply), files that differ are refused.
	Files *Files
	// Snapshots keeps the objects of the commits read last, so that
	// loading the same commit again (apply's reads, verify, a rehearsal's
	// scenarios) does not decode every file again; nil is the process's
	// shared cache (sharedSnapshots).
	Snapshots *SnapshotCache
	// ConsistencyTimeout bounds how long Load waits and reads the tenant
	// again when its read failed only with "not found" for a kind read by
	// id whose ids include objects a restore created within
	// ConsistencyTimeout of now (the id map or the journal names them,
	// with the time: freshIDs): replication lag right after that restore
	// (freshLag). 0 is DefaultConsistencyTimeout; negative: no wait (the
	// error says to run again in a minute). Sleep waits (default: a timer
	// that ends with ctx). Clock is the wall clock the id map's creation
	// times are compared with (default time.Now; Now is the plan's own
	// time, which tests fix).
	ConsistencyTimeout time.Duration
	Sleep              func(ctx context.Context, d time.Duration) error
	Clock              func() time.Time
	// Unread are the kinds, read only to plan another kind right
	// (layout.Kind.AdvisoryReads), that the plan being applied could not
	// read (Plan.Unread), with why: apply does not read them either, so
	// that it plans again from what the plan saw (unread.go). A kind
	// named here that the selection does not read that way is refused.
	Unread map[string]string
}

// DefaultConsistencyTimeout is the default of LoadOptions and
// ApplyOptions.ConsistencyTimeout.
const DefaultConsistencyTimeout = 2 * time.Minute

// SnapshotCache keeps the decoded objects of the commits loaded last (up
// to snapshotCacheSize) for a caller that loads them several times. A
// restore reads the whole snapshot at its commit once per Load: its plan,
// apply's plan again, verify and the plan after (a rehearsal once per
// scenario), each decoding every file of the revision, which was most of
// the CPU time of a restore of a few objects (importer's tests: 94% of
// the files decoded were the snapshot's, 6% the live objects'). A commit
// never changes, so its files are decoded once per repository (another
// repository's copy of the commit is read from that repository: one whose
// object store is damaged says so). Each Load gets copies of the objects
// it selected (Input.Desired: Compute and apply may change them) and the
// cache's own others (Input.Others, which nothing changes: copying every
// object of the snapshot per Load was a third of a cached Load's
// allocations, BenchmarkLoad); a commit of more than
// snapshotCacheMaxFiles files is not kept. The zero value is
// ready to use; it is safe for concurrent use. Load uses sharedSnapshots
// when LoadOptions.Snapshots is nil.
type SnapshotCache struct {
	mu      sync.Mutex
	entries []*snapEntry // least recently used first
	decoded atomic.Int64 // commits decoded (tests)
	reads   atomic.Int64 // commits read (tests)
}

// snapshotCacheSize is how many commits a SnapshotCache keeps: the one a
// restore restores from, and a few more for a process that plans from
// several (tests, a rehearsal beside a restore). Each costs the memory of
// its decoded objects until it drops out.
const snapshotCacheSize = 4

// snapshotCacheMaxFiles is the most files a commit may have for a
// SnapshotCache to keep its objects: a larger snapshot (a tenant of
// several hundred thousand users) is decoded in each Load as before,
// rather than held twice (the cache's objects and the Load's copies).
var snapshotCacheMaxFiles = 200_000

// errNotKept tells a Load waiting on another's decoding that the commit
// was too large to keep: it decodes its own.
var errNotKept = errors.New("importer: snapshot too large to keep")

// sharedSnapshots is the cache Load uses when LoadOptions.Snapshots is
// nil: one process (a restore's plan, apply and verify) decodes a commit
// once.
var sharedSnapshots SnapshotCache

type snapEntry struct {
	key   string // the repository's path and the commit's full hash
	ready chan struct{}
	err   error // (set before ready is closed)

	mu      sync.Mutex // the rest
	files   map[string][]byte
	keep    bool // keep files: a plan from files asked for them (withFiles, commitFiles)
	decoded bool
	snap    diff.Snapshot
	skipped []diff.Skipped
}

// Objects is the objects of commit of r (copies of those c holds, c
// decoding them when it holds no copy of that commit; sharedSnapshots'
// with a nil c) and the files that could not be read, as diff.LoadFiles
// gives them.
func (c *SnapshotCache) Objects(ctx context.Context, r *snapshot.Repo, commit string) (diff.Snapshot, []diff.Skipped, error) {
	held, skipped, err := c.held(ctx, r, commit)
	if err != nil {
		return nil, nil, err
	}
	snap := make(diff.Snapshot, len(held))
	for p, o := range held {
		snap[p] = copyObject(o)
	}
	return snap, skipped, nil
}

// copyObject is a deep copy of o.
func copyObject(o *Object) *Object {
	cp := *o
	cp.Data = layout.Copy(o.Data).(map[string]any)
	return &cp
}

// held is Objects without the copies: the objects are c's, shared with
// every other caller; read them, copy what is to change (Load copies the
// selected ones).
func (c *SnapshotCache) held(ctx context.Context, r *snapshot.Repo, commit string) (diff.Snapshot, []diff.Skipped, error) {
	_, snap, skipped, err := c.read(ctx, r, commit, false, true)
	return snap, skipped, err
}

// withFiles is held with the commit's files as read (every file, keyed by
// path; shared: never changed), which c keeps beside the objects from
// then on: a plan from files (loadFiles) compares the files of its base
// and head, and its plan, apply's check and verify each read both
// (TestFilesPlanReadsEachCommitOnce).
func (c *SnapshotCache) withFiles(ctx context.Context, r *snapshot.Repo, commit string) (map[string][]byte, diff.Snapshot, []diff.Skipped, error) {
	return c.read(ctx, r, commit, true, true)
}

// commitFiles is the commit's files as withFiles gives them, not decoded
// (a plan from files decodes only the head's files that differ from its
// base: desiredObjects).
func (c *SnapshotCache) commitFiles(ctx context.Context, r *snapshot.Repo, commit string) (map[string][]byte, error) {
	files, _, _, err := c.read(ctx, r, commit, true, false)
	return files, err
}

// read gives what held (objects), commitFiles (files) or withFiles (both)
// give. A commit's files are read once and decoded once, when first asked
// for its objects; they are kept only once asked for (a restore's Loads
// need the objects only).
func (c *SnapshotCache) read(ctx context.Context, r *snapshot.Repo, commit string, files, objects bool) (map[string][]byte, diff.Snapshot, []diff.Skipped, error) {
	if c == nil {
		c = &sharedSnapshots
	}
	// The key holds the commit's hash: a revision such as HEAD or a
	// branch moves, a hash does not.
	h, err := r.Resolve(ctx, commit)
	if err != nil {
		return nil, nil, nil, err
	}
	key := r.Path() + "\x00" + h.String()
	for {
		c.mu.Lock()
		var e *snapEntry
		for i, x := range c.entries {
			if x.key == key {
				e = x
				c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
				break
			}
		}
		mine := e == nil
		if mine {
			e = &snapEntry{key: key, ready: make(chan struct{})}
			c.entries = append(c.entries, e)
			if len(c.entries) > snapshotCacheSize {
				c.entries = append([]*snapEntry(nil), c.entries[len(c.entries)-snapshotCacheSize:]...)
			}
		}
		c.mu.Unlock()
		if mine {
			var read map[string][]byte
			c.reads.Add(1)
			if read, e.err = r.ReadAll(ctx, h.String(), ""); e.err != nil {
				c.forget(e) // not kept: the next Load reads it again
				close(e.ready)
				return nil, nil, nil, e.err
			}
			if len(read) > snapshotCacheMaxFiles {
				e.err = errNotKept
				c.forget(e)
				close(e.ready)
				var snap diff.Snapshot
				var skipped []diff.Skipped
				if objects {
					snap, skipped = diff.LoadFiles(read)
					c.decoded.Add(1)
				}
				return read, snap, skipped, nil // not kept: this Load's own
			}
			e.files = read
			close(e.ready)
		} else {
			select {
			case <-e.ready:
			case <-ctx.Done():
				return nil, nil, nil, ctx.Err()
			}
			if e.err != nil {
				continue // another Load's read failed (its context, say): read it here
			}
		}
		return c.from(ctx, r, e, h.String(), files, objects)
	}
}

// from gives what read asks of an entry that was read.
func (c *SnapshotCache) from(ctx context.Context, r *snapshot.Repo, e *snapEntry, commit string, files, objects bool) (map[string][]byte, diff.Snapshot, []diff.Skipped, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.files == nil && (files || objects && !e.decoded) { // a restore's entry: its files were dropped
		c.reads.Add(1)
		read, err := r.ReadAll(ctx, commit, "")
		if err != nil {
			return nil, nil, nil, err
		}
		e.files = read
	}
	if objects && !e.decoded {
		e.snap, e.skipped = diff.LoadFiles(e.files)
		e.decoded = true
		c.decoded.Add(1)
	}
	e.keep = e.keep || files
	read := e.files
	if !e.keep {
		e.files = nil
	}
	if !files {
		read = nil
	}
	return read, e.snap, append([]diff.Skipped(nil), e.skipped...), nil
}

// forget drops e from c.
func (c *SnapshotCache) forget(e *snapEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.entries {
		if x == e {
			c.entries = append(c.entries[:i:i], c.entries[i+1:]...)
			return
		}
	}
}

// forgetRepo drops the commits of r that c keeps (sharedSnapshots' with a
// nil c): an apply about to record the snapshot after a restore is done
// with them, and a restore of 1,000 users at 20,000 held 200 MB of decoded
// objects through the export (a Load of r decodes them again).
func (c *SnapshotCache) forgetRepo(r *snapshot.Repo) {
	if c == nil {
		c = &sharedSnapshots
	}
	key := r.Path() + "\x00"
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = slices.DeleteFunc(c.entries, func(e *snapEntry) bool { return strings.HasPrefix(e.key, key) })
}

// Load reads the snapshot and the live tenant into an Input for Compute.
func Load(ctx context.Context, o LoadOptions) (*Input, error) {
	if o.Client == nil || o.Repo == nil {
		return nil, errors.New("importer: LoadOptions.Client and Repo are required")
	}
	// A rehearsal's tenant, or the real one, before anything is read
	// (rehearsal.go; asked once per client): the id map and journal are the
	// real tenant's.
	mark, err := clientMark(ctx, o.Client)
	if err != nil {
		return nil, err
	}
	if err := checkRehearsal(mark, o.Rehearsal); err != nil {
		return nil, err
	}
	if o.Rehearsal && o.IDs == nil {
		pruneRehearsals(o.Repo, mark, time.Now())
		if o.IDs, err = ReadRehearsalIDs(o.Repo, mark); err != nil {
			return nil, err
		}
	}
	var (
		commit  = o.Commit
		snap    diff.Snapshot
		skipped []diff.Skipped
		sel     Selection
		man     *layout.Manifest
		df      *desiredFiles
		lean    *leanSnap // a lean Load's (lean.go)
	)
	if o.Files != nil {
		if df, err = loadFiles(ctx, o.Repo, o.Snapshots, o.Files, o.Commit, o.Options.AllowDeletes); err != nil {
			return nil, err
		}
		if o.Files.Digest != "" && df.files.Digest != o.Files.Digest {
			return nil, &FilesChangedError{Source: o.Files.Range()}
		}
		commit, snap, skipped, sel = df.commit, df.snap, df.skipped, df.sel
		o.Rev = df.files.Range()
		o.Selectors = append(append(append([]string{}, df.files.Changed...), df.files.New...), df.files.Deleted...)
		// The manifest of the base: the recorded snapshot the files change.
		if man, err = readManifest(ctx, o.Repo, df.files.From, df.files.FromCommit); err != nil {
			return nil, err
		}
	} else {
		if commit == "" {
			h, err := o.Repo.Resolve(ctx, o.Rev)
			if err != nil {
				return nil, err
			}
			commit = h.String()
		}
		if leanLoad(o) { // lean.go
			var resolveErr error
			if lean, sel, resolveErr, err = readLean(ctx, o.Repo, commit, o.Selection, o.Selectors); err != nil {
				return nil, err
			}
			snap, skipped, err = lean.snap, lean.skipped, resolveErr
		} else {
			if snap, skipped, err = o.Snapshots.held(ctx, o.Repo, commit); err != nil {
				return nil, err
			}
			if o.Selection != nil {
				sel = *o.Selection
			} else {
				sel, err = ResolveSelectors(snap, o.Selectors, o.All)
			}
		}
		resolveErr := err
		if man, err = readManifest(ctx, o.Repo, o.Rev, commit); err != nil {
			return nil, err
		}
		if err = checkSkipped(skipped, o.Selectors, sel, o.Rev, resolveErr); err != nil {
			return nil, err
		}
	}
	in := &Input{Repo: o.Repo.Path(), Rev: o.Rev, Commit: commit, Selectors: o.Selectors, Selection: sel,
		Options: o.Options, Tool: o.Tool, Now: o.Now, Refs: map[string]RefState{}, Deleted: map[string]*Object{},
		SnapshotTenantID: snapshotTenant(man, snap), Rehearsal: mark, Incomplete: incompleteKinds(man), RoleEndsUnknown: roleEndsUnknown(man),
		Skipped: skippedWarnings(skipped, o.Rev)}
	if df != nil {
		in.Files, in.Removed = df.files, df.removed
	}
	if o.All && len(in.Selectors) == 0 {
		in.Selectors = []string{"--all"}
	}
	in.Desired, in.Others = split(snap, sel)
	if df == nil && lean == nil { // the cache's objects (SnapshotCache): the selected ones are this Load's own
		for i, d := range in.Desired {
			in.Desired[i] = copyObject(d)
		}
	}

	in.IDMap = NewIDMap()
	var journal []journalEntry
	if !o.Rehearsal {
		if in.IDMap, _, err = readIDMap(ctx, o.Repo); err != nil {
			return nil, err
		}
		// Ids a restore created but did not get to record (it was killed
		// before its snapshot commit): a re-run finds those objects under
		// them instead of creating them again.
		if journal, err = readJournal(o.Repo); err != nil {
			return nil, err
		}
		in.IDMap.Merge(journalIDs(journal))
	}
	in.IDMap.Merge(o.IDs)
	if df != nil {
		scopeNewKeys(in.IDMap, df.commit) // fromfiles.go
	}

	// The live objects of every kind involved.
	want := map[string]bool{}
	for _, n := range sel.Kinds {
		want[n] = true
	}
	for _, d := range in.Removed {
		want[d.Kind.Name] = true
	}
	if df != nil && len(df.removed) > MassDeleteLimit {
		// The tenant's name, which applying many deletes asks for
		// (TenantName); read only then: a pull request's plan reads only
		// the kinds it touches (the read-only identity may hold no more).
		want["organization"] = true
	}
	for _, d := range in.Desired {
		want[d.Kind.Name] = true
		for _, r := range d.Kind.Refs {
			for _, rk := range r.Kinds {
				if k, ok := layout.Lookup(rk); ok && k.ReadWhenReferenced {
					want[rk] = true
				}
			}
		}
	}
	// Kinds read only to plan another kind right (layout.Kind.AdvisoryReads):
	// a failure to read one does not stop the plan, which says what it
	// could not tell (Input.Unread).
	advisory := map[string]bool{}
	for _, k := range layout.Kinds() {
		if !want[k.Name] {
			continue
		}
		for _, a := range k.AdvisoryReads {
			if !want[a] {
				want[a], advisory[a] = true, true
			}
		}
	}
	if err := maskUnread(in, o.Unread, advisory); err != nil { // unread.go
		return nil, err
	}
	var kinds []*layout.Kind
	for _, k := range layout.Kinds() {
		if _, unread := in.Unread[k.Name]; want[k.Name] && !unread {
			kinds = append(kinds, k)
		}
	}
	in.readByID = byIDReads(in, sel, kinds, advisory, journal)
	only := map[string][]string{}
	for name, ids := range in.readByID {
		only[name] = slices.Sorted(maps.Keys(ids))
	}
	read := func() (*live.Live, error) {
		return live.Read(ctx, live.ReadOptions{Client: o.Client, Kinds: kinds, Only: only})
	}
	lv, err := read()
	if err != nil {
		return nil, err
	}
	lv, waited, notRestored, err := o.waitFresh(ctx, in, lv, advisory, read) // byid.go
	if err != nil {
		return nil, err
	}
	// The right tenant, before anything is planned: nothing of one tenant's
	// snapshot is written to another.
	if in.TenantID, err = liveTenant(ctx, o.Client, lv.TenantID); err != nil {
		return nil, err
	}
	if in.TenantID != "" && in.SnapshotTenantID != "" && !strings.EqualFold(in.TenantID, in.SnapshotTenantID) {
		return nil, &CrossTenantError{Rev: o.Rev, Snapshot: in.SnapshotTenantID, Tenant: in.TenantID}
	}
	if inc := lv.Incomplete(); len(inc) > 0 {
		var parts []string
		var failed []live.KindResult
		for _, k := range inc {
			part := k.Kind + ": " + k.Reason
			if len(k.Permissions) > 0 {
				part += " (grant " + strings.Join(k.Permissions, " and ") + ")"
			}
			if advisory[k.Kind] {
				if in.Unread == nil {
					in.Unread = map[string]string{}
				}
				in.Unread[k.Kind] = part
				continue
			}
			parts = append(parts, part)
			failed = append(failed, k)
		}
		if len(parts) > 0 {
			return nil, &IncompleteReadError{Parts: parts, Kinds: failed, Waited: waited,
				NotRestored: notRestored, Window: consistencyTimeout(o.ConsistencyTimeout)}
		}
	}
	delegatedSkipped(in, lv) // rollout.go
	for _, k := range lv.NotLicensed() {
		if advisory[k.Kind] {
			continue // not licensed: none of it exists to plan around
		}
		if in.NotLicensed == nil {
			in.NotLicensed = map[string]string{}
		}
		in.NotLicensed[k.Kind] = k.NotLicensed
	}
	if in.Files != nil {
		in.Files.keepLive(lv.Files) // fromfiles.go
	}
	liveSnap, err := diff.Load(lv.Files)
	if err != nil {
		return nil, err
	}
	in.Live = map[string]map[string]*Object{}
	for _, k := range kinds {
		if _, unread := in.Unread[k.Name]; unread {
			continue // not read: the plan says so, and knows of none
		}
		in.Live[k.Name] = map[string]*Object{}
	}
	for _, obj := range liveSnap {
		if m := in.Live[obj.Kind.Name]; m != nil {
			m[strings.ToLower(obj.Key)] = obj
		}
	}
	var known func(key string) bool
	if lean != nil {
		known = func(key string) bool { return lean.has(ctx, key) }
	} else {
		keys := map[string]bool{}
		for _, obj := range snap {
			keys[strings.ToLower(obj.Key)] = true
		}
		known = func(key string) bool { return keys[key] }
	}
	recoverInDoubt(in, journal, known)

	// Recycle bins of the kinds with a selected object missing.
	missing := map[string]bool{}
	for _, d := range in.Desired {
		key := d.Key
		if n, ok := in.IDMap.Resolve(key); ok {
			key = n
		}
		if in.Live[d.Kind.Name][strings.ToLower(key)] == nil && d.Kind.SoftDelete != "" {
			missing[d.Kind.Name] = true
		}
	}
	var bins []*layout.Kind
	for _, k := range kinds {
		// A kind read when referenced: its bin too (layout.Kind.ReadWhenReferenced).
		if missing[k.Name] || (k.ReadWhenReferenced && k.SoftDelete != "") {
			bins = append(bins, k)
		}
	}
	if err := loadBins(ctx, o.Client, bins, in); err != nil { // binbyid.go
		return nil, err
	}
	if lean != nil { // lean.go
		if needFull(in) {
			full, _, err := o.Snapshots.held(ctx, o.Repo, commit)
			if err != nil {
				return nil, err
			}
			_, in.Others = split(full, sel)
		} else if in.Others, err = lean.liveNames(ctx, in, sel); err != nil {
			return nil, err
		}
	}
	if err := namedBefore(ctx, o.Client, in); err != nil { // byid.go
		return nil, err
	}
	if err := checkRefs(ctx, o.Client, in); err != nil {
		return nil, err
	}
	in.BreakGlass, err = resolveBreakGlass(ctx, o.Client, o.Options.BreakGlass, snap, in.Live["users"])
	if err != nil {
		return nil, err
	}
	// Delegated sign-in: the user's roles and their scopes (scope.go).
	token := o.Client.BearerToken(ctx)
	if in.SignedIn, err = loadSignedInUser(ctx, o.Client, token); err != nil {
		return nil, err
	}
	if perms, ok := TokenPermissions(token); ok {
		in.ReadWith = perms
	}
	return in, nil
}

// matcher reports whether the selection covers a file of a kind: the whole
// kind, or the file itself.
func (sel Selection) matcher() func(kind, path string) bool {
	kinds := map[string]bool{}
	for _, k := range sel.Kinds {
		kinds[k] = true
	}
	paths := map[string]bool{}
	for _, p := range sel.Paths {
		paths[p] = true
	}
	return func(kind, path string) bool { return kinds[kind] || paths[path] }
}

// split separates the selected objects from the rest of a snapshot.
func split(snap diff.Snapshot, sel Selection) (desired, others []*Object) {
	selected := sel.matcher()
	for _, p := range sortedKeys(snap) {
		o := snap[p]
		if selected(o.Kind.Name, p) {
			desired = append(desired, o)
		} else {
			others = append(others, o)
		}
	}
	return desired, others
}

// readBin lists a kind's recycle bin into bin, in the canonical form.
func readBin(ctx context.Context, c *graph.Client, k *layout.Kind, bin map[string]*Object) error {
	return c.List(ctx, binListPath(k), func(items []json.RawMessage) error {
		for _, it := range items {
			obj, err := decode(it)
			if err != nil {
				return err
			}
			if err := addBinObject(k, obj, bin); err != nil {
				return err
			}
		}
		return nil
	})
}

// addBinObject adds obj, a kind k object Graph answered from a recycle
// bin, to bin in the canonical form.
func addBinObject(k *layout.Kind, obj map[string]any, bin map[string]*Object) error {
	data, err := layout.Decode(layout.Canonical(k, obj))
	if err != nil {
		return err
	}
	key := str(obj[k.KeyProp()])
	if key == "" {
		return nil
	}
	data["deletedDateTime"] = obj["deletedDateTime"]
	p, _ := layout.Path(k, obj)
	bin[strings.ToLower(key)] = &Object{Path: p, Kind: k, Key: key, Data: data}
	return nil
}

func decode(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// checkRefs finds out what became of directory objects referenced from
// the selection that are neither selected nor among the live objects read.
func checkRefs(ctx context.Context, c *graph.Client, in *Input) error {
	known := map[string]bool{}
	for _, d := range in.Desired {
		if isCSA(d.Kind) {
			continue // csavalues.go: keyed by the user's (service principal's) id, which may be gone
		}
		known[strings.ToLower(d.Key)] = true
	}
	for kind, objs := range in.Live {
		if k, _ := layout.Lookup(kind); isCSA(k) {
			continue
		}
		for key := range objs {
			known[key] = true
		}
	}
	var ids []string
	seen := map[string]bool{}
	for _, d := range in.Desired {
		// Devices and contacts among the members are not read as kinds:
		// whether they still exist is asked (guests.go).
		external := externalRefs(d)
		for _, r := range d.Kind.Refs {
			dir, apps := false, false
			for _, rk := range r.Kinds {
				dir = dir || layout.DirectoryKind(rk) // the kinds getByIds answers for
				apps = apps || rk == "applications"   // CA policies name applications by appId
			}
			if apps && !isAppliesToRef(d.Kind, r) { // assign.go: appliesTo names applications by object id
				continue
			}
			dir = dir || apps
			r.Walk(d.Data, func(id string) string {
				n, _ := in.IDMap.Resolve(id)
				if n == "" {
					n = id
				}
				l := strings.ToLower(n)
				// Every kind it may be of read completely, or read by id
				// with it among the ids (byid.go).
				readKinds := true
				for _, rk := range r.Kinds {
					_, read := in.Live[rk]
					if asked, byID := in.readByID[rk]; !read || byID && !asked[l] {
						readKinds = false
					}
				}
				switch {
				case known[l] || seen[l] || !guidRe.MatchString(n):
				case in.Deleted[l] != nil:
					in.Refs[l] = RefDeleted
				case readKinds && !external[l]:
					in.Refs[l] = RefGone // its kinds were read completely and it is not there
				case dir || external[l]:
					seen[l] = true
					ids = append(ids, n)
				}
				return id
			})
		}
	}
	sort.Strings(ids)
	const maxProbe = 500
	if len(ids) > maxProbe {
		ids = ids[:maxProbe]
	}
	found, err := live.FoundObjects(ctx, c, ids, nil)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if graph.IsForbidden(err) {
			// getByIds needs Directory.Read.All (permissions.json), which
			// the sets `entrasnap kinds` lists need not hold: ask the bin
			// by id instead, with the kinds' own read permissions.
			return refsInBin(ctx, c, ids, in, false)
		}
		return nil // cannot tell: references are taken to exist
	}
	var missing []string
	for _, id := range ids {
		if !found[strings.ToLower(id)] {
			missing = append(missing, id)
		}
	}
	return refsInBin(ctx, c, missing, in, true)
}

// refsInBin marks those of ids the directory recycle bin holds as
// RefDeleted (GET /directory/deletedItems/{id}, $batch of 20), and, when
// ids are known not to be live (gone), those it does not hold (404) as
// RefGone. When getByIds is refused (gone false), a plan and its
// verification still know a member or owner that is in the bin, and do
// not plan to add it; the others (404: live or gone; 403: a kind the app
// may not read) are taken to exist.
func refsInBin(ctx context.Context, c *graph.Client, ids []string, in *Input, gone bool) error {
	if len(ids) == 0 {
		return nil
	}
	reqs := make([]graph.BatchRequest, len(ids))
	for i, id := range ids {
		reqs[i] = graph.BatchRequest{Method: "GET", URL: "/v1.0/directory/deletedItems/" + url.PathEscape(id) + "?$select=id"}
	}
	resps, err := c.Batch(ctx, reqs)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil // cannot tell
	}
	for i, r := range resps {
		switch err := r.Err(); {
		case err == nil:
			in.Refs[strings.ToLower(ids[i])] = RefDeleted
		case gone && graph.IsNotFound(err):
			in.Refs[strings.ToLower(ids[i])] = RefGone
		}
	}
	return nil
}

var guidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// resolveBreakGlass turns ids and user principal names into lower-case ids.
func resolveBreakGlass(ctx context.Context, c *graph.Client, entries []string, snap diff.Snapshot, liveUsers map[string]*Object) (map[string]bool, error) {
	out := map[string]bool{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if guidRe.MatchString(e) {
			out[strings.ToLower(e)] = true
			continue
		}
		id := ""
		for _, o := range snap {
			if o.Kind.Name == "users" && strings.EqualFold(str(o.Data["userPrincipalName"]), e) {
				id = o.Key
			}
		}
		for _, o := range liveUsers {
			if strings.EqualFold(str(o.Data["userPrincipalName"]), e) {
				id = o.Key
			}
		}
		if id == "" {
			b, err := c.Get(ctx, "/v1.0/users/"+url.PathEscape(e)+"?$select=id")
			if err != nil {
				return nil, fmt.Errorf("break-glass account %q: %w", e, err)
			}
			var u struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(b, &u); err != nil || u.ID == "" {
				return nil, fmt.Errorf("break-glass account %q: no such user", e)
			}
			id = u.ID
		}
		out[strings.ToLower(id)] = true
	}
	return out, nil
}

// SelectorError: a selector names nothing at REV, or more than one object.
type SelectorError = history.SelectorError

// ResolveSelectors turns selectors into a Selection against the objects at
// REV with the one selector grammar (history.Resolve): a file path, a kind
// or folder, an object id or alias (an application's appId), or
// kind/displayName. all selects every kind, except the opt-in kinds
// (layout.Kind.OptIn: per-user MFA state costs one request per user) that
// REV holds no file of and no selector names: planning one reads the
// tenant's side of it, and there is nothing at REV to restore.
func ResolveSelectors(snap diff.Snapshot, selectors []string, all bool) (Selection, error) {
	v := history.FromSnapshot(snap)
	s, err := history.Resolve(v, selectors, all)
	if err != nil || !all {
		return Selection{Kinds: s.Kinds, Paths: s.Paths}, err
	}
	held := map[string]bool{}
	for _, o := range snap {
		held[o.Kind.Name] = true
	}
	named := map[string]bool{}
	if len(selectors) > 0 {
		if ns, err := history.Resolve(v, selectors, false); err == nil {
			for _, k := range ns.Kinds {
				named[k] = true
			}
		}
	}
	kinds := s.Kinds[:0:0]
	for _, name := range s.Kinds {
		if k, ok := layout.Lookup(name); ok && k.OptIn != "" && !held[name] && !named[name] {
			continue // opt-in, nothing of it at REV
		}
		kinds = append(kinds, name)
	}
	return Selection{Kinds: kinds, Paths: s.Paths}, nil
}
