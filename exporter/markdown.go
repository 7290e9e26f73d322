package exporter

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

// PRBodyMax bounds the pull-request body (GitHub refuses pull request
// bodies over 65,536 characters).
const PRBodyMax = 60000

// WritePRBody writes to file (export --pr-body) the markdown of what the
// snapshot res.Commit changed against its parent snapshot in repo
// (history.ChangesMarkdown); for the first snapshot, a summary of it
// (FirstMarkdown); then the kinds not read or read in part (NotesMarkdown), all cut to
// PRBodyMax.
func (res *Result) WritePRBody(ctx context.Context, repo *snapshot.Repo, file string) error {
	name := res.Tag
	if name == "" {
		name = history.ShortRev(res.Commit)
	}
	var b strings.Builder
	if ok, err := history.ChangesMarkdown(ctx, &b, repo, res.Commit, name); err != nil {
		return err
	} else if !ok {
		res.FirstMarkdown(&b, name)
	}
	res.NotesMarkdown(&b)
	return os.WriteFile(file, []byte(history.CapMarkdown(b.String(), PRBodyMax)), 0o644)
}

// Record commits the snapshot after a restore (importer.ApplyOptions.Record):
// an export, through o.Client to o.Repo, of the kinds the restore wrote
// with message and files (the id map), past the mass-deletion guard (the
// restore's own deletions are what the snapshot records). Its manifest
// keeps the previous snapshot's access (the backup app's), not the
// restore's token's.
func (o Options) Record(ctx context.Context, kinds []*layout.Kind, message string, files map[string][]byte) (*Result, error) {
	o.Kinds, o.Message, o.Files, o.AllowShrink, o.postRestore = kinds, message, files, true, true
	return Run(ctx, o)
}

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
// be read, that were read in part (the rest kept as the previous snapshot
// holds it) and that the tenant is not licensed for.
func (res *Result) NotesMarkdown(w io.Writer) {
	if inc := res.Incomplete(); len(inc) > 0 {
		names := make([]string, len(inc))
		for i, k := range inc {
			names[i] = k.Title + " (" + k.Reason + ")"
			if why := incompleteReason(k); why != k.Reason { // message.go: the reader's own words, escaped
				names[i] = k.Title + " (" + k.Reason + diff.MarkdownText(strings.TrimPrefix(why, k.Reason)) + ")"
			}
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
	for _, k := range res.Kinds {
		if k.PartNotLicensed != "" {
			fmt.Fprintf(w, "\n> **Not licensed in part:** %s were read, but need %s.\n", k.Title, k.PartNotLicensed)
		}
		if k.Partial != "" {
			// The manifest's partial (live/csadefs.go, csavalues.go): the
			// reviewer sees which sets this snapshot did not read.
			fmt.Fprintf(w, "\n> **Read in part:** %s: %s.\n", diff.MarkdownText(k.Title), diff.MarkdownText(strings.TrimPrefix(k.Partial, live.PartialPrefix)))
		}
	}
}
