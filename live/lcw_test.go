package live

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// Lifecycle workflows are read with their tasks (the list returns none;
// each workflow's tasks are read below it), kept in task order without
// Graph's task ids and categories, and without the workflow's version
// counter; a task running a custom task extension names the extension's
// id, which is the key of the extension's file; the settings singleton is
// one file.
func TestReadLifecycleWorkflows(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{})
	lv, _ := readKinds(t, sim, sim, "custom-task-extensions", "lifecycle-workflows", "lifecycle-workflow-settings")
	for _, r := range lv.Kinds {
		if !r.Complete || r.Objects == 0 {
			t.Fatalf("%s: %+v", r.Kind, r)
		}
	}
	var cteID string
	var workflow map[string]any
	for name, b := range lv.Files {
		switch {
		case strings.HasPrefix(name, "governance/lifecycle-workflows/custom-task-extensions/provision-payroll-account."):
			o, err := layout.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			cteID = fmt.Sprint(o["id"])
		case strings.HasPrefix(name, "governance/lifecycle-workflows/workflows/onboard-new-hires-in-sales."):
			o, err := layout.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			workflow = o
		}
	}
	if _, ok := lv.Files["governance/lifecycle-workflows/settings.yaml"]; !ok {
		t.Errorf("no settings file: %v", fileNames(lv.Files))
	}
	if workflow == nil || cteID == "" {
		t.Fatalf("files: %v", fileNames(lv.Files))
	}
	for _, p := range []string{"version", "lastModifiedDateTime", "nextScheduleRunDateTime"} {
		if _, ok := workflow[p]; ok {
			t.Errorf("the workflow's file keeps %s", p)
		}
	}
	if workflow["executionConditions"] == nil {
		t.Errorf("no execution conditions: %v", workflow)
	}
	tasks, _ := workflow["tasks"].([]any)
	var names []string
	var named string
	for i, tk := range tasks {
		m := tk.(map[string]any)
		names = append(names, fmt.Sprint(m["displayName"]))
		if _, ok := m["id"]; ok {
			t.Errorf("task %d keeps Graph's id", i)
		}
		if _, ok := m["category"]; ok {
			t.Errorf("task %d keeps its category", i)
		}
		if fmt.Sprint(m["executionSequence"]) != fmt.Sprint(i+1) {
			t.Errorf("task %d has executionSequence %v", i, m["executionSequence"])
		}
		for _, a := range m["arguments"].([]any) {
			if kv := a.(map[string]any); kv["name"] == "customTaskExtensionID" {
				named = fmt.Sprint(kv["value"])
			}
		}
	}
	if strings.Join(names, "|") != "Enable user account|Add user to the Finance group|Provision payroll account" {
		t.Errorf("tasks: %q", names)
	}
	if named != cteID {
		t.Errorf("the extension task names %q, the extension's file %q", named, cteID)
	}
}

// A workflow's tasks are kept in the order they run: task 10 after task 9,
// not between 1 and 2 as text would sort them.
func TestChildListOrdersNumbersByValue(t *testing.T) {
	ch := layout.Child{Name: "tasks", Key: "executionSequence"}
	var items []map[string]any
	for _, n := range []any{10, 2, json.Number("11"), 1, 9.0} {
		items = append(items, map[string]any{"executionSequence": n})
	}
	got := childList(ch, items)
	var seq []string
	for _, it := range got {
		seq = append(seq, fmt.Sprint(it.(map[string]any)["executionSequence"]))
	}
	if want := "1 2 9 10 11"; strings.Join(seq, " ") != want {
		t.Fatalf("order %v, want %s", seq, want)
	}
	// Text keys sort after numbers and by their bytes.
	if !childKeyLess(3, "a") || childKeyLess("b", "a") || childKeyLess("a", 3) {
		t.Fatal("numbers before text, text by bytes")
	}
}
