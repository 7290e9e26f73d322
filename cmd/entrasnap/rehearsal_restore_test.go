package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
)

// TestRestoreRehearsalReadsAndWritesNoIDMap: restore --rehearsal (against
// a tenant graphsim --from-repo loaded) plans without the repository's id
// map, whose entries name the real tenant's objects: a group whose old id
// the map says was recreated as another group gets its member back, and
// the other group is left alone (a restore without --rehearsal would have
// planned that group's changes). Nothing is written to the repository: no
// post-restore snapshot, no id map, no journal; --out is refused.
func TestRestoreRehearsalReadsAndWritesNoIDMap(t *testing.T) {
	e := newRstEnv(t, nil)
	g, members := rstGroupWithMembers(e, 2)
	gid := rstStr(g["id"])
	var other string
	for _, x := range e.list("/v1.0/groups?$select=id,groupTypes,onPremisesSyncEnabled") {
		if id := rstStr(x["id"]); id != gid && len(x["groupTypes"].([]any)) == 0 && x["onPremisesSyncEnabled"] != true {
			other = id
			break
		}
	}
	if other == "" {
		t.Fatal("the demo tenant has no second plain group")
	}
	// The real tenant's id map: the group was recreated there as "other".
	idmap := importer.NewIDMap()
	idmap.Add("groups", gid, other, e.first+" (0123456789ab)")
	if err := os.MkdirAll(filepath.Join(e.repo, ".entrasnap"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.repo, filepath.FromSlash(importer.IDMapPath)), idmap.Encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	e.git("add", importer.IDMapPath)
	e.git("commit", "-q", "-m", "the real tenant's id map")
	head := strings.TrimSpace(e.git("rev-parse", "HEAD"))
	otherMembers := func() []string {
		var ids []string
		for _, m := range e.list("/v1.0/groups/" + other + "/members?$select=id") {
			ids = append(ids, rstStr(m["id"]))
		}
		slices.Sort(ids)
		return ids
	}
	before := otherMembers()

	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[0]+"/$ref", nil)
	e.cli(exitUsage, "restore", "--rehearsal", "--repo", e.repo, "--at", e.first, gid, "--out", filepath.Join(t.TempDir(), "plan.json"))
	out, errOut := e.cli(exitOK, "restore", "--rehearsal", "--repo", e.repo, "--at", e.first, gid, "--yes")
	if !strings.Contains(out, "+ add member") || strings.Contains(out, other) {
		t.Errorf("the rehearsal's plan:\n%s\n%s", out, errOut)
	}
	var got []string
	for _, m := range e.list("/v1.0/groups/" + gid + "/members?$select=id") {
		got = append(got, rstStr(m["id"]))
	}
	if !slices.Contains(got, members[0]) {
		t.Errorf("the member was not added back to %s: %v", gid, got)
	}
	if after := otherMembers(); !slices.Equal(after, before) {
		t.Errorf("the group the real id map names was changed: %v, was %v", after, before)
	}
	if now := strings.TrimSpace(e.git("rev-parse", "HEAD")); now != head {
		t.Errorf("the rehearsal committed to the repository: %s", e.git("log", "--oneline", head+".."+now))
	}
	if _, err := os.Stat(filepath.Join(e.repo, ".git", importer.JournalFile)); !os.IsNotExist(err) {
		t.Errorf("the rehearsal left a journal in the repository: %v", err)
	}
	if s := e.git("status", "--porcelain"); s != "" {
		t.Errorf("the rehearsal changed the working tree:\n%s", s)
	}
	gitcheck.Fsck(t, e.repo)
}

// TestUnreadableIDMapNamedByCheckAndRestore: with the journal of an
// interrupted restore in the git directory and a bad edit of the id map
// committed, check files a warning under the id map's path saying how to
// repair it, and restore refuses naming the file; neither writes over it.
func TestUnreadableIDMapNamedByCheckAndRestore(t *testing.T) {
	e := newRstEnv(t, nil)
	g, _ := rstGroupWithMembers(e, 1)
	gid := rstStr(g["id"])
	journal := `[{"kind":"groups","old":"0a1b2c3d-0000-4000-8000-0000000000a1","name":"x","restore":"r (abc)","at":"2026-03-01T00:00:00Z","new":"0a1b2c3d-0000-4000-8000-0000000000a2"}]`
	if err := os.WriteFile(filepath.Join(e.repo, ".git", importer.JournalFile), []byte(journal), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(e.repo, ".entrasnap"), 0o755); err != nil {
		t.Fatal(err)
	}
	bad := "format: 1\nids:\n  x: {kind: groups, id\n"
	if err := os.WriteFile(filepath.Join(e.repo, filepath.FromSlash(importer.IDMapPath)), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	e.git("add", importer.IDMapPath)
	e.git("commit", "-q", "-m", "a bad edit of the id map")
	head := strings.TrimSpace(e.git("rev-parse", "HEAD"))

	code, out, errOut := runWith(t, e.factory(), "", false, "check", "--repo", e.repo, "--json")
	var rep struct {
		State []struct{ Severity, File, Message string } `json:"stateIssues"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitOK || len(rep.State) != 1 || rep.State[0].File != importer.IDMapPath ||
		!strings.Contains(rep.State[0].Message, "git log -p -- "+importer.IDMapPath) || rep.State[0].Severity != "warning" {
		t.Errorf("check --json: exit %d %v %+v\n%s\n%s", code, err, rep, out, errOut)
	}
	code, _, errOut = runWith(t, e.factory(), "", false, "restore", "--repo", e.repo, "--at", e.first, gid, "--yes", "--graph-url", e.url, "--access-token", e.sim.Token())
	if code == exitOK || !strings.Contains(errOut, importer.IDMapPath) || !strings.Contains(errOut, "cannot be read") {
		t.Errorf("restore with an unreadable id map: exit %d\n%s", code, errOut)
	}
	if now := strings.TrimSpace(e.git("rev-parse", "HEAD")); now != head || e.git("show", "HEAD:"+importer.IDMapPath) != bad {
		t.Errorf("the unreadable id map was written over (HEAD %s, was %s)", now, head)
	}
}
