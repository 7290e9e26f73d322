package live

import (
	"errors"
	"fmt"
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
	warnings  []Warning
}

// sinkError is a ReadOptions.Sink failure: it stops Read (results).
type sinkError struct{ err error }

func (e *sinkError) Error() string { return e.err.Error() }
func (e *sinkError) Unwrap() error { return e.err }

// prepare turns the objects read into files: layout.Path (made distinct
// in case, caseDistinct), layout.Clean, a second pass for secret-looking
// properties, the schema check, and the canonical bytes. It runs in the
// reading goroutine, so files are prepared while other kinds are still
// being read, and spreads large kinds over the CPUs. Each object is
// released once its file is made; with a sink, each file goes to it at
// once and only its path is kept.
func (kr *kindRead) prepare(sink func(path string, data []byte) error) {
	if kr.err != nil {
		return
	}
	k := kr.kind
	if k.Name == "organization" && len(kr.objects) > 0 {
		kr.organizationID, _ = kr.objects[0]["id"].(string)
	}
	sch, err := schemas.For(k.Name)
	if err != nil {
		msg := "not validated: " + err.Error()
		if errors.Is(err, schemas.ErrUnknownKind) {
			msg = "not validated: package schemas has no schema for this kind yet"
		}
		kr.warnings = append(kr.warnings, Warning{Path: k.Root(), Kind: k.Name, Message: msg})
		sch = nil
	}
	objs := kr.objects
	files := make([]prepared, len(objs))
	for i, obj := range objs {
		p, err := layout.Path(k, obj)
		if err != nil {
			kr.objects = nil
			kr.err = &KindError{Kind: k.Name, What: "list", Err: err}
			return
		}
		files[i].path = p
		files[i].key, _ = obj[k.KeyProp()].(string)
	}
	if err := caseDistinct(k, objs, files); err != nil {
		kr.objects = nil
		kr.err = &KindError{Kind: k.Name, What: "list", Err: err}
		return
	}
	kr.objects = nil
	var (
		mu      sync.Mutex
		sinkErr error
	)
	work := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			f := &files[i]
			f.data, f.warnings = prepareOne(k, sch, objs[i], f.path)
			objs[i] = nil // (the object is no longer needed)
			if sink == nil {
				continue
			}
			err := sink(f.path, f.data)
			f.data, f.sunk = nil, true
			if err != nil {
				mu.Lock()
				if sinkErr == nil {
					sinkErr = err
				}
				mu.Unlock()
				return
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	if len(objs) < 256 || workers < 2 {
		work(0, len(objs))
	} else {
		var wg sync.WaitGroup
		chunk := (len(objs) + workers - 1) / workers
		for lo := 0; lo < len(objs); lo += chunk {
			wg.Add(1)
			go func(lo, hi int) {
				defer wg.Done()
				work(lo, hi)
			}(lo, min(lo+chunk, len(objs)))
		}
		wg.Wait()
	}
	if sinkErr != nil {
		kr.err = &sinkError{err: sinkErr}
		return
	}
	kr.files = files
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
func prepareOne(k *layout.Kind, sch *schemas.Schema, obj map[string]any, p string) ([]byte, []Warning) {
	var warnings []Warning
	clean := layout.Clean(k, obj)
	for _, prop := range scrubSecrets(clean, "") {
		warnings = append(warnings, Warning{Path: p, Kind: k.Name, Property: prop,
			Message: msgSecretRemoved})
	}
	if sch != nil {
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

// builder collects the files of the kinds read completely and refuses
// path collisions.
type builder struct {
	files    map[string][]byte
	owner    map[string]string // path → object key
	folded   map[string]string // lower-cased path → path
	sunk     []string          // paths given to the sink
	warnings []Warning
}

func newBuilder() *builder {
	return &builder{files: map[string][]byte{}, owner: map[string]string{}, folded: map[string]string{}}
}

// add takes one kind's prepared files.
func (b *builder) add(kr *kindRead) error {
	b.warnings = append(b.warnings, kr.warnings...)
	for _, f := range kr.files {
		if prev, ok := b.owner[f.path]; ok {
			return &CollisionError{Path: f.path, Kind: kr.kind.Name, Key1: prev, Key2: f.key}
		}
		if other, ok := b.folded[strings.ToLower(f.path)]; ok {
			return &CollisionError{Path: f.path + " and " + other, Kind: kr.kind.Name, Key1: b.owner[other], Key2: f.key, CaseFolding: true}
		}
		if f.sunk {
			b.sunk = append(b.sunk, f.path)
		} else {
			b.files[f.path] = f.data
		}
		b.owner[f.path] = f.key
		b.folded[strings.ToLower(f.path)] = f.path
		b.warnings = append(b.warnings, f.warnings...)
	}
	return nil
}

const msgSecretRemoved = "secret-looking property removed; the layout catalog should list it as Secret"

// secretNames are properties never written whatever the kind: the layout
// catalog removes them per kind (Kind.Secret); this is the second line.
var secretNames = map[string]bool{"secretText": true, "passwordProfile": true}

// scrubSecrets removes secret-looking properties anywhere in v and returns
// their dotted paths: secretText and passwordProfile at any depth, and the
// key of keyCredentials entries when it holds a value.
func scrubSecrets(v any, path string) []string {
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

func asSlice(v any) []any { s, _ := v.([]any); return s }

// carry appends the files kept from the previous snapshot (a delta resume,
// delta.go) to the kind's files, giving each to the sink as prepare does.
func (kr *kindRead) carry(sink func(path string, data []byte) error) {
	if sink != nil {
		for i := range kr.carried {
			f := &kr.carried[i]
			if err := sink(f.path, f.data); err != nil {
				kr.err = &sinkError{err: err}
				return
			}
			f.data, f.sunk = nil, true
		}
	}
	kr.files = append(kr.files, kr.carried...)
}
