package textcut

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCut: at most n characters, counted in runes (a byte that is not
// UTF-8 counts as one), the last one "…" when s was cut; never invalid
// UTF-8 made from valid, whatever n.
func TestCut(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"", 1, ""},
		{"abc", 0, ""},
		{"abc", -1, ""},
		{"abc", 1, "…"},
		{"\u202eé🙂x", 4, "\u202eé🙂x"},
		{"\u202eé🙂xy", 4, "\u202eé🙂…"},
		{"ab\xffcd", 4, "ab\uFFFD…"},
		{strings.Repeat("é", 300), 200, strings.Repeat("é", 199) + "…"},
	} {
		got := Cut(c.s, c.n)
		if got != c.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
		if utf8.ValidString(c.s) && !utf8.ValidString(got) {
			t.Errorf("Cut(%q, %d) = %q: not UTF-8", c.s, c.n, got)
		}
	}
}
