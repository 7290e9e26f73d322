package importer

import (
	"context"
	"path"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/go-git/go-git/v5/plumbing"
)

// TestLeanLoadPlansAsTheWholeSnapshot: a plan whose Load read the snapshot
// lean (lean.go: no unselected user or group file but those the selection
// names) is the plan of a Load that decoded every file, byte for byte: a
// group whose members were removed (the members named), a Conditional
// Access policy naming users and groups, two deleted users; and the lean
// Load decoded far fewer objects.
func TestLeanLoadPlansAsTheWholeSnapshot(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, graphsim.Options{}, nil)
	_, gid, _ := e.emptyGroup(3)
	pid := policyNamingPrincipals(t, e)
	e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+pid, map[string]any{"displayName": "changed"})
	sel := []string{gid, pid}
	for _, u := range e.list("/v1.0/users?$select=id,onPremisesSyncEnabled") {
		if u["onPremisesSyncEnabled"] != true && len(sel) < 4 {
			e.do("DELETE", "/v1.0/users/"+str(u["id"]), nil)
			sel = append(sel, str(u["id"]))
		}
	}
	planned := func(lean bool) (string, string, int) {
		t.Helper()
		noLean = !lean
		defer func() { noLean = false }()
		in, err := Load(ctx, LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: sel, Now: e.now, Snapshots: &SnapshotCache{}})
		if err != nil {
			t.Fatalf("load (lean %v): %v", lean, err)
		}
		n := len(in.Desired) + len(in.Others)
		js, text := planJSON(t, in)
		return js, text, n
	}
	wantJSON, wantText, all := planned(false)
	if !strings.Contains(wantText, "add member") || !strings.Contains(wantText, "restore from deleted items") {
		t.Fatalf("the plan restores neither members nor users: the comparison proves little:\n%s", wantText)
	}
	gotJSON, gotText, read := planned(true)
	if gotJSON != wantJSON || gotText != wantText {
		t.Fatalf("lean plan differs:\n%s\nwant:\n%s", gotText, wantText)
	}
	if read >= all {
		t.Errorf("the lean Load held %d objects, the whole snapshot %d", read, all)
	}
	t.Logf("lean Load: %d objects of %d", read, all)
}

// TestLeanLoadReadsOnlyTheFoldersItNeeds: a plan of two deleted users and a
// group, its apply's check that the tenant did not change and its
// verification read the snapshot's tree but the users' and groups'
// folders, listing only the shard folders of the objects selected and of
// those they name: fewer trees in the plan, and in the apply, than the
// users' shard folders alone, which a Load read before (lean.go;
// snapshot.WalkExcept). Trees are counted on a repository opened for each,
// whose caches hold nothing yet.
func TestLeanLoadReadsOnlyTheFoldersItNeeds(t *testing.T) {
	ctx := context.Background()
	e := exportedEnv(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 400, Groups: 20, MembersPerGroup: 5}}, nil)
	shards := map[string]bool{}
	if err := e.repo.Walk(ctx, e.first, "users", func(p string, _ plumbing.Hash) error {
		shards[path.Dir(p)] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, gid, _ := e.emptyGroup(2)
	sel := []string{gid}
	for _, id := range deletableUsers(e, 2, nil) {
		e.do("DELETE", "/v1.0/users/"+id, nil)
		sel = append(sel, id)
	}
	// Each counted on a repository opened for it: nothing in its caches.
	fresh := func() *snapshot.Repo {
		r, err := snapshot.Open(e.repo.Path())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	pr := fresh()
	in, err := Load(ctx, LoadOptions{Client: e.c, Repo: pr, Rev: e.first, Selectors: sel, Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	planned := pr.ReadCounts().Trees
	if !strings.Contains(render(p), "Plan: 2 to restore from deleted items") {
		t.Fatalf("the plan does not restore the 2 users:\n%s", render(p))
	}
	o := e.applyOpts()
	o.Record, o.Repo = nil, fresh()
	res, err := Apply(ctx, p, o)
	if err != nil || !res.Complete() {
		t.Fatalf("apply: %v %+v", err, res)
	}
	applied := o.Repo.ReadCounts().Trees
	t.Logf("trees read: plan %d, apply with its check and verification %d; the users' shard folders: %d", planned, applied, len(shards))
	if planned >= len(shards) || applied >= len(shards) {
		t.Errorf("the plan read %d trees and its apply %d, where the users' shard folders are %d: the lean Loads walk the whole tree", planned, applied, len(shards))
	}
}
