package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

const tinyCSDL = `<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="microsoft.graph" Alias="graph" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EnumType Name="color" IsFlags="true">
        <Member Name="red" Value="1" />
        <Member Name="blue" Value="2" />
      </EnumType>
      <EnumType Name="thingState">
        <Member Name="on" Value="0" />
        <Member Name="off" Value="1" />
      </EnumType>
      <ComplexType Name="shape" Abstract="true">
        <Property Name="color" Type="graph.color" />
      </ComplexType>
      <ComplexType Name="circle" BaseType="graph.shape">
        <Property Name="radius" Type="Edm.Double" Nullable="false" />
      </ComplexType>
      <ComplexType Name="square" BaseType="graph.shape">
        <Property Name="side" Type="Edm.Int32" />
      </ComplexType>
      <ComplexType Name="bag" OpenType="true">
        <Property Name="size" Type="Edm.Int64" />
      </ComplexType>
      <ComplexType Name="credential">
        <Property Name="keyId" Type="Edm.Guid" />
        <Property Name="secretText" Type="Edm.String" />
        <Property Name="inner" Type="graph.credential" />
      </ComplexType>
      <EntityType Name="entity" Abstract="true">
        <Key><PropertyRef Name="id" /></Key>
        <Property Name="id" Type="Edm.String" Nullable="false" />
      </EntityType>
      <EntityType Name="thing" BaseType="graph.entity" OpenType="true">
        <Property Name="name" Type="Edm.String" Nullable="false" />
        <Property Name="shapes" Type="Collection(graph.shape)" Nullable="false" />
        <Property Name="extra" Type="graph.bag" />
        <Property Name="state" Type="graph.thingState" />
        <Property Name="colors" Type="graph.color" Nullable="false" />
        <Property Name="count" Type="Edm.Int32" />
        <Property Name="createdDateTime" Type="Edm.DateTimeOffset" />
        <Property Name="serial" Type="Edm.String">
          <Annotation Term="Org.OData.Core.V1.Immutable" Bool="true" />
        </Property>
        <Property Name="credentials" Type="Collection(graph.credential)" />
        <Property Name="lastSeen" Type="Edm.DateTimeOffset" />
        <NavigationProperty Name="parts" Type="Collection(graph.part)" ContainsTarget="true" />
        <NavigationProperty Name="owners" Type="Collection(graph.entity)" />
        <NavigationProperty Name="notes" Type="Collection(graph.note)" ContainsTarget="true" />
        <NavigationProperty Name="hidden" Type="Collection(graph.part)" ContainsTarget="true" />
        <NavigationProperty Name="expanded" Type="graph.part" ContainsTarget="true" />
        <NavigationProperty Name="creator" Type="graph.part" />
      </EntityType>
      <EntityType Name="specialThing" BaseType="graph.thing">
        <Property Name="special" Type="Edm.Boolean" />
      </EntityType>
      <EntityType Name="part" BaseType="graph.entity">
        <Property Name="label" Type="Edm.String" />
        <NavigationProperty Name="revisions" Type="Collection(graph.note)" ContainsTarget="true" />
      </EntityType>
      <EntityType Name="note" BaseType="graph.entity">
        <Property Name="text" Type="Edm.String" />
        <Property Name="parentId" Type="Edm.String" />
      </EntityType>
      <Annotations Target="graph.thing/createdDateTime">
        <Annotation Term="Org.OData.Core.V1.Computed" Bool="true" />
        <Annotation Term="Org.OData.Core.V1.Description" String="When it was made." />
      </Annotations>
      <Annotations Target="microsoft.graph.thing/expanded">
        <Annotation Term="Org.OData.Core.V1.AutoExpand" Bool="true" />
      </Annotations>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>`

var tinySpec = KindSpec{
	Name: "things", Title: "things", ODataType: "#microsoft.graph.thing",
	Children: []ChildSpec{
		{Name: "owners", Refs: true},
		{Name: "notes", Drop: []string{"parentId"}},
	},
	ReadOnly: []string{"id", "name", "creator"},
	IDOnly:   []string{"creator"},
	Secret:   []string{"credentials[].secretText"},
	Volatile: []string{"lastSeen"},
	Paths:    []string{"parts[].label", "owners[].id", "nonexistent", "shapes[].radius", "nope.deeper"},
}

func tinyModel(t *testing.T) *Model {
	t.Helper()
	m, err := Parse(strings.NewReader(tinyCSDL))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParse(t *testing.T) {
	m := tinyModel(t)
	th := m.Types["microsoft.graph.thing"]
	if th == nil || th.Kind != kindEntity || th.Base != "microsoft.graph.entity" || !th.Open {
		t.Fatalf("thing = %+v", th)
	}
	byName := map[string]Prop{}
	for _, p := range m.props(th) {
		byName[p.Name] = p
	}
	if p := byName["shapes"]; p.Type != "Collection(microsoft.graph.shape)" || p.Nullable {
		t.Errorf("shapes = %+v", p)
	}
	if !byName["createdDateTime"].Computed || !byName["serial"].Computed || byName["count"].Computed {
		t.Errorf("Computed/Immutable not read: %+v", byName)
	}
	if _, ok := byName["id"]; !ok {
		t.Error("base chain property id missing")
	}
	var expanded Nav
	for _, n := range m.navs(th) {
		if n.Name == "expanded" {
			expanded = n
		}
	}
	if !expanded.AutoExpand || !expanded.ContainsTarget {
		t.Errorf("expanded = %+v", expanded)
	}
	var fam []string
	for _, d := range m.family(m.Types["microsoft.graph.shape"]) {
		fam = append(fam, d.QName)
	}
	if want := []string{"microsoft.graph.shape", "microsoft.graph.circle", "microsoft.graph.square"}; !reflect.DeepEqual(fam, want) {
		t.Errorf("family(shape) = %v", fam)
	}
	if c := m.Types["microsoft.graph.color"]; c.Kind != kindEnum || !c.IsFlags || len(c.Members) != 2 {
		t.Errorf("color = %+v", c)
	}
	if _, err := Parse(strings.NewReader("<notcsdl/>")); err == nil {
		t.Error("Parse accepted a document without schemas")
	}
}

func buildTiny(t *testing.T) (map[string]any, []string, *jsonschema.Schema) {
	t.Helper()
	raw, warnings, err := Build(tinyModel(t), tinySpec, "test")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, raw)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	if err := c.AddResource(SchemaID("things"), bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID("things"))
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, raw)
	}
	return doc, warnings, sch
}

// at walks a decoded schema by keys.
func at(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("at %v: not an object before %q", keys, k)
		}
		v = m[k]
	}
	return v
}

func TestBuildShape(t *testing.T) {
	doc, warnings, _ := buildTiny(t)
	if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" || doc["type"] != "object" ||
		doc["additionalProperties"] != false || doc["$comment"] != "test" {
		t.Errorf("header = %v %v %v %v", doc["$schema"], doc["type"], doc["additionalProperties"], doc["$comment"])
	}
	if !reflect.DeepEqual(doc["required"], []any{"id"}) {
		t.Errorf("required = %v", doc["required"])
	}
	if _, ok := at(t, doc, "patternProperties").(map[string]any)[ExtensionPattern]; !ok {
		t.Error("open type without extension properties")
	}
	props := at(t, doc, "properties").(map[string]any)
	for name, want := range map[string]bool{"id": true, "name": true, "createdDateTime": true, "serial": true, "count": false, "colors": false} {
		if got := at(t, props, name, "readOnly") == true; got != want {
			t.Errorf("%s readOnly = %v, want %v", name, got, want)
		}
	}
	if at(t, props, "lastSeen", "$comment") != reasonVolatile || at(t, props, "lastSeen", "not") == nil {
		t.Errorf("lastSeen = %v", props["lastSeen"])
	}
	if at(t, doc, "$defs", "credential", "properties", "secretText", "$comment") != reasonSecret {
		t.Errorf("secretText = %v", at(t, doc, "$defs", "credential", "properties", "secretText"))
	}
	if at(t, doc, "$defs", "note", "properties", "parentId", "$comment") != reasonDropped {
		t.Error("dropped child property allowed")
	}
	// Edm and enum mapping.
	if !reflect.DeepEqual(at(t, props, "count", "type"), []any{"integer", "null"}) {
		t.Errorf("count = %v", props["count"])
	}
	if at(t, props, "createdDateTime", "format") != "date-time" {
		t.Errorf("createdDateTime = %v", props["createdDateTime"])
	}
	if !reflect.DeepEqual(at(t, props, "state", "enum"), []any{"on", "off", nil}) {
		t.Errorf("state = %v", props["state"])
	}
	if at(t, props, "colors", "type") != "string" || at(t, props, "colors", "enum") != nil ||
		!strings.Contains(at(t, props, "colors", "pattern").(string), "red|blue") {
		t.Errorf("colors = %v", props["colors"])
	}
	if !reflect.DeepEqual(at(t, props, "shapes", "type"), []any{"array", "null"}) || at(t, props, "shapes", "items", "$ref") != "#/$defs/shape" {
		t.Errorf("shapes = %v", props["shapes"])
	}
	// Navigations: children, catalog-named and AutoExpand ones only.
	if at(t, props, "owners", "items", "$ref") != "#/$defs/"+refDef || at(t, props, "notes", "items", "$ref") != "#/$defs/note" {
		t.Errorf("children = %v %v", props["owners"], props["notes"])
	}
	for name, want := range map[string]bool{"parts": true, "expanded": true, "hidden": false, "special": true} {
		if _, ok := props[name]; ok != want {
			t.Errorf("property %s present = %v, want %v", name, ok, want)
		}
	}
	// A nested entity's contained navigation is not inline (Graph returns
	// it only on $expand): a part's revisions are not allowed.
	if _, ok := at(t, doc, "$defs", "part", "properties").(map[string]any)["revisions"]; ok {
		t.Error("a nested entity's contained navigation is allowed")
	}
	// An id-only navigation: {id}, read-only when the catalog says so.
	if at(t, props, "creator", "readOnly") != true || at(t, props, "creator", "additionalProperties", "$comment") != reasonIDOnly {
		t.Errorf("creator = %v", props["creator"])
	}
	// Polymorphism: @odata.type and the union.
	if !reflect.DeepEqual(at(t, props, "@odata.type", "enum"), []any{"#microsoft.graph.thing", "#microsoft.graph.specialThing"}) {
		t.Errorf("@odata.type = %v", props["@odata.type"])
	}
	if !reflect.DeepEqual(at(t, doc, "$defs", "shape", "properties", "@odata.type", "enum"),
		[]any{"#microsoft.graph.shape", "#microsoft.graph.circle", "#microsoft.graph.square"}) {
		t.Errorf("shape @odata.type = %v", at(t, doc, "$defs", "shape", "properties", "@odata.type"))
	}
	if _, ok := at(t, doc, "$defs", "bag").(map[string]any)["additionalProperties"]; ok {
		t.Error("open complex type closed")
	}
	// A catalog property the CSDL lacks is allowed, unchecked, with a
	// warning; a path through a missing property only warns.
	if at(t, props, "nonexistent", "$comment") == nil {
		t.Errorf("nonexistent = %v", props["nonexistent"])
	}
	if _, ok := props["nope"]; ok {
		t.Error("nope allowed")
	}
	var sawNonexistent, sawNope, sawRadius bool
	for _, w := range warnings {
		sawNonexistent = sawNonexistent || strings.Contains(w, "nonexistent")
		sawNope = sawNope || strings.Contains(w, "nope")
		sawRadius = sawRadius || strings.Contains(w, "radius")
	}
	if !sawNonexistent || !sawNope || sawRadius || len(warnings) != 2 {
		t.Errorf("warnings = %v", warnings)
	}
}

func TestBuildValidates(t *testing.T) {
	_, _, sch := buildTiny(t)
	valid := `{
		"id": "t1", "name": "one", "colors": "red,blue", "state": null, "count": 3,
		"createdDateTime": "2024-01-01T00:00:00Z", "serial": "s",
		"shapes": [{"@odata.type": "#microsoft.graph.circle", "radius": 1.5, "color": "red"},
		           {"@odata.type": "#microsoft.graph.square", "side": 2}],
		"extra": {"size": 1, "anything": {"goes": true}, "@odata.type": "#microsoft.graph.bag"},
		"credentials": [{"keyId": "0c9a5c36-8c52-4a43-a0e4-5d4b2f6f6b1d", "inner": {"keyId": null}}],
		"parts": [{"id": "p", "label": "x"}],
		"expanded": null,
		"creator": {"id": "p"},
		"owners": [{"id": "u1", "@odata.type": "#microsoft.graph.user"}],
		"notes": [{"id": "n1", "text": "hi"}],
		"extension_0123456789abcdef0123456789abcdef_costCenter": "CC"
	}`
	special := `{"id": "t2", "name": "two", "colors": "red", "shapes": null, "@odata.type": "#microsoft.graph.specialThing", "special": true}`
	for _, doc := range []string{valid, special} {
		if err := sch.Validate(decode(t, doc)); err != nil {
			t.Errorf("valid object refused: %#v", err)
		}
	}
	invalid := map[string]string{
		"derived property without @odata.type": `{"id": "t", "name": "n", "colors": "red", "shapes": [], "special": true}`,
		"square with radius":                   `{"id": "t", "name": "n", "colors": "red", "shapes": [{"@odata.type": "#microsoft.graph.square", "radius": 1}]}`,
		"secret":                               `{"id": "t", "name": "n", "colors": "red", "shapes": [], "credentials": [{"secretText": "x"}]}`,
		"nested secret":                        `{"id": "t", "name": "n", "colors": "red", "shapes": [], "credentials": [{"inner": {"secretText": "x"}}]}`,
		"volatile":                             `{"id": "t", "name": "n", "colors": "red", "shapes": [], "lastSeen": "2024-01-01T00:00:00Z"}`,
		"hidden navigation":                    `{"id": "t", "name": "n", "colors": "red", "shapes": [], "hidden": []}`,
		"annotation":                           `{"id": "t", "name": "n", "colors": "red", "shapes": [], "parts@odata.context": "x"}`,
		"annotation in open complex type":      `{"id": "t", "name": "n", "colors": "red", "shapes": [], "extra": {"size@odata.type": "#Int64"}}`,
		"bad flags":                            `{"id": "t", "name": "n", "colors": "red,green", "shapes": []}`,
		"bad enum":                             `{"id": "t", "name": "n", "colors": "red", "shapes": [], "state": "dim"}`,
		"null not nullable":                    `{"id": "t", "name": null, "colors": "red", "shapes": []}`,
		"missing key":                          `{"name": "n", "colors": "red", "shapes": []}`,
		"reference with more":                  `{"id": "t", "name": "n", "colors": "red", "shapes": [], "owners": [{"id": "u", "displayName": "U"}]}`,
		"dropped child property":               `{"id": "t", "name": "n", "colors": "red", "shapes": [], "notes": [{"id": "n", "parentId": "t"}]}`,
		"integer":                              `{"id": "t", "name": "n", "colors": "red", "shapes": [], "count": 1.5}`,
		"bad extension name":                   `{"id": "t", "name": "n", "colors": "red", "shapes": [], "extension_12_x": 1}`,
		"unknown @odata.type":                  `{"id": "t", "name": "n", "colors": "red", "shapes": [], "@odata.type": "#microsoft.graph.part"}`,
		"nested contained navigation":          `{"id": "t", "name": "n", "colors": "red", "shapes": [], "parts": [{"id": "p", "revisions": []}]}`,
		"id-only object with more":             `{"id": "t", "name": "n", "colors": "red", "shapes": [], "creator": {"id": "p", "label": "x"}}`,
	}
	for name, doc := range invalid {
		if err := sch.Validate(decode(t, doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBuildDeterministic(t *testing.T) {
	m := tinyModel(t)
	a, _, err := Build(m, tinySpec, "x")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		b, _, _ := Build(m, tinySpec, "x")
		if !bytes.Equal(a, b) {
			t.Fatal("Build output differs between runs")
		}
	}
	if _, _, err := Build(m, KindSpec{Name: "x", ODataType: "#microsoft.graph.nothing"}, ""); err == nil {
		t.Error("unknown type accepted")
	}
}

func TestSpecsCoverCatalog(t *testing.T) {
	specs := Specs(layout.Kinds())
	if len(specs) != len(layout.Kinds()) || len(specs) == 0 {
		t.Fatalf("%d specs for %d kinds", len(specs), len(layout.Kinds()))
	}
	for _, s := range specs {
		if s.Name == "" || !strings.HasPrefix(s.ODataType, "#microsoft.graph.") || s.Key == "" {
			t.Errorf("spec %+v", s)
		}
		if !sort.StringsAreSorted(s.Paths) {
			t.Errorf("%s: paths not sorted", s.Name)
		}
	}
}

const generatedDir = "../../generated"

// Every layout kind has a committed schema, and no schema is left over
// from a kind that left the catalog.
func TestEveryKindHasCommittedSchema(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(generatedDir, "*.schema.json"))
	have := map[string]bool{}
	for _, f := range files {
		have[strings.TrimSuffix(filepath.Base(f), ".schema.json")] = true
	}
	for _, k := range layout.Kinds() {
		if !have[k.Name] {
			t.Errorf("no generated/%s.schema.json: run go generate ./schemas", k.Name)
		}
		delete(have, k.Name)
	}
	for k := range have {
		t.Errorf("generated/%s.schema.json has no kind in the catalog: run go generate ./schemas", k)
	}
}

// When the CSDL is at hand (not in CI), the committed schemas must be what
// the generator makes of it and of the current catalog.
func TestCommittedSchemasUpToDate(t *testing.T) {
	csdlPath := filepath.Join("..", "..", "..", "..", "shared", "graph-metadata", "v1.0-Prod.csdl")
	data, err := os.ReadFile(csdlPath)
	if err != nil {
		t.Skipf("CSDL not available (%v)", err)
	}
	m, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	files, _, err := GenerateAll(m, Specs(layout.Kinds()), Comment(filepath.Base(csdlPath), data))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(generatedDir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("generated/%s is stale: run go generate ./schemas", name)
		}
	}
}
