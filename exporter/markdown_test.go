package exporter

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/live"
)

func TestFirstAndNotesMarkdown(t *testing.T) {
	res := &Result{Kinds: []live.KindResult{
		{Kind: "users", Title: "users", Objects: 3, Complete: true},
		{Kind: "groups", Title: "groups", Reason: "read `denied`"},
		{Kind: "pim", Title: "PIM", NotLicensed: "Microsoft Entra ID P2"},
		{Kind: "attribute-sets", Title: "custom security attribute sets", Complete: true,
			Partial: "read in part: the signed-in user reads the custom security attribute sets of attribute sets HR only; those of *Fin*, <b>\u202e</b>, مالية were not read and are kept as the previous snapshot holds them"},
	}}
	var b strings.Builder
	res.FirstMarkdown(&b, "snapshot/x")
	res.NotesMarkdown(&b)
	for _, want := range []string{
		"### entrasnap: first snapshot snapshot/x\n\n**3 objects in 1 kinds**",
		"| Users | 3 |\n",
		"carried forward unchanged: groups (read 'denied').\n", // no backquote breaks the markdown
		"**Not licensed in this tenant:** PIM (needs Microsoft Entra ID P2)",
		"\n> **Read in part:** custom security attribute sets: the signed-in user reads the custom security attribute sets of attribute sets HR only; " +
			"those of \\*Fin\\*, &lt;b&gt;\\\\u202e&lt;/b&gt;, مالية were not read and are kept as the previous snapshot holds them.\n", // escaped, in one quote line
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}
