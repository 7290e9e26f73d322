package live

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// Delta reads (graph-semantics.md §2.3).
//
// groups are always read through GET /groups/delta with $select of the
// stored properties plus members and owners: one round returns every group
// with its member and owner ids as members@delta / owners@delta (Graph
// documents that any directoryObject-collection relationship, such as
// owners, can be selected on groups), about one resource unit per page,
// instead of one members and one owners request per group (3 + 1 units
// each). A group whose relationships span pages is repeated, each time with
// another slice: the slices are merged. Graph documents no $top for delta
// (it is not sent; the page size is Graph's).
//
// users are read through GET /users/delta too when the caller keeps delta
// state (ReadOptions.TrackDelta): the round's deltaLink is where the next
// run resumes. (A GET /users/delta?$deltatoken=latest before a list in
// pages of 999, "sync from now", costs fewer pages but loses a user created
// just before it: the token is past the user's creation while the list,
// read from replicas that lag, may not show the user yet; graph-semantics.md
// §2.3 "replication delays apply". Nothing would show that user until the
// next full read. TestIncrementalExportUnderThrottlingFaultsAndLag.)
// Without delta state (drift, restore) users are listed in pages of 999.
//
// applications, service principals and administrative units are read
// through their delta functions too (GET /applications/delta,
// /servicePrincipals/delta, /directory/administrativeUnits/delta, no
// $select: every property, as the list without $select), but those track
// properties only. What Graph documents (graphsim/doc.go "Delta rounds"):
//   - application delta and servicePrincipal delta (learn:/graph/api/
//     application-delta, serviceprincipal-delta): $select of properties, id
//     always returned, $filter by id only; @removed changed/deleted as for
//     every directory object. The delta overview (learn:/graph/
//     delta-query-overview) documents relationships as rel@delta for users
//     and groups only and says "navigation properties are not supported":
//     an app's owners, a service principal's owners, appRoleAssignedTo and
//     oauth2PermissionGrants are not tracked (graphsim refuses them in
//     $select), so a change to them does not show the parent.
//   - administrativeUnit delta (learn:/graph/api/administrativeunit-delta):
//     its example shows members@delta on an initial round; nothing says a
//     later round reports member changes, nor scopedRoleMembers (strict:
//     not reported).
//   - /oauth2PermissionGrants/delta is documented (v1.0): when tracking,
//     the service principals' grants resume from it (grants.go).
//   - Nothing in the rounds tells which apps or service principals had an
//     owner or an app role assignment added or removed; the directory
//     audit log does, minutes late and with AuditLog.Read.All (apps.go:
//     a later round reads those again, the periodic full read all).
//   - The application and servicePrincipal lists take $expand=owners (and
//     appRoleAssignedTo), which returns at most 20 related objects per
//     object and no nextLink (known issue 13635): one list of 100 objects a
//     page gives every such list shorter than 20 (untrackedChildren,
//     expandRefs).
// So for these kinds the round gives the properties and the deletions, and
// every child relationship (spec.rels are none) is read again in full for
// every object, each run: owners of apps and service principals and
// service principals' appRoleAssignedTo through the lists' $expand (per
// parent for one that shows 20), members and scopedRoleMembers per unit
// (through $batch: units are few, and a unit's members may need
// Member.Read.Hidden), the grants from /oauth2PermissionGrants (from its
// delta function when tracking: grants.go). A later round reads the
// owners, credentials, extension properties, app role assignments and
// classifications of apps and service principals again only where the
// directory audit log names them (apps.go). README "Large tenants" gives
// what a daily run costs.
//
// A later round (ReadOptions.Delta) applies the changes to the previous
// snapshot's files of the kind: an object listed with @removed is dropped;
// another object's properties are those of its previous file overlaid with
// the properties the round returned (Graph returns the changed properties,
// and by default the unchanged selected ones too; a cleared property comes
// as null) and its relationships are the previous ones plus the ids added,
// minus those marked @removed. A created or restored object has no previous
// file and is taken as returned. Objects the round does not mention keep
// their previous file's bytes.

// deltaSpec is a kind read with delta.
type deltaSpec struct {
	// rels are the relationships the round tracks (Refs children).
	rels []string
	// listUntracked: a full read without delta state is a list in pages of
	// 999 (cheaper than the round, whose pages Graph sizes); otherwise, and
	// always when tracking, the full read is the kind's initial round.
	listUntracked bool
	// inline: every relationship of rels is single-valued (a user's
	// manager), so an initial round gives it whole in its object's item
	// and the round streams as one without rels does (users.go).
	inline bool
	// streamUntracked: the untracked children are all read with the list's
	// $expand before the round, then attached a page of objects at a time,
	// so objects are not held until every child is read; a later round
	// reads again only the previous files of the objects it changed and of
	// those that hold such children now or did before (DeltaFrom.Held)
	// (users.go).
	streamUntracked bool
}

var deltaKinds = map[string]deltaSpec{
	"groups": {rels: []string{"members", "owners"}},
	// users: every full read is a round, which gives the manager
	// ($select=manager); a list cannot. Sponsors, which delta does not
	// track, through the list's $expand (users.go).
	"users": {rels: []string{"manager"}, inline: true, streamUntracked: true},
	// Properties only: their children are read in full each run (untracked).
	"applications":         {},
	"service-principals":   {},
	"administrative-units": {},
}

// untracked is k with only the children spec's round does not track (read
// in full for every object after the round); nil when there are none.
func untracked(k *layout.Kind, spec deltaSpec) *layout.Kind {
	var rest []layout.Child
	for _, c := range k.Children {
		if !slices.Contains(spec.rels, c.Name) {
			rest = append(rest, c)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	kk := *k
	kk.Children = rest
	return &kk
}

// DeltaKinds are the kinds that can resume from a deltaLink (ReadOptions.Delta).
// Not directory-roles: Graph has GET /directoryRoles/delta
// (learn:/graph/api/directoryrole-delta), but the activated roles (a
// hundred at most) come in one list request, which a round without changes
// costs too (TestDirectoryRolesReadInOneRequest).
func DeltaKinds() []string {
	out := make([]string, 0, len(deltaKinds))
	for k := range deltaKinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// DeltaFrom is where a kind's read resumes.
type DeltaFrom struct {
	// Link is the deltaLink the previous run kept, relative to the Graph
	// root ("/v1.0/groups/delta?$deltatoken=...").
	Link string
	// Files are the kind's files in the previous snapshot, by path. When
	// nil, Paths lists them and Read reads one (only the files of objects
	// the round changed are read; the others are kept as they are, listed
	// in Live.Kept when there is a sink).
	Files map[string][]byte
	Paths []string
	Read  func(path string) ([]byte, error)
	// Held are the keys of the objects whose previous file holds children
	// the round does not track (users with sponsors: Live.Held of the
	// previous run). A kind with such children (users) cannot resume
	// without it: nil means unknown, and the kind is read in full.
	Held []string
	// Children are the deltaLinks of the kind's children read with delta
	// (grants.go), by child name; a child without one is read in full.
	Children map[string]string
	// Since is the kind's last full read, when every object's untracked
	// children (users' sponsors) were read: the audit log since then tells
	// which to read again (users.go, apps.go). Zero: unknown, or a run
	// that must hold every change made before it (the exporter sets it on
	// a scheduled run only, exporter.Options.Scheduled: the log names a
	// change minutes after it), all are read.
	Since time.Time
	// Now is when the run started (AuditKinds: a previous schedule that
	// ends before it, plus AuditMargin, is read again; pimgroups.go; apps
	// and service principals: a last full read older than the audit log
	// keeps its records reads every relationship, apps.go). Zero: the
	// local clock.
	Now time.Time
}

// ErrBadDeltaLink: a stored deltaLink is not one Graph gave for the kind.
var ErrBadDeltaLink = errors.New("not a deltaLink of this kind")

// deltaPath is the delta function of k with its $select.
func deltaPath(k *layout.Kind, spec deltaSpec) string {
	sel := append(append([]string(nil), k.Select...), spec.rels...)
	return "/" + k.APIVersion + k.ListPath + "/delta" + query(selectParam(sel))
}

// DeltaQuery is the request a full delta read of kind starts with: its
// $select names the properties a link tracks. A link kept from a read with
// another query (the catalog changed) must not be resumed.
func DeltaQuery(kind string) string {
	k, ok := layout.Lookup(kind)
	spec, delta := deltaKinds[kind]
	if !ok || !delta {
		return ""
	}
	return deltaPath(k, spec)
}

// CheckDeltaLink checks that link (relative to the Graph root) is a
// deltaLink of kind: the kind's delta function with only $-parameters
// (Graph's $deltatoken, $select, ...). A state file is read from a
// repository anyone may have edited: a link to another path, or one with
// other parameters, is refused.
func CheckDeltaLink(kind, link string) error {
	k, ok := layout.Lookup(kind)
	if _, delta := deltaKinds[kind]; !ok || !delta {
		return fmt.Errorf("%s: %w (the kind is not read with delta)", kind, ErrBadDeltaLink)
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path != "/"+k.APIVersion+k.ListPath+"/delta" {
		return fmt.Errorf("%s: %w (want a path %s/delta)", kind, ErrBadDeltaLink, "/"+k.APIVersion+k.ListPath)
	}
	q := u.Query()
	for p := range q {
		if !strings.HasPrefix(p, "$") {
			return fmt.Errorf("%s: %w (parameter %q)", kind, ErrBadDeltaLink, layout.Safe(p))
		}
	}
	if q.Get("$deltatoken") == "" {
		return fmt.Errorf("%s: %w (no $deltatoken)", kind, ErrBadDeltaLink)
	}
	return nil
}

// relative turns a deltaLink Graph sent into a path under the client's root.
func (r *reader) relative(link string) (string, error) {
	base := strings.TrimSuffix(r.c.BaseURL(), "/")
	if rest, ok := strings.CutPrefix(link, base); ok && strings.HasPrefix(rest, "/") {
		return rest, nil
	}
	if strings.HasPrefix(link, "/") {
		return link, nil
	}
	return "", errors.New("Graph sent a deltaLink outside its own root")
}

// deltaRead is what a delta-aware read of one kind produced (its objects
// went to the writer).
type deltaRead struct {
	carried []prepared // unchanged files of the previous snapshot
	link    string     // the next deltaLink, relative ("" when none)
	mode    string     // "delta" or "full"
	// childLinks are the next deltaLinks of the children read with delta
	// (grants.go), by child name.
	childLinks map[string]string
	note       string // why a resume fell back to a full read
	// read reads a previous file that carried holds without its bytes.
	read func(path string) ([]byte, error)
	// held are the keys of the objects written with untracked children
	// (spec.streamUntracked), sorted; nil for other kinds.
	held []string
}

// deltaChange is one object's merged items in a round, held in compact
// form until the round ends (an object may come back on a later page with
// more of its relationships): its properties as JSON, its relationships as
// a log of compact references (refs).
type deltaChange struct {
	id      string
	removed bool
	props   []byte       // a JSON object; nil when none
	rels    []*relChange // one per relationship read, in the order first seen
	// recs are the offsets of the object's records in sp's file once the
	// round spilled (spill.go); props and rels are then nil until load.
	recs []int64
	sp   *roundSpill
}

// relChange is a relationship's changes in the order read: ids added or
// removed (@removed).
type relChange struct {
	name   string
	tab    *refTable
	events []ref
}

// ref is one relationship entry of a delta round, 20 bytes instead of a
// decoded map: a lower-case GUID id as its 16 bytes, any other id in the
// round's table (its index in g); the @odata.type in the table too, and
// both flags, in meta. A large tenant's groups round holds one a
// membership (a million at 20,000 groups of 50) until it ends, so each
// byte here is a megabyte there (issue 12, peak memory).
type ref struct {
	g    [16]byte // the GUID; for an odd id, its index in refTable.odd (first 4 bytes, little-endian)
	meta uint32   // (1 + index of the @odata.type in refTable.types, 0: none) << 2 | odd << 1 | removed
}

const (
	refRemoved = 1 << 0 // an @removed entry
	refOdd     = 1 << 1 // the id is not a lower-case GUID: g holds its index in refTable.odd
	refTypeBit = 2      // meta >> refTypeBit: 1 + index of the @odata.type, 0 when none
)

func (r ref) removed() bool { return r.meta&refRemoved != 0 }

// typ is 1 + the index of r's @odata.type in the table, 0 when none.
func (r ref) typ() uint32 { return r.meta >> refTypeBit }

// refTable holds the ids that are not lower-case GUIDs and the @odata.type
// values of one round, each once (a group whose members have such ids
// repeats them on every page and round item: each is stored once).
type refTable struct {
	odd     []string
	oddIdx  map[string]uint32
	types   []any
	typeIdx map[string]uint32
}

func newRefTable() *refTable {
	return &refTable{oddIdx: map[string]uint32{}, typeIdx: map[string]uint32{}}
}

// maxRefTypes is the most @odata.type values a round's table holds (meta
// keeps 30 bits for the index).
const maxRefTypes = 1<<(32-refTypeBit) - 1

// put makes the ref of id (with its @odata.type, when present).
func (t *refTable) put(id string, typ any, hasType, removed bool) (ref, error) {
	var r ref
	if removed {
		r.meta |= refRemoved
	}
	if g, ok := parseLowerGUID(id); ok {
		r.g = g
	} else {
		i, known := t.oddIdx[id]
		if !known {
			if uint64(len(t.odd)) >= math.MaxUint32 {
				return r, errors.New("more ids that are not GUIDs in one delta round than entrasnap can hold")
			}
			i = uint32(len(t.odd))
			t.odd = append(t.odd, id)
			t.oddIdx[id] = i
		}
		binary.LittleEndian.PutUint32(r.g[:4], i)
		r.meta |= refOdd
	}
	if hasType {
		i, known := uint32(0), false
		if s, ok := typ.(string); ok {
			i, known = t.typeIdx[s]
		}
		if !known {
			if len(t.types) >= maxRefTypes {
				return r, errors.New("more @odata.type values in one delta round than entrasnap can hold")
			}
			t.types = append(t.types, typ)
			i = uint32(len(t.types))
			if s, ok := typ.(string); ok {
				t.typeIdx[s] = i
			}
		}
		r.meta |= i << refTypeBit
	}
	return r, nil
}

// id is r's id as Graph sent it.
func (t *refTable) id(r ref) string {
	if r.meta&refOdd != 0 {
		return t.odd[binary.LittleEndian.Uint32(r.g[:4])]
	}
	const hexd = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, x := range r.g {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexd[x>>4], hexd[x&15]
		j += 2
	}
	return string(b[:])
}

// object is r as stored: {id, @odata.type}.
func (t *refTable) object(r ref) map[string]any { return t.objectWithID(r, t.id(r)) }

// objectWithID is object(r) with r's id made already.
func (t *refTable) objectWithID(r ref, id string) map[string]any {
	if i := r.typ(); i != 0 {
		return map[string]any{"id": id, "@odata.type": t.types[i-1]}
	}
	return map[string]any{"id": id}
}

// parseLowerGUID parses a GUID written in lower case (as Graph writes
// ids); any other form is kept as a string, exactly.
func parseLowerGUID(s string) (g [16]byte, ok bool) {
	return guidBytes(s, false)
}

// deltaItems runs one delta round from link (a delta query of a kind, or
// of a child collection: grants.go): fn sees each item in order with its
// id, lower-cased too, and whether it is @removed. A request is counted
// per page, and for a failed page that was no Graph error (cut off, not
// answered). It returns the round's next link relative (r.relative).
func (r *reader) deltaItems(ctx context.Context, link string, requests *atomic.Int64, fn func(o map[string]any, id, lid string, removed bool) error) (string, error) {
	next, err := r.c.Delta(ctx, link, func(items []json.RawMessage) error {
		requests.Add(1)
		for _, it := range items {
			o, err := decodeObject(it)
			if err != nil {
				return err
			}
			id, _ := o["id"].(string)
			if id == "" {
				return errors.New("Graph returned a delta item without id")
			}
			_, gone := o["@removed"]
			if err := fn(o, id, strings.ToLower(id), gone); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if graph.AsError(err) == nil && ctx.Err() == nil {
			requests.Add(1)
		}
		return "", err
	}
	return r.relative(next)
}

// deltaRound runs one round from link and merges the items per object, in
// the order objects first appear. Past spillAfter bytes the merged items go
// to a temporary file in dir ("": the system's), read back one object at a
// time when build makes it (spill.go); release removes the file once the
// caller is done with the changes.
// seen, when set, is given each item as it arrives (the groups census:
// pimgroups.go).
func (r *reader) deltaRound(ctx context.Context, link string, spec deltaSpec, requests *atomic.Int64, seen func(o map[string]any)) (changes []*deltaChange, next string, release func(), err error) {
	m := newRoundMerge(spec, r.tempDir, spillAfter)
	defer func() {
		if err != nil {
			m.sp.close()
		}
	}()
	rel, err := r.deltaItems(ctx, link, requests, func(o map[string]any, id, lid string, removed bool) error {
		if seen != nil {
			seen(o)
		}
		return m.add(o, id, lid, removed)
	})
	if err != nil {
		return nil, "", nil, err
	}
	order, err := m.end()
	if err != nil {
		return nil, "", nil, err
	}
	return order, rel, m.sp.close, nil
}

// roundMerge merges a round's items per object, in the order objects first
// appear.
type roundMerge struct {
	spec  deltaSpec
	byID  map[string]*deltaChange
	order []*deltaChange
	tab   *refTable
	sp    *roundSpill
}

func newRoundMerge(spec deltaSpec, dir string, limit int64) *roundMerge {
	tab := newRefTable()
	return &roundMerge{spec: spec, byID: map[string]*deltaChange{}, tab: tab,
		sp: &roundSpill{dir: dir, limit: limit, tab: tab}}
}

// add merges one item (id as sent, lid lower-cased).
func (m *roundMerge) add(o map[string]any, id, lid string, removed bool) error {
	ch := m.byID[lid]
	if ch == nil {
		ch = &deltaChange{id: id}
		m.byID[lid] = ch
		m.order = append(m.order, ch)
	}
	if removed {
		ch.removed, ch.props, ch.rels, ch.recs = true, nil, nil, nil
		return nil
	}
	ch.removed = false
	// Once spilling, each item is merged alone (into a scratch change) and
	// appended to the file as a record of ch.
	into := ch
	if m.sp.spilling() {
		into = &deltaChange{id: id}
	}
	props := map[string]any{}
	var err error
	if into.props != nil {
		if props, err = decodeObject(into.props); err != nil {
			return err
		}
	}
	held := -int64(len(into.props))
	for p, v := range o {
		name, isRel := strings.CutSuffix(p, "@delta")
		if !isRel {
			props[p] = v
			continue
		}
		if !slices.Contains(m.spec.rels, name) {
			continue
		}
		if refs, ok := v.([]any); ok {
			held += int64(len(refs)) * int64(unsafe.Sizeof(ref{}))
		}
		if err := into.relate(m.tab, name, v); err != nil {
			return err
		}
	}
	if into.props, err = json.Marshal(props); err != nil {
		return err
	}
	if m.sp.spilling() {
		return m.sp.put(ch, into)
	}
	if m.sp.held += held + int64(len(into.props)); m.sp.held > m.sp.limit {
		return m.sp.start(m.order)
	}
	return nil
}

// end is the round's changes, in order, readable (load) until m.sp.close.
func (m *roundMerge) end() ([]*deltaChange, error) {
	m.byID = nil
	if err := m.sp.finish(); err != nil {
		m.sp.close()
		return nil, err
	}
	return m.order, nil
}

// relate merges one rel@delta slice.
func (ch *deltaChange) relate(tab *refTable, rel string, v any) error {
	refs, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%s@delta is not an array", rel)
	}
	rc := ch.rel(rel)
	if rc == nil {
		rc = &relChange{name: rel, tab: tab}
		ch.rels = append(ch.rels, rc)
	}
	// A group's members come in slices of 20 items across pages and are
	// held until the round ends: grow by a quarter at least (not append's
	// doubling, which left 80 places for a group of 50 members: 34 MB
	// held instead of 21 at 20,000 groups), amortised for huge groups.
	if n := len(rc.events) + len(refs); n > cap(rc.events) {
		rc.events = append(make([]ref, 0, max(n, len(rc.events)*5/4)), rc.events...)
	}
	for _, x := range refs {
		m, ok := x.(map[string]any)
		if !ok {
			return fmt.Errorf("%s@delta holds a value that is not an object", rel)
		}
		id, _ := m["id"].(string)
		if id == "" {
			return fmt.Errorf("%s@delta holds an entry without id", rel)
		}
		_, gone := m["@removed"]
		typ, hasType := m["@odata.type"]
		r, err := tab.put(id, typ, hasType, gone)
		if err != nil {
			return err
		}
		rc.events = append(rc.events, r)
	}
	return nil
}

// rel is the changes of the relationship named rel, nil when none.
func (ch *deltaChange) rel(rel string) *relChange {
	for _, rc := range ch.rels {
		if rc.name == rel {
			return rc
		}
	}
	return nil
}

// replay is the relationship's changes: refs added (by lower-case id) and
// ids removed, the last event of an id counting.
func (rc *relChange) replay() (add map[string]map[string]any, remove map[string]bool) {
	add, remove = make(map[string]map[string]any, len(rc.events)), map[string]bool{}
	for _, e := range rc.events {
		id := rc.tab.id(e) // made once: a GUID's is lower-case already
		lid := id
		if e.meta&refOdd != 0 {
			lid = strings.ToLower(id)
		}
		if e.removed() {
			delete(add, lid)
			remove[lid] = true
			continue
		}
		delete(remove, lid)
		add[lid] = rc.tab.objectWithID(e, id)
	}
	return add, remove
}

// apply is the object after ch, from its previous state base (nil when new).
func apply(k *layout.Kind, spec deltaSpec, base map[string]any, ch *deltaChange) (map[string]any, error) {
	if err := ch.load(); err != nil { // a spilled round's records (spill.go)
		return nil, err
	}
	defer ch.unload()
	obj := map[string]any{}
	for p, v := range base {
		obj[p] = v
	}
	if ch.props != nil {
		props, err := decodeObject(ch.props)
		if err != nil {
			return nil, err
		}
		for p, v := range props {
			obj[p] = v
		}
	}
	for _, rel := range spec.rels {
		var child layout.Child
		for _, c := range k.Children {
			if c.Name == rel {
				child = c
			}
		}
		var items []map[string]any
		var add map[string]map[string]any
		var remove map[string]bool
		if rc := ch.rel(rel); rc != nil {
			add, remove = rc.replay()
		}
		prev, _ := base[rel].([]any)
		items = make([]map[string]any, 0, len(prev)+len(add))
		for _, x := range prev {
			m, ok := x.(map[string]any)
			if !ok {
				continue
			}
			if lid := strings.ToLower(keyString(m["id"])); remove[lid] || add[lid] != nil {
				continue // removed, or replaced by the round's ref below
			}
			if child.Refs {
				m = refItem(m) // as childList shapes it: the round's are shaped already (replay)
			}
			items = append(items, m)
		}
		ids := make([]string, 0, len(add))
		for lid := range add {
			ids = append(ids, lid)
		}
		sort.Strings(ids)
		for _, lid := range ids {
			items = append(items, add[lid])
		}
		obj[rel] = childListOf(child, items, true)
	}
	return obj, nil
}

// applyBatch is how many objects a delta read hands to the writer at once.
const applyBatch = 100

// feed gives w the objects of the changes a page (applyBatch) at a time,
// releasing each change once its object is made; base, when set, is the
// previous state of a change's object.
func feed(w *writer, k *layout.Kind, spec deltaSpec, changes []*deltaChange, base func(ch *deltaChange) (map[string]any, bool, error)) error {
	return build(k, spec, changes, base, w.add)
}

// build makes the objects of the changes and hands them to add a page
// (applyBatch) at a time, in a new slice each time.
func build(k *layout.Kind, spec deltaSpec, changes []*deltaChange, base func(ch *deltaChange) (map[string]any, bool, error), add func([]map[string]any) error) error {
	batch := make([]map[string]any, 0, applyBatch)
	for i, ch := range changes {
		changes[i] = nil
		var b map[string]any
		if base != nil {
			var keep bool
			var err error
			if b, keep, err = base(ch); err != nil {
				return err
			} else if !keep {
				continue
			}
		}
		obj, err := apply(k, spec, b, ch)
		if err != nil {
			return err
		}
		batch = append(batch, obj)
		if len(batch) == applyBatch {
			if err := add(batch); err != nil {
				return err
			}
			batch = make([]map[string]any, 0, applyBatch)
		}
	}
	return add(batch)
}

// readDelta reads a kind of deltaKinds: resuming from r.delta when given,
// else in full.
func (r *reader) readDelta(ctx context.Context, k *layout.Kind, spec deltaSpec, requests *atomic.Int64, w *writer) (*deltaRead, error) {
	note := ""
	if from, ok := r.delta[k.Name]; ok {
		res, err := r.resume(ctx, k, spec, from, requests, w)
		var rs *graph.ErrResyncRequired
		switch {
		case err == nil:
			return res, nil
		case errors.As(err, &rs):
			note = "Graph no longer knows the delta token (410 Gone or expired): read in full"
		case errors.Is(err, ErrBadDeltaLink), errors.As(err, new(*layout.DecodeError)):
			note = "the delta state cannot be used (" + err.Error() + "): read in full"
		case errors.As(err, new(*KindError)):
			return nil, err // a child read after the round, already described
		default:
			return nil, kindError(k, "delta round", err, r.named(k.ReadPermissions))
		}
		if np, ok := r.progress.(NoteProgress); ok {
			np.KindNote(k.Name, note)
		}
		if err := w.reset(); err != nil {
			return nil, err
		}
	}
	res := &deltaRead{mode: "full", note: note}
	if (r.track || !spec.listUntracked) && (len(spec.rels) == 0 || spec.inline) && (untracked(k, spec) == nil || spec.streamUntracked) {
		// Nothing to merge across pages (no relationship slices, no
		// children to read after the round): each page goes to the writer
		// as it comes, as a list's does (users: memory does not grow with
		// them).
		link, err := r.streamRound(ctx, k, spec, requests, w, res)
		if err != nil {
			return nil, err
		}
		if r.track {
			res.link = link
		}
		return res, nil
	}
	if r.track || !spec.listUntracked {
		var seen func(o map[string]any)
		if w.census != nil {
			seen = func(o map[string]any) { w.census.seen([]map[string]any{o}) }
			// The round's items are shown to the census as they arrive;
			// the merged objects fed to w are not shown again (files.go).
			w.censusSeen = true
			defer func() { w.censusSeen = false }()
		}
		changes, link, release, err := r.deltaRound(ctx, deltaPath(k, spec), spec, requests, seen)
		if err != nil {
			perms := append([]string(nil), k.ReadPermissions...)
			for _, c := range k.Children {
				if slices.Contains(spec.rels, c.Name) {
					perms = append(perms, c.ReadPermissions...)
				}
			}
			return nil, kindError(k, "delta round", err, r.named(perms))
		}
		defer release()
		keep := func(ch *deltaChange) (map[string]any, bool, error) { return nil, !ch.removed, nil }
		if uk := untracked(k, spec); uk != nil {
			cds := r.childDeltas(k, nil, nil) // grants.go
			err = r.feedWithChildren(ctx, w, k, uk, spec, changes, keep, requests, cds, nil, nil)
			res.childLinks, _ = childLinks(cds)
		} else {
			err = feed(w, k, spec, changes, keep)
		}
		if err != nil {
			return nil, deltaObjectError(k, err)
		}
		if r.track {
			res.link = link
		}
		return res, nil
	}
	if err := r.listInto(ctx, k, requests, w); err != nil {
		return nil, err
	}
	return res, nil
}

// streamRound runs an initial round of a kind whose items need no merging
// and hands each page to w. An item marked @removed (an object that went
// during the round) is left out: the next round reports it again. An
// object repeated across pages is written once (the writer keeps one file
// per key).
func (r *reader) streamRound(ctx context.Context, k *layout.Kind, spec deltaSpec, requests *atomic.Int64, w *writer, res *deltaRead) (string, error) {
	var stop error
	add := w.add
	if uk := untracked(k, spec); uk != nil {
		pc, err := r.pageChildren(ctx, uk, requests) // users.go
		if err != nil {
			return "", err
		}
		add = pc.adder(w, res)
	}
	next, err := r.c.Delta(ctx, deltaPath(k, spec), func(items []json.RawMessage) error {
		requests.Add(1)
		page, err := roundItems(k, spec, items, "delta round", nil)
		if err != nil {
			stop = err
			return stop
		}
		stop = add(page)
		return stop
	})
	if stop != nil {
		return "", deltaObjectError(k, stop)
	}
	if err != nil {
		if graph.AsError(err) == nil && ctx.Err() == nil {
			requests.Add(1)
		}
		return "", kindError(k, "delta round", err, r.named(k.ReadPermissions))
	}
	link, err := r.relative(next)
	if err != nil {
		return "", kindError(k, "delta round", err, nil)
	}
	return link, nil
}

// roundItems decodes the items of an initial round's page, leaving out
// those marked @removed (an object that went during the round: the next
// round reports it again) and inlining single-valued relationships
// (inlineRels); check, when set, may refuse an item.
func roundItems(k *layout.Kind, spec deltaSpec, items []json.RawMessage, what string, check func(o map[string]any) error) ([]map[string]any, error) {
	page := make([]map[string]any, 0, len(items))
	for _, it := range items {
		o, err := decodeObject(it)
		if err != nil {
			return nil, &KindError{Kind: k.Name, What: what, Err: err}
		}
		if _, gone := o["@removed"]; gone {
			continue
		}
		if check != nil {
			if err := check(o); err != nil {
				return nil, &KindError{Kind: k.Name, What: what, Err: err}
			}
		}
		if err := inlineRels(k, spec, o); err != nil {
			return nil, &KindError{Kind: k.Name, What: what, Err: err}
		}
		page = append(page, o)
	}
	return page, nil
}

// deltaObjectError is the error of a delta round's object that cannot be
// made: the writer's own errors as they are.
func deltaObjectError(k *layout.Kind, err error) error {
	var ke *KindError
	var se *sinkError
	if errors.As(err, &ke) || errors.As(err, &se) {
		return err
	}
	return &KindError{Kind: k.Name, What: "delta round", Err: err}
}

// prevFiles are a resumed kind's files in the previous snapshot by
// lower-cased key: one map for the round (a second, of paths alone, held
// 5 MB more at 100,000 users; issue 12).
type prevFiles map[string]prevFile

// prevFile is one previous file: its path and its object's key (part of
// the path: layout.Locate).
type prevFile struct{ path, key string }

// resume runs a later round from from.Link and applies it to the
// previous files: only those of the objects the round changed are read;
// the others are carried as they are.
func (r *reader) resume(ctx context.Context, k *layout.Kind, spec deltaSpec, from DeltaFrom, requests *atomic.Int64, w *writer) (*deltaRead, error) {
	if err := CheckDeltaLink(k.Name, from.Link); err != nil {
		return nil, err
	}
	paths := from.Paths
	read := from.Read
	if from.Files != nil {
		paths = make([]string, 0, len(from.Files))
		for p := range from.Files {
			paths = append(paths, p)
		}
		read = func(p string) ([]byte, error) { return from.Files[p], nil }
	}
	if read == nil {
		read = func(p string) ([]byte, error) { return nil, fmt.Errorf("%s: no way to read the previous file", p) }
	}
	// The previous files by key; every path must be one of the kind's.
	prev := make(prevFiles, len(paths))
	for _, p := range paths {
		fk, key, err := layout.Locate(p)
		if err != nil || fk != k {
			return nil, fmt.Errorf("%s: %w (previous file %s is not a %s file)", k.Name, ErrBadDeltaLink, layout.Safe(p), k.Name)
		}
		prev[strings.ToLower(key)] = prevFile{p, key}
	}
	changes, link, release, err := r.deltaRound(ctx, from.Link, spec, requests, nil)
	if err != nil {
		return nil, err
	}
	defer release()
	res := &deltaRead{mode: "delta", link: link, read: read}
	changed := make(map[string]bool, len(changes))
	removedNow := map[string]bool{}
	for _, ch := range changes {
		changed[strings.ToLower(ch.id)] = true
		if ch.removed {
			removedNow[strings.ToLower(ch.id)] = true
		}
	}
	keys := make([]string, 0, len(prev))
	for lid := range prev {
		keys = append(keys, lid)
	}
	sort.Strings(keys)
	uk := untracked(k, spec)
	// again: the unchanged objects whose files are read again for their
	// untracked children (nil: all of them).
	var again map[string]bool
	var pc *pageReads
	var plan *rereads
	if uk != nil && spec.streamUntracked {
		if from.Held == nil {
			return nil, fmt.Errorf("%s: %w (the state does not list the objects with %s)", k.Name, ErrBadDeltaLink, childNames(uk))
		}
		// Only the objects the audit log names, when it can tell (users.go).
		var note string
		if plan, note, err = r.plannedRereads(ctx, uk, from, prev, changes, read, requests); err != nil {
			return nil, &KindError{Kind: k.Name, What: "delta round", Err: err}
		}
		if plan != nil {
			again = plan.again
		} else {
			if np, ok := r.progress.(NoteProgress); ok && note != "" {
				np.KindNote(k.Name, note)
			}
			res.note = note
			if pc, err = r.pageChildren(ctx, uk, requests); err != nil { // users.go
				return nil, err
			}
			again = pc.holding()
			for _, key := range from.Held {
				again[strings.ToLower(key)] = true
			}
		}
	}
	// An app's or service principal's children: only those the audit log
	// names are read again (apps.go); the others keep their previous lists.
	var cp *childPlan
	if uk != nil && !spec.streamUntracked && auditedChildren[k.Name] {
		var note string
		if cp, note, err = r.plannedChildRereads(ctx, uk, from, prev, changes, requests); err != nil {
			return nil, &KindError{Kind: k.Name, What: "delta round", Err: err}
		}
		if note != "" {
			if np, ok := r.progress.(NoteProgress); ok {
				np.KindNote(k.Name, note)
			}
			res.note = note
		}
	}
	// (sized once, with room for the files the round makes, which
	// kindRead.carry puts before them: grown by append, the list of a
	// no-change day's 100,000 users allocated four times its size and kept
	// up to twice, and a second list of them was made with those files)
	res.carried = make([]prepared, 0, len(keys)+len(changes))
	for _, lid := range keys {
		if f := prev[lid]; !changed[lid] && (uk == nil || again != nil && !again[lid]) {
			c := prepared{path: f.path, key: f.key}
			if from.Files != nil {
				c.data = from.Files[f.path]
			}
			res.carried = append(res.carried, c)
		}
	}
	// Changed objects in key order of their previous files, then the new
	// ones in the order read.
	var ordered, added []*deltaChange
	byKey := map[string]*deltaChange{}
	for _, ch := range changes {
		lid := strings.ToLower(ch.id)
		if _, had := prev[lid]; had {
			byKey[lid] = ch
		} else if !ch.removed {
			added = append(added, ch)
		}
	}
	for _, lid := range keys {
		if ch := byKey[lid]; ch != nil {
			ordered = append(ordered, ch)
		} else if uk != nil && (again == nil || again[lid]) {
			// Unchanged properties; its untracked children are read again.
			ordered = append(ordered, &deltaChange{id: prev[lid].key})
		}
	}
	ordered = append(ordered, added...)
	base := func(ch *deltaChange) (map[string]any, bool, error) {
		f, had := prev[strings.ToLower(ch.id)]
		if !had {
			return nil, true, nil
		}
		if ch.removed {
			return nil, false, nil
		}
		data, err := read(f.path)
		if err != nil {
			return nil, false, fmt.Errorf("reading the previous %s: %w", f.path, err)
		}
		base, err := layout.Decode(data)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", f.path, err)
		}
		return base, true, nil
	}
	if pc != nil {
		err = build(k, spec, ordered, base, pc.adder(w, res))
		// The watched objects stay watched until the next full read
		// (plannedRereads, users.go), also when this run read every
		// object's children (an export that is not scheduled, or the log
		// failing): a sponsor deleted since left their lists and may come
		// back with a restore whose record does not name them.
		for _, key := range from.Held {
			if lid := strings.ToLower(key); !removedNow[lid] {
				if _, had := prev[lid]; had {
					res.held = append(res.held, key)
				}
			}
		}
	} else if plan != nil {
		err = build(k, spec, ordered, base, plan.adder(ctx, r, uk, prev, w, res, requests))
	} else if uk != nil {
		// Graph's round does not tell which objects' children changed:
		// every object's are read again (a failure fails the kind, which
		// is then carried forward whole, as any incomplete kind), but
		// for those read with delta (grants.go).
		fresh := make(map[string]bool, len(added))
		for _, ch := range added {
			fresh[strings.ToLower(ch.id)] = true
		}
		cds := r.childDeltas(k, &from, fresh)
		var lost func(string)
		if auditedChildren[k.Name] {
			// Watched (apps.go, as users' sponsors): the objects that
			// lost an owner or assignment principal since the last full
			// read (a user deleted: a restore brings it back with no
			// record naming the app), read again on any day the log or
			// the round names anything, until the next full read.
			res.held = []string{}
			for _, key := range from.Held {
				if lid := strings.ToLower(key); !removedNow[lid] {
					if _, had := prev[lid]; had {
						res.held = append(res.held, key)
					}
				}
			}
			lost = func(key string) { res.held = append(res.held, key) }
		}
		err = r.feedWithChildren(ctx, w, k, uk, spec, ordered, base, requests, cds, cp, lost)
		if cp != nil && cp.note != "" {
			if np, ok := r.progress.(NoteProgress); ok {
				np.KindNote(k.Name, cp.note)
			}
			res.note = strings.TrimPrefix(res.note+"; "+cp.note, "; ")
		}
		var note string
		res.childLinks, note = childLinks(cds)
		if note != "" {
			res.note = strings.TrimPrefix(res.note+"; "+note, "; ")
		}
	} else {
		err = feed(w, k, spec, ordered, base)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// feedWithChildren is feed for a kind whose round leaves the children uk
// untracked: its objects are held until those children are read for all
// of them, then handed to w (these are the smaller kinds: applications,
// service principals, administrative units).
// lost, when set, is called with the key of each object whose children,
// read again, no longer name an id its previous file's did (apps.go).
func (r *reader) feedWithChildren(ctx context.Context, w *writer, k, uk *layout.Kind, spec deltaSpec, changes []*deltaChange, base func(ch *deltaChange) (map[string]any, bool, error), requests *atomic.Int64, cds map[string]*childDelta, cp *childPlan, lost func(string)) error {
	var pages [][]map[string]any
	err := build(k, spec, changes, base, func(page []map[string]any) error {
		pages = append(pages, page)
		return nil
	})
	if err != nil {
		return err
	}
	var objs []map[string]any
	for _, p := range pages {
		objs = append(objs, p...)
	}
	var before []map[string]bool
	if lost != nil {
		for _, o := range objs {
			before = append(before, childRefs(uk, o))
		}
	}
	if err := r.untrackedChildren(ctx, uk, objs, requests, cds, cp); err != nil {
		return err
	}
	kp := uk.KeyProp()
	for i, o := range before {
		now := childRefs(uk, objs[i])
		for id := range o {
			if !now[id] {
				key, _ := objs[i][kp].(string)
				lost(key)
				break
			}
		}
	}
	for _, p := range pages {
		if err := w.add(p); err != nil {
			return err
		}
	}
	return nil
}

// NoteProgress is a Progress that also takes notes about a kind's read
// (a delta token Graph no longer knows, so the kind is read in full).
type NoteProgress interface {
	KindNote(kind, note string)
}

// expandable are the untracked children read with $expand on the kind's
// list: Graph documents $expand on the application and servicePrincipal
// lists; on relationships of directory objects it returns at most 20
// related objects per item with no nextLink (known issue 13635,
// graphsim/doc.go): a parent that shows 20 may have more and is read on
// its own.
var expandable = map[string]bool{"applications/owners": true, "service-principals/owners": true,
	"service-principals/appRoleAssignedTo": true,
	// layout/catalog_apps.go: at most 20 credentials per app, so the list's
	// $expand gives them all for nearly every app.
	"applications/federatedIdentityCredentials": true, "applications/extensionProperties": true,
	"service-principals/delegatedPermissionClassifications": true,
	// A user has few sponsors (users.go).
	"users/sponsors": true}

// expandLimit is the most related objects Graph's $expand returns.
const expandLimit = 20

// untrackedChildren reads the children of uk (a kind narrowed to the
// relationships its delta round does not track) for every object: owners
// from the list's $expand where that is complete, the rest per parent
// (children). With a plan (cp, apps.go), the expandable children are read
// again only for the objects it names, per parent; the others keep the
// lists of their previous files (objs are built on them).
func (r *reader) untrackedChildren(ctx context.Context, uk *layout.Kind, objs []map[string]any, requests *atomic.Int64, cds map[string]*childDelta, cp *childPlan) error {
	var rest, listed []layout.Child
	kp := uk.KeyProp()
	for _, ch := range uk.Children {
		if expandable[uk.Name+"/"+ch.Name] {
			listed = append(listed, ch)
		}
	}
	if cp != nil && len(listed) > 0 && cp.decide(uk, listed, objs) {
		var ask []map[string]any
		for _, o := range objs {
			key, _ := o[kp].(string)
			if cp.again[strings.ToLower(key)] {
				ask = append(ask, o)
			}
		}
		if len(ask) > 0 {
			one := *uk
			one.Children = listed
			if err := r.children(ctx, &one, ask, requests); err != nil {
				return err
			}
		}
		listed = nil
	}
	for _, ch := range uk.Children {
		if !expandable[uk.Name+"/"+ch.Name] {
			rest = append(rest, ch)
			continue
		}
		if !slices.ContainsFunc(listed, func(c layout.Child) bool { return c.Name == ch.Name }) {
			continue // read above, from the plan
		}
		got, err := r.expandRefs(ctx, uk, ch, requests, true) // (not listed: read on its own)
		if err != nil {
			perms := append(append([]string(nil), uk.ReadPermissions...), ch.ReadPermissions...)
			return kindError(uk, ch.Name+" of "+uk.Title+" ($expand)", err, r.named(perms))
		}
		var left []map[string]any
		for _, o := range objs {
			key, _ := o[kp].(string)
			items, ok := got[strings.ToLower(key)]
			if !ok || len(items) >= expandLimit {
				left = append(left, o) // not listed (created since), or maybe more than shown
				continue
			}
			o[ch.Name] = childList(ch, items)
		}
		if len(left) > 0 {
			one := *uk
			one.Children = []layout.Child{ch}
			if err := r.children(ctx, &one, left, requests); err != nil {
				return err
			}
		}
	}
	if len(rest) == 0 {
		return nil
	}
	others := *uk
	others.Children = rest
	return r.childrenDelta(ctx, &others, objs, requests, cds)
}

// childLinks are the next links of cds, by child name (nil when none),
// and their notes.
func childLinks(cds map[string]*childDelta) (map[string]string, string) {
	var out map[string]string
	var notes []string
	for name, cd := range cds {
		if cd.next != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[name] = cd.next
		}
		if cd.note != "" {
			notes = append(notes, cd.note)
		}
	}
	sort.Strings(notes)
	return out, strings.Join(notes, "; ")
}

// expandRefs lists the kind's ids with ch expanded, in pages of 100 (the
// most Graph serves with $expand), by lower-case key. Without empty, an
// object listed with no child is left out (as one not listed): what the
// users' sponsors read holds grows with the users that have sponsors, not
// with the tenant (issue 12, peak memory).
func (r *reader) expandRefs(ctx context.Context, k *layout.Kind, ch layout.Child, requests *atomic.Int64, empty bool) (map[string][]map[string]any, error) {
	out := map[string][]map[string]any{}
	err := r.c.List(ctx, "/"+k.APIVersion+k.ListPath+"?$select=id&$expand="+ch.Path+"&$top=100", func(items []json.RawMessage) error {
		requests.Add(1)
		for _, it := range items {
			o, err := decodeObject(it)
			if err != nil {
				return err
			}
			id, _ := o["id"].(string)
			v, present := o[ch.Name]
			list, isList := v.([]any)
			if id == "" || !present || (!isList && v != nil) {
				return fmt.Errorf("Graph answered an item without id or %s", ch.Name)
			}
			if len(list) == 0 && !empty {
				continue
			}
			refs := make([]map[string]any, 0, len(list))
			for _, x := range list {
				m, ok := x.(map[string]any)
				if !ok {
					return fmt.Errorf("%s holds a value that is not an object", ch.Name)
				}
				refs = append(refs, m)
			}
			out[strings.ToLower(id)] = refs
		}
		return nil
	})
	if err != nil {
		if graph.AsError(err) == nil && ctx.Err() == nil {
			requests.Add(1)
		}
		return nil, err
	}
	return out, nil
}
