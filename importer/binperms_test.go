package importer

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// TestBinReadPermissionsAreListed: the permission each directory recycle
// bin is read with is among the read permissions `entrasnap kinds` lists
// for its kind, so an app granted exactly those reads the bin.
func TestBinReadPermissionsAreListed(t *testing.T) {
	for _, k := range layout.Kinds() {
		if k.SoftDelete != "directory" {
			continue
		}
		p := binReadPermission[k.Name]
		if p == "" {
			t.Errorf("%s: no recycle-bin read permission known", k.Name)
			continue
		}
		listed := layout.ExportPermissions([]*layout.Kind{k})
		if named := layout.NameInSet([]string{p}, listed); len(named) != 1 || !slices.Contains(listed, named[0]) {
			t.Errorf("%s: the recycle bin needs %s, which `entrasnap kinds` does not list or cover: %v", k.Name, p, listed)
		}
	}
}

// TestRestoreOfDeletedUsersWithExactlyTheListedPermissions (issue 12 row
// f), under realistic Graph (throttling, faults, lag): the plan of a group
// and deleted users (the bin read by id) with
// exactly the read permissions `entrasnap kinds` lists for users and
// groups (their read column and the reads of their restore column), and
// its apply with exactly those and the restore set. An app
// without the bin's read permission gets an error naming it, listing the
// bin and reading it by id.
func TestRestoreOfDeletedUsersWithExactlyTheListedPermissions(t *testing.T) {
	e, gid, victims := groupAndDeletedUsers(t, realisticSim(), 2) // throttling, faults, lag, empty pages
	kinds := simtest.Kinds(t, "users", "groups")
	read := layout.ExportPermissions(kinds)
	ctx := context.Background()

	// Without the users' bin permission: reading a deleted user from the
	// bin, by id or listed, says what to grant.
	noBin := e.client(e.token(layout.ExportPermissions(simtest.Kinds(t, "groups"))...))
	users := simtest.Kinds(t, "users")
	err := readBinByID(ctx, noBin, []binAsk{{id: victims[0], kinds: users}}, map[string]*Object{})
	if err == nil || !strings.Contains(err.Error(), "User.Read.All") || !strings.Contains(err.Error(), victims[0]) {
		t.Errorf("reading a deleted user by id without User.Read.All: %v", err)
	}
	err = loadBin(ctx, noBin, users[0], &Input{Deleted: map[string]*Object{}})
	if err == nil || !strings.Contains(err.Error(), "recycle bin of users") || !strings.Contains(err.Error(), "User.Read.All") {
		t.Errorf("listing the users' bin without User.Read.All: %v", err)
	}

	sel := append([]string{gid}, victims...)
	e.sim.ResetStats()
	// The plan reads what the kinds' restore lists read as well
	// (layout.KindRestorePermissions: Directory.Read.All, which getByIds
	// needs, to tell a member that is gone): a plan made with less would
	// see references differently from apply's check, which refuses it.
	for _, p := range layout.RestorePermissions(kinds) {
		if strings.Contains(p, ".Read.") {
			read = append(read, p)
		}
	}
	p := e.planWith(e.client(e.token(read...)), e.first, sel, Options{})
	if lists, byID := binRequests(e); lists != 0 || byID == 0 {
		t.Errorf("the plan listed the bin %d times, read it %d times by id", lists, byID)
	}
	if n := p.Counts()[OpRestore]; n != len(victims) {
		t.Fatalf("plan with exactly %v:\n%s", read, render(p))
	}
	tok := e.token(append(read, layout.RestorePermissions(kinds)...)...)
	c := e.client(tok)
	ao := e.applyOpts()
	ao.Client, ao.Token, ao.Record = c, tok, nil
	res, err := Apply(ctx, p, ao)
	if err != nil {
		t.Fatalf("apply with exactly %v and the restore set %v: %v", read, layout.RestorePermissions(kinds), err)
	}
	for _, a := range res.Actions {
		if a.Status != StatusDone && a.Status != StatusAlready {
			t.Errorf("%s", p.ResultLine(a))
		}
	}
	if !res.Verified {
		t.Errorf("not verified: %s %+v", res.VerifyError, res.Differences)
	}
}
