package graphsim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// record is one stored object with its relationships.
type record struct {
	kind      *Kind
	obj       map[string]any            // Graph JSON, without @odata.context; nil while packed
	packed    atomic.Pointer[packedObj] // compact.go: the object, packed (then obj is nil)
	seq       uint64                    // creation order; lists are returned in this order
	links     *linkSet                  // members/owners/...: ids in the order they were added (links.go)
	visibleAt time.Time                 // eventual consistency: invisible to reads before this
	deletedAt time.Time                 // non-zero while in a recycle bin
	gone      bool                      // removed from its collection (deleted or purged)
	lid       uint32                    // links.go: the index of its id in its tenant's link table, 0 before it is linked
}

func (r *record) key() string {
	return r.propStr(r.kind.key())
}

type collection struct {
	kind   *Kind
	byKey  map[string]*record // lower-cased key → live record
	order  []*record          // by seq; entries may be gone (compacted lazily)
	gone   int
	unique map[string]map[string]*record // property → lower-cased value → record
	index  map[string]*propIndex         // property → its values' live records (pgindex.go)
	// detached counts detach calls: a record of order turned gone
	// (pagememo.go). Written under t.mu for writing.
	detached uint64
	pages    pageMemo // pagememo.go
}

// live is the collection in creation order; entries may be gone (callers
// skip them). It only reads: GET handlers call it under the read lock, many
// at once, so the compaction of gone entries happens in detach, which
// holds the write lock.
func (c *collection) live() []*record { return c.order }

// compact drops gone entries once they are more than a quarter of order.
// Callers hold t.mu for writing. It builds a new slice: a caller may be
// ranging over the old one (a loop that deletes what it visits), which
// stays as it was.
func (c *collection) compact() {
	if c.gone == 0 || c.gone*4 <= len(c.order) {
		return
	}
	kept := make([]*record, 0, len(c.order)-c.gone)
	for _, r := range c.order {
		if !r.gone {
			kept = append(kept, r)
		}
	}
	c.order, c.gone = kept, 0
}

// change is one entry of the change log that delta queries read.
type change struct {
	Seq    uint64    `json:"seq"`
	Kind   string    `json:"kind"`
	ID     string    `json:"id"`
	Op     string    `json:"op"` // "upsert", "softDelete", "purge", "link", "unlink"
	Props  []string  `json:"props,omitempty"`
	Rel    string    `json:"rel,omitempty"`
	Target string    `json:"target,omitempty"`
	At     time.Time `json:"at"`
}

// Tenant is the emulated directory. All methods are safe for concurrent use.
type Tenant struct {
	mu sync.RWMutex
	id string
	// rehearsal is the instance of a rehearsal's tenant (Server's
	// RehearsalInstance), kept with it so that a saved rehearsal's tenant
	// loaded again still marks its answers.
	rehearsal string
	name      string
	domain    string
	clock     *Clock
	rng       *rand.Rand
	colls     map[string]*collection
	dirIndex  map[string]*record // live directory objects by lower-cased id
	bin       map[string]*record // soft-deleted objects (directory and CA) by lower-cased id
	// roleSweep is when dropGonePrincipalsRoles (roles.go) next has work,
	// once known: zero until it first looks, and after Seed made a role
	// entry; a principal entering the bin brings it forward (roleSweepAt).
	roleSweep time.Time
	// groupSweepSteps and roleSweepSteps count the records the end sweeps
	// looked at (dropEndedGroupSchedules, dropExpired): tests check that
	// the work is proportional to what is due, not to the tenant's size.
	groupSweepSteps, roleSweepSteps atomic.Uint64
	// groupScheduleSteps counts the PIM for Groups schedules that lists
	// (listKind) and schedule requests (groupScheduleRequest) looked at:
	// tests check that a group's or a principal's are looked at, not every
	// schedule (pgindex.go).
	groupScheduleSteps atomic.Uint64
	// deltaRefSteps counts the rel@delta references the pages of initial
	// delta rounds made (deltaInitialParts), pageSteps the records list
	// pages looked at (page): tests check that a page costs its own items,
	// not the whole group or collection again.
	deltaRefSteps, pageSteps atomic.Uint64
	// deltaLinkSteps counts the ids initial delta pages looked up.
	deltaLinkSteps atomic.Uint64
	// dirGen counts the changes of dirIndex; refCursors are where the
	// pages of an initial delta round left large relationships (delta.go).
	// Both under t.mu for writing.
	dirGen     uint64
	refCursors [4]refCursor
	// groupEnds and roleEnds are the ends still to come of PIM for Groups
	// schedules and of role assignment instances (endqueue.go).
	groupEnds, roleEnds endQueue
	changes             []change
	seq                 uint64
	// eventualDelay, when positive, hides a created object from reads for that long.
	eventualDelay time.Duration
	// clients are the credentials the token endpoint checks, by application
	// appId (credentials.go): SHA-256 hashes of client secrets with their
	// keyIds and validity, and certificates added by AddClientCertificate.
	// Save/load must carry it (clientCreds' JSON tags); it holds no secret text.
	clients map[string]*clientCreds
	// pcg is rng's source, kept so that Save can record its state (persist.go).
	pcg *rand.PCG
	// logFloor: changes up to this sequence number are not in the log (the
	// generators drop the log of a tenant's construction; a saved log may be
	// trimmed); delta tokens from before it need a full resync.
	logFloor uint64
	// ltab holds the ids records link to (links.go), made when first needed.
	ltab *linkTable
	// audits is the directory audit log (audit.go), oldest first.
	audits []auditRecord
	// ids holds every id in the tenant, so newID never repeats one (ids.go);
	// nil until the first newID after the tenant is made or loaded.
	ids map[guid]struct{}
	// reserved are the ids ReserveIDs added that no object held, sorted
	// (saved with the tenant).
	reserved []string
}

func newTenant(id, name, domain string, clock *Clock, seed uint64) *Tenant {
	pcg := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	t := &Tenant{
		id: id, name: name, domain: domain, clock: clock,
		rng:      rand.New(pcg),
		pcg:      pcg,
		colls:    map[string]*collection{},
		dirIndex: map[string]*record{},
		bin:      map[string]*record{},
		clients:  map[string]*clientCreds{},
	}
	for _, k := range kinds {
		t.colls[k.Name] = &collection{kind: k, byKey: map[string]*record{}, unique: map[string]map[string]*record{}}
		for _, u := range k.Unique {
			t.colls[k.Name].unique[u] = map[string]*record{}
		}
	}
	return t
}

// ID is the tenant id; Domain the initial domain.
func (t *Tenant) ID() string     { return t.id }
func (t *Tenant) Domain() string { return t.domain }
func (t *Tenant) Name() string   { return t.name }

// newID returns a random (seeded) GUID in Graph's lower-case form that no
// object, property or link of the tenant holds (ids.go). Callers hold t.mu.
func (t *Tenant) newID() string {
	for {
		id := t.drawID()
		if !t.idTaken(id) {
			t.noteIDs(id)
			return id
		}
	}
}

func (t *Tenant) drawID() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := t.rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (t *Tenant) now() time.Time { return t.clock.Now() }

func graphTime(tm time.Time) string { return tm.UTC().Format("2006-01-02T15:04:05Z") }

func (t *Tenant) logChange(c change) {
	t.seq++
	c.Seq = t.seq
	c.At = t.now()
	t.changes = append(t.changes, c)
	if c.Kind == "group" && c.Rel == "members" {
		t.membersChanged(c.ID, c.Target) // licences.go: group-based licences
	}
}

// insert stores obj (which must carry its key) in kind k. Callers hold t.mu
// and have validated uniqueness.
func (t *Tenant) insert(k *Kind, obj map[string]any) *record {
	r := &record{kind: k, obj: obj}
	t.insertRecord(r)
	return r
}

// insertRecord stores r (plain or packed, carrying its key) in its kind.
// Callers hold t.mu and have validated uniqueness.
func (t *Tenant) insertRecord(r *record) {
	k := r.kind
	c := t.colls[k.Name]
	t.seq++
	r.seq = t.seq
	if t.eventualDelay > 0 {
		r.visibleAt = t.now().Add(t.eventualDelay)
	}
	c.byKey[strings.ToLower(r.key())] = r
	c.order = append(c.order, r)
	c.indexAdd(r) // pgindex.go
	for p, idx := range c.unique {
		if v := r.propStr(p); v != "" {
			idx[strings.ToLower(v)] = r
		}
	}
	if k.Directory {
		t.dirIndex[strings.ToLower(r.key())] = r
		t.dirGen++
	}
	if r.obj != nil {
		t.noteIDs(r.obj)
	} else if p := r.packed.Load(); p != nil {
		p.noteIDs(t)
	}
	t.noteEnd(r) // endqueue.go
	t.logChange(change{Kind: k.Name, ID: r.key(), Op: "upsert"})
	if k.Name == "unifiedRoleAssignment" {
		t.roleMemberChanged(r.o(), "link") // dirroledelta.go
	}
}

// detach removes r from its collection's indexes (delete or soft delete).
// An index entry is removed only when it is r: another record may hold the
// key by now (the object was created again), and a record detached twice
// is counted gone once. Callers hold t.mu for writing.
func (t *Tenant) detach(r *record) {
	if r.gone {
		return
	}
	c := t.colls[r.kind.Name]
	lk := strings.ToLower(r.key())
	if c.byKey[lk] == r {
		delete(c.byKey, lk)
	}
	c.indexDrop(r) // pgindex.go
	for p, idx := range c.unique {
		if v := str(r.get(p)); v != "" && idx[strings.ToLower(v)] == r {
			delete(idx, strings.ToLower(v))
		}
	}
	if r.kind.Directory && t.dirIndex[lk] == r {
		delete(t.dirIndex, lk)
		t.dirGen++
	}
	r.gone = true
	c.gone++
	c.detached++
	c.compact()
}

// reattach puts a restored record back with a new sequence number.
func (t *Tenant) reattach(r *record) {
	c := t.colls[r.kind.Name]
	// Drop the record's old slot (unless compaction already did), or lists
	// would return a restored object twice.
	for i, x := range c.order {
		if x == r {
			c.order = append(c.order[:i:i], c.order[i+1:]...)
			c.gone--
			break
		}
	}
	r.gone = false
	r.deletedAt = time.Time{}
	// A restore replicates like a create: the restored object is invisible
	// to reads until the lag has passed (strict reading: Graph documents the
	// lag for writes in general, not for restore in particular).
	if t.eventualDelay > 0 {
		r.visibleAt = t.now().Add(t.eventualDelay)
	}
	t.seq++
	r.seq = t.seq
	c.byKey[strings.ToLower(r.key())] = r
	c.order = append(c.order, r)
	c.indexAdd(r) // pgindex.go
	for p, idx := range c.unique {
		if v := str(r.get(p)); v != "" {
			idx[strings.ToLower(v)] = r
		}
	}
	if r.kind.Directory {
		t.dirIndex[strings.ToLower(r.key())] = r
		t.dirGen++
	}
	t.noteEnd(r) // endqueue.go
}

// lookup finds a live, visible record of kind k by key. Callers hold t.mu.
func (t *Tenant) lookup(k *Kind, key string) *record {
	r := t.colls[k.Name].byKey[strings.ToLower(key)]
	if r == nil || !t.visible(r) {
		return nil
	}
	return r
}

func (t *Tenant) visible(r *record) bool {
	return (r.visibleAt.IsZero() || !t.now().Before(r.visibleAt)) && !t.expired(r) // expired: roles.go
}

// dirObject finds a live directory object of any kind by id.
func (t *Tenant) dirObject(id string) *record {
	r := t.dirIndex[strings.ToLower(id)]
	if r == nil || !t.visible(r) {
		return nil
	}
	return r
}

// purgeExpired hard-deletes recycle-bin entries older than 30 days.
// Callers hold t.mu for writing.
func (t *Tenant) purgeExpired() {
	cutoff := t.now().Add(-30 * 24 * time.Hour)
	for id, r := range t.bin {
		if r.deletedAt.Before(cutoff) {
			delete(t.bin, id)
			t.logChange(change{Kind: r.kind.Name, ID: r.key(), Op: "purge"})
			t.dropEMOrigin(r) // emresources.go
		}
	}
}

// ---- Go API for generators, tests and the demo ----

// Seed stores obj in kind without Graph's validation: generators and the
// built-in objects use it. An id is assigned when obj has none. It returns the
// stored key.
func (t *Tenant) Seed(kind string, obj map[string]any) (string, error) {
	k := kindByName[kind]
	if k == nil {
		return "", fmt.Errorf("graphsim: unknown kind %q", kind)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if str(obj[k.key()]) == "" {
		obj[k.key()] = t.newID()
	}
	if t.colls[k.Name].byKey[strings.ToLower(str(obj[k.key()]))] != nil {
		return "", fmt.Errorf("graphsim: %s %s exists", kind, str(obj[k.key()]))
	}
	seedLicenceStates(k, obj)    // licences.go
	seedNavs(k, obj)             // governance.go
	seedExternal(k, obj)         // external.go
	seedWorkflow(k, obj, t.name) // lcw.go
	t.seedEM(k, obj)             // emresources.go
	r := t.insert(k, obj)
	r.visibleAt = time.Time{}
	t.seededRole(r) // pim.go
	if k.Name == "unifiedRoleAssignment" || k.Name == "unifiedRoleEligibilitySchedule" || isGroupSchedule(k) {
		t.roleSweep = time.Time{} // roles.go: its principal may be in the bin
	}
	if k.Name == "unifiedRoleAssignment" {
		// A tenant holding an assignment of a built-in role has its
		// directory role activated (roles.go activateAssignedRole).
		if id := t.activateAssignedRole(t.findRole(str(obj["roleDefinitionId"]))); id != "" {
			t.colls["directoryRole"].byKey[strings.ToLower(id)].visibleAt = time.Time{}
		}
	}
	return r.key(), nil
}

// SeedLink adds target to the rel list (members, owners) of kind/id without
// Graph's validation.
func (t *Tenant) SeedLink(kind, id, rel, target string) error {
	k := kindByName[kind]
	if k == nil {
		return fmt.Errorf("graphsim: unknown kind %q", kind)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.colls[k.Name].byKey[strings.ToLower(id)]
	if r == nil {
		return fmt.Errorf("graphsim: %s %s not found", kind, id)
	}
	if !t.linksOf(r).add(rel, target) {
		t.noteIDs(target) // ids.go (a live object's id is noted already)
	}
	t.logChange(change{Kind: k.Name, ID: id, Op: "link", Rel: rel, Target: target})
	return nil
}

// Get returns a copy of the live object kind/key, all properties included.
func (t *Tenant) Get(kind, key string) (map[string]any, bool) {
	k := kindByName[kind]
	if k == nil {
		return nil, false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	r := t.colls[k.Name].byKey[strings.ToLower(key)]
	if r == nil {
		return nil, false
	}
	return stripHeld(deepCopy(r.view()).(map[string]any)), true
}

// Links returns the ids in kind/key's relationship rel.
func (t *Tenant) Links(kind, key, rel string) []string {
	k := kindByName[kind]
	if k == nil {
		return nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	r := t.colls[k.Name].byKey[strings.ToLower(key)]
	if r == nil {
		return nil
	}
	return r.links.list(rel).strings()
}

// List returns copies of every live object of kind, in creation order.
func (t *Tenant) List(kind string) []map[string]any {
	k := kindByName[kind]
	if k == nil {
		return nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []map[string]any
	for _, r := range t.colls[k.Name].live() {
		if !r.gone {
			out = append(out, stripHeld(deepCopy(r.view()).(map[string]any)))
		}
	}
	return out
}

// Count is the number of live objects of kind.
func (t *Tenant) Count(kind string) int {
	k := kindByName[kind]
	if k == nil {
		return 0
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.colls[k.Name].byKey)
}

// FindBy returns the key of the first live object of kind whose property prop
// equals value (case-insensitive), or "".
func (t *Tenant) FindBy(kind, prop, value string) string {
	for _, o := range t.List(kind) {
		if strings.EqualFold(str(o[prop]), value) {
			k := kindByName[kind]
			return str(o[k.key()])
		}
	}
	return ""
}

// SetEventualConsistency makes newly created objects unreadable for d (0 turns it off).
func (t *Tenant) SetEventualConsistency(d time.Duration) {
	t.mu.Lock()
	t.eventualDelay = d
	t.mu.Unlock()
}

// EventualConsistency is the replication lag SetEventualConsistency (or
// Options.EventualConsistency) set: 0 when there is none.
func (t *Tenant) EventualConsistency() time.Duration {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.eventualDelay
}

// ---- JSON helpers ----

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// deepCopy copies a value decoded from JSON.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	case []string:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = e
		}
		return s
	default:
		return v
	}
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
