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
	data      []byte
	warnings  []Warning
}

// prepare turns the objects read into files: layout.Path, layout.Clean, a
// second pass for secret-looking properties, the schema check, and the
// canonical bytes. It runs in the reading goroutine, so files are prepared
// while other kinds are still being read, and spreads large kinds over the
// CPUs. The objects are released afterwards.
func (kr *kindRead) prepare() {
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
	files := make([]prepared, len(kr.objects))
	errs := make([]error, len(kr.objects))
	work := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			files[i], errs[i] = prepareOne(k, sch, kr.objects[i])
		}
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	if len(kr.objects) < 256 || workers < 2 {
		work(0, len(kr.objects))
	} else {
		var wg sync.WaitGroup
		chunk := (len(kr.objects) + workers - 1) / workers
		for lo := 0; lo < len(kr.objects); lo += chunk {
			wg.Add(1)
			go func(lo, hi int) {
				defer wg.Done()
				work(lo, hi)
			}(lo, min(lo+chunk, len(kr.objects)))
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			kr.objects = nil
			kr.err = &KindError{Kind: k.Name, What: "list", Err: err}
			return
		}
	}
	if err := caseDistinct(k, kr.objects, files); err != nil {
		kr.objects = nil
		kr.err = &KindError{Kind: k.Name, What: "list", Err: err}
		return
	}
	kr.objects = nil
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
			for w := range files[i].warnings {
				if files[i].warnings[w].Path == files[i].path {
					files[i].warnings[w].Path = p
				}
			}
			files[i].path = p
		}
	}
	return nil
}

func prepareOne(k *layout.Kind, sch *schemas.Schema, obj map[string]any) (prepared, error) {
	p, err := layout.Path(k, obj)
	if err != nil {
		return prepared{}, err
	}
	f := prepared{path: p}
	f.key, _ = obj[k.KeyProp()].(string)
	clean := layout.Clean(k, obj)
	for _, prop := range scrubSecrets(clean, "") {
		f.warnings = append(f.warnings, Warning{Path: p, Kind: k.Name, Property: prop,
			Message: msgSecretRemoved})
	}
	if sch != nil {
		if err := sch.Validate(clean); err != nil {
			var ve *schemas.ValidationError
			if errors.As(err, &ve) {
				removed, rest := dropUndeclaredSecrets(clean, ve.Problems)
				for _, prop := range removed {
					f.warnings = append(f.warnings, Warning{Path: p, Kind: k.Name, Property: prop, Message: msgUndeclaredSecret})
				}
				for _, pr := range rest {
					f.warnings = append(f.warnings, Warning{Path: p, Kind: k.Name, Property: pr.Path, Message: pr.Message})
				}
			} else {
				f.warnings = append(f.warnings, Warning{Path: p, Kind: k.Name, Message: err.Error()})
			}
		}
	}
	f.data = layout.Encode(clean)
	return f, nil
}

// builder collects the files of the kinds read completely and refuses
// path collisions.
type builder struct {
	files    map[string][]byte
	owner    map[string]string // path → object key
	folded   map[string]string // lower-cased path → path
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
		b.files[f.path] = f.data
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
