package check

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

func kind(t *testing.T, name string) *layout.Kind {
	t.Helper()
	k, ok := layout.Lookup(name)
	if !ok {
		t.Fatalf("no kind %s", name)
	}
	return k
}

// objectFile is the path and canonical content of obj.
func objectFile(t *testing.T, k *layout.Kind, obj map[string]any) (string, []byte) {
	t.Helper()
	p, err := layout.Path(k, obj)
	if err != nil {
		t.Fatal(err)
	}
	return p, layout.Encode(obj)
}

// objectFiles is a snapshot's files, empty, and add, which puts obj in
// them as a file of the kind kindName and returns its path.
func objectFiles(t *testing.T) (map[string][]byte, func(kindName string, obj map[string]any) string) {
	files := map[string][]byte{}
	return files, func(kindName string, obj map[string]any) string {
		t.Helper()
		p, b := objectFile(t, kind(t, kindName), obj)
		files[p] = b
		return p
	}
}

func manifest(kinds map[string]int) []byte {
	m := map[string]any{}
	for name, n := range kinds {
		k, _ := layout.Lookup(name)
		m[name] = map[string]any{"folder": k.Folder, "objects": json.Number(itoa(n)), "complete": true}
	}
	return layout.Encode(map[string]any{"format": json.Number("1"), "tenantId": "t", "kinds": m})
}

func itoa(n int) string { return strconv.Itoa(n) }

const (
	groupA = "0a000000-0000-4000-8000-00000000000a"
	groupB = "0b000000-0000-4000-8000-00000000000b"
	dead   = "deadbeef-0000-4000-8000-000000000000"
)

func TestFileProblemsHaveLines(t *testing.T) {
	k := kind(t, "groups")
	rel, data := objectFile(t, k, map[string]any{"id": groupA, "displayName": "A"})
	if _, ps := File(k, rel, data); len(ps) != 0 {
		t.Fatalf("a canonical file: %v", ps)
	}
	cases := []struct {
		name, rel, data string
		want            Problem
	}{
		{"duplicate key", "", "id: \"" + groupA + "\"\ndisplayName: A\ndisplayName: B\n", Problem{Line: 3, Property: "displayName", Message: "duplicate key"}},
		{"unknown property", "", "bogus: 1\nid: \"" + groupA + "\"\n", Problem{Line: 1, Property: "bogus", Message: "unknown property"}},
		{"bom", "", "\xef\xbb\xbfid: \"" + groupA + "\"\n", Problem{Line: 1, Message: "byte order mark"}},
		{"elsewhere", "groups/zz/A." + groupA + ".yaml", string(data), Problem{Message: "entrasnap keeps this object at " + rel + "; rename the file (or fix its id or displayName)"}},
		{"no key", rel, "displayName: A\n", Problem{Property: "id", Message: "required"}},
		{"new object with an id", "groups/new-a.yaml", "displayName: A\nid: \"" + groupA + "\"\n", Problem{Line: 2, Property: "id", Message: "a new object's file (new-NAME.yaml) has no id"}},
	}
	// A new object's file has no id, and its name is not the canonical one.
	if _, ps := File(k, "groups/new-a.yaml", []byte("displayName: A\n")); len(ps) != 0 {
		t.Errorf("a new object's file: %v", ps)
	}
	for _, c := range cases {
		_, ps := File(k, c.rel, []byte(c.data))
		found := false
		for _, p := range ps {
			found = found || p.Line == c.want.Line && p.Property == c.want.Property && strings.Contains(p.Message, c.want.Message)
		}
		if !found {
			t.Errorf("%s: problems %+v, want one like %+v", c.name, ps, c.want)
		}
	}
}

func TestProblemRendering(t *testing.T) {
	p := Problem{File: "a,b:c.yaml", Line: 7, Property: "x", Message: "bad\r\n100%"}
	if got, want := p.String(), "a,b:c.yaml:7: x: bad\r\n100%"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got, want := p.GitHub(), "::error file=a%2Cb%3Ac.yaml,line=7,title=entrasnap validate::x: bad%0D%0A100%25"; got != want {
		t.Errorf("GitHub = %q, want %q", got, want)
	}
}

func TestKindOf(t *testing.T) {
	groups, users := kind(t, "groups"), kind(t, "users")
	p := filepath.Join("backup", "groups", "0a", "A."+groupA+".yaml")
	if k, rel := KindOf(p, nil); k != groups || rel != "groups/0a/A."+groupA+".yaml" {
		t.Errorf("KindOf(%s) = %v %q", p, k, rel)
	}
	if k, rel := KindOf(p, users); k != users || rel != "" {
		t.Errorf("KindOf with another kind = %v %q, want the flag's kind and no path", k, rel)
	}
	if k, _ := KindOf("policy.yaml", nil); k != nil {
		t.Errorf("KindOf(policy.yaml) = %v", k)
	}
}

func TestFiles(t *testing.T) {
	k := kind(t, "groups")
	dir := t.TempDir()
	rel, data := objectFile(t, k, map[string]any{"id": groupA, "displayName": "A"})
	good := filepath.Join(dir, filepath.FromSlash(rel))
	os.MkdirAll(filepath.Dir(good), 0o755)
	os.WriteFile(good, data, 0o644)
	os.WriteFile(filepath.Join(filepath.Dir(good), "ci.txt"), []byte("not yaml"), 0o644)
	big := filepath.Join(filepath.Dir(good), "B."+groupB+".yaml")
	os.WriteFile(big, bytes.Repeat([]byte("#"), 2048), 0o644)
	ctx := context.Background()

	rep, err := Files(ctx, []string{dir}, FileOptions{MaxFileSize: 1024})
	if err != nil || rep.Files != 2 || rep.Valid || len(rep.Problems) != 1 || rep.Problems[0].File != big ||
		rep.Problems[0].Message != TooLargeMessage(1024) {
		t.Fatalf("Files(dir) = %+v, %v", rep, err)
	}
	rep, err = Files(ctx, []string{good, "-"}, FileOptions{Kind: k, Stdin: strings.NewReader("displayName: 1\n")})
	if err != nil || rep.Files != 2 || len(rep.Problems) == 0 || rep.Problems[0].File != "<stdin>" || rep.ProblemFiles() != 1 {
		t.Errorf("Files(good, -) = %+v (%d files with problems, want 1), %v", rep, rep.ProblemFiles(), err)
	}
	if _, err := Files(ctx, []string{good, "-"}, FileOptions{}); !errors.Is(err, ErrStdinNeedsKind) {
		t.Errorf("- without a kind: %v", err)
	}
	loose := filepath.Join(t.TempDir(), "policy.yaml")
	os.WriteFile(loose, data, 0o644)
	rep, err = Files(ctx, []string{filepath.Join(dir, "missing.yaml"), loose}, FileOptions{})
	if err != nil || rep.Files != 2 || len(rep.Problems) != 2 || !strings.Contains(rep.Problems[0].Message, "cannot read: no such file") ||
		!strings.Contains(rep.Problems[1].Message, "give --kind") || rep.ProblemFiles() != 2 {
		t.Errorf("unreadable files: %+v, %v", rep, err)
	}
	rep, err = Files(ctx, []string{os.DevNull}, FileOptions{Kind: k})
	if err != nil || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Message, "not a file but a character device") {
		t.Errorf("%s: %+v, %v", os.DevNull, rep, err)
	}
}

func TestDecodeManifest(t *testing.T) {
	m, err := decodeManifest(manifest(map[string]int{"groups": 2}))
	if err != nil || m["groups"].Objects != 2 || m["groups"].Folder != "groups" || !m["groups"].Complete {
		t.Fatalf("decodeManifest = %+v, %v", m, err)
	}
	for data, want := range map[string]string{
		"format: 2\nkinds: {}\n":                   "format 2 is newer than this entrasnap understands (1): upgrade entrasnap",
		"format: x\n":                              "format: want a number, got x",
		"format: 1\nkinds:\n  groups: 1\n":         "kinds.groups: not a mapping",
		"format: 1\nkinds:\n  groups:\n    a: 1\n": "kinds.groups.objects: want a number, got <nil>",
	} {
		if _, err := decodeManifest([]byte(data)); err == nil || err.Error() != want {
			t.Errorf("decodeManifest(%q) = %v, want %q", data, err, want)
		}
	}
}

// writeSnapshot commits files (plus a manifest of their kinds, unless
// files holds one) to r, tagged tag when not "".
func writeSnapshot(t *testing.T, r *snapshot.Repo, files map[string][]byte, tag string) string {
	t.Helper()
	if _, ok := files[ManifestPath]; !ok {
		n := map[string]int{"users": 0}
		for p := range files {
			if k, _, err := layout.Locate(p); err == nil {
				n[k.Name]++
			}
		}
		files[ManifestPath] = manifest(n)
	}
	res, err := r.WriteSnapshot(context.Background(), snapshot.Snapshot{Files: files, Message: "test", Tag: tag})
	if err != nil {
		t.Fatal(err)
	}
	return res.Commit.String()
}

// newCheckRepo is an empty repository of one test, closed when it ends.
func newCheckRepo(t *testing.T) *snapshot.Repo {
	t.Helper()
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "backup"), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// checkSnapshot commits files to r as tag (writeSnapshot) and returns the
// check of r's latest snapshot (Repo with default options).
func checkSnapshot(t *testing.T, r *snapshot.Repo, files map[string][]byte, tag string) *Report {
	t.Helper()
	writeSnapshot(t, r, files, tag)
	rep, err := Repo(context.Background(), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// dangling is line(issue) for each issue of rep's latest snapshot that
// names no object, in report order.
func dangling(rep *Report, line func(Issue) string) []string {
	var out []string
	for _, is := range rep.Snapshots[0].Issues {
		if strings.Contains(is.Message, "names no object") {
			out = append(out, line(is))
		}
	}
	return out
}

// sameLines fails the test when got is not want, line for line, and shows
// both and the report's issues.
func sameLines(t *testing.T, what string, got, want []string, rep *Report) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n%s\nwant:\n%s\nissues: %+v", what, strings.Join(got, "\n"), strings.Join(want, "\n"), rep.Snapshots[0].Issues)
	}
}

func TestRepo(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "backup")
	r, err := snapshot.Init(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := Repo(ctx, r, Options{}); !errors.Is(err, ErrNoCommit) || !strings.HasPrefix(err.Error(), r.Path()+" has no commit yet") {
		t.Fatalf("an empty repository: %v", err)
	}
	if _, err := Repo(ctx, r, Options{Name: "./my backup"}); err == nil || err.Error() != "./my backup has no commit yet: nothing to check; run `entrasnap export --repo ./my backup` first" {
		t.Fatalf("an empty repository named as given: %v", err)
	}

	k := kind(t, "groups")
	pa, a := objectFile(t, k, map[string]any{"id": groupA, "displayName": "A"})
	pb, b := objectFile(t, k, map[string]any{"id": groupB, "displayName": "B",
		"members": []any{map[string]any{"@odata.type": "#microsoft.graph.group", "id": groupA}, map[string]any{"@odata.type": "#microsoft.graph.user", "id": dead}}})
	first := writeSnapshot(t, r, map[string][]byte{pa: a, pb: b}, "snapshot/1")

	rep, err := Repo(ctx, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Errors != 1 || rep.TagsChecked != 1 || len(rep.Snapshots) != 1 || rep.Snapshots[0].Files != 2 {
		t.Fatalf("report: %+v", rep)
	}
	is := rep.Snapshots[0].Issues[0]
	if is.File != pb || is.Property != "members[1].id" || is.Line == 0 || is.Severity != SevError || !strings.HasPrefix(is.Message, dead+" names no object") {
		t.Errorf("the dangling member: %+v", is)
	}

	// A manifest that miscounts.
	writeSnapshot(t, r, map[string][]byte{pa: a, ManifestPath: manifest(map[string]int{"groups": 3})}, "snapshot/2")
	rep, err = Repo(ctx, r, Options{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Snapshots) != 2 || rep.Snapshots[1].Commit != first || rep.Snapshots[1].Names[0] != "snapshot/1" || rep.Errors != 2 {
		t.Fatalf("--all: %+v", rep)
	}
	if is := rep.Snapshots[0].Issues; len(is) != 1 || is[0].File != ManifestPath || is[0].Property != "kinds.groups.objects" ||
		!strings.HasPrefix(is[0].Message, "says 3, but the snapshot holds 1 groups files") {
		t.Errorf("the miscounting manifest: %+v", is)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	for _, want := range []string{"HEAD, snapshot/2 ", "snapshot/1 " + first[:12] + ": 2 object files, 1 error, 0 warnings",
		"  error    " + pb + ":", "tags: 2 snapshot tags, each on a commit with a manifest", "2 errors, 0 warnings."} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}

	ps, err := Problems(ctx, path)
	if err != nil || len(ps) != 2 || !strings.Contains(ps[0], "kinds.groups.objects") || !strings.Contains(ps[1], "members[1].id") {
		t.Errorf("Problems = %q, %v", ps, err)
	}
}

func TestRepoFileTooLarge(t *testing.T) {
	ctx := context.Background()
	r := newCheckRepo(t)
	k := kind(t, "groups")
	pa, a := objectFile(t, k, map[string]any{"id": groupA, "displayName": "A", "description": strings.Repeat("x", 4096)})
	pb, b := objectFile(t, k, map[string]any{"id": groupB, "displayName": "B", "members": []any{map[string]any{"@odata.type": "#microsoft.graph.group", "id": groupA}}})
	writeSnapshot(t, r, map[string][]byte{pa: a, pb: b}, "")
	rep, err := Repo(ctx, r, Options{MaxFileSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	// The large file is an error; the member naming it still resolves.
	if is := rep.Snapshots[0].Issues; rep.Errors != 1 || len(is) != 1 || is[0].File != pa || is[0].Message != TooLargeMessage(1024) {
		t.Errorf("issues: %+v", is)
	}
}
