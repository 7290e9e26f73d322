// Package textcut bounds a text shown to people (an error, a markdown
// line, a record's detail) to a number of characters. It is the one such
// helper of the module, pure and importing no package of it, so that
// graph (which may import nothing of the product), layout and the rest
// cut the same way (an arrow internal/arrows enforces: a leaf).
package textcut

import "unicode/utf8"

// Cut returns s when it has at most n characters (runes; a byte that is
// not UTF-8 counts as one), else its first n-1 followed by "…": n
// characters in all, never a rune cut in half. n below 1 gives "".
func Cut(s string, n int) string {
	if n < 1 {
		return ""
	}
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
