package history

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

const (
	caID     = "c0ffee00-0000-4000-8000-000000000001"
	appID    = "a99a0000-0000-4000-8000-000000000001" // the application object's id
	appAppID = "a99a0000-0000-4000-8000-0000000000aa" // its appId
	spID     = "5b000000-0000-4000-8000-000000000001"
	msAppID  = "00000002-0000-0ff1-ce00-000000000000" // a Microsoft app: only a service principal here
	roleID   = "62e90394-69f5-4237-9190-012177145e10"
	roleTmpl = "11111111-69f5-4237-9190-012177145e10"
	grpA     = "3f2a0b1c-1111-4000-8000-000000000001"
	grpB     = "3f2a0b1c-2222-4000-8000-000000000002"
	assignID = "-AbCdEf_ghIJ-1" // role assignment ids may begin with "-"
)

// fixture returns the files of a small revision, written as export writes
// them, and the path of each object by a short name.
func fixture(t testing.TB) (map[string][]byte, map[string]string) {
	t.Helper()
	files := map[string][]byte{}
	paths := map[string]string{}
	add := func(name, kind string, obj map[string]any) {
		k, ok := layout.Lookup(kind)
		if !ok {
			t.Fatalf("no kind %s", kind)
		}
		p, err := layout.Path(k, obj)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = layout.Canonical(k, obj)
		paths[name] = p
	}
	add("ca", "conditional-access-policies", map[string]any{"id": caID, "displayName": "Require MFA",
		"conditions": map[string]any{"applications": map[string]any{"includeApplications": []any{appAppID, msAppID}}}})
	add("app", "applications", map[string]any{"id": appID, "appId": appAppID, "displayName": "Contoso HR Portal"})
	add("appsp", "service-principals", map[string]any{"id": "5b000000-0000-4000-8000-0000000000aa", "appId": appAppID, "displayName": "Contoso HR Portal SP"})
	add("sp", "service-principals", map[string]any{"id": spID, "appId": msAppID, "displayName": "Office 365 Exchange Online"})
	add("role", "role-definitions", map[string]any{"id": roleID, "templateId": roleTmpl, "displayName": "Global Administrator"})
	add("grpA", "groups", map[string]any{"id": grpA, "displayName": "Finance Admins"})
	add("grpB", "groups", map[string]any{"id": grpB, "displayName": "Finance Admins"})
	add("slash", "groups", map[string]any{"id": "3f2a0b1c-3333-4000-8000-000000000003", "displayName": "R&D / Labs"})
	add("assign", "role-assignments", map[string]any{"id": assignID, "roleDefinitionId": roleTmpl, "principalId": grpA})
	add("user", "users", map[string]any{"id": "a1b2c3d4-0000-4000-8000-00000000000a", "displayName": "Adele Vance", "userPrincipalName": "adele@contoso.com"})
	add("fido", "authentication-method-configurations", map[string]any{"id": "Fido2", "state": "enabled"})
	add("caseA", "users", map[string]any{"id": "case-key", "userPrincipalName": "a@contoso.com"})
	k, _ := layout.Lookup("users")
	if p, err := layout.PathCaseDistinct(k, map[string]any{"id": "Case-Key", "userPrincipalName": "b@contoso.com"}); err == nil {
		files[p] = layout.Canonical(k, map[string]any{"id": "Case-Key", "userPrincipalName": "b@contoso.com"})
		paths["caseB"] = p
	} else {
		t.Fatal(err)
	}
	add("org", "organization", map[string]any{"id": "7e000000-0000-4000-8000-000000000001", "displayName": "Contoso"})
	add("amp", "authentication-methods-policy", map[string]any{"id": "authenticationMethodsPolicy", "displayName": "Authentication Methods Policy"})
	files["README.md"] = []byte("not an object")
	return files, paths
}

// Every selector form names the same object through ResolveOne (show,
// log, drift's watch lists) and Resolve (restore).
func TestSelectorForms(t *testing.T) {
	files, paths := fixture(t)
	for _, tc := range []struct{ sel, want string }{
		{caID, "ca"},
		{strings.ToUpper(caID), "ca"},
		{paths["ca"], "ca"},
		{"conditional-access-policies/Require MFA", "ca"},
		{"conditional-access-policies/require mfa", "ca"},
		{"conditional-access/policies/Require MFA", "ca"}, // the folder
		{"conditional-access/Require MFA", "ca"},          // a folder above it
		{appID, "app"},
		{appAppID, "app"}, // the appId: the application, not its service principal
		{msAppID, "sp"},   // no application has it: the service principal
		{roleTmpl, "role"},
		{"role-definitions/Global Administrator", "role"},
		{"roles/definitions/Global Administrator", "role"},
		{"groups/R&D / Labs", "slash"},
		{"users/adele@contoso.com", "user"},
		{"users/Adele Vance", "user"},
		{assignID, "assign"},
		{"authentication-methods-policy", "amp"}, // a singleton kind is one object
		{"authentication/methods-policy", "amp"},
		{"organization/Contoso", "org"},
		{"  " + caID + " ", "ca"},
		{"Fido2", "fido"},
		{"fido2", "fido"}, // no key is exactly "fido2": compared without case
		{"case-key", "caseA"},
		{"Case-Key", "caseB"}, // keys that are not GUIDs compare exactly first
	} {
		ix := FromFiles(files)
		got, err := ResolveOne(ix, tc.sel)
		if err != nil || got != paths[tc.want] {
			t.Errorf("ResolveOne(%q) = %q, %v; want %s", tc.sel, got, err, paths[tc.want])
		}
		sel, err := Resolve(FromFiles(files), []string{tc.sel}, false)
		want := Selection{Paths: []string{paths[tc.want]}}
		if tc.want == "amp" {
			want = Selection{Kinds: []string{"authentication-methods-policy"}}
		}
		if err != nil || !reflect.DeepEqual(sel, want) {
			t.Errorf("Resolve(%q) = %+v, %v; want %+v", tc.sel, sel, err, want)
		}
	}
}

func TestSelectorKindsAndErrors(t *testing.T) {
	files, paths := fixture(t)
	ix := FromFiles(files)
	sel, err := Resolve(ix, []string{"conditional-access", paths["ca"], "groups/R&D / Labs"}, false)
	want := Selection{Kinds: []string{"named-locations", "authentication-contexts", "conditional-access-policies"}, Paths: []string{paths["slash"]}}
	if err != nil || !reflect.DeepEqual(sel, want) {
		t.Errorf("Resolve = %+v, %v; want %+v", sel, err, want)
	}
	if sel, err := Resolve(ix, nil, true); err != nil || len(sel.Kinds) != len(layout.Kinds()) || len(sel.Paths) != 0 {
		t.Errorf("all: %+v, %v", sel, err)
	}
	for _, tc := range []struct{ sel, msg string }{
		{"groups/Finance Admins", "names 2 objects"},
		{"groups/Nobody", `no groups named "Nobody"`},
		{"nothing-like-this", "no object with this id"},
		{"/groups", "no kind before"},
		{"nokind/x", "unknown kind"},
		{"groups/3f/nope.yaml", "no such file"},
		{"3f2a0b1c-9999-4000-8000-000000000009", "no object with this id"},
		{"groups", "not one object"},
		{"conditional-access", "not one object"},
		{"", "empty"},
		{"CASE-KEY", "names 2 objects"},
	} {
		_, err := ResolveOne(ix, tc.sel)
		var se *SelectorError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ResolveOne(%q) = %v; want a SelectorError with %q", tc.sel, err, tc.msg)
		}
	}
	// Two files holding one id (one copied by hand into another kind's
	// folder): show names both; restore takes both (check reports it).
	k, _ := layout.Lookup("groups")
	copied := "groups/a1/adele-vance.a1b2c3d4-0000-4000-8000-00000000000a.yaml"
	if _, key, err := layout.Locate(copied); err != nil || k == nil || key != "a1b2c3d4-0000-4000-8000-00000000000a" {
		t.Fatalf("%s: %v", copied, err)
	}
	twice := map[string][]byte{copied: files[paths["user"]]}
	for p, d := range files {
		twice[p] = d
	}
	if _, err := ResolveOne(FromFiles(twice), "a1b2c3d4-0000-4000-8000-00000000000a"); err == nil || !strings.Contains(err.Error(), "2 files hold this id") || !strings.Contains(err.Error(), copied) {
		t.Errorf("ResolveOne of an id in two files: %v", err)
	}
	if _, err := Resolve(ix, []string{"groups/Finance Admins"}, false); err == nil || !strings.Contains(err.Error(), "names 2 objects") {
		t.Errorf("Resolve of a shared name: %v", err)
	}
	if _, err := Resolve(ix, []string{" "}, false); err == nil || !strings.Contains(err.Error(), "selects nothing") {
		t.Errorf("Resolve of nothing: %v", err)
	}
}

// The index names objects by id and by alias, so a policy's
// includeApplications (appIds) shows the applications' names; an id wins
// over an alias.
func TestIndexNamesAliases(t *testing.T) {
	files, _ := fixture(t)
	ix := FromFiles(files)
	for id, want := range map[string]string{
		appAppID:                        "Contoso HR Portal",
		strings.ToUpper(appAppID):       "Contoso HR Portal",
		msAppID:                         "Office 365 Exchange Online",
		roleTmpl:                        "Global Administrator",
		roleID:                          "Global Administrator",
		grpA:                            "Finance Admins",
		"authentication-methods-policy": "Authentication Methods Policy",
	} {
		if got, ok := ix.Name(id); !ok || got != want {
			t.Errorf("Name(%s) = %q, %v; want %q", id, got, ok, want)
		}
	}
	if n, ok := ix.Name("3f2a0b1c-9999-4000-8000-000000000009"); ok {
		t.Errorf("an unknown id is named %q", n)
	}
}

// A file that cannot be decoded is left out and listed, never fatal.
func TestIndexSkipsUnreadableFiles(t *testing.T) {
	files, paths := fixture(t)
	files[paths["app"]] = []byte("displayName: [unclosed\n")
	ix := FromFiles(files)
	// The application's file is unreadable: its service principal names the appId.
	if n, _ := ix.Name(appAppID); n != "Contoso HR Portal SP" {
		t.Errorf("Name(appId) = %q", n)
	}
	if n, _ := ix.Name(msAppID); n != "Office 365 Exchange Online" {
		t.Errorf("the other aliases are lost: %q", n)
	}
	if sk := ix.Skipped(); len(sk) != 1 || sk[0].Path != paths["app"] {
		t.Errorf("Skipped = %+v", sk)
	}
}

// A chain names an id from the index that has it as a key before any
// index reads the files that hold aliases.
func TestChainPrefersKeysOverAliases(t *testing.T) {
	files, paths := fixture(t)
	reads := 0
	newer := newIndex(func() ([]string, error) { return []string{paths["app"], paths["sp"], paths["role"]}, nil },
		func(p string) ([]byte, error) { reads++; return files[p], nil })
	older := FromFiles(files)
	if n, ok := (Chain{newer, older}).Name(grpA); !ok || n != "Finance Admins" {
		t.Errorf("Name(grpA) = %q, %v", n, ok)
	}
	if reads != 0 {
		t.Errorf("the newer index read %d files for an id the older one holds as a key", reads)
	}
	if n, _ := (Chain{newer, older}).Name(msAppID); n != "Office 365 Exchange Online" || reads == 0 {
		t.Errorf("Name(appId) = %q after %d reads", n, reads)
	}
}
