package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/internal/gitcheck"
	"github.com/entrasnap/entrasnap/layout"
)

// TestRestoreRehearsalReadsAndWritesNoIDMap: restore --rehearsal (against
// a tenant graphsim --from-repo loaded) plans without the repository's id
// map, whose entries name the real tenant's objects: a group whose old id
// the map says was recreated as another group gets its member back, and
// the other group is left alone (a restore without --rehearsal would have
// planned that group's changes). Nothing is written to the repository: no
// post-restore snapshot, no id map, no journal.
func TestRestoreRehearsalReadsAndWritesNoIDMap(t *testing.T) {
	e := newRstEnvWith(t, graphsim.Options{Seed: 1, Rehearsal: true}, nil)
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

// TestRehearsalPlansAndIDsStayOutOfTheRepository (#14): against a
// rehearsal's tenant (graphsim marks it, as graphsim --from-repo does;
// realistic throttling), forgetting --rehearsal is refused before anything
// is read or written; restore --rehearsal --out saves a plan (to a hostile
// path) that says it is a rehearsal's, which apply refuses without
// --rehearsal, and a plan edited to look real is refused with it and,
// without it, by the tenant's mark; apply --rehearsal applies it and
// records nothing. A group deleted for good and recreated by one rehearsal
// is found by the next one (its new id kept in the git directory under the
// graphsim instance, not in the id map), instead of created twice. A real
// tenant (graphsim without the mark) refuses --rehearsal.
func TestRehearsalPlansAndIDsStayOutOfTheRepository(t *testing.T) {
	e := newRstEnvWith(t, graphsim.Options{Seed: 1, Rehearsal: true, Throttle: "realistic"}, nil)
	inst := e.sim.RehearsalInstance()
	head := strings.TrimSpace(e.git("rev-parse", "HEAD"))
	untouched := func(what string) {
		t.Helper()
		if now := strings.TrimSpace(e.git("rev-parse", "HEAD")); now != head {
			t.Fatalf("%s: the repository moved to %s", what, e.git("log", "--oneline", head+".."+now))
		}
		for _, f := range []string{importer.JournalFile, importer.AppliedFile} {
			if _, err := os.Stat(filepath.Join(e.repo, ".git", f)); !os.IsNotExist(err) {
				t.Fatalf("%s: %s in the git directory: %v", what, f, err)
			}
		}
		if s := e.git("status", "--porcelain"); s != "" {
			t.Fatalf("%s: the working tree changed:\n%s", what, s)
		}
	}
	g, members := rstGroupWithMembers(e, 2)
	gid := rstStr(g["id"])
	memberCount := func() int { return len(e.list("/v1.0/groups/" + gid + "/members?$select=id")) }
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[0]+"/$ref", nil)

	// Forgetting --rehearsal: refused, nothing written anywhere.
	for _, args := range [][]string{{"--yes"}, {"--out", filepath.Join(t.TempDir(), "p.json")}} {
		_, errOut := e.cli(exitError, append([]string{"restore", "--repo", e.repo, "--at", e.first, gid}, args...)...)
		if !strings.Contains(errOut, "rehearsal's tenant") || !strings.Contains(errOut, inst) || !strings.Contains(errOut, "add --rehearsal") {
			t.Errorf("restore %v without --rehearsal:\n%s", args, errOut)
		}
	}
	if memberCount() != len(members)-1 {
		t.Fatal("a refused restore wrote to the tenant")
	}
	untouched("restore without --rehearsal")

	// restore --rehearsal --out, to a hostile path.
	dir := filepath.Join(t.TempDir(), "plans \"q\" \u202e🙂 ..", "$(x) 'y'")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	plan := filepath.Join(dir, "re'hearsal\nplan.json")
	_, errOut := e.cli(exitChanges, "restore", "--rehearsal", "--repo", e.repo, "--at", e.first, gid, "--out", plan)
	if !strings.Contains(errOut, "entrasnap apply --rehearsal "+layout.ShellWord(plan)) || strings.ContainsAny(errOut, "\u202e") {
		t.Errorf("restore --rehearsal --out does not say how to apply it:\n%s", errOut)
	}
	data, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	var saved map[string]any
	if err := json.Unmarshal(data, &saved); err != nil || saved["rehearsal"] != inst {
		t.Fatalf("the saved plan does not name the rehearsal's tenant: %v %v", err, saved["rehearsal"])
	}
	_, errOut = e.cli(exitUsage, "apply", plan)
	if !strings.Contains(errOut, "apply it with --rehearsal") || !strings.Contains(errOut, inst) || strings.Contains(errOut, "\u202e") {
		t.Errorf("apply of a rehearsal's plan without --rehearsal:\n%s", errOut)
	}
	// The plan edited to look real.
	delete(saved, "rehearsal")
	edited, _ := json.Marshal(saved)
	realPlan := filepath.Join(dir, "real.json")
	if err := os.WriteFile(realPlan, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut = e.cli(exitUsage, "apply", "--rehearsal", realPlan)
	if !strings.Contains(errOut, "made against a real tenant") {
		t.Errorf("apply --rehearsal of a real plan:\n%s", errOut)
	}
	_, errOut = e.cli(exitError, "apply", realPlan)
	if !strings.Contains(errOut, "add --rehearsal") {
		t.Errorf("apply of a real plan against a rehearsal's tenant:\n%s", errOut)
	}
	if memberCount() != len(members)-1 {
		t.Fatal("a refused apply wrote to the tenant")
	}
	untouched("refused applies")
	out, errOut := e.cli(exitOK, "apply", "--rehearsal", plan)
	if memberCount() != len(members) {
		t.Fatalf("apply --rehearsal did not add the member back:\n%s\n%s", out, errOut)
	}
	untouched("apply --rehearsal")

	// A group deleted for good: the first rehearsal recreates it, the
	// second finds it through the ids kept for this instance.
	e.do("DELETE", "/v1.0/groups/"+gid, nil)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+gid, nil)
	out, errOut = e.cli(exitOK, "restore", "--rehearsal", "--repo", e.repo, "--at", e.first, gid, "--yes")
	idsFile := filepath.Join(e.repo, ".git", importer.RehearsalIDsFile(inst))
	kept, err := os.ReadFile(idsFile)
	if err != nil {
		t.Fatalf("the rehearsal kept no ids: %v\n%s\n%s", err, out, errOut)
	}
	ids, err := importer.DecodeIDMap(kept)
	if err != nil {
		t.Fatal(err)
	}
	newID, ok := ids.Resolve(gid)
	if !ok || strings.EqualFold(newID, gid) {
		t.Fatalf("the kept ids do not map %s: %s", gid, kept)
	}
	named := func() int {
		n := 0
		for _, x := range e.list("/v1.0/groups?$select=id,displayName") {
			if x["displayName"] == g["displayName"] {
				n++
			}
		}
		return n
	}
	if named() != 1 {
		t.Fatalf("%d groups named %q after the first rehearsal", named(), g["displayName"])
	}
	_, errOut = e.cli(exitOK, "restore", "--rehearsal", "--repo", e.repo, "--at", e.first, gid, "--yes")
	if n := named(); n != 1 || !strings.Contains(errOut, "Nothing to do") {
		t.Errorf("the second rehearsal: %d groups named %q (want 1)\n%s", n, g["displayName"], errOut)
	}
	untouched("two rehearsals")
	if _, err := os.Stat(filepath.Join(e.repo, filepath.FromSlash(importer.IDMapPath))); !os.IsNotExist(err) {
		t.Errorf("the rehearsal wrote an id map in the working tree: %v", err)
	}

	// A real tenant refuses --rehearsal.
	sim, url, _ := simTenant(t, graphsim.Options{Seed: 1}, nil)
	code, _, errOut := against(t, url, sim.Token(), "restore", "--rehearsal", "--repo", e.repo, "--at", e.first, gid, "--yes")
	if code != exitError || !strings.Contains(errOut, "does not answer as a rehearsal's tenant") {
		t.Errorf("--rehearsal against a real tenant: %d\n%s", code, errOut)
	}
	untouched("--rehearsal against a real tenant")
	gitcheck.Fsck(t, e.repo)
}
