package snapshot

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type histEntry struct {
	Commit  string
	Changes []Change
}

func history(t *testing.T, r *Repo, rev string, paths ...string) []histEntry {
	t.Helper()
	var out []histEntry
	err := r.History(context.Background(), rev, paths, func(c CommitInfo, cs []Change) error {
		out = append(out, histEntry{c.Hash.String(), pathsActions(cs)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gitLogPaths(t *testing.T, dir string, paths ...string) []string {
	t.Helper()
	args := append([]string{"log", "--first-parent", "--no-renames", "--format=%H", "HEAD", "--"}, paths...)
	return strings.Fields(runGit(t, dir, args...))
}

func commits(h []histEntry) []string {
	var out []string
	for _, e := range h {
		out = append(out, e.Commit)
	}
	return out
}

func TestHistoryOfOneFile(t *testing.T) {
	r := newTestRepo(t, true)
	dir := r.Path()
	const f, g = "ca/policies/block legacy.0001.yaml", "ca/policies/block legacy auth.0001.yaml"
	other := map[string][]byte{"users/u.yaml": []byte("u0\n"), "ca/named/hq.yaml": []byte("hq\n")}
	var c []*Result
	// 1: f added
	c = append(c, write(t, r, Snapshot{Files: edit(other, map[string][]byte{f: []byte("state: on\n")}), Author: day(0)}))
	// 2: f modified
	c = append(c, write(t, r, Snapshot{Files: edit(other, map[string][]byte{f: []byte("state: off\n")}), Author: day(1)}))
	// 3: f unchanged, other files change
	other = edit(other, map[string][]byte{"users/u.yaml": []byte("u1\n"), "ca/named/hq.yaml": []byte("hq2\n")})
	c = append(c, write(t, r, Snapshot{Files: edit(other, map[string][]byte{f: []byte("state: off\n")}), Author: day(2)}))
	// 4: renamed f -> g (the policy's display name changed)
	c = append(c, write(t, r, Snapshot{Files: edit(other, map[string][]byte{g: []byte("state: off\n")}), Author: day(3)}))
	// 5: g modified
	c = append(c, write(t, r, Snapshot{Files: edit(other, map[string][]byte{g: []byte("state: report\n")}), Author: day(4)}))
	id := func(i int) string { return c[i].Commit.String() }

	got := history(t, r, "HEAD", f)
	want := []histEntry{
		{id(3), []Change{{Path: f, Action: Deleted}}},
		{id(1), []Change{{Path: f, Action: Modified}}},
		{id(0), []Change{{Path: f, Action: Added}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("History(f) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(gitLogPaths(t, dir, f), commits(got)); diff != "" {
		t.Errorf("History(f) vs git log -- f (-git +ours):\n%s", diff)
	}

	// Both names: the caller follows the rename by asking for both paths.
	got = history(t, r, "HEAD", f, g)
	want = []histEntry{
		{id(4), []Change{{Path: g, Action: Modified}}},
		{id(3), []Change{{Path: g, Action: Added}, {Path: f, Action: Deleted}}},
		{id(1), []Change{{Path: f, Action: Modified}}},
		{id(0), []Change{{Path: f, Action: Added}}},
	}
	sortHist(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("History(f, g) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(gitLogPaths(t, dir, f, g), commits(got)); diff != "" {
		t.Errorf("History(f, g) vs git log (-git +ours):\n%s", diff)
	}

	// A folder prefix, and the whole tree.
	for _, p := range []string{"ca/policies", "ca", "users/", "ca/named/hq.yaml"} {
		got = history(t, r, "HEAD", p)
		if diff := cmp.Diff(gitLogPaths(t, dir, p), commits(got)); diff != "" {
			t.Errorf("History(%q) vs git log (-git +ours):\n%s", p, diff)
		}
	}
	if got := history(t, r, "HEAD", ""); len(got) != 5 {
		t.Errorf("History(whole tree) = %d commits, want 5", len(got))
	}
	// From an older revision, and stopping early.
	if got := history(t, r, "HEAD~2", f); len(got) != 2 || got[0].Commit != id(1) {
		t.Errorf("History(HEAD~2, f) = %+v", got)
	}
	n := 0
	r.History(context.Background(), "HEAD", []string{f, g}, func(CommitInfo, []Change) error { n++; return ErrStop })
	if n != 1 {
		t.Errorf("ErrStop: %d calls", n)
	}
	// fn may call back into the repository.
	err := r.History(context.Background(), "HEAD", []string{g}, func(ci CommitInfo, cs []Change) error {
		if cs[0].Action == Deleted {
			return nil
		}
		_, err := r.ReadFile(context.Background(), ci.Hash.String(), cs[0].Path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func sortHist(h []histEntry) {
	for _, e := range h {
		sortChanges(e.Changes)
	}
}

// History gives each commit its first parent's committer time and tags
// (what a log entry needs of the snapshot before), from the one listing of
// the tags it makes.
func TestHistoryGivesTheParentsTimeAndTags(t *testing.T) {
	r := newTestRepo(t, true)
	const f = "users/u.yaml"
	for i := 0; i < 3; i++ {
		write(t, r, Snapshot{Files: map[string][]byte{f: []byte{byte('a' + i), '\n'}}, Author: day(i), Committer: day(i), Tag: "snapshot/day" + string(rune('0'+i))})
	}
	lists := r.ReadCounts().TagLists
	var got []string
	err := r.History(context.Background(), "HEAD", []string{f}, func(c CommitInfo, _ []Change) error {
		got = append(got, c.ParentTime.Format("2006-01-02")+" "+strings.Join(c.ParentTags, ","))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{day(1).When.Format("2006-01-02") + " snapshot/day1", day(0).When.Format("2006-01-02") + " snapshot/day0", "0001-01-01 "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parents' time and tags (-want +got):\n%s", diff)
	}
	if n := r.ReadCounts().TagLists - lists; n != 1 {
		t.Errorf("History listed the tags %d times, want once", n)
	}
}
