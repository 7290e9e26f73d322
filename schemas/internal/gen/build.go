package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// KindSpec is what the generator needs to know of one layout kind.
type KindSpec struct {
	Name      string // file name stem: "users"
	Title     string
	ODataType string // "#microsoft.graph.user"
	Key       string // required in every file unless Singleton ("" means "id")
	Singleton bool
	Children  []ChildSpec
	Embedded  string   // navigation stored in other files: not allowed here
	ReadOnly  []string // catalog paths marked readOnly
	Secret    []string // catalog paths never written: not allowed
	Volatile  []string // catalog paths never written: not allowed
	IDOnly    []string // catalog paths of objects written as {id} only
	// Paths are the kind's other catalog paths (sets, references). They
	// must resolve, and a navigation they name is written inline.
	Paths []string
	// Select are the properties read ($select): they must resolve too.
	Select []string
	// Images are stream properties stored as files next to the object's
	// (layout.Kind.Images): the file holds {file, sha256, contentType, size}.
	Images []string
	// Documents are catalog paths ("files[].fileData") of documents Graph
	// returns inline as base64 and stored as files next to the object's
	// (layout.Kind.FileItems): the value holds {file, sha256, contentType,
	// size} of a PDF.
	Documents []string
}

// ChildSpec is a relationship stored inside the parent's file.
type ChildSpec struct {
	Name string
	Refs bool     // [{id, @odata.type}] instead of objects
	Drop []string // child properties never written
}

// Omission reasons, kept in the schema's "$comment" next to "not": {} so
// that package schemas can say why a property is refused.
const (
	reasonSecret   = "secret: never written to a file"
	reasonVolatile = "volatile: never written to a file"
	reasonEmbedded = "stored in its own files, not in this one"
	reasonDropped  = "not written: derived from the parent object"
	reasonIDOnly   = "id only: Graph expands this object on read; the file keeps its id, the object's own file holds the rest"
)

// ExtensionPattern matches directory extension properties on open types:
// extension_<appId without dashes>_<name>.
const ExtensionPattern = "^extension_[0-9a-fA-F]{32}_[A-Za-z0-9_]+$"

// ODataTypePattern is what a reference's @odata.type looks like.
const ODataTypePattern = `^#microsoft\.graph\.[A-Za-z0-9_.]+$`

const refDef = "entrasnap.reference"

type mkey struct{ typ, prop string }

type builder struct {
	m         *Model
	k         KindSpec
	root      *Type
	readOnly  map[mkey]bool
	omit      map[mkey]string
	idOnly    map[mkey]bool              // objects written as {id} only, by context type
	documents map[mkey]bool              // documents stored as files (KindSpec.Documents), by context type
	inline    map[mkey]bool              // navigations written inline, by context type
	extra     map[string]map[string]bool // catalog-named properties the CSDL lacks, by context type
	children  map[string]ChildSpec
	childTyp  map[string]string // child name -> element type (object children)
	defs      map[string]any
	queue     []*Type
	queued    map[string]bool
	warnings  []string
}

func (b *builder) warnf(format string, a ...any) {
	b.warnings = append(b.warnings, b.k.Name+": "+fmt.Sprintf(format, a...))
}

// Build makes the JSON Schema of one kind's canonical file. comment is
// recorded as the document's "$comment". Warnings name catalog entries the
// CSDL does not know.
func Build(m *Model, k KindSpec, comment string) (doc []byte, warnings []string, err error) {
	root := m.Types[qualifyName(k.ODataType)]
	if root == nil || root.Kind == kindEnum {
		return nil, nil, fmt.Errorf("%s: type %s not in the CSDL", k.Name, k.ODataType)
	}
	b := &builder{
		m: m, k: k, root: root,
		readOnly: map[mkey]bool{}, documents: map[mkey]bool{}, omit: map[mkey]string{}, idOnly: map[mkey]bool{}, inline: map[mkey]bool{}, extra: map[string]map[string]bool{},
		children: map[string]ChildSpec{}, childTyp: map[string]string{},
		defs: map[string]any{}, queued: map[string]bool{},
	}
	for _, c := range k.Children {
		b.children[c.Name] = c
	}
	for _, c := range k.Children {
		n, _ := b.findNav(root, c.Name)
		if n == nil {
			if !c.Refs {
				b.warnf("child %s: no navigation property %s on %s", c.Name, c.Name, root.QName)
			}
			continue
		}
		if !c.Refs {
			et, _ := collectionOf(n.Type)
			b.childTyp[c.Name] = et
			if t := m.Types[et]; t != nil {
				for _, d := range c.Drop {
					if _, _, ok := b.lookup(t, d); !ok {
						b.warnf("child %s: drop %s: no property %s on %s", c.Name, d, d, et)
					}
					b.omit[mkey{et, d}] = reasonDropped
				}
			}
		}
	}
	mark := func(paths []string, f func(ctx *Type, name string)) {
		for _, p := range paths {
			b.resolve(p, f)
		}
	}
	mark(k.ReadOnly, func(ctx *Type, name string) { b.readOnly[mkey{ctx.QName, name}] = true })
	mark(k.Secret, func(ctx *Type, name string) { b.omit[mkey{ctx.QName, name}] = reasonSecret })
	mark(k.Volatile, func(ctx *Type, name string) { b.omit[mkey{ctx.QName, name}] = reasonVolatile })
	mark(k.IDOnly, func(ctx *Type, name string) { b.idOnly[mkey{ctx.QName, name}] = true })
	mark(k.Documents, func(ctx *Type, name string) { b.documents[mkey{ctx.QName, name}] = true })
	mark(k.Paths, func(*Type, string) {})
	mark(k.Select, func(*Type, string) {})
	if k.Embedded != "" {
		mark([]string{k.Embedded}, func(ctx *Type, name string) { b.omit[mkey{ctx.QName, name}] = reasonEmbedded })
	}

	top := b.object(root, true)
	for len(b.queue) > 0 {
		t := b.queue[0]
		b.queue = b.queue[1:]
		b.defs[defName(t.QName)] = b.object(t, false)
	}

	var buf bytes.Buffer
	buf.WriteString("{\n")
	field := func(name string, v any, last bool) {
		raw, e := marshal(v)
		if e != nil && err == nil {
			err = e
		}
		fmt.Fprintf(&buf, "  %q: %s", name, bytes.TrimSpace(indent(raw, "  ")))
		if !last {
			buf.WriteString(",")
		}
		buf.WriteString("\n")
	}
	field("$schema", "https://json-schema.org/draft/2020-12/schema", false)
	field("$id", SchemaID(k.Name), false)
	field("$comment", comment, false)
	field("title", k.Title, false)
	for _, name := range []string{"type", "required", "properties", "patternProperties", "additionalProperties", "allOf"} {
		if v, ok := top[name]; ok {
			field(name, v, false)
		}
	}
	field("$defs", b.defs, true)
	buf.WriteString("}\n")
	if err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), b.warnings, nil
}

// SchemaID is the $id of a kind's schema.
func SchemaID(kind string) string {
	return "https://github.com/entrasnap/entrasnap/schemas/generated/" + kind + ".schema.json"
}

// lookup finds a structural or navigation property on t or any type
// derived from it (values may be of a derived type).
func (b *builder) lookup(t *Type, name string) (*Prop, *Nav, bool) {
	for _, d := range b.m.family(t) {
		for _, p := range b.m.props(d) {
			if p.Name == name {
				return &p, nil, true
			}
		}
		for _, n := range b.m.navs(d) {
			if n.Name == name {
				return nil, &n, true
			}
		}
	}
	return nil, nil, false
}

func (b *builder) findNav(t *Type, name string) (*Nav, bool) {
	_, n, ok := b.lookup(t, name)
	return n, ok && n != nil
}

// resolve walks a catalog path ("conditions.users.includeGroups",
// "passwordCredentials[].secretText") from the root type and calls f with
// the context type (the declared type at that point) and the name of the
// last segment. Navigations on the way are written inline.
func (b *builder) resolve(path string, f func(ctx *Type, name string)) {
	ctx := b.root
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		name := strings.TrimSuffix(seg, "[]")
		if ctx == nil {
			b.warnf("path %s: %s is not an object", path, strings.Join(segs[:i], "."))
			return
		}
		var typ string
		if c, ok := b.children[name]; ok && ctx == b.root {
			if c.Refs {
				if i+1 < len(segs) && !(i+2 == len(segs) && (segs[i+1] == "id" || segs[i+1] == "@odata.type")) {
					b.warnf("path %s: reference lists hold only id and @odata.type", path)
				}
				if i+1 == len(segs) {
					f(ctx, name)
				}
				return
			}
			typ = b.childTyp[name]
		} else {
			p, n, ok := b.lookup(ctx, name)
			switch {
			case !ok && i == len(segs)-1:
				// Graph sends some properties its CSDL lacks (a
				// role assignment's resourceScope); what the catalog
				// names is allowed, unchecked.
				b.warnf("path %s: %s is not in the CSDL's %s; the schema takes the catalog's word for it", path, name, ctx.QName)
				if b.extra[ctx.QName] == nil {
					b.extra[ctx.QName] = map[string]bool{}
				}
				b.extra[ctx.QName][name] = true
				f(ctx, name)
				return
			case !ok:
				b.warnf("path %s: no property %s on %s", path, name, ctx.QName)
				return
			case p != nil:
				typ = p.Type
			default:
				typ = n.Type
				b.inline[mkey{ctx.QName, name}] = true
			}
		}
		if i == len(segs)-1 {
			f(ctx, name)
			return
		}
		et, _ := collectionOf(typ)
		ctx = b.m.Types[et]
		if ctx != nil && ctx.Kind == kindEnum {
			ctx = nil
		}
	}
}

// marked looks a property up in a mark table along t's base chain.
func marked[V any](b *builder, tab map[mkey]V, t *Type, prop string) (V, bool) {
	for _, c := range b.m.chain(t) {
		if v, ok := tab[mkey{c.QName, prop}]; ok {
			return v, true
		}
	}
	var zero V
	return zero, false
}

// members lists the property schemas of one concrete type d, as a value of
// a property declared with type t (atRoot: the file itself).
func (b *builder) members(d *Type, atRoot bool) map[string]any {
	out := map[string]any{}
	for _, p := range b.m.props(d) {
		out[p.Name] = b.propSchema(d, p)
	}
	for _, n := range b.m.navs(d) {
		if atRoot {
			if c, ok := b.children[n.Name]; ok {
				out[n.Name] = b.childSchema(c)
				continue
			}
		}
		// A navigation is in the file when Graph returns it inline: the
		// catalog names it (combinationConfigurations, includeTargets),
		// the CSDL says AutoExpand, or it is a contained navigation of a
		// complex value. A nested entity's own contained navigations are
		// not: Graph returns them only when asked ($expand), and as
		// allowed they made a schema hold all an entity reaches (a
		// workflow scope's groups: their calendars, drives, threads).
		_, in := marked(b, b.inline, d, n.Name)
		reason, omit := marked(b, b.omit, d, n.Name)
		_, idOnly := marked(b, b.idOnly, d, n.Name)
		var s map[string]any
		switch et, coll := collectionOf(n.Type); {
		case omit:
			s = omitted(reason)
		case idOnly:
			s = idOnlySchema(n.Nullable)
		case !(n.AutoExpand || in || (!atRoot && n.ContainsTarget && d.Kind == kindComplex)):
			continue
		case coll:
			s = map[string]any{"type": "array", "items": b.ref(et, false)}
		default:
			s = b.ref(et, n.Nullable)
		}
		if _, ro := marked(b, b.readOnly, d, n.Name); ro {
			s["readOnly"] = true
		}
		out[n.Name] = s
	}
	for _, c := range b.m.chain(d) {
		for name := range b.extra[c.QName] {
			if _, ok := out[name]; ok {
				continue
			}
			s := map[string]any{"$comment": "not in the CSDL; named by the layout catalog"}
			if reason, ok := marked(b, b.omit, d, name); ok {
				s = omitted(reason)
			}
			if _, ro := marked(b, b.readOnly, d, name); ro {
				s["readOnly"] = true
			}
			out[name] = s
		}
	}
	if atRoot {
		for _, c := range b.k.Children {
			if _, ok := out[c.Name]; !ok {
				out[c.Name] = b.childSchema(c)
			}
		}
		for _, im := range b.k.Images {
			if _, ok := out[im]; ok {
				out[im] = imageSchema(im)
			}
		}
	}
	return out
}

// idOnlySchema is an object the file names by id only ({id} and perhaps
// @odata.type); any other property is refused with reasonIDOnly.
func idOnlySchema(nullable bool) map[string]any {
	return map[string]any{
		"type": typeList("object", nullable),
		"properties": map[string]any{
			"id":          map[string]any{"type": "string"},
			"@odata.type": map[string]any{"type": "string", "pattern": ODataTypePattern},
		},
		"required":             []string{"id"},
		"additionalProperties": omitted(reasonIDOnly),
	}
}

func omitted(reason string) map[string]any {
	return map[string]any{"not": map[string]any{}, "$comment": reason}
}

func (b *builder) childSchema(c ChildSpec) map[string]any {
	if c.Refs {
		if _, ok := b.defs[refDef]; !ok {
			b.defs[refDef] = map[string]any{
				"type": "object",
				"properties": map[string]any{
					"id":          map[string]any{"type": "string"},
					"@odata.type": map[string]any{"type": "string", "pattern": ODataTypePattern},
				},
				"required":             []string{"id"},
				"additionalProperties": false,
			}
		}
		return map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/" + refDef}}
	}
	et := b.childTyp[c.Name]
	if et == "" {
		return map[string]any{"type": "array", "items": map[string]any{"type": "object"}}
	}
	return map[string]any{"type": "array", "items": b.ref(et, false)}
}

func (b *builder) propSchema(d *Type, p Prop) map[string]any {
	var s map[string]any
	if reason, ok := marked(b, b.omit, d, p.Name); ok {
		s = omitted(reason)
	} else if _, ok := marked(b, b.idOnly, d, p.Name); ok {
		s = idOnlySchema(p.Nullable)
	} else if _, ok := marked(b, b.documents, d, p.Name); ok {
		s = documentSchema()
	} else {
		s = b.typeSchema(p.Type, p.Nullable)
	}
	if _, ro := marked(b, b.readOnly, d, p.Name); ro || p.Computed {
		s["readOnly"] = true
	}
	return s
}

func typeList(t string, nullable bool) any {
	if nullable {
		return []string{t, "null"}
	}
	return t
}

// typeSchema maps a CSDL type reference to a schema.
func (b *builder) typeSchema(t string, nullable bool) map[string]any {
	if et, ok := collectionOf(t); ok {
		// CSDL's Nullable on a collection is about its elements, which
		// Graph does not send as null. The collection itself may be null
		// whatever the CSDL says: an unset collection named in $select
		// comes back null (otherMails, resourceBehaviorOptions).
		return map[string]any{"type": typeList("array", true), "items": b.typeSchema(et, false)}
	}
	if strings.HasPrefix(t, "Edm.") {
		return edm(t, nullable)
	}
	tt := b.m.Types[t]
	if tt == nil {
		b.warnf("type %s not in the CSDL; not checked", t)
		return map[string]any{}
	}
	if tt.Kind == kindEnum {
		return enumSchema(tt, nullable)
	}
	return b.ref(t, nullable)
}

func (b *builder) ref(q string, nullable bool) map[string]any {
	t := b.m.Types[q]
	if t == nil {
		b.warnf("type %s not in the CSDL; not checked", q)
		return map[string]any{"type": typeList("object", nullable)}
	}
	if !b.queued[q] {
		b.queued[q] = true
		b.queue = append(b.queue, t)
	}
	return map[string]any{"type": typeList("object", nullable), "$ref": "#/$defs/" + defName(q)}
}

func edm(t string, nullable bool) map[string]any {
	s := map[string]any{}
	switch t {
	case "Edm.String", "Edm.TimeOfDay":
		s["type"] = "string"
	case "Edm.Guid":
		s["type"], s["format"] = "string", "uuid"
	case "Edm.DateTimeOffset":
		s["type"], s["format"] = "string", "date-time"
	case "Edm.Date":
		s["type"], s["format"] = "string", "date"
	case "Edm.Duration":
		s["type"], s["format"] = "string", "duration"
	case "Edm.Binary":
		s["type"], s["contentEncoding"] = "string", "base64"
	case "Edm.Boolean":
		s["type"] = "boolean"
	case "Edm.Byte", "Edm.SByte", "Edm.Int16", "Edm.Int32", "Edm.Int64":
		s["type"] = "integer"
	case "Edm.Double", "Edm.Single", "Edm.Decimal":
		s["type"] = "number"
	default: // Edm.Stream, Edm.Untyped, geography...: not checked
		return s
	}
	s["type"] = typeList(s["type"].(string), nullable)
	return s
}

func enumSchema(t *Type, nullable bool) map[string]any {
	if t.IsFlags {
		alt := make([]string, len(t.Members))
		for i, m := range t.Members {
			alt[i] = regexp.QuoteMeta(m)
		}
		one := "(?:" + strings.Join(alt, "|") + ")"
		return map[string]any{"type": typeList("string", nullable), "pattern": "^" + one + "(?:, ?" + one + ")*$"}
	}
	vals := make([]any, 0, len(t.Members)+1)
	for _, m := range t.Members {
		vals = append(vals, m)
	}
	if nullable {
		vals = append(vals, nil)
	}
	return map[string]any{"type": typeList("string", nullable), "enum": vals}
}

// object makes the schema of values of type t: the union of the properties
// of t and its derived types, the value's @odata.type choosing which of
// them are allowed. atRoot adds what only the file's top level has:
// children, extension properties, the key.
func (b *builder) object(t *Type, atRoot bool) map[string]any {
	fam := b.m.family(t)
	perType := make([]map[string]any, len(fam))
	variants := map[string][]string{} // name -> distinct schema JSONs
	schemaOf := map[string]any{}      // schema JSON -> schema
	for i, d := range fam {
		perType[i] = b.members(d, atRoot)
		for name, s := range perType[i] {
			raw, _ := json.Marshal(s)
			key := string(raw)
			if !contains(variants[name], key) {
				variants[name] = append(variants[name], key)
				schemaOf[key] = s
			}
		}
	}
	props := map[string]any{}
	for name, vs := range variants {
		if len(vs) == 1 {
			props[name] = schemaOf[vs[0]]
			continue
		}
		sort.Strings(vs)
		var any_ []any
		ro := false
		for _, v := range vs {
			s := schemaOf[v].(map[string]any)
			if s["readOnly"] == true {
				ro = true
			}
			any_ = append(any_, s)
		}
		u := map[string]any{"anyOf": any_}
		if ro {
			u["readOnly"] = true
		}
		props[name] = u
	}
	var types []any
	for _, d := range fam {
		types = append(types, "#"+d.QName)
	}
	props["@odata.type"] = map[string]any{"type": "string", "enum": types}

	s := map[string]any{"properties": props}
	open := atRoot && t.Open
	if atRoot {
		s["type"] = "object"
		var req []string
		if !b.k.Singleton {
			key := b.k.Key
			if key == "" {
				key = "id"
			}
			if _, ok := props[key]; ok {
				req = append(req, key)
			} else {
				b.warnf("key %s: no such property on %s", key, t.QName)
			}
		}
		if t.Abstract && len(fam) > 1 {
			req = append(req, "@odata.type")
		}
		if len(req) > 0 {
			s["required"] = req
		}
		if open {
			s["patternProperties"] = map[string]any{ExtensionPattern: extensionValue()}
		}
		s["additionalProperties"] = false
	} else if t.Open {
		// Open complex types take any property except annotations.
		s["propertyNames"] = map[string]any{"anyOf": []any{
			map[string]any{"pattern": "^[^@]*$"}, map[string]any{"const": "@odata.type"}}}
	} else {
		s["additionalProperties"] = false
	}
	if len(fam) > 1 {
		var dispatch []any
		for i, d := range fam {
			if d.Abstract {
				continue
			}
			names := []any{"@odata.type"}
			own := map[string]any{}
			for name := range perType[i] {
				names = append(names, name)
				if len(variants[name]) > 1 {
					own[name] = perType[i][name]
				}
			}
			if len(names) == len(props) && len(own) == 0 {
				continue // every property of the union is d's: nothing to add
			}
			sort.Slice(names, func(a, c int) bool { return names[a].(string) < names[c].(string) })
			var pn any = map[string]any{"enum": names}
			if open {
				pn = map[string]any{"anyOf": []any{pn, map[string]any{"pattern": ExtensionPattern}}}
			}
			then := map[string]any{}
			if !(d.Open && !atRoot) {
				then["propertyNames"] = pn
			}
			if len(own) > 0 {
				then["properties"] = own
			}
			if len(then) == 0 {
				continue
			}
			// A value without @odata.type is of the declared type t (OData
			// omits it then), so t's branch also applies when it is absent.
			cond := map[string]any{"properties": map[string]any{"@odata.type": map[string]any{"const": "#" + d.QName}}}
			if d != t {
				cond["required"] = []string{"@odata.type"}
			}
			dispatch = append(dispatch, map[string]any{"if": cond, "then": then})
		}
		if len(dispatch) > 0 {
			s["allOf"] = dispatch
		}
	}
	return s
}

// extensionValue is what a directory extension property may hold.
func extensionValue() map[string]any {
	return map[string]any{
		"type":  []string{"string", "integer", "number", "boolean", "array", "null"},
		"items": map[string]any{"type": []string{"string", "integer", "number", "boolean"}},
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func indent(raw []byte, prefix string) []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, raw, prefix, "  "); err != nil {
		return raw
	}
	return out.Bytes()
}

// imageSchema is what an object's file holds of an image stored next to it
// (layout.Image): its file under images/, SHA-256, media type and size.
// Company branding's customCSS (layout.CustomCSS) is a text/css file.
// documentSchema is a document (layout.Kind.FileItems: a terms of use
// agreement's PDF) stored as a file next to the object's.
// When Graph answered the file without its bytes ("fileData": null, as
// the documented reads show), the value is {notReturned: true}
// (layout.NotReturned) and no file is stored, or, when an earlier export
// read the same file, that file with notReturned beside it
// (layout.CarriedValue).
func documentSchema() map[string]any {
	// The stored file's properties: alone, or beside notReturned.
	file := func(extra ...string) map[string]any {
		required := []any{"file", "sha256", "contentType", "size"}
		props := map[string]any{
			"file":        map[string]any{"type": "string", "pattern": "^images/[^/]+/[^/]+\\.pdf$"},
			"sha256":      map[string]any{"type": "string", "pattern": "^[0-9a-f]{64}$"},
			"contentType": map[string]any{"type": "string", "enum": []any{"application/pdf"}},
			"size":        map[string]any{"type": "integer", "minimum": 0, "maximum": 10485760},
		}
		for _, p := range extra {
			required = append(required, p)
			props[p] = map[string]any{"const": true}
		}
		return map[string]any{"type": "object", "additionalProperties": false, "required": required, "properties": props}
	}
	return map[string]any{
		"$comment": "a document Graph returns inline as base64, stored as a file next to this one (its bytes exactly); {notReturned: true} when Graph answered without the bytes, or the file an earlier export read with notReturned: true beside it",
		"readOnly": true,
		"anyOf": []any{ // disjoint: additionalProperties false in both
			file(),
			map[string]any{
				"type": "object", "additionalProperties": false,
				"required":   []any{"notReturned"},
				"properties": map[string]any{"notReturned": map[string]any{"const": true}},
			},
			file("notReturned"), // layout.CarriedValue: Graph answered null, the file an earlier export read is kept
		},
	}
}

func imageSchema(prop string) map[string]any {
	if prop == "customCSS" { // layout.CustomCSS
		return map[string]any{
			"$comment": "a style sheet (Graph stream) stored as a file next to this one; restore writes it with PUT",
			"type":     "object", "readOnly": true, "additionalProperties": false,
			"required": []any{"file", "sha256", "contentType", "size"},
			"properties": map[string]any{
				"file":        map[string]any{"type": "string", "pattern": "^images/[^/]+/customCSS\\.css$"},
				"sha256":      map[string]any{"type": "string", "pattern": "^[0-9a-f]{64}$"},
				"contentType": map[string]any{"type": "string", "enum": []any{"text/css"}},
				"size":        map[string]any{"type": "integer", "minimum": 0, "maximum": 1048576},
			},
		}
	}
	return map[string]any{
		"$comment": "an image (Graph stream) stored as a file next to this one; restore writes it with PUT",
		"type":     "object", "readOnly": true, "additionalProperties": false,
		"required": []any{"file", "sha256", "contentType", "size"},
		"properties": map[string]any{
			"file":        map[string]any{"type": "string", "pattern": "^images/[^/]+/[A-Za-z]+\\.(png|jpg|gif|ico)$"},
			"sha256":      map[string]any{"type": "string", "pattern": "^[0-9a-f]{64}$"},
			"contentType": map[string]any{"type": "string", "enum": []any{"image/png", "image/jpeg", "image/gif", "image/x-icon", "image/vnd.microsoft.icon"}},
			"size":        map[string]any{"type": "integer", "minimum": 0, "maximum": 1048576},
		},
	}
}
