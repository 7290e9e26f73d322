package layout

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEncodeDecode: whatever strings Graph sends (valid UTF-8, as JSON
// strings always are), Encode then Decode gives them back exactly, as keys
// and as values, nested or not.
func FuzzEncodeDecode(f *testing.F) {
	for _, s := range []string{"", "plain", "yes", "0123", "null", "~", "- x", "a: b", "#x", "\"q\"", "back\\slash",
		"tab\tnl\ncr\r", "\x00\x01\x1f", "caf\u00e9 \u4e2d\u6587 \U0001F600", "\u202eevil", "\u2028\u2029", " lead", "trail ", "{[]}", "&a *a !tag",
		"\x7f", "\u0085\u009f", "\ufffe\uffff", "\U0001fffe", "\ufeffbom"} {
		f.Add("displayName", s)
		f.Add(s, "value")
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		if !utf8.ValidString(key) || !utf8.ValidString(value) {
			t.Skip("Graph's JSON strings are valid UTF-8")
		}
		in := map[string]any{
			key:   value,
			"arr": []any{value, map[string]any{key: value}},
			"num": json.Number("12.50"),
			"b":   true,
			"n":   nil,
		}
		enc := Encode(in)
		out, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(%q: %q)): %v\n%s", key, value, err, enc)
		}
		if !reflect.DeepEqual(in, out) {
			t.Fatalf("round trip of %q: %q changed:\n%s\n→ %#v", key, value, enc, out)
		}
	})
}

// FuzzDecode: the strict decoder never panics or hangs on any file, and what
// it accepts re-encodes canonically to a fixpoint.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("id: \"1\"\ndisplayName: \"x\"\n"))
	f.Add([]byte("a: &a [1,2]\nb: *a\n"))
	f.Add([]byte("a: 1\na: 2\n"))
	f.Add([]byte("a: yes\n"))
	f.Add([]byte("\xef\xbb\xbfa: \"b\"\n"))
	f.Add([]byte("a: [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]\n"))
	f.Add([]byte("- 1\n- 2\n"))
	f.Add([]byte("a: !!binary aGk=\n"))
	f.Add([]byte(""))
	f.Add([]byte("a: \"\\x7f\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			t.Skip()
		}
		obj, err := Decode(data)
		if err != nil {
			return
		}
		enc := Encode(obj)
		again, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode accepted %q but not its canonical form: %v\n%s", data, err, enc)
		}
		if enc2 := Encode(again); string(enc2) != string(enc) {
			t.Fatalf("canonical form is not a fixpoint:\n%s\n%s", enc, enc2)
		}
	})
}

var windowsReservedBase = map[string]bool{"con": true, "prn": true, "aux": true, "nul": true,
	"com1": true, "com2": true, "com3": true, "com4": true, "com5": true, "com6": true, "com7": true, "com8": true, "com9": true,
	"lpt1": true, "lpt2": true, "lpt3": true, "lpt4": true, "lpt5": true, "lpt6": true, "lpt7": true, "lpt8": true, "lpt9": true}

// FuzzPath: for every kind, any name and key give a path that is safe on
// every file system (no traversal, no control or reserved characters, no
// Windows reserved name, no trailing dot or space, components of at most 255
// bytes), that Locate reads back to the same kind and key, and two keys that
// differ ignoring case give paths that differ ignoring case (NTFS and APFS
// ignore it).
func FuzzPath(f *testing.F) {
	for _, s := range []string{"Finance Admins", "../../etc/passwd", "CON", "nul", "Admins...", "a/b\\c", "\x00\x7f\u0085", "\u202e", strings.Repeat("x", 300), "", "~41", ".hidden"} {
		f.Add(s, "0f8fad5b-d9cb-469f-a165-70867728950e", "1f8fad5b-d9cb-469f-a165-70867728950e")
		f.Add("name", s, "other")
	}
	f.Fuzz(func(t *testing.T, name, key1, key2 string) {
		if key1 == "" || len(key1) > 100 || len(key2) > 100 {
			t.Skip()
		}
		for _, k := range Kinds() {
			obj := map[string]any{k.KeyProp(): key1}
			if k.NameProp != "" {
				obj[k.NameProp] = name
			}
			p, err := Path(k, obj)
			if err != nil && !k.Singleton && len(escapeKey(key1))+len("x..yaml") > maxFileName {
				continue // a key no file name can hold whole: refused, as TestPathKeyTooLong checks
			}
			if err != nil {
				t.Fatalf("%s: Path(%q, %q): %v", k.Name, name, key1, err)
			}
			checkSafePath(t, p)
			if k.Singleton {
				continue
			}
			kk, key, err := Locate(p)
			if err != nil || kk != k || key != key1 {
				t.Fatalf("%s: Locate(%q) = %v, %q, %v; want key %q", k.Name, p, kk, key, err, key1)
			}
			if key2 == "" || strings.EqualFold(key1, key2) {
				continue
			}
			obj[k.KeyProp()] = key2
			p2, err := Path(k, obj)
			if err != nil && len(escapeKey(key2))+len("x..yaml") > maxFileName {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.EqualFold(p, p2) {
				t.Fatalf("%s: keys %q and %q share the path %q (ignoring case)", k.Name, key1, key2, p)
			}
		}
	})
}

func checkSafePath(t *testing.T, p string) {
	t.Helper()
	if !utf8.ValidString(p) {
		t.Fatalf("path %q is not UTF-8", p)
	}
	for _, c := range strings.Split(p, "/") {
		base := strings.ToLower(c)
		if i := strings.IndexByte(base, '.'); i >= 0 {
			base = base[:i]
		}
		switch {
		case c == "" || c == "." || c == "..":
			t.Fatalf("path %q has component %q", p, c)
		case len(c) > 255:
			t.Fatalf("path %q has a component of %d bytes", p, len(c))
		case strings.HasSuffix(c, ".") || strings.HasSuffix(c, " "):
			t.Fatalf("path %q: trailing dot or space in %q", p, c)
		case windowsReservedBase[base]:
			t.Fatalf("path %q: Windows reserved name %q", p, c)
		}
		for _, r := range c {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || strings.ContainsRune(`\:*?"<>|`, r) {
				t.Fatalf("path %q: character %U", p, r)
			}
		}
	}
}

// TestPathKeyTooLong: a key whose escaped form leaves no room in a file
// name is refused with an error naming the kind; a long key that fits
// shortens the slug instead, and Locate reads the key back whole.
func TestPathKeyTooLong(t *testing.T) {
	k, ok := Lookup("groups")
	if !ok || k.NameProp == "" {
		t.Fatal("groups kind with a name property expected")
	}
	fits := strings.Repeat("\x03", 80) // 240 bytes escaped
	p, err := Path(k, map[string]any{k.KeyProp(): fits, k.NameProp: strings.Repeat("console ", 10)})
	if err != nil {
		t.Fatalf("Path of an 80-byte key: %v", err)
	}
	checkSafePath(t, p)
	if _, key, err := Locate(p); err != nil || key != fits {
		t.Fatalf("Locate(%q) = %q, %v", p, key, err)
	}
	_, err = Path(k, map[string]any{k.KeyProp(): strings.Repeat("\x03", 90), k.NameProp: "x"})
	if err == nil || !strings.Contains(err.Error(), "groups object") || !strings.Contains(err.Error(), "255") {
		t.Fatalf("Path of a 90-byte control key: err = %v, want the kind and the limit named", err)
	}
}
