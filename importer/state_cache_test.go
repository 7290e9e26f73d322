package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// Load reads the snapshot's objects through a SnapshotCache (the shared
// one when LoadOptions.Snapshots is nil: a restore's plan, apply, verify
// and the plan after decode the commit once). A plan made from the cache
// is the plan a fresh decoding gives, byte for byte, also after an earlier
// Load's caller changed every selected object it was given, and the
// cache's objects stay a fresh decoding's; a second Load of the
// commit decodes nothing; a revision that moves (HEAD) is read at the
// commit it names now; commits read concurrently are decoded once each.
func TestSharedSnapshotPlansAsAFreshDecoding(t *testing.T) {
	whenShortOnly(t, "groups", "conditional-access-policies", "users") // users: a purged user
	ctx := context.Background()
	e := newEnv(t, graphsim.Options{}, nil)
	_, gid, _ := e.emptyGroup(3)
	pid := policyNamingPrincipals(t, e)
	e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+pid, map[string]any{"displayName": "Block \"legacy\"\n\u202egnp.exe ../../x 🚀 " + strings.Repeat("long ", 60)})
	e.recordIncident()

	// A purged user too: the plan creates it, so each Load reads the
	// whole snapshot, through the cache (lean.go needFull).
	var purged string
	for _, u := range e.list("/v1.0/users?$select=id,onPremisesSyncEnabled") {
		if u["onPremisesSyncEnabled"] != true {
			purged = str(u["id"])
			break
		}
	}
	e.do("DELETE", "/v1.0/users/"+purged, nil)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+purged, nil)
	sel := []string{gid, pid, purged}
	planned := func(c *SnapshotCache, mutate bool) (string, string) {
		t.Helper()
		in, err := Load(ctx, LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: sel, Now: e.now, Snapshots: c})
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		p, err := Compute(in)
		if err != nil {
			t.Fatalf("compute: %v", err)
		}
		p.ID = "" // random per plan (newPlanID): two plans of one state are two plans
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if mutate { // what a plan or apply may do to the objects it owns (Others are the cache's)
			for _, o := range in.Desired {
				o.Key = "changed"
				o.Data["displayName"] = "changed"
				for _, v := range o.Data {
					if m, ok := v.(map[string]any); ok {
						m["changed"] = true
					}
					if l, ok := v.([]any); ok && len(l) > 0 {
						l[0] = "changed"
					}
				}
			}
		}
		return string(b), render(p)
	}
	fresh := &SnapshotCache{}
	wantJSON, wantText := planned(fresh, false)
	if !strings.Contains(wantText, "add member") || !strings.Contains(wantJSON, pid) {
		t.Fatalf("the plan restores neither the members nor the policy: the comparison proves little:\n%s", wantText)
	}
	cache := &SnapshotCache{}
	for i := range 3 {
		gotJSON, gotText := planned(cache, true)
		if gotJSON != wantJSON || gotText != wantText {
			t.Fatalf("plan %d from the cache differs from a fresh decoding's:\n%s\n%s\nwant:\n%s\n%s", i, gotText, gotJSON, wantText, wantJSON)
		}
	}
	if n := cache.decoded.Load(); n != 1 {
		t.Errorf("three plans from one commit decoded it %d times, want 1", n)
	}
	decoded := func(rev string) diff.Snapshot {
		t.Helper()
		files, err := e.repo.ReadAll(ctx, rev, "")
		if err != nil {
			t.Fatal(err)
		}
		s, _ := diff.LoadFiles(files)
		return s
	}
	// What the cache holds after those plans (their Others, shared) is
	// still what a fresh decoding gives.
	if held, _, err := cache.Objects(ctx, e.repo, e.first); err != nil || !reflect.DeepEqual(held, decoded(e.first)) {
		t.Fatalf("after three plans the cache's objects are not a fresh decoding's (%v): a plan or its caller changed them", err)
	}
	// LoadOptions.Snapshots nil: the process's shared cache.
	before := sharedSnapshots.decoded.Load()
	for range 2 {
		if gotJSON, _ := planned(nil, true); gotJSON != wantJSON {
			t.Fatalf("plan from the shared cache differs from a fresh decoding's")
		}
	}
	if n := sharedSnapshots.decoded.Load() - before; n > 1 {
		t.Errorf("two plans through the shared cache decoded the commit %d times, want at most 1", n)
	}

	// HEAD moves: the cache reads the commit it names now.
	head, _, err := cache.Objects(ctx, e.repo, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(head, decoded("HEAD")) {
		t.Fatal("the cache's objects at HEAD are not a fresh decoding of HEAD")
	}
	e.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+pid, map[string]any{"displayName": "moved on"})
	e.recordIncident()
	head, _, err = cache.Objects(ctx, e.repo, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range head {
		found = found || (strings.EqualFold(o.Key, pid) && o.Data["displayName"] == "moved on")
	}
	if !found {
		t.Error("after a new commit the cache's HEAD is the commit HEAD named before")
	}

	// Concurrent reads of commits not held: each decoded once, each reader
	// given a copy equal to a fresh decoding.
	concurrent := &SnapshotCache{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rev := e.first
			if i%2 == 1 {
				rev = "HEAD"
			}
			got, _, err := concurrent.Objects(ctx, e.repo, rev)
			if err == nil && len(got) < 100 {
				err = errString("too few objects")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := concurrent.decoded.Load(); n != 2 {
		t.Errorf("8 concurrent reads of 2 commits decoded %d times, want 2", n)
	}
	// A revision that does not resolve is an error, and nothing is held.
	if _, _, err := concurrent.Objects(ctx, e.repo, "no-such-revision"); err == nil {
		t.Error("an unknown revision read without an error")
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// BenchmarkLoad plans the members of one group of the demo tenant from its
// first snapshot: "decoded" decodes the snapshot in each Load (each Load
// did before the shared cache: a restore's plan, apply, verify and the
// plan after), "cached" reads it from a SnapshotCache that holds it.
func BenchmarkLoad(b *testing.B) {
	e := newEnv(b, graphsim.Options{}, nil)
	var gid string
	for _, g := range e.plainSecurityGroups() {
		gid = str(g["id"])
		break
	}
	load := func(b *testing.B, c *SnapshotCache) {
		in, err := Load(context.Background(), LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: []string{gid}, Now: e.now, Snapshots: c})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Compute(in); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("decoded", func(b *testing.B) {
		for b.Loop() {
			load(b, &SnapshotCache{})
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := &SnapshotCache{}
		load(b, c)
		for b.Loop() {
			load(b, c)
		}
	})
}

// A SnapshotCache keeps the snapshotCacheSize commits read last: a commit
// read again while held is not decoded again, one that dropped out is, one
// of more than snapshotCacheMaxFiles files is not kept, and each is read
// from the repository it is asked of.
func TestSnapshotCacheKeepsTheCommitsReadLast(t *testing.T) {
	ctx := context.Background()
	repo := simtest.Repo(t, false)
	var commits []string
	for i := range snapshotCacheSize + 1 {
		name := fmt.Sprintf("note-%d.txt", i)
		if err := os.WriteFile(filepath.Join(repo.Path(), name), []byte("a file of no kind\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		git(t, repo.Path(), "add", name)
		git(t, repo.Path(), "commit", "-q", "-m", name)
		h, err := repo.Resolve(ctx, "HEAD")
		if err != nil {
			t.Fatal(err)
		}
		commits = append(commits, h.String())
	}
	var c SnapshotCache
	read := func(commit string, decodes int64) {
		t.Helper()
		if _, _, err := c.Objects(ctx, repo, commit); err != nil {
			t.Fatal(err)
		}
		if n := c.decoded.Load(); n != decodes {
			t.Fatalf("after reading %s: %d decodes, want %d", commit, n, decodes)
		}
	}
	for i, h := range commits {
		read(h, int64(i+1))
	}
	read(commits[len(commits)-1], int64(len(commits))) // held
	read(commits[1], int64(len(commits)))              // held, now the last read
	read(commits[0], int64(len(commits)+1))            // dropped out: decoded again
	read(commits[1], int64(len(commits)+1))            // still held
	read(commits[2], int64(len(commits)+2))            // the least recently read, dropped for commits[0]
	// A commit of more files than a cache keeps is decoded in each read.
	defer func(n int) { snapshotCacheMaxFiles = n }(snapshotCacheMaxFiles)
	snapshotCacheMaxFiles = 2
	read(commits[1], int64(len(commits)+2)) // 2 files: held
	read(commits[3], int64(len(commits)+3)) // 4 files: not kept
	read(commits[3], int64(len(commits)+4))
	other := simtest.Repo(t, false) // another repository: its own entry
	if _, _, err := c.Objects(ctx, other, commits[1]); err == nil {
		t.Error("a commit of another repository read from a repository without it")
	}
}

// policyNamingPrincipals is the id of a Conditional Access policy of e's
// tenant that includes users or groups.
func policyNamingPrincipals(t *testing.T, e *env) string {
	t.Helper()
	for _, p := range e.list("/v1.0/identity/conditionalAccess/policies") {
		if len(asSlice(dig(p, "conditions", "users", "includeGroups"))) > 0 || len(asSlice(dig(p, "conditions", "users", "includeUsers"))) > 0 {
			return str(p["id"])
		}
	}
	t.Fatal("no CA policy that names users or groups: the plan would name no object of another kind")
	return ""
}
