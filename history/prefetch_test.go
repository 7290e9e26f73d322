package history

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// noPrefetch hides a resolver's Prefetch: the names are then read one by
// one as the renderer asks for them, as before Prefetch.
type noPrefetch struct{ diff.Resolver }

// TestPrefetchNamesAsReadingOneByOne: a diff whose groups gain and lose
// members names them the same, in text, markdown and JSON, with the same
// files reported unreadable in the same order, whether the names are read
// ahead on every CPU (diff.Result.Render → Chain.Prefetch) or one by one,
// for ids of every awkward sort: a GUID in another case, keys escaped in
// file names (a slash, a tilde, non-ASCII), a key that differs from
// another only in case, an id whose shard folder does not exist, an id
// no object has, an id too long for any file name, an empty one, a
// member whose file does not decode, a member only the older snapshot
// has. Read ahead, the folders are listed in a few calls, not one per
// id, and no member's file is read one by one.
func TestPrefetchNamesAsReadingOneByOne(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	users, _ := layout.Lookup("users")
	groups, _ := layout.Lookup("groups")
	id := func(i int) string { return fmt.Sprintf("%02x%06x-0000-4000-8000-%012x", (i*37)&0x7f, i, i) }
	files := map[string][]byte{}
	put := func(k *layout.Kind, obj map[string]any) {
		p, err := layout.Path(k, obj)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = layout.Canonical(k, obj)
	}
	user := func(key, name string) {
		put(users, map[string]any{"id": key, "displayName": name, "userPrincipalName": name + "@contoso.example"})
	}
	for i := range 300 {
		user(id(i), fmt.Sprintf("User %d", i))
	}
	hostile := []string{"Weird/Key~ü", "CaseKey", "casekey", "\u212Aelvin"} // a slash, a tilde, non-ASCII; two keys one case apart
	for i, k := range hostile {
		user(k, fmt.Sprintf("Hostile %d \x1b[31m<b>", i))
	}
	user("kelvin", "Plain Kelvin") // "\u212Aelvin" folds to it
	// A member whose file does not decode.
	badID := id(299)
	badPath, _ := layout.Path(users, map[string]any{"id": badID, "userPrincipalName": "User 299@contoso.example"})
	files[badPath] = []byte("id: [unclosed\n")
	gone := id(298) // only in the older snapshot
	members := func(ids ...string) []any {
		out := make([]any, len(ids))
		for i, m := range ids {
			out[i] = map[string]any{"id": m, "@odata.type": "#microsoft.graph.user"}
		}
		return out
	}
	group := func(n int, ms []any) {
		put(groups, map[string]any{"id": id(1000 + n), "displayName": fmt.Sprintf("Group %d", n), "members": ms})
	}
	group(0, members(id(1), gone))
	group(1, members(id(2)))
	from, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: files, Message: "before"})
	if err != nil {
		t.Fatal(err)
	}
	gonePath, _ := layout.Path(users, map[string]any{"id": gone, "userPrincipalName": "User 298@contoso.example"})
	delete(files, gonePath)
	noShard := "ff000000-0000-4000-8000-000000000000" // users/ff does not exist
	long := strings.Repeat("x", 300)
	group(0, members(id(1), strings.ToUpper(id(3)), id(4), "Weird/Key~ü", "weird/key~ü", "casekey", "CASEKEY", "\u212Aelvin", "KELVIN",
		noShard, "dddddddd-0000-4000-8000-000000000000", long, "", badID))
	group(1, members(id(5), id(6)))
	to, err := r.WriteSnapshot(ctx, snapshot.Snapshot{Files: files, Message: "after"})
	if err != nil {
		t.Fatal(err)
	}

	type run struct {
		out              map[string]string
		skipped          []Skipped
		newer, older     *readCounts
		folderCallsNewer int
	}
	render := func(prefetch bool) run {
		c, err := Compare(ctx, r, from.Commit.String(), to.Commit.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		res := run{out: map[string]string{}, newer: instrument(c.newer), older: instrument(c.older)}
		calls := 0
		folders := c.newer.folders
		c.newer.folders = func(dirs []string) ([][]fileRef, error) { calls++; return folders(dirs) }
		if !prefetch {
			c.Result.Names = noPrefetch{c.Result.Names}
		}
		for _, f := range diff.Formats {
			var b bytes.Buffer
			if err := c.Render(&b, f, diff.RenderOptions{}); err != nil {
				t.Fatal(err)
			}
			res.out[f] = b.String()
		}
		res.skipped, res.folderCallsNewer = c.Skipped(), calls
		return res
	}
	one, ahead := render(false), render(true)
	for _, f := range diff.Formats {
		if one.out[f] != ahead.out[f] {
			t.Errorf("%s: read ahead:\n%s\none by one:\n%s", f, ahead.out[f], one.out[f])
		}
	}
	// Named from neither revision: met in both.
	if fmt.Sprint(one.skipped) != fmt.Sprint(ahead.skipped) || len(one.skipped) != 2 || one.skipped[0].Path != badPath || one.skipped[1].Path != badPath {
		t.Errorf("skipped read ahead %v, one by one %v; want %s at each revision", ahead.skipped, one.skipped, badPath)
	}
	text := ahead.out["text"]
	for _, s := range []string{"User 3 (", "User 4 (", "Hostile 0", "Hostile 2", "Hostile 3", "unknown (ff000000…)", "unknown (dddddddd…)", "User 298 (", `\x1b[31m<b>`} {
		if !strings.Contains(text, s) {
			t.Errorf("the text lacks %q:\n%s", s, text)
		}
	}
	if strings.Contains(text, "\x1b[31m") {
		t.Errorf("an escape sequence from a name reached the text:\n%s", text)
	}
	if ahead.folderCallsNewer > 3 || one.folderCallsNewer < 10 {
		t.Errorf("newer snapshot's folders listed in %d calls read ahead (want at most 3), %d one by one", ahead.folderCallsNewer, one.folderCallsNewer)
	}
	for _, p := range ahead.newer.files {
		if strings.HasPrefix(p, "users/") {
			t.Errorf("read ahead, %s was still read one by one", p)
		}
	}
}

// TestMayHoldKeyNeverMissesAKey: the quick test keyPaths puts before
// locating a listed file never turns away a file whose key folds to the id
// looked up, for keys of every kind that need escaping in a file name, in
// every case, under kinds named by a property and kinds that are not.
func TestMayHoldKeyNeverMissesAKey(t *testing.T) {
	keys := []string{"0f1e2d3c-0000-4000-8000-00000000abcd", "0F1E2D3C-0000-4000-8000-00000000ABCD", "CaseKey", "casekey",
		"Weird/Key~ü", "\u212Aelvin", "kelvin", "con", "nul.example", ".dot", "a.b", "x y", "İstanbul", "ß", "c1", "%41"}
	for _, k := range layout.Kinds() {
		if k.Singleton {
			continue
		}
		for _, key := range keys {
			obj := map[string]any{k.KeyProp(): key}
			if k.NameProp != "" {
				obj[k.NameProp] = "Name.With.Dots"
			}
			for _, pathOf := range []func(*layout.Kind, map[string]any) (string, error){layout.Path, layout.PathCaseDistinct} {
				p, err := pathOf(k, obj)
				if err != nil {
					continue
				}
				l, ok := locate(fileRef{Dir: p[:strings.LastIndexByte(p, '/')], Name: p[strings.LastIndexByte(p, '/')+1:]})
				if !ok {
					t.Fatalf("%s: %s is no object file", k.Name, p)
				}
				for _, id := range keys {
					lid := strings.ToLower(id)
					if l.fold == lid && !mayHoldKey(p[strings.LastIndexByte(p, '/')+1:], lid) {
						t.Errorf("%s: %s (key %q) turned away for id %q", k.Name, p, key, id)
					}
				}
			}
		}
	}
	if mayHoldKey("user-1.0f1e2d3c-0000-4000-8000-00000000abcd.yaml", "0f1e2d3c-0000-4000-8000-00000000abce") {
		t.Error("a name with another key is not turned away")
	}
}

// TestProbesOfShortIDsAreEveryKinds: the folders probes lists for an id,
// from the kinds' folders computed once, are those each kind's path for
// the id gives (layout.Path), for short ids and long ones.
func TestProbesOfShortIDsAreEveryKinds(t *testing.T) {
	for _, id := range []string{"0f1e2d3c-0000-4000-8000-00000000abcd", "A.b", ".x", "~", "Weird/Key~ü", "c1", "con",
		strings.Repeat("é", maxPlainProbe/2), strings.Repeat("x", maxPlainProbe), strings.Repeat("x", maxPlainProbe+1), strings.Repeat("/", 100), ""} {
		got, want := probes(id), probesOf(layout.Kinds(), id)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("probes(%q):\n%v\nwant\n%v", id, got, want)
		}
	}
}
