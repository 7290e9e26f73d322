package exporter

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/snapshot"
)

// Push with nothing committed or tagged pushes nothing; a failed push to a
// URL with credentials never shows them and says how to push again.
func TestPushRedactsAndSaysHowToRetry(t *testing.T) {
	t.Setenv("GIT_TOKEN", "")
	t.Setenv("GITHUB_TOKEN", "")
	repo, err := snapshot.Init(filepath.Join(t.TempDir(), "repo"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
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
