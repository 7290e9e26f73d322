package importer

import (
	"context"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/graphsim"
)

// TestFilesPlanReadsEachCommitOnce: a plan from files reads each commit
// once per SnapshotCache (its plan, apply's check and verify each Load the
// base and the head) and decodes its base once and of its head only the
// files that differ: three plans of one pull request's range decode one
// commit, and a plan from the working tree at that head decodes the head. Every plan is the plan a fresh
// cache gives, byte for byte, also after the caller of an earlier Load
// changed every object it was given (Desired, Removed), and the cache's
// objects stay a fresh decoding's.
func TestFilesPlanReadsEachCommitOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, graphsim.Options{}, nil)
	wt := e.repo.WorkTree()
	git(t, wt, "checkout", "-q", "-b", "change")
	e.editWT(ca002, "    - \"exchangeActiveSync\"\n    - \"other\"\n", "    - \"exchangeActiveSync\"\n")
	e.writeWT("groups/new-release-managers.yaml", "displayName: \"Release managers\"\ngroupTypes: []\nmailEnabled: false\nmailNickname: \"release-managers\"\nsecurityEnabled: true\n")
	var gone string
	for _, l := range strings.Split(git(t, wt, "ls-files", "groups"), "\n") {
		if strings.HasSuffix(l, ".yaml") {
			gone = l
			break
		}
	}
	git(t, wt, "rm", "-q", gone)
	e.commitAll("release managers; CA002 blocks only Exchange ActiveSync; a group deleted")
	base := strings.TrimSpace(git(t, wt, "rev-parse", "main"))
	head := strings.TrimSpace(git(t, wt, "rev-parse", "HEAD"))

	planned := func(c *SnapshotCache, f Files, mutate bool) string {
		t.Helper()
		in, err := Load(ctx, LoadOptions{Client: e.c, Repo: e.repo, Files: &f, Options: Options{AllowDeletes: true}, Now: e.now, Snapshots: c})
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		p, err := Compute(in)
		if err != nil {
			t.Fatalf("compute: %v", err)
		}
		p.ID = "" // random per plan
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if mutate { // what a plan or apply may do to the objects it owns
			for _, o := range append(append([]*Object{}, in.Desired...), in.Removed...) {
				o.Key = "changed"
				o.Data["displayName"] = "changed"
			}
		}
		return string(b)
	}
	rng := Files{From: base, To: head}
	want := planned(&SnapshotCache{}, rng, false)
	for _, w := range []string{"Release managers", "exchangeActiveSync", `"deleted":["` + gone + `"]`} {
		if !strings.Contains(want, w) {
			t.Fatalf("the plan does not hold %s: the comparison proves little:\n%s", w, want)
		}
	}
	cache := &SnapshotCache{}
	for i := range 3 {
		if got := planned(cache, rng, true); got != want {
			t.Fatalf("plan %d through one cache differs from a fresh cache's:\n%s\nwant:\n%s", i, got, want)
		}
	}
	if n := cache.decoded.Load(); n != 1 {
		t.Errorf("three plans of one range decoded %d commits, want 1 (the base once; of the head only the files that differ)", n)
	}
	if n := cache.reads.Load(); n != 2 {
		t.Errorf("three plans of one range read %d commits, want 2 (base and head, once each)", n)
	}
	// The working tree at head, one more file edited: planned from head's
	// files as the cache holds them (not read again), decoded once now.
	e.editWT(ca002, "    - \"exchangeActiveSync\"\n", "    - \"exchangeActiveSync\"\n    - \"other\"\n")
	wtPlan := Files{From: "HEAD", Worktree: true}
	want = planned(&SnapshotCache{}, wtPlan, false)
	if !strings.Contains(want, ca002) {
		t.Fatalf("the working tree's plan does not change %s:\n%s", ca002, want)
	}
	if got := planned(cache, wtPlan, true); got != want {
		t.Fatalf("the working tree's plan through the cache differs from a fresh cache's:\n%s\nwant:\n%s", got, want)
	}
	if n := cache.decoded.Load(); n != 2 {
		t.Errorf("a plan from the working tree at the head decoded %d commits in all, want 2 (the head once more)", n)
	}
	if n := cache.reads.Load(); n != 2 {
		t.Errorf("a plan from the working tree at the head read %d commits in all, want 2 (the head's files held)", n)
	}
	for _, rev := range []string{base, head} {
		if held, _, err := cache.Objects(ctx, e.repo, rev); err != nil || !reflect.DeepEqual(held, e.snapshotObjects(rev)) {
			t.Fatalf("after the plans the cache's objects of %s are not a fresh decoding's (%v): a plan or its caller changed them", rev, err)
		}
	}
}

// TestDesiredObjectsAreHeadsDecoding: the objects of a plan's desired
// files built from the base's decoding (desiredObjects) are what decoding
// every desired file gives (diff.LoadFiles), skipped files included: a
// file unreadable at both, at the base only, at the head only; a file
// changed, deleted, added, emptied.
func TestDesiredObjectsAreHeadsDecoding(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	base, err := e.repo.ReadAll(context.Background(), e.first, "")
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for p := range base {
		if strings.HasPrefix(p, "groups/") && strings.HasSuffix(p, ".yaml") {
			groups = append(groups, p)
		}
	}
	sort.Strings(groups)
	if len(groups) < 7 {
		t.Fatalf("the demo tenant has %d group files, want 7 or more", len(groups))
	}
	bad := []byte("displayName: [unclosed\n")
	base[groups[0]] = bad // unreadable at both
	base[groups[1]] = bad // unreadable at the base only
	head := map[string][]byte{}
	for p, data := range base {
		head[p] = data
	}
	head[groups[1]] = []byte("displayName: \"fixed\"\nid: \"x\"\n")
	head[groups[2]] = bad                                                             // unreadable at the head only
	head[groups[3]] = append([]byte("description: \"edited\"\n"), head[groups[3]]...) // changed
	delete(head, groups[4])                                                           // deleted
	head["groups/new-added.yaml"] = []byte("displayName: \"Added\"\n")
	head[groups[5]] = []byte{} // emptied
	head[groups[6]] = nil      // emptied, read as nil

	baseSnap, baseSkipped := diff.LoadFiles(base)
	wantSnap, wantSkipped := diff.LoadFiles(head)
	gotSnap, gotSkipped := desiredObjects(head, base, baseSnap, baseSkipped)
	if len(wantSkipped) < 3 {
		t.Fatalf("only %d files unreadable at the head: the comparison proves little", len(wantSkipped))
	}
	if !reflect.DeepEqual(gotSkipped, wantSkipped) {
		t.Errorf("skipped:\n%v\nwant:\n%v", gotSkipped, wantSkipped)
	}
	if !reflect.DeepEqual(gotSnap, wantSnap) {
		for p, o := range wantSnap {
			if g := gotSnap[p]; !reflect.DeepEqual(g, o) {
				t.Errorf("%s: %+v, want %+v", p, g, o)
			}
		}
		for p := range gotSnap {
			if wantSnap[p] == nil {
				t.Errorf("%s: an object decoding the desired files does not give", p)
			}
		}
	}
}
