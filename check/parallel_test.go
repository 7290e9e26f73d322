package check

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

const (
	groupC = "0c000000-0000-4000-8000-00000000000c"
	groupD = "0d000000-0000-4000-8000-00000000000d"
)

// groupID is the id of generatedFiles' group i.
func groupID(i int) string { return fmt.Sprintf("%08x-1111-4000-8000-%012x", i, i) }

// TestRepoParallelSameReport: files are read and analysed on every CPU
// (analyse), in whatever order the readers reach them; the report is the
// same, issue for issue and in the same order (by file, then line), with
// one reader as with many, and it holds every problem planted among 1,300
// files (more than one reader's share): a schema error, a file at the
// wrong path, a file that is not YAML, one over the size limit (read again
// on its own), dangling members in several groups, two files of one
// object, a file that is not an object file.
func TestRepoParallelSameReport(t *testing.T) {
	files := generatedFiles(t, 1000, 300)
	gk := kind(t, "groups")
	var planted []string
	plant := func(p string, data []byte) {
		files[p] = data
		planted = append(planted, p)
	}
	// Dangling members, in groups spread over the tree.
	for _, i := range []int{3, 150, 299} {
		g := template(t, "groups")
		g["id"] = groupID(i)
		g["displayName"] = "Dangling " + itoa(i)
		g["members"] = []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": dead}}
		p, b := objectFile(t, gk, g)
		for q := range files {
			if strings.Contains(q, groupID(i)) {
				delete(files, q)
			}
		}
		plant(p, b)
	}
	pa, a := objectFile(t, gk, map[string]any{"id": groupA, "displayName": "A", "bogus": "x"})
	plant(pa, a)
	pb, b := objectFile(t, gk, map[string]any{"id": groupB, "displayName": "B", "description": strings.Repeat("x", 20000)})
	plant(pb, b)
	plant("groups/zz/Elsewhere."+groupC+".yaml", layout.Encode(map[string]any{"id": groupC, "displayName": "Elsewhere"}))
	plant("groups/0c/Copy."+groupC+".yaml", layout.Encode(map[string]any{"id": groupC, "displayName": "Copy"}))
	plant("groups/0d/Broken."+groupD+".yaml", []byte("id: [unclosed\n"))
	plant("groups/notes.txt", []byte("not an object\n"))
	n := map[string]int{"users": 1000, "groups": 300 + 5}
	files[ManifestPath] = manifest(n)

	r := newCheckRepo(t)
	writeSnapshot(t, r, files, "snapshot/1")
	var want string
	for _, workers := range []int{1, 2, 4, 8, 1} {
		rep, err := Repo(context.Background(), r, Options{MaxFileSize: 12 << 10, workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.MarshalIndent(rep, "", " ")
		if want == "" {
			want = string(js)
			var got []string
			for _, is := range rep.Snapshots[0].Issues {
				got = append(got, is.File+" "+is.Severity+" "+is.Property+" "+is.Message)
			}
			owner := template(t, "groups")["owners"].([]any)[0].(map[string]any)["id"].(string) // the template's owner: not in the snapshot
			var wantIssues []string
			for _, i := range []int{150, 299, 3} { // path order: dangling-150, -299, -3
				p := "groups/00/dangling-" + itoa(i) + "." + groupID(i) + ".yaml"
				wantIssues = append(wantIssues, p+" error members[0].id "+dead+" names no object in the snapshot (users)",
					p+" error owners[0].id "+owner+" names no object in the snapshot (users)")
			}
			copyOf, elsewhere := "groups/0c/Copy."+groupC+".yaml", "groups/zz/Elsewhere."+groupC+".yaml"
			wantIssues = append(wantIssues,
				pa+" error bogus unknown property",
				pb+" error  "+TooLargeMessage(12<<10),
				copyOf+" error  entrasnap keeps this object at groups/0c/copy."+groupC+".yaml",
				copyOf+" error id the same id as "+elsewhere,
				"groups/0d/Broken."+groupD+".yaml error  did not find expected",
				"groups/notes.txt warning  not an object file",
				elsewhere+" error  entrasnap keeps this object at groups/0c/elsewhere."+groupC+".yaml",
				elsewhere+" error id the same id as "+copyOf)
			if len(got) != len(wantIssues) {
				t.Fatalf("issues:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantIssues, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], wantIssues[i]) {
					t.Errorf("issue %d: %s\nwant: %s...", i, got[i], wantIssues[i])
				}
			}
			continue
		}
		if string(js) != want {
			t.Fatalf("%d workers: the report differs from one worker's:\n%s\nwant:\n%s", workers, js, want)
		}
	}
}
