// Package schemas holds the JSON Schema (draft 2020-12) of every kind's
// canonical file and checks files read back against them.
//
// The schemas are generated from Graph's CSDL and the layout catalog by
// internal/gen and committed under generated/, one <kind>.schema.json per
// kind, so nothing here needs the CSDL at build or test time. Each describes
// the object as entrasnap writes it:
//
//   - the entity type's properties with its base chain, Edm types mapped to
//     JSON types (nullable properties and every collection also take null,
//     enums are checked, flags enums are comma-separated member names),
//     complex types as $defs;
//   - for a polymorphic kind (named locations, authentication method
//     configurations) the properties of its derived types too, the value's
//     @odata.type choosing which are allowed; nested values work the same,
//     a value without @odata.type being of its declared type;
//   - the kind's children stored in the file: reference lists as
//     [{id, "@odata.type"}], object children (appRoleAssignedTo,
//     oauth2PermissionGrants, scopedRoleMembers) as their Graph type;
//   - readOnly on the catalog's read-only properties and on those the CSDL
//     marks Computed or Immutable;
//   - no secret or volatile property (the exporter never writes them), no
//     @odata annotation but @odata.type, no unknown property; open types
//     (user, group, application, ...) also take directory extension
//     properties, extension_<32 hex>_<name>.
//
// Formats (uuid, date-time) are annotations only, not checked, and no
// message carries a value from the object, so errors never echo a secret.
// A few properties Graph sends beyond its CSDL (and any the layout catalog
// names that the CSDL lacks) are allowed; see internal/gen/facts.go.
package schemas

//go:generate go run ./internal/gen -csdl ../../shared/graph-metadata/v1.0-Prod.csdl -out generated

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// generated holds the schemas. The whole folder is embedded (not a
// *.schema.json pattern) so the package still builds while the folder has
// no schema yet, as when the generator runs for the first time.
//
//go:embed generated
var generated embed.FS

const (
	dir    = "generated"
	suffix = ".schema.json"
)

// ErrUnknownKind is returned (wrapped) by For for a kind with no schema.
var ErrUnknownKind = errors.New("no schema for kind")

var kindNames = sync.OnceValue(func() []string {
	entries, err := fs.ReadDir(generated, dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), suffix); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
})

// Kinds lists the kinds that have a schema, sorted.
func Kinds() []string { return append([]string(nil), kindNames()...) }

// Has tells whether kind has a schema, without compiling it.
func Has(kind string) bool {
	i := sort.SearchStrings(kindNames(), kind)
	return i < len(kindNames()) && kindNames()[i] == kind
}

// SetHash is a digest of every schema of this build (names and bytes):
// equal digests mean Validate gives the same answer for the same object.
// The exporter keeps it with its delta state so that an object whose file
// is unchanged since a snapshot validated by the same schemas is not
// checked again, and a build with other schemas checks everything.
var SetHash = sync.OnceValue(func() string {
	h := sha256.New()
	for _, name := range kindNames() {
		raw, _ := generated.ReadFile(path.Join(dir, name+suffix))
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(raw))
		h.Write(raw)
	}
	return hex.EncodeToString(h.Sum(nil))
})

// Schema is one kind's compiled schema. It is safe for concurrent use.
type Schema struct {
	kind string
	raw  []byte
	// doc is the schema document decoded, for ReadOnly and the messages
	// of a failed Validate: decoded on first use, since a decoded
	// document costs more than the compiled schema's half again and an
	// export that finds nothing wrong never needs it.
	doc func() map[string]any
	sch *jsonschema.Schema
	// quick is the quick check (quick.go), compiled on first use.
	quickOnce sync.Once
	quick     *quickNode
}

type entry struct {
	once sync.Once
	s    *Schema
	err  error
}

var cache sync.Map // kind name -> *entry

// For returns the schema of a kind ("users", "conditional-access-policies"),
// compiling it on first use.
func For(kind string) (*Schema, error) {
	if !Has(kind) {
		return nil, fmt.Errorf("schemas: %w %q", ErrUnknownKind, kind)
	}
	v, _ := cache.LoadOrStore(kind, &entry{})
	e := v.(*entry)
	e.once.Do(func() { e.s, e.err = load(kind) })
	return e.s, e.err
}

// dropAfterUse: Lease hands out schemas that are freed once their last
// lease ends (DropAfterUse).
var dropAfterUse atomic.Bool

// DropAfterUse sets how Lease keeps compiled schemas. Off (the default),
// Lease is For: every compiled schema stays for the life of the process,
// which tests and commands that check the same kinds again want. On, a
// schema that Lease compiled is shared by the leases held at the same time
// and freed when the last ends: an export run by the CLI validates each
// kind's files once, and the schemas of the kinds it finished (all kinds'
// held 22 MB compiled when lifecycle-workflows' and
// custom-task-extensions' held Graph's user type, 9 and 7 MB) are no
// longer held while it reads the largest kinds (issue 12, peak memory).
// For is not affected: what it compiled it keeps.
func DropAfterUse(on bool) { dropAfterUse.Store(on) }

// lease is a schema shared by the Lease calls holding it.
type lease struct {
	once sync.Once
	s    *Schema
	err  error
	n    int // leases held (leaseMu)
}

var (
	leaseMu sync.Mutex
	leases  = map[string]*lease{}
)

// Lease returns the schema of a kind as For does, and a function to call
// when the caller no longer needs it (safe to call more than once; nil
// never). With DropAfterUse on, the schema is freed once every lease of
// the kind ended.
func Lease(kind string) (*Schema, func(), error) {
	if !dropAfterUse.Load() {
		s, err := For(kind)
		return s, func() {}, err
	}
	if !Has(kind) {
		return nil, func() {}, fmt.Errorf("schemas: %w %q", ErrUnknownKind, kind)
	}
	if v, ok := cache.Load(kind); ok { // For compiled it already: it stays
		e := v.(*entry)
		e.once.Do(func() { e.s, e.err = load(kind) })
		return e.s, func() {}, e.err
	}
	leaseMu.Lock()
	l := leases[kind]
	if l == nil {
		l = &lease{}
		leases[kind] = l
	}
	l.n++
	leaseMu.Unlock()
	l.once.Do(func() { l.s, l.err = load(kind) })
	var end sync.Once
	return l.s, func() {
		end.Do(func() {
			leaseMu.Lock()
			defer leaseMu.Unlock()
			if l.n--; l.n == 0 {
				l.s = nil // (a release func kept by its caller holds l, not the schema)
				if leases[kind] == l {
					delete(leases, kind)
				}
			}
		})
	}, l.err
}

func load(kind string) (*Schema, error) {
	raw, err := generated.ReadFile(path.Join(dir, kind+suffix))
	if err != nil {
		return nil, fmt.Errorf("schemas: %s: %w", kind, err)
	}
	var head struct {
		ID string `json:"$id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("schemas: %s: %w", kind, err)
	}
	id := head.ID
	if id == "" {
		id = "https://github.com/entrasnap/entrasnap/schemas/generated/" + kind + suffix
	}
	sch, err := compile(kind, id, compiledAs2019(raw))
	if err != nil {
		return nil, err
	}
	return &Schema{kind: kind, raw: raw, doc: decodeDoc(raw), sch: sch}, nil
}

// decodeDoc decodes raw (which compiled: valid JSON) once, when first asked.
func decodeDoc(raw []byte) func() map[string]any {
	return sync.OnceValue(func() map[string]any {
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		_ = dec.Decode(&doc)
		return doc
	})
}

// compile compiles a kind's schema document src, known by id.
func compile(kind, id string, src []byte) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.LoadURL = func(u string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("schemas: %s refers to %s, which is not embedded", kind, u)
	}
	if err := c.AddResource(id, bytes.NewReader(src)); err != nil {
		return nil, fmt.Errorf("schemas: %s: %w", kind, err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		return nil, fmt.Errorf("schemas: %s: %w", kind, err)
	}
	return sch, nil
}

// The generated schemas say draft 2020-12 but use only keywords that mean
// the same in draft 2019-09 (type, enum, const, properties, items as one
// schema, additionalProperties, patternProperties, propertyNames, allOf,
// anyOf, not, if/then, pattern, minimum/maximum, $ref and $defs; format
// and contentEncoding annotate in both), and the compiler is quadratic in
// a 2020-12 schema's subschemas: it looks for $dynamicAnchor under every
// subschema it compiles, which took about 2 CPU-seconds for
// lifecycle-workflows' 900 KB (its $defs held much of Graph's user type,
// 35 KB since: internal/gen) and 1 for custom-task-extensions' 700 KB, in
// every process that validates them (each export). compiledAs2019 is the
// schema as compiled:
// declared 2019-09 when it holds none of 2020-12's own keywords
// ($dynamicRef, $dynamicAnchor, prefixItems; items as an array is not
// valid 2020-12, so the compiler refused it already), raw otherwise.
// Validate gives the same answer either way (TestDraft2019CompilesAlike);
// raw, which users read and editors check files with, keeps 2020-12.
func compiledAs2019(raw []byte) []byte {
	const (
		draft2020 = `"$schema": "https://json-schema.org/draft/2020-12/schema"`
		draft2019 = `"$schema": "https://json-schema.org/draft/2019-09/schema"`
	)
	for _, only2020 := range []string{`"$dynamicRef"`, `"$dynamicAnchor"`, `"prefixItems"`, `"$recursiveRef"`, `"$recursiveAnchor"`} {
		if bytes.Contains(raw, []byte(only2020)) {
			return raw
		}
	}
	return bytes.Replace(raw, []byte(draft2020), []byte(draft2019), 1)
}

// Kind is the kind the schema describes.
func (s *Schema) Kind() string { return s.kind }

// JSON returns the schema document, for editors and documentation.
func (s *Schema) JSON() []byte { return append([]byte(nil), s.raw...) }

// Validate checks one object (as decoded from a file: map[string]any with
// JSON values, from encoding/json or sigs.k8s.io/yaml; other Go values are
// converted through encoding/json). It returns nil or a *ValidationError
// listing every problem.
func (s *Schema) Validate(obj any) error {
	if s.quickCheck(obj) == yes {
		return nil // the validator would say so too (quick.go)
	}
	v, err := normalize(obj)
	if err != nil {
		return fmt.Errorf("schemas: %s: %w", s.kind, err)
	}
	err = s.sch.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("schemas: %s: %w", s.kind, err)
	}
	return &ValidationError{Kind: s.kind, Problems: s.problems(ve, v)}
}

// ReadOnly reports whether the property at a dotted path ("appId",
// "passwordCredentials[].keyId", "api.oauth2PermissionScopes[0].value") is
// read-only: restore never sends it. Anything inside a read-only property
// is read-only too. Unknown paths are not read-only.
func (s *Schema) ReadOnly(p string) bool {
	nodes := []map[string]any{s.doc()}
	for _, name := range splitPath(p) {
		var next []map[string]any
		for _, n := range s.expand(nodes) {
			props, _ := n["properties"].(map[string]any)
			if ps, ok := props[name].(map[string]any); ok {
				next = append(next, ps)
			}
		}
		if len(next) == 0 {
			return false
		}
		for _, n := range s.expand(next) {
			if n["readOnly"] == true {
				return true
			}
		}
		nodes = next
	}
	return false
}

// expand follows $ref, anyOf branches and array items from schema nodes to
// the object schemas that may hold properties.
func (s *Schema) expand(nodes []map[string]any) []map[string]any {
	var out []map[string]any
	var walk func(n map[string]any, depth int)
	walk = func(n map[string]any, depth int) {
		if n == nil || depth > 16 {
			return
		}
		out = append(out, n)
		if ref, ok := n["$ref"].(string); ok {
			walk(s.pointer(ref), depth+1)
		}
		if items, ok := n["items"].(map[string]any); ok {
			walk(items, depth+1)
		}
		if alts, ok := n["anyOf"].([]any); ok {
			for _, a := range alts {
				m, _ := a.(map[string]any)
				walk(m, depth+1)
			}
		}
	}
	for _, n := range nodes {
		walk(n, 0)
	}
	return out
}

// pointer resolves a reference within the schema document ("#/$defs/x" or
// an absolute location ending in such a fragment).
func (s *Schema) pointer(ref string) map[string]any {
	_, frag, ok := strings.Cut(ref, "#")
	if !ok {
		return nil
	}
	doc := s.doc()
	var cur any = doc
	if frag == "" || frag == "/" {
		return doc
	}
	for _, seg := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		seg = unescape(seg)
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case []any:
			i, err := atoi(seg)
			if err != nil || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	m, _ := cur.(map[string]any)
	return m
}

// splitPath turns "a.b[].c" or "a.b[3].c" into ["a", "b", "c"].
func splitPath(p string) []string {
	var out []string
	for _, seg := range strings.Split(p, ".") {
		if i := strings.IndexByte(seg, '['); i >= 0 {
			seg = seg[:i]
		}
		if seg != "" {
			out = append(out, seg)
		}
	}
	return out
}

func unescape(seg string) string {
	return strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
}

func atoi(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty index")
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("bad index %q", s)
		}
		n = n*10 + int(r-'0')
		if n > 1<<30 {
			return 0, fmt.Errorf("bad index %q", s)
		}
	}
	return n, nil
}

// normalize turns obj into the JSON values the validator takes: obj
// itself when it holds only those (a decoded file always does), else a
// copy with the others converted. Copying every object validated was a
// tenth of validation's CPU in a 100,000-user check (issue 12, row e3).
func normalize(obj any) (any, error) {
	if plainJSON(obj) {
		return obj, nil
	}
	return normalizeCopy(obj)
}

// plainJSON reports whether v holds only values the validator takes as
// they are (normalizeCopy would return an equal copy).
func plainJSON(v any) bool {
	switch x := v.(type) {
	case nil, bool, string, json.Number, float64, float32, int, int8, int32, int64, uint, uint8, uint32, uint64:
		return true
	case map[string]any:
		for _, e := range x {
			if !plainJSON(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !plainJSON(e) {
				return false
			}
		}
		return true
	}
	return false
}

// normalizeCopy is normalize's copy, converting what the validator does
// not take (int16, uint16; other Go values through encoding/json).
func normalizeCopy(obj any) (any, error) {
	switch x := obj.(type) {
	case nil, bool, string, json.Number, float64, float32, int, int8, int32, int64, uint, uint8, uint32, uint64:
		return x, nil
	case int16:
		return int(x), nil
	case uint16:
		return int(x), nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			n, err := normalizeCopy(v)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			n, err := normalizeCopy(v)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
}
