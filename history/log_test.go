package history

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Log follows one object through a rename and leaves out commits that did
// not touch it, newest first.
func TestLogFollowsRenames(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	groups, _ := layout.Lookup("groups")
	const id, other = "3f2a0b1c-1111-4000-8000-000000000001", "3f2a0b1c-2222-4000-8000-000000000002"
	file := func(id, name string) (string, []byte) {
		obj := map[string]any{"id": id, "displayName": name}
		p, err := layout.Path(groups, obj)
		if err != nil {
			t.Fatal(err)
		}
		return p, layout.Canonical(groups, obj)
	}
	var last string
	for i, names := range [][2]string{{"Finance", "Sales"}, {"Finance Admins", "Sales"}, {"Finance Admins", "Sales EMEA"}} {
		files := map[string][]byte{}
		p, data := file(id, names[0])
		files[p], last = data, p
		p, data = file(other, names[1])
		files[p] = data
		if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: files, Message: "snapshot " + string(rune('1'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	head, err := r.Resolve(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	entries, skipped, err := Log(ctx, r, head.String(), last, Open(ctx, r, head.String()))
	if err != nil || len(skipped) > 0 {
		t.Fatalf("Log: %v, skipped %v", err, skipped)
	}
	if len(entries) != 2 {
		t.Fatalf("Log found %d entries, want 2 (the rename and the creation): %+v", len(entries), entries)
	}
	if entries[0].Path != last || !strings.Contains(strings.Join(entries[0].Summary, "\n"), "renamed: ") {
		t.Errorf("newest entry = %+v, want the rename to %s", entries[0], last)
	}
	if entries[1].Action != "added" {
		t.Errorf("oldest entry = %+v, want added", entries[1])
	}
}

// A summary of a change to a value with a quote, a newline, an RTL mark,
// an emoji, HTML characters, a path climb and length: `log --json` carries
// the value exactly (changes[].new) and the summary line unescaped for a
// terminal; the text escapes it (layout.Safe) and nothing else.
func TestLogKeepsHostileValuesExactInJSON(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	groups, _ := layout.Lookup("groups")
	const id = "3f2a0b1c-1111-4000-8000-000000000001"
	value := "say \"hi\"\nnext \u200f<b>&</b> 😀 ../" + strings.Repeat("long", 50)
	var p string
	for i, desc := range []string{"plain", value} {
		obj := map[string]any{"id": id, "displayName": "Finance", "description": desc}
		var err error
		if p, err = layout.Path(groups, obj); err != nil {
			t.Fatal(err)
		}
		if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: map[string][]byte{p: layout.Canonical(groups, obj)}, Message: "snapshot " + string(rune('1'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	entries, _, err := Log(ctx, r, "HEAD", p, Open(ctx, r, "HEAD"))
	if err != nil || len(entries) != 2 {
		t.Fatalf("Log: %v, %d entries", err, len(entries))
	}
	var js bytes.Buffer
	if err := RenderLog(&js, layout.FormatJSON, p, entries); err != nil {
		t.Fatal(err)
	}
	var back []struct {
		Summary []string `json:"summary"`
		Changes []struct {
			Path   string `json:"path"`
			Action string `json:"action"`
			Old    any    `json:"old"`
			New    any    `json:"new"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back) != 2 {
		t.Fatalf("log JSON (%v):\n%s", err, js.String())
	}
	quoted, _ := json.Marshal(value) // the summary quotes a string value as JSON does
	wantLine := "description: \"plain\" → " + strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(quoted))
	if len(back[0].Summary) != 1 || back[0].Summary[0] != wantLine {
		t.Errorf("JSON summary %q, want %q", back[0].Summary, wantLine)
	}
	if c := back[0].Changes; len(c) != 1 || c[0].Path != "description" || c[0].Old != "plain" || c[0].New != value {
		t.Errorf("JSON changes %+v, want description from \"plain\" to the value exactly", c)
	}
	for _, odd := range []string{`\\u200f`, `\u003c`, `\u0026`} {
		if strings.Contains(js.String(), odd) {
			t.Errorf("log JSON holds %s: escaped for a terminal or for HTML\n%s", odd, js.String())
		}
	}
	var text bytes.Buffer
	if err := RenderLog(&text, layout.FormatText, p, entries); err != nil {
		t.Fatal(err)
	}
	if want := "    " + layout.Safe(wantLine) + "\n"; !strings.Contains(text.String(), want) {
		t.Errorf("text lacks the summary escaped once %q:\n%s", want, text.String())
	}
	if strings.Contains(text.String(), "\u200f") || !strings.Contains(text.String(), `\u200f<b>&</b> 😀 ../`) {
		t.Errorf("text does not escape the RTL mark alone:\n%s", text.String())
	}
}

// newRepo is a new bare snapshot repository, closed when the test ends.
func newRepo(t *testing.T) *snapshot.Repo {
	t.Helper()
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "repo"), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// Log over a year of tagged daily snapshots reads the tags once (the
// parent's time and tags come with each commit of the walk: a listing of
// every tag per entry made the log quadratic in the snapshots), each
// changed file's two versions once by blob id, and no more trees than the
// path to the object's folder in each snapshot.
func TestLogReadsInProportionToTheHistory(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	users, _ := layout.Lookup("users")
	const days = 30
	objs := make([]map[string]any, 200)
	for i := range objs {
		objs[i] = map[string]any{"id": fmt.Sprintf("%02x3f2a0b-1111-4000-8000-%012x", i%64, i), "displayName": fmt.Sprintf("User %d", i), "userPrincipalName": fmt.Sprintf("user%d@contoso.example", i), "jobTitle": "Engineer"}
	}
	target := objs[70]
	start := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	var p string
	for day := 0; day < days; day++ {
		target["jobTitle"] = fmt.Sprintf("Title of day %d", day)
		files := map[string][]byte{}
		for _, o := range objs {
			q, err := layout.Path(users, o)
			if err != nil {
				t.Fatal(err)
			}
			files[q] = layout.Canonical(users, o)
		}
		p, _ = layout.Path(users, target)
		when := start.AddDate(0, 0, day)
		sig := snapshot.Signature{Name: "entrasnap", Email: "entrasnap@localhost", When: when}
		if _, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: files, Message: fmt.Sprintf("day %d", day), Author: sig, Committer: sig,
			Tag: "snapshot/" + when.Format("20060102T150405Z")}); err != nil {
			t.Fatal(err)
		}
	}
	before := r.ReadCounts()
	entries, skipped, err := Log(ctx, r, "HEAD", p, Open(ctx, r, "HEAD"))
	if err != nil || len(skipped) > 0 || len(entries) != days {
		t.Fatalf("Log: %v, skipped %v, %d entries (want %d)", err, skipped, len(entries), days)
	}
	got := r.ReadCounts()
	if n := got.TagLists - before.TagLists; n > 1 {
		t.Errorf("Log listed the tags %d times over %d snapshots, want once", n, days)
	}
	if n, want := got.Blobs-before.Blobs, 2*(days-1)+1; n != want {
		t.Errorf("Log read %d blobs, want %d (both versions of each change, the first version once)", n, want)
	}
	// Per snapshot: the root, users/ and the shard folder.
	if n := got.Trees - before.Trees; n > 3*days {
		t.Errorf("Log decoded %d trees over %d snapshots, want at most %d", n, days, 3*days)
	}
}
