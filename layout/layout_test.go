package layout

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCatalogIsConsistent(t *testing.T) {
	folders := map[string]string{}
	for _, k := range Kinds() {
		if k.Name == "" || k.Folder == "" || k.ListPath == "" || !strings.HasPrefix(k.ODataType, "#microsoft.graph.") {
			t.Errorf("%+v: incomplete", k.Name)
		}
		if other, dup := folders[k.Folder]; dup {
			t.Errorf("%s and %s share folder %s", k.Name, other, k.Folder)
		}
		folders[k.Folder] = k.Name
		// An export-only kind is never written: it says why instead of
		// naming restore permissions.
		if len(k.ReadPermissions) == 0 || (k.ExportOnly == "") == (len(k.WritePermissions) == 0) {
			t.Errorf("%s: permissions missing (or restore permissions of an export-only kind)", k.Name)
		}
		for _, r := range k.Refs {
			for _, target := range r.Kinds {
				if _, ok := Lookup(target); !ok {
					t.Errorf("%s: ref %s names unknown kind %s", k.Name, r.Path, target)
				}
			}
		}
		// A folder must not be another kind's folder prefix unless it is deeper.
		if k2, ok := ForPath(k.Folder + "/x.yaml"); !ok || k2 != k {
			t.Errorf("ForPath(%s/x.yaml) = %v", k.Folder, k2)
		}
	}
}

func TestSelect(t *testing.T) {
	ks, err := Select([]string{"conditional-access"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range ks {
		names = append(names, k.Name)
	}
	if want := []string{"named-locations", "authentication-contexts", "conditional-access-policies"}; !reflect.DeepEqual(names, want) {
		t.Errorf("Select(conditional-access) = %v, want %v", names, want)
	}
	if _, err := Select([]string{"userz"}); err == nil || !strings.Contains(err.Error(), "entrasnap kinds") {
		t.Errorf("unknown kind error = %v", err)
	}
	// Every kind but the opt-in ones (per-user MFA: one request per user;
	// custom security attribute values of users and service principals:
	// personal data, a permission Global Administrator lacks; API
	// connectors and a user flow's identity providers and API connectors:
	// read only with a write permission).
	if all, _ := Select(nil); len(all) != len(DefaultKinds()) || len(all) != len(Kinds())-5 {
		t.Errorf("Select(nil) holds %d kinds, want every kind but per-user-mfa, %s, %s, api-connectors and %s (%d)", len(all), UserSecurityAttributes, ServicePrincipalSecurityAttributes, UserFlowConnections, len(Kinds())-5)
	}
	if mfa, _ := Select([]string{"per-user-mfa"}); len(mfa) != 1 || mfa[0].OptIn == "" {
		t.Errorf("Select(per-user-mfa) = %v", mfa)
	}
}

func TestPaths(t *testing.T) {
	users, _ := Lookup("users")
	ca, _ := Lookup("conditional-access-policies")
	ra, _ := Lookup("role-assignments")
	partners, _ := Lookup("cross-tenant-access-partners")
	authz, _ := Lookup("authorization-policy")
	domains, _ := Lookup("domains")
	cases := []struct {
		k    *Kind
		obj  map[string]any
		want string
	}{
		{users, map[string]any{"id": "3f2a0b1c-0000-4000-8000-000000000001", "userPrincipalName": "Adele.Vance@contoso.com"},
			"users/3f/adele-vance-contoso-com.3f2a0b1c-0000-4000-8000-000000000001.yaml"},
		{ca, map[string]any{"id": "p1", "displayName": "../../etc/passwd"}, "conditional-access/policies/etc-passwd.p1.yaml"},
		{ca, map[string]any{"id": "p2", "displayName": "Ünïcödé — 条件"}, "conditional-access/policies/n-c-d.p2.yaml"},
		{ca, map[string]any{"id": "p3", "displayName": "条件"}, "conditional-access/policies/object.p3.yaml"},
		{ca, map[string]any{"id": "p4", "displayName": "CON"}, "conditional-access/policies/con-.p4.yaml"},
		{ca, map[string]any{"id": "p5", "displayName": strings.Repeat("a very long name ", 10)},
			"conditional-access/policies/a-very-long-name-a-very-long-name-a-very-long-na.p5.yaml"},
		{ra, map[string]any{"id": "lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1"}, "roles/assignments/lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1.yaml"},
		{partners, map[string]any{"tenantId": "9c5d131d-b1c3-4fc4-9e3f-c6557947d551"}, "policies/cross-tenant-access/partners/9c5d131d-b1c3-4fc4-9e3f-c6557947d551.yaml"},
		{authz, map[string]any{"id": "authorizationPolicy"}, "policies/authorization.yaml"},
		{domains, map[string]any{"id": "contoso.com"}, "tenant/domains/contoso.com.yaml"},
		{domains, map[string]any{"id": "../x/y"}, "tenant/domains/~2E.~2Fx~2Fy.yaml"},
	}
	for _, c := range cases {
		got, err := Path(c.k, c.obj)
		if err != nil || got != c.want {
			t.Errorf("Path(%s, %v) = %q, %v; want %q", c.k.Name, c.obj, got, err, c.want)
			continue
		}
		k, key, err := Locate(got)
		if err != nil || k != c.k || (!c.k.Singleton && key != c.obj[c.k.KeyProp()]) {
			t.Errorf("Locate(%q) = %v, %q, %v", got, k, key, err)
		}
	}
	if _, err := Path(users, map[string]any{"displayName": "no id"}); err == nil {
		t.Error("Path without id: no error")
	}
	if _, _, err := Locate("random/file.txt"); err == nil {
		t.Error("Locate(random) gave no error")
	}
}

func TestCanonicalIsDeterministicAndClean(t *testing.T) {
	apps, _ := Lookup("applications")
	a := decodeJSON(t, `{"@odata.context":"x","@odata.type":"#microsoft.graph.application","id":"1","displayName":"App",
		"web":{"redirectUris":["https://b.example/cb","https://a.example/cb"],"implicitGrantSettings":{"enableIdTokenIssuance":false}},
		"passwordCredentials":[{"keyId":"k2","displayName":"ci","hint":"abc","secretText":"SUPERSECRET"},{"keyId":"k1","hint":"xyz"}],
		"deletedDateTime":null,"tags":[],"notes":"yes","weight":1.50,"big":12345678901234567890,"info":{}}`)
	b := decodeJSON(t, `{"info":{},"big":12345678901234567890,"weight":1.50,"notes":"yes","tags":[],"id":"1",
		"passwordCredentials":[{"hint":"xyz","keyId":"k1"},{"secretText":"OTHER","hint":"abc","displayName":"ci","keyId":"k2"}],
		"web":{"implicitGrantSettings":{"enableIdTokenIssuance":false},"redirectUris":["https://a.example/cb","https://b.example/cb"]},
		"displayName":"App"}`)
	ya, yb := Canonical(apps, a), Canonical(apps, b)
	if !bytes.Equal(ya, yb) {
		t.Fatalf("not deterministic:\n%s\n---\n%s", ya, yb)
	}
	want := `big: 12345678901234567890
displayName: "App"
id: "1"
info: {}
notes: "yes"
passwordCredentials:
  - hint: "xyz"
    keyId: "k1"
  - displayName: "ci"
    hint: "abc"
    keyId: "k2"
tags: []
web:
  implicitGrantSettings:
    enableIdTokenIssuance: false
  redirectUris:
    - "https://a.example/cb"
    - "https://b.example/cb"
weight: 1.50
`
	if string(ya) != want {
		t.Errorf("canonical YAML:\n%s\nwant:\n%s", ya, want)
	}
	if bytes.Contains(ya, []byte("SECRET")) || bytes.Contains(ya, []byte("odata.context")) {
		t.Error("secret or annotation written")
	}
	// Round trip: Decode gives back exactly the cleaned object.
	back, err := Decode(ya)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, Clean(apps, a)) {
		t.Errorf("round trip differs:\n%v\n%v", back, Clean(apps, a))
	}
	if !bytes.Equal(Encode(back), ya) {
		t.Error("re-encoding the decoded object changed bytes")
	}
}

func TestCanonicalKeepsDerivedTypes(t *testing.T) {
	nl, _ := Lookup("named-locations")
	o := decodeJSON(t, `{"@odata.type":"#microsoft.graph.ipNamedLocation","id":"1","displayName":"HQ",
		"ipRanges":[{"@odata.type":"#microsoft.graph.iPv4CidrRange","cidrAddress":"10.0.0.0/8"}]}`)
	y := string(Canonical(nl, o))
	if !strings.Contains(y, `"@odata.type": "#microsoft.graph.ipNamedLocation"`) || !strings.Contains(y, `"@odata.type": "#microsoft.graph.iPv4CidrRange"`) {
		t.Errorf("derived @odata.type dropped:\n%s", y)
	}
}

func TestDecodeIsStrict(t *testing.T) {
	cases := []struct{ in, want string }{
		{"a: 1\na: 2\n", "line 2: a: duplicate key"},
		{"enabled: yes\n", `line 1: enabled: "yes" is ambiguous`},
		{"x: &a 1\ny: *a\n", "anchors and aliases"},
		{"- 1\n", "mapping"},
		{"", "empty file"},
		{"a: [1,\n", "line"},
		{"v: !!binary aGVsbG8=\n", "tag !!binary"},
		{"b: 0123\n", `"0123" is not a JSON number`},
	}
	for _, c := range cases {
		_, err := Decode([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Decode(%q) = %v, want error containing %q", c.in, err, c.want)
		}
	}
	m, err := Decode([]byte("a: \"yes\"\nc: 1e3\nd: null\ne: 'x'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m["a"] != "yes" || m["d"] != nil || m["e"] != "x" || m["c"] != json.Number("1e3") {
		t.Errorf("Decode values = %#v", m)
	}
}

func FuzzCanonicalRoundTrip(f *testing.F) {
	f.Add(`{"a":"yes","b":[1,2],"c":{"d":null}}`)
	f.Add(`{"@odata.type":"x","k":"line\nbreak","n":-0.5e10}`)
	f.Fuzz(func(t *testing.T, s string) {
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var m map[string]any
		if d.Decode(&m) != nil || m == nil {
			return
		}
		y := Encode(m)
		back, err := Decode(y)
		if err != nil {
			t.Fatalf("Decode(Encode(%s)) failed: %v\n%s", s, err, y)
		}
		if !bytes.Equal(Encode(back), y) {
			t.Fatalf("round trip changed bytes for %s", s)
		}
	})
}

// A CA policy's authentication strength, which Graph expands on read, is
// kept as its id: the strength's own file holds the rest.
func TestCanonicalKeepsIDOnlyOfExpandedReferences(t *testing.T) {
	ca, _ := Lookup("conditional-access-policies")
	obj := map[string]any{
		"id": "c0ffee00-0000-4000-8000-000000000001", "displayName": "Phishing-resistant MFA for admins",
		"grantControls": map[string]any{
			"operator": "OR", "builtInControls": []any{},
			"authenticationStrength": map[string]any{
				"id": "00000000-0000-0000-0000-000000000004", "displayName": "Phishing-resistant MFA",
				"allowedCombinations": []any{"windowsHelloForBusiness", "fido2"}, "modifiedDateTime": "2026-01-01T00:00:00Z",
			},
		},
	}
	got := Clean(ca, obj)
	want := map[string]any{"id": "00000000-0000-0000-0000-000000000004"}
	if s := got["grantControls"].(map[string]any)["authenticationStrength"]; !reflect.DeepEqual(s, want) {
		t.Errorf("authenticationStrength = %v, want %v", s, want)
	}
	// A policy without one keeps null as Graph sent it.
	obj["grantControls"].(map[string]any)["authenticationStrength"] = nil
	if s, ok := Clean(ca, obj)["grantControls"].(map[string]any)["authenticationStrength"]; !ok || s != nil {
		t.Errorf("null authenticationStrength = %v, %v", s, ok)
	}
}

// The id aliases are declared once, in the catalog: an application's appId
// before a service principal's (the fallback), a role definition's
// templateId; an alias equal to the key is no alias.
func TestAliasKinds(t *testing.T) {
	var names []string
	for _, k := range AliasKinds() {
		names = append(names, k.Name)
	}
	if got := strings.Join(names, " "); got != "applications role-definitions service-principals" {
		t.Errorf("AliasKinds() = %s", got)
	}
	rd, _ := Lookup("role-definitions")
	if got := rd.AliasesOf("k1", map[string]any{"templateId": "t1"}); len(got) != 1 || got[0] != "t1" {
		t.Errorf("AliasesOf = %v; want [t1]", got)
	}
	if got := rd.AliasesOf("K1", map[string]any{"templateId": "k1"}); got != nil {
		t.Errorf("AliasesOf(templateId = key) = %v; want none", got)
	}
	for _, k := range Kinds() {
		if !k.Singleton {
			continue
		}
		if kk, key, err := Locate(k.Root()); err != nil || kk != k || key != k.Name {
			t.Errorf("Locate(%s) = %v, %q, %v; want the kind and its name", k.Root(), kk, key, err)
		}
	}
}
