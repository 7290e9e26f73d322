package exporter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
)

// A branch that does not exist yet starts at HEAD's commit, so its snapshot
// is one commit on top of HEAD's; a branch made for a run that committed
// nothing is not kept, and HEAD's branch is left as it was.
func TestNewBranchStartsAtHeadAndIsDroppedWhenUnused(t *testing.T) {
	whenShortOnly(t, "users", "groups") // the change is a user's
	sim := newSim(t, graphsim.Options{})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	now := clock()
	first := mustExport(t, c, r, func(o *Options) { o.Now = now })

	unused := mustExport(t, c, r, func(o *Options) { o.Now = now; o.Branch = "review/unchanged" })
	if unused.Changed {
		t.Fatal("an unchanged tenant made a commit")
	}
	if out := git(t, r.Path(), "branch", "--list", "review/unchanged"); strings.TrimSpace(out) != "" {
		t.Errorf("the unused branch was kept: %q", out)
	}

	u := sim.Tenant().List("user")[3]
	if _, err := c.Patch(context.Background(), "/v1.0/users/"+u["id"].(string), map[string]any{"jobTitle": "Reviewer"}); err != nil {
		t.Fatal(err)
	}
	res := mustExport(t, c, r, func(o *Options) { o.Now = now; o.Branch = "review/changed" })
	if !res.Changed || res.Branch != "review/changed" {
		t.Fatalf("changed %v on branch %q", res.Changed, res.Branch)
	}
	if parent := strings.TrimSpace(git(t, r.Path(), "rev-parse", "review/changed^")); parent != first.Commit {
		t.Errorf("the new branch's commit has parent %s, want HEAD's %s", parent, first.Commit)
	}
	if head := strings.TrimSpace(git(t, r.Path(), "rev-parse", "HEAD")); head != first.Commit {
		t.Errorf("HEAD moved to %s", head)
	}
}

// TestOptionsCheck: what export refuses before it reads Graph names its
// flag; "" is HEAD's branch.
func TestOptionsCheck(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{}, ""},
		{Options{Branch: "entrasnap/review-1", LockWait: time.Minute}, ""},
		{Options{LockWait: -time.Second}, "--wait -1s: want a duration of 0 or more"},
		{Options{Branch: "a..b"}, "--branch: "},
		{Options{Branch: "refs/tags/x"}, "--branch: "},
		{Options{Branch: "-x\u202e"}, "--branch: "},
	} {
		err := c.o.Check()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
}
