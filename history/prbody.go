package history

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// ChangesMarkdown writes what commit (named name) changed against its
// parent snapshot as markdown (as `diff --format markdown`), titled
// "parent → name", with a note per file that could not be read. It
// writes nothing and returns false when the parent is not a snapshot (no
// manifest) or there is none: commit is the first snapshot.
func ChangesMarkdown(ctx context.Context, w io.Writer, r *snapshot.Repo, commit, name string) (bool, error) {
	log, err := r.Log(ctx, commit, 2)
	if err != nil || len(log) < 2 {
		return false, err
	}
	parent := log[1]
	if _, err := r.ReadFile(ctx, parent.Hash.String(), layout.ManifestPath); err != nil {
		return false, nil
	}
	parentName := ShortRev(parent.Hash.String())
	for _, t := range parent.Tags {
		if strings.HasPrefix(t, "snapshot/") {
			parentName = t
			break
		}
	}
	from := parent.Hash.String()
	a, b, skipped, err := LoadChanged(ctx, r, from, commit)
	if err != nil {
		return true, err
	}
	d := diff.Compare(a, b, Chain{Open(ctx, r, commit), Open(ctx, r, from)})
	cmp := &Comparison{From: from, To: commit}
	if err := d.Markdown(w, diff.RenderOptions{Title: parentName + " → " + name, Attribution: cmp.Attribution(ctx, r)}); err != nil {
		return true, err
	}
	for _, s := range skipped {
		fmt.Fprintf(w, "\n> **Not compared:** %s at %s could not be read (run `entrasnap check`).\n", diff.MarkdownCode(s.Path), s.Rev)
	}
	return true, nil
}

// CapMarkdown cuts s at a line end so that it fits max bytes with a note
// (GitHub refuses pull request bodies over 65,536 characters).
func CapMarkdown(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const note = "\n… cut here: %d more lines. Run `entrasnap diff` on the repository for the whole list.\n"
	cut := strings.LastIndexByte(s[:max-len(note)-10], '\n')
	if cut < 0 {
		cut = max - len(note) - 10
	}
	rest := strings.Count(s[cut:], "\n")
	return s[:cut+1] + fmt.Sprintf(note, rest)
}
