package importer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
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
		p, err := Compute(in)
		if err != nil {
			t.Fatal(err)
		}
		p.ID = ""
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), render(p), n
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
