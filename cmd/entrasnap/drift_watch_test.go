package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// A watched object decides criticality for its kind even before the
// baseline's name index has been used for anything else.
func TestWatchedObjectMakesItsKindCritical(t *testing.T) {
	ctx := context.Background()
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "repo"), true)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := layout.Lookup("conditional-access-policies")
	obj := map[string]any{"id": "c0ffee00-0000-4000-8000-000000000001", "displayName": "Require MFA"}
	p, _ := layout.Path(ca, obj)
	if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: map[string][]byte{p: layout.Canonical(ca, obj)}, Message: "x",
		Author: snapshot.Signature{Name: "t", Email: "t@example.com"}}); err != nil {
		t.Fatal(err)
	}
	base := history.Open(ctx, r, "HEAD")
	w := &watchList{kinds: map[string]bool{}, objects: map[string]bool{"c0ffee00-0000-4000-8000-000000000001": true}}
	if !w.kindCritical(ca, base) {
		t.Error("the watched policy's kind is not critical")
	}
	users, _ := layout.Lookup("users")
	if w.kindCritical(users, base) {
		t.Error("users are critical though nothing of them is watched")
	}
}
