package graphsim

import (
	"math"
	"sort"
	"strings"
	"sync"
)

// Packed objects (issue 12, bench row g). A generated user or group of the
// large profile is a flat object: strings, booleans, nulls and empty
// arrays. Held as a Go map of its JSON it costs about 1.8 KB and forty heap
// objects, and at 1.2M users the collector spent its time scanning them. A
// packed object holds the same values in three allocations: its shape
// (property names and value types, shared by every object of that shape),
// its string values concatenated in one string (which the collector does
// not scan) and their end offsets.
//
// A record is packed (record.packed set, record.obj nil) or plain. Reads
// that only look (list, get, delta, $filter, persist) use record.view or
// record.prop, which expand a packed record without keeping the map; every
// other access goes through record.o, which turns the record plain for good
// (under the tenant's write lock a caller may change the map it returns).
// Answers are the same either way: TestPackedTenantAnswersAsThePlainOne.

// Value kinds of a shape's slots.
const (
	packString = iota
	packTrue
	packFalse
	packNull
	packEmptyArray
)

// objShape is the property names of packed objects and their value kinds.
type objShape struct {
	keys  []string
	kinds []byte
	slot  map[string]int // key → its index in keys
}

// packedObj is one object's values in its shape's order.
type packedObj struct {
	shape *objShape
	data  string   // the string values, concatenated
	ends  []uint16 // ends[i]: end of slot i's value in data (start: ends[i-1])
}

func (p *packedObj) value(i int) any {
	switch p.shape.kinds[i] {
	case packString:
		return p.str(i)
	case packTrue:
		return true
	case packFalse:
		return false
	case packEmptyArray:
		return []any{}
	}
	return nil
}

// expand is the object as a new map (the caller's to keep or change).
func (p *packedObj) expand() map[string]any {
	m := make(map[string]any, len(p.shape.keys))
	for i, k := range p.shape.keys {
		m[k] = p.value(i)
	}
	return m
}

// get is one property's value and whether the object has it.
func (p *packedObj) get(name string) (any, bool) {
	if i, ok := p.shape.slot[name]; ok {
		return p.value(i), true
	}
	return nil, false
}

// packKind is the slot kind of v, false when v cannot be packed.
func packKind(v any) (byte, bool) {
	switch x := v.(type) {
	case string:
		return packString, true
	case bool:
		if x {
			return packTrue, true
		}
		return packFalse, true
	case nil:
		return packNull, true
	case []any:
		if x != nil && len(x) == 0 {
			return packEmptyArray, true
		}
	}
	return 0, false
}

// packer packs the objects of one tenant's generation; it remembers the
// shapes it made (a large tenant's users have a handful).
type packer struct {
	shapes []*objShape
}

// shapeOf finds or makes the shape of m, nil when m cannot be packed.
func (pk *packer) shapeOf(m map[string]any) *objShape {
next:
	for _, s := range pk.shapes {
		if len(s.keys) != len(m) {
			continue
		}
		for i, k := range s.keys {
			v, ok := m[k]
			if !ok {
				continue next
			}
			if kind, ok := packKind(v); !ok || kind != s.kinds[i] {
				continue next
			}
		}
		return s
	}
	if len(pk.shapes) >= 64 {
		return nil // not a generated tenant's regular objects: keep maps
	}
	s := &objShape{slot: make(map[string]int, len(m))}
	for k := range m {
		s.keys = append(s.keys, k)
	}
	sort.Strings(s.keys)
	for i, k := range s.keys {
		kind, ok := packKind(m[k])
		if !ok {
			return nil
		}
		s.kinds = append(s.kinds, kind)
		s.slot[k] = i
	}
	pk.shapes = append(pk.shapes, s)
	return s
}

// pack turns r packed when its object is flat. Callers hold t.mu for
// writing (the generator, before the tenant is shared).
func (pk *packer) pack(r *record) {
	if r == nil || r.obj == nil || r.packed.Load() != nil {
		return
	}
	s := pk.shapeOf(r.obj)
	if s == nil {
		return
	}
	n := 0
	for i, k := range s.keys {
		if s.kinds[i] == packString {
			n += len(r.obj[k].(string))
		}
	}
	if n > math.MaxUint16 {
		return // not a generated object's strings: keep the map
	}
	var b strings.Builder
	b.Grow(n)
	ends := make([]uint16, len(s.keys))
	for i, k := range s.keys {
		if s.kinds[i] == packString {
			b.WriteString(r.obj[k].(string))
		}
		ends[i] = uint16(b.Len())
	}
	r.packed.Store(&packedObj{shape: s, data: b.String(), ends: ends})
	r.obj = nil
}

// unpackMu serializes turning packed records plain: reads under the
// tenant's read lock may do it (record.o) at the same time.
var unpackMu sync.Mutex

// o is r's object, to read or (under the write lock) change. A packed
// record becomes plain.
func (r *record) o() map[string]any {
	if r.packed.Load() != nil {
		unpackMu.Lock()
		if p := r.packed.Load(); p != nil {
			r.obj = p.expand()
			r.packed.Store(nil)
		}
		unpackMu.Unlock()
	}
	return r.obj
}

// view is r's object to read only: a packed record's is a new map that
// is not kept.
func (r *record) view() map[string]any {
	if p := r.packed.Load(); p != nil {
		return p.expand()
	}
	return r.obj
}

// prop is one property of r's object, to read only.
func (r *record) prop(name string) (any, bool) {
	if p := r.packed.Load(); p != nil {
		return p.get(name)
	}
	v, ok := r.obj[name]
	return v, ok
}

// setObj replaces r's object. Callers hold t.mu for writing.
func (r *record) setObj(m map[string]any) {
	r.packed.Store(nil)
	r.obj = m
}

// str is packed slot i's string (slots of kind packString), unboxed.
func (p *packedObj) str(i int) string {
	start := uint16(0)
	if i > 0 {
		start = p.ends[i-1]
	}
	return p.data[start:p.ends[i]]
}

// propStr is r's property name as str would give it, without boxing a
// packed string (record.key, indexes).
func (r *record) propStr(name string) string {
	if p := r.packed.Load(); p != nil {
		if i, ok := p.shape.slot[name]; ok && p.shape.kinds[i] == packString {
			return p.str(i)
		}
		return ""
	}
	return str(r.obj[name])
}

// strOf is str(r.get(name)) without boxing a packed string: typeOf asks
// it of every member of every group a delta round sends (issue 12).
func (r *record) strOf(name string) string {
	if p := r.packed.Load(); p != nil {
		if i, ok := p.shape.slot[name]; ok && p.shape.kinds[i] == packString {
			return p.str(i)
		}
	}
	return str(r.get(name))
}

// noteIDs notes the ids among p's property names and string values, as
// Tenant.noteIDs of its map would. Callers hold t.mu.
func (p *packedObj) noteIDs(t *Tenant) {
	if t.ids == nil {
		return
	}
	for i, k := range p.shape.keys {
		t.noteID(k)
		if p.shape.kinds[i] == packString {
			t.noteID(p.str(i))
		}
	}
}

// get is one property of r's object (nil when absent), to read only.
func (r *record) get(name string) any {
	v, _ := r.prop(name)
	return v
}
