// Package csdl knows the declared properties of the Microsoft Graph v1.0 types
// graphsim serves, generated from Graph's own CSDL (v1.0-Prod.csdl) by
// internal/gen. The table (types_gen.go) is committed, so nothing here needs
// the CSDL at build or test time.
//
// The table holds the root types graphsim serves (user, group, application,
// conditionalAccessPolicy, ...), the entity types derived from them (except
// from directoryObject), their base chains, and every complex and enum type
// reachable from their structural properties, with all types derived from
// those complex types. Navigation targets are not followed.
//
// Names: Type.Name and Type.BaseType are unqualified for the microsoft.graph
// namespace ("user") and qualified otherwise; Property.Type and
// Navigation.Type are always qualified ("Collection(microsoft.graph.keyCredential)",
// "Edm.String"). Lookup accepts "user", "microsoft.graph.user" and
// "#microsoft.graph.user".
package csdl

//go:generate go run ./internal/gen -in ../../../shared/graph-metadata/v1.0-Prod.csdl -out types_gen.go

import (
	"sort"
	"strings"
	"sync"
)

// Namespace is Graph's main CSDL namespace.
const Namespace = "microsoft.graph"

// Type kinds.
const (
	KindEntity  = "entity"
	KindComplex = "complex"
	KindEnum    = "enum"
)

// Type is one CSDL entity, complex or enum type.
type Type struct {
	Name     string   // "user" (qualified when outside microsoft.graph)
	BaseType string   // "directoryObject"; "" for none
	Abstract bool     // CSDL Abstract="true"
	Kind     string   // KindEntity, KindComplex or KindEnum
	Members  []string // enum members, in CSDL order
	IsFlags  bool     // enum with IsFlags="true": values may be "a,b"
	Open     bool     // CSDL OpenType="true" (declared on this type itself)

	props   []Property   // declared on this type, CSDL order
	navs    []Navigation // declared on this type, CSDL order
	qname   string       // "microsoft.graph.user"
	base    *Type
	derived []string // transitively derived types in the table, sorted
}

// Property is a structural property.
type Property struct {
	Name string
	// Type is qualified: "Edm.String", "microsoft.graph.passwordProfile",
	// "Collection(microsoft.graph.keyCredential)".
	Type string
	// Nullable is CSDL's Nullable (default true). For a collection it says
	// whether elements may be null; the collection itself is never null.
	Nullable   bool
	Collection bool
}

// ElemType is the element type of a collection property, else Type.
func (p Property) ElemType() string { return elemType(p.Type) }

// Navigation is a navigation property.
type Navigation struct {
	Name           string
	Type           string // qualified, "Collection(microsoft.graph.directoryObject)"
	ContainsTarget bool
	Collection     bool
}

// ElemType is the target entity type of the navigation property.
func (n Navigation) ElemType() string { return elemType(n.Type) }

func elemType(t string) string {
	if strings.HasPrefix(t, "Collection(") && strings.HasSuffix(t, ")") {
		return t[len("Collection(") : len(t)-1]
	}
	return t
}

// byQName indexes the table by qualified name and links every type to its
// base and derived types. It is built on first use, not in init: every
// entrasnap process links graphsim (for `entrasnap graphsim`), and the
// commands that never start it should not pay for the index.
var byQName = sync.OnceValue(func() map[string]*Type {
	m := make(map[string]*Type, len(genTypes))
	for _, t := range genTypes {
		t.qname = qualify(t.Name)
		m[t.qname] = t
	}
	for _, t := range genTypes {
		if t.BaseType != "" {
			t.base = m[qualify(t.BaseType)]
		}
	}
	for _, t := range genTypes {
		for b := t.base; b != nil; b = b.base {
			b.derived = append(b.derived, t.Name)
		}
	}
	for _, t := range genTypes {
		sort.Strings(t.derived)
	}
	return m
})

// qualify turns "user" or "#microsoft.graph.user" into "microsoft.graph.user".
func qualify(name string) string {
	name = strings.TrimPrefix(name, "#")
	if strings.Contains(name, ".") {
		return name
	}
	return Namespace + "." + name
}

// Lookup finds a type by "user", "microsoft.graph.user" or
// "#microsoft.graph.user".
func Lookup(typeName string) (*Type, bool) {
	t, ok := byQName()[qualify(typeName)]
	return t, ok
}

// Types lists the names of every type in the table, sorted by qualified name.
func Types() []string {
	out := make([]string, len(genTypes))
	for i, t := range genTypes {
		out[i] = t.Name
	}
	return out
}

// Roots lists the root types the table was generated for.
func Roots() []string { return append([]string(nil), genRoots...) }

// MissingRoots lists the requested root types that the CSDL does not define.
func MissingRoots() []string { return append([]string(nil), genMissing...) }

// Source identifies the CSDL file (name and sha256) the table came from.
func Source() string { return genSource }

// QualifiedName is "microsoft.graph.<Name>".
func (t *Type) QualifiedName() string { return t.qname }

// ODataType is the @odata.type value, "#microsoft.graph.<Name>".
func (t *Type) ODataType() string { return "#" + t.qname }

// Base is the base type, nil for none.
func (t *Type) Base() *Type { return t.base }

// Property finds a structural property declared on t or its base chain.
// Names are case-sensitive, as in Graph's JSON.
func (t *Type) Property(name string) (*Property, bool) {
	for c := t; c != nil; c = c.base {
		for i := range c.props {
			if c.props[i].Name == name {
				p := c.props[i]
				return &p, true
			}
		}
	}
	return nil, false
}

// Properties lists all structural properties, base chain included, sorted by
// name.
func (t *Type) Properties() []Property {
	var out []Property
	for c := t; c != nil; c = c.base {
		out = append(out, c.props...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Navigation finds a navigation property declared on t or its base chain.
func (t *Type) Navigation(name string) (*Navigation, bool) {
	for c := t; c != nil; c = c.base {
		for i := range c.navs {
			if c.navs[i].Name == name {
				n := c.navs[i]
				return &n, true
			}
		}
	}
	return nil, false
}

// Navigations lists all navigation properties, base chain included, sorted by
// name.
func (t *Type) Navigations() []Navigation {
	var out []Navigation
	for c := t; c != nil; c = c.base {
		out = append(out, c.navs...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// IsDerivedFrom reports whether base is a proper ancestor of t ("namedLocation",
// "microsoft.graph.namedLocation" or "#microsoft.graph.namedLocation").
func (t *Type) IsDerivedFrom(base string) bool {
	q := qualify(base)
	for c := t.base; c != nil; c = c.base {
		if c.qname == q {
			return true
		}
	}
	return false
}

// DerivedTypes lists the types in the table derived from t, directly or not,
// sorted. It does not list t.
func (t *Type) DerivedTypes() []string { return append([]string(nil), t.derived...) }

// HasMember reports whether s is a valid value of an enum type: one member
// name, or for flags enums a comma-separated list of member names.
func (t *Type) HasMember(s string) bool {
	if t.Kind != KindEnum {
		return false
	}
	parts := []string{s}
	if t.IsFlags {
		parts = strings.Split(s, ",")
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		found := false
		for _, m := range t.Members {
			if m == p {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
