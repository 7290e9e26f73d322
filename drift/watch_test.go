package drift

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/check"
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

// ReadWatch reads a watch list (drift --watch) bounded as every file read
// is, and every error is a *WatchError whose text starts with the file's
// name once (not twice, as an *fs.PathError would give it) and says what
// is wrong; no file is no list.
func TestReadWatch(t *testing.T) {
	if w, err := ReadWatch(""); w != nil || err != nil {
		t.Errorf(`ReadWatch("") = %v, %v`, w, err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "kinds: [groups]\n")
	w, err := ReadWatch(good)
	if err != nil || !w.kinds["groups"] {
		t.Fatalf("ReadWatch(good) = %+v, %v", w, err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	big := write("big.yaml", strings.Repeat("# a comment line of a file over 1 KiB\n", 30))
	for _, tc := range []struct {
		file, limit, want string
		is                error
	}{
		{missing, "", "no such file or directory", fs.ErrNotExist},
		{write("bad.yaml", "kind: [groups]\n"), "", `unknown key "kind"`, nil},
		{big, "1KiB", "larger than 1KiB", nil},
		{good, "lots", check.MaxFileSizeEnv, nil},
	} {
		t.Setenv(check.MaxFileSizeEnv, tc.limit)
		_, err := ReadWatch(tc.file)
		var we *WatchError
		if !errors.As(err, &we) || we.File != tc.file || !strings.HasPrefix(err.Error(), tc.file+": ") ||
			strings.Count(err.Error(), tc.file) != 1 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadWatch(%s) with limit %q = %v; want a *WatchError naming the file once and saying %q", filepath.Base(tc.file), tc.limit, err, tc.want)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("ReadWatch(%s) = %v, want it to wrap %v", filepath.Base(tc.file), err, tc.is)
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
