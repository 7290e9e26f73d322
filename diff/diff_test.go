package diff

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/golden"
	"github.com/entrasnap/entrasnap/layout"
)

const (
	gFinance = "3f2a0b1c-1111-4000-8000-000000000001"
	gSales   = "3f2a0b1c-2222-4000-8000-000000000002"
	uAdele   = "a1b2c3d4-0000-4000-8000-00000000000a"
	uBen     = "a1b2c3d4-0000-4000-8000-00000000000b"
	pMFA     = "c0ffee00-0000-4000-8000-000000000001"
	lHQ      = "10c00000-0000-4000-8000-000000000001"
	aPayroll = "ab000000-0000-4000-8000-000000000001"
)

func obj(t *testing.T, kind string, js string) *Object {
	t.Helper()
	k, ok := layout.Lookup(kind)
	if !ok {
		t.Fatalf("kind %s", kind)
	}
	d := json.NewDecoder(strings.NewReader(js))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	// Go through the real file format, as snapshots do.
	m, err := layout.Decode(layout.Canonical(k, m))
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.Path(k, m)
	if err != nil {
		t.Fatal(err)
	}
	return &Object{Path: p, Kind: k, Key: m[k.KeyProp()].(string), Data: m}
}

func snap(objs ...*Object) Snapshot {
	s := Snapshot{}
	for _, o := range objs {
		s[o.Path] = o
	}
	return s
}

func scenario(t *testing.T) (Snapshot, Snapshot) {
	users := []*Object{
		obj(t, "users", `{"id":"`+uAdele+`","displayName":"Adele Vance","userPrincipalName":"adele@contoso.com"}`),
		obj(t, "users", `{"id":"`+uBen+`","displayName":"Ben Walters","userPrincipalName":"ben@contoso.com"}`),
	}
	from := snap(append(users,
		obj(t, "groups", `{"id":"`+gFinance+`","displayName":"Finance Admins","members":[{"@odata.type":"#microsoft.graph.user","id":"`+uAdele+`"},{"@odata.type":"#microsoft.graph.user","id":"`+uBen+`"}]}`),
		obj(t, "groups", `{"id":"`+gSales+`","displayName":"Sales","members":[]}`),
		obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"Require MFA","state":"enabled",
			"conditions":{"users":{"includeUsers":["All"],"excludeGroups":["`+gSales+`"]},"locations":{"includeLocations":["All"],"excludeLocations":["`+lHQ+`"]}}}`),
		obj(t, "named-locations", `{"@odata.type":"#microsoft.graph.ipNamedLocation","id":"`+lHQ+`","displayName":"HQ","ipRanges":[{"cidrAddress":"203.0.113.0/24"}]}`),
		obj(t, "applications", `{"id":"`+aPayroll+`","displayName":"Payroll","web":{"redirectUris":["https://payroll.contoso.com/auth","https://localhost/auth"]}}`),
	)...)
	to := snap(append(users,
		// members reordered (no change) and Ben removed
		obj(t, "groups", `{"id":"`+gFinance+`","displayName":"Finance Admins","members":[{"@odata.type":"#microsoft.graph.user","id":"`+uAdele+`"}]}`),
		obj(t, "groups", `{"id":"`+gSales+`","displayName":"Sales","members":[{"@odata.type":"#microsoft.graph.user","id":"`+uBen+`"}]}`),
		obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"Require MFA","state":"enabledForReportingButNotEnforced",
			"conditions":{"users":{"includeUsers":["All"],"excludeGroups":["`+gFinance+`","`+gSales+`"]},"locations":{"includeLocations":["All"],"excludeLocations":["`+lHQ+`"]}}}`),
		obj(t, "applications", `{"id":"`+aPayroll+`","displayName":"Payroll (prod)","web":{"redirectUris":["https://localhost/auth","https://evil.example/cb"]}}`),
		obj(t, "users", `{"id":"`+"a1b2c3d4-0000-4000-8000-00000000000c"+`","displayName":"Cara","userPrincipalName":"cara@contoso.com"}`),
	)...)
	return from, to
}

func TestCompare(t *testing.T) {
	from, to := scenario(t)
	r := Compare(from, to, nil)
	a, d, c := r.Count()
	if a != 1 || d != 1 || c != 4 {
		t.Fatalf("counts added %d removed %d changed %d, want 1 1 4:\n%+v", a, d, c, r.Changes)
	}
	// The identical snapshot gives nothing; a reordered set gives nothing.
	if r := Compare(from, from, nil); !r.Empty() {
		t.Errorf("self-compare: %+v", r.Changes)
	}
	reordered := snap(obj(t, "groups", `{"id":"`+gFinance+`","displayName":"Finance Admins","members":[{"@odata.type":"#microsoft.graph.user","id":"`+uBen+`"},{"@odata.type":"#microsoft.graph.user","id":"`+uAdele+`"}]}`))
	original := snap(obj(t, "groups", `{"id":"`+gFinance+`","displayName":"Finance Admins","members":[{"@odata.type":"#microsoft.graph.user","id":"`+uAdele+`"},{"@odata.type":"#microsoft.graph.user","id":"`+uBen+`"}]}`))
	if r := Compare(original, reordered, nil); !r.Empty() {
		t.Errorf("reordered members reported: %+v", r.Changes)
	}
	// The renamed application is one change with both paths.
	for _, ch := range r.Changes {
		if ch.Kind == "applications" && (ch.Action != Changed || ch.OldPath == "" || ch.OldPath == ch.Path) {
			t.Errorf("rename: %+v", ch)
		}
	}
}

func TestRender(t *testing.T) {
	from, to := scenario(t)
	r := Compare(from, to, nil)
	var text, md, js, color bytes.Buffer
	// Render is how commands choose the format; markdown and JSON never
	// carry colour, whatever the terminal.
	for format, out := range map[string]*bytes.Buffer{"text": &text, "markdown": &md, "json": &js} {
		o := RenderOptions{Title: "snapshot/A → snapshot/B", Color: format != "text"}
		if err := r.Render(out, format, o); err != nil {
			t.Fatal(err)
		}
	}
	var plain bytes.Buffer
	if err := r.Render(&plain, "", RenderOptions{Title: "snapshot/A → snapshot/B"}); err != nil || plain.String() != text.String() {
		t.Errorf("the default format is not text (%v)", err)
	}
	if err := r.Render(&plain, "yaml", RenderOptions{}); err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("an unknown format: err = %v", err)
	}
	golden.Check(t, "scenario.txt", text.Bytes())
	golden.Check(t, "scenario.md", md.Bytes())
	golden.Check(t, "scenario.json", js.Bytes())
	// Names next to ids, set changes one line each.
	for _, want := range []string{
		"conditions.users.excludeGroups: + Finance Admins (3f2a0b1c…)",
		"members: - Ben Walters (a1b2c3d4…)",
		`web.redirectUris: + "https://evil.example/cb"`,
		`state: "enabled" → "enabledForReportingButNotEnforced"`,
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	_ = r.Text(&color, RenderOptions{Color: true})
	if !strings.Contains(color.String(), "\x1b[") || strings.Contains(text.String(), "\x1b[") {
		t.Error("colour only when asked")
	}
	var decoded struct {
		Changes []Change          `json:"changes"`
		Names   map[string]string `json:"names"`
	}
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil || decoded.Names[gFinance] != "Finance Admins" {
		t.Errorf("JSON names = %v, %v", decoded.Names, err)
	}
}

func TestUnknownReference(t *testing.T) {
	from := snap(obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"P","conditions":{"users":{"excludeGroups":[]}}}`))
	to := snap(obj(t, "conditional-access-policies", `{"id":"`+pMFA+`","displayName":"P","conditions":{"users":{"excludeGroups":["99999999-0000-4000-8000-000000000009"]}}}`))
	var b bytes.Buffer
	_ = Compare(from, to, nil).Text(&b, RenderOptions{})
	if !strings.Contains(b.String(), "+ unknown (99999999…)") {
		t.Errorf("unknown id not marked:\n%s", b.String())
	}
}

func TestLoad(t *testing.T) {
	ca, _ := layout.Lookup("conditional-access-policies")
	o := map[string]any{"id": pMFA, "displayName": "P"}
	p, _ := layout.Path(ca, o)
	s, err := Load(map[string][]byte{p: layout.Canonical(ca, o), ".entrasnap/snapshot.yaml": []byte("x: 1\n")})
	if err != nil || len(s) != 1 || s[p].Key != pMFA {
		t.Fatalf("Load = %v, %v", s, err)
	}
	_, err = Load(map[string][]byte{p: []byte("a: 1\na: 2\n")})
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("corrupt file error = %v", err)
	}
}
