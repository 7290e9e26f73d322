package drift

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
)

// A watched object decides criticality for its kind even before the
// baseline's name index has been used for anything else.
func TestWatchedObjectMakesItsKindCritical(t *testing.T) {
	ca, _ := layout.Lookup("conditional-access-policies")
	obj := map[string]any{"id": "c0ffee00-0000-4000-8000-000000000001", "displayName": "Require MFA"}
	p, _ := layout.Path(ca, obj)
	base := history.FromFiles(map[string][]byte{p: layout.Canonical(ca, obj)})
	w := &Watch{kinds: map[string]bool{}, objects: map[string]bool{"c0ffee00-0000-4000-8000-000000000001": true}}
	if !w.kindCritical(ca, base) {
		t.Error("the watched policy's kind is not critical")
	}
	users, _ := layout.Lookup("users")
	if w.kindCritical(users, base) {
		t.Error("users are critical though nothing of them is watched")
	}
}

// A watch file is read strictly; each error names what is wrong.
func TestParseWatchErrors(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"kinds: [groups]\nobject: [x]\n", `unknown key "object"`},
		{"kinds: {groups: true}\n", "kinds: want a list of strings"},
		{"paths: [groups, 3]\n", "paths[1]: want a string"},
		{"objects: [\"  \"]\n", "objects[0]: want a string"},
		{"kinds: [no-such-kind]\n", "kinds: "},
		{"paths: [./]\n", `paths: "." would watch everything`},
		{"kinds: []\n", "it names nothing to watch"},
		{"# nothing\n", "empty file"},
		{"kinds: [groups\n", ""},
	} {
		w, err := ParseWatch([]byte(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseWatch(%q) = %v, %v; want an error containing %q", tc.file, w, err, tc.want)
		}
	}
}

// Kinds, paths (folders or files, cleaned) and objects (ids in any case)
// each make a change critical; nothing else does.
func TestWatchCritical(t *testing.T) {
	w, err := ParseWatch([]byte("kinds: conditional-access\npaths: [./groups/3f/, users/ab/x.yaml]\nobjects: [C0FFEE00-0000-4000-8000-000000000001]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    diff.Change
		want bool
	}{
		{diff.Change{Kind: "named-locations", Path: "conditional-access/named-locations/n.yaml"}, true},
		{diff.Change{Kind: "conditional-access-policies"}, true},
		{diff.Change{Kind: "groups", Path: "groups/3f/g.yaml"}, true},
		{diff.Change{Kind: "groups", Path: "groups/3fa/g.yaml"}, false},
		{diff.Change{Kind: "groups", OldPath: "groups/3f/old.yaml", Path: "groups/40/new.yaml"}, true},
		{diff.Change{Kind: "users", Path: "users/ab/x.yaml"}, true},
		{diff.Change{Kind: "users", Path: "users/ab/y.yaml"}, false},
		{diff.Change{Kind: "applications", Key: "c0ffee00-0000-4000-8000-000000000001"}, true},
		{diff.Change{Kind: "applications", Key: "c0ffee00-0000-4000-8000-000000000002"}, false},
	} {
		if got := w.critical(tc.c); got != tc.want {
			t.Errorf("critical(%+v) = %v, want %v", tc.c, got, tc.want)
		}
	}
}

// Objects are resolved against the baseline: kind/displayName gives the
// object's id; an id the baseline does not hold is kept (the object may be
// new); a name the baseline does not hold is an error.
func TestWatchResolve(t *testing.T) {
	ca, _ := layout.Lookup("conditional-access-policies")
	obj := map[string]any{"id": "c0ffee00-0000-4000-8000-000000000001", "displayName": "Require MFA"}
	p, _ := layout.Path(ca, obj)
	base := history.FromFiles(map[string][]byte{p: layout.Canonical(ca, obj)})
	w, err := ParseWatch([]byte("objects: [\"conditional-access/policies/Require MFA\", c0ffee00-0000-4000-8000-0000000000ff]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Resolve(base); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c0ffee00-0000-4000-8000-000000000001", "c0ffee00-0000-4000-8000-0000000000ff"} {
		if !w.critical(diff.Change{Kind: "conditional-access-policies", Key: id}) {
			t.Errorf("%s is not watched", id)
		}
	}
	w, _ = ParseWatch([]byte("objects: [\"conditional-access/policies/No Such Policy\"]\n"))
	if err := w.Resolve(base); err == nil || !strings.HasPrefix(err.Error(), "objects: ") {
		t.Errorf("Resolve of an unknown name: %v", err)
	}
}
