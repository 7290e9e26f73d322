package live

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/schemas"
)

// prepared is one object's file.
type prepared struct {
	path, key string
	data      []byte // nil once given to the sink
	sunk      bool   // data went to ReadOptions.Sink
	// kept: a previous snapshot's file carried as it is without its bytes
	// (DeltaFrom.Read); with a sink it is listed in Live.Kept.
	kept     bool
	warnings []Warning
}

// sinkError is a ReadOptions.Sink failure: it stops Read (results).
type sinkError struct{ err error }

func (e *sinkError) Error() string { return e.err.Error() }
func (e *sinkError) Unwrap() error { return e.err }

// writer turns one kind's objects into files as they are read, a page at a
// time: layout.Path (made distinct in case, caseDistinct), layout.Clean, a
// second pass for secret-looking properties, the schema check, and the
// canonical bytes, spread over the CPUs. With a sink each file goes to it
// at once and only its path is kept; the decoded objects of a page are
// released once their files are made, so a kind's read holds one or two
// pages of objects, not the kind (issue 12, "streaming memory").
//
// Objects are told apart by key as sortByKey does: an object Graph repeats
// across pages is kept once, as last read (its file is made again; a sink
// may get a path twice, the later bytes count), and the same GUID in two
// cases is one object (the first in byte order). Objects whose key is not a
// GUID (a few small kinds) are held to the end of the kind, where
// caseDistinct needs all of them.
type writer struct {
	k *layout.Kind
	// sch is the kind's schema, compiled when a file first needs the
	// check (none when every file is unchanged: Validated); nil when the
	// kind has none.
	sch func() *schemas.Schema
	// validated, when set, gives the Validated known now (reader).
	validated func() Validated
	sink      func(path string, data []byte) error
	// index: an object's GUID key (any case) → its file's place in ents.
	// Keys and places hold no pointer, so the collector does not scan the
	// map: a large tenant's users kind holds one entry a user until the
	// kind ends (issue 12, peak memory).
	index map[[16]byte]int32
	ents  []entry
	// warns are the warnings of the files that have some, by place in ents
	// (few files have any: not a slice in every entry).
	warns map[int32][]Warning
	// held are the objects whose key is not a GUID (or of a singleton).
	held []map[string]any
	// files are the files made, without a sink.
	files    map[string][]byte
	wg       sync.WaitGroup
	mu       sync.Mutex
	err      error // the first sink error (a *sinkError) or path error
	orgID    string
	warnings []Warning // about the kind as a whole (no schema)
	// keep, when set, are the only properties written (allowlist.go).
	keep map[string]bool
	// census, when set, is given every object (pimgroups.go).
	census *groupCensus
	// censusSeen: the objects add is given were shown to census one by
	// one as the delta round read them (readDelta): add does not show
	// them again.
	censusSeen bool
	// release ends the lease of the kind's schema (close); nil until sch
	// first compiled it.
	release func()
}

// close waits for the files being made and ends the lease of the kind's
// schema: the writer makes no file after it.
func (w *writer) close() {
	w.wg.Wait()
	w.mu.Lock()
	release := w.release
	w.release = nil
	w.mu.Unlock()
	if release != nil {
		release()
	}
}

// entry is one object's file: its key is a part of its path's bytes when
// the path ends with it (keyOfPath).
type entry struct {
	key, path string
}

// guidKey is the GUID key as 16 bytes, whatever the case of its hex
// digits (the same GUID in two cases is one object); ok is false when key
// is not a GUID (layout.IsGUID).
func guidKey(key string) (g [16]byte, ok bool) {
	return guidBytes(key, true)
}

// guidBytes parses a GUID (layout.IsGUID) into its 16 bytes; with anyCase
// false, one with an upper-case hex digit is refused (parseLowerGUID).
func guidBytes(s string, anyCase bool) (g [16]byte, ok bool) {
	if !layout.IsGUID(s) {
		return g, false
	}
	j := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case c == '-':
			continue
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case anyCase: // 'A'..'F' (IsGUID)
			v = c - 'A' + 10
		default:
			return g, false
		}
		g[j/2] |= v << (4 * (1 - j%2))
		j++
	}
	return g, true
}

func newWriter(k *layout.Kind, sink func(path string, data []byte) error) *writer {
	w := &writer{k: k, sink: sink, index: map[[16]byte]int32{}}
	if sink == nil {
		w.files = map[string][]byte{}
	}
	if !schemas.Has(k.Name) {
		w.warnings = append(w.warnings, Warning{Path: k.Root(), Kind: k.Name, Message: "not validated: package schemas has no schema for this kind yet"})
		w.sch = func() *schemas.Schema { return nil }
		return w
	}
	w.sch = sync.OnceValue(func() *schemas.Schema {
		// A lease, ended by close once the kind's files are made: with
		// schemas.DropAfterUse (the CLI) the compiled schema is not held
		// while the rest of the tenant is read.
		sch, release, err := schemas.Lease(k.Name)
		w.mu.Lock()
		w.release = release
		w.mu.Unlock()
		if err != nil {
			w.mu.Lock()
			w.warnings = append(w.warnings, Warning{Path: k.Root(), Kind: k.Name, Message: "not validated: " + err.Error()})
			w.mu.Unlock()
			return nil
		}
		return sch
	})
	return w
}

// job is one object whose file is to be made: e is its place in
// writer.ents.
type job struct {
	obj map[string]any
	e   int32
	key string // the key, until add gave the job its entry
}

// add takes a page of objects (in the order read) and starts making their
// files; it first waits for the previous page's, so that a later read of an
// object always wins. It returns the first error of the kind so far: a
// *KindError, or a *sinkError.
func (w *writer) add(objs []map[string]any) error {
	w.wg.Wait()
	if w.err != nil {
		return w.err
	}
	k := w.k
	if w.census != nil {
		w.census.add(objs, w.censusSeen)
	}
	if k.Name == "organization" && w.orgID == "" && len(objs) > 0 {
		w.orgID, _ = objs[0]["id"].(string)
	}
	kp := k.KeyProp()
	var jobs []job
	var guids [][16]byte
	inPage := map[[16]byte]int{} // GUID → index in jobs
	for _, obj := range objs {
		directLicences(k, obj) // users.go
		keepOnly(obj, w.keep)  // allowlist.go
		if k.Singleton {
			w.held = append(w.held, obj)
			continue
		}
		key, _ := obj[kp].(string)
		if key == "" {
			w.err = &KindError{Kind: k.Name, What: "list", Err: fmt.Errorf("Graph returned an object without %s", kp)}
			return w.err
		}
		g, ok := guidKey(key)
		if !ok {
			w.held = append(w.held, obj)
			continue
		}
		if i, ok := inPage[g]; ok {
			if prev := jobs[i].key; key == prev || key < prev {
				jobs[i] = job{obj: obj, key: key}
			}
			continue
		}
		if i, ok := w.index[g]; ok && key != w.ents[i].key && key > w.ents[i].key {
			continue // the same GUID in another case: the first in byte order stays
		}
		inPage[g] = len(jobs)
		jobs = append(jobs, job{obj: obj, key: key})
		guids = append(guids, g)
	}
	for i := range jobs {
		j := &jobs[i]
		p, err := layout.Path(k, j.obj)
		if err != nil {
			w.err = &KindError{Kind: k.Name, What: "list", Err: err}
			return w.err
		}
		e := entry{path: p, key: keyOfPath(p, j.key)}
		j.key = ""
		at, ok := w.index[guids[i]]
		if !ok {
			if len(w.ents) >= math.MaxInt32 {
				w.err = &KindError{Kind: k.Name, What: "list", Err: errors.New("more objects in one kind than entrasnap can hold")}
				return w.err
			}
			at = int32(len(w.ents))
			w.ents = append(w.ents, e)
			w.index[guids[i]] = at
		} else {
			if old := w.ents[at].path; old != p && w.files != nil {
				delete(w.files, old)
			}
			w.ents[at] = e
			delete(w.warns, at)
		}
		j.e = at
	}
	w.run(jobs)
	return nil
}

// keyOfPath is key, sharing p's bytes when p ends with it (a GUID key's
// file, "users/ab/name.<guid>.yaml"): a large tenant's keys then cost no
// allocation of their own for the rest of the read (issue 12, peak memory).
func keyOfPath(p, key string) string {
	if rest, ok := strings.CutSuffix(p, ".yaml"); ok && strings.HasSuffix(rest, key) {
		return rest[len(rest)-len(key):]
	}
	return key
}

// run makes the files of jobs, over several goroutines when there are
// many; add and finish wait for them.
func (w *writer) run(jobs []job) {
	var valid Validated
	if w.validated != nil {
		valid = w.validated()
	}
	work := func(jobs []job) {
		defer w.wg.Done()
		for i := range jobs {
			j := &jobs[i]
			path := w.ents[j.e].path // (add grows ents only while no job runs)
			data, warnings := prepareOne(w.k, w.sch, valid, j.obj, path)
			j.obj = nil // (the object is no longer needed)
			if len(warnings) > 0 {
				w.mu.Lock()
				if w.warns == nil {
					w.warns = map[int32][]Warning{}
				}
				w.warns[j.e] = warnings
				w.mu.Unlock()
			}
			if w.sink == nil {
				w.mu.Lock()
				w.files[path] = data
				w.mu.Unlock()
				continue
			}
			if err := w.sink(path, data); err != nil {
				w.mu.Lock()
				if w.err == nil {
					w.err = &sinkError{err: err}
				}
				w.mu.Unlock()
				return
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	if len(jobs) < 64 || workers < 2 {
		w.wg.Add(1)
		go work(jobs)
		return
	}
	chunk := (len(jobs) + workers - 1) / workers
	for lo := 0; lo < len(jobs); lo += chunk {
		w.wg.Add(1)
		go work(jobs[lo:min(lo+chunk, len(jobs))])
	}
}

// reset forgets the files made so far (a resumed read that falls back to
// a full one); files already given to the sink are not listed.
func (w *writer) reset() error {
	w.wg.Wait()
	if _, ok := w.err.(*sinkError); ok {
		return w.err
	}
	w.err, w.held, w.index, w.ents, w.warns = nil, nil, map[[16]byte]int32{}, nil, nil
	if w.files != nil {
		w.files = map[string][]byte{}
	}
	return nil
}

// wait waits for the files being made and returns the kind's error so far.
func (w *writer) wait() error {
	w.wg.Wait()
	return w.err
}

// finish makes the files of the held objects and returns every file of the
// kind, sorted by path.
func (w *writer) finish() ([]prepared, error) {
	if err := w.wait(); err != nil {
		return nil, err
	}
	k := w.k
	held, err := sortByKey(k, w.held)
	w.held = nil
	if err != nil {
		w.err = err
		return nil, err
	}
	hf := make([]prepared, len(held))
	for i, obj := range held {
		p, err := layout.Path(k, obj)
		if err != nil {
			w.err = &KindError{Kind: k.Name, What: "list", Err: err}
			return nil, w.err
		}
		hf[i].path = p
		hf[i].key, _ = obj[k.KeyProp()].(string)
	}
	if err := caseDistinct(k, held, hf); err != nil {
		w.err = &KindError{Kind: k.Name, What: "list", Err: err}
		return nil, w.err
	}
	jobs := make([]job, len(held))
	for i := range held {
		jobs[i] = job{obj: held[i], e: int32(len(w.ents))}
		w.ents = append(w.ents, entry{key: hf[i].key, path: hf[i].path})
	}
	held = nil
	w.run(jobs)
	if err := w.wait(); err != nil {
		return nil, err
	}
	w.index = nil
	files := make([]prepared, len(w.ents))
	for i, e := range w.ents {
		f := prepared{path: e.path, key: e.key, warnings: w.warns[int32(i)], sunk: w.sink != nil}
		if w.files != nil {
			f.data = w.files[e.path]
		}
		files[i] = f
	}
	w.ents, w.warns, w.files = nil, nil, nil
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, nil
}

// prepare makes the files of kr.objects (read whole, not a page at a time:
// the small kinds and the embedded ones) with sink as a writer does.
func (kr *kindRead) prepare(sink func(path string, data []byte) error, validated func() Validated) {
	if kr.err != nil {
		return
	}
	w := newWriter(kr.kind, sink)
	w.validated = validated
	objs := kr.objects
	kr.objects = nil
	if err := w.add(objs); err == nil {
		kr.files, err = w.finish()
	}
	w.close()
	kr.take(w)
}

// take records the outcome of w in kr.
func (kr *kindRead) take(w *writer) {
	if kr.organizationID == "" {
		kr.organizationID = w.orgID
	}
	kr.warnings = append(kr.warnings, w.warnings...)
	if w.err != nil {
		kr.files, kr.err = nil, w.err
	}
}

// caseDistinct gives distinct paths to objects whose paths differ only in
// case (keys such as "Fido2" and "fido2" with the same name): every one of
// them whose key holds an upper-case letter moves to
// layout.PathCaseDistinct. The result depends on the set of objects alone,
// not on the order Graph returned them in.
func caseDistinct(k *layout.Kind, objs []map[string]any, files []prepared) error {
	folded := make(map[string]int, len(files))
	var groups map[string][]int
	for i, f := range files {
		lp := strings.ToLower(f.path)
		if j, ok := folded[lp]; ok {
			if groups == nil {
				groups = map[string][]int{}
			}
			if len(groups[lp]) == 0 {
				groups[lp] = []int{j}
			}
			groups[lp] = append(groups[lp], i)
			continue
		}
		folded[lp] = i
	}
	for _, idx := range groups {
		for _, i := range idx {
			if strings.ToLower(files[i].key) == files[i].key {
				continue
			}
			p, err := layout.PathCaseDistinct(k, objs[i])
			if err != nil {
				return err
			}
			files[i].path = p
		}
	}
	return nil
}

// prepareOne makes the file of obj at path p: its canonical bytes and the
// warnings about it.
//
// The schema check is skipped when valid says the bytes are those of a
// file checked before by the same schemas: its warnings then are the
// previous ones (Validated).
func prepareOne(k *layout.Kind, schema func() *schemas.Schema, valid Validated, obj map[string]any, p string) ([]byte, []Warning) {
	var warnings []Warning
	clean := layout.Clean(k, obj)
	for _, prop := range scrubSecrets(clean, "") {
		warnings = append(warnings, Warning{Path: p, Kind: k.Name, Property: prop,
			Message: msgSecretRemoved})
	}
	if valid != nil {
		data := layout.Encode(clean)
		if prev, ok := valid(p, data); ok {
			if w, ok := schemaWarnings(prev, p, k.Name); ok {
				return data, append(warnings, w...)
			}
		}
	}
	if sch := schema(); sch != nil {
		if err := sch.Validate(clean); err != nil {
			var ve *schemas.ValidationError
			if errors.As(err, &ve) {
				removed, rest := dropUndeclaredSecrets(clean, ve.Problems)
				for _, prop := range removed {
					warnings = append(warnings, Warning{Path: p, Kind: k.Name, Property: prop, Message: msgUndeclaredSecret})
				}
				for _, pr := range rest {
					warnings = append(warnings, Warning{Path: p, Kind: k.Name, Property: pr.Path, Message: pr.Message})
				}
			} else {
				warnings = append(warnings, Warning{Path: p, Kind: k.Name, Message: err.Error()})
			}
		}
	}
	return layout.Encode(clean), warnings
}

// schemaWarnings are the schema check's warnings among prev, the warnings
// the file at p had when last made, as this run would report them; false
// when the check removed an undeclared secret then (the file must be
// checked again: Validated).
func schemaWarnings(prev []Warning, p, kind string) ([]Warning, bool) {
	var out []Warning
	for _, w := range prev {
		switch w.Message {
		case msgSecretRemoved:
			continue // the scrub's, made again
		case msgUndeclaredSecret:
			return nil, false
		}
		out = append(out, Warning{Path: p, Kind: kind, Property: w.Property, Message: w.Message})
	}
	return out, true
}

// builder collects the files of the kinds read completely and refuses
// path collisions (check).
type builder struct {
	files    map[string][]byte
	sunk     []string // paths given to the sink
	kept     []string // previous files kept without their bytes
	warnings []Warning
	// reads are the kinds added, in order: a collision names its objects
	// from their files (check). No map of every path to its key is kept
	// for that: at 1.2M users it held 1.4M entries the collector scanned
	// while the read ended (issue 12, peak memory).
	reads []*kindRead
}

func newBuilder() *builder {
	return &builder{files: map[string][]byte{}}
}

// add takes one kind's prepared files; check then refuses collisions.
func (b *builder) add(kr *kindRead) error {
	b.warnings = append(b.warnings, kr.warnings...)
	b.reads = append(b.reads, kr)
	for _, f := range kr.files {
		switch {
		case f.kept:
			b.kept = append(b.kept, f.path)
		case f.sunk:
			b.sunk = append(b.sunk, f.path)
		default:
			if _, dup := b.files[f.path]; dup {
				return b.collision(f.path, "")
			}
			b.files[f.path] = f.data
		}
		b.warnings = append(b.warnings, f.warnings...)
	}
	return nil
}

// check sorts the paths and refuses two files at one path, or at paths
// that differ only in case (one file on Windows and macOS), over every
// kind added: a walk of the sorted lists, and a look-up of the lower-cased
// form of each path that has an upper-case letter (few: slugs and GUIDs
// are lower case).
func (b *builder) check() error {
	sort.Strings(b.sunk)
	sort.Strings(b.kept)
	others := make([]string, 0, len(b.files))
	for p := range b.files {
		others = append(others, p)
	}
	sort.Strings(others)
	lists := [3][]string{b.sunk, b.kept, others}
	var at [3]int
	prev, started := "", false
	for {
		best := -1
		for i, l := range lists {
			if at[i] < len(l) && (best < 0 || l[at[i]] < lists[best][at[best]]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		p := lists[best][at[best]]
		at[best]++
		if started && p == prev {
			return b.collision(p, "")
		}
		prev, started = p, true
	}
	var folded map[string]string // lower-cased path → the path, for paths with an upper-case letter
	for _, l := range lists {
		for _, p := range l {
			if !mayFold(p) {
				continue
			}
			lp := strings.ToLower(p)
			if lp == p {
				continue
			}
			if q, ok := folded[lp]; ok {
				return b.collision(p, q)
			}
			for _, l2 := range lists {
				if i := sort.SearchStrings(l2, lp); i < len(l2) && l2[i] == lp {
					return b.collision(p, lp)
				}
			}
			if folded == nil {
				folded = map[string]string{}
			}
			folded[lp] = p
		}
	}
	return nil
}

// mayFold: strings.ToLower may change p (an upper-case ASCII letter, or a
// byte that is not ASCII).
func mayFold(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// collision is the error for two files at path p (q == ""), or at paths p
// and q that differ only in case, naming the objects as they were added:
// the kind of the later one, the earlier one's key first.
func (b *builder) collision(p, q string) error {
	type seen struct{ kind, key, path string }
	var found []seen
	for _, kr := range b.reads {
		for _, f := range kr.files {
			if f.path == p || q != "" && f.path == q {
				found = append(found, seen{kr.kind.Name, f.key, f.path})
			}
		}
	}
	for len(found) < 2 {
		found = append(found, seen{path: p})
	}
	first, second := found[0], found[1]
	if q == "" {
		return &CollisionError{Path: p, Kind: second.kind, Key1: first.key, Key2: second.key}
	}
	return &CollisionError{Path: second.path + " and " + first.path, Kind: second.kind, Key1: first.key, Key2: second.key, CaseFolding: true}
}

const msgSecretRemoved = "secret-looking property removed; the layout catalog should list it as Secret"

// secretNames are properties never written whatever the kind: the layout
// catalog removes them per kind (Kind.Secret); this is the second line.
var secretNames = map[string]bool{"secretText": true, "passwordProfile": true}

// scrubSecrets removes secret-looking properties anywhere in v and returns
// their dotted paths: secretText and passwordProfile at any depth, and the
// key of keyCredentials entries when it holds a value.
func scrubSecrets(v any, path string) []string {
	// Nearly every object holds none: a walk that makes nothing says so
	// first (the scrub sorts every map's keys and names every path it
	// passes, a fmt.Sprintf for each of a group's members: a thirtieth of
	// a 300,000-user export's CPU; issue 12).
	if !hasSecrets(v) {
		return nil
	}
	var found []string
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if secretNames[k] {
				delete(x, k)
				found = append(found, p)
				continue
			}
			if k == "keyCredentials" {
				for i, e := range asSlice(x[k]) {
					if m, ok := e.(map[string]any); ok && m["key"] != nil {
						delete(m, "key")
						found = append(found, fmt.Sprintf("%s[%d].key", p, i))
					}
				}
			}
			found = append(found, scrubSecrets(x[k], p)...)
		}
	case []any:
		for i, e := range x {
			found = append(found, scrubSecrets(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return found
}

// hasSecrets says whether scrubSecrets would remove anything from v.
func hasSecrets(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if secretNames[k] {
				return true
			}
			if k == "keyCredentials" {
				for _, c := range asSlice(e) {
					if m, ok := c.(map[string]any); ok && m["key"] != nil {
						return true
					}
				}
			}
			if hasSecrets(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasSecrets(e) {
				return true
			}
		}
	}
	return false
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// carry appends the files kept from the previous snapshot (a delta resume,
// delta.go) to the kind's files: with a sink, those read with their bytes
// are given to it as prepare does, and the others are listed as kept (the
// caller has them); without one, each file's bytes are read.
func (kr *kindRead) carry(sink func(path string, data []byte) error) {
	for i := range kr.carried {
		f := &kr.carried[i]
		switch {
		case sink != nil && f.data == nil:
			f.kept = true
		case sink != nil:
			if err := sink(f.path, f.data); err != nil {
				kr.err = &sinkError{err: err}
				return
			}
			f.data, f.sunk = nil, true
		case f.data == nil:
			data, err := kr.readPrev(f.path)
			if err != nil {
				kr.err = &KindError{Kind: kr.kind.Name, What: "previous file " + layout.Safe(f.path), Err: err}
				return
			}
			f.data = data
		}
	}
	// The made files, then the carried ones, in the carried list's room
	// when it has enough (resume sizes it so): no second list of a
	// no-change day's 100,000 users.
	if n, c := len(kr.files), len(kr.carried); n+c <= cap(kr.carried) {
		all := kr.carried[:n+c]
		copy(all[n:], all[:c])
		copy(all, kr.files)
		kr.files = all
		return
	}
	kr.files = append(kr.files, kr.carried...)
}
