package graphsim

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// servedPaths lists a path (with {id} for keys) for every route graphsim
// serves: each kind path, its items, delta, links, contained and nested
// collections, bound actions, and the special roots.
func servedPaths() []string {
	var out []string
	for _, k := range kinds {
		for _, p := range k.Paths {
			out = append(out, p)
			if k.Singleton {
				continue
			}
			item := p + "/{id}"
			out = append(out, item)
			if k.Delta {
				out = append(out, p+"/delta")
			}
			for l := range k.Links {
				out = append(out, item+"/"+l)
			}
			for c := range contained[k.Name] {
				out = append(out, item+"/"+c)
			}
			for a := range actions[k.Name] {
				out = append(out, item+"/"+a)
			}
			if n, ok := nestedServed(k, strings.Split(strings.ToLower(p), "/"), combinationConfig); ok {
				out = append(out, item+"/"+n, item+"/"+n+"/{id}")
			}
		}
	}
	out = append(out,
		"directoryObjects/{id}", "directoryObjects/getByIds",
		"directory/deletedItems/{id}", "directory/deletedItems/{id}/restore",
		"identity/conditionalAccess/deletedItems/policies", "identity/conditionalAccess/deletedItems/policies/{id}",
		"identity/conditionalAccess/deletedItems/policies/{id}/restore",
		"identity/conditionalAccess/deletedItems/namedLocations/{id}/restore")
	for _, k := range kinds {
		if k.SoftDelete == "directory" {
			out = append(out, "directory/deletedItems/"+strings.TrimPrefix(k.ODataType, "#"))
		}
	}
	sort.Strings(out)
	return out
}

// TestVersionsServeOnlyWhereGraphHasThem: every path graphsim knows is served
// under /beta; under /v1.0 the beta-only ones answer Graph's unknown-segment
// 400 naming the first segment v1.0 lacks, and all others are served.
func TestVersionsServeOnlyWhereGraphHasThem(t *testing.T) {
	s, err := New(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var betaOnlySeen int
	for _, p := range servedPaths() {
		path := strings.ReplaceAll(p, "{id}", "00000000-0000-4000-8000-000000000001")
		if _, aerr := s.route(&request{version: "beta", path: path}); aerr != nil {
			t.Errorf("beta/%s: %d %s", p, aerr.Status, aerr.Message)
		}
		_, aerr := s.route(&request{version: "v1.0", path: path})
		lacks := versionLacks("v1.0", strings.Split(path, "/"))
		switch {
		case lacks == "" && aerr != nil:
			t.Errorf("v1.0/%s: %d %s, want served", p, aerr.Status, aerr.Message)
		case lacks != "":
			betaOnlySeen++
			want := "Resource not found for the segment '" + lacks + "'."
			if aerr == nil || aerr.Status != http.StatusBadRequest || aerr.Code != "BadRequest" || aerr.Message != want {
				t.Errorf("v1.0/%s: %v, want 400 BadRequest %q", p, aerr, want)
			}
		}
	}
	if betaOnlySeen == 0 {
		t.Error("no beta-only path among the served ones: the test proves nothing")
	}

	// Over HTTP and inside a batch: Graph's error body, not a 404.
	e := newCoreEnv(t, Options{})
	r := e.do("GET", "/v1.0/identity/conditionalAccess/deletedItems/policies", nil)
	if r.status != 400 || r.errCode() != "BadRequest" || r.errMsg() != "Resource not found for the segment 'deletedItems'." {
		t.Errorf("v1.0 CA bin over HTTP: %d %s", r.status, r.raw)
	}
	e.do("GET", "/beta/administrativeUnits", nil).must(t, 200)
	e.do("GET", "/v1.0/directory/administrativeUnits", nil).must(t, 200)
	r = e.do("POST", "/v1.0/$batch", map[string]any{"requests": []any{
		map[string]any{"id": "1", "method": "GET", "url": "/administrativeUnits"},
	}})
	r.must(t, 200)
	var env struct {
		Responses []struct {
			Status int             `json:"status"`
			Body   json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal([]byte(r.raw), &env); err != nil || len(env.Responses) != 1 {
		t.Fatalf("batch: %v %s", err, r.raw)
	}
	if it := env.Responses[0]; it.Status != 400 || !strings.Contains(string(it.Body), "Resource not found for the segment 'administrativeUnits'.") {
		t.Errorf("v1.0 batch item /administrativeUnits: %d %s", it.Status, it.Body)
	}
	// A batch item runs under its envelope's version: another version in
	// its url is not a way into that version.
	for _, tc := range []struct {
		envelope, url string
		status        int
	}{
		{"v1.0", "/beta/administrativeUnits", 400},
		{"beta", "/v1.0/users", 400},
		{"v1.0", "/v1.0/users", 200},
		{"beta", "/beta/administrativeUnits", 200},
	} {
		r := e.do("POST", "/"+tc.envelope+"/$batch", map[string]any{"requests": []any{
			map[string]any{"id": "1", "method": "GET", "url": tc.url},
		}}).must(t, 200)
		env.Responses = nil
		if err := json.Unmarshal([]byte(r.raw), &env); err != nil || len(env.Responses) != 1 {
			t.Fatalf("batch: %v %s", err, r.raw)
		}
		if it := env.Responses[0]; it.Status != tc.status {
			t.Errorf("%s batch item %s: %d, want %d: %s", tc.envelope, tc.url, it.Status, tc.status, it.Body)
		}
	}
}

// TestVersionsMatchV1Metadata walks every path graphsim serves under /v1.0
// through Graph's v1.0 CSDL (entity sets, singletons, navigation properties,
// casts, bound actions and functions): each must exist there. It runs where
// shared/graph-metadata is present (a developer machine) and skips elsewhere.
func TestVersionsMatchV1Metadata(t *testing.T) {
	m := loadV1Metadata(t)
	for _, p := range servedPaths() {
		segs := strings.Split(p, "/")
		if versionLacks("v1.0", segs) != "" {
			continue
		}
		if bad := m.walk(segs); bad != "" {
			t.Errorf("graphsim serves /v1.0/%s, but v1.0 metadata has no %q there: list it in versions.go's betaOnlyPaths or stop serving it", p, bad)
		}
	}
	// The check itself refuses what v1.0 lacks.
	if m.walk([]string{"administrativeUnits"}) == "" {
		t.Error("walk accepts /administrativeUnits, which v1.0 metadata lacks")
	}
	if m.walk([]string{"users", "{id}", "noSuchThing"}) == "" {
		t.Error("walk accepts an unknown navigation property")
	}
}

type csdlModel struct {
	types     map[string]*csdlType
	container map[string]string   // entity set or singleton → type ("Collection(x)" for sets)
	bound     map[string][]string // bound action/function name → binding parameter types
}

type csdlType struct {
	base string
	navs map[string]string
}

func loadV1Metadata(t *testing.T) *csdlModel {
	t.Helper()
	dir, _ := os.Getwd()
	var data []byte
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "shared", "graph-metadata", "v1.0-Prod.csdl"))
		if err == nil {
			data = b
			break
		}
		if filepath.Dir(d) == d {
			t.Skip("v1.0-Prod.csdl not found above the package (shared/graph-metadata)")
		}
	}
	var doc struct {
		Schemas []struct {
			Namespace   string `xml:"Namespace,attr"`
			EntityTypes []struct {
				Name string `xml:"Name,attr"`
				Base string `xml:"BaseType,attr"`
				Navs []struct {
					Name string `xml:"Name,attr"`
					Type string `xml:"Type,attr"`
				} `xml:"NavigationProperty"`
			} `xml:"EntityType"`
			Ops []struct {
				XMLName xml.Name
				Name    string `xml:"Name,attr"`
				IsBound string `xml:"IsBound,attr"`
				Params  []struct {
					Type string `xml:"Type,attr"`
				} `xml:"Parameter"`
			} `xml:",any"`
			Container struct {
				Sets []struct {
					Name string `xml:"Name,attr"`
					Type string `xml:"EntityType,attr"`
				} `xml:"EntitySet"`
				Singletons []struct {
					Name string `xml:"Name,attr"`
					Type string `xml:"Type,attr"`
				} `xml:"Singleton"`
			} `xml:"EntityContainer"`
		} `xml:"DataServices>Schema"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("v1.0-Prod.csdl: %v", err)
	}
	m := &csdlModel{types: map[string]*csdlType{}, container: map[string]string{}, bound: map[string][]string{}}
	for _, sc := range doc.Schemas {
		// Sub-namespaces (microsoft.graph.identityGovernance: lifecycle
		// workflows) keep their suffix: identityGovernance.workflow.
		prefix, sub := strings.CutPrefix(sc.Namespace, "microsoft.graph.")
		if sc.Namespace != "microsoft.graph" && !sub {
			continue
		}
		if sub {
			prefix += "."
		} else {
			prefix = ""
		}
		for _, et := range sc.EntityTypes {
			ct := &csdlType{base: short(et.Base), navs: map[string]string{}}
			for _, n := range et.Navs {
				ct.navs[strings.ToLower(n.Name)] = short(n.Type)
			}
			m.types[strings.ToLower(prefix+et.Name)] = ct
		}
		for _, op := range sc.Ops {
			if (op.XMLName.Local == "Action" || op.XMLName.Local == "Function") && op.IsBound == "true" && len(op.Params) > 0 {
				m.bound[strings.ToLower(op.Name)] = append(m.bound[strings.ToLower(op.Name)], short(op.Params[0].Type))
			}
		}
		for _, es := range sc.Container.Sets {
			m.container[strings.ToLower(es.Name)] = "Collection(" + short(es.Type) + ")"
		}
		for _, sg := range sc.Container.Singletons {
			m.container[strings.ToLower(sg.Name)] = short(sg.Type)
		}
	}
	if len(m.container) == 0 || len(m.types) == 0 {
		t.Fatal("v1.0-Prod.csdl: no microsoft.graph schema read")
	}
	return m
}

// short drops the graph namespace (and its alias) from a type name:
// Collection(graph.user) → Collection(user).
func short(t string) string {
	coll := strings.HasPrefix(t, "Collection(")
	t = strings.TrimSuffix(strings.TrimPrefix(t, "Collection("), ")")
	t = strings.TrimPrefix(strings.TrimPrefix(t, "microsoft.graph."), "graph.")
	if coll {
		return "Collection(" + t + ")"
	}
	return t
}

// walk follows segs from the service root and returns the first segment the
// metadata does not have there, or "".
func (m *csdlModel) walk(segs []string) string {
	cur, ok := m.container[strings.ToLower(segs[0])]
	if !ok {
		return segs[0]
	}
	for i, sg := range segs[1:] {
		coll := strings.HasPrefix(cur, "Collection(")
		elem := strings.TrimSuffix(strings.TrimPrefix(cur, "Collection("), ")")
		switch {
		case sg == "{id}":
			if !coll {
				return sg
			}
			cur = elem
			continue
		case strings.HasPrefix(sg, "microsoft.graph."):
			name := strings.TrimPrefix(sg, "microsoft.graph.")
			if m.types[strings.ToLower(name)] == nil {
				return sg
			}
			if coll {
				cur = "Collection(" + name + ")"
			} else {
				cur = name
			}
			continue
		}
		if nav := m.nav(elem, sg); nav != "" && !coll {
			cur = nav
			continue
		}
		// A bound action or function: the last segment, bound to the
		// current type (or a base type), collection or single as it is.
		if i == len(segs)-2 && m.boundTo(sg, elem, coll) {
			return ""
		}
		return sg
	}
	return ""
}

func (m *csdlModel) nav(typ, name string) string {
	for t := strings.ToLower(typ); t != ""; {
		ct := m.types[t]
		if ct == nil {
			return ""
		}
		if n, ok := ct.navs[strings.ToLower(name)]; ok {
			return n
		}
		t = strings.ToLower(ct.base)
	}
	return ""
}

func (m *csdlModel) boundTo(op, typ string, coll bool) bool {
	for t := typ; t != ""; {
		want := t
		if coll {
			want = "Collection(" + t + ")"
		}
		for _, b := range m.bound[strings.ToLower(op)] {
			if strings.EqualFold(b, want) {
				return true
			}
		}
		ct := m.types[strings.ToLower(t)]
		if ct == nil {
			return false
		}
		t = ct.base
	}
	return false
}
