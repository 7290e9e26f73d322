package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/schemas"
)

func TestScrubSecrets(t *testing.T) {
	obj := map[string]any{
		"a": map[string]any{"secretText": "x", "keep": "y"},
		"keyCredentials": []any{
			map[string]any{"key": "material", "keyId": "1"},
			map[string]any{"key": nil, "keyId": "2"},
		},
		"passwordProfile": map[string]any{"password": "p"},
	}
	got := scrubSecrets(obj, "")
	want := []string{"a.secretText", "keyCredentials[0].key", "passwordProfile"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("scrub = %v, want %v", got, want)
	}
	if b, _ := json.Marshal(obj); strings.Contains(string(b), "material") || strings.Contains(string(b), `"x"`) {
		t.Errorf("left: %s", b)
	}
}

func TestCollisionRefused(t *testing.T) {
	users, _ := layout.Lookup("users")
	b := newBuilder()
	kr := &kindRead{kind: users, files: []prepared{
		{path: "users/ab/x.ab.yaml", key: "ab", data: []byte("a: 1\n")},
		{path: "users/ab/X.AB.yaml", key: "AB", data: []byte("a: 2\n")},
	}}
	var ce *CollisionError
	if err := collect(b, kr); !errors.As(err, &ce) || !ce.CaseFolding {
		t.Fatalf("err = %v", err)
	}
	// The fold is found whichever comes first, and between two paths
	// with upper-case letters (the fold map holds only those).
	for _, pair := range [][2]string{{"users/ab/X.AB.yaml", "users/ab/x.ab.yaml"}, {"users/ab/X.Ab.yaml", "users/ab/x.AB.yaml"}} {
		b = newBuilder()
		kr.files[0].path, kr.files[1].path = pair[0], pair[1]
		if err := collect(b, kr); !errors.As(err, &ce) || !ce.CaseFolding || !strings.Contains(err.Error(), pair[0]) {
			t.Errorf("%s then %s: err = %v", pair[0], pair[1], err)
		}
	}
	b = newBuilder()
	kr.files[1].path = kr.files[0].path
	if err := collect(b, kr); !errors.As(err, &ce) || ce.CaseFolding || !strings.Contains(err.Error(), "nothing was committed") {
		t.Fatalf("err = %v", err)
	}
}

// collect is results' use of a builder: every kind added, then checked.
func collect(b *builder, krs ...*kindRead) error {
	for _, kr := range krs {
		if err := b.add(kr); err != nil {
			return err
		}
	}
	return b.check()
}

// TestCollisionRefusedAmongSunkFiles: files given to a sink (only their
// paths kept) and files kept from the previous snapshot collide as files
// with bytes do, across kinds and whatever their order; the error names
// both objects, the earlier one's key first, and the later one's kind.
// Hostile paths (NUL, not UTF-8, long) are compared as bytes.
func TestCollisionRefusedAmongSunkFiles(t *testing.T) {
	users, _ := layout.Lookup("users")
	groups, _ := layout.Lookup("groups")
	long := strings.Repeat("x", 300)
	filler := func(n int) []prepared {
		var out []prepared
		for i := range n {
			out = append(out, prepared{path: fmt.Sprintf("users/%02x/u%d.yaml", i%256, i), key: fmt.Sprint(i), sunk: true})
		}
		return out
	}
	for _, c := range []struct {
		name   string
		a, b   prepared
		fold   bool
		refuse bool
	}{
		{"same path, sunk", prepared{path: "users/ab/x.ab.yaml", key: "k1", sunk: true}, prepared{path: "users/ab/x.ab.yaml", key: "k2", sunk: true}, false, true},
		{"same path, sunk and kept", prepared{path: "users/ab/x.ab.yaml", key: "k1", sunk: true}, prepared{path: "users/ab/x.ab.yaml", key: "k2", kept: true}, false, true},
		{"same path, kept and bytes", prepared{path: "users/ab/x.ab.yaml", key: "k1", kept: true}, prepared{path: "users/ab/x.ab.yaml", key: "k2", data: []byte("a: 1\n")}, false, true},
		{"case, sunk", prepared{path: "users/ab/x.ab.yaml", key: "k1", sunk: true}, prepared{path: "users/ab/X.AB.yaml", key: "K2", sunk: true}, true, true},
		{"case, upper first", prepared{path: "users/ab/X.Ab.yaml", key: "k1", sunk: true}, prepared{path: "users/ab/x.aB.yaml", key: "K2", kept: true}, true, true},
		{"case, not ASCII", prepared{path: "users/éa/Ÿ.yaml", key: "k1", sunk: true}, prepared{path: "users/éa/ÿ.yaml", key: "K2", sunk: true}, true, true},
		{"NUL and long", prepared{path: "users/ab/\x00" + long, key: "k1", sunk: true}, prepared{path: "users/ab/\x00" + long, key: "k2", sunk: true}, false, true},
		{"not UTF-8", prepared{path: "users/ab/\xff.yaml", key: "k1", sunk: true}, prepared{path: "users/ab/\xff.yaml", key: "k2", sunk: true}, false, true},
		{"prefix, distinct", prepared{path: "users/ab/x.yaml", key: "k1", sunk: true}, prepared{path: "users/ab/x.yaml.yaml", key: "k2", sunk: true}, false, false},
	} {
		for _, order := range []bool{false, true} {
			first, second := c.a, c.b
			if order {
				first, second = c.b, c.a
			}
			kr1 := &kindRead{kind: users, files: append(filler(300), first)}
			kr2 := &kindRead{kind: groups, files: []prepared{second}}
			err := collect(newBuilder(), kr1, kr2)
			if !c.refuse {
				if err != nil {
					t.Errorf("%s: %v", c.name, err)
				}
				continue
			}
			var ce *CollisionError
			if !errors.As(err, &ce) || ce.CaseFolding != c.fold {
				t.Errorf("%s (swapped %v): err = %v, want a collision (case folding %v)", c.name, order, err, c.fold)
				continue
			}
			if ce.Kind != "groups" || ce.Key1 != first.key || ce.Key2 != second.key || !strings.Contains(ce.Path, second.path) || !strings.Contains(ce.Path, first.path) {
				t.Errorf("%s (swapped %v): %+v, want kind groups, keys %s then %s, both paths", c.name, order, *ce, first.key, second.key)
			}
		}
	}
	// No collision: the paths come back sorted.
	b := newBuilder()
	if err := collect(b, &kindRead{kind: users, files: filler(300)}); err != nil {
		t.Fatal(err)
	}
	if len(b.sunk) != 300 || !sort.StringsAreSorted(b.sunk) {
		t.Errorf("%d sunk paths, sorted %v", len(b.sunk), sort.StringsAreSorted(b.sunk))
	}
}

// TestIDsDifferingOnlyInCase: keys that are not GUIDs and differ only in
// case are distinct objects with distinct files (also on case-insensitive
// file systems), whatever order Graph lists them in; the same GUID in two
// cases is one object.
func TestIDsDifferingOnlyInCase(t *testing.T) {
	users, _ := layout.Lookup("users")
	objs := func(order []int) []map[string]any {
		all := []map[string]any{
			{"id": "fido2", "displayName": "Same Name", "userPrincipalName": "same@x"},
			{"id": "Fido2", "displayName": "Same Name", "userPrincipalName": "same@x"},
			{"id": "FIDO2", "displayName": "Same Name", "userPrincipalName": "same@x"},
			{"id": "fiDo2", "displayName": "Other", "userPrincipalName": "d@x"},
			{"id": "0a0b0c0d-0000-4000-8000-00000000abcd", "displayName": "G", "userPrincipalName": "g@x"},
			{"id": "0A0B0C0D-0000-4000-8000-00000000ABCD", "displayName": "G", "userPrincipalName": "g@x"},
		}
		var out []map[string]any
		for _, i := range order {
			out = append(out, all[i])
		}
		return out
	}
	buildWith := func(order []int, sink func(string, []byte) error) *builder {
		sorted, err := sortByKey(users, objs(order))
		if err != nil {
			t.Fatal(err)
		}
		kr := &kindRead{kind: users, objects: sorted}
		kr.prepare(sink, nil)
		if kr.err != nil {
			t.Fatal(kr.err)
		}
		b := newBuilder()
		if err := collect(b, kr); err != nil {
			t.Fatalf("case-differing ids refused: %v", err)
		}
		return b
	}
	build := func(order []int) map[string][]byte { return buildWith(order, nil).files }
	a := build([]int{0, 1, 2, 3, 4, 5})
	// With a sink, the sink gets the same files (case-distinct paths
	// included) and the builder keeps only their paths.
	sunk := map[string][]byte{}
	bs := buildWith([]int{0, 1, 2, 3, 4, 5}, func(p string, data []byte) error { sunk[p] = data; return nil })
	if !reflect.DeepEqual(sunk, a) {
		t.Errorf("the sink got\n%v\nwant\n%v", keys(sunk), keys(a))
	}
	if len(bs.files) != 0 || len(bs.sunk) != len(a) {
		t.Errorf("with a sink the builder holds %d files and %d paths, want 0 and %d", len(bs.files), len(bs.sunk), len(a))
	}
	if len(a) != 5 {
		t.Errorf("%d files, want 5 (4 keys + one GUID):\n%v", len(a), keys(a))
	}
	folded := map[string]string{}
	keysSeen := map[string]bool{}
	for p := range a {
		if q, ok := folded[strings.ToLower(p)]; ok {
			t.Errorf("%s and %s differ only in case", p, q)
		}
		folded[strings.ToLower(p)] = p
		k, key, err := layout.Locate(p)
		if err != nil || k != users {
			t.Fatalf("Locate(%s): %v", p, err)
		}
		keysSeen[key] = true
	}
	for _, want := range []string{"fido2", "Fido2", "FIDO2", "fiDo2"} {
		if !keysSeen[want] {
			t.Errorf("no file for key %s: %v", want, keys(a))
		}
	}
	// deterministic: the same files whatever the order
	if b := build([]int{5, 3, 2, 4, 1, 0}); !reflect.DeepEqual(keys(a), keys(b)) {
		t.Errorf("order changes the paths:\n%v\n%v", keys(a), keys(b))
	}
	// the lower-case key keeps its ordinary path
	if _, ok := a["users/fi/same-x.fido2.yaml"]; !ok {
		t.Errorf("fido2 moved: %v", keys(a))
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPrepareOneSkipsTheCheckOfAnUnchangedFile: Validated's answer decides
// whether the schema is consulted; the scrub's warnings are always made
// again and the previous schema warnings are reported as this file's; a
// file whose previous check removed an undeclared secret is checked again.
func TestPrepareOneSkipsTheCheckOfAnUnchangedFile(t *testing.T) {
	k, _ := layout.Lookup("conditional-access-policies")
	sch, err := schemas.For(k.Name)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	schema := func() *schemas.Schema { calls++; return sch }
	obj := func() map[string]any {
		return map[string]any{"id": "11111111-1111-1111-1111-111111111111", "displayName": "P", "state": "enabled",
			"notInTheSchema": "x", "secretText": "hunter2"}
	}
	const p = "conditional-access/policies/p.yaml"
	want, wantW := prepareOne(k, schema, nil, obj(), p)
	if calls != 1 || len(wantW) < 2 {
		t.Fatalf("without Validated: %d checks, warnings %v", calls, wantW)
	}
	var seen []byte
	prev := []Warning{{Path: "old/path.yaml", Kind: k.Name, Property: "secretText", Message: msgSecretRemoved},
		{Path: "old/path.yaml", Kind: k.Name, Property: "recorded", Message: "recorded warning"}}
	valid := func(path string, data []byte) ([]Warning, bool) { seen = data; return prev, path == p }
	calls = 0
	data, ws := prepareOne(k, schema, valid, obj(), p)
	if calls != 0 || string(data) != string(want) || string(seen) != string(want) {
		t.Errorf("unchanged file: %d checks; bytes equal %v; Validated saw the file's bytes %v", calls, string(data) == string(want), string(seen) == string(want))
	}
	if len(ws) != 2 || ws[0].Message != msgSecretRemoved || ws[1] != (Warning{Path: p, Kind: k.Name, Property: "recorded", Message: "recorded warning"}) {
		t.Errorf("unchanged file's warnings: %+v", ws)
	}
	calls = 0
	if _, ws := prepareOne(k, schema, valid, obj(), "conditional-access/policies/other.yaml"); calls != 1 || len(ws) != len(wantW) {
		t.Errorf("changed file: %d checks, warnings %v", calls, ws)
	}
	prev = append(prev, Warning{Path: p, Kind: k.Name, Property: "x", Message: msgUndeclaredSecret})
	calls = 0
	if _, ws := prepareOne(k, schema, valid, obj(), p); calls != 1 || len(ws) != len(wantW) {
		t.Errorf("file whose check removed a secret: %d checks, warnings %v", calls, ws)
	}
}
