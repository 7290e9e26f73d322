package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// stdObject is decodeObject as it was: encoding/json with UseNumber.
func stdObject(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	err := d.Decode(&m)
	return m, err
}

// sameAsStd checks decodeObject against encoding/json on b: the same
// values (types included), or an error both ways.
func sameAsStd(t *testing.T, b []byte) {
	t.Helper()
	want, werr := stdObject(b)
	got, gerr := decodeObject(b)
	if werr != nil || want == nil {
		if gerr == nil {
			t.Errorf("%q: decoded %v, encoding/json says %v", b, got, werr)
		}
		return
	}
	if gerr != nil {
		t.Errorf("%q: %v, encoding/json decodes it", b, gerr)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q:\n got %#v\nwant %#v", b, got, want)
	}
}

var fastCases = []string{
	`{}`, ` { } `, "\t{\n\"a\"\r:1}\n", `{"a":1,"a":2}`, `{"a":[]}`, `{"a":{}}`, `{"a":[[],[{}],null]}`,
	`{"n":0,"m":-0,"x":1.5e10,"y":-12.25E-3,"z":12345678901234567890123,"w":1E+2}`,
	`{"t":true,"f":false,"z":null}`,
	`{"s":"plain ascii / with spaces"}`, `{"s":"é – 日本"}`, `{"s":"a\"b\\c\/d\b\f\n\r\t"}`,
	`{"s":"\u00e9\u2028\ud83d\ude00"}`, `{"s":"\ud800"}`, `{"s":"\udc00x"}`, `{"s":"\ud800\u0041"}`,
	"{\"s\":\"\xff\xfe bad utf8 \xc3\"}", "{\"\xff\":1}", `{"\u0000":"\u0000"}`,
	`{"@odata.type":"#microsoft.graph.group","members@delta":[{"@odata.type":"#microsoft.graph.user","id":"00000000-0000-4000-8000-000000000001"},{"id":"x","@removed":{"reason":"deleted"}}]}`,
	// Not objects, or not JSON: encoding/json's errors stand.
	``, ` `, `null`, `[]`, `"s"`, `1`, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{"a":1 "b":2}`,
	`{"a":[1,]}`, `{"a":[,1]}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":+1}`,
	`{"a":tru}`, `{"a":nul}`, `{"a":True}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"tab\there\"}", "{\"a\":\"nl\n\"}",
	`{"a":"unterminated}`, `{"a":"\`, `{"a":1} trailing`, `{"a":1}{"b":2}`, `{"a":1} `, `{'a':1}`, `{a:1}`,
	`{"a":NaN}`, `{"a":Infinity}`, `{"a":0x10}`,
}

func TestFastObjectDecodesAsEncodingJSON(t *testing.T) {
	for _, c := range fastCases {
		sameAsStd(t, []byte(c))
	}
	// Deep nesting, at and past the fast path's depth, and past encoding/json's.
	for _, n := range []int{fastMaxDepth - 1, fastMaxDepth, fastMaxDepth + 1, 10001} {
		sameAsStd(t, []byte(`{"a":`+strings.Repeat("[", n)+strings.Repeat("]", n)+`}`))
		sameAsStd(t, []byte(strings.Repeat(`{"a":`, n)+"1"+strings.Repeat("}", n)))
	}
	// Random objects as Graph might send them, and each cut short or with
	// a byte changed.
	rnd := rand.New(rand.NewSource(12))
	for range 2000 {
		b, _ := json.Marshal(randomValue(rnd, 0, true))
		sameAsStd(t, b)
		if len(b) > 1 {
			sameAsStd(t, b[:rnd.Intn(len(b))])
			c := bytes.Clone(b)
			c[rnd.Intn(len(c))] = "{}[]\",:\\ \x00\xffa1-.eE"[rnd.Intn(17)]
			sameAsStd(t, c)
		}
	}
	// The hostile items of a delta round.
	for _, it := range spillItems() {
		b, _ := json.Marshal(it)
		sameAsStd(t, b)
	}
}

func randomValue(rnd *rand.Rand, depth int, object bool) any {
	k := rnd.Intn(8)
	if object || depth < 2 && k < 2 {
		m := map[string]any{}
		for range rnd.Intn(6) {
			m[randomString(rnd)] = randomValue(rnd, depth+1, false)
		}
		return m
	}
	switch {
	case k < 3 && depth < 3:
		var a []any
		for range rnd.Intn(5) {
			a = append(a, randomValue(rnd, depth+1, false))
		}
		return a
	case k == 3:
		return json.Number(fmt.Sprint([]string{"0", "-1", "3.25", "1e9", "-0.5E-7", "123456789012345678901234567890"}[rnd.Intn(6)]))
	case k == 4:
		return rnd.Intn(2) == 0
	case k == 5:
		return nil
	}
	return randomString(rnd)
}

func randomString(rnd *rand.Rand) string {
	pieces := []string{"a", "id", "@odata.type", "é", "\"", "\\", "/", "\n", "\x00", "\x1f", "\u2028", "😀", "\xff", "\xed\xa0\x80", "<>&", " "}
	var b strings.Builder
	for range rnd.Intn(6) {
		b.WriteString(pieces[rnd.Intn(len(pieces))])
	}
	return b.String()
}

func FuzzFastObject(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { sameAsStd(t, b) })
}
