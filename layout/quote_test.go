package layout

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostileStrings are names and values Graph can hand us; every one must
// survive Encode → Decode exactly.
var hostileStrings = map[string]string{
	"NUL":               "a\x00b",
	"DEL":               "Dept\x7f Finance",
	"C1 from cp1252":    "Caf\u0080\u0085\u0093\u009f",
	"NEL alone":         "\u0085",
	"LS and PS":         "a\u2028b\u2029c",
	"RLO":               "evil\u202egpj.exe",
	"isolates":          "\u2066a\u2067b\u2068c\u2069",
	"LRM RLM ALM":       "\u200e\u200f\u061c",
	"BOM":               "\ufeffname",
	"U+FFFE":            "x\ufffey",
	"U+FFFF":            "x\uffffy",
	"U+FDD0":            "\ufdd0",
	"U+1FFFE":           "\U0001fffe",
	"U+10FFFF":          "\U0010ffff",
	"emoji":             "Team 🚀👩‍👩‍👧",
	"CR":                "line\rover",
	"CRLF":              "a\r\nb",
	"LF":                "a\nb\n",
	"tabs":              "\ta\t",
	"spaces":            "  padded  ",
	"document marker":   "---",
	"document end":      "...",
	"comment":           "# not a comment",
	"colon":             "key: value",
	"yes":               "yes",
	"No":                "No",
	"true":              "true",
	"null":              "null",
	"tilde":             "~",
	"number":            "0123",
	"float":             "1e3",
	"quote backslash":   `"\'\\`,
	"escape-like":       `\u0041\x41\N`,
	"ANSI":              "\x1b[32m~ update\x1b[0m\r",
	"flow":              "[a, {b: c}]",
	"anchor":            "&a *a !tag %YAML",
	"empty":             "",
	"very long":         strings.Repeat("Finance \u202e\x7f ", 40000),
	"surrogate text":    "\ufffd",
	"combining":         "e\u0301",
	"zero width joiner": "a\u200db\u200bc",
}

func TestQuoteStringRoundTripsHostileStrings(t *testing.T) {
	for name, s := range hostileStrings {
		t.Run(name, func(t *testing.T) {
			roundTrip(t, s)
		})
	}
	for c := rune(0); c < 0x100; c++ {
		roundTrip(t, "x"+string(c)+"y")
	}
}

func roundTrip(t *testing.T, s string) {
	t.Helper()
	obj := map[string]any{"displayName": s, "list": []any{s, map[string]any{s: s}}, s: "key"}
	data := Encode(obj)
	if !utf8.Valid(data) {
		t.Fatalf("%q: the file is not valid UTF-8", trunc(s))
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatalf("%q: Decode of the encoded file: %v\n%s", trunc(s), err, trunc(string(data)))
	}
	want := string([]rune(s)) // each invalid byte becomes U+FFFD, as encoding/json does
	if back["displayName"] != want {
		t.Fatalf("%q came back as %q", trunc(s), trunc(back["displayName"].(string)))
	}
	if back[want] != "key" {
		t.Fatalf("key %q did not come back", trunc(s))
	}
	l := back["list"].([]any)
	if l[0] != want || l[1].(map[string]any)[want] != want {
		t.Fatalf("%q in a list came back as %q", trunc(s), l)
	}
	// Nothing a terminal or reviewer would be fooled by is written raw.
	for _, r := range string(data) {
		if r != '\n' && (r < 0x20 || r >= 0x7f && r <= 0x9f || hiddenInFile(r) || isNoncharacter(r)) {
			t.Fatalf("%q: %U written raw", trunc(s), r)
		}
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func TestQuoteStringInvalidUTF8BecomesReplacement(t *testing.T) {
	data := Encode(map[string]any{"displayName": "a\xffb\xed\xa0\x80c"})
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := back["displayName"]; got != "a\ufffdb\ufffd\ufffd\ufffdc" {
		t.Fatalf("got %q", got)
	}
}

// Ordinary strings are written exactly as before (JSON's escapes), so
// existing snapshots do not change.
func TestQuoteStringKeepsJSONFormForOrdinaryText(t *testing.T) {
	for in, want := range map[string]string{
		"Require MFA":       `"Require MFA"`,
		`say "hi" \ o/`:     `"say \"hi\" \\ o/"`,
		"a\nb\tc\rd":        `"a\nb\tc\rd"`,
		"\x01\x1b\b\f":      `"\u0001\u001b\b\f"`,
		"<tag> & ü €":       `"<tag> & ü €"`,
		"Ωmega 日本 🚀":        `"Ωmega 日本 🚀"`,
		"a\u2028b":          `"a\u2028b"`,
		"x\x7f\u0085\ufffe": `"x\u007f\u0085\ufffe"`,
		"\U0001fffe\u202e":  `"\U0001fffe\u202e"`,
	} {
		if got := quoteString(in); got != want {
			t.Errorf("quoteString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestQuoteStringRoundTripsRandomStrings(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	pick := []rune{0, 0x1b, '\r', '\n', '\t', ' ', '"', '\\', ':', '#', '-', 0x7f, 0x85, 0x9b, 0xa0, 0x2028,
		0x202e, 0x2066, 0xfeff, 0xfffd, 0xfffe, 0xffff, 0x1fffe, 0x1f680, 'a', 'Z', '0'}
	for i := 0; i < 3000; i++ {
		var b strings.Builder
		for n := rng.Intn(12); n > 0; n-- {
			if rng.Intn(3) == 0 {
				b.WriteRune(rune(rng.Intn(0x110000)))
			} else {
				b.WriteRune(pick[rng.Intn(len(pick))])
			}
		}
		roundTrip(t, b.String())
	}
}

func FuzzQuoteStringRoundTrip(f *testing.F) {
	for _, s := range hostileStrings {
		if len(s) < 200 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip(t, s)
	})
}

func TestEncodeIsByteIdenticalForOrdinaryObjects(t *testing.T) {
	obj := map[string]any{"displayName": "Finance Admins", "@odata.type": "#microsoft.graph.group", "yes": "no",
		"description": "Line one\nline two", "tags": []any{"a", "b"}}
	want := "\"@odata.type\": \"#microsoft.graph.group\"\ndescription: \"Line one\\nline two\"\ndisplayName: \"Finance Admins\"\ntags:\n  - \"a\"\n  - \"b\"\n\"yes\": \"no\"\n"
	if got := Encode(obj); !bytes.Equal(got, []byte(want)) {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestDecodeNamesTheLineOfAControlCharacter(t *testing.T) {
	for data, want := range map[string]string{
		"id: \"1\"\ndisplayName: \"a\x7fb\"\n": "line 2: character U+007F is not allowed in a YAML file: write it as \\u007f inside a double-quoted string",
		"a: 1\nb: 2\nc: \"\xff\"\n":            "line 3: the file is not valid UTF-8",
	} {
		_, err := Decode([]byte(data))
		if err == nil || err.Error() != want {
			t.Errorf("Decode(%q) = %v, want %s", data, err, want)
		}
	}
}
