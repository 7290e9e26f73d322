// Package cliargs splits what the CLI library left of a command line into
// positional arguments and the flags given after them. urfave/cli v2 (Go's
// flag package) stops at the first positional argument, so "restore --repo
// R SELECTOR --yes" leaves "--yes" among the arguments, and it consumes a
// "--" that directly follows the flags, so only the raw command line tells
// whether the arguments came after one ("restore --repo R -- -AbC...": an
// id that begins with "-"). Pure: no I/O, no CLI library.
package cliargs

import (
	"fmt"
	"strings"
)

// Flag says whether name is a flag of the command (known) and whether it
// takes no value (boolean).
type Flag func(name string) (known, boolean bool)

// Setting is a flag given after the positional arguments: Arg is the
// argument as written (for messages), Name and Value what to set.
type Setting struct {
	Arg, Name, Value string
}

// Split returns the positional arguments among args (what the CLI library
// left: the tail of raw, the whole command line with the program name
// first) and the flags given among them. "--" ends the flags wherever it
// is, including one the CLI library consumed before args. A flag that is
// not defined, or one that needs a value and has none, is an error naming
// it.
func Split(raw, args []string, flag Flag) (pos []string, set []Setting, err error) {
	if n := len(raw) - len(args) - 1; len(args) > 0 && n >= 1 && raw[n] == "--" {
		// The "--" is not the value of a flag before it ("--at --").
		prev := raw[n-1]
		name, _, hasValue := strings.Cut(strings.TrimLeft(prev, "-"), "=")
		if known, boolean := flag(name); !strings.HasPrefix(prev, "-") || hasValue || !known || boolean {
			return args, nil, nil
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		known, boolean := flag(name)
		if !known {
			return nil, nil, fmt.Errorf("flag provided but not defined: %s", a)
		}
		switch {
		case hasValue:
		case boolean:
			value = "true"
		case i+1 < len(args):
			value = args[i+1]
			i++
		default:
			return nil, nil, fmt.Errorf("flag needs an argument: %s", a)
		}
		set = append(set, Setting{Arg: a, Name: name, Value: value})
	}
	return pos, set, nil
}
