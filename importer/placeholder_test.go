package importer

import (
	"encoding/json"
	"strings"
	"testing"
)

// Only the plan's own placeholders stay "{{" in a request body: the
// holders its actions make or capture, {{graph}} opening an @odata.id and
// {{generated-password}} as a password; any other "{{" (a value of the
// files that looks like one, in a name, a URL, a key) is written
// "{\u007b", which decodes to the same value, and apply's fill sends it
// unchanged.
func TestEscapeBodiesKeepsOnlyThePlansPlaceholders(t *testing.T) {
	odd := "https://contoso.sharepoint.com/sites/{{graph}}{{new:b}}{{generated-password}}{{organization}}\u202e\"{{"
	p := &Plan{Actions: []Action{
		{ID: "1", Op: OpCreate, Placeholder: "{{new:a}}", AppIDPlaceholder: "{{newAppId:a}}",
			Request: Request{Body: body(map[string]any{"displayName": odd, "password": "{{generated-password}}",
				"passwordProfile": map[string]any{"password": "{{generated-password}}"}, "{{key}}": "x"})}},
		{ID: "2", Capture: &Capture{Field: "id", Into: "{{emres:c:1}}"},
			Request: Request{Body: body(map[string]any{"@odata.id": "{{graph}}/v1.0/directoryObjects/{{new:a}}",
				"other": "{{graph}}/v1.0/x", "ids": []any{"{{new:a}}", "{{new:b}}", "/users/{{new:a}}", "{{emres:c:1}}", "{{newAppId:a}},{{new:a}}"},
				"originId": odd})}},
	}}
	escapeBodies(p)
	r := &runner{values: map[string]string{"{{graph}}": "https://g", "{{new:a}}": "A", "{{newAppId:a}}": "AA", "{{emres:c:1}}": "E"}}
	var got []map[string]any
	for _, a := range p.Actions {
		filled, err := r.fill(string(a.Request.Body))
		if err != nil {
			t.Fatalf("fill %s: %v", a.Request.Body, err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(filled), &m); err != nil {
			t.Fatalf("%s: %v", filled, err)
		}
		got = append(got, m)
	}
	if got[0]["displayName"] != odd || got[1]["originId"] != odd || got[1]["other"] != "{{graph}}/v1.0/x" || got[0]["{{key}}"] != "x" {
		t.Errorf("values of the files were changed: %v", got)
	}
	if pw := got[0]["passwordProfile"].(map[string]any)["password"].(string); strings.Contains(pw, "{{") || len(pw) < 20 {
		t.Errorf("the generated password was not filled in: %q", pw)
	}
	if got[1]["@odata.id"] != "https://g/v1.0/directoryObjects/A" {
		t.Errorf("@odata.id %v", got[1]["@odata.id"])
	}
	want := []any{"A", "{{new:b}}", "/users/A", "E", "AA,A"}
	if b, _ := json.Marshal(got[1]["ids"]); string(b) != mustJSON(t, want) {
		t.Errorf("ids %s, want %s", b, mustJSON(t, want))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// isHolder takes only the whole form of a holder the plan makes.
func TestIsHolder(t *testing.T) {
	for s, want := range map[string]bool{
		"{{new:0c000000-0000-4000-8000-0000000000a1}}": true, "{{newAppId:x}}": true, "{{emres:c:1}}": true, "{{policy:k}}": true,
		"{{new:}}": false, "{{graph}}": false, "{{new:a}}/x": false, "https://x/{{new:a}}": false, "{{new:a{{b}}": false, "{{other:a}}": false, "{{": false,
	} {
		if isHolder(s) != want {
			t.Errorf("isHolder(%q) = %v", s, !want)
		}
	}
}
