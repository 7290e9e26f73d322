package main

import (
	"embed"
	"regexp"
	"strings"
)

// The commands' long help (their --help description) is kept as text files
// in help/, one per command, so it reads and reviews as prose. "{{name}}"
// stands for the text of help/name.txt (a paragraph two commands share).
//
//go:embed help/*.txt
var helpFiles embed.FS

var helpInclude = regexp.MustCompile(`\{\{([a-z-]+)\}\}`)

// helpText is help/name.txt without its final newline, includes expanded;
// a missing file is a bug the help test catches (the text then says so).
func helpText(name string) string {
	data, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		return "(no help text: " + err.Error() + ")"
	}
	return helpInclude.ReplaceAllStringFunc(strings.TrimSuffix(string(data), "\n"), func(m string) string {
		return helpText(m[2 : len(m)-2])
	})
}
