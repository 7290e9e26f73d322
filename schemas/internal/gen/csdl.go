package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// graphNS is Graph's main namespace; $defs names drop it.
const graphNS = "microsoft.graph"

// Type kinds.
const (
	kindEntity  = "entity"
	kindComplex = "complex"
	kindEnum    = "enum"
)

// Model is a parsed CSDL document with aliases resolved.
type Model struct {
	Types   map[string]*Type    // by qualified name: "microsoft.graph.user"
	derived map[string][]string // qualified base -> direct derived types, sorted
}

// Type is one entity, complex or enum type.
type Type struct {
	QName    string // "microsoft.graph.user"
	Kind     string // kindEntity, kindComplex or kindEnum
	Base     string // qualified base type, "" for none
	Abstract bool
	Open     bool // OpenType="true" declared on this type
	IsFlags  bool
	Members  []string // enum members in CSDL order
	Props    []Prop   // declared on this type, CSDL order
	Navs     []Nav    // declared on this type, CSDL order
}

// Prop is a structural property.
type Prop struct {
	Name string
	Type string // qualified: "Edm.String", "Collection(microsoft.graph.keyCredential)"
	// Nullable is CSDL's Nullable (default true).
	Nullable bool
	// Computed is true when the CSDL marks the property Core.Computed or
	// Core.Immutable: clients never set it (or only on create).
	Computed bool
}

// Nav is a navigation property.
type Nav struct {
	Name           string
	Type           string // qualified, may be Collection(...)
	Nullable       bool
	ContainsTarget bool
	AutoExpand     bool // Core.AutoExpand: Graph returns it inline
}

// ---- XML ----

type xmlDoc struct {
	DataServices struct {
		Schemas []xmlSchema `xml:"Schema"`
	} `xml:"DataServices"`
}

type xmlSchema struct {
	Namespace    string           `xml:"Namespace,attr"`
	Alias        string           `xml:"Alias,attr"`
	EntityTypes  []xmlStructured  `xml:"EntityType"`
	ComplexTypes []xmlStructured  `xml:"ComplexType"`
	EnumTypes    []xmlEnum        `xml:"EnumType"`
	Annotations  []xmlAnnotations `xml:"Annotations"`
}

type xmlStructured struct {
	Name     string    `xml:"Name,attr"`
	BaseType string    `xml:"BaseType,attr"`
	Abstract string    `xml:"Abstract,attr"`
	OpenType string    `xml:"OpenType,attr"`
	Props    []xmlProp `xml:"Property"`
	Navs     []xmlProp `xml:"NavigationProperty"`
}

type xmlProp struct {
	Name           string          `xml:"Name,attr"`
	Type           string          `xml:"Type,attr"`
	Nullable       string          `xml:"Nullable,attr"`
	ContainsTarget string          `xml:"ContainsTarget,attr"`
	Annotations    []xmlAnnotation `xml:"Annotation"`
}

type xmlEnum struct {
	Name    string `xml:"Name,attr"`
	IsFlags string `xml:"IsFlags,attr"`
	Members []struct {
		Name string `xml:"Name,attr"`
	} `xml:"Member"`
}

type xmlAnnotations struct {
	Target      string          `xml:"Target,attr"`
	Annotations []xmlAnnotation `xml:"Annotation"`
}

type xmlAnnotation struct {
	Term string `xml:"Term,attr"`
	Bool string `xml:"Bool,attr"`
}

func parseBool(s string, def bool) bool {
	if s == "" {
		return def
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return def
	}
	return b
}

// term reports which of the annotations this generator uses a term is:
// "Computed", "Immutable", "AutoExpand" or "". Terms may be written in full
// (Org.OData.Core.V1.Computed) or through an alias (Core.Computed).
func term(t string) string {
	i := strings.LastIndexByte(t, '.')
	if i < 0 {
		return ""
	}
	ns, name := t[:i], t[i+1:]
	if ns != "Org.OData.Core.V1" && ns != "Core" {
		return ""
	}
	switch name {
	case "Computed", "Immutable", "AutoExpand":
		return name
	}
	return ""
}

// Parse reads a CSDL (EDMX) document.
func Parse(r io.Reader) (*Model, error) {
	var doc xmlDoc
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse CSDL: %w", err)
	}
	if len(doc.DataServices.Schemas) == 0 {
		return nil, fmt.Errorf("parse CSDL: no Schema elements")
	}
	aliases := map[string]string{}
	for _, s := range doc.DataServices.Schemas {
		if s.Alias != "" {
			aliases[s.Alias] = s.Namespace
		}
	}
	qual := func(t string) string {
		if inner, ok := collectionOf(t); ok {
			return "Collection(" + qualifyAlias(aliases, inner) + ")"
		}
		return qualifyAlias(aliases, t)
	}
	m := &Model{Types: map[string]*Type{}, derived: map[string][]string{}}
	add := func(t *Type) error {
		if _, dup := m.Types[t.QName]; dup {
			return fmt.Errorf("parse CSDL: duplicate type %s", t.QName)
		}
		m.Types[t.QName] = t
		return nil
	}
	for _, s := range doc.DataServices.Schemas {
		for _, group := range []struct {
			kind string
			list []xmlStructured
		}{{kindEntity, s.EntityTypes}, {kindComplex, s.ComplexTypes}} {
			for _, x := range group.list {
				t := &Type{
					QName:    s.Namespace + "." + x.Name,
					Kind:     group.kind,
					Abstract: parseBool(x.Abstract, false),
					Open:     parseBool(x.OpenType, false),
				}
				if x.BaseType != "" {
					t.Base = qual(x.BaseType)
				}
				for _, p := range x.Props {
					np := Prop{Name: p.Name, Type: qual(p.Type), Nullable: parseBool(p.Nullable, true)}
					for _, a := range p.Annotations {
						if tm := term(a.Term); (tm == "Computed" || tm == "Immutable") && parseBool(a.Bool, true) {
							np.Computed = true
						}
					}
					t.Props = append(t.Props, np)
				}
				for _, n := range x.Navs {
					nn := Nav{Name: n.Name, Type: qual(n.Type), Nullable: parseBool(n.Nullable, true),
						ContainsTarget: parseBool(n.ContainsTarget, false)}
					for _, a := range n.Annotations {
						if term(a.Term) == "AutoExpand" && parseBool(a.Bool, true) {
							nn.AutoExpand = true
						}
					}
					t.Navs = append(t.Navs, nn)
				}
				if err := add(t); err != nil {
					return nil, err
				}
			}
		}
		for _, x := range s.EnumTypes {
			t := &Type{QName: s.Namespace + "." + x.Name, Kind: kindEnum, IsFlags: parseBool(x.IsFlags, false)}
			for _, mb := range x.Members {
				t.Members = append(t.Members, mb.Name)
			}
			if err := add(t); err != nil {
				return nil, err
			}
		}
	}
	// Out-of-line annotations: <Annotations Target="ns.type/prop">.
	for _, s := range doc.DataServices.Schemas {
		for _, as := range s.Annotations {
			typeName, member, ok := strings.Cut(as.Target, "/")
			if !ok {
				continue
			}
			t := m.Types[qualifyAlias(aliases, typeName)]
			if t == nil {
				continue
			}
			for _, a := range as.Annotations {
				tm := term(a.Term)
				if tm == "" || !parseBool(a.Bool, true) {
					continue
				}
				for i := range t.Props {
					if t.Props[i].Name == member && (tm == "Computed" || tm == "Immutable") {
						t.Props[i].Computed = true
					}
				}
				for i := range t.Navs {
					if t.Navs[i].Name == member && tm == "AutoExpand" {
						t.Navs[i].AutoExpand = true
					}
				}
			}
		}
	}
	for _, t := range m.Types {
		if t.Base != "" {
			m.derived[t.Base] = append(m.derived[t.Base], t.QName)
		}
	}
	for k := range m.derived {
		sort.Strings(m.derived[k])
	}
	return m, nil
}

func qualifyAlias(aliases map[string]string, t string) string {
	if strings.HasPrefix(t, "Edm.") {
		return t
	}
	if i := strings.LastIndexByte(t, '.'); i > 0 {
		if ns, ok := aliases[t[:i]]; ok {
			return ns + "." + t[i+1:]
		}
	}
	return t
}

// collectionOf returns X for "Collection(X)".
func collectionOf(t string) (string, bool) {
	if strings.HasPrefix(t, "Collection(") && strings.HasSuffix(t, ")") {
		return t[len("Collection(") : len(t)-1], true
	}
	return t, false
}

// qualifyName turns "user", "microsoft.graph.user" or "#microsoft.graph.user"
// into "microsoft.graph.user".
func qualifyName(n string) string {
	n = strings.TrimPrefix(n, "#")
	if strings.Contains(n, ".") {
		return n
	}
	return graphNS + "." + n
}

// defName is the $defs key of a type: its name without "microsoft.graph.".
func defName(q string) string {
	if rest, ok := strings.CutPrefix(q, graphNS+"."); ok {
		return rest
	}
	return q
}

// chain is t and its base types, most derived first.
func (m *Model) chain(t *Type) []*Type {
	var out []*Type
	seen := map[string]bool{}
	for c := t; c != nil && !seen[c.QName]; c = m.Types[c.Base] {
		seen[c.QName] = true
		out = append(out, c)
	}
	return out
}

// isA reports whether t is anc or derives from it.
func (m *Model) isA(t *Type, anc string) bool {
	for _, c := range m.chain(t) {
		if c.QName == anc {
			return true
		}
	}
	return false
}

// family is t followed by every type derived from it, transitively, sorted.
func (m *Model) family(t *Type) []*Type {
	var names []string
	var walk func(q string)
	seen := map[string]bool{t.QName: true}
	walk = func(q string) {
		for _, d := range m.derived[q] {
			if !seen[d] {
				seen[d] = true
				names = append(names, d)
				walk(d)
			}
		}
	}
	walk(t.QName)
	sort.Strings(names)
	out := []*Type{t}
	for _, n := range names {
		out = append(out, m.Types[n])
	}
	return out
}

// props lists t's structural properties with its base chain's, a derived
// declaration winning over a base one of the same name, sorted by name.
func (m *Model) props(t *Type) []Prop {
	seen := map[string]bool{}
	var out []Prop
	for _, c := range m.chain(t) {
		for _, p := range c.Props {
			if !seen[p.Name] {
				seen[p.Name] = true
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// navs lists t's navigation properties with its base chain's, sorted by name.
func (m *Model) navs(t *Type) []Nav {
	seen := map[string]bool{}
	var out []Nav
	for _, c := range m.chain(t) {
		for _, n := range c.Navs {
			if !seen[n.Name] {
				seen[n.Name] = true
				out = append(out, n)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
