package layout

import "testing"

func TestSafeEscapesWhatATerminalWouldInterpret(t *testing.T) {
	for in, want := range map[string]string{
		"Finance Admins":                   "Finance Admins",
		"Ωmega 日本 🚀 Zoë":                   "Ωmega 日本 🚀 Zoë",
		"👩‍👩‍👧":                            "👩\\u200d👩\\u200d👧",
		"\x1b[32m~ update X\x1b[0m\r":      `\x1b[32m~ update X\x1b[0m\r`,
		"a\nb\tc":                          `a\nb\tc`,
		"DEL\x7f C1\u0085\u009b":           `DEL\x7f C1\x85\x9b`,
		"evil\u202egpj.exe":                `evil\u202egpj.exe`,
		"\u2066x\u2069 \u200e\u200f\u061c": `\u2066x\u2069 \u200e\u200f\u061c`,
		"zero\u200bwidth\ufeff":            `zero\u200bwidth\ufeff`,
		"bad\xffutf8":                      `bad\xffutf8`,
		"\ufffe\U0001ffff":                 `\ufffe\U0001ffff`,
		"line\u2028sep":                    `line\u2028sep`,
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
}

// A word in a suggested command reads back as the same word in a POSIX
// shell, and cannot move the terminal.
func TestShellWord(t *testing.T) {
	for in, want := range map[string]string{
		"./entrasnap-demo": "./entrasnap-demo",
		"":                 "''",
		"my repo":          "'my repo'",
		"it's":             `'it'\''s'`,
		"$(rm -rf ~)":      "'$(rm -rf ~)'",
		"a\nb":             `'a\nb'`,
		"rtl\u202eexe":     `rtl\u202eexe`,
		"tab\t`x`":         `'tab\t` + "`x`'",
	} {
		if got := ShellWord(in); got != want {
			t.Errorf("ShellWord(%q) = %s, want %s", in, got, want)
		}
	}
}
