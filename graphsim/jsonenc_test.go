package graphsim

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
)

// stdJSON is v as writeResponse wrote it before appendJSON: encoding/json's
// Encoder without HTML escaping, its newline dropped.
func stdJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func sameAsEncoder(t *testing.T, v any) {
	t.Helper()
	want, err := stdJSON(v)
	got, ok := appendJSON(nil, v)
	if err != nil {
		if ok {
			t.Errorf("%#v: wrote %s, encoding/json says %v", v, got, err)
		}
		return
	}
	if ok && !bytes.Equal(got, want) {
		t.Errorf("%#v:\n got %s\nwant %s", v, got, want)
	}
}

var encStrings = []string{"", "plain", `q"uote`, `back\slash`, "\b\f\n\r\t\x00\x01\x1f\x7f", "<a href='x'>&amp;</a>",
	"é日本😀", "\u2028\u2029", "\xff\xfe", "a\xc3", "\xed\xa0\x80", "\u202eRTL", "/slash"}

// TestAppendJSONWritesAsEncodingJSON (issue 12): graphsim's answers are
// the bytes encoding/json wrote, whatever the values (hostile strings,
// numbers, nesting, refs), and a value it does not take on itself
// (floats, structs other than liveRef, invalid json.Number) is left to
// encoding/json.
func TestAppendJSONWritesAsEncodingJSON(t *testing.T) {
	for _, s := range encStrings {
		sameAsEncoder(t, s)
		sameAsEncoder(t, map[string]any{s: s, "k" + s: []any{s}})
	}
	for _, v := range []any{nil, true, false, 0, -12, int64(1) << 62, json.Number("12.5e-3"), json.Number(""), json.Number("-0"),
		[]any{}, []any(nil), map[string]any{}, map[string]any(nil), liveRef{Type: "#microsoft.graph.user", ID: "a\"b"},
		[]any{liveRef{ID: "x"}, map[string]any{"b": 1, "a": []any{nil}}},
		map[string]any{"z": 1, "a": 2, "A": 3, "_": 4, "@odata.type": 5, "é": 6, "": 7}} {
		sameAsEncoder(t, v)
	}
	for _, v := range []any{1.5, float32(2), struct{ A int }{1}, json.Number("01"), json.Number("1."), json.Number("x"),
		[]string{"a"}, map[string]string{"a": "b"}, map[string]any{"a": []any{1.25}}} {
		if _, ok := appendJSON(nil, v); ok {
			t.Errorf("%#v: written here, not left to encoding/json", v)
		}
		sameAsEncoder(t, v)
	}
	rnd := rand.New(rand.NewSource(3))
	for range 3000 {
		sameAsEncoder(t, randomJSON(rnd, 0))
	}
}

func randomJSON(rnd *rand.Rand, depth int) any {
	switch k := rnd.Intn(9); {
	case k < 2 && depth < 4:
		m := map[string]any{}
		for range rnd.Intn(6) {
			m[randomEncString(rnd)] = randomJSON(rnd, depth+1)
		}
		return m
	case k < 4 && depth < 4:
		a := []any{}
		for range rnd.Intn(5) {
			a = append(a, randomJSON(rnd, depth+1))
		}
		return a
	case k == 4:
		return json.Number([]string{"0", "-1", "3.25", "1e9", "-0.5E-7", "123456789012345678901234567890"}[rnd.Intn(6)])
	case k == 5:
		return rnd.Intn(2) == 0
	case k == 6:
		return nil
	case k == 7:
		return liveRef{Type: randomEncString(rnd), ID: randomEncString(rnd)}
	}
	return randomEncString(rnd)
}

func randomEncString(rnd *rand.Rand) string {
	var b strings.Builder
	for range rnd.Intn(4) {
		b.WriteString(encStrings[rnd.Intn(len(encStrings))])
	}
	return b.String()
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range encStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameAsEncoder(t, s)
		sameAsEncoder(t, map[string]any{s: []any{s, json.Number(s)}})
	})
}
