package diff

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/layout"
)

// Object is one decoded object file of a snapshot.
type Object struct {
	Path string
	Kind *layout.Kind
	Key  string
	Data map[string]any
}

// Snapshot is the objects of one revision, by path.
type Snapshot map[string]*Object

// Skipped is a file LoadFiles could not read, and why.
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

func (s Skipped) String() string { return s.Path + ": " + s.Reason }

// LoadFiles decodes files (path → YAML) into a Snapshot. Files that are not
// object files (the manifest) are ignored; files that fail to decode are
// left out and returned, sorted by path, so one unreadable file does not
// make the rest of a snapshot unreadable. Callers say which were skipped,
// and refuse to act on a skipped file a user selected.
//
// The files are decoded on up to GOMAXPROCS goroutines (decoding is most of
// the time a diff of two snapshots takes); the result does not depend on
// their order.
func LoadFiles(files map[string][]byte) (Snapshot, []Skipped) {
	s, _, skipped, _ := LoadPair(files, nil)
	return s, skipped
}

// LoadPair is LoadFiles of two versions of files, before and after, for
// Compare(a, b): a file both hold is decoded with layout.DecodePair, which
// leaves out the set items (a group's members) both versions hold with the
// same text, so a large group of which a few members changed costs those
// members. Compare gives the same changes as for LoadFiles of each side;
// the objects' Data of such a file lack the items left out (use LoadFiles
// for whole objects). A file DecodePair declines is decoded whole, with
// LoadFiles' error when it cannot be read.
func LoadPair(before, after map[string][]byte) (a, b Snapshot, skipA, skipB []Skipped) {
	type job struct {
		path string
		side Side
	}
	jobs := make([]job, 0, len(before)+len(after))
	for p := range before {
		if _, both := after[p]; both {
			jobs = append(jobs, job{p, Both})
		} else {
			jobs = append(jobs, job{p, Before})
		}
	}
	for p := range after {
		if _, both := before[p]; !both {
			jobs = append(jobs, job{p, After})
		}
	}
	out := make([]Versions, len(jobs))
	decode := func(i int) {
		j := jobs[i]
		out[i] = DecodeVersions(j.path, j.side, before[j.path], after[j.path])
	}
	workers := min(runtime.GOMAXPROCS(0), len(jobs)/decodeBatch)
	if workers <= 1 {
		for i := range jobs {
			decode(i)
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)) - 1; i < len(jobs); i = int(next.Add(1)) - 1 {
					decode(i)
				}
			}()
		}
		wg.Wait()
	}
	return CollectVersions(out)
}

// Side says which versions of a file there are: Before only (deleted),
// After only (added) or Both.
type Side int

// The sides of a Versions.
const (
	Before Side = iota
	After
	Both
)

// Versions is one file's two versions decoded for Compare (LoadPair's
// unit): DecodeVersions makes it, CollectVersions gathers them. The bytes
// it was decoded from are not kept: a caller may decode each file as it
// reads it and reuse the buffers (history.LoadChanged).
type Versions struct {
	path       string
	kind       *layout.Kind
	key        string
	side       Side
	ok         bool // an object file (layout.Locate)
	objA, objB map[string]any
	errA, errB error
}

// DecodeVersions decodes the versions side says there are of the file at
// path p, before and after, as LoadPair does: a file that is not an
// object file's (the manifest) is left out by CollectVersions.
func DecodeVersions(p string, side Side, before, after []byte) Versions {
	k, key, err := layout.Locate(p)
	if err != nil {
		return Versions{path: p}
	}
	v := Versions{path: p, kind: k, key: key, side: side, ok: true}
	if side == Both {
		var ok bool
		if v.objA, v.objB, ok = layout.DecodePair(k, before, after); ok {
			return v
		}
	}
	if side != After {
		v.objA, v.errA = layout.Decode(before)
	}
	if side != Before {
		v.objB, v.errB = layout.Decode(after)
	}
	return v
}

// CollectVersions is LoadPair's result from the files' versions, in any
// order: the objects of each side, and the files of each side that could
// not be decoded, sorted by path.
func CollectVersions(vs []Versions) (a, b Snapshot, skipA, skipB []Skipped) {
	na, nb := 0, 0
	for i := range vs {
		if vs[i].side != After {
			na++
		}
		if vs[i].side != Before {
			nb++
		}
	}
	a, b = make(Snapshot, na), make(Snapshot, nb)
	keep := func(s Snapshot, skipped *[]Skipped, v *Versions, obj map[string]any, err error) {
		if err != nil {
			*skipped = append(*skipped, Skipped{Path: v.path, Reason: err.Error()})
			return
		}
		s[v.path] = &Object{Path: v.path, Kind: v.kind, Key: v.key, Data: obj}
	}
	for i := range vs {
		v := &vs[i]
		if !v.ok {
			continue
		}
		if v.side != After {
			keep(a, &skipA, v, v.objA, v.errA)
		}
		if v.side != Before {
			keep(b, &skipB, v, v.objB, v.errB)
		}
	}
	for _, sk := range [][]Skipped{skipA, skipB} {
		sort.Slice(sk, func(i, j int) bool { return sk[i].Path < sk[j].Path })
	}
	return a, b, skipA, skipB
}

// decodeBatch is the fewest files per goroutine LoadFiles starts one for.
const decodeBatch = 16

// Load is LoadFiles for callers that need every file: the objects it could
// read, and an error naming each file it could not.
func Load(files map[string][]byte) (Snapshot, error) {
	s, skipped := LoadFiles(files)
	if len(skipped) > 0 {
		return s, SkippedError(skipped)
	}
	return s, nil
}

// SkippedError is the error for files that could not be read.
func SkippedError(skipped []Skipped) error {
	parts := make([]string, len(skipped))
	for i, sk := range skipped {
		parts[i] = sk.String()
	}
	return fmt.Errorf("%d files could not be read: %s", len(skipped), strings.Join(parts, "; "))
}

// Drop removes from s the objects of the skipped files' kinds and ids
// (whatever their path there), so comparing against a snapshot where the
// file was unreadable reports nothing for that object rather than a
// removal or an addition.
func (s Snapshot) Drop(skipped []Skipped) {
	for _, sk := range skipped {
		k, key, err := layout.Locate(sk.Path)
		if err != nil {
			continue
		}
		for p, o := range s {
			if o.Kind == k && strings.EqualFold(o.Key, key) {
				delete(s, p)
			}
		}
	}
}

// Action of an object or property change.
type Action string

const (
	Added    Action = "added"
	Removed  Action = "removed"
	Changed  Action = "changed"
	Replaced Action = "replaced" // a scalar or ordered value changed
)

// Change is one changed object.
type Change struct {
	Action  Action         `json:"action"`
	Kind    string         `json:"kind"`
	Key     string         `json:"id"`
	Name    string         `json:"name"`
	OldPath string         `json:"oldPath,omitempty"`
	Path    string         `json:"path,omitempty"`
	Props   []PropChange   `json:"properties,omitempty"`
	Old     map[string]any `json:"-"`
	New     map[string]any `json:"-"`
}

// PropChange is one changed property of a changed object. For sets, Added
// and Removed hold the elements; for other values Old and New.
type PropChange struct {
	Path    string `json:"path"`
	Action  Action `json:"action"`
	Old     any    `json:"old,omitempty"`
	New     any    `json:"new,omitempty"`
	Added   []any  `json:"added,omitempty"`
	Removed []any  `json:"removed,omitempty"`
	// RefKinds is set when the values are ids of objects of these kinds.
	RefKinds []string `json:"-"`
}

// Result is the difference between two snapshots.
type Result struct {
	Changes []Change `json:"changes"`
	Names   Resolver `json:"-"`
}

// Resolver names the object an id points at. NewNames builds one from
// snapshots in memory; the CLI passes one that reads only the files it needs.
type Resolver interface {
	Name(id string) (string, bool)
}

func (r *Result) Empty() bool { return len(r.Changes) == 0 }

// Count returns added, removed and changed objects.
func (r *Result) Count() (added, removed, changed int) {
	for _, c := range r.Changes {
		switch c.Action {
		case Added:
			added++
		case Removed:
			removed++
		default:
			changed++
		}
	}
	return
}

type objKey struct{ kind, key string }

// Compare diffs from → to. Objects are matched by kind and id, so a renamed
// object (new file name) is one change, not a removal and an addition.
// names resolves referenced ids; nil uses the two snapshots themselves.
func Compare(from, to Snapshot, names Resolver) *Result {
	if names == nil {
		names = NewNames(from, to)
	}
	index := func(s Snapshot) map[objKey]*Object {
		m := make(map[objKey]*Object, len(s))
		for _, o := range s {
			m[objKey{o.Kind.Name, strings.ToLower(o.Key)}] = o
		}
		return m
	}
	a, b := index(from), index(to)
	res := &Result{Names: names}
	for k, o := range a {
		n, ok := b[k]
		if !ok {
			res.Changes = append(res.Changes, Change{Action: Removed, Kind: o.Kind.Name, Key: o.Key, Name: displayName(o),
				OldPath: o.Path, Old: o.Data})
			continue
		}
		props := compareValues(o.Kind, "", o.Data, n.Data)
		if len(props) == 0 && o.Path == n.Path {
			continue
		}
		c := Change{Action: Changed, Kind: o.Kind.Name, Key: n.Key, Name: displayName(n), Path: n.Path, Props: props, Old: o.Data, New: n.Data}
		if o.Path != n.Path {
			c.OldPath = o.Path
		}
		res.Changes = append(res.Changes, c)
	}
	for k, n := range b {
		if _, ok := a[k]; !ok {
			res.Changes = append(res.Changes, Change{Action: Added, Kind: n.Kind.Name, Key: n.Key, Name: displayName(n), Path: n.Path, New: n.Data})
		}
	}
	order := map[string]int{}
	for i, k := range layout.Kinds() {
		order[k.Name] = i
	}
	sort.Slice(res.Changes, func(i, j int) bool {
		x, y := res.Changes[i], res.Changes[j]
		if x.Kind != y.Kind {
			return order[x.Kind] < order[y.Kind]
		}
		if x.Name != y.Name {
			return strings.ToLower(x.Name) < strings.ToLower(y.Name)
		}
		return x.Key < y.Key
	})
	return res
}

// Keep drops the objects of kinds other than ks (none when ks is empty).
func (s Snapshot) Keep(ks []*layout.Kind) {
	for p, o := range s {
		if len(ks) > 0 && !slices.ContainsFunc(ks, func(k *layout.Kind) bool { return k.Name == o.Kind.Name }) {
			delete(s, p)
		}
	}
}

func displayName(o *Object) string {
	if n, ok := DisplayName(o.Data); ok {
		return n
	}
	return o.Key
}

// NameProps are the properties that name an object, in order: the one
// display-name rule of diff, history's selectors, drift and the CLI.
var NameProps = []string{"displayName", "userPrincipalName", "name"}

// DisplayName is the name people know an object by: its displayName, else
// its userPrincipalName, else its name.
func DisplayName(obj map[string]any) (string, bool) {
	for _, p := range NameProps {
		if s, ok := obj[p].(string); ok && s != "" {
			return s, true
		}
	}
	return "", false
}

// setPath turns "a.b[3].c" style walk paths into the catalog's set form "a.b[].c".
func catalogPath(p string) string {
	var b strings.Builder
	skip := false
	for _, r := range p {
		switch {
		case r == '[':
			b.WriteString("[]")
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func join(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

func refKinds(k *layout.Kind, path string) []string {
	cp := catalogPath(path)
	for _, r := range k.Refs {
		if r.Path == cp || r.Path == cp+"[].id" {
			return r.Kinds
		}
	}
	return nil
}

// equal is reflect.DeepEqual for the values a decoded file holds (maps,
// lists, strings, numbers, booleans, null), without reflection: a diff
// compares whole objects first, then each member of a changed set, so a
// group of thousands of members is walked several times.
func equal(a, b any) bool {
	switch av := a.(type) {
	case string:
		bv, ok := b.(string)
		return ok && av == bv
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) || (av == nil) != (bv == nil) {
			return false
		}
		for k, x := range av {
			y, ok := bv[k]
			if !ok || !equal(x, y) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) || (av == nil) != (bv == nil) {
			return false
		}
		for i := range av {
			if !equal(av[i], bv[i]) {
				return false
			}
		}
		return true
	case json.Number:
		bv, ok := b.(json.Number)
		return ok && av == bv
	case bool:
		bv, ok := b.(bool)
		return ok && av == bv
	case nil:
		return b == nil
	}
	return reflect.DeepEqual(a, b)
}

func compareValues(k *layout.Kind, path string, a, b any) []PropChange {
	if equal(a, b) {
		return nil
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for key := range am {
			keys[key] = true
		}
		for key := range bm {
			keys[key] = true
		}
		sorted := make([]string, 0, len(keys))
		for key := range keys {
			sorted = append(sorted, key)
		}
		sort.Strings(sorted)
		var out []PropChange
		for _, key := range sorted {
			av, ain := am[key]
			bv, bin := bm[key]
			p := join(path, key)
			switch {
			case !ain:
				out = append(out, PropChange{Path: p, Action: Added, New: bv, RefKinds: refKinds(k, p)})
			case !bin:
				out = append(out, PropChange{Path: p, Action: Removed, Old: av, RefKinds: refKinds(k, p)})
			default:
				out = append(out, compareValues(k, p, av, bv)...)
			}
		}
		return out
	}
	aa, aok := a.([]any)
	ba, bok := b.([]any)
	if aok && bok {
		if elemKey, isSet := k.IsSet(catalogPath(path)); isSet {
			return compareSets(k, path, elemKey, aa, ba)
		}
	}
	return []PropChange{{Path: path, Action: Replaced, Old: a, New: b, RefKinds: refKinds(k, path)}}
}

// compareSets reports added and removed elements, and for object elements
// with the same key, their changed properties.
func compareSets(k *layout.Kind, path, elemKey string, a, b []any) []PropChange {
	keyOf := func(e any) string {
		if m, ok := e.(map[string]any); ok && elemKey != "" {
			if v, ok := m[elemKey]; ok {
				if s, ok := v.(string); ok {
					return s // an id: most sets' key, without fmt
				}
				return fmt.Sprint(v)
			}
		}
		j, _ := json.Marshal(e)
		return string(j)
	}
	// Each element's key once (they are asked for again below).
	keys := func(es []any) ([]string, map[string]any) {
		ks, m := make([]string, len(es)), make(map[string]any, len(es))
		for i, e := range es {
			ks[i] = keyOf(e)
			m[ks[i]] = e
		}
		return ks, m
	}
	ak, am := keys(a)
	bk, bm := keys(b)
	pc := PropChange{Path: path, Action: Changed, RefKinds: refKinds(k, path)}
	var nested []PropChange
	for i, e := range b {
		key := bk[i]
		old, ok := am[key]
		switch {
		case !ok:
			pc.Added = append(pc.Added, e)
		case !equal(old, e):
			nested = append(nested, compareValues(k, fmt.Sprintf("%s[%s=%s]", path, elemKey, key), old, e)...)
		}
	}
	for i, e := range a {
		if _, ok := bm[ak[i]]; !ok {
			pc.Removed = append(pc.Removed, e)
		}
	}
	var out []PropChange
	if len(pc.Added) > 0 || len(pc.Removed) > 0 {
		out = append(out, pc)
	}
	return append(out, nested...)
}
