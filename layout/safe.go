package layout

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Safe returns s for a terminal, a log line or a commit message: every
// character that could move the cursor, recolour or reorder text, or hide
// itself is shown as a visible escape instead — C0 controls including CR and
// LF (\r, \n, \x1b), DEL and C1 controls (\x7f, \x85), bidi overrides,
// embeddings, isolates and marks (\u202e, \u2066, \u200f, \u061c), zero-width
// and invisible formatting characters (\u200b, \ufeff), line and paragraph
// separators, noncharacters, and bytes that are not UTF-8 (\xff). Ordinary
// text, including non-Latin scripts and emoji, is returned unchanged. Files
// and JSON output keep names exactly; Safe is for human renderings only.
func Safe(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x100 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff && unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// unsafeRune reports the characters Safe escapes.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x00ad, r == 0x034f, r == 0x061c, r == 0x115f, r == 0x1160, r == 0x17b4, r == 0x17b5, r == 0x180e:
		return true // soft hyphen, grapheme joiner, Arabic letter mark, fillers, Mongolian vowel separator
	case r >= 0x200b && r <= 0x200f, r >= 0x2028 && r <= 0x202e, r >= 0x2060 && r <= 0x206f:
		return true // zero-width, LRM/RLM, separators, bidi embeddings and overrides, isolates, invisible operators
	case r == 0x3164, r == 0xfeff, r == 0xffa0, r >= 0xfff9 && r <= 0xfffb:
		return true // Hangul fillers, byte order mark, interlinear annotation
	case r >= 0xfe00 && r <= 0xfe0f, r >= 0xe0000 && r <= 0xe0fff:
		return false // variation selectors and tags: part of emoji
	}
	return isNoncharacter(r)
}

// Plural is one when n is 1, else many: the one word choice of the
// product's messages ("1 error", "2 errors").
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ShellWord is a path (or other word) as it goes into a command suggested
// to a person: as is when no shell would read it otherwise, else in single
// quotes; escaped for the terminal either way (Safe).
func ShellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return Safe(s)
	}
	return "'" + Safe(strings.ReplaceAll(s, "'", `'\''`)) + "'"
}
