package layout

import (
	"strings"
	"testing"
)

// An access review names users and groups inside query strings: Walk finds
// the id between the prefix and the next "/" and, when it is remapped,
// keeps what follows ("/transitiveMembers"); a query naming no object
// ("/users", a filter) is left alone.
func TestRefTailKeepsTheRestOfAQuery(t *testing.T) {
	k, ok := Lookup("access-review-definitions")
	if !ok {
		t.Fatal("no access-review-definitions kind")
	}
	obj := map[string]any{
		"scope": map[string]any{"query": "/groups/G1/transitiveMembers", "queryType": "MicrosoftGraph"},
		"reviewers": []any{
			map[string]any{"query": "/users/U1"},
			map[string]any{"query": "/v1.0/groups/G1/owners"},
			map[string]any{"query": "/users"},
			map[string]any{"query": "/users?$filter=department eq 'x'"},
		},
	}
	var seen []string
	for _, r := range k.Refs {
		r.Walk(obj, func(id string) string {
			seen = append(seen, strings.Join(r.Kinds, ",")+":"+id)
			return "new-" + id
		})
	}
	if got := strings.Join(seen, " "); got != "groups:G1 users:U1 groups:G1" {
		t.Errorf("ids found: %s", got)
	}
	want := []string{"/users/new-U1", "/v1.0/groups/new-G1/owners", "/users", "/users?$filter=department eq 'x'"}
	for i, w := range want {
		if got := obj["reviewers"].([]any)[i].(map[string]any)["query"]; got != w {
			t.Errorf("reviewer %d: %v, want %s", i, got, w)
		}
	}
	if got := obj["scope"].(map[string]any)["query"]; got != "/groups/new-G1/transitiveMembers" {
		t.Errorf("scope: %v", got)
	}
}

// TestRefPrefixInIDMapsTheWholeValue: a reference whose prefix is part of
// the id (a custom user flow attribute, extension_{app}_{name}) is mapped
// as a whole, also to an id of another length (the walk once sliced the
// old value past its end), with Tail references in the same catalog
// unaffected.
func TestRefPrefixInIDMapsTheWholeValue(t *testing.T) {
	r := Ref{Path: "attribute", Kinds: []string{"user-flow-attributes"}, Prefix: "extension_", PrefixInID: true}
	for _, tc := range []struct{ old, mapped string }{
		{"extension_0123456789abcdef_Shirt", "extension_fedcba9876543210_ShirtSizeLonger"},
		{"extension_0123456789abcdef_ShirtSizeLonger", "extension_1_S"},
	} {
		obj := map[string]any{"attribute": tc.old}
		var got []string
		r.Walk(obj, func(id string) string { got = append(got, id); return tc.mapped })
		if len(got) != 1 || got[0] != tc.old || obj["attribute"] != tc.mapped {
			t.Errorf("%s: fn saw %q, value now %v, want %s", tc.old, got, obj["attribute"], tc.mapped)
		}
	}
	obj := map[string]any{"attribute": "city"} // a built-in attribute names nothing
	r.Walk(obj, func(id string) string { t.Errorf("fn called for %q", id); return id })
}
