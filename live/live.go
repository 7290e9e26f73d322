package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/schemas"
)

// ReadOptions configure Read.
type ReadOptions struct {
	Client *graph.Client
	// Kinds to read; nil means every kind but the OptIn ones (layout.DefaultKinds).
	Kinds []*layout.Kind
	// Progress receives per-kind progress (Done is not called); nil means none.
	Progress Progress
	// Concurrency bounds the kinds read at once (default 4).
	Concurrency int
	// CheckTenant, when set, is called with the tenant id the first request
	// found ("" when none) before the long read: an error stops Read.
	CheckTenant func(tenantID string) error
	// Delta resumes kinds of DeltaKinds from the previous run's deltaLink
	// and files instead of reading them in full (delta.go). A link Graph no
	// longer knows (410) falls back to a full read of the kind, said with
	// NoteProgress and KindResult.Note.
	Delta map[string]DeltaFrom
	// TrackDelta asks for Live.DeltaLinks: a deltaLink for every kind of
	// DeltaKinds read completely, to resume from next time.
	TrackDelta bool
	// Sink, when set, receives each object's file (repository path and
	// canonical bytes, exactly as Files would hold it) as soon as it is
	// made: a collection's page at a time (a delta round's objects when the
	// round ends), from several goroutines at once; Read keeps only its
	// path: Live.Files then holds no object files. An object Graph repeats
	// across pages is given again (the later bytes count; the path may
	// differ if its name changed, and only Live.Paths counts). Files of a
	// kind that turns out incomplete, or of a read that fails, may have
	// been given to Sink already: the caller commits only what Read returns
	// as complete. An error from Sink stops Read with that error.
	Sink func(path string, data []byte) error
	// TempDir is where a delta round larger than entrasnap holds in memory
	// (a large tenant's groups) is kept until it ends, in a file removed
	// once read ("": the system's temporary folder). Export gives the
	// repository's git folder, which it writes anyway.
	TempDir string
	// UserProperties, when set, is the allow-list of user properties a
	// file holds (layout.Config, .entrasnap/config.yaml): the others are
	// read but never written.
	UserProperties []string
	// Later, when set, gives Delta and UserProperties (leave those unset)
	// once the caller knows them: Read calls it once, after CheckTenant,
	// while it reads the kinds that need neither (every kind but those of
	// DeltaKinds, Conditional Access's paced ones first); the kinds of
	// DeltaKinds wait for it. Read returns only after Later has returned,
	// and an error from it stops Read with that error. Export reads the
	// previous snapshot this way while Graph's one request a second for
	// Conditional Access runs (issue 12, a no-change day's wall time).
	Later func(ctx context.Context) (Later, error)
	// Only, for a kind of OnlyKinds, reads just the objects with these ids
	// instead of the whole kind (byid.go): the files of those that exist,
	// each exactly as a full read makes it, and none of the others. The
	// kind's KindResult is then Complete for those ids only. With groups
	// read by id, the PIM for Groups kinds (AuditKinds) read the schedules
	// of those groups only, and are complete for those groups only. Not
	// with Delta, TrackDelta or Sink.
	Only map[string][]string
	// Validated, when set, lets a file skip the schema check (Validated).
	// Later.Validated sets it for the kinds whose files are made after
	// Later returned; those made before are checked.
	Validated Validated
}

// Later is what ReadOptions.Later gives.
type Later struct {
	Delta          map[string]DeltaFrom
	UserProperties []string
	Validated      Validated
	// Previous reads the file at path in the previous snapshot: nil data
	// and no error when it holds none. A read Graph answers only in part
	// (custom security attribute values of the attribute sets a signed-in
	// user's scoped role reads: csavalues.go) keeps the rest as it was.
	// Nil: no previous snapshot, and such a read is refused.
	Previous func(path string) ([]byte, error)
	// PreviousPaths lists the files of kind k in the previous snapshot,
	// sorted (nil: none, or no previous snapshot). A read in part of
	// attribute sets or definitions (csadefs.go) keeps those of the sets it
	// cannot read.
	PreviousPaths func(k *layout.Kind) []string
}

// Validated tells whether data, the canonical bytes of the file at path
// before the schema check, are byte for byte those of the file at path in
// a snapshot whose files were checked by the same schemas and rules
// (SchemaVersion), and if so gives the warnings that file had then. The
// file is then not checked again: the schema check is a function of the
// bytes and the schemas, so its warnings are those. Only the previous
// warnings about the schema are kept (the secret scrub, which runs on
// every object, makes its own); a file whose previous warnings say that
// the check removed an undeclared secret is checked again (its bytes
// then were those after the removal, not before). It is called from
// several goroutines at once.
type Validated func(path string, data []byte) (previous []Warning, ok bool)

// validationRules changes when the schema check here changes what it
// removes or reports for the same schemas (prepareOne).
const validationRules = "1"

// SchemaVersion names the schemas and rules a file's warnings come from:
// files made by a build with another version are checked again.
func SchemaVersion() string { return schemas.SetHash() + "+" + validationRules }

// Live is the tenant as Read saw it: each object's file exactly as an
// export commits it, by repository path. Kinds that could not be read completely
// have no files (never an empty kind) and are listed by Incomplete.
type Live struct {
	TenantID string            `json:"tenantId"`
	Files    map[string][]byte `json:"-"`
	// Paths lists the files given to ReadOptions.Sink for the kinds read
	// completely (nil without a sink), sorted.
	Paths []string `json:"-"`
	// Kept lists the previous snapshot's files that a delta read kept as
	// they are without reading them (DeltaFrom.Read, with a sink), sorted:
	// the caller has their content.
	Kept     []string     `json:"-"`
	Kinds    []KindResult `json:"kinds"`
	Warnings []Warning    `json:"warnings,omitempty"`
	// DeltaLinks are the links to resume from next time, by kind, relative
	// to the Graph root (ReadOptions.TrackDelta). They hold only Graph's
	// opaque tokens, never a credential.
	DeltaLinks map[string]string `json:"-"`
	// ChildLinks are the links to resume the children read with delta
	// from (service principals' grants), by kind and child: the next
	// run's DeltaFrom.Children. Set with the kind's DeltaLinks entry.
	ChildLinks map[string]map[string]string `json:"-"`
	// Held are, by kind, the keys of the objects whose files hold children
	// the kind's delta round does not track (users with sponsors), sorted:
	// the next run's DeltaFrom.Held. Set for such kinds read completely.
	Held map[string][]string `json:"-"`
	// Graph traffic of the read, from graph.Client.Stats.
	Requests      int64 `json:"requests"`
	ResourceUnits int64 `json:"resourceUnits"`
	Retries       int64 `json:"retries"`
	Throttled     int64 `json:"throttled"`
}

// Incomplete lists the kinds that could not be read completely, except
// those the tenant is not licensed for and those skipped (KindResult.Skipped).
func (l *Live) Incomplete() []KindResult { return Incomplete(l.Kinds) }

// NotLicensed lists the kinds the tenant is not licensed for (no files).
func (l *Live) NotLicensed() []KindResult { return NotLicensed(l.Kinds) }

// Read reads the selected kinds from Graph and writes nothing: export
// commits what it returns, drift and restore compare it with a snapshot. It
// returns an error when the context ends, Graph cannot be reached or
// refuses the credentials, or CheckTenant refuses; a kind that fails is
// reported in Kinds, not as an error. Two objects mapping to one file are a
// *CollisionError, returned with the Live read so far (tenant and traffic).
func Read(ctx context.Context, o ReadOptions) (*Live, error) {
	if o.Client == nil {
		return nil, errors.New("live: ReadOptions.Client is required")
	}
	if o.Progress == nil {
		o.Progress = NoProgress{}
	}
	kinds := o.Kinds
	if len(kinds) == 0 {
		kinds = layout.DefaultKinds() // an OptIn kind only when named
	}
	stats0 := o.Client.Stats()
	live := &Live{Files: map[string][]byte{}}
	var err error
	for name := range o.Only {
		if !slices.Contains(OnlyKinds, name) {
			return nil, fmt.Errorf("live: %s cannot be read by id (ReadOptions.Only)", name)
		}
		if _, resumes := o.Delta[name]; resumes || o.TrackDelta || o.Sink != nil || o.Later != nil {
			return nil, errors.New("live: ReadOptions.Only does not go with Delta, TrackDelta, Sink or Later")
		}
	}
	rd := &reader{c: o.Client, progress: o.Progress, delta: o.Delta, track: o.TrackDelta, sink: o.Sink, tempDir: o.TempDir, keepUsers: keepSet(o.UserProperties), only: o.Only}
	live.TenantID, err = rd.preflight(ctx, kinds)
	if err != nil {
		return nil, err
	}
	if o.CheckTenant != nil {
		if err := o.CheckTenant(live.TenantID); err != nil {
			return nil, err
		}
	}
	if o.Later != nil {
		rd.later = o.Later
	}
	if o.Validated != nil {
		v := o.Validated
		rd.validated.Store(&v)
	}
	reads, err := rd.readAll(ctx, kinds, o.Concurrency)
	if err != nil {
		return nil, err
	}
	for _, kr := range reads {
		if live.TenantID == "" && kr.organizationID != "" {
			live.TenantID = kr.organizationID
		}
	}
	live.Requests, live.ResourceUnits, live.Retries, live.Throttled = trafficSince(o.Client, stats0)
	b, kindResults, err := results(reads)
	if err != nil {
		return live, err
	}
	live.Kinds = kindResults
	live.Files = b.files
	for _, kr := range reads {
		if kr.err == nil && kr.deltaLink != "" {
			if live.DeltaLinks == nil {
				live.DeltaLinks = map[string]string{}
			}
			live.DeltaLinks[kr.kind.Name] = kr.deltaLink
			if kr.childLinks != nil {
				if live.ChildLinks == nil {
					live.ChildLinks = map[string]map[string]string{}
				}
				live.ChildLinks[kr.kind.Name] = kr.childLinks
			}
		}
		if kr.err == nil && kr.held != nil {
			if live.Held == nil {
				live.Held = map[string][]string{}
			}
			held := slices.Clone(kr.held)
			slices.SortFunc(held, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
			live.Held[kr.kind.Name] = slices.CompactFunc(held, strings.EqualFold)
		}
	}
	live.Paths = b.sunk
	live.Kept = b.kept
	live.Warnings = b.warnings
	return live, nil
}

// PartialPrefix starts KindResult.Partial (and the manifest's partial):
// a presenter with its own label for it leaves the prefix out.
const PartialPrefix = "read in part: "

// KindResult is one kind's outcome.
type KindResult struct {
	Kind   string `json:"kind"`
	Title  string `json:"title"`
	Folder string `json:"folder"`
	// Objects in the snapshot: as read, or as carried when incomplete.
	Objects int `json:"objects"`
	// Previous is the count in the previous snapshot (0 when none).
	Previous int  `json:"previous"`
	Requests int  `json:"requests"`
	Complete bool `json:"complete"`
	// Read is how a kind of DeltaKinds was read: "delta" (changes since
	// the previous run applied to its files) or "full"; "" for other kinds.
	Read string `json:"read,omitempty"`
	// Note says why a kind of DeltaKinds was read in full.
	Note string `json:"note,omitempty"`
	// Reason says why the kind is incomplete (stable text, as in the manifest).
	Reason string `json:"reason,omitempty"`
	// Permissions to grant when a read was denied.
	Permissions []string `json:"permissions,omitempty"`
	// NotLicensed names the licence the tenant lacks for the kind (Graph
	// refused it for that, licence.go). Such a kind is not Complete (its
	// files are carried) and not Incomplete either: it is listed by
	// NotLicensed, and a snapshot with it still exits 0.
	NotLicensed string `json:"notLicensed,omitempty"`
	// Skipped says why the kind was not read by design, its files kept:
	// Graph serves it to delegated callers only and the token is app-only
	// (rollout.go). Like NotLicensed, such a kind is neither Complete nor
	// Incomplete.
	Skipped string `json:"skipped,omitempty"`
	// PartNotLicensed, on a kind read completely, names the licence a part
	// of its read needed and what the files lack for it ("licence: what"):
	// role-assignments in a tenant without P2 (roles.go).
	PartNotLicensed string `json:"partNotLicensed,omitempty"`
	// Partial, on a kind read completely, says that Graph answered part of
	// it only (custom security attributes of the attribute sets a signed-in
	// user's scoped role reads: csavalues.go, csadefs.go) and that the rest
	// was kept as the previous snapshot holds it: which sets were read and
	// which kept. The manifest records it (layout.StatePartial). It starts
	// with PartialPrefix.
	Partial string `json:"partial,omitempty"`
	// Err is the full error of an incomplete kind.
	Err error `json:"-"`
}

// Warning is a problem that did not stop the export: a file that does not
// match its kind's schema, or a secret-looking property removed.
type Warning struct {
	Path     string `json:"path"`
	Kind     string `json:"kind"`
	Property string `json:"property,omitempty"`
	Message  string `json:"message"`
}

// String is the warning for a person, escaped for a terminal (layout.Safe).
func (w Warning) String() string {
	if w.Property != "" {
		return layout.Safe(w.Path + ": " + w.Property + ": " + w.Message)
	}
	return layout.Safe(w.Path + ": " + w.Message)
}

// SecretRemoved reports a warning for a secret-looking property that was
// removed (its value is never reported).
func (w Warning) SecretRemoved() bool {
	return w.Message == msgUndeclaredSecret || w.Message == msgSecretRemoved
}

// Incomplete lists the kinds of kinds that could not be read completely,
// except those the tenant is not licensed for.
func Incomplete(kinds []KindResult) []KindResult {
	var out []KindResult
	for _, k := range kinds {
		if !k.Complete && k.NotLicensed == "" && k.Skipped == "" {
			out = append(out, k)
		}
	}
	return out
}

// NotLicensed lists the kinds of kinds the tenant is not licensed for.
func NotLicensed(kinds []KindResult) []KindResult {
	var out []KindResult
	for _, k := range kinds {
		if k.NotLicensed != "" {
			out = append(out, k)
		}
	}
	return out
}

// CollisionError: two objects map to one file.
type CollisionError struct {
	Path        string
	Kind        string
	Key1, Key2  string
	CaseFolding bool
}

func (e *CollisionError) Error() string {
	how := "the same file"
	if e.CaseFolding {
		how = "files whose names differ only in case (one file on Windows and macOS)"
	}
	return fmt.Sprintf("refusing to write the snapshot, nothing was committed: %s objects %q and %q map to %s %s; this is a bug in the layout catalog, please report it",
		e.Kind, e.Key1, e.Key2, how, e.Path)
}

// preflight reads the tenant id (GET /organization) before the long read,
// so that bad credentials, an unreachable Graph or another tenant's
// repository stop the run at once. It is the organization's one read
// (issue 12): when the organization kind is among kinds it asks for that
// kind's list and keeps the pages for it (reader.orgPages), else for
// $select=id; the id it yields is the branding kinds' (reader.orgID). A
// 403 is not fatal: the app may lack Organization.Read.All and still read
// other kinds; it is kept as the answer of the later reads of the
// organization (reader.orgErr).
func (r *reader) preflight(ctx context.Context, kinds []*layout.Kind) (string, error) {
	c := r.c
	u := "/v1.0/organization?$select=id"
	i := slices.IndexFunc(kinds, func(k *layout.Kind) bool { return k.Name == "organization" })
	if i >= 0 {
		u = "/" + kinds[i].APIVersion + kinds[i].ListPath + listQuery(kinds[i])
	}
	var id string
	var pages [][]json.RawMessage
	err := c.List(ctx, u, func(items []json.RawMessage) error {
		pages = append(pages, items)
		for _, it := range items {
			if o, err := decodeObject(it); err == nil && id == "" {
				id, _ = o["id"].(string)
			}
		}
		return nil
	})
	if err == nil && i >= 0 {
		r.orgPages = pages
	}
	if err == nil && layout.IsGUID(id) {
		r.orgID = id
	}
	switch {
	case err == nil:
		return id, nil
	case ctx.Err() != nil:
		return "", ctx.Err()
	case graph.IsForbidden(err):
		// No Organization.Read.All: the token's tid claim still says which
		// tenant answered, so the manifest records it and a restore from
		// this snapshot can check it is writing to the same tenant. The
		// 403 is the organization kind's answer too, and the branding
		// kinds' when the token has no tid (reader.orgErr): one refused
		// read, not three.
		r.orgErr = err
		tid, terr := c.TokenTenantID(ctx)
		if terr != nil {
			return "", nil
		}
		return tid, nil
	case graph.AsError(err) != nil && graph.AsError(err).Status == 401:
		return "", fmt.Errorf("Graph does not accept the credentials: %w; check the access token, or the app's credentials and tenant", err)
	}
	return "", fmt.Errorf("cannot read from Graph at %s, nothing was read or committed: %w", c.BaseURL(), err)
}

// results turns the reads into per-kind results and, for the kinds read
// completely, their files: what Read returns.
func results(reads []*kindRead) (*builder, []KindResult, error) {
	b := newBuilder()
	out := make([]KindResult, 0, len(reads))
	for _, kr := range reads {
		k := kr.kind
		r := KindResult{Kind: k.Name, Title: k.Title, Folder: k.Folder, Requests: kr.requests, Note: kr.note, PartNotLicensed: kr.partLicence, Partial: kr.partial}
		if se, ok := kr.err.(*sinkError); ok {
			return nil, nil, se.err
		}
		if kr.err == nil {
			r.Read = kr.mode
		}
		if kr.err != nil {
			r.Err = kr.err
			var ke *KindError
			if errors.As(kr.err, &ke) {
				r.Reason, r.Permissions, r.NotLicensed = ke.Reason(), ke.Permissions, ke.Licence
				if ke.Delegated != "" {
					r.Skipped = ke.Delegated
				}
			} else {
				r.Reason = kr.err.Error()
			}
		} else {
			r.Complete = true
			r.Objects = kr.count
			if err := b.add(kr); err != nil {
				return nil, nil, err
			}
		}
		out = append(out, r)
	}
	if err := b.check(); err != nil {
		return nil, nil, err
	}
	return b, out, nil
}

// trafficSince is the Graph traffic of c since the stats s0.
func trafficSince(c *graph.Client, s0 graph.Stats) (requests, resourceUnits, retries, throttled int64) {
	st := c.Stats()
	return st.Requests - s0.Requests, st.ResourceUnits - s0.ResourceUnits, st.Retries - s0.Retries, st.Throttled - s0.Throttled
}
