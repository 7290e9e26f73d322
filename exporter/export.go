package exporter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Default mass-deletion guard (issue 3): a kind may not lose more than 20 %
// of its objects, or all of them, in one snapshot. ShrinkMin, when set,
// also lets through drops of at most that many objects.
const (
	DefaultShrinkRatio = 0.2
	DefaultShrinkMin   = 0
)

// Options configure Run.
type Options struct {
	Client *graph.Client
	Repo   *snapshot.Repo
	// Kinds to read; nil means every kind. Kinds not read are carried
	// forward from the previous snapshot unchanged.
	Kinds []*layout.Kind
	// Branch to commit to; "" means the branch HEAD names, or main. A
	// branch that does not exist yet starts at HEAD's commit (branch.go).
	Branch string
	// Message describes the snapshot (the first line of the commit
	// becomes "entrasnap snapshot: <first line of Message>").
	Message string
	// AllowShrink lets a snapshot through the mass-deletion guard.
	AllowShrink bool
	// RequireComplete turns an incomplete read into a failure with no
	// commit (IncompleteError) instead of a snapshot marked incomplete.
	RequireComplete bool
	// ShrinkRatio and ShrinkMin tune the guard; zero values take the defaults.
	ShrinkRatio float64
	ShrinkMin   int
	// Author and Committer of the commit and tag (snapshot's defaults when empty).
	Author, Committer snapshot.Signature
	// Signer, when set, signs the commit and the tag (snapshot.LoadSigner).
	Signer snapshot.Signer
	// Progress receives per-kind progress; nil means none.
	Progress Progress
	// Concurrency bounds the kinds read at once (default 4). The client
	// bounds the requests in flight on its own.
	Concurrency int
	// Now is the clock for the snapshot time and tag name; nil means time.Now.
	Now func() time.Time
	// LockWait is how long the export waits for the repository lock while
	// a running run (an apply, another export) holds it
	// (snapshot.Repo.LockWait); zero refuses at once. The repository is
	// told (Repo.Notify) when it starts waiting and then every 30 seconds.
	LockWait time.Duration
	// Files are extra files written with the snapshot, by repository path
	// (restore's id map .entrasnap/idmap.yaml). They must not be object
	// files or the manifest; a path given replaces the previous snapshot's,
	// and a path given with nil content is removed (the hand-written file of
	// an object a plan from files created, now at its canonical path).
	Files map[string][]byte
	// Full reads every kind in full instead of resuming users and groups
	// from the delta state (state.go).
	Full bool
	// ClientID is the application (client) id the export signs in as
	// (--client-id, AZURE_CLIENT_ID). When the access token is not a JWT,
	// the permissions the manifest records are read from Graph for this app
	// (live.GrantedAccess); without it, none are recorded.
	ClientID string
	// FullEvery is the period of the safety-net full read of the kinds
	// read with delta; zero keeps the state's, or DefaultFullEvery.
	FullEvery time.Duration
	// userProps is the user allow-list of the repository's settings
	// (allowlist.go), set by Run.
	userProps []string

	// NoAudit skips reading the directory audit log (who changed it,
	// attribution.go).
	NoAudit bool

	// Scheduled (--scheduled) marks a scheduled run, such as the daily CI
	// job: the relationships Graph's delta does not track (users' sponsors,
	// PIM for Groups schedules) are read again only for the objects the
	// directory audit log names since the kind's last full read (less
	// live.ReplicationMargin), the cheap path of large tenants. A record
	// appears minutes after its change (graphsim's AuditLag; Graph
	// publishes no bound), so a change younger than that is not in this
	// run's snapshot; as the window starts at the last full read every
	// run, the next scheduled run reads it. Off (the default, and always
	// for the snapshot after a restore: Record): those relationships are
	// read whole, and the snapshot holds every change Graph shows before
	// it started, the audit log's or not (a pre-change snapshot, a run
	// after one's own edit).
	Scheduled bool

	branchStarted bool // runOnBranch made sure Branch exists
	// postRestore (Record): the snapshot after a restore keeps the
	// previous manifest's access, the backup app's: the restore's own
	// token (a person's, or an app allowed to write) is not the access
	// the backups are taken with.
	postRestore bool
}

// Result is what Run did.
type Result struct {
	TenantID string            `json:"tenantId"`
	Time     time.Time         `json:"time"`
	Branch   string            `json:"branch"`
	Kinds    []live.KindResult `json:"kinds"`
	Warnings []live.Warning    `json:"warnings,omitempty"`
	// Files is the number of object files written this run.
	Files int `json:"files"`
	// Changed: a commit was made. Commit is the new commit, or the
	// unchanged head; Tag the tag created ("" if none).
	Changed bool   `json:"changed"`
	Commit  string `json:"commit,omitempty"`
	Tag     string `json:"tag,omitempty"`
	// Added, Modified and Deleted count changed files against the previous snapshot.
	Added    int `json:"added"`
	Modified int `json:"modified"`
	Deleted  int `json:"deleted"`
	// Graph traffic of this run, from graph.Client.Stats.
	Requests      int64 `json:"requests"`
	ResourceUnits int64 `json:"resourceUnits"`
	Retries       int64 `json:"retries"`
	Throttled     int64 `json:"throttled"`
	// WriteSeconds is the time spent writing the repository: StageSeconds
	// plus the wall time of the commit (trees, commit, tag, refs, working
	// tree and index) after the read.
	WriteSeconds float64 `json:"writeSeconds"`
	// StageSeconds is the part of WriteSeconds spent storing the objects'
	// files while they were read (hashing, compressing, writing them to the
	// pack), summed over the readers, which do it in parallel.
	StageSeconds float64 `json:"stageSeconds"`
	// WorktreeSkipped says why a working tree was not updated.
	WorktreeSkipped string `json:"worktreeSkipped,omitempty"`
	// WorktreeKept lists the files of the working tree that kept local
	// content instead of the snapshot's (the index has the snapshot's:
	// git status shows them as unstaged changes), with why.
	WorktreeKept []string `json:"worktreeKept,omitempty"`
	// Attribution are the directory audit records this snapshot keeps
	// (ChangesFile), who changed what (attribution.go).
	Attribution []layout.ChangeRecord `json:"-"`
	ChangesFile string                `json:"changesFile,omitempty"`

	counted bool   // Added, Modified and Deleted are known
	repo    string // the repository's folder (snapshot.Repo.Path), for TermProgress
}

// Incomplete lists the kinds that could not be read completely, except
// those the tenant is not licensed for (NotLicensed).
func (r *Result) Incomplete() []live.KindResult { return live.Incomplete(r.Kinds) }

// NotLicensed lists the kinds the tenant is not licensed for.
func (r *Result) NotLicensed() []live.KindResult { return live.NotLicensed(r.Kinds) }

// Complete reports whether every kind read was read completely.
func (r *Result) Complete() bool { return len(r.Incomplete()) == 0 }

// Objects is the total object count over the kinds read.
func (r *Result) Objects() int {
	n := 0
	for _, k := range r.Kinds {
		n += k.Objects
	}
	return n
}

// IncompleteError is Run's answer under RequireComplete when some kinds
// could not be read: nothing was committed.
type IncompleteError struct{ Kinds []live.KindResult }

func (e *IncompleteError) Error() string {
	parts := make([]string, len(e.Kinds))
	for i, k := range e.Kinds {
		parts[i] = k.Kind + " (" + layout.Safe(incompleteReason(k)) + ")"
	}
	return "not committing an incomplete snapshot (--require-complete): " + strings.Join(parts, "; ")
}

// ShrinkError refuses a snapshot in which kinds lost too many objects.
type ShrinkError struct{ Kinds []Shrink }

// Shrink is one kind that lost too many objects.
type Shrink struct {
	Kind           string
	Before, After  int
	PercentDropped int
}

func (e *ShrinkError) Error() string {
	parts := make([]string, len(e.Kinds))
	for i, s := range e.Kinds {
		parts[i] = fmt.Sprintf("%s fell from %d to %d objects (-%d%%)", s.Kind, s.Before, s.After, s.PercentDropped)
	}
	return "refusing to write the snapshot, nothing was committed: " + strings.Join(parts, ", ") +
		"; if these deletions are real, run again with --allow-shrink"
}

// TenantMismatchError: the repository holds another tenant's snapshots.
type TenantMismatchError struct{ Repo, RepoTenant, Tenant string }

func (e *TenantMismatchError) Error() string {
	return fmt.Sprintf("%s holds snapshots of tenant %s, but Graph answers for tenant %s; give --repo a folder for this tenant",
		e.Repo, e.RepoTenant, e.Tenant)
}

// previous is the branch head before this run.
type previous struct {
	rev      string                   // commit id; "" when the branch has no commit
	blobs    map[string]plumbing.Hash // every file
	perKind  map[string]int           // object files per kind
	manifest *layout.Manifest
}

// Check refuses, naming export's flag, what the caller gave wrong (the
// CLI calls it before anything is read from Graph): a negative LockWait,
// or a Branch git would refuse.
func (o Options) Check() error {
	if o.LockWait < 0 {
		return fmt.Errorf("--wait %s: want a duration of 0 or more, e.g. 15m", o.LockWait)
	}
	if o.Branch == "" {
		return nil
	}
	if err := snapshot.ValidBranchName(o.Branch); err != nil {
		return fmt.Errorf("--branch: %v; git branch names may not hold spaces, \"..\", ~^:?*[\\, start with - or end with .lock", err)
	}
	return nil
}

// Run reads the tenant and writes a snapshot. It holds the repository lock
// for the whole run, reads every selected kind before writing anything, and
// commits only when the tree changed (tagging the head otherwise).
//
// Kinds that could not be read completely are carried forward and marked
// in the manifest; Run still commits and returns a nil error (check
// Result.Complete). It returns an error, and commits nothing, when the
// context ends, when the mass-deletion guard or the collision check refuse,
// or when the repository cannot be written; the Result is returned too when
// the read got that far.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Client == nil || o.Repo == nil {
		return nil, errors.New("exporter: Options.Client and Options.Repo are required")
	}
	if err := o.Check(); err != nil {
		return nil, err
	}
	if o.Branch != "" && !o.branchStarted {
		return runOnBranch(ctx, o)
	}
	if o.Progress == nil {
		o.Progress = NoProgress{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ShrinkRatio <= 0 {
		o.ShrinkRatio = DefaultShrinkRatio
	}
	if o.ShrinkMin <= 0 {
		o.ShrinkMin = DefaultShrinkMin
	}
	kinds := o.Kinds
	if len(kinds) == 0 {
		kinds = layout.DefaultKinds() // an OptIn kind only when named
	}
	unlock, err := o.Repo.LockWait(ctx, o.LockWait, func(held *snapshot.LockError, waited time.Duration) {
		o.Repo.Notify(fmt.Sprintf("%s (--wait %s)", held.Waiting(waited), o.LockWait))
	})
	if err != nil {
		return nil, err
	}
	defer unlock()

	branch := o.Branch
	if branch == "" {
		branch = headBranch(o.Repo)
	}
	branch = strings.TrimPrefix(branch, "refs/heads/")
	// The previous snapshot's head and manifest now (the tenant check needs
	// them); its tree while the kinds that do not resume from delta are
	// read (prepare, below).
	prev, err := readPreviousHead(ctx, o.Repo, branch)
	if err != nil {
		return nil, err
	}

	// Each object's file goes into the object store as soon as its kind is
	// read; only (path, blob id) is kept (stage.go in snapshot).
	stage, err := o.Repo.NewStage()
	if err != nil {
		return nil, fmt.Errorf("writing to %s: %w", o.Repo.Path(), err)
	}
	defer stage.Discard() // (a no-op once committed)
	var (
		sunkMu sync.Mutex
		sunk   sunkFiles
	)
	sink := func(path string, data []byte) error {
		h, err := stage.Add(data)
		if err != nil {
			return fmt.Errorf("writing %s to %s: %w", path, o.Repo.Path(), err)
		}
		sunkMu.Lock()
		sunk.add(path, h)
		sunkMu.Unlock()
		return nil
	}

	start := o.Now().UTC().Truncate(time.Second)
	res := &Result{Time: start, Branch: branch, repo: o.Repo.Path()}
	// prepare reads the previous snapshot's tree, the repository's
	// configuration and the delta state, and plans which kinds resume from
	// delta: live.Read calls it while it reads the other kinds, Conditional
	// Access's paced reads first, so a no-change day's wall time is not
	// the sum of both (issue 12). Its results are used once Read returned.
	var (
		state     *State
		stateData []byte
		why       map[string]string
	)
	prepare := func(rctx context.Context) (live.Later, error) {
		if err := prev.walk(rctx, o.Repo, branch); err != nil {
			return live.Later{}, err
		}
		cfg, err := repoConfig(ctx, o, prev) // allowlist.go
		if err != nil {
			return live.Later{}, err
		}
		if cfg != nil {
			o.userProps = cfg.UserProperties
		}
		var stateErr error
		state, stateData, stateErr = readState(ctx, o.Repo, prev)
		valid := validated(prev.blobs, state) // validation.go
		var deltaFrom map[string]live.DeltaFrom
		// (ctx, not rctx: a kind's DeltaFrom.Read may be called after Read's
		// own context ended.)
		deltaFrom, why, err = planDelta(ctx, o, kinds, prev, state, stateErr, start)
		if err != nil {
			return live.Later{}, err
		}
		if np, ok := o.Progress.(live.NoteProgress); ok {
			for _, k := range kinds {
				if w := why[k.Name]; w != "" && state != nil {
					np.KindNote(k.Name, w)
				}
			}
		}
		l := live.Later{Delta: deltaFrom, UserProperties: o.userProps, Validated: valid}
		if prev.rev != "" {
			read := prev.reader(ctx, o.Repo)
			l.Previous = func(p string) ([]byte, error) {
				if _, ok := prev.blobs[p]; !ok {
					return nil, nil
				}
				return read(p)
			}
			l.PreviousPaths = prev.paths
		}
		return l, nil
	}
	sizeBudget(ctx, o.Client, kinds)
	lv, err := live.Read(ctx, live.ReadOptions{Client: o.Client, Kinds: kinds, Progress: o.Progress, Concurrency: o.Concurrency,
		Later: prepare, TrackDelta: true, Sink: sink, TempDir: o.Repo.GitDir(),
		CheckTenant: func(tenant string) error {
			if prev.manifest != nil && prev.manifest.TenantID != "" && tenant != "" && !strings.EqualFold(prev.manifest.TenantID, tenant) {
				return &TenantMismatchError{Repo: o.Repo.Path(), RepoTenant: prev.manifest.TenantID, Tenant: tenant}
			}
			return nil
		}})
	if lv == nil {
		return nil, err
	}
	returnFreedMemory(len(lv.Paths))
	res.TenantID = lv.TenantID
	if res.TenantID == "" && prev.manifest != nil {
		res.TenantID = prev.manifest.TenantID
	}
	res.Requests, res.ResourceUnits, res.Retries, res.Throttled = lv.Requests, lv.ResourceUnits, lv.Retries, lv.Throttled
	if err != nil {
		return res, err
	}

	// Files, carried paths and the manifest. The object files are in the
	// stage; only those of the kinds read completely (lv.Paths) are kept.
	files := lv.Files
	blobs := sunk.blobs(lv.Paths, len(lv.Kept))
	for _, p := range lv.Kept {
		blobs[p] = prev.blobs[p] // a delta read's unchanged files
	}
	// (blobs has them now: lv.Paths is not held through the write, a
	// slice header a file at 1.2M users)
	sunk, lv.Paths = sunkFiles{}, nil
	read := map[string]bool{}
	var carry []string
	for _, r := range lv.Kinds {
		k, _ := layout.Lookup(r.Kind)
		read[k.Name] = true
		r.Previous = prev.perKind[k.Name]
		if r.Note == "" && r.Read == "full" {
			r.Note = why[k.Name]
		}
		if !r.Complete {
			r.Objects = prev.perKind[k.Name] // carried forward
			carry = append(carry, k.Root())
		}
		res.Kinds = append(res.Kinds, r)
	}
	res.Warnings = lv.Warnings
	res.Files = len(files) + len(blobs)
	for _, k := range layout.Kinds() {
		if !read[k.Name] {
			carry = append(carry, k.Root())
		}
	}
	// Files of the previous snapshot that belong to no kind read this run
	// (a README, CI files, kinds this version does not know) stay.
	for p := range prev.blobs {
		if _, extra := o.Files[p]; extra || p == layout.ManifestPath || p == StatePath || underAny(p, carry) {
			continue
		}
		if k, _, err := layout.Locate(p); err == nil && read[k.Name] {
			continue
		}
		if k, img := layout.IsImageFile(p); img && read[k.Name] {
			continue // an image of a kind read: this run's files have its images
		}
		carry = append(carry, p)
	}
	sort.Strings(carry)

	if inc := res.Incomplete(); len(inc) > 0 && o.RequireComplete {
		o.Progress.Done(res)
		return res, &IncompleteError{Kinds: inc}
	}

	// Mass-deletion guard.
	if err := guard(res.Kinds, o); err != nil {
		o.Progress.Done(res)
		return res, err
	}

	for p, data := range o.Files {
		if _, _, err := layout.Locate(p); err == nil || p == layout.ManifestPath || p == StatePath {
			return res, fmt.Errorf("exporter: Options.Files: %s is an object file or the manifest", p)
		}
		delete(blobs, p)
		if data == nil {
			continue // removed: neither carried nor written
		}
		files[p] = data
	}
	man := buildManifest(res, prev.manifest, read)
	man.Access = tokenAccess(ctx, o.Client)
	var accessWarning *live.Warning
	if man.Access == nil && o.ClientID != "" && !o.postRestore {
		// Not a JWT: the app's grants, as Graph lists them.
		a, err := live.GrantedAccess(ctx, o.Client, o.ClientID)
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			accessWarning = &live.Warning{Path: layout.ManifestPath, Message: "the permissions the export ran with are not recorded: the access token is not a JWT, and " + err.Error()}
		}
		man.Access = a
	}
	if o.postRestore {
		man.Access = nil
		if prev.manifest != nil {
			man.Access = prev.manifest.Access
		}
	}
	files[layout.ManifestPath] = man.Encode()
	every := o.FullEvery
	if every <= 0 && state != nil && state.FullEvery > 0 {
		every = state.FullEvery
	}
	if every <= 0 {
		every = DefaultFullEvery
	}
	next, material := nextState(state, every, lv, res.Kinds, blobs, kindsChanged(blobs, prev), start, o.userProps, auditWindow(o))
	// The record of the schema check moves with a snapshot that changes
	// files (validation.go); a day without changes keeps the stored state.
	material = material || objectsChanged(blobs, prev, carry)
	write := material && (len(next.Kinds) > 0 || len(next.Audit) > 0 || stateData != nil)
	checked, keptWarnings, err := nextChecked(ctx, o.Repo, state, lv, res.Kinds, blobs, write)
	if err != nil {
		return res, err
	}
	next.Checked = checked
	res.Warnings = append(res.Warnings, keptWarnings...)
	switch {
	case write:
		files[StatePath] = next.Encode()
	case stateData != nil:
		files[StatePath] = stateData // the stored links stay (state.go)
	}
	countChanges(res, files, blobs, carry, prev)
	if accessWarning != nil {
		res.Warnings = append(res.Warnings, *accessWarning)
	}
	if p, data, kept, w := o.attribution(ctx, prev, files, blobs, carry, start); w != nil {
		res.Warnings = append(res.Warnings, *w)
	} else if p != "" {
		// A snapshot taken in the same second as the previous one names
		// the same changes file: data holds the previous one's records
		// with this run's (attribution), so it is not carried.
		if i := sort.SearchStrings(carry, p); i < len(carry) && carry[i] == p {
			carry = append(carry[:i:i], carry[i+1:]...)
		}
		files[p] = data
		res.ChangesFile, res.Attribution = p, kept
	}

	msg, tagMsg := messages(res, man, o.Message)
	// The commit and tag are dated when the read started, as the tag is
	// named: one clock (Options.Now) for both.
	author, committer := o.Author, o.Committer
	if author.When.IsZero() {
		author.When = start
	}
	if committer != (snapshot.Signature{}) && committer.When.IsZero() {
		committer.When = start
	}
	snap := snapshot.Snapshot{
		Branch: branch, Files: files, Blobs: blobs, Stage: stage, Carry: carry,
		Message: msg, TagMessage: tagMsg, TagWhenUnchanged: true,
		Author: author, Committer: committer, Signer: o.Signer,
	}
	var wr *snapshot.Result
	writeStart := time.Now()
	for attempt := 1; ; attempt++ {
		snap.Tag = "snapshot/" + start.Format("20060102T150405Z")
		if attempt > 1 {
			snap.Tag += fmt.Sprintf("-%d", attempt)
		}
		wr, err = o.Repo.WriteSnapshot(ctx, snap)
		if errors.Is(err, snapshot.ErrTagExists) && wr == nil && attempt < 10 {
			continue // two runs within one second
		}
		break
	}
	res.StageSeconds = stage.Busy().Seconds()
	res.WriteSeconds = res.StageSeconds + time.Since(writeStart).Seconds()
	if wr != nil {
		res.Changed = wr.Changed
		res.Commit = wr.Commit.String()
		res.Tag = wr.Tag
		res.WorktreeSkipped = wr.WorktreeSkipped
		res.WorktreeKept = wr.WorktreeKept
		res.Added, res.Modified, res.Deleted = wr.Counts.Added, wr.Counts.Modified, wr.Counts.Deleted
		// The delta state and the audit records are bookkeeping, not a
		// change of the tenant.
		if res.ChangesFile != "" && wr.Changed {
			res.Added--
		}
		if data, ok := files[StatePath]; ok && wr.Changed {
			old, had := prev.blobs[StatePath]
			switch {
			case !had:
				res.Added--
			case old != plumbing.ComputeHash(plumbing.BlobObject, data):
				res.Modified--
			}
		}
	}
	o.Progress.Done(res)
	if err != nil {
		return res, fmt.Errorf("writing the snapshot to %s: %w", o.Repo.Path(), err)
	}
	return res, nil
}

func underAny(p string, prefixes []string) bool {
	for _, c := range prefixes {
		if p == c || len(p) > len(c) && p[len(c)] == '/' && strings.HasPrefix(p, c) {
			return true
		}
	}
	return false
}

// headBranch is the branch HEAD names, or snapshot.DefaultBranch when HEAD
// is detached or unreadable: the branch WriteSnapshot would pick.
func headBranch(r *snapshot.Repo) string {
	b, err := os.ReadFile(filepath.Join(r.GitDir(), "HEAD"))
	if err == nil {
		if ref, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "ref:"); ok {
			if name, ok := strings.CutPrefix(strings.TrimSpace(ref), "refs/heads/"); ok && name != "" {
				return name
			}
		}
	}
	return snapshot.DefaultBranch
}

// readPrevious reads the branch's last snapshot: head, manifest and tree.
func readPrevious(ctx context.Context, r *snapshot.Repo, branch string) (*previous, error) {
	p, err := readPreviousHead(ctx, r, branch)
	if err != nil {
		return nil, err
	}
	return p, p.walk(ctx, r, branch)
}

// readPreviousHead finds the branch's last snapshot and reads its
// manifest; walk reads its tree.
func readPreviousHead(ctx context.Context, r *snapshot.Repo, branch string) (*previous, error) {
	p := &previous{blobs: map[string]plumbing.Hash{}, perKind: map[string]int{}}
	h, err := r.Resolve(ctx, "refs/heads/"+branch)
	if errors.Is(err, snapshot.ErrUnknownRevision) {
		return p, nil // no snapshot yet on this branch
	}
	if err != nil {
		return nil, fmt.Errorf("reading the previous snapshot on branch %s: %w", branch, err)
	}
	p.rev = h.String()
	data, err := r.ReadFile(ctx, p.rev, layout.ManifestPath)
	if errors.Is(err, snapshot.ErrNotFound) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", layout.ManifestPath, err)
	}
	m, err := layout.DecodeManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s in %s (branch %s): %w; fix or delete it in a commit of its own", layout.ManifestPath, r.Path(), branch, err)
	}
	p.manifest = m
	return p, nil
}

// walk reads the previous snapshot's tree: every file's blob id, and the
// object files per kind.
func (p *previous) walk(ctx context.Context, r *snapshot.Repo, branch string) error {
	if p.rev == "" {
		return nil
	}
	err := r.Walk(ctx, p.rev, "", func(path string, blob plumbing.Hash) error {
		p.blobs[path] = blob
		if k, _, err := layout.Locate(path); err == nil {
			p.perKind[k.Name]++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading the previous snapshot on branch %s: %w", branch, err)
	}
	return nil
}

// buildManifest describes the new snapshot: the kinds read this run, and
// the previous entries of kinds not read (their files are carried).
func buildManifest(res *Result, prev *layout.Manifest, read map[string]bool) *layout.Manifest {
	m := &layout.Manifest{Format: layout.FormatVersion, TenantID: res.TenantID, Kinds: map[string]layout.ManifestKind{}}
	if prev != nil {
		for name, k := range prev.Kinds {
			if !read[name] {
				m.Kinds[name] = k
			}
		}
	}
	for _, k := range res.Kinds {
		m.Kinds[k.Kind] = layout.ManifestKind{Folder: k.Folder, Objects: k.Objects, Complete: k.Complete, Reason: k.Reason, NotLicensed: k.NotLicensed, Skipped: k.Skipped, Partial: k.Partial}
	}
	return m
}

// guard applies the mass-deletion rule to the kinds read completely.
func guard(kinds []live.KindResult, o Options) error {
	var shrinks []Shrink
	for _, k := range kinds {
		if !k.Complete || k.Previous == 0 {
			continue
		}
		drop := k.Previous - k.Objects
		if drop <= 0 {
			continue
		}
		if k.Objects == 0 || (float64(drop) > o.ShrinkRatio*float64(k.Previous) && drop > o.ShrinkMin) {
			shrinks = append(shrinks, Shrink{Kind: k.Kind, Before: k.Previous, After: k.Objects, PercentDropped: drop * 100 / k.Previous})
		}
	}
	if len(shrinks) == 0 || o.AllowShrink {
		return nil
	}
	return &ShrinkError{Kinds: shrinks}
}

// countChanges fills the added/modified/deleted counts the commit message
// needs before WriteSnapshot computes them (the same rule: files compared
// by blob id, carried paths unchanged).
func countChanges(res *Result, files map[string][]byte, blobs map[string]plumbing.Hash, carry []string, prev *previous) {
	res.Added, res.Modified, res.Deleted = 0, 0, 0
	res.counted = true
	count := func(p string, h plumbing.Hash) {
		if p == StatePath {
			return // bookkeeping (state.go)
		}
		old, ok := prev.blobs[p]
		switch {
		case !ok:
			res.Added++
		case old != h:
			res.Modified++
		}
	}
	for p, data := range files {
		count(p, plumbing.ComputeHash(plumbing.BlobObject, data))
	}
	for p, h := range blobs {
		count(p, h)
	}
	for p := range prev.blobs {
		_, inFiles := files[p]
		_, inBlobs := blobs[p]
		if !inFiles && !inBlobs && p != StatePath && !underAny(p, carry) {
			res.Deleted++
		}
	}
}

// sizeBudget tells the client the tenant's size before the read when the
// run reads users (so the count's permission, User.Read.All, is one the
// run needs anyway): Graph's read quota grows with the tenant (3,500,
// 5,000 or 8,000 resource units per 10 s), and a client that starts from
// the smallest learns the larger one only from Graph's answers, slowly when
// requests are slow. One request (GET /users/$count, one unit); when it
// fails the client learns the quota as before, so the error is not the
// run's.
func sizeBudget(ctx context.Context, c *graph.Client, kinds []*layout.Kind) {
	for _, k := range kinds {
		if k.Name == "users" {
			_, _ = c.SizeBudget(ctx)
			return
		}
	}
}

// freeAfter is the number of files past which the export gives the memory
// its read freed back to the system before the write (returnFreedMemory).
const freeAfter = 50_000

// returnFreedMemory, after a read of more than freeAfter files, collects
// once and returns the freed memory to the system (debug.FreeOSMemory):
// the read's pages, decoded objects and delta rounds are garbage once it
// ends, and the runtime otherwise gives their memory back only slowly, so
// the write's own growth came on top of it and made the export's peak
// resident memory (issue 12). One collection of the heap the read keeps
// (paths and blob ids); the headroom between collections is the runtime's
// default (docs/design.md).
func returnFreedMemory(files int) {
	if files > freeAfter {
		debug.FreeOSMemory()
	}
}

// sunkFiles are the (path, blob id) pairs the read gave the sink, in the
// order given, in chunks of sunkChunk (no copy of them all as they grow):
// during the read a list, not a map of every path, which at 1.2M users
// held about 80 bytes a file the collector scanned while the groups were
// read (issue 12, peak memory); the map the write needs is made once the
// read's own structures are gone (blobs).
type sunkFiles struct{ chunks [][]sunkFile }

type sunkFile struct {
	path string
	blob plumbing.Hash
}

const sunkChunk = 4096

func (s *sunkFiles) add(path string, h plumbing.Hash) {
	n := len(s.chunks)
	if n == 0 || len(s.chunks[n-1]) == cap(s.chunks[n-1]) {
		s.chunks = append(s.chunks, make([]sunkFile, 0, sunkChunk))
		n++
	}
	s.chunks[n-1] = append(s.chunks[n-1], sunkFile{path, h})
}

// blobs maps each path of keep (sorted) to the blob it was given last (a
// path the read gave twice: the later bytes count, live.ReadOptions.Sink),
// with room for extra more; the paths not in keep (kinds not read
// completely) are left out. The chunks are dropped as they are read.
func (s *sunkFiles) blobs(keep []string, extra int) map[string]plumbing.Hash {
	out := make(map[string]plumbing.Hash, len(keep)+extra)
	for i, c := range s.chunks {
		for _, f := range c {
			if _, ok := slices.BinarySearch(keep, f.path); ok {
				out[f.path] = f.blob
			}
		}
		s.chunks[i] = nil
	}
	s.chunks = nil
	return out
}
