package importer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/graph"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// Restore of PIM role settings (layout/catalog_pim.go). Graph keeps one
// role management policy per Microsoft Entra role, made with the role: it
// creates and deletes none on request (resources/unifiedrolemanagementpolicy),
// so restore never creates or deletes a policy. A policy is written one
// rule at a time: PATCH /policies/roleManagementPolicies/{live policy
// id}/rules/{rule id} with the rule as it was at REV, its @odata.type
// included as Graph requires (unifiedrolemanagementpolicyrule-update). The
// policy id is the live tenant's (the file is keyed by the role); rules
// that are the same are not sent; a rule at REV that the live policy does
// not have is not written (Graph adds no rules) and the plan says so.

const rolePolicies = "role-management-policies"

func init() {
	noCreate[rolePolicies] = "Graph makes a role's PIM settings (its role management policy) with the role and creates or deletes none on request: " +
		"select the role definition too (roles/definitions) and the restore recreates it and writes these settings to its new policy in the same run"
	noDelete[rolePolicies] = true
}

// updateRolePolicy plans the rule PATCHes that bring the live policy
// current back to want (the file at REV).
func (pl *planner) updateRolePolicy(s *objState, current *Object, want map[string]any, warns []string, dep string) {
	k := s.k
	pl.mapRefs(k, want)
	policy := str(current.Data["id"])
	byID := func(v any) (map[string]map[string]any, []string) {
		m := map[string]map[string]any{}
		var ids []string
		for _, it := range asSlice(v) {
			if r, ok := it.(map[string]any); ok && str(r["id"]) != "" {
				if _, dup := m[str(r["id"])]; !dup {
					ids = append(ids, str(r["id"]))
				}
				m[str(r["id"])] = r
			}
		}
		return m, ids
	}
	have, _ := byID(current.Data["rules"])
	wantBy, _ := byID(want["rules"])
	var deps []string
	if dep != "" {
		deps = append(deps, dep)
	}
	for _, id := range sortedKeys(wantBy) {
		wr := wantBy[id]
		lr := have[id]
		if lr == nil {
			warns = append(warns, fmt.Sprintf("rule %s at REV is not in the tenant's policy and is not written: Graph adds no rules to a role management policy", layout.Safe(id)))
			continue
		}
		from := &Object{Path: s.d.Path, Kind: k, Key: s.key, Data: map[string]any{"rules": []any{lr}}}
		to := &Object{Path: s.d.Path, Kind: k, Key: s.key, Data: map[string]any{"rules": []any{wr}}}
		res := diff.Compare(diff.Snapshot{from.Path: from}, diff.Snapshot{to.Path: to}, nil)
		var changes []Change
		for _, c := range res.Changes {
			for _, pc := range c.Props {
				changes = append(changes, changeOf(pc))
			}
		}
		if len(changes) == 0 {
			continue
		}
		b := layout.Copy(wr).(map[string]any)
		if str(b["@odata.type"]) == "" {
			b["@odata.type"] = lr["@odata.type"] // Graph requires it; a hand-edited file may leave it out
		}
		rdeps := append(append([]string(nil), deps...), pl.depsOf(k, map[string]any{"rules": []any{b}})...)
		pl.add(s, Action{Op: OpUpdate, Relationship: "rules", Target: id,
			Request: Request{Method: "PATCH", Path: "/" + k.APIVersion + k.ListPath + "/" + url.PathEscape(policy) + "/rules/" + url.PathEscape(id), Body: body(b)},
			Changes: changes, DependsOn: rdeps})
	}
	if len(warns) > 0 {
		pl.note(s, warns)
	}
}

// isRolePolicy reports whether k is the PIM role settings kind.
func isRolePolicy(k *layout.Kind) bool { return strings.EqualFold(k.Name, rolePolicies) }

// ---- time-bound active role assignments ----
//
// A time-bound assignment (layout/catalog_pim.go: roles/time-bound-assignments,
// never also in roles/assignments) is made again only through a schedule
// request, adminAssign with the snapshot's end
// (rbacapplication-post-roleassignmentschedulerequests): never as a standing
// assignment. One whose end has passed at planning time is not made (the
// plan says so); one live whose end differs from REV is given REV's end
// (adminUpdate, updateWindow); one live but not at REV is removed
// (adminRemove, deletes.go).

const timeBoundKind = "time-bound-role-assignments"

func init() {
	noUpdate[timeBoundKind] = true
	scheduled[timeBoundKind] = []string{"principalId", "roleDefinitionId", "directoryScopeId"}
}

// scheduleEnd is when the schedule in data ends: its expiration's
// endDateTime, or its start plus its duration; ok is false when it has no
// end (noExpiration) or the end cannot be read.
func scheduleEnd(data map[string]any) (end time.Time, ok bool) {
	si, _ := data["scheduleInfo"].(map[string]any)
	exp, _ := si["expiration"].(map[string]any)
	if e, err := time.Parse(time.RFC3339, str(exp["endDateTime"])); err == nil {
		return e, true
	}
	if strings.EqualFold(str(exp["type"]), "afterDuration") {
		start, err := time.Parse(time.RFC3339, str(si["startDateTime"]))
		if d, ok := isoDuration(str(exp["duration"])); ok && err == nil {
			return start.Add(d), true
		}
	}
	return time.Time{}, false
}

// timeBoundRequest is the adminAssign request that makes the time-bound
// assignment want again, ending when it ended at REV; why says why none is
// sent (no end in the file, or the end has passed).
func (pl *planner) timeBoundRequest(k *layout.Kind, want map[string]any) (map[string]any, string) {
	end, ok := scheduleEnd(want)
	switch {
	case !ok:
		return nil, "its file has no end (scheduleInfo.expiration): a time-bound assignment is never made a standing one; assign the role by hand if it was meant to be"
	case !end.After(pl.in.Now):
		return nil, "expired at " + end.UTC().Format(time.RFC3339) + ": not restored (it had ended; assign the role again by hand if it is still needed)"
	}
	b := scheduleRequest(k, "adminAssign", want)
	b["scheduleInfo"] = map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": end.UTC().Format(time.RFC3339)}}
	return b, ""
}

// updateWindow brings the window (the end) of live schedule current back
// to REV's with one adminUpdate schedule request, Graph's action "for
// administrators to change existing role eligibilities" (and assignments,
// PIM for Groups schedules: resources/unifiedroleeligibilityschedulerequest,
// privilegedaccessgroupeligibilityschedulerequest). The schedule is kept,
// with its id and, for an active PIM for Groups assignment, the membership
// it gives (a remove and assign would take it away between the two); its
// window starts now. The same end is left; a file without scheduleInfo
// (hand-edited: it says nothing of the window), an end at REV that has
// passed, one a time-bound assignment's file lacks (never made standing)
// or one that cannot be read leaves the live window, with a note.
func (pl *planner) updateWindow(s *objState, current *Object, want map[string]any, dep string) {
	window := func(d map[string]any) any {
		if e, ok := scheduleEnd(d); ok {
			return e.UTC().Format(time.RFC3339)
		}
		return nil
	}
	before, after := window(current.Data), window(want)
	if before == after {
		return
	}
	if _, ok := want["scheduleInfo"]; !ok {
		live := "with no end"
		if before != nil {
			live = "ending " + before.(string)
		}
		pl.note(s, []string{"its file has no scheduleInfo: the live window, " + live + ", is left as it is"})
		return
	}
	k := s.k
	info, why := pl.scheduleWindow(want)
	if k.Name == timeBoundKind && after == nil {
		_, why = pl.timeBoundRequest(k, want)
	}
	if why != "" {
		pl.note(s, []string{"its end differs from REV's, but " + why})
		return
	}
	b := scheduleRequest(k, "adminUpdate", current.Data)
	b["scheduleInfo"] = info
	var deps []string
	if dep != "" {
		deps = append(deps, dep)
	}
	pl.add(s, Action{Op: OpUpdate, Request: Request{Method: "POST", Path: createPath(k), Body: body(b)}, DependsOn: deps,
		Changes:  []Change{{Path: "scheduleInfo.expiration.endDateTime", Action: diff.Replaced, Before: before, After: after}},
		Warnings: []string{"adminUpdate keeps the schedule; its window starts now and ends as at REV"}})
}

// isoDuration reads the ISO 8601 durations PIM uses: P[nW][nD][T[nH][nM][nS]].
func isoDuration(v string) (time.Duration, bool) {
	rest, ok := strings.CutPrefix(strings.ToUpper(v), "P")
	if !ok || rest == "" {
		return 0, false
	}
	var d time.Duration
	inTime, digits, num := false, false, 0
	units := map[bool]map[rune]time.Duration{
		false: {'W': 7 * 24 * time.Hour, 'D': 24 * time.Hour},
		true:  {'H': time.Hour, 'M': time.Minute, 'S': time.Second},
	}
	for _, c := range rest {
		switch {
		case c >= '0' && c <= '9':
			if num = num*10 + int(c-'0'); num > 1_000_000 {
				return 0, false
			}
			digits = true
		case c == 'T' && !inTime && !digits:
			inTime = true
		case digits && units[inTime][c] != 0:
			d += time.Duration(num) * units[inTime][c]
			num, digits = 0, false
		default:
			return 0, false
		}
	}
	return d, !digits && d > 0
}

// ---- settings of a role this restore creates ----
//
// Graph makes a role's policy with the role, under an id of its own, so
// the settings at REV of a role the same plan creates are written in the
// same run: a lookup lists the policy assignment of the new role
// (policyroot-list-rolemanagementpolicyassignments, with the scope filter
// Graph requires and roleDefinitionId) and keeps its policyId, then one
// PATCH per rule at REV goes to that policy. An empty answer is Graph's
// replication lag, retried like a "not found" of a fresh object; if it
// lasts, the lookup fails and its PATCHes are skipped, each reported.

// settingsOfNewRole plans the settings at REV of a role this plan creates;
// false when the role is not created by this plan.
func (pl *planner) settingsOfNewRole(s *objState) bool {
	role := pl.creating[strings.ToLower(s.key)]
	if role == nil || role.k.Name != "role-definitions" {
		return false
	}
	k := s.k
	want := layout.Copy(s.d.Data).(map[string]any)
	pl.mapRefs(k, want)
	holder := "{{policy:" + s.key + "}}"
	q := "scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '"
	lookup := pl.add(s, Action{Op: OpUpdate, Relationship: "policy", Target: role.holder,
		Request:   Request{Method: "GET", Path: "/" + k.APIVersion + "/policies/roleManagementPolicyAssignments?$filter=" + url.QueryEscape(q) + role.holder + url.QueryEscape("'")},
		DependsOn: []string{mainDep(role)}, Capture: &Capture{Field: "policyId", Into: holder},
		Warnings: []string{"the role is created by this restore: Graph makes its PIM policy with it, with default settings; the policy is looked up and each rule at REV written to it"}})
	for _, it := range asSlice(want["rules"]) {
		r, ok := it.(map[string]any)
		if !ok || str(r["id"]) == "" {
			continue
		}
		if str(r["@odata.type"]) == "" {
			pl.note(s, []string{fmt.Sprintf("rule %s has no @odata.type in its file and is not written (Graph requires it)", layout.Safe(str(r["id"])))})
			continue
		}
		id := str(r["id"])
		pl.add(s, Action{Op: OpUpdate, Relationship: "rules", Target: id,
			Request:   Request{Method: "PATCH", Path: "/" + k.APIVersion + k.ListPath + "/" + holder + "/rules/" + url.PathEscape(id), Body: body(r)},
			Changes:   []Change{{Path: "rules[id=" + id + "]", Action: diff.Added, After: r}},
			DependsOn: append([]string{lookup}, pl.depsOf(k, map[string]any{"rules": []any{r}})...)})
	}
	return true
}

// capture keeps a.Capture.Field of the first object resp lists in the
// run's placeholder values; an empty list is "not there yet" (a 404, which
// exec retries for a request naming a fresh object).
func (r *runner) capture(a *Action, path string, resp *graph.Response) error {
	var list struct {
		Value []map[string]any `json:"value"`
	}
	var body []byte
	if resp != nil {
		body = resp.Body
	}
	_ = json.Unmarshal(body, &list)
	v := ""
	if len(list.Value) > 0 {
		v = str(list.Value[0][a.Capture.Field])
	}
	if v == "" || strings.IndexFunc(v, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.')
	}) >= 0 { // it goes into a path: an id of Graph's, nothing else
		return &graph.Error{Status: http.StatusNotFound, Code: "Request_ResourceNotFound", Method: a.Request.Method, Path: path,
			Message: "Graph lists no " + a.Capture.Field + " yet for the object this restore created"}
	}
	r.mu.Lock()
	r.values[a.Capture.Into] = v
	r.mu.Unlock()
	return nil
}
