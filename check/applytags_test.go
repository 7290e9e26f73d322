package check

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// TestApplyRecordTags: check counts the tags recording applies that changed
// nothing (entrasnap/apply/*), signed as snapshots are: real git verifies
// the tag's signature, check --verify-signatures counts it good, and a tag
// of that name whose message is no apply record is an error naming the
// tag and what to do.
func TestApplyRecordTags(t *testing.T) {
	s := newSigRepo(t)
	signer, pub := s.key("ops")
	s.snap(signer)
	const record = "apply of the restore of g from snapshot/20260321T100000Z (0123456789ab): nothing was written\n\n" +
		"Restored from snapshot/20260321T100000Z (0123456789abcdef0123456789abcdef01234567), plan of 2026-03-22T10:00:00Z, tenant 3f782963-1da0-4787-a4b5-77a4d41bdf07.\n" +
		"Plan: sha256:5de53f3af1c6673df5d5a359c5ceb6a2fc4b684b9fbcc78f702e1377c7fe4d7a\n" +
		"By: alice@contoso.example (delegated sign-in)\n" +
		"Actions: 0 done, 0 already in place, 1 failed, 0 skipped.\n" +
		"Not done (object by object):\n" +
		"  - failed add-link groups \"A\" (g) → u: graph: 403 Authorization_RequestDenied\n" +
		"Verification: 1 differences remain.\n"
	good := layout.ApplyTagName(time.Date(2026, 3, 22, 10, 0, 0, 0, time.UTC), strings.Repeat("a", 32))
	ctx := context.Background()
	tagger := snapshot.Signature{Name: "Alice", Email: "backup@example.com", When: time.Date(2026, 3, 22, 10, 0, 1, 0, time.UTC)}
	if _, err := s.r.TagHead(ctx, snapshot.Snapshot{Tag: good, TagMessage: record, Committer: tagger, Signer: signer}); err != nil {
		t.Fatal(err)
	}
	allowed := gitcheck.AllowedSigners(t, s.keys, "backup@example.com "+pub)
	if out, ok := gitcheck.Verify(t, s.r.Path(), allowed, "verify-tag", good); !ok {
		t.Fatalf("git verify-tag %s:\n%s", good, out)
	}
	gitcheck.Fsck(t, s.r.Path())
	rep := s.check("backup@example.com " + pub)
	if !rep.OK || rep.ApplyTags != 1 || len(rep.Tags) != 0 || rep.Signatures.Tags != 2 || rep.Signatures.Failed != 0 {
		t.Fatalf("a good apply record: %+v %+v\n%v", rep, rep.Signatures, statuses(rep))
	}
	var b bytes.Buffer
	rep.WriteText(&b)
	if !strings.Contains(b.String(), "tags: 1 snapshot tag, 1 apply record, each on a commit with a manifest") {
		t.Errorf("text:\n%s", b.String())
	}

	bad := layout.ApplyTagName(time.Date(2026, 3, 22, 11, 0, 0, 0, time.UTC), strings.Repeat("b", 32))
	if _, err := s.r.TagHead(ctx, snapshot.Snapshot{Tag: bad, TagMessage: "release 1.0\n", Committer: tagger}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.r.TagHead(ctx, snapshot.Snapshot{Tag: good, TagMessage: record, Committer: tagger}); err == nil {
		t.Error("TagHead wrote over an existing tag")
	}
	probs, err := Problems(ctx, s.r.Path())
	if err != nil || len(probs) != 1 || !strings.Contains(probs[0], bad) || !strings.Contains(probs[0], "not an apply record") || !strings.Contains(probs[0], "git tag -d "+bad) {
		t.Errorf("a tag that is no apply record: %v %q", err, probs)
	}
}
