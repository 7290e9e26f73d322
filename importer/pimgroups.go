package importer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/layout"
)

// Restore of PIM for Groups schedules (layout/catalog_pimgroups.go). Graph
// writes them only through schedule requests
// (privilegedaccessgroup-post-eligibilityschedulerequests,
// -assignmentschedulerequests): a schedule missing live is made again with
// adminAssign and the snapshot's end (afterDateTime; noExpiration for a
// permanent one); one whose end has passed at planning time is not made
// (the plan says so); one live whose end differs is given REV's with
// adminUpdate (pim.go, updateWindow: the schedule and the membership an
// active one gives are kept); one live but not at REV is removed
// (adminRemove, deletes.go through scheduled).
//
// One home: an active assignment's member or owner is also listed in the
// group's file (Graph lists it as a member). The schedule is its home on
// restore: the groups kind neither adds it as a plain member (it would come
// back standing, without its end, and PIM refuses to assign a principal who
// already is a direct member) nor removes a live one a PIM assignment
// holds (the schedule's adminRemove does). When the schedules are not
// restored with the group (groups selected without pim-groups), Load still
// reads the live active assignments, and the plan says per group which
// live member or owner not at REV is kept because PIM holds it
// (pimHeldKept), or, when they could not be read, that it could not tell
// (pimHeldUnreadNote).

const (
	groupEligKind   = "group-eligibility-schedules"
	groupAssignKind = "group-assignment-schedules"
)

func init() {
	for _, k := range []string{groupEligKind, groupAssignKind} {
		noUpdate[k] = true
		scheduled[k] = []string{"accessId", "groupId", "principalId"}
	}
}

// isGroupSchedule reports whether k is a PIM for Groups schedule kind.
func isGroupSchedule(k *layout.Kind) bool {
	return k.Name == groupEligKind || k.Name == groupAssignKind
}

// groupScheduleRequestPath is where the requests of a schedule kind go.
func groupScheduleRequestPath(k *layout.Kind) string {
	if k.Name == groupEligKind {
		return "/" + k.APIVersion + "/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests"
	}
	return "/" + k.APIVersion + "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests"
}

// groupScheduleRequest is the adminAssign that makes the schedule want
// again, with its window (scheduleWindow); why says why none is sent.
func (pl *planner) groupScheduleRequest(k *layout.Kind, want map[string]any) (map[string]any, string) {
	info, why := pl.scheduleWindow(want)
	if why != "" {
		return nil, why
	}
	b := scheduleRequest(k, "adminAssign", want)
	b["scheduleInfo"] = info
	return b, ""
}

// scheduleWindow is the scheduleInfo that gives a schedule want's window
// again: its end (afterDateTime), or noExpiration when it has none; why
// says why there is none to send (its end has passed at planning time, or
// its file has an expiration that cannot be read).
func (pl *planner) scheduleWindow(want map[string]any) (map[string]any, string) {
	si, _ := want["scheduleInfo"].(map[string]any)
	exp, _ := si["expiration"].(map[string]any)
	end, ok := scheduleEnd(want)
	switch {
	case ok && !end.After(pl.in.Now):
		return nil, "expired at " + end.UTC().Format(time.RFC3339) + ": not restored (it had ended; assign it again in PIM if it is still needed)"
	case ok:
		return map[string]any{"expiration": map[string]any{"type": "afterDateTime", "endDateTime": end.UTC().Format(time.RFC3339)}}, ""
	case exp == nil || strings.EqualFold(str(exp["type"]), "noExpiration"):
		return map[string]any{"expiration": map[string]any{"type": "noExpiration"}}, ""
	}
	return nil, fmt.Sprintf("its expiration (type %q) cannot be read: not restored (a schedule with an end is never made permanent); fix the file or assign it in PIM", layout.Safe(str(exp["type"])))
}

// createGroupSchedule plans the adminAssign of a schedule missing live.
func (pl *planner) createGroupSchedule(s *objState, want map[string]any, changes []Change, warns []string) {
	k := s.k
	b, why := pl.groupScheduleRequest(k, want)
	if why != "" {
		pl.note(s, append(warns, why))
		return
	}
	s.main = pl.add(s, Action{Op: OpCreate, Request: Request{Method: "POST", Path: groupScheduleRequestPath(k), Body: body(b)},
		Changes: changes, DependsOn: pl.depsOf(k, b), Warnings: warns})
}

// groupScheduleKey is the natural key of a PIM for Groups schedule.
func groupScheduleKey(data map[string]any) string {
	k, _ := layout.Lookup(groupEligKind) // both schedule kinds' NaturalKey
	return naturalKeyOf(k.NaturalKey, data)
}

// accessOf is the accessId a group relationship stands for.
func accessOf(rel string) string {
	switch rel {
	case "members":
		return "member"
	case "owners":
		return "owner"
	}
	return ""
}

// pimHeldLink says why the groups kind does not add member or owner target
// of group s (keys at REV): an active PIM for Groups assignment at REV
// holds it, and the schedule is its home ("" when none does).
func (pl *planner) pimHeldLink(s *objState, rel, target string) string {
	if s.k.Name != "groups" || accessOf(rel) == "" {
		return ""
	}
	o := pl.atREV()[groupAssignKind+"/"+strings.ToLower(s.d.Key+"|"+target+"|"+accessOf(rel))]
	if o == nil {
		return ""
	}
	return fmt.Sprintf("%s %s: %s %s is an active PIM for Groups assignment at REV (%s): it comes back through its schedule (kind %s) with its end, not as a plain %s",
		s.k.Title, label(s.d), strings.TrimSuffix(rel, "s"), pl.refName(target), o.Path, groupAssignKind, accessOf(rel))
}

// pimHeldLive reports whether a live PIM for Groups assignment holds the
// live member or owner target of group s: its removal is the schedule's.
func (pl *planner) pimHeldLive(s *objState, rel, target string) bool {
	if s.k.Name != "groups" || accessOf(rel) == "" {
		return false
	}
	want := strings.ToLower(s.key + "|" + target + "|" + accessOf(rel))
	for _, o := range pl.in.Live[groupAssignKind] {
		if groupScheduleKey(o.Data) == want {
			return true
		}
	}
	return false
}

// pimHeldKept says, when the PIM for Groups assignments are not restored
// with group s, that live member or owner target, not in the group at REV,
// is kept because a live PIM assignment holds it: the groups kind does not
// remove it, and nothing else in this plan does.
func (pl *planner) pimHeldKept(s *objState, rel, target string) {
	if slices.Contains(pl.in.Selection.Kinds, groupAssignKind) {
		return // the schedule kind removes it (adminRemove) when it is not at REV
	}
	end := "no end"
	want := strings.ToLower(s.key + "|" + target + "|" + accessOf(rel))
	for _, o := range pl.in.Live[groupAssignKind] {
		if groupScheduleKey(o.Data) == want {
			if e, ok := scheduleEnd(o.Data); ok {
				end = "ends " + e.UTC().Format(time.RFC3339)
			}
		}
	}
	pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s %s: %s %s is not in the group at REV but is kept: a live PIM for Groups assignment holds it (%s), and only its schedule's adminRemove takes it away; restore %s too (selector pim-groups) to remove it, or remove the assignment in PIM",
		s.k.Title, label(s.d), strings.TrimSuffix(rel, "s"), pl.refName(target), end, groupAssignKind))
}

// unreadNotes are the plan's warnings for the kinds read only to plan
// another right that could not be read (Input.Unread): groups restored
// without their PIM for Groups schedules may lose a member a PIM
// assignment holds; a custom role may be planned for delete while it is
// still assigned.
func (pl *planner) unreadNotes() {
	for _, kind := range sortedKeys(pl.in.Unread) {
		why := layout.Safe(pl.in.Unread[kind])
		switch kind {
		case attrDefs: // csavalues.go
			pl.p.Warnings = append(pl.p.Warnings, "custom security attribute values: the live attribute definitions could not be read ("+why+"): a value of an attribute deactivated since REV is not seen in the plan, and Graph refuses it at apply (reported then); grant CustomSecAttributeDefinition.Read.All, or restore custom-security-attributes too")
		case groupAssignKind:
			pl.p.Warnings = append(pl.p.Warnings, "groups: the live PIM for Groups assignments could not be read ("+why+"): a member or owner removed here may be one a PIM assignment holds (its schedule stays); grant the permission, or restore pim-groups too")
		case "identity-providers", apiConnectors: // userflowconnections.go
			pl.p.Warnings = append(pl.p.Warnings, "user flow connections: the live "+kindTitle(kind)+" could not be read ("+why+"): one gone from the tenant, or entered again under a new id, is not seen in the plan, which names the one in the file (Graph refuses it at apply if it is gone); grant the permission, and plan again")
		default:
			pl.p.Warnings = append(pl.p.Warnings, kindTitle(kind)+" could not be read ("+why+"): a custom role deleted here may still be assigned, and Graph then refuses its delete; grant the permission, or restore roles/assignments and roles/eligibility too")
		}
	}
}
