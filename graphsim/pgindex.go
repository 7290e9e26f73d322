package graphsim

import (
	"sort"
	"strings"
)

// PIM for Groups schedules by groupId and by principalId (issue #12: an
// export sends one schedules request per group, each scanned every
// schedule of the tenant). Graph requires a schedules list to be scoped to
// one group or one principal (pimGroupsPreflight, scopesToOne), so a list,
// an adminAssign's look for the schedule it would duplicate, a group's
// deletion and a deleted principal's clean-up look at that group's or that
// principal's schedules only.
//
// The index is kept where a record enters or leaves its collection's live
// set (insert, detach, reattach, the loader): a schedule's groupId and
// principalId never change in place (no PATCH: NoUpdate; adminUpdate
// changes scheduleInfo only, updateSchedule). It gives candidates, never
// the answer: callers still apply their own test (the list its $filter,
// visibility and paging, exactly as on the whole collection), so the
// answers are the scan's as long as the candidates hold every record the
// scan would keep, in collection order.

// indexedProps are the properties indexed, by kind.
var indexedProps = map[string][]string{
	pgEligKind:   {"groupId", "principalId"},
	pgAssignKind: {"groupId", "principalId"},
}

// propIndex holds a kind's live records by one property's value.
type propIndex struct {
	// by maps the ASCII lower case of a value to its records, in
	// collection order (seq: insert and reattach both append).
	by map[string][]*record
	// odd holds the records whose value is not ASCII, in collection order:
	// strings.EqualFold, which a $filter eq uses (cmpF.match), folds some
	// non-ASCII letters onto ASCII ones (U+212A KELVIN SIGN onto k), so
	// they are candidates for every lookup. Graph's ids are GUIDs; only a
	// seeded or hostile value lands here.
	odd []*record
}

// asciiFold is the index key of v, and false when v is not ASCII.
func asciiFold(v string) (string, bool) {
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			return "", false
		}
	}
	return strings.ToLower(v), true
}

// indexValue is the value of prop the index files r under, and false when
// r has none (a missing or null property matches no eq: cmpF.match).
func indexValue(r *record, prop string) (string, bool) {
	v, ok := r.prop(prop)
	if !ok || v == nil {
		return "", false
	}
	return str(v), true
}

// indexAdd files r, just made live. Callers hold t.mu for writing.
func (c *collection) indexAdd(r *record) {
	for _, prop := range indexedProps[c.kind.Name] {
		v, ok := indexValue(r, prop)
		if !ok {
			continue
		}
		if c.index == nil {
			c.index = map[string]*propIndex{}
		}
		ix := c.index[prop]
		if ix == nil {
			ix = &propIndex{by: map[string][]*record{}}
			c.index[prop] = ix
		}
		if key, ascii := asciiFold(v); ascii {
			ix.by[key] = append(ix.by[key], r)
		} else {
			ix.odd = append(ix.odd, r)
		}
	}
}

// indexDrop takes r, leaving the live set, out of the index. The slices
// are copied, not changed in place: a caller may be ranging over one.
// Callers hold t.mu for writing.
func (c *collection) indexDrop(r *record) {
	for _, prop := range indexedProps[c.kind.Name] {
		ix := c.index[prop]
		v, ok := indexValue(r, prop)
		if ix == nil || !ok {
			continue
		}
		if key, ascii := asciiFold(v); ascii {
			if rest := withoutRecord(ix.by[key], r); len(rest) > 0 {
				ix.by[key] = rest
			} else {
				delete(ix.by, key)
			}
		} else {
			ix.odd = withoutRecord(ix.odd, r)
		}
	}
}

// withoutRecord is list less r (a new slice when r is in it).
func withoutRecord(list []*record, r *record) []*record {
	for i, x := range list {
		if x == r {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

// candidates are the live records of kind name whose prop may equal value
// under strings.EqualFold, in collection order, and true; false when the
// index cannot say (a kind or property not indexed, a value not ASCII):
// the caller then looks at the whole collection. Callers hold t.mu.
func (t *Tenant) candidates(name, prop, value string) ([]*record, bool) {
	c := t.colls[name]
	if c == nil || !contains(indexedProps[name], prop) {
		return nil, false
	}
	key, ascii := asciiFold(value)
	if !ascii {
		return nil, false
	}
	ix := c.index[prop]
	if ix == nil {
		return nil, true
	}
	list := ix.by[key]
	if len(ix.odd) == 0 {
		return list, true
	}
	out := make([]*record, 0, len(list)+len(ix.odd))
	out = append(append(out, list...), ix.odd...)
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out, true
}

// scopedCandidates are the records a schedules list filtered by f need look
// at: those of the narrowest groupId eq or principalId eq clause f holds
// (alone or and-ed, as scopesToOne reads it), or the whole collection.
// Callers hold t.mu.
func (t *Tenant) scopedCandidates(k *Kind, f filter) []*record {
	best, found := []*record(nil), false
	var visit func(f filter)
	visit = func(f filter) {
		switch f := f.(type) {
		case cmpF:
			v, isStr := f.val.(string)
			if f.op != "eq" || !isStr {
				return
			}
			for _, prop := range indexedProps[k.Name] {
				if !strings.EqualFold(f.prop, prop) {
					continue
				}
				// The clause's property as the filter names it: lookupPath
				// reads that name, so another spelling matches nothing, and
				// the candidates of the indexed name hold all it matches.
				if list, ok := t.candidates(k.Name, prop, v); ok && (!found || len(list) < len(best)) {
					best, found = list, true
				}
			}
		case andF:
			for _, part := range f {
				visit(part)
			}
		}
	}
	if f != nil {
		visit(f)
	}
	if !found {
		return t.colls[k.Name].live()
	}
	return best
}

// ofPrincipals are the live records of kind name that may name one of the
// principals in ids (lower-cased) as principalId: the index's candidates
// when it has them for every id, else the whole collection; each record
// once (the odd ones are every id's candidates). Callers hold t.mu.
func (t *Tenant) ofPrincipals(name string, ids map[string]bool) []*record {
	var out []*record
	seen := map[*record]bool{}
	for id := range ids {
		list, ok := t.candidates(name, "principalId", id)
		if !ok {
			return t.live(name)
		}
		for _, r := range list {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// live is kind name's live records (collection.live less the gone ones).
func (t *Tenant) live(name string) []*record {
	var out []*record
	for _, r := range t.colls[name].live() {
		if !r.gone {
			out = append(out, r)
		}
	}
	return out
}
