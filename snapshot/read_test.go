package snapshot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/google/go-cmp/cmp"
)

// threeDays writes snapshots on baseTime+0, +1 and +2 days, tagged
// snapshot/d0..d2, and returns their results.
func threeDays(t *testing.T, r *Repo) []*Result {
	t.Helper()
	var out []*Result
	f := map[string][]byte{"users/a.yaml": []byte("v0\n"), "groups/g.yaml": []byte("g\n")}
	for i := 0; i < 3; i++ {
		f = edit(f, map[string][]byte{"users/a.yaml": []byte("v" + string(rune('0'+i)) + "\n")})
		out = append(out, write(t, r, Snapshot{Files: f, Author: day(i), Message: "day " + string(rune('0'+i)), Tag: "snapshot/d" + string(rune('0'+i)), TagMessage: "tag d" + string(rune('0'+i))}))
	}
	return out
}

func TestResolve(t *testing.T) {
	r := newTestRepo(t, true)
	dir := r.Path()
	res := threeDays(t, r)
	ctx := context.Background()
	for _, tc := range []struct {
		rev  string
		want plumbing.Hash
	}{
		{"HEAD", res[2].Commit},
		{"main", res[2].Commit},
		{"snapshot/d1", res[1].Commit},
		{"refs/tags/snapshot/d0", res[0].Commit},
		{"snapshot/d1^{}", res[1].Commit},
		{res[1].Commit.String(), res[1].Commit},
		{res[0].Commit.String()[:8], res[0].Commit},
		{res[1].TagHash.String(), res[1].Commit},
		{"HEAD~1", res[1].Commit},
		{"HEAD~2", res[0].Commit},
		{"main^", res[1].Commit},
		{"2026-03-21", res[1].Commit},                // day 1 is 2026-03-21 10:15Z
		{"2026-03-25", res[2].Commit},                // after the last: the head
		{"2026-03-21T10:15:00Z", res[1].Commit},      // exactly at the commit
		{"2026-03-21T10:14:59Z", res[0].Commit},      // a second before it
		{"2026-03-21T12:00:00+02:00", res[0].Commit}, // 10:00Z
		{"2026-03-21T12:30:00+02:00", res[1].Commit}, // 10:30Z
	} {
		got, err := r.Resolve(ctx, tc.rev)
		if err != nil {
			t.Errorf("Resolve(%q): %v", tc.rev, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Resolve(%q) = %s, want %s", tc.rev, got, tc.want)
		}
		if !strings.HasPrefix(tc.rev, "2026-") {
			if g := revParse(t, dir, tc.rev+"^{commit}"); g != got {
				t.Errorf("git rev-parse %q = %s, we say %s", tc.rev, g, got)
			}
		}
	}
	// Hostile revisions too: each gets the one clear error, on one line,
	// naming the revision (quoted, a long one cut) and what to try.
	long := strings.Repeat("é", 3000)
	for _, rev := range []string{"nope", "2026-03-19", "HEAD~9", "HEAD~999", "snapshot/none", "", "-x", "a\nb", "../../etc/passwd",
		"\u202eevil\u202c", "snapshot/🦄", `it's "quoted"`, "HEAD\x00", long} {
		_, err := r.Resolve(ctx, rev)
		if !errors.Is(err, ErrUnknownRevision) {
			t.Errorf("Resolve(%q): err = %v, want ErrUnknownRevision", rev, err)
			continue
		}
		msg := err.Error()
		shown := strconv.Quote(rev)
		if len(rev) > maxRevShown {
			shown = strconv.Quote(strings.Repeat("é", maxRevShown/2)) + "… (6000 bytes)"
		}
		if !strings.Contains(msg, "entrasnap snapshots") || !strings.Contains(msg, shown) {
			t.Errorf("Resolve(%q): error does not name the revision (%s) and what to try: %v", rev, shown, err)
		}
		if strings.ContainsAny(msg, "\n\r\x00\u202e") || len(msg) > 500 || strings.Contains(msg, "Revision invalid") || strings.Contains(msg, "EOF") {
			t.Errorf("Resolve(%q): the error is not one clean line of go-git-free text (%d bytes): %q", rev, len(msg), msg)
		}
	}
	for rev, why := range map[string]string{"HEAD~999": "(past the first commit)", "a\nb": "(not a revision git reads)", "HEAD\x00": "(not a revision git reads)"} {
		if _, err := r.Resolve(ctx, rev); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("Resolve(%q) = %v, want it to say %s", rev, err, why)
		}
	}
	empty := newTestRepo(t, true)
	if _, err := empty.Resolve(ctx, "HEAD"); err == nil || !strings.Contains(err.Error(), "no snapshots yet") {
		t.Errorf("empty repo: %v", err)
	}
}

func TestReadFileWalkReadAll(t *testing.T) {
	r := newTestRepo(t, false)
	dir := r.Path()
	ctx := context.Background()
	f1 := files0()
	write(t, r, Snapshot{Files: f1, Author: day(0), Tag: "snapshot/1"})
	f2 := edit(f1, map[string][]byte{"users/ann smith.11aa.yaml": []byte("new\n"), "README.md": nil})
	write(t, r, Snapshot{Files: f2, Author: day(1)})

	b, err := r.ReadFile(ctx, "HEAD~1", "users/ann smith.11aa.yaml")
	if err != nil || string(b) != string(f1["users/ann smith.11aa.yaml"]) {
		t.Errorf("ReadFile(HEAD~1) = %q, %v", b, err)
	}
	b, err = r.ReadFile(ctx, "HEAD", "/users/ann smith.11aa.yaml")
	if err != nil || string(b) != "new\n" {
		t.Errorf("ReadFile(HEAD) = %q, %v", b, err)
	}
	if b, err = r.ReadFile(ctx, "snapshot/1", "empty.yaml"); err != nil || len(b) != 0 {
		t.Errorf("empty file = %q, %v", b, err)
	}
	for _, p := range []string{"README.md", "users", "users/nobody.yaml", "users/ann smith.11aa.yaml/x"} {
		if _, err := r.ReadFile(ctx, "HEAD", p); !errors.Is(err, ErrNotFound) {
			t.Errorf("ReadFile(HEAD, %q): err = %v, want ErrNotFound", p, err)
		}
	}

	// Walk against git ls-tree -r.
	for _, prefix := range []string{"", "users", "users/", "order", "deep/1/2", "empty.yaml", "absent"} {
		var got []string
		err := r.Walk(ctx, "HEAD", prefix, func(p string, h plumbing.Hash) error {
			got = append(got, p+" "+h.String())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"ls-tree", "-r", "-z", "--format=%(path) %(objectname)", "HEAD"}
		if prefix != "" {
			args = append(args, "--", prefix)
		}
		var want []string
		for _, l := range strings.Split(strings.TrimSuffix(runGit(t, dir, args...), "\x00"), "\x00") {
			if l != "" {
				want = append(want, l)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Walk(%q) vs git ls-tree (-git +ours):\n%s", prefix, diff)
		}
		if !sort.StringsAreSorted(got) {
			t.Errorf("Walk(%q) not in path order", prefix)
		}
	}
	n := 0
	if err := r.Walk(ctx, "HEAD", "", func(string, plumbing.Hash) error { n++; return ErrStop }); err != nil || n != 1 {
		t.Errorf("ErrStop: n=%d err=%v", n, err)
	}

	all, err := r.ReadAll(ctx, "snapshot/1", "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f1, all); diff != "" {
		t.Errorf("ReadAll(snapshot/1) (-want +got):\n%s", diff)
	}
	users, err := r.ReadAll(ctx, "HEAD", "users")
	if err != nil || len(users) != 2 || string(users["users/ann smith.11aa.yaml"]) != "new\n" {
		t.Errorf("ReadAll(users) = %v, %v", users, err)
	}
}

func TestLogAndTags(t *testing.T) {
	r := newTestRepo(t, true)
	dir := r.Path()
	ctx := context.Background()
	res := threeDays(t, r)
	// an unchanged run tagged on the head, one day later
	f := map[string][]byte{"users/a.yaml": []byte("v2\n"), "groups/g.yaml": []byte("g\n")}
	write(t, r, Snapshot{Files: f, Author: day(3), Tag: "snapshot/d3", TagWhenUnchanged: true})
	runGit(t, dir, "tag", "light", res[0].Commit.String())

	log, err := r.Log(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range log {
		got = append(got, c.Hash.String()+" "+c.Time.UTC().Format(time.RFC3339)+" "+strings.TrimSpace(c.Message)+" "+strings.Join(c.Tags, ","))
	}
	want := strings.Split(strings.TrimSpace(runGit(t, dir, "log", "--first-parent", "--format=%H %cd %s", "--date=format-local:%Y-%m-%dT%H:%M:%SZ")), "\n")
	wantTags := []string{"snapshot/d2,snapshot/d3", "snapshot/d1", "light,snapshot/d0"}
	for i := range want {
		want[i] += " " + wantTags[i]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Log vs git log (-git +ours):\n%s", diff)
	}
	if log[0].Author.Name != "Entra Snap" || log[0].Parent != res[1].Commit || !log[2].Parent.IsZero() {
		t.Errorf("log[0] = %+v", log[0])
	}
	if two, _ := r.Log(ctx, "snapshot/d1", 1); len(two) != 1 || two[0].Hash != res[1].Commit {
		t.Errorf("Log(d1, 1) = %+v", two)
	}

	tags, err := r.Tags(ctx, "snapshot/")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tg := range tags {
		names = append(names, tg.Name)
	}
	gitNames := strings.Fields(runGit(t, dir, "for-each-ref", "--sort=-taggerdate", "--format=%(refname:lstrip=2)", "refs/tags/snapshot/"))
	if diff := cmp.Diff(gitNames, names); diff != "" {
		t.Errorf("Tags vs git for-each-ref (-git +ours):\n%s", diff)
	}
	if tags[0].Commit != res[2].Commit || !tags[0].Annotated || tags[3].Message != "tag d0\n" || !tags[3].Time.Equal(day(0).When) {
		t.Errorf("tags = %+v", tags)
	}
	all, _ := r.Tags(ctx, "")
	if len(all) != 5 {
		t.Errorf("all tags = %d, want 5", len(all))
	}
	for _, tg := range all {
		if tg.Name == "light" && (tg.Annotated || tg.Commit != res[0].Commit) {
			t.Errorf("lightweight tag = %+v", tg)
		}
	}
}

// One Repo shared by goroutines that read and write (run with -race).
func TestConcurrentUse(t *testing.T) {
	r := newTestRepo(t, false)
	ctx := context.Background()
	f := files0()
	write(t, r, Snapshot{Files: f, Author: day(0), Tag: "snapshot/0"})
	errs := make(chan error, 64)
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func(g int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 5; i++ {
				switch g {
				case 0:
					next := edit(f, map[string][]byte{"users/ann smith.11aa.yaml": []byte{byte('a' + i)}})
					if _, err := r.WriteSnapshot(ctx, Snapshot{Files: next, Author: day(i + 1)}); err != nil {
						errs <- err
					}
				case 1:
					if _, err := r.ReadFile(ctx, "snapshot/0", "README.md"); err != nil {
						errs <- err
					}
				case 2:
					if _, err := r.Log(ctx, "", 0); err != nil {
						errs <- err
					}
				case 3:
					err := r.History(ctx, "HEAD", []string{"users"}, func(c CommitInfo, _ []Change) error {
						_, err := r.Diff(ctx, "", c.Hash.String())
						return err
					})
					if err != nil {
						errs <- err
					}
				}
			}
		}(g)
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	fsck(t, r.Path())
	statusClean(t, r.Path())
}

// Closed says whether Close was called.
func TestClosed(t *testing.T) {
	r, err := Init(filepath.Join(t.TempDir(), "repo"), true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Closed() {
		t.Error("a repository just opened reports Closed")
	}
	r.Close()
	if !r.Closed() {
		t.Error("a closed repository does not report Closed")
	}
}

// countFS counts the opens of pack files and which are still open.
type countFS struct {
	billy.Filesystem
	opens, open int
}

type countFile struct {
	billy.File
	fs     *countFS
	closed bool
}

func (f *countFile) Close() error {
	if !f.closed {
		f.closed = true
		f.fs.open--
	}
	return f.File.Close()
}

func (c *countFS) Open(name string) (billy.File, error) { return c.OpenFile(name, os.O_RDONLY, 0) }

func (c *countFS) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	f, err := c.Filesystem.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, ".pack") {
		return f, err
	}
	c.opens++
	c.open++
	return &countFile{File: f, fs: c}, nil
}

// A call that reads many objects (a diff of two trees, a history, every
// file of a folder) opens each pack file once, not once per object read,
// and leaves none open when it returns (git gc may replace the packs
// between calls).
func TestCallsOpenEachPackOnce(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, true)
	files := map[string][]byte{}
	for i := 0; i < 300; i++ {
		files["users/"+strconv.Itoa(i%16)+"/u"+strconv.Itoa(i)+".yaml"] = []byte("v0 " + strconv.Itoa(i) + "\n")
	}
	first := write(t, r, Snapshot{Files: files, Author: day(0)})
	for i := 0; i < 300; i += 3 {
		files["users/"+strconv.Itoa(i%16)+"/u"+strconv.Itoa(i)+".yaml"] = []byte("v1 " + strconv.Itoa(i) + "\n")
	}
	second := write(t, r, Snapshot{Files: files, Author: day(1)})
	packs, err := filepath.Glob(filepath.Join(r.Path(), "objects", "pack", "*.pack"))
	if err != nil || len(packs) == 0 {
		t.Fatalf("no pack files (%v): the test needs packed objects", err)
	}
	r.Close()
	if r, err = Open(r.Path()); err != nil { // no tree read yet
		t.Fatal(err)
	}
	defer r.Close()
	cfs := &countFS{Filesystem: r.repo.Storer.(*filesystem.Storage).Filesystem()}
	r.repo.Storer = keepingPacks(filesystem.NewStorage(cfs, nil))
	// ReadAll reads its files through a second store of its own
	// (bulkReader), so it may open each pack twice.
	for name, call := range map[string]func() (int, error){
		"Diff": func() (int, error) {
			cs, err := r.Diff(ctx, first.Commit.String(), second.Commit.String())
			return len(cs), err
		},
		"ReadAll": func() (int, error) {
			all, err := r.ReadAll(ctx, second.Commit.String(), "users")
			return len(all), err
		},
		"History": func() (int, error) {
			n := 0
			err := r.History(ctx, second.Commit.String(), []string{"users"}, func(_ CommitInfo, cs []Change) error { n += len(cs); return nil })
			return n, err
		},
	} {
		before := cfs.opens
		n, err := call()
		if err != nil || n < 100 {
			t.Fatalf("%s: %d objects, %v", name, n, err)
		}
		most := len(packs)
		if name == "ReadAll" {
			most *= 2
		}
		if opens := cfs.opens - before; opens > most {
			t.Errorf("%s of %d files opened pack files %d times, want at most %d (%d packs)", name, n, opens, most, len(packs))
		}
		if cfs.open != 0 {
			t.Errorf("%s left %d pack files open", name, cfs.open)
		}
	}
}

// A large file is read from the pack straight into the buffer returned,
// not inflated into a growing copy first: reading a 4 MiB file allocates
// little more than the 4 MiB returned.
func TestReadBlobOfALargeFileCopiesItOnce(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t, true)
	var big strings.Builder
	for i := 0; big.Len() < 4<<20; i++ {
		big.WriteString("  - id: a1b2c3d4-0000-4000-8000-" + strconv.Itoa(100000000000+i) + "\n")
	}
	res := write(t, r, Snapshot{Files: map[string][]byte{"groups/big.yaml": []byte(big.String()), "groups/small.yaml": []byte("x\n")}, Author: day(0)})
	r.Close()
	r, err := Open(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var h plumbing.Hash
	if err := r.Walk(ctx, res.Commit.String(), "groups/big.yaml", func(_ string, b plumbing.Hash) error { h = b; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadFile(ctx, res.Commit.String(), "groups/small.yaml"); err != nil { // the pack index loaded
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	data, err := r.ReadBlob(ctx, h)
	runtime.ReadMemStats(&after)
	if err != nil || string(data) != big.String() {
		t.Fatalf("ReadBlob: %v, %d bytes, want %d", err, len(data), big.Len())
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > uint64(big.Len())*5/4 {
		t.Errorf("reading a %d-byte file allocated %d bytes, want at most 1.25 times its size", big.Len(), n)
	}
}
