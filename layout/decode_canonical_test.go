package layout

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// canonicalCorpus is files as entrasnap writes them: every kind's valid
// test object (schemas/testdata/valid), hostile strings as keys and values,
// and the shapes Encode has (lists of lists, of maps with a quoted first
// key, empty collections, numbers, nesting).
func canonicalCorpus(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	files, err := filepath.Glob(filepath.Join("..", "schemas", "testdata", "valid", "*.yaml"))
	if err != nil || len(files) < 20 {
		t.Fatalf("schemas/testdata/valid: %d files, %v", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := decodeYAML(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = Encode(obj)
	}
	for name, s := range hostileStrings {
		out["hostile "+name] = Encode(map[string]any{"displayName": s, "list": []any{s, map[string]any{s: s, "b": []any{s}}}, s: "key"})
	}
	for c := rune(0); c < 0x100; c++ {
		out["rune "+string(c)] = Encode(map[string]any{"x" + string(c) + "y": "x" + string(c) + "y"})
	}
	out["shapes"] = Encode(map[string]any{
		"@odata.type":     "#microsoft.graph.user",
		"a":               []any{[]any{"x", []any{}}, []any{map[string]any{}}, map[string]any{"@odata.type": "#t", "id": "1"}, nil, true, false, json.Number("0")},
		"b":               map[string]any{"c": map[string]any{"d": []any{map[string]any{"e": map[string]any{"f": []any{json.Number("-1.5e+10")}}, "g": nil}}}},
		"empty":           map[string]any{"m": map[string]any{}, "l": []any{}, "s": ""},
		"nums":            []any{json.Number("-0"), json.Number("12.50"), json.Number("1E5"), json.Number("123456789012345678901234567890")},
		"yes":             "yes",
		"null":            "null",
		"true":            "true",
		"0123":            "0123",
		"":                "empty key",
		"key-with.dots_1": map[string]any{"y": "n"},
	})
	return out
}

// TestDecodeCanonicalAgreesWithYAML: every canonical file takes the fast
// path and gives what the YAML parser gives; every variant of one (lines
// swapped, indented otherwise, commented, quoted otherwise, cut) is either
// declined or read the same, so Decode's answer never depends on which
// reader read the file.
func TestDecodeCanonicalAgreesWithYAML(t *testing.T) {
	for name, data := range canonicalCorpus(t) {
		fast, ok := decodeCanonical(data)
		if isCanonical(data) != ok {
			t.Errorf("%s: the scan (isCanonical) says %v, the fast path %v", name, !ok, ok)
		}
		if !ok && explicitKey.Match(data) {
			sameAsYAML(t, name, data) // a key over 1,024 bytes: "? key" lines, left to the YAML parser
			continue
		}
		if !ok {
			t.Errorf("%s: a canonical file was left to the YAML parser:\n%s", name, trunc(string(data)))
			continue
		}
		slow, err := decodeYAML(data)
		if err != nil || !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: fast %#v, YAML %#v (%v)", name, fast, slow, err)
		}
		if !bytes.Equal(Encode(fast), data) {
			t.Errorf("%s: Encode does not give the file back", name)
		}
		for i, v := range variants(data) {
			sameAsYAML(t, name+" variant "+itoaTest(i), v)
		}
	}
	for _, s := range []string{"a: 1e400\n", "a: 01\n", "a: .5\n", "a: +1\n", "a: yes\n", "a: ~\n", "a: \"x\" # c\n", "a: 'x'\n",
		"a: \"\\x41\"\n", "a: \"\\/\"\n", "a: \"\\ud800\"\n", "a: \"\\u00e9\"\n", "b: 1\na: 2\n", "a: 1\na: 1\n", "a:\n- 1\n", "a:\n    b: 1\n",
		"- 1\n", "\"x\"\n", "{}\n", "[]\n", "", "\n", "a: 1", "a: &x 1\n", "a: !!str 1\n", "? a\n: 1\n", "a: [1]\n", "a: {b: 1}\n",
		"a:\n  - b: 1\n    c: 2\n", "a:\n  - b: 1\n     c: 2\n", "a:\n  -\n    - 1\n", "a: \"multi\n  line\"\n", "\xef\xbb\xbfa: 1\n", "a: 1\n---\n", "a: null\nb:\n",
		"\"a\": 1\n", "yes: 1\n", "Null: 1\n", "a: \"\\u0041\"\n", "a: \"\u202e\"\n", "a: \"\\t\"\n", "a: \"\t\"\n", "a:\n  - \"a\": 1\n", "a:\n  - \"x\"\n  - b: 1\n    a: 2\n",
		"a:\n  - true\n  - truex: 1\n", "a: -\n", "a: 1.\n", "a: 1e\n", "a: -01\n"} {
		sameAsYAML(t, s, []byte(s))
	}
}

// variants are edits of a canonical file a person or another tool might
// make.
func variants(data []byte) [][]byte {
	lines := strings.SplitAfter(string(data), "\n")
	var out [][]byte
	add := func(s string) { out = append(out, []byte(s)) }
	add(string(data[:len(data)-1]))
	add("# comment\n" + string(data))
	add(string(data) + "extra: 1\n")
	add(strings.ReplaceAll(string(data), "  ", "    "))
	add(strings.ReplaceAll(string(data), "\"", "'"))
	add(strings.ReplaceAll(string(data), ": \"", ": "))
	add(strings.ReplaceAll(string(data), ": null", ": ~"))
	add(strings.ReplaceAll(string(data), ": true", ": yes"))
	add(strings.ReplaceAll(string(data), "\\u", "\\x"))
	add(strings.ReplaceAll(string(data), "- ", "-  "))
	for i := 0; i+1 < len(lines) && i < 6; i++ {
		swapped := append([]string(nil), lines...)
		swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
		add(strings.Join(swapped, ""))
		dup := append(append(append([]string(nil), lines[:i+1]...), lines[i]), lines[i+1:]...)
		add(strings.Join(dup, ""))
		add(strings.Join(append(append([]string(nil), lines[:i]...), lines[i+1:]...), ""))
	}
	return out
}

func sameAsYAML(t *testing.T, name string, data []byte) {
	t.Helper()
	got, err := Decode(data)
	want, wantErr := decodeYAML(data)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() || !reflect.DeepEqual(got, want) {
		t.Errorf("%s: Decode %#v (%v), the YAML parser %#v (%v)\n%s", trunc(name), got, err, want, wantErr, trunc(string(data)))
	}
	fast, ok := decodeCanonical(data)
	if isCanonical(data) != ok {
		t.Errorf("%s: the scan (isCanonical) says %v, the fast path %v:\n%s", trunc(name), !ok, ok, trunc(string(data)))
	}
	if ok && (wantErr != nil || !reflect.DeepEqual(fast, want)) {
		t.Errorf("%s: the fast path read %#v, the YAML parser %#v (%v)", trunc(name), fast, want, wantErr)
	} else if ok && !bytes.Equal(Encode(fast), data) {
		t.Errorf("%s: the fast path accepted a file Encode does not write:\n%s", trunc(name), trunc(string(data)))
	}
}

// explicitKey finds the "? key" line Encode writes for a key YAML does not
// allow on a "key:" line (over 1,024 bytes).
var explicitKey = regexp.MustCompile(`(?m)^ *(- )?\? `)

func itoaTest(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

// FuzzDecodeCanonical: whatever the fast path accepts, the YAML parser reads
// the same.
func FuzzDecodeCanonical(f *testing.F) {
	for _, data := range canonicalCorpus(f) {
		if len(data) < 4096 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			t.Skip()
		}
		fast, ok := decodeCanonical(data)
		if isCanonical(data) != ok {
			t.Fatalf("the scan (isCanonical) says %v, the fast path %v: %q", !ok, ok, data)
		}
		if !ok {
			return
		}
		slow, err := decodeYAML(data)
		if err != nil || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast path %#v, YAML %#v (%v)\n%q", fast, slow, err, data)
		}
		if !bytes.Equal(Encode(fast), data) {
			t.Fatalf("accepted a file that is not canonical: %q", data)
		}
	})
}

// BenchmarkDecode compares the two readers on a user's file.
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "schemas", "testdata", "valid", "users.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	obj, err := decodeYAML(data)
	if err != nil {
		b.Fatal(err)
	}
	data = Encode(obj)
	b.Run("canonical", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			if _, err := Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("yaml", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			if _, err := decodeYAML(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
