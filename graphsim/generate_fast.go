package graphsim

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The large profile's regular users and security groups made packed
// directly (issue 12, bench row g). Made the ordinary way, each object was
// a map built for the create hook, Seed and postAt, then packed
// (compact.go) and dropped: most of the build's allocations and CPU at 1.2M
// users. A fastMaker makes the first object of each variant (a user
// enabled or not) the ordinary way and learns from its packed form which
// slots hold the values the generator passes (fastTmpl.from) and what the
// others hold (the hook's and Seed's constants). Later objects of the
// variant are packed directly from their values, drawing the ids the hook
// and Seed draw, in their order (the security identifier, then the id).
//
// So that a change to a hook cannot make the fast objects drift from what
// the ordinary path makes, one object in fastCheckEvery is still made the
// ordinary way and compared with what the template makes of its values:
// a difference fails the generation. TestFastGeneratorMakesTheSameTenant
// compares a whole tenant with one made the ordinary way (Save's bytes).

const fastCheckEvery = 1024

// fastDrawn: the first two of a fastMaker's keys are drawn by the fast
// path (and read back from the ordinary path's object).
var fastDrawn = []string{"securityIdentifier", "id"}

type fastMaker struct {
	g     *generator
	kind  *Kind
	keys  []string // fastDrawn, then the values the caller passes, in order
	tmpls map[int]*fastTmpl
	made  int
}

// fastTmpl is what a variant's objects have in common.
type fastTmpl struct {
	shape *objShape
	from  []int    // slot → index into the object's values, -1: vals[slot]
	vals  []string // the template's string values, by slot
}

// newFastMaker is nil when the generator keeps plain objects.
func (g *generator) newFastMaker(kind string, keys ...string) *fastMaker {
	if g.pk == nil || g.s.opts.slowPacking {
		return nil
	}
	return &fastMaker{g: g, kind: kindByName[kind], keys: append(append([]string(nil), fastDrawn...), keys...), tmpls: map[int]*fastTmpl{}}
}

// make stores one object of variant with values vals (the caller's, after
// len(fastDrawn) empty slots), or calls slow, which makes it the ordinary
// way (post, then pack) and returns its id. It returns the id.
func (fm *fastMaker) make(variant int, vals []string, slow func() string) string {
	if fm == nil {
		return slow()
	}
	g := fm.g
	if g.err != nil {
		return ""
	}
	tm := fm.tmpls[variant]
	fm.made++
	if tm == nil || fm.made%fastCheckEvery == 1 {
		id := slow()
		if id == "" {
			return id
		}
		p := g.record(fm.kind.Name, id).packed.Load()
		if p == nil {
			return id // not packable: this variant is made the ordinary way
		}
		for i, k := range fastDrawn {
			vals[i] = str(p.value(p.shape.slot[k]))
		}
		if tm == nil {
			fm.tmpls[variant] = fm.learn(p)
		} else if q := tm.build(vals); q == nil || !samePacked(p, q) {
			g.fail("graphsim: the large generator's direct packing of %s %s differs from the ordinary path (generate_fast.go): its template no longer matches the create hook", fm.kind.Name, id)
		}
		return id
	}
	t := g.t
	vals[0] = "S-1-12-1-" + strconv.FormatUint(t.rng.Uint64()%4294967295, 10) // as createUser, createGroup
	vals[1] = t.newID()                                                       // as Seed
	p := tm.build(vals)
	if p == nil {
		g.fail("graphsim: %s %s: a value is too long to pack", fm.kind.Name, vals[1])
		return ""
	}
	r := &record{kind: fm.kind}
	r.packed.Store(p)
	c := t.colls[fm.kind.Name]
	for _, u := range fm.kind.Unique {
		if v := r.propStr(u); v != "" && c.unique[u][strings.ToLower(v)] != nil {
			g.fail("%s %q: another object has %s %q", fm.kind.Name, vals[1], u, v)
			return ""
		}
	}
	t.insertRecord(r)
	r.visibleAt = time.Time{} // as Seed
	return r.key()
}

// learn is the template of p's variant: nil when p does not hold every key
// as a string (then the variant is made the ordinary way).
func (fm *fastMaker) learn(p *packedObj) *fastTmpl {
	tm := &fastTmpl{shape: p.shape, from: make([]int, len(p.shape.keys)), vals: make([]string, len(p.shape.keys))}
	for i := range tm.from {
		tm.from[i] = -1
		if p.shape.kinds[i] == packString {
			tm.vals[i] = p.value(i).(string)
		}
	}
	for j, k := range fm.keys {
		i, ok := p.shape.slot[k]
		if !ok || p.shape.kinds[i] != packString {
			return nil
		}
		tm.from[i] = j
	}
	return tm
}

// build packs an object of the template with values vals; nil when its
// strings are too long to pack.
func (tm *fastTmpl) build(vals []string) *packedObj {
	if tm == nil {
		return nil
	}
	val := func(i int) string {
		if f := tm.from[i]; f >= 0 {
			return vals[f]
		}
		return tm.vals[i]
	}
	n := 0
	for i, kind := range tm.shape.kinds {
		if kind == packString {
			n += len(val(i))
		}
	}
	if n > math.MaxUint16 {
		return nil
	}
	var b strings.Builder
	b.Grow(n)
	ends := make([]uint16, len(tm.shape.keys))
	for i, kind := range tm.shape.kinds {
		if kind == packString {
			b.WriteString(val(i))
		}
		ends[i] = uint16(b.Len())
	}
	return &packedObj{shape: tm.shape, data: b.String(), ends: ends}
}

func samePacked(p, q *packedObj) bool {
	if p.shape != q.shape || p.data != q.data || len(p.ends) != len(q.ends) {
		return false
	}
	for i := range p.ends {
		if p.ends[i] != q.ends[i] {
			return false
		}
	}
	return true
}
