package graphsim

import "strings"

// Directory roles and PIM beyond the generic rules (graphsim/doc.go,
// "Directory roles and PIM").

// inheritEligibility lists, next to a group's eligibility, one row per
// member of the group with memberType "Group": the members are eligible
// through the group, not on their own
// (learn.microsoft.com/graph/api/resources/unifiedroleeligibilityschedule,
// memberType "Inherited, Direct, or Group"). Which rows Graph lists is not
// documented; graphsim takes the reading that lists them, which a restore
// must not assign again as direct eligibilities. Members added to the group
// later get no row (simplified). Callers hold t.mu.
func (s *Server) inheritEligibility(sched, principal *record) {
	if sched == nil || principal == nil || principal.kind.Name != "group" {
		return
	}
	t := s.tenant
	k := kindByName["unifiedRoleEligibilitySchedule"]
	for _, m := range principal.links["members"] {
		mr := t.dirObject(m)
		if mr == nil || mr.kind.Name != "user" {
			continue
		}
		row := deepCopy(sched.obj).(map[string]any)
		row["id"] = t.newID()
		row["principalId"] = mr.key()
		row["memberType"] = "Group"
		row["createdUsing"] = sched.key()
		t.insert(k, row)
	}
}

// dropInherited removes the rows inherited through the eligibility id.
func (s *Server) dropInherited(id string) {
	t := s.tenant
	var rows []*record
	for _, r := range t.colls["unifiedRoleEligibilitySchedule"].byKey {
		if str(r.obj["memberType"]) != "Direct" && strings.EqualFold(str(r.obj["createdUsing"]), id) {
			rows = append(rows, r)
		}
	}
	for _, r := range rows {
		s.remove(r)
	}
}
