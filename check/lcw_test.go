package check

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/snapshot"
)

// Lifecycle workflow references resolve: a task's custom task extension
// (customTaskExtensionID argument), the groups of an "add to groups" task
// (groupID argument) and of a group-based scope. Each one naming nothing is
// reported at its property; the ones that resolve, and arguments that name
// no object (another argument's value), are not.
func TestLifecycleWorkflowReferencesResolve(t *testing.T) {
	ctx := context.Background()
	r, err := snapshot.Init(filepath.Join(t.TempDir(), "backup"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const (
		group, cte = "0c000000-0000-4000-8000-0000000000b1", "0c000000-0000-4000-8000-0000000000c1"
		gone       = "0c000000-0000-4000-8000-00000000dead"
	)
	files := map[string][]byte{}
	add := func(kindName string, obj map[string]any) string {
		p, b := objectFile(t, kind(t, kindName), obj)
		files[p] = b
		return p
	}
	add("groups", map[string]any{"id": group, "displayName": "Finance"})
	add("custom-task-extensions", map[string]any{"id": cte, "displayName": "Payroll \u202e\r"})
	arg := func(name, value string) map[string]any { return map[string]any{"name": name, "value": value} }
	task := func(seq int, args ...any) map[string]any {
		return map[string]any{"displayName": "t", "taskDefinitionId": "4262b724-8dba-4fad-afc3-43fcbb497a0e", "executionSequence": seq, "arguments": args}
	}
	add("lifecycle-workflows", map[string]any{"id": "0c000000-0000-4000-8000-0000000000d1", "displayName": "Resolves",
		"executionConditions": map[string]any{"scope": map[string]any{"groups": []any{map[string]any{"id": group}}}},
		"tasks":               []any{task(1, arg("customTaskExtensionID", cte)), task(2, arg("groupID", group)), task(3, arg("cc", gone))}})
	bad := add("lifecycle-workflows", map[string]any{"id": "0c000000-0000-4000-8000-0000000000d2", "displayName": "Dangles",
		"executionConditions": map[string]any{"scope": map[string]any{"groups": []any{map[string]any{"id": gone}}}},
		"tasks":               []any{task(1, arg("customTaskExtensionID", gone)), task(2, arg("groupID", gone))}})
	writeSnapshot(t, r, files, "snapshot/1")
	rep, err := Repo(ctx, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, is := range rep.Snapshots[0].Issues {
		if strings.Contains(is.Message, "names no object") {
			got = append(got, is.File+" "+is.Property+" "+strings.Fields(is.Message)[0])
		}
	}
	sort.Strings(got)
	want := []string{
		bad + " executionConditions.scope.groups[0].id " + gone,
		bad + " tasks[0].arguments[0].value " + gone,
		bad + " tasks[1].arguments[0].value " + gone,
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("unresolved references:\n%s\nwant:\n%s\nissues: %+v", strings.Join(got, "\n"), strings.Join(want, "\n"), rep.Snapshots[0].Issues)
	}
}
