package exporter

import (
	"fmt"
	"io"
	"strings"
)

// FirstMarkdown writes a summary of res, the first snapshot (named name),
// as markdown: objects per kind.
func (res *Result) FirstMarkdown(w io.Writer, name string) {
	kinds := 0
	for _, k := range res.Kinds {
		if k.Objects > 0 {
			kinds++
		}
	}
	fmt.Fprintf(w, "### entrasnap: first snapshot %s\n\n**%d objects in %d kinds**; there is no earlier snapshot to compare with.\n\n",
		name, res.Objects(), kinds)
	io.WriteString(w, "| kind | objects |\n|---|---:|\n")
	for _, k := range res.Kinds {
		title := k.Title
		if title != "" {
			title = strings.ToUpper(title[:1]) + title[1:]
		}
		fmt.Fprintf(w, "| %s | %d |\n", title, k.Objects)
	}
}

// NotesMarkdown writes, as markdown notes, the kinds of res that could not
// be read and the kinds the tenant is not licensed for.
func (res *Result) NotesMarkdown(w io.Writer) {
	if inc := res.Incomplete(); len(inc) > 0 {
		names := make([]string, len(inc))
		for i, k := range inc {
			names[i] = k.Title + " (" + k.Reason + ")"
		}
		fmt.Fprintf(w, "\n> **Incomplete snapshot:** these kinds could not be read and were carried forward unchanged: %s.\n",
			strings.ReplaceAll(strings.Join(names, ", "), "`", "'"))
	}
	if nl := res.NotLicensed(); len(nl) > 0 {
		names := make([]string, len(nl))
		for i, k := range nl {
			names[i] = k.Title + " (needs " + k.NotLicensed + ")"
		}
		fmt.Fprintf(w, "\n> **Not licensed in this tenant:** %s; earlier files, if any, were kept.\n", strings.Join(names, ", "))
	}
}
