package exporter

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
)

// TestSchemaCheckOfUnchangedFiles: a file whose bytes are those of the
// previous snapshot's, under the same schemas, is not checked again and
// keeps its recorded warnings; a changed file is checked; the files a
// delta read keeps report their recorded warnings; a record of other
// schemas makes the run check everything (kept files too) and move the
// record to this build's version. The recorded warnings are markers a real
// check never gives, so seeing one proves the check was skipped, and not
// seeing it proves the check ran.
func TestSchemaCheckOfUnchangedFiles(t *testing.T) {
	sim := newSim(t, graphsim.Options{})
	c := newClient(t, sim, nil, "")
	r := newRepo(t, false)
	mustExport(t, c, r, nil)
	st := mustState(t, r)
	if st.Checked == nil || st.Checked.Schemas != live.SchemaVersion() {
		t.Fatalf("record after the first export: %+v", st.Checked)
	}
	for _, k := range []string{"conditional-access-policies", "users", "groups"} {
		if !st.Checked.covers(k) {
			t.Errorf("the record does not cover %s: %v", k, st.Checked.Kinds)
		}
	}
	files := tree(t, r, "HEAD")
	ca := pathsUnder(files, "conditional-access/policies/")
	users := pathsUnder(files, "users/")
	if len(ca) < 2 || len(users) < 1 {
		t.Fatalf("demo tenant: %d CA policies, %d users", len(ca), len(users))
	}
	same, edited, user := ca[0], ca[1], users[0]
	const marker = "MARKER: recorded, never made by a check"
	mark := func(paths ...string) {
		t.Helper()
		st := mustState(t, r)
		for _, p := range paths {
			k, _, _ := layout.Locate(p)
			st.Checked.Warnings[p] = append(st.Checked.Warnings[p], live.Warning{Path: p, Kind: k.Name, Property: "displayName", Message: marker})
		}
		commitState(t, r, st)
	}
	policyID := func(p string) string {
		t.Helper()
		obj, err := layout.Decode(files[p])
		if err != nil {
			t.Fatal(err)
		}
		return obj["id"].(string)
	}
	ch := &changer{t: t, c: c, sim: sim}
	rename := func(p, name string) {
		t.Helper()
		ch.do("PATCH", "/v1.0/identity/conditionalAccess/policies/"+policyID(p), map[string]any{"displayName": name})
	}
	marked := func(res *Result) map[string]bool {
		out := map[string]bool{}
		for _, w := range res.Warnings {
			if w.Message == marker {
				out[w.Path] = true
			}
		}
		return out
	}

	// Same schemas: the unchanged policy and the kept user carry their
	// markers; the edited policy is checked (its marker is gone).
	mark(same, edited, user)
	rename(edited, "Edited \u202e \"policy\" \U0001F512 ../x")
	res := mustExport(t, c, r, nil)
	if !res.Changed || kindResult(res, "users").Read != "delta" {
		t.Fatalf("second export: changed %v, users read %q", res.Changed, kindResult(res, "users").Read)
	}
	got := marked(res)
	if !got[same] || !got[user] || got[edited] || len(got) != 2 {
		t.Errorf("markers reported %v: want %s (unchanged) and %s (kept), not %s (changed)", got, same, user, edited)
	}
	st = mustState(t, r)
	if ws := st.Checked.Warnings[same]; len(ws) != 1 || ws[0].Message != marker {
		t.Errorf("the record lost the unchanged file's warnings: %+v", ws)
	}
	for p, ws := range st.Checked.Warnings {
		for _, w := range ws {
			if w.Message == marker && p != same && p != user {
				t.Errorf("the record kept a marker for %s", p)
			}
		}
	}

	// A day without changes: no commit, the same warnings.
	head := git(t, r.Path(), "rev-parse", "HEAD")
	res = mustExport(t, c, r, nil)
	if res.Changed || git(t, r.Path(), "rev-parse", "HEAD") != head {
		t.Errorf("a day without changes made a commit")
	}
	if got := marked(res); !got[same] || !got[user] || len(got) != 2 {
		t.Errorf("a day without changes reported markers %v", got)
	}

	// Other schemas: everything is checked, kept files too, and the
	// record moves to this build's version with the next commit.
	st = mustState(t, r)
	st.Checked.Schemas = "another build"
	commitState(t, r, st)
	rename(edited, "Edited again")
	res = mustExport(t, c, r, nil)
	if got := marked(res); len(got) != 0 {
		t.Errorf("after a schema change, markers still reported: %v", got)
	}
	st = mustState(t, r)
	if st.Checked.Schemas != live.SchemaVersion() || !st.Checked.covers("users") {
		t.Errorf("record after a schema change: %s, kinds %v", st.Checked.Schemas, st.Checked.Kinds)
	}
	fsck(t, r.Path())
}

func mustState(t *testing.T, r *snapshot.Repo) *State {
	t.Helper()
	st, _, err := readState(context.Background(), r, mustPrevious(t, r))
	if err != nil || st == nil {
		t.Fatalf("state: %v", err)
	}
	return st
}

// commitState commits st as the state file, by hand (git CLI).
func commitState(t *testing.T, r *snapshot.Repo, st *State) {
	t.Helper()
	git(t, r.Path(), "checkout", "--", ".")
	if err := os.WriteFile(filepath.Join(r.Path(), StatePath), st.Encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, r.Path(), "add", StatePath)
	git(t, r.Path(), "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "edit the state")
}

func pathsUnder(files map[string][]byte, prefix string) []string {
	var out []string
	for p := range files {
		if strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
