package importer

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore of lifecycle workflows (layout/catalog_lcw.go), beyond the
// generic rules:
//
//   - a workflow is created with its tasks in the one POST
//     (identitygovernance-lifecycleworkflowscontainer-post-workflows: tasks
//     have no create of their own), in task order, each task without
//     Graph's id, category and executionSequence;
//   - a workflow's PATCH writes description, displayName, isEnabled and
//     isSchedulingEnabled only (identitygovernance-workflow-update); a
//     changed execution condition or task list is written by
//     createNewVersion (identitygovernance-workflow-createnewversion) with
//     the whole workflow, which gives it a new version (the older one and
//     its run history stay in Graph);
//   - Graph keeps a workflow's category through its versions: a category
//     that differs is a warning (delete the workflow and restore it again);
//   - a task naming a custom task extension (customTaskExtensionID) or
//     groups (groupID), and a group-based scope, are references: a
//     recreated extension's or group's new id is the one sent, after it is
//     created;
//   - a workflow deleted since REV that waits in Graph's deleted workflows
//     (deletedItems/workflows, 30 days) is restored from there with its id
//     and tasks (identitygovernance-workflow-restore), then brought to REV
//     with a new version holding the snapshot's tasks (Graph lists deleted
//     workflows without their tasks, which may name extensions or groups
//     this restore recreates); one purged from there is created again with
//     a new id.

const (
	lcwWorkflows = "lifecycle-workflows"
	lcwTasks     = "tasks"
	// lcwBin is the workflows' layout.Kind.SoftDelete, lcwBinPath where
	// they wait.
	lcwBin     = "lifecycle-workflows"
	lcwBinPath = "/identityGovernance/lifecycleWorkflows/deletedItems/workflows"
)

var (
	// lcwBasic are what a workflow's PATCH writes.
	lcwBasic = []string{"description", "displayName", "isEnabled", "isSchedulingEnabled"}
	// lcwVersioned are what only a new version writes.
	lcwVersioned = []string{"executionConditions", lcwTasks}
)

// workflowTasks are a workflow's tasks as a create or new version sends
// them: in executionSequence order, without what Graph sets.
func workflowTasks(v any) []any {
	var ms []map[string]any
	for _, it := range asSlice(v) {
		if m, ok := it.(map[string]any); ok {
			ms = append(ms, m)
		}
	}
	slices.SortStableFunc(ms, func(a, b map[string]any) int { return cmp.Compare(taskSeq(a), taskSeq(b)) })
	out := make([]any, 0, len(ms))
	for _, m := range ms {
		t := layout.Copy(m).(map[string]any)
		for _, p := range []string{"id", "category", "executionSequence", "@odata.type"} {
			delete(t, p)
		}
		out = append(out, t)
	}
	return out
}

func taskSeq(m map[string]any) float64 {
	switch n := m["executionSequence"].(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case int64:
		return float64(n)
	}
	return 0
}

// workflowBody is the whole workflow a create or new version sends.
func workflowBody(want map[string]any) map[string]any {
	b := map[string]any{}
	for _, p := range append(append([]string{"category"}, lcwBasic...), lcwVersioned...) {
		if v, ok := want[p]; ok {
			b[p] = layout.Copy(v)
		}
	}
	b[lcwTasks] = workflowTasks(want[lcwTasks])
	return b
}

// taskRefWarnings says which extensions and groups a workflow's tasks
// name that neither exist nor come back with this restore (danglingRefs
// says it of the scope's groups).
func (pl *planner) taskRefWarnings(s *objState, want map[string]any) []string {
	var warns []string
	for _, r := range s.k.Refs {
		if !isChild(s.k, topProp(r.Path)) {
			continue
		}
		r.Walk(want, func(id string) string {
			switch pl.refState(id) {
			case RefDeleted:
				warns = append(warns, fmt.Sprintf("%s names %s, which is in the recycle bin: add it to the selection, or Graph refuses this write", r.Path, pl.refName(id)))
			case RefGone:
				warns = append(warns, fmt.Sprintf("%s names %s, which no longer exists: restore it too, or Graph refuses this write", r.Path, pl.refName(id)))
			}
			return id
		})
	}
	return warns
}

// updateWorkflow plans the writes that bring a workflow back to REV: one
// createNewVersion when its execution conditions or tasks differ (it
// carries the basic properties too), else a PATCH of the basic ones.
func (pl *planner) updateWorkflow(s *objState, current *Object, dep string) {
	k := s.k
	want, warns := pl.effective(s, current)
	warns = append(warns, pl.taskRefWarnings(s, want)...)
	pl.danglingRefs(s, want, &warns)
	pl.mapRefs(k, want)
	var deps []string
	if dep != "" {
		deps = append(deps, dep)
	}
	var changes []Change
	changed := func(p string, a, b any) bool {
		if reflect.DeepEqual(a, b) {
			return false
		}
		changes = append(changes, Change{Path: p, Action: diff.Replaced, Before: b, After: a})
		return true
	}
	if v, ok := want["category"]; ok && current.Data["category"] != nil && !reflect.DeepEqual(v, current.Data["category"]) {
		warns = append(warns, fmt.Sprintf("category is %v at REV and %v now: Graph keeps a workflow's category through its versions; delete the workflow and restore it to bring the category back", v, current.Data["category"]))
	}
	versioned := false
	for _, p := range lcwVersioned {
		v, ok := want[p]
		if !ok {
			continue
		}
		cur, has := current.Data[p]
		if p == lcwTasks && !has {
			// A workflow in the deleted items: Graph lists it without
			// its tasks, which may name what this restore recreates.
			versioned = true
			changes = append(changes, Change{Path: p, Action: diff.Replaced, Before: "(as deleted: not readable in the deleted items)", After: workflowTasks(v)})
			warns = append(warns, "Graph lists deleted workflows without their tasks: the restored workflow's tasks are written again from the snapshot")
			continue
		}
		if p == lcwTasks {
			v, cur = workflowTasks(v), workflowTasks(cur)
		}
		if changed(p, v, cur) {
			versioned = true
		}
	}
	patch := map[string]any{}
	for _, p := range lcwBasic {
		if v, ok := want[p]; ok && changed(p, v, current.Data[p]) {
			patch[p] = layout.Copy(v)
		}
	}
	switch {
	case versioned:
		b := workflowBody(want)
		if c := current.Data["category"]; c != nil {
			b["category"] = c // Graph's: kept through versions
		}
		deps = append(deps, pl.depsOf(k, b)...)
		warns = append(warns, "execution conditions and tasks are written by a new version of the workflow (createNewVersion): its version number goes up and the older version keeps its run history")
		pl.add(s, Action{Op: OpUpdate, Request: Request{Method: "POST", Path: itemPath(k, s.key) + "/createNewVersion", Body: body(map[string]any{"workflow": b})},
			Changes: changes, DependsOn: deps, Warnings: warns})
	case len(patch) > 0:
		pl.add(s, Action{Op: OpUpdate, Request: Request{Method: "PATCH", Path: itemPath(k, s.key), Body: body(patch)},
			Changes: changes, DependsOn: deps, Warnings: warns})
	case len(warns) > 0:
		pl.note(s, warns)
	}
}

// createWorkflow shapes a workflow's create: the whole workflow with its
// tasks (they have no create of their own).
func (pl *planner) createWorkflow(s *objState, want map[string]any, changes *[]Change, warns *[]string) map[string]any {
	*warns = append(*warns, pl.taskRefWarnings(s, s.d.Data)...)
	*warns = append(*warns, "recreated as a new workflow (new id, version 1): its earlier versions and run history stay with the deleted one")
	b := workflowBody(want)
	*changes = append(*changes, Change{Path: lcwTasks, Action: diff.Added, After: b[lcwTasks]})
	return b
}

// isWorkflowTasks: a workflow's tasks are written with the workflow
// (create, createNewVersion), never as a child collection.
func isWorkflowTasks(k *layout.Kind, ch layout.Child) bool {
	return k.Name == lcwWorkflows && ch.Name == lcwTasks
}
