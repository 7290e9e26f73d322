package check

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// Lifecycle workflow references resolve: a task's custom task extension
// (customTaskExtensionID argument), the groups of an "add to groups" task
// (groupID argument) and of a group-based scope. Each one naming nothing is
// reported at its property; the ones that resolve, and arguments that name
// no object (another argument's value), are not.
func TestLifecycleWorkflowReferencesResolve(t *testing.T) {
	r := newCheckRepo(t)
	const (
		group, cte = "0c000000-0000-4000-8000-0000000000b1", "0c000000-0000-4000-8000-0000000000c1"
		gone       = "0c000000-0000-4000-8000-00000000dead"
	)
	files, add := objectFiles(t)
	add("groups", map[string]any{"id": group, "displayName": "Finance"})
	const app, appID = "0c000000-0000-4000-8000-0000000000e1", "0c000000-0000-4000-8000-0000000000e2"
	add("applications", map[string]any{"id": app, "appId": appID, "displayName": "Payroll callback"})
	// authorizedApps: "unique identifiers or appIds of the applications"
	// (identitygovernance-customtaskextensioncallbackconfiguration).
	callback := func(ids ...string) map[string]any {
		var apps []any
		for _, id := range ids {
			apps = append(apps, map[string]any{"id": id})
		}
		return map[string]any{"timeoutDuration": "PT20M", "authorizedApps": apps}
	}
	add("custom-task-extensions", map[string]any{"id": cte, "displayName": "Payroll \u202e\r", "callbackConfiguration": callback(app, appID)})
	badCTE := add("custom-task-extensions", map[string]any{"id": "0c000000-0000-4000-8000-0000000000c2", "displayName": "Dangling app",
		"callbackConfiguration": callback(appID, gone)})
	arg := func(name, value string) map[string]any { return map[string]any{"name": name, "value": value} }
	task := func(seq int, args ...any) map[string]any {
		return map[string]any{"displayName": "t", "taskDefinitionId": "4262b724-8dba-4fad-afc3-43fcbb497a0e", "executionSequence": seq, "arguments": args}
	}
	add("lifecycle-workflows", map[string]any{"id": "0c000000-0000-4000-8000-0000000000d1", "displayName": "Resolves",
		"executionConditions": map[string]any{"scope": map[string]any{"groups": []any{map[string]any{"id": group}}}},
		"tasks":               []any{task(1, arg("customTaskExtensionID", cte)), task(2, arg("groupID", group)), task(3, arg("cc", gone))}})
	bad := add("lifecycle-workflows", map[string]any{"id": "0c000000-0000-4000-8000-0000000000d2", "displayName": "Dangles",
		"executionConditions": map[string]any{"scope": map[string]any{"groups": []any{map[string]any{"id": gone}}}},
		"tasks":               []any{task(1, arg("customTaskExtensionID", gone)), task(2, arg("groupID", gone)), task(3, arg("groupID", group+", "+gone))}})
	rep := checkSnapshot(t, r, files, "snapshot/1")
	got := dangling(rep, func(is Issue) string { return is.File + " " + is.Property + " " + strings.Fields(is.Message)[0] })
	sort.Strings(got)
	want := []string{
		bad + " executionConditions.scope.groups[0].id " + gone,
		bad + " tasks[0].arguments[0].value " + gone,
		bad + " tasks[1].arguments[0].value " + gone,
		bad + " tasks[2].arguments[0].value " + gone,
		badCTE + " callbackConfiguration.authorizedApps[1].id " + gone,
	}
	sort.Strings(want)
	sameLines(t, "unresolved references", got, want, rep)
	// A task's arguments are settings Graph does not clean up when the
	// object they name is deleted: a warning, not an error.
	for _, is := range rep.Snapshots[0].Issues {
		if strings.HasPrefix(is.Property, "tasks[") && is.Severity != SevWarning {
			t.Errorf("%s %s: severity %v, want a warning", is.File, is.Property, is.Severity)
		}
	}
}

// A kind not read in this snapshot (skipped by design, not licensed or
// incomplete) keeps an earlier snapshot's files: a reference there to an
// object deleted since is a warning that says so, not an error, even in a
// relationship Graph keeps consistent.
func TestCarriedFilesReferencesAreWarnings(t *testing.T) {
	r := newCheckRepo(t)
	const gone = "0c000000-0000-4000-8000-00000000dead"
	files := map[string][]byte{}
	p, b := objectFile(t, kind(t, "feature-rollout-policies"), map[string]any{"id": "0c000000-0000-4000-8000-0000000000e1",
		"displayName": "PHS", "feature": "passwordHashSync", "isEnabled": true,
		"appliesTo": []any{map[string]any{"@odata.type": "#microsoft.graph.group", "id": gone}}})
	files[p] = b
	g, gb := objectFile(t, kind(t, "groups"), map[string]any{"id": "0c000000-0000-4000-8000-0000000000b1", "displayName": "Pilot"})
	files[g] = gb
	for _, carried := range []bool{false, true} {
		m := map[string]any{}
		for name, n := range map[string]int{"groups": 1, "feature-rollout-policies": 1} {
			k, _ := layout.Lookup(name)
			e := map[string]any{"folder": k.Folder, "objects": json.Number(itoa(n)), "complete": true}
			if carried && name == "feature-rollout-policies" {
				e["complete"], e["skipped"] = false, "delegated callers only"
			}
			m[name] = e
		}
		files[ManifestPath] = layout.Encode(map[string]any{"format": json.Number("1"), "tenantId": "t", "kinds": m})
		rep := checkSnapshot(t, r, files, "")
		var found bool
		for _, is := range rep.Snapshots[0].Issues {
			if is.File != p || !strings.Contains(is.Message, "names no object") {
				continue
			}
			found = true
			if want := map[bool]string{false: SevError, true: SevWarning}[carried]; is.Severity != want {
				t.Errorf("carried %v: severity %v, want %v: %s", carried, is.Severity, want, is.Message)
			}
			if carried && !strings.Contains(is.Message, "carried from an earlier snapshot") {
				t.Errorf("the warning does not say the file is carried: %s", is.Message)
			}
		}
		if !found {
			t.Errorf("carried %v: the dangling appliesTo is not reported: %+v", carried, rep.Snapshots[0].Issues)
		}
	}
}
