package exporter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// Values an undeclared property might carry: none may reach a file, a
// commit or tag message, a warning or the result.
const (
	leakClientSecret = "Zx18Q~leakedClientSecretValue0123456789ab"
	leakPassword     = "Hunter2-Undeclared-Password-Value"
	leakJWT          = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2lnbmF0dXJlLWxlYWs"
	leakNested       = "Nested-Api-Token-Value-Never-Written"
	leakCredValue    = "Credential-Entry-Value-Never-Written"
)

func TestExportDropsUndeclaredSecretProperties(t *testing.T) {
	sim := newSim(t, graphsim.Options{})
	if _, err := sim.Tenant().Seed("application", map[string]any{
		"id": "7c3f6b9e-0000-4000-8000-0000000000b1", "appId": "7c3f6b9e-0000-4000-8000-00000000b001", "displayName": "Odd App",
		"clientSecret":         leakClientSecret,
		"web":                  map[string]any{"homePageUrl": "https://odd.example", "redirectUris": []any{}, "password": leakPassword},
		"notesFromVendor":      leakJWT,
		"vendorSettings":       map[string]any{"region": "eu", "apiToken": leakNested},
		"passwordPolicyHelper": "keep me? no: the name looks secret",
		"passwordCredentials": []any{map[string]any{"keyId": "31111111-2222-4333-8444-555555555555", "displayName": "ci", "hint": "Zx1",
			"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z", "customKeyIdentifier": nil, "value": leakCredValue}},
		"harmlessNewProperty": "kept, with a schema warning",
	}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	res := mustExport(t, c, r, nil)

	files := tree(t, r, "HEAD")
	var app string
	for p, data := range files {
		if strings.Contains(string(data), "Odd App") {
			app = p
		}
	}
	if app == "" {
		t.Fatal("no file for the application")
	}
	data := string(files[app])
	for _, keep := range []string{"harmlessNewProperty", `keyId: "31111111-2222-4333-8444-555555555555"`, `hint: "Zx1"`, `region: "eu"`, "homePageUrl"} {
		if !strings.Contains(data, keep) {
			t.Errorf("%s lost %s:\n%s", app, keep, data)
		}
	}
	js, _ := json.Marshal(res)
	commit := git(t, r.Path(), "log", "-1", "--format=%B")
	tag := git(t, r.Path(), "tag", "-l", "--format=%(contents)", res.Tag)
	var warnings []string
	for _, w := range res.Warnings {
		warnings = append(warnings, w.String())
	}
	everything := data + string(js) + commit + tag + strings.Join(warnings, "\n")
	for _, leak := range []string{leakClientSecret, leakPassword, leakJWT, leakNested, leakCredValue, "Zx18Q~"} {
		if strings.Contains(everything, leak) {
			t.Errorf("%q reached the snapshot or the output", leak)
		}
		if out, _ := gitGrep(r.Path(), leak); out != "" {
			t.Errorf("git grep %s:\n%s", leak, out)
		}
	}
	wantRemoved := []string{"clientSecret", "web.password", "notesFromVendor", "vendorSettings.apiToken", "passwordPolicyHelper", "passwordCredentials[0].value"}
	for _, prop := range wantRemoved {
		found := false
		for _, w := range res.Warnings {
			if w.Path == app && w.Property == prop && w.SecretRemoved() && strings.Contains(w.Message, "undeclared") {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning for %s; warnings:\n%s", prop, strings.Join(warnings, "\n"))
		}
		if !strings.Contains(commit, app+": "+prop) {
			t.Errorf("commit message does not name %s:\n%s", prop, commit)
		}
	}
}
