package exporter

import (
	"errors"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
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

// An export without a previous snapshot by a role scoped to attribute sets
// is refused the set-scoped kinds by the reader itself (live/csadefs.go,
// refuseInPart): the summary, the markdown notes and --require-complete's
// error say which sets it could read and what reads them all (as drift
// does, live.KindError.Worded), escaped, not "permission denied" alone.
func TestIncompleteSaysWhatASetScopedReadCouldRead(t *testing.T) {
	why := "the signed-in user reads the custom security attribute sets of attribute sets HR, *Fin* \u202e<b> only: export with Attribute Definition Reader over the whole directory"
	ke := &live.KindError{Kind: "attribute-sets", What: "list", Status: 403, Err: errors.New(why)}
	res := &Result{Kinds: []live.KindResult{
		{Kind: "attribute-sets", Title: "custom security attribute sets", Reason: ke.Reason(), Err: ke},
		{Kind: "groups", Title: "groups", Reason: "list: permission denied (needs Group.Read.All)",
			Err: &live.KindError{Kind: "groups", What: "list", Status: 403, Permissions: []string{"Group.Read.All"}, Err: errors.New("denied")}},
	}}
	sum := Summary(res, nil)
	if want := "  attribute-sets: list: permission denied; " + layout.Safe(why) + "\n"; !strings.Contains(sum, want) {
		t.Errorf("summary lacks %q:\n%s", want, sum)
	}
	if !strings.Contains(sum, "  groups: list: permission denied (needs Group.Read.All)\n") {
		t.Errorf("summary of a kind the token lacks a permission for:\n%s", sum)
	}
	var md strings.Builder
	res.NotesMarkdown(&md)
	if !strings.Contains(md.String(), "attribute sets HR, \\*Fin\\*") || strings.Contains(md.String(), "<b>") || strings.Contains(md.String(), "\u202e") {
		t.Errorf("markdown notes:\n%s", md.String())
	}
	if msg := (&IncompleteError{Kinds: res.Incomplete()}).Error(); !strings.Contains(msg, "attribute sets HR") || strings.Contains(msg, "\u202e") {
		t.Errorf("--require-complete: %s", msg)
	}
}
