package live

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// TestGUIDKeyBytes: the writer's index keys a GUID by its 16 bytes in
// either case (one object); anything that is not a GUID is refused and
// kept by its key string (writer.held). The delta round's refs take lower
// case only (parseLowerGUID): an upper-case id stays a string there.
func TestGUIDKeyBytes(t *testing.T) {
	const g = "6b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	lo, ok1 := guidKey(g)
	up, ok2 := guidKey(strings.ToUpper(g))
	mixed, ok3 := guidKey("6B1a2c3D-4e5f-4A6b-8c7d-9E0f1a2b3c4d")
	if !ok1 || !ok2 || !ok3 || lo != up || lo != mixed {
		t.Fatalf("%x %v, %x %v, %x %v: want one GUID", lo, ok1, up, ok2, mixed, ok3)
	}
	if lo[0] != 0x6b || lo[15] != 0x4d {
		t.Errorf("bytes %x", lo)
	}
	if p, ok := parseLowerGUID(g); !ok || p != lo {
		t.Errorf("parseLowerGUID(lower) = %x %v", p, ok)
	}
	if _, ok := parseLowerGUID(strings.ToUpper(g)); ok {
		t.Error("parseLowerGUID took an upper-case GUID")
	}
	for _, s := range []string{"", "not-a-guid", g[:35], g + "0", "{" + g[1:] + "}", strings.Replace(g, "-", "_", 1),
		strings.Replace(g, "6", "g", 1), strings.Replace(g, "6", "\x00", 1), strings.Replace(g, "6", "\xff", 1),
		"users/ab/" + g, strings.Repeat("a", 10000)} {
		if _, ok := guidKey(s); ok {
			t.Errorf("guidKey(%q) took it", s)
		}
	}
}

// TestWriterIndexAcrossPages: an object Graph repeats on a later page is
// kept once, as last read (its new path replaces the old), and the same
// GUID in another case on a later page is the same object (the first in
// byte order stays); keys that are not GUIDs (NUL, not UTF-8, "/", very
// long) are files of their own. What the sink got last and what finish
// lists agree.
func TestWriterIndexAcrossPages(t *testing.T) {
	users, _ := layout.Lookup("users")
	const g = "6b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	G := strings.ToUpper(g)
	user := func(id, name string) map[string]any {
		return map[string]any{"id": id, "displayName": name, "userPrincipalName": name + "@x"}
	}
	sunk := map[string][]byte{}
	w := newWriter(users, func(p string, data []byte) error { sunk[p] = data; return nil })
	odd := []string{"odd\x00id", "odd\xffid", "a/b", strings.Repeat("k", 150)}
	pages := [][]map[string]any{
		{user(G, "First"), user("0a0b0c0d-0000-4000-8000-00000000abcd", "Other")},
		{user(g, "Lower")}, // G < g: the upper-case one stays
		{user(G, "Renamed"), user(odd[0], "Odd0"), user(odd[1], "Odd1")},
		{user(odd[2], "Odd2"), user(odd[3], "Odd3")},
	}
	for _, p := range pages {
		if err := w.add(p); err != nil {
			t.Fatal(err)
		}
	}
	files, err := w.finish()
	w.close()
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]string{}
	for _, f := range files {
		if _, ok := sunk[f.path]; !ok || !f.sunk {
			t.Errorf("%q listed but not sunk", f.path)
		}
		if prev, dup := byKey[f.key]; dup {
			t.Errorf("key %q twice: %q and %q", f.key, prev, f.path)
		}
		byKey[f.key] = f.path
	}
	if len(files) != 2+len(odd) {
		t.Fatalf("%d files, want %d: %v", len(files), 2+len(odd), byKey)
	}
	if p := byKey[G]; !strings.Contains(p, "renamed") || !strings.HasSuffix(p, G+".yaml") {
		t.Errorf("the GUID's file is %q, want the renamed upper-case one", p)
	}
	if _, ok := byKey[g]; ok {
		t.Error("the lower-case form of a GUID already read became a second object")
	}
	for _, k := range odd {
		if _, ok := byKey[k]; !ok {
			t.Errorf("no file for key %q", k)
		}
	}
}
