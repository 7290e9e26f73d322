package graphsim

import (
	"maps"
	"slices"
	"strings"
)

// Compact links (issue 12, bench row g). A record's relationships
// (members, owners, manager, policy links) are lists of ids. Held as
// []string they cost a string header (16 bytes) per entry plus the append
// slack, about 35 bytes a membership: at 1.2M users the large tenant's 10M
// memberships were a third of a gigabyte. Here a list is a []uint32 of
// indexes into its tenant's linkTable, which holds every linked id once:
// 4 bytes a membership.
//
// The table finds an id's index without a map of its own when the id is a
// live directory object's (nearly always): the record keeps its index
// (record.lid), found through the tenant's dirIndex. Other ids (a
// deleted object's, an id a saved tenant carried, a case-different
// spelling) go in the table's map. Lists keep the exact strings they were
// given, so answers stay byte for byte what the []string lists gave
// (TestCompactLinksAnswerAsStringLists).
//
// Reads (any goroutine holding t.mu for reading) only index the table;
// writes (intern, add, remove) need t.mu for writing, or the generator
// before the tenant is shared.

// linkTable is one tenant's linked ids.
type linkTable struct {
	t     *Tenant
	names []string          // index → id; names[0] is unused (record.lid 0: none yet)
	other map[string]uint32 // ids that are not a live directory object's own spelling
}

func newLinkTable(t *Tenant) *linkTable {
	return &linkTable{t: t, names: []string{""}}
}

// intern is id's index, added when new.
func (tab *linkTable) intern(id string) uint32 {
	x, _ := tab.internLive(id)
	return x
}

// internLive is intern, also saying whether id is a live directory
// object's own id.
func (tab *linkTable) internLive(id string) (uint32, bool) {
	if r := tab.t.dirIndex[strings.ToLower(id)]; r != nil {
		// names[r.lid] is r's key: comparing it spares reading the record's
		// object (a large build's links touch records at random).
		if r.lid != 0 && tab.names[r.lid] == id {
			return r.lid, true
		}
		if r.lid == 0 && r.key() == id {
			r.lid = tab.add(id)
			return r.lid, true
		}
	}
	if i, ok := tab.other[id]; ok {
		return i, false
	}
	i := tab.add(id)
	if tab.other == nil {
		tab.other = map[string]uint32{}
	}
	tab.other[id] = i
	return i, false
}

func (tab *linkTable) add(id string) uint32 {
	tab.names = append(tab.names, id)
	return uint32(len(tab.names) - 1)
}

// relIDs is one relationship's targets, in the order they were added.
type relIDs struct {
	rel string
	ids []uint32
}

// linkSet is a record's relationships.
type linkSet struct {
	tab  *linkTable
	rels []relIDs
}

// idList is one relationship's targets, to read: the ids as they were
// given. Its zero value is an empty list.
type idList struct {
	ids   []uint32
	names []string
}

func (l idList) len() int { return len(l.ids) }

func (l idList) at(i int) string { return l.names[l.ids[i]] }

// all yields the ids in order.
func (l idList) all() func(yield func(int, string) bool) {
	return func(yield func(int, string) bool) {
		for i, x := range l.ids {
			if !yield(i, l.names[x]) {
				return
			}
		}
	}
}

// strings is a new []string of the ids.
func (l idList) strings() []string {
	if len(l.ids) == 0 {
		return nil
	}
	out := make([]string, len(l.ids))
	for i, x := range l.ids {
		out[i] = l.names[x]
	}
	return out
}

// indexFold is the position of id (any case), -1 when absent.
func (l idList) indexFold(id string) int {
	for i, x := range l.ids {
		if strings.EqualFold(l.names[x], id) {
			return i
		}
	}
	return -1
}

func (l idList) containsFold(id string) bool { return l.indexFold(id) >= 0 }

// contains reports whether the list holds id spelled exactly so.
func (l idList) contains(id string) bool {
	for _, x := range l.ids {
		if l.names[x] == id {
			return true
		}
	}
	return false
}

// list is rel's targets (empty for a nil set).
func (ls *linkSet) list(rel string) idList {
	if ls == nil {
		return idList{}
	}
	for _, r := range ls.rels {
		if r.rel == rel {
			return idList{ids: r.ids, names: ls.tab.names}
		}
	}
	return idList{}
}

func (ls *linkSet) find(rel string) int {
	for i, r := range ls.rels {
		if r.rel == rel {
			return i
		}
	}
	return -1
}

// add appends id to rel and says whether id is a live directory object's
// own id. Callers hold t.mu for writing.
func (ls *linkSet) add(rel, id string) (live bool) {
	x, live := ls.tab.internLive(id)
	if i := ls.find(rel); i >= 0 {
		ls.rels[i].ids = append(ls.rels[i].ids, x)
		return live
	}
	ls.rels = append(ls.rels, relIDs{rel: rel, ids: []uint32{x}})
	return live
}

// removeAt drops rel's i-th target into a new array (a reader of the old
// list keeps it as it was). Callers hold t.mu for writing.
func (ls *linkSet) removeAt(rel string, i int) {
	j := ls.find(rel)
	if j < 0 {
		return
	}
	old := ls.rels[j].ids
	ls.rels[j].ids = append(append(make([]uint32, 0, len(old)-1), old[:i]...), old[i+1:]...)
}

// set makes rel's targets ids (none: rel is dropped). Callers hold t.mu
// for writing.
func (ls *linkSet) set(rel string, ids []string) {
	j := ls.find(rel)
	if len(ids) == 0 {
		if j >= 0 {
			ls.rels = slices.Delete(slices.Clone(ls.rels), j, j+1)
		}
		return
	}
	xs := make([]uint32, len(ids))
	for i, id := range ids {
		xs[i] = ls.tab.intern(id)
	}
	if j >= 0 {
		ls.rels[j].ids = xs
		return
	}
	ls.rels = append(ls.rels, relIDs{rel: rel, ids: xs})
}

// relNames is the relationships r has (a nil set: none), sorted.
func (ls *linkSet) relNames() []string {
	if ls == nil {
		return nil
	}
	out := make([]string, 0, len(ls.rels))
	for _, r := range ls.rels {
		out = append(out, r.rel)
	}
	slices.Sort(out)
	return out
}

// toMap is the set as the map persist.go saves (nil when empty).
func (ls *linkSet) toMap() map[string][]string {
	if ls == nil || len(ls.rels) == 0 {
		return nil
	}
	m := make(map[string][]string, len(ls.rels))
	for _, r := range ls.rels {
		l := make([]string, len(r.ids)) // an emptied list saves as [], as before
		for i, x := range r.ids {
			l[i] = ls.tab.names[x]
		}
		m[r.rel] = l
	}
	return m
}

// linkTab is the tenant's link table, made when first needed.
func (t *Tenant) linkTab() *linkTable {
	if t.ltab == nil {
		t.ltab = newLinkTable(t)
	}
	return t.ltab
}

// linksOf is r's link set, made when r has none. Callers hold t.mu for
// writing.
func (t *Tenant) linksOf(r *record) *linkSet {
	if r.links == nil {
		r.links = &linkSet{tab: t.linkTab()}
	}
	return r.links
}

// linkSetFrom is a link set holding m (nil when m is empty), rels in
// sorted order. Callers hold t.mu for writing.
func (t *Tenant) linkSetFrom(m map[string][]string) *linkSet {
	if len(m) == 0 {
		return nil
	}
	ls := &linkSet{tab: t.linkTab()}
	for _, rel := range slices.Sorted(maps.Keys(m)) {
		xs := make([]uint32, len(m[rel])) // an empty list stays (saved again as [])
		for i, id := range m[rel] {
			xs[i] = ls.tab.intern(id)
		}
		ls.rels = append(ls.rels, relIDs{rel: rel, ids: xs})
	}
	return ls
}
