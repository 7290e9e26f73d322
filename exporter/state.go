package exporter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Delta state (incremental export).
//
// StatePath holds, per kind read with delta (live.DeltaKinds: users,
// groups, applications, service principals, administrative units), the deltaLink Graph gave at the end of the kind's last read and
// the time of its last full read, plus the period of the safety-net full
// read. It is committed with the snapshot, so a run in a fresh clone (CI)
// resumes. A deltaLink holds only Graph's opaque tokens: it is stored
// relative to the Graph root, and one read back must be the kind's delta
// function with only $-parameters (live.CheckDeltaLink), so no host or
// credential can come from, or land in, the file.
//
// The next run resumes such a kind: Graph returns the changes since the
// link, which live applies to the kind's files in the previous snapshot
// (read from the repository at the branch head). The kind is read in full
// instead when --full is given, when its state is missing or unusable, when
// the kind was incomplete (or not read) in the previous snapshot, when its
// last full read is --full-every old (default 7 days), or when Graph no
// longer knows the link (410 / syncStateNotFound; said in progress).
//
// Graph gives a new link with every round, but a kind's link is replaced
// only when the kind's files changed, it was read in full, or its link is
// older than linkRefresh (3 days; Graph keeps directory delta tokens 7
// days): a day without changes makes no commit. When the files did not
// change, the next round replays the changes since the older link onto
// files that already hold their outcome, which gives the same files (an
// object created in the window comes in full, with all its current members,
// and is merged with its file). When they did change, the replay could
// merge such a full object with a file that holds members removed since,
// so the link must move.

// PIM for Groups (live.AuditKinds) has no delta function: its state
// (auditKinds in the file) is the time of the kind's last full read and
// the fingerprint of its files; a later run reads again only the groups the
// directory audit log (or the groups list, or the files' ends) says may
// have changed since, and keeps the others' files (live/pimgroups.go,
// planAudit).

// StatePath is the delta state file in the repository.
const StatePath = ".entrasnap/state.yaml"

// DefaultFullEvery is the period of the safety-net full read.
const DefaultFullEvery = 7 * 24 * time.Hour

// linkRefresh is the age at which a kind's stored link is replaced by the
// one of this run's round.
const linkRefresh = 72 * time.Hour

// State is the delta state.
type State struct {
	FullEvery time.Duration
	Kinds     map[string]KindState
	// Checked is the record of the schema check of the snapshot's files
	// (validation.go); nil when there is none.
	Checked *Checked
	// Audit is, per kind a later run reads again only where the directory
	// audit log says it may have changed (live.AuditKinds: PIM for Groups),
	// its state.
	Audit map[string]AuditKindState
}

// AuditKindState is the state of a kind of live.AuditKinds.
type AuditKindState struct {
	// Files fingerprints the kind's files in the snapshot the state
	// belongs to (as KindState.Files).
	Files string
	// LastFull is the kind's last full read: the audit window of a later
	// run starts there (less live.ReplicationMargin).
	LastFull time.Time
}

// KindState is one kind's delta state.
type KindState struct {
	DeltaLink string
	// Query is live.DeltaQuery when the link was made: the properties it
	// tracks. Another query today (entrasnap stores other properties) means
	// a full read.
	Query string
	// Files fingerprints the kind's files (paths and blob ids) in the
	// snapshot the link belongs to: files edited or replaced since (by hand,
	// by another tool) mean a full read, so the link is applied only to the
	// files it was made for.
	Files    string
	LinkAt   time.Time // when Graph gave DeltaLink
	LastFull time.Time // the last full read of the kind
	// Held are the keys of the objects whose files hold children the
	// round does not track (users with sponsors, live.Live.Held): a later
	// round reads their files again. Nil for other kinds, and in a state
	// written before it existed (the kind is then read in full).
	Held []string
	// Children are the deltaLinks of the kind's children read with delta
	// (service principals' grants, live.Live.ChildLinks), by child; the
	// pair with DeltaLink moves together.
	Children map[string]string
}

// Encode renders the state as canonical YAML.
func (s *State) Encode() []byte {
	kinds := map[string]any{}
	for name, k := range s.Kinds {
		e := map[string]any{"deltaLink": k.DeltaLink, "query": k.Query, "files": k.Files, "deltaLinkTime": k.LinkAt.UTC().Format(time.RFC3339),
			"lastFullRead": k.LastFull.UTC().Format(time.RFC3339)}
		if k.Held != nil {
			held := make([]any, len(k.Held))
			for i, h := range k.Held {
				held[i] = h
			}
			e["objectsWithUntrackedChildren"] = held
		}
		if len(k.Children) > 0 {
			ch := map[string]any{}
			for name, link := range k.Children {
				ch[name] = link
			}
			e["childDeltaLinks"] = ch
		}
		kinds[name] = e
	}
	m := map[string]any{
		"about":     "entrasnap delta state: where the next export resumes each kind (see README, Daily backup in CI). Delete this file to read everything in full.",
		"fullEvery": FormatEvery(s.FullEvery),
		"kinds":     kinds,
	}
	if s.Checked != nil {
		m["schemaCheck"] = encodeChecked(s.Checked)
	}
	if len(s.Audit) > 0 {
		audit := map[string]any{}
		for name, k := range s.Audit {
			audit[name] = map[string]any{"files": k.Files, "lastFullRead": k.LastFull.UTC().Format(time.RFC3339)}
		}
		m["auditKinds"] = audit
	}
	return layout.Encode(m)
}

// DecodeState reads a state file.
func DecodeState(data []byte) (*State, error) {
	m, err := layout.Decode(data)
	if err != nil {
		return nil, err
	}
	s := &State{Kinds: map[string]KindState{}}
	if v, ok := m["fullEvery"].(string); ok {
		if s.FullEvery, err = ParseEvery(v); err != nil {
			return nil, fmt.Errorf("fullEvery: %w", err)
		}
	}
	s.Checked = decodeChecked(m["schemaCheck"])
	if v, ok := m["auditKinds"]; ok {
		audit, isMap := v.(map[string]any)
		if !isMap {
			return nil, fmt.Errorf("auditKinds: want a map of kind to its state")
		}
		s.Audit = map[string]AuditKindState{}
		for name, v := range audit {
			if !slices.Contains(live.AuditKinds(), name) {
				continue // a kind this version does not read this way: read in full
			}
			e, _ := v.(map[string]any)
			fp, _ := e["files"].(string)
			t, _ := e["lastFullRead"].(string)
			last, err := time.Parse(time.RFC3339, t)
			if err != nil {
				return nil, fmt.Errorf("auditKinds: %s: lastFullRead: want a time such as 2026-12-05T20:00:00Z", name)
			}
			s.Audit[name] = AuditKindState{Files: fp, LastFull: last}
		}
	}
	kinds, _ := m["kinds"].(map[string]any)
	for name, v := range kinds {
		e, _ := v.(map[string]any)
		link, _ := e["deltaLink"].(string)
		if err := live.CheckDeltaLink(name, link); err != nil {
			return nil, err
		}
		q, _ := e["query"].(string)
		fp, _ := e["files"].(string)
		ks := KindState{DeltaLink: link, Query: q, Files: fp}
		if v, ok := e["objectsWithUntrackedChildren"]; ok {
			list, isList := v.([]any)
			if !isList && v != nil {
				return nil, fmt.Errorf("%s: objectsWithUntrackedChildren: want a list of ids", name)
			}
			ks.Held = []string{}
			for _, x := range list {
				id, isStr := x.(string)
				if !isStr || id == "" {
					return nil, fmt.Errorf("%s: objectsWithUntrackedChildren: want a list of ids", name)
				}
				ks.Held = append(ks.Held, id)
			}
		}
		if v, ok := e["childDeltaLinks"]; ok {
			m, isMap := v.(map[string]any)
			if !isMap {
				return nil, fmt.Errorf("%s: childDeltaLinks: want a map of child to deltaLink", name)
			}
			ks.Children = map[string]string{}
			for child, x := range m {
				link, _ := x.(string)
				if err := live.CheckChildDeltaLink(name, child, link); err != nil {
					return nil, err
				}
				ks.Children[child] = link
			}
		}
		for prop, dst := range map[string]*time.Time{"lastFullRead": &ks.LastFull, "deltaLinkTime": &ks.LinkAt} {
			t, _ := e[prop].(string)
			if *dst, err = time.Parse(time.RFC3339, t); err != nil {
				return nil, fmt.Errorf("%s: %s: want a time such as 2026-12-05T20:00:00Z", name, prop)
			}
		}
		s.Kinds[name] = ks
	}
	return s, nil
}

// ParseEvery reads a --full-every value: "7d", "36h", a Go duration.
func ParseEvery(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if d, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q: want a positive number of days (7d) or hours (36h)", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	dur, err := time.ParseDuration(v)
	if err != nil || dur <= 0 {
		return 0, fmt.Errorf("%q: want a positive number of days (7d) or hours (36h)", v)
	}
	return dur, nil
}

// FormatEvery writes a period as ParseEvery reads it.
func FormatEvery(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

// planDelta decides which kinds resume from the state, and why the others
// are read in full. It reads the previous files of the kinds that resume.
func planDelta(ctx context.Context, o Options, kinds []*layout.Kind, prev *previous, st *State, stateErr error, now time.Time) (map[string]live.DeltaFrom, map[string]string, error) {
	from := map[string]live.DeltaFrom{}
	why := map[string]string{}
	every := o.FullEvery
	if every <= 0 && st != nil && st.FullEvery > 0 {
		every = st.FullEvery
	}
	if every <= 0 {
		every = DefaultFullEvery
	}
	for _, k := range kinds {
		if isAuditKind(k.Name) {
			if f, w := planAudit(ctx, o, k, prev, st, stateErr, now, every); w != "" {
				why[k.Name] = w
			} else {
				from[k.Name] = f
			}
			continue
		}
		if !isDeltaKind(k.Name) {
			continue
		}
		var ks KindState
		ok := false
		if st != nil {
			ks, ok = st.Kinds[k.Name]
		}
		w := fullReadReason(o, k, prev, stateErr, now, every, resumeState{
			have: ok, files: ks.Files, lastFull: ks.LastFull, query: ks.Query, wantQuery: deltaQuery(k.Name, o.userProps), // allowlist.go
		})
		if w != "" {
			why[k.Name] = w
			continue
		}
		// Only the files of the objects the round changes are read; the
		// others keep their blob ids (Live.Kept).
		// The audit window (Since) only for a scheduled run: otherwise
		// the untracked children are read for every object (users'
		// sponsors from the list's $expand), as the log does not name
		// the changes of its last minutes yet (Options.Scheduled).
		var since time.Time
		if auditWindow(o) {
			since = ks.LastFull
		}
		from[k.Name] = live.DeltaFrom{Link: ks.DeltaLink, Children: ks.Children, Paths: prev.paths(k), Held: ks.Held, Since: since, Now: now, Read: prev.reader(ctx, o.Repo)}
	}
	return from, why, nil
}

// planAudit decides whether a kind of live.AuditKinds resumes (the
// previous files and the audit window, live/pimgroups.go) or why it is
// read in full.
func planAudit(ctx context.Context, o Options, k *layout.Kind, prev *previous, st *State, stateErr error, now time.Time, every time.Duration) (live.DeltaFrom, string) {
	var ks AuditKindState
	ok := false
	if st != nil {
		ks, ok = st.Audit[k.Name]
	}
	if w := fullReadReason(o, k, prev, stateErr, now, every, resumeState{have: ok, files: ks.Files, lastFull: ks.LastFull, auditLog: true}); w != "" {
		return live.DeltaFrom{}, w
	}
	return live.DeltaFrom{Paths: prev.paths(k), Since: ks.LastFull, Now: now, Read: prev.reader(ctx, o.Repo)}, ""
}

// resumeState is what fullReadReason needs of a kind's state, whichever
// kind of state it is (KindState of a delta kind, AuditKindState of an
// audit kind).
type resumeState struct {
	have     bool      // the state file holds the kind
	files    string    // fingerprint of the kind's files the state was made for
	lastFull time.Time // the kind's last full read
	// query and wantQuery: a delta kind's stored live.DeltaQuery and
	// today's; both "" for an audit kind.
	query, wantQuery string
	// auditLog: the kind resumes from the directory audit log (its window
	// must be within the log's retention, and the snapshot after a restore
	// reads it in full: the restore's own writes may not be in the log yet).
	auditLog bool
}

// fullReadReason is why kind k is read in full this run, or "" when it
// resumes from its state: the one wording of each reason, for the delta
// kinds and the audit kinds alike (progress and the report's kind note
// show it).
func fullReadReason(o Options, k *layout.Kind, prev *previous, stateErr error, now time.Time, every time.Duration, rs resumeState) string {
	switch {
	case o.Full:
		return "full read: --full"
	case rs.auditLog && o.postRestore:
		return "full read: the snapshot after a restore"
	case stateErr != nil:
		return "full read: " + StatePath + " cannot be used (" + layout.Safe(stateErr.Error()) + ")"
	case !rs.have:
		return "full read: no delta state yet"
	case rs.query != rs.wantQuery:
		return "full read: entrasnap stores other properties than when the delta state was made"
	case rs.files != fingerprint(k, prev.blobs):
		return "full read: its files changed since the delta state was made (edited by hand, or by another tool)"
	case !prev.complete(k.Name):
		return "full read: the previous snapshot does not hold the kind complete"
	case now.Sub(rs.lastFull) >= every:
		return "full read: the last one is " + FormatEvery(every) + " old or more (--full-every " + FormatEvery(every) + ")"
	case rs.auditLog && live.PastAuditKeep(rs.lastFull, now):
		// A kind of live.AuditKinds whose last full read is older than the
		// log keeps its records: the records since then may be gone (users'
		// sponsors and apps' relationships: the same test in live).
		return "full read: the last one is " + live.AuditKeepReason
	case rs.auditLog && !o.Scheduled:
		return "full read: not a scheduled run (--scheduled reads again only the groups the directory audit log names)"
	}
	return ""
}

// complete tells whether the previous snapshot's manifest holds kind name
// complete.
func (prev *previous) complete(name string) bool {
	if prev.manifest == nil {
		return false
	}
	mk, ok := prev.manifest.Kinds[name]
	return ok && mk.Complete
}

// paths are the previous snapshot's files of kind k, sorted.
func (prev *previous) paths(k *layout.Kind) []string {
	var paths []string
	for p := range prev.blobs {
		if underAny(p, []string{k.Root()}) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	return paths
}

// reader reads a file of the previous snapshot by the blob id the walk
// found: no revision or path to resolve again for each file (a no-change
// day reads every user with sponsors this way).
func (prev *previous) reader(ctx context.Context, r *snapshot.Repo) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if h, ok := prev.blobs[p]; ok {
			return r.ReadBlob(ctx, h)
		}
		return r.ReadFile(ctx, prev.rev, p)
	}
}

// auditWindow tells whether a run reads the relationships Graph's delta
// does not track only where the directory audit log names a change: a
// scheduled run (Options.Scheduled), never the snapshot after a restore.
func auditWindow(o Options) bool { return o.Scheduled && !o.postRestore }

func isAuditKind(name string) bool { return slices.Contains(live.AuditKinds(), name) }

func isDeltaKind(name string) bool {
	for _, d := range live.DeltaKinds() {
		if d == name {
			return true
		}
	}
	return false
}

// readState reads the previous snapshot's state file, if any.
func readState(ctx context.Context, r *snapshot.Repo, prev *previous) (*State, []byte, error) {
	if _, ok := prev.blobs[StatePath]; !ok || prev.rev == "" {
		return nil, nil, nil
	}
	data, err := r.ReadFile(ctx, prev.rev, StatePath)
	if err != nil {
		return nil, nil, err
	}
	st, err := DecodeState(data)
	return st, data, err
}

// nextState is the state after this run: the kinds read now take their new
// link (a kind read incompletely loses its state: read in full next time);
// kinds not read keep theirs.
func nextState(old *State, every time.Duration, lv *live.Live, kinds []live.KindResult, blobs map[string]plumbing.Hash, changed map[string]bool, now time.Time, userProps []string, scheduled bool) (*State, bool) {
	s := &State{FullEvery: every, Kinds: map[string]KindState{}}
	material := old == nil || old.FullEvery != every
	if old != nil {
		for name, k := range old.Kinds {
			s.Kinds[name] = k
		}
	}
	if old != nil && len(old.Audit) > 0 {
		s.Audit = maps.Clone(old.Audit)
	}
	for _, r := range kinds {
		if !isAuditKind(r.Kind) {
			continue
		}
		_, had := s.Audit[r.Kind]
		if !r.Complete || r.Read == "" {
			if had {
				material = true
			}
			delete(s.Audit, r.Kind)
			continue
		}
		ks := s.Audit[r.Kind]
		if r.Read == "delta" && !changed[r.Kind] && had {
			continue
		}
		k, _ := layout.Lookup(r.Kind)
		if !scheduled && !changed[r.Kind] && had && ks.Files == fingerprint(k, blobs) {
			// Read in full by a run that is not scheduled, with the same
			// files: the state stays, so a day without changes makes no
			// commit (its window then starts at an earlier full read:
			// wider, never narrower).
			continue
		}
		if r.Read != "delta" {
			ks.LastFull = now
		}
		ks.Files = fingerprint(k, blobs)
		if s.Audit == nil {
			s.Audit = map[string]AuditKindState{}
		}
		s.Audit[r.Kind] = ks
		material = true
	}
	for _, r := range kinds {
		if !isDeltaKind(r.Kind) {
			continue
		}
		link := lv.DeltaLinks[r.Kind]
		if live.CheckDeltaLink(r.Kind, link) != nil {
			link = "" // not a link of the kind's delta function: never stored
		}
		if !r.Complete || link == "" {
			if _, had := s.Kinds[r.Kind]; had {
				material = true
			}
			delete(s.Kinds, r.Kind)
			continue
		}
		ks := s.Kinds[r.Kind]
		if r.Read != "delta" {
			ks.LastFull = now
		} else if !changed[r.Kind] && now.Sub(ks.LinkAt) < linkRefresh {
			continue // keep the stored link
		}
		ks.DeltaLink, ks.LinkAt = link, now
		ks.Held = lv.Held[r.Kind]
		ks.Children = nil
		for child, link := range lv.ChildLinks[r.Kind] {
			if live.CheckChildDeltaLink(r.Kind, child, link) == nil {
				if ks.Children == nil {
					ks.Children = map[string]string{}
				}
				ks.Children[child] = link
			}
		}
		k, _ := layout.Lookup(r.Kind)
		ks.Files = fingerprint(k, blobs)
		if r.Read != "delta" {
			ks.Query = deltaQuery(r.Kind, userProps)
		}
		s.Kinds[r.Kind] = ks
		material = true
	}
	return s, material
}

// kindsChanged tells, per kind read with delta, whether its files (blob
// ids by path) differ from the previous snapshot's.
func kindsChanged(blobs map[string]plumbing.Hash, prev *previous) map[string]bool {
	out := map[string]bool{}
	for _, name := range append(live.DeltaKinds(), live.AuditKinds()...) {
		k, _ := layout.Lookup(name)
		root := k.Root() + "/"
		for p, h := range blobs {
			if strings.HasPrefix(p, root) && prev.blobs[p] != h {
				out[name] = true
				break
			}
		}
		if out[name] {
			continue
		}
		for p := range prev.blobs {
			if _, ok := blobs[p]; strings.HasPrefix(p, root) && !ok {
				out[name] = true
				break
			}
		}
	}
	return out
}

// fingerprint is a digest of the kind's (path, blob id) pairs: SHA-256 of
// the lines "path\x00blob id", sorted, joined by "\n". The lines are
// written to the digest one by one in path order (the same order: a path
// is unique, and "\x00" sorts before any character of a path), not built:
// at 100,000 users the lines, their join and its copy were 40 MB of garbage
// a call, several calls a run (issue 12).
func fingerprint(k *layout.Kind, blobs map[string]plumbing.Hash) string {
	root := k.Root() + "/"
	var paths []string
	for p := range blobs {
		if strings.HasPrefix(p, root) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	d := sha256.New()
	var line []byte // one line at a time, its buffer reused
	for i, p := range paths {
		line = line[:0]
		if i > 0 {
			line = append(line, '\n')
		}
		line = append(append(line, p...), 0)
		h := blobs[p]
		line = hex.AppendEncode(line, h[:])
		d.Write(line)
	}
	return hex.EncodeToString(d.Sum(nil))
}
