package exporter

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/live"
)

// Push with nothing committed or tagged pushes nothing; a failed push to a
// URL with credentials never shows them and says how to push again.
func TestPushRedactsAndSaysHowToRetry(t *testing.T) {
	t.Setenv("GIT_TOKEN", "")
	t.Setenv("GITHUB_TOKEN", "")
	repo := newRepo(t, true)
	if refs, _, err := (&Result{}).Push(context.Background(), repo, "origin"); refs != nil || err != nil {
		t.Errorf("Push of nothing = %v, %v", refs, err)
	}
	res := &Result{Commit: "0123456789abcdef", Changed: true, Branch: "main", Tag: "snapshot/x"}
	refs, _, err := res.Push(context.Background(), repo, "http://user:s3cr3t-token@127.0.0.1:1/x.git")
	if err == nil || refs != nil {
		t.Fatalf("Push to a closed port = %v, %v", refs, err)
	}
	if msg := err.Error(); strings.Contains(msg, "s3cr3t") || !strings.Contains(msg, "0123456789ab committed") ||
		!strings.Contains(msg, "push REMOTE refs/heads/main refs/tags/snapshot/x`") {
		t.Errorf("error = %s", msg)
	}
}

// Publish does only what was asked: no pull-request body for an unchanged
// snapshot (the file is left as the caller emptied it), no push without a
// remote; a failed push keeps Push's error. IncompleteError names the kinds
// carried forward, and not those the tenant is not licensed for.
func TestPublishAndIncompleteError(t *testing.T) {
	t.Setenv("GIT_TOKEN", "")
	t.Setenv("GITHUB_TOKEN", "")
	repo := newRepo(t, true)
	body := filepath.Join(t.TempDir(), "body.md")
	if pushed, err := (&Result{Commit: "0123456789abcdef"}).Publish(context.Background(), repo, body, ""); pushed != "" || err != nil {
		t.Errorf("Publish of an unchanged snapshot = %q, %v", pushed, err)
	}
	if _, err := os.Stat(body); !os.IsNotExist(err) {
		t.Errorf("an unchanged snapshot wrote a pull-request body: %v", err)
	}
	res := &Result{Commit: "0123456789abcdef", Branch: "main", Tag: "snapshot/x"}
	if pushed, err := res.Publish(context.Background(), repo, "", "http://127.0.0.1:1/x.git"); pushed != "" || err == nil || !strings.Contains(err.Error(), "push again with") {
		t.Errorf("Publish to a closed port = %q, %v", pushed, err)
	}
	if err := res.IncompleteError(); err != nil {
		t.Errorf("IncompleteError of a complete snapshot = %v", err)
	}
	res.Kinds = []live.KindResult{{Kind: "users", Complete: true}, {Kind: "groups"}, {Kind: "pim", NotLicensed: "P2"}, {Kind: "applications"}}
	want := "snapshot 0123456789ab is incomplete: groups, applications could not be read and were carried forward unchanged (see above); fix the cause and export again"
	if err := res.IncompleteError(); err == nil || err.Error() != want {
		t.Errorf("IncompleteError = %v, want %s", err, want)
	}
}
