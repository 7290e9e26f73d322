package cliargs

import (
	"fmt"
	"strings"
	"testing"
)

// restore's flags: --yes and --all take no value, --repo and --at do.
func flags(name string) (known, boolean bool) {
	switch name {
	case "yes", "all":
		return true, true
	case "repo", "at":
		return true, false
	}
	return false, false
}

// split runs Split as the CLI library leaves args: line is the command
// line after the program name, consumed is how many words the library
// took (the command and the flags before the first argument, and a "--"
// right after them).
func split(t *testing.T, line []string, consumed int) ([]string, []Setting, error) {
	t.Helper()
	raw := append([]string{"entrasnap"}, line...)
	return Split(raw, line[consumed:], flags)
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		line     []string
		consumed int
		pos, set string
	}{
		// Flags after the arguments are found, with = or a separate value.
		{[]string{"restore", "--repo", "R", "sel1", "--yes", "--at=HEAD", "sel2"}, 3, "[sel1 sel2]", "[{--yes yes true} {--at=HEAD at HEAD}]"},
		{[]string{"restore", "sel", "--at", "HEAD~1", "-yes"}, 1, "[sel]", "[{--at at HEAD~1} {-yes yes true}]"},
		// "--" after the arguments ends the flags.
		{[]string{"restore", "sel", "--", "--yes", "-AbC"}, 1, "[sel --yes -AbC]", "[]"},
		// A "--" the library consumed (directly after the flags) ends them too:
		// an id that begins with "-" is an argument.
		{[]string{"restore", "--repo", "R", "--", "-AbC", "--yes"}, 4, "[-AbC --yes]", "[]"},
		{[]string{"restore", "--yes", "--", "-AbC"}, 3, "[-AbC]", "[]"},
		// A "--" that was the value of the flag before it does not.
		{[]string{"restore", "--at", "--", "sel", "--yes"}, 3, "[sel]", "[{--yes yes true}]"},
		// "-" alone is an argument (standard input).
		{[]string{"validate", "-"}, 1, "[-]", "[]"},
	} {
		pos, set, err := split(t, tc.line, tc.consumed)
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		if got := fmt.Sprint(pos); got != tc.pos {
			t.Errorf("%q: positional %s, want %s", tc.line, got, tc.pos)
		}
		if got := fmt.Sprint(set); got != tc.set && !(tc.set == "[]" && len(set) == 0) {
			t.Errorf("%q: flags %s, want %s", tc.line, got, tc.set)
		}
	}
}

// An unknown flag or a flag without its value is an error naming it.
func TestSplitErrors(t *testing.T) {
	for _, tc := range []struct {
		line []string
		want string
	}{
		{[]string{"restore", "sel", "-AbC"}, "flag provided but not defined: -AbC"},
		{[]string{"restore", "sel", "--at"}, "flag needs an argument: --at"},
		{[]string{"restore", "sel", "--nope=1", "--", "x"}, "flag provided but not defined: --nope=1"},
	} {
		_, _, err := split(t, tc.line, 1)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.line, err, tc.want)
		}
	}
}
